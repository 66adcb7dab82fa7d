#pragma once
// One SDK app's credential as the signing core uses it. Immutable once built: requests share it through a
// shared_ptr snapshot, so a rotation swaps the pointer and never changes a credential under a request.
#include <botan/secmem.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

/// Human-readable name of a fetch status (sdksign_status in the provider ABI; CredentialError::status).
std::string_view status_name(int status) noexcept;

/// A credential as fetched, with the source's hint of when to ask again (0: only on change or failure).
struct FetchResult {
    CredentialPtr credential;
    std::uint32_t refresh_after_s = 0;
};

/// Fetches one named credential within a deadline; throws CredentialError. What the store knows of a source:
/// a provider plugin (Provider::fetcher) or a test's fake.
using FetchFunction = std::function<FetchResult(std::string_view name, std::chrono::milliseconds deadline)>;

} // namespace sdksign::credentials
