#include "gateway/cgi_gateway.hpp"

#include "gateway/body_reader.hpp"
#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX declares it nowhere in C++

namespace sdksign::gateway {

namespace {

/// Past this much, an over-limit body is no longer read off stdin before answering: the server has its own
/// body limit long before, and a larger one is an attack that may lose its answer.
constexpr std::size_t max_discarded_bytes = std::size_t{64} << 20;

/// stdin, read as it arrives.
class StdinSource final : public ByteSource {
public:
    std::size_t read_some(char* into, std::size_t size) override {
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, into, size);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return n > 0 ? static_cast<std::size_t>(n) : 0;
        }
    }
};

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

int serve_cgi(std::size_t max_body_bytes, const RequestHandler& handler) {
    http::Request request = request_from_variables(environ);
    BodyLimits limits;
    limits.max_body_bytes = max_body_bytes;
    // Apache's mod_cgi and mod_cgid pass a chunked request's body on without a length, naming its
    // Transfer-Encoding; without either, CGI has no body.
    limits.read_undeclared = std::getenv("HTTP_TRANSFER_ENCODING") != nullptr;
    limits.max_discarded_bytes = max_discarded_bytes;
    StdinSource stdin_source;
    std::string body;
    read_request_body(stdin_source, limits, body, request);
    const http::Response response = handler(request);
    if (!write_all(STDOUT_FILENO, http::serialize_cgi(response))) {
        log::error("cgi", "cannot write the response to stdout");
        return 1;
    }
    return 0;
}

} // namespace sdksign::gateway
