#pragma once
// One SDK app's credential as the signing core uses it. Immutable once built: requests share it through a
// shared_ptr snapshot, so a rotation swaps the pointer and never changes a credential under a request.
#include <botan/secmem.h>

#include <cstdint>
#include <memory>
#include <string>

namespace sdksign::credentials {

struct Credential {
    /// The SDK key (client id); public, it goes into tokens and responses.
    std::string key;
    /// `key` as a JSON string literal, quotes included, computed once here instead of once per token.
    std::string key_json;
    /// The SDK secret; the HMAC key is its UTF-8 bytes. secure_vector wipes it when the credential dies.
    Botan::secure_vector<std::uint8_t> secret;
};

using CredentialPtr = std::shared_ptr<const Credential>;

/// Builds a credential, precomputing what the hot path needs.
CredentialPtr make_credential(std::string key, Botan::secure_vector<std::uint8_t> secret);

} // namespace sdksign::credentials
