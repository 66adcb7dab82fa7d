#include "signing/token_signer.hpp"

#include "errors.hpp"
#include "signing/base64url.hpp"

#include <botan/exceptn.h>

#include <array>

namespace sdksign::signing {

TokenSigner::TokenSigner() {
    try {
        mac_ = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    } catch (const Botan::Exception& e) {
        throw Error(std::string("HMAC(SHA-256) is not available: ") + e.what());
    }
    payload_.reserve(256);
    token_.reserve(512);
}

void TokenSigner::key_for(const credentials::CredentialPtr& credential) {
    if (keyed_with_ == credential) {
        return;
    }
    try {
        mac_->set_key(credential->secret);
    } catch (const Botan::Exception& e) {
        throw Error(std::string("cannot key HMAC: ") + e.what());
    }
    keyed_with_ = credential;
    // Every meeting payload starts with the same appKey/sdkKey claims. base64url maps each 3 input bytes to
    // 4 characters independently, so the encoding of the longest 3-byte multiple of that prefix is the same
    // in every token: encode it once per credential, not once per token.
    std::string prefix;
    append_meeting_payload_prefix(prefix, credential->key_json);
    constant_payload_bytes_ = prefix.size() - prefix.size() % 3;
    constant_prefix_.assign(hs256_header_segment);
    constant_prefix_.push_back('.');
    append_base64url(constant_prefix_,
                     {reinterpret_cast<const std::uint8_t*>(prefix.data()), constant_payload_bytes_});
}

const std::string& TokenSigner::finish_token(std::string_view payload_json, std::size_t encoded_bytes) {
    if (encoded_bytes == 0) {
        token_.assign(hs256_header_segment);
        token_.push_back('.');
    } else {
        token_.assign(constant_prefix_);
    }
    append_base64url(token_,
                     {reinterpret_cast<const std::uint8_t*>(payload_json.data()) + encoded_bytes,
                      payload_json.size() - encoded_bytes});
    mac_->update(reinterpret_cast<const std::uint8_t*>(token_.data()), token_.size());
    std::array<std::uint8_t, 32> tag{};
    mac_->final(tag.data());
    token_.push_back('.');
    append_base64url(token_, tag);
    return token_;
}

const std::string& TokenSigner::sign_meeting(const credentials::CredentialPtr& credential,
                                             const MeetingClaims& claims) {
    key_for(credential);
    payload_.clear();
    append_meeting_payload(payload_, credential->key_json, claims);
    return finish_token(payload_, constant_payload_bytes_);
}

const std::string& TokenSigner::sign_video(const credentials::CredentialPtr& credential,
                                           const VideoClaims& claims) {
    key_for(credential);
    payload_.clear();
    append_video_payload(payload_, credential->key_json, claims);
    // The cached prefix is a meeting payload's: a video payload is encoded whole.
    return finish_token(payload_, 0);
}

const std::string& TokenSigner::sign_payload(const credentials::CredentialPtr& credential,
                                             std::string_view payload_json) {
    key_for(credential);
    return finish_token(payload_json, 0);
}

} // namespace sdksign::signing
