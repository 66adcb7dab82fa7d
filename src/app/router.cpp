#include "app/router.hpp"

#include "app/access_control.hpp"
#include "app/cors.hpp"
#include "app/error_body.hpp"
#include "app/handlers.hpp"
#include "log/log.hpp"

#include <algorithm>
#include <array>
#include <exception>

namespace sdksign::app {

namespace {

using Handler = http::Response (*)(const http::Request&, Services&);

struct Route {
    const std::string* path;
    std::string_view allowed; // the Allow header: exactly the methods this route answers
    std::array<std::string_view, 3> methods;
    Handler handler;
    /// The access policy applies (the signing endpoints; the health endpoint stays open).
    bool guarded;
    /// The credential a signing endpoint signs with: without it configured the route does not exist.
    std::string_view credential;
};

http::Response dispatch(const http::Request& request, Services& services) {
    const Settings& settings = services.settings;
    const std::string_view path = request.path.empty() ? std::string_view("/") : request.path;
    const std::array<Route, 3> routes{{
        {&settings.sign_path,
         "POST, OPTIONS",
         {"POST", "", ""},
         handle_meeting_signature,
         true,
         credentials::meeting_credential},
        {&settings.video_sign_path,
         "POST, OPTIONS",
         {"POST", "", ""},
         handle_video_signature,
         true,
         credentials::video_credential},
        {&settings.health_path, "GET, HEAD, OPTIONS", {"GET", "HEAD", ""}, handle_health, false, {}},
    }};
    for (const auto& route : routes) {
        if (*route.path != path ||
            (!route.credential.empty() && !services.credentials.configured(route.credential))) {
            continue;
        }
        const bool preflight = request.method == "OPTIONS";
        const bool answered = preflight ||
            std::any_of(route.methods.begin(), route.methods.end(),
                        [&](std::string_view method) { return !method.empty() && method == request.method; });
        if (answered) {
            // A wrong method is a 405 whoever asks; the policy only stands before what the route answers.
            if (route.guarded) {
                if (auto refusal = refuse_caller(request, settings, preflight)) {
                    return std::move(*refusal);
                }
            }
            if (preflight) {
                return preflight_response(request, settings, route.allowed);
            }
            auto response = route.handler(request, services);
            response.omit_body = request.method == "HEAD";
            return response;
        }
        auto response = error_response(405, "$method",
                                       "Method " + std::string(request.method.substr(0, 16)) +
                                           " is not allowed here; use one of: " + std::string(route.allowed));
        response.set_header("Allow", route.allowed);
        response.omit_body = request.method == "HEAD";
        return response;
    }
    auto response = error_response(404, "$path", "No such endpoint");
    response.omit_body = request.method == "HEAD";
    return response;
}

} // namespace

http::Response route(const http::Request& request, Services& services) noexcept {
    http::Response response;
    try {
        response = dispatch(request, services);
    } catch (const std::exception& e) {
        log::error("router", std::string("request failed: ") + e.what());
        response = error_response(500, "$server", "Internal error; see the server log");
    } catch (...) {
        log::error("router", "request failed with an unknown exception");
        response = error_response(500, "$server", "Internal error; see the server log");
    }
    try {
        if (response.status != 204) { // a preflight has its CORS headers already
            add_cors_headers(request, services.settings, response);
        }
    } catch (...) {
        // Only allocation can fail here; the response is still well-formed without CORS headers.
    }
    return response;
}

} // namespace sdksign::app
