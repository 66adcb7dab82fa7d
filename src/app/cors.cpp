#include "app/cors.hpp"

#include <algorithm>
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

} // namespace

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
