#include "app/signing_endpoint.hpp"

#include "app/error_body.hpp"

#include <strings.h>

#include <string>

namespace sdksign::app {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

/// Accepts `application/json`, with an optional `charset=utf-8` (any other parameter is ignored, as
/// Express does, but another charset is refused: the body is parsed as UTF-8).
std::optional<std::string> content_type_problem(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    if (!equals_ignoring_case(trim(content_type.substr(0, semicolon)), "application/json")) {
        return "Content-Type must be application/json";
    }
    std::string_view parameters =
        semicolon == std::string_view::npos ? "" : content_type.substr(semicolon + 1);
    while (!parameters.empty()) {
        const auto next = parameters.find(';');
        const auto parameter = trim(parameters.substr(0, next));
        parameters = next == std::string_view::npos ? "" : parameters.substr(next + 1);
        const auto equals = parameter.find('=');
        if (equals == std::string_view::npos ||
            !equals_ignoring_case(trim(parameter.substr(0, equals)), "charset")) {
            continue;
        }
        auto charset = trim(parameter.substr(equals + 1));
        if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
            charset = charset.substr(1, charset.size() - 2);
        }
        if (!equals_ignoring_case(charset, "utf-8")) {
            return "Unsupported charset; the body must be UTF-8";
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<http::Response> refuse_body(const http::Request& request, const Settings& settings) {
    if (request.body_too_large || request.body.size() > settings.max_body_bytes ||
        (request.content_length && *request.content_length > settings.max_body_bytes)) {
        return error_response(413, "$body",
                              "Body is larger than the limit of " + std::to_string(settings.max_body_bytes) +
                                  " bytes");
    }
    if (request.body_incomplete) {
        return error_response(400, "$body",
                              "The body does not match its Content-Length (cut short or malformed)");
    }
    if (request.content_type && !request.content_type->empty()) {
        if (auto problem = content_type_problem(*request.content_type)) {
            return error_response(415, "Content-Type", std::move(*problem));
        }
    } else if (!request.body.empty()) {
        return error_response(415, "Content-Type", "Content-Type must be application/json");
    }
    return std::nullopt;
}

http::Response credentials_unavailable() {
    return error_response(503, "$credentials", "The signing credentials are unavailable; try again later");
}

TokenTimes token_times(const Services& services, std::optional<std::int64_t> expiration_seconds) {
    const Settings& settings = services.settings;
    TokenTimes times;
    times.iat = services.clock.now_seconds() - settings.iat_backdate_seconds;
    times.exp = times.iat + expiration_seconds.value_or(settings.default_expiration_seconds);
    return times;
}

http::Response signature_response(std::string_view token, std::string_view key_json) {
    http::Response response;
    set_json_headers(response);
    std::string& body = response.body;
    body.reserve(token.size() + key_json.size() + 32);
    body = R"({"signature":")";
    body += token; // base64url and dots: nothing to escape
    body.push_back('"');
    if (!key_json.empty()) {
        body += R"(,"sdkKey":)";
        body += key_json;
    }
    body.push_back('}');
    return response;
}

} // namespace sdksign::app
