#pragma once
// One HTTP response as handlers produce it; gateways serialise it (CGI header block, then the body).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdksign::http {

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// HEAD: headers as for GET, no body on the wire.
    bool omit_body = false;

    void set_header(std::string_view name, std::string_view value);
    [[nodiscard]] const std::string* find_header(std::string_view name) const;
};

/// The reason phrase for a status code; every status this program sends has one, since nginx sends an empty
/// reason when the application omits it.
std::string_view reason_phrase(int status) noexcept;

/// The CGI/FastCGI response: "Status: 200 OK", the headers, Content-Length, a blank line, then the body.
std::string serialize_cgi(const Response& response);

/// Appends the same to `out`, reusing its capacity (the FastCGI workers' hot path).
void append_cgi(std::string& out, const Response& response);

} // namespace sdksign::http
