#include "gateway/cgi_variables.hpp"

#include <charconv>

namespace sdksign::gateway {

std::optional<std::size_t> parse_content_length(std::string_view text) {
    std::size_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || result.ec != std::errc() || result.ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

http::Request request_from_variables(const char* const* variables) {
    http::Request request;
    fill_request_from_variables(variables, request);
    return request;
}

void fill_request_from_variables(const char* const* variables, http::Request& request) {
    // Start from a fresh request but keep the header list's storage: a worker reuses one Request.
    auto headers = std::move(request.headers);
    headers.clear();
    request = http::Request{};
    request.headers = std::move(headers);
    request.method = "GET";
    request.path = "/";
    // First occurrence wins, as FCGX_GetParam does (nginx may send a param twice).
    bool have_method = false;
    bool have_path = false;
    bool have_type = false;
    bool have_length = false;
    bool have_remote = false;
    bool have_user = false;
    for (const char* const* entry = variables; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string_view::npos) {
            continue;
        }
        const auto name = text.substr(0, equals);
        const auto value = text.substr(equals + 1);
        if (name.starts_with("HTTP_")) {
            request.headers.emplace_back(name.substr(5), value);
        } else if (name == "REQUEST_METHOD" && !have_method) {
            request.method = value;
            have_method = true;
        } else if (name == "PATH_INFO" && !have_path) {
            if (!value.empty()) {
                request.path = value;
            }
            have_path = true;
        } else if (name == "CONTENT_TYPE" && !have_type) {
            request.content_type = value;
            have_type = true;
        } else if (name == "CONTENT_LENGTH" && !have_length) {
            request.content_length = parse_content_length(value);
            request.body_incomplete = !value.empty() && !request.content_length;
            have_length = true;
        } else if (name == "REMOTE_ADDR" && !have_remote) {
            request.remote_addr = value;
            have_remote = true;
        } else if (name == "REMOTE_USER" && !have_user) {
            request.remote_user = value;
            have_user = true;
        }
    }
}

} // namespace sdksign::gateway
