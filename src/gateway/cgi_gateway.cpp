#include "gateway/cgi_gateway.hpp"

#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX declares it nowhere in C++

namespace sdksign::gateway {

namespace {

/// Reads at most `limit` bytes of the declared body; false when it is larger.
bool read_stdin_body(std::optional<std::size_t> declared, std::size_t limit, std::string& body) {
    if (declared && *declared > limit) {
        return false;
    }
    const std::size_t want =
        declared ? *declared : 0; // CGI without CONTENT_LENGTH has no body (RFC 3875 4.2)
    body.resize(want);
    std::size_t got = 0;
    while (got < want) {
        const ssize_t n = ::read(STDIN_FILENO, body.data() + got, want - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    body.resize(got);
    return true;
}

bool write_all(int fd, const std::string& data) {
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

bool started_as_cgi() {
    return FCGX_IsCGI() != 0 && std::getenv("GATEWAY_INTERFACE") != nullptr;
}

int serve_cgi(std::size_t max_body_bytes, const RequestHandler& handler) {
    http::Request request = request_from_variables(environ);
    std::string body;
    request.body_too_large = !read_stdin_body(request.content_length, max_body_bytes, body);
    request.body = body;
    if (request.content_length && !request.body_too_large && body.size() != *request.content_length) {
        request.body_incomplete = true;
    }
    const http::Response response = handler(request);
    if (!write_all(STDOUT_FILENO, http::serialize_cgi(response))) {
        log::error("cgi", "cannot write the response to stdout");
        return 1;
    }
    return 0;
}

} // namespace sdksign::gateway
