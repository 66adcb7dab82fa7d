#include "app/error_body.hpp"
#include "app/handlers.hpp"

#include <string>

namespace sdksign::app {

http::Response handle_health(const http::Request& /*request*/, Services& services) {
    const auto status = services.credentials.status(credentials::meeting_credential);
    switch (status.state) {
    case credentials::CredentialState::ok: {
        http::Response response;
        set_json_headers(response);
        response.body = R"({"status":"ok","credentials":{"meeting":"ok"}})";
        return response;
    }
    case credentials::CredentialState::stale: {
        // Still signing with the last good credential: a load balancer should keep sending traffic.
        http::Response response;
        set_json_headers(response);
        response.body = R"({"status":"degraded","credentials":{"meeting":"stale"},"failing_for_s":)" +
            std::to_string(status.failing_for.count()) + "}";
        return response;
    }
    case credentials::CredentialState::unavailable:
        break;
    }
    // The provider's own message stays in the error log: it may name internal hosts and paths.
    std::string reason = "The signing credentials are unavailable";
    if (status.failing_for.count() > 0) {
        reason += "; the credential source has been failing for " +
            std::to_string(status.failing_for.count()) + " s (see the server's error log)";
    }
    return error_response(503, "$credentials", std::move(reason));
}

} // namespace sdksign::app
