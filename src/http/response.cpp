#include "http/response.hpp"

#include <strings.h>

#include <array>
#include <charconv>

namespace sdksign::http {

void Response::set_header(std::string_view name, std::string_view value) {
    for (auto& [existing, existing_value] : headers) {
        if (existing.size() == name.size() && ::strncasecmp(existing.data(), name.data(), name.size()) == 0) {
            existing_value = value;
            return;
        }
    }
    headers.emplace_back(name, value);
}

const std::string* Response::find_header(std::string_view name) const {
    for (const auto& [existing, value] : headers) {
        if (existing.size() == name.size() && ::strncasecmp(existing.data(), name.data(), name.size()) == 0) {
            return &value;
        }
    }
    return nullptr;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void append_cgi(std::string& out, const Response& response) {
    std::array<char, 24> digits{};
    out += "Status: ";
    const char* end = std::to_chars(digits.data(), digits.data() + digits.size(), response.status).ptr;
    out.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
    out.push_back(' ');
    out += reason_phrase(response.status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (response.status != 204) {
        out += "Content-Length: ";
        end = std::to_chars(digits.data(), digits.data() + digits.size(), response.body.size()).ptr;
        out.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
        out += "\r\n";
    }
    out += "\r\n";
    if (!response.omit_body && response.status != 204) {
        out += response.body;
    }
}

std::string serialize_cgi(const Response& response) {
    std::string out;
    out.reserve(256 + response.body.size());
    append_cgi(out, response);
    return out;
}

} // namespace sdksign::http
