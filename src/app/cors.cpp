#include "app/cors.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace sdksign::app {

namespace {

// Header names are tokens; echoing anything else would let a client inject into our response headers.
bool is_header_list(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == ',' || c == ' ';
    });
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

std::optional<std::string> canonical_origin(std::string_view origin) {
    constexpr unsigned max_port = 65535;
    const auto separator = origin.find("://");
    if (separator == std::string_view::npos || separator == 0) {
        return std::nullopt;
    }
    const auto scheme = origin.substr(0, separator);
    const bool scheme_ok = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
            c == '-' || c == '.';
    });
    auto authority = origin.substr(separator + 3);
    // Printable ASCII without the characters that start a path, query, fragment or user part.
    const bool authority_ok = std::all_of(authority.begin(), authority.end(), [](char c) {
        return c > ' ' && c < 0x7F && c != '/' && c != '?' && c != '#' && c != '@' && c != '\\' && c != '*';
    });
    if (!scheme_ok || !authority_ok || authority.empty()) {
        return std::nullopt;
    }
    // The port follows the last ':' unless that ':' is inside an IPv6 literal ([::1]).
    std::string_view host = authority;
    std::string_view port_text;
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
        host = authority.substr(0, colon);
        port_text = authority.substr(colon + 1);
    }
    if (host.empty()) {
        return std::nullopt;
    }
    std::string result;
    result.reserve(origin.size());
    std::transform(scheme.begin(), scheme.end(), std::back_inserter(result), lower);
    result += "://";
    std::transform(host.begin(), host.end(), std::back_inserter(result), lower);
    if (!port_text.empty()) {
        unsigned port = 0;
        const auto [end, error] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
            port > max_port) {
            return std::nullopt;
        }
        const bool default_port =
            (result.starts_with("https://") && port == 443) || (result.starts_with("http://") && port == 80);
        if (!default_port) {
            result += ":" + std::to_string(port);
        }
    }
    return result;
}

bool is_listed_origin(const Settings& settings, std::string_view origin) {
    return std::find(settings.allowed_origins.begin(), settings.allowed_origins.end(), origin) !=
        settings.allowed_origins.end();
}

void add_cors_headers(const http::Request& request, const Settings& settings, http::Response& response) {
    if (settings.allowed_origins.empty()) {
        response.set_header("Access-Control-Allow-Origin", "*");
        return;
    }
    // The answer depends on the Origin header, so caches must key on it.
    response.set_header("Vary", "Origin");
    const auto origin = request.header("Origin");
    if (origin && is_listed_origin(settings, *origin)) {
        response.set_header("Access-Control-Allow-Origin", *origin);
    }
}

http::Response preflight_response(const http::Request& request, const Settings& settings,
                                  std::string_view allowed_methods) {
    http::Response response;
    response.status = 204;
    response.set_header("Allow", allowed_methods);
    response.set_header("Access-Control-Allow-Methods", allowed_methods);
    std::string vary = settings.allowed_origins.empty() ? "" : "Origin, ";
    const auto requested = request.header("Access-Control-Request-Headers");
    if (requested && !requested->empty() && is_header_list(*requested)) {
        // Like the sample, allow what the browser asks for (Content-Type from the Meeting SDK samples).
        response.set_header("Access-Control-Allow-Headers", *requested);
    }
    vary += "Access-Control-Request-Headers";
    response.set_header("Access-Control-Max-Age", std::to_string(settings.cors_max_age_seconds));
    add_cors_headers(request, settings, response);
    response.set_header("Vary", vary);
    return response;
}

} // namespace sdksign::app
