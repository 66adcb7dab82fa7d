#pragma once
// Cross-origin rules: which origin may read a response, and the answer to a browser's preflight.
#include "app/settings.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sdksign::app {

/// An allow-list entry as browsers serialise an origin (RFC 6454 section 6.2): scheme and host in lower
/// case, no default port (:443 for https, :80 for http), the port without leading zeros. nullopt when it is
/// not scheme://host[:port] (a path or a trailing slash, a user, `*`, a non-ASCII host that browsers would
/// send as punycode, a port outside 1-65535), since such an entry could never match.
std::optional<std::string> canonical_origin(std::string_view origin);

/// True when `origin` is on the configured allow-list (exactly: scheme, host and port as the browser sends
/// them). With no allow-list no origin is "on" it; callers decide what an empty list means.
bool is_listed_origin(const Settings& settings, std::string_view origin);

/// Adds the CORS headers every response carries (errors included, so a browser can read why it failed).
void add_cors_headers(const http::Request& request, const Settings& settings, http::Response& response);

/// The answer to `OPTIONS` on an existing route: 204 naming only the methods the route has.
http::Response preflight_response(const http::Request& request, const Settings& settings,
                                  std::string_view allowed_methods);

} // namespace sdksign::app
