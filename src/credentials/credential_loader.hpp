#pragma once
// The first fetch of each credential, and the one rule that decides which absence is a failure: an app has a
// Meeting SDK credential, a Video SDK credential or both, so either may be missing, but not both; then the
// Meeting credential's absence is the failure, as it was before the Video SDK. A long-lived process loads
// both at start-up (load_all); a CGI process loads only what its one request asks for (OnDemandCredentials),
// so that a Meeting SDK request never waits for the Video SDK credential's fetch (a second Vault round trip,
// a second read of the file) that it has no use for.
#include "credentials/credential_source.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"

#include <array>
#include <mutex>
#include <optional>
#include <string_view>

namespace sdksign::credentials {

class CredentialLoader {
public:
    CredentialLoader(Store& store, Store::Fetch fetch);

    /// Fetches `name` into the store unless it was tried already. If the provider has no such credential
    /// and no other either, fetches the Meeting credential as required, so that its absence is logged and
    /// its endpoint answers 503. A failure is logged by the store and kept (failure()), never thrown.
    /// Names other than meeting and video are ignored.
    void load(std::string_view name);

    /// Both credentials, as a process that serves every endpoint needs them.
    void load_all();

    /// The first failure of a fetch, if any ("not configured" is none, unless neither credential is).
    [[nodiscard]] const std::optional<CredentialError>& failure() const noexcept { return failure_; }

private:
    /// True once `name` is configured, or failed to load (then configured too).
    bool attempt(std::string_view name, bool required);
    bool& tried(std::string_view name) noexcept;

    Store& store_;
    Store::Fetch fetch_;
    std::array<bool, 2> tried_{};
    std::optional<CredentialError> failure_;
};

/// The store seen through a loader: each credential is fetched the first time the request asks about it.
/// For a process that answers one request (CGI); thread-safe, but each first question waits for its fetch.
class OnDemandCredentials final : public CredentialSource {
public:
    OnDemandCredentials(Store& store, CredentialLoader& loader) : store_(store), loader_(loader) { }

    [[nodiscard]] CredentialPtr current(std::string_view name) const override;
    [[nodiscard]] bool configured(std::string_view name) const override;
    [[nodiscard]] CredentialStatus status(std::string_view name) const override;

private:
    void load(std::string_view name) const;

    Store& store_;
    CredentialLoader& loader_;
    mutable std::mutex mutex_;
};

} // namespace sdksign::credentials
