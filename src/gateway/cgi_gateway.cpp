#include "gateway/cgi_gateway.hpp"

#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX declares it nowhere in C++

namespace sdksign::gateway {

namespace {

/// Past this much, an over-limit body is no longer read off stdin before answering: the server has its own
/// body limit long before, and a larger one is an attack that may lose its answer.
constexpr std::size_t max_discarded_bytes = std::size_t{64} << 20;

/// Reads up to `want` bytes of stdin into `buffer` (from `got` on), stopping early at end of file.
std::size_t read_stdin(std::string& buffer, std::size_t got, std::size_t want) {
    buffer.resize(want);
    while (got < want) {
        const ssize_t n = ::read(STDIN_FILENO, buffer.data() + got, want - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    buffer.resize(got);
    return got;
}

/// Reads and drops what the server still sends (at most `at_most` bytes). A CGI program that exits with
/// its input unread resets the server's socket to it, and Apache's mod_cgid then loses the response.
void discard_stdin(std::size_t at_most) {
    std::string scratch;
    std::size_t dropped = 0;
    while (dropped < at_most) {
        const std::size_t got = read_stdin(scratch, 0, std::min<std::size_t>(at_most - dropped, 65536));
        if (got == 0) {
            return;
        }
        dropped += got;
    }
}

/// Reads the body: CONTENT_LENGTH bytes or, when the server passes a body on without a length (Apache's
/// mod_cgi and mod_cgid do so with a chunked request, naming its Transfer-Encoding), up to end of file.
/// Keeps at most `limit` bytes; false when the body is larger.
bool read_stdin_body(std::optional<std::size_t> declared, bool until_eof, std::size_t limit,
                     std::string& body) {
    if (declared && *declared > limit) {
        discard_stdin(std::min(*declared, max_discarded_bytes));
        return false;
    }
    if (!declared && until_eof) {
        if (read_stdin(body, 0, limit + 1) > limit) {
            discard_stdin(max_discarded_bytes);
            body.clear();
            return false;
        }
        return true;
    }
    // CGI without CONTENT_LENGTH otherwise has no body (RFC 3875 4.2).
    read_stdin(body, 0, declared ? *declared : 0);
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
    const bool until_eof = std::getenv("HTTP_TRANSFER_ENCODING") != nullptr;
    request.body_too_large = !read_stdin_body(request.content_length, until_eof, max_body_bytes, body);
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
