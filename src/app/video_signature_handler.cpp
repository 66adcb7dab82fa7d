#include "app/handlers.hpp"
#include "app/signing_endpoint.hpp"
#include "app/video_request.hpp"

namespace sdksign::app {

http::Response handle_video_signature(const http::Request& request, Services& services) {
    return answer_signing_request<signing::VideoClaims>(
        request, services, parse_video_request, credentials::video_credential,
        [&](const credentials::CredentialPtr& credential, const signing::VideoClaims& claims) {
            // The video sample answers the signature alone: a Video SDK client is not given the key.
            return signature_response(services.signer.sign_video(credential, claims), {});
        });
}

} // namespace sdksign::app
