#include "http/request.hpp"

namespace sdksign::http {

namespace {

// "Access-Control-Request-Headers" matches "ACCESS_CONTROL_REQUEST_HEADERS".
bool matches_cgi_name(std::string_view http_name, std::string_view cgi_name) {
    if (http_name.size() != cgi_name.size()) {
        return false;
    }
    for (std::size_t i = 0; i < http_name.size(); ++i) {
        char c = http_name[i];
        if (c == '-') {
            c = '_';
        } else if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        if (c != cgi_name[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& [cgi_name, value] : headers) {
        if (matches_cgi_name(name, cgi_name)) {
            return value;
        }
    }
    return std::nullopt;
}

} // namespace sdksign::http
