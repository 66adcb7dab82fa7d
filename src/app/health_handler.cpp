#include "app/error_body.hpp"
#include "app/handlers.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace sdksign::app {

namespace {

struct Reported {
    std::string_view name;
    credentials::CredentialStatus status;
};

std::string_view state_name(credentials::CredentialState state) {
    switch (state) {
    case credentials::CredentialState::ok:
        return "ok";
    case credentials::CredentialState::stale:
        return "stale";
    case credentials::CredentialState::unavailable:
        break;
    }
    return "unavailable";
}

} // namespace

http::Response handle_health(const http::Request& /*request*/, Services& services) {
    // Every configured credential; a process always has one, but were none configured the Meeting SDK's is
    // the one to report missing.
    std::array<Reported, 2> reported{};
    std::size_t count = 0;
    for (const auto name : {credentials::meeting_credential, credentials::video_credential}) {
        if (services.credentials.configured(name)) {
            reported.at(count++) = {name, services.credentials.status(name)};
        }
    }
    if (count == 0) {
        reported[count++] = {credentials::meeting_credential,
                             services.credentials.status(credentials::meeting_credential)};
    }
    const auto worst =
        std::max_element(reported.begin(), reported.begin() + count,
                         [](const Reported& a, const Reported& b) { return a.status.state < b.status.state; })
            ->status.state;
    std::chrono::seconds failing_for{0};
    std::string failing_names;
    for (std::size_t i = 0; i < count; ++i) {
        if (reported.at(i).status.state == worst && worst != credentials::CredentialState::ok) {
            failing_for = std::max(failing_for, reported.at(i).status.failing_for);
            failing_names += (failing_names.empty() ? "" : " and ") + std::string(reported.at(i).name);
        }
    }

    if (worst != credentials::CredentialState::unavailable) {
        // Stale: still signing with the last good credential, so a load balancer should keep sending traffic.
        http::Response response;
        set_json_headers(response);
        std::string& body = response.body;
        body = worst == credentials::CredentialState::ok ? R"({"status":"ok")" : R"({"status":"degraded")";
        body += R"(,"credentials":{)";
        for (std::size_t i = 0; i < count; ++i) {
            body += (i == 0 ? "\"" : ",\"") + std::string(reported.at(i).name) + "\":\"" +
                std::string(state_name(reported.at(i).status.state)) + "\"";
        }
        body += "}";
        if (worst == credentials::CredentialState::stale) {
            body += R"(,"failing_for_s":)" + std::to_string(failing_for.count());
        }
        body += "}";
        return response;
    }
    // The provider's own message stays in the error log: it may name internal hosts and paths.
    std::string reason = count == 1 ? std::string("The signing credentials are unavailable")
                                    : "The " + failing_names + " signing credentials are unavailable";
    if (failing_for.count() > 0) {
        reason += "; the credential source has been failing for " + std::to_string(failing_for.count()) +
            " s (see the server's error log)";
    }
    return error_response(503, "$credentials", std::move(reason));
}

} // namespace sdksign::app
