#pragma once
// HS256 JWTs. One TokenSigner per thread: a Botan MAC object is not thread-safe, and keeping one keyed MAC
// per thread spares the key schedule on every token.
#include "credentials/credential.hpp"
#include "signing/meeting_claims.hpp"
#include "signing/video_claims.hpp"

#include <botan/mac.h>

#include <memory>
#include <string>
#include <string_view>

namespace sdksign::signing {

/// The first JWT segment, base64url of {"alg":"HS256","typ":"JWT"}; identical for every token.
inline constexpr std::string_view hs256_header_segment = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

class TokenSigner {
public:
    TokenSigner();

    /// Signs a Meeting SDK token with `credential`. The result lives in this signer and is valid until its
    /// next call; copy it out if it must outlive that.
    const std::string& sign_meeting(const credentials::CredentialPtr& credential,
                                    const MeetingClaims& claims);

    /// Signs a Video SDK token with `credential`; the result is valid until the next call, as above.
    const std::string& sign_video(const credentials::CredentialPtr& credential, const VideoClaims& claims);

    /// Signs an arbitrary payload (JSON text); for tools and tests.
    const std::string& sign_payload(const credentials::CredentialPtr& credential,
                                    std::string_view payload_json);

private:
    void key_for(const credentials::CredentialPtr& credential);
    /// The first `encoded_bytes` of `payload_json` must be the credential's constant payload prefix, whose
    /// encoding is in constant_prefix_ already; 0 encodes everything.
    const std::string& finish_token(std::string_view payload_json, std::size_t encoded_bytes);

    std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
    // Holding the credential, not just its address, keeps a freed and reallocated credential from being
    // mistaken for the one the MAC is keyed with.
    credentials::CredentialPtr keyed_with_;
    // The header segment, '.', and the base64url of the first constant_payload_bytes_ of every meeting
    // payload signed with keyed_with_ (a multiple of 3, so its encoding never depends on what follows).
    std::string constant_prefix_;
    std::size_t constant_payload_bytes_ = 0;
    std::string payload_;
    std::string token_;
};

} // namespace sdksign::signing
