#pragma once
// Cross-origin rules: which origin may read a response, and the answer to a browser's preflight.
#include "app/settings.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <string_view>

namespace sdksign::app {

/// True when `origin` is on the configured allow-list (exactly: scheme, host and port as the browser sends
/// them). With no allow-list no origin is "on" it; callers decide what an empty list means.
bool is_listed_origin(const Settings& settings, std::string_view origin);

/// Adds the CORS headers every response carries (errors included, so a browser can read why it failed).
void add_cors_headers(const http::Request& request, const Settings& settings, http::Response& response);

/// The answer to `OPTIONS` on an existing route: 204 naming only the methods the route has.
http::Response preflight_response(const http::Request& request, const Settings& settings,
                                  std::string_view allowed_methods);

} // namespace sdksign::app
