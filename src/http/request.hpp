#pragma once
// One HTTP request as every gateway presents it, whatever carried it (FastCGI params, a CGI environment, the
// command line). Views point into the gateway's storage and live as long as the request does.
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace sdksign::http {

/// The default of the max-body-bytes option, for every part that holds a body limit (the gateways stop
/// reading beyond it, the handler answers 413): Express's json() default of 100 kB, as in the sample.
inline constexpr std::size_t default_max_body_bytes = 102400;

struct Request {
    std::string_view method;
    /// Path below the application's mount point, "/" at least (from PATH_INFO).
    std::string_view path;
    /// Request headers in CGI form: upper case, '_' for '-', without the HTTP_ prefix (e.g. "ORIGIN").
    /// CONTENT_TYPE and CONTENT_LENGTH are not here; see the fields below.
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    std::optional<std::string_view> content_type;
    /// The declared body size, when the server sent one.
    std::optional<std::size_t> content_length;
    std::string_view remote_addr;
    /// The user the web server authenticated (REMOTE_USER); empty when no authentication ran. A client
    /// cannot set it with a header (headers arrive as HTTP_* variables), but nginx's fastcgi_params
    /// passes the unchecked Basic user name where no auth_basic runs: see nginx/sdksign-unix.conf.in.
    std::string_view remote_user;
    std::string_view body;
    /// The gateway stopped reading because the body is larger than the configured limit.
    bool body_too_large = false;
    /// The body ended before its declared length, or the declared length was not a number: what arrived
    /// is not what the client sent, so it must not be signed.
    bool body_incomplete = false;

    /// Looks a header up by its HTTP name ("Origin", "Access-Control-Request-Headers"), case-insensitively.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

} // namespace sdksign::http
