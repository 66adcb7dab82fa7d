#include "app/access_control.hpp"

#include "app/cors.hpp"
#include "app/error_body.hpp"
#include "log/log.hpp"

#include <botan/mem_ops.h>

#include <strings.h>

#include <string>

namespace sdksign::app {

namespace {

constexpr std::string_view bearer_scheme = "Bearer";

bool has_authenticated_user(const http::Request& request) {
    // nginx sends REMOTE_USER empty when no authentication ran. Where none runs, its $remote_user is the
    // unchecked name of a client's Basic credentials, which is why the shipped nginx locations send an
    // empty REMOTE_USER ahead of fastcgi_params' (the first one wins, see gateway/cgi_variables.cpp).
    return !request.remote_user.empty();
}

/// The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, RFC 6750), or nullopt.
std::optional<std::string_view> presented_bearer_token(const http::Request& request) {
    const auto header = request.header("Authorization");
    if (!header || header->size() <= bearer_scheme.size() ||
        ::strncasecmp(header->data(), bearer_scheme.data(), bearer_scheme.size()) != 0 ||
        (*header)[bearer_scheme.size()] != ' ') {
        return std::nullopt;
    }
    auto token = header->substr(bearer_scheme.size());
    while (!token.empty() && token.front() == ' ') {
        token.remove_prefix(1);
    }
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
    }
    return token;
}

bool bearer_token_matches(const http::Request& request, const AccessPolicy& policy) {
    const auto token = presented_bearer_token(request);
    if (!token) {
        return false;
    }
    // Digests of equal size, compared in constant time: neither the content nor the length of the real
    // token can be learnt from how long a refusal takes.
    const auto digest = bearer_token_digest(*token);
    return digest.size() == policy.bearer_token_digest.size() &&
        Botan::constant_time_compare(digest.data(), policy.bearer_token_digest.data(), digest.size());
}

/// Refusals are logged (one line, no header values: an Origin or a token may be anything a client chose),
/// so an operator can tell a misconfigured client from an attack.
http::Response refused(const http::Request& request, int status, std::string property, std::string reason,
                       std::string_view what) {
    log::info("access",
              std::string("refused ") + std::string(what) + " from " +
                  std::string(request.remote_addr.empty() ? "an unknown address" : request.remote_addr));
    return error_response(status, std::move(property), std::move(reason));
}

std::optional<http::Response> refuse_unauthenticated_host(const http::Request& request,
                                                          const AccessPolicy& policy,
                                                          std::optional<int> role) {
    if (policy.require_user == UserRequirement::host && role == 1 && !has_authenticated_user(request)) {
        return refused(request, 403, "role",
                       "Host tokens (role 1) need a signed-in user; the web server did not authenticate "
                       "this request",
                       "a host token without an authenticated user");
    }
    return std::nullopt;
}

} // namespace

std::optional<http::Response> refuse_caller(const http::Request& request, const Settings& settings,
                                            bool preflight) {
    const AccessPolicy& policy = settings.access;
    if (policy.origin_check != OriginCheck::off) {
        const auto origin = request.header("Origin");
        if (!origin) {
            if (policy.origin_check == OriginCheck::strict) {
                return refused(
                    request, 403, "Origin",
                    "This endpoint only answers browsers on the sites it serves (no Origin header)",
                    "a request without Origin");
            }
        } else if (!is_listed_origin(settings, *origin)) {
            return refused(request, 403, "Origin", "This origin may not request signatures",
                           "a request from an origin not on the allow-list");
        }
    }
    if (preflight) {
        return std::nullopt;
    }
    if (!policy.bearer_token_digest.empty() && !bearer_token_matches(request, policy)) {
        auto response = refused(request, 401, "Authorization",
                                "A valid bearer token is required (Authorization: Bearer TOKEN)",
                                "a request without a valid bearer token");
        response.set_header("WWW-Authenticate", R"(Bearer realm="sdksign")");
        return response;
    }
    if (policy.require_user == UserRequirement::all && !has_authenticated_user(request)) {
        return refused(request, 403, "$user",
                       "Signing in is required; the web server did not authenticate this request",
                       "a request without an authenticated user");
    }
    return std::nullopt;
}

std::optional<http::Response> refuse_token(const http::Request& request, const Settings& settings,
                                           const MeetingTokenRequest& token) {
    const AccessPolicy& policy = settings.access;
    if (auto refusal = refuse_unauthenticated_host(request, policy, token.claims.role)) {
        return refusal;
    }
    if (!policy.allowed_meetings.empty()) {
        if (!token.claims.meeting_number) {
            // A token without a meeting number is valid for every meeting: it would bypass the list.
            return refused(request, 403, "meetingNumber",
                           "A meetingNumber is required: this server signs only for listed meetings",
                           "a token for any meeting while a meeting allow-list is set");
        }
        if (!policy.allows_meeting(token.claims.meeting_number->digits)) {
            return refused(request, 403, "meetingNumber", "This meeting number may not be signed here",
                           "a meeting number not on the allow-list");
        }
    }
    return std::nullopt;
}

std::optional<http::Response> refuse_token(const http::Request& request, const Settings& settings,
                                           const VideoTokenRequest& token) {
    return refuse_unauthenticated_host(request, settings.access, token.claims.role_type);
}

} // namespace sdksign::app
