#include "app/handlers.hpp"
#include "app/meeting_request.hpp"
#include "app/signing_endpoint.hpp"

namespace sdksign::app {

http::Response handle_meeting_signature(const http::Request& request, Services& services) {
    return answer_signing_request<signing::MeetingClaims>(
        request, services, parse_meeting_request, credentials::meeting_credential,
        [&](const credentials::CredentialPtr& credential, const signing::MeetingClaims& claims) {
            return signature_response(services.signer.sign_meeting(credential, claims), credential->key_json);
        });
}

} // namespace sdksign::app
