#pragma once
// Where handlers get credentials from: an interface, so the router can be tested with fixed credentials.
#include "credentials/credential.hpp"

#include <sdksign/provider.h>

#include <chrono>
#include <string_view>

namespace sdksign::credentials {

/// Names of the credentials a provider can serve, as the provider ABI spells them.
inline constexpr std::string_view meeting_credential = SDKSIGN_CREDENTIAL_MEETING;
inline constexpr std::string_view video_credential = SDKSIGN_CREDENTIAL_VIDEO;

/// Whether a credential can be signed with, for the health endpoint; from best to worst (health compares
/// them).
enum class CredentialState {
    /// The last refresh succeeded.
    ok,
    /// Refreshes fail, but the last good credential is still served (within the stale window).
    stale,
    /// Nothing to sign with: never fetched, or the stale window is over.
    unavailable,
};

struct CredentialStatus {
    CredentialState state = CredentialState::unavailable;
    /// How long refreshes have been failing (zero when they are not, or when unknown).
    std::chrono::seconds failing_for{0};
};

class CredentialSource {
public:
    CredentialSource() = default;
    CredentialSource(const CredentialSource&) = delete;
    CredentialSource& operator=(const CredentialSource&) = delete;
    CredentialSource(CredentialSource&&) = delete;
    CredentialSource& operator=(CredentialSource&&) = delete;
    virtual ~CredentialSource() = default;

    /// The current snapshot of the named credential, or null while it is unavailable. On every request's
    /// path, so implementations keep it cheap.
    [[nodiscard]] virtual CredentialPtr current(std::string_view name) const = 0;

    /// Whether the named credential is configured at all, so that its endpoint exists. A configured one may
    /// still be unavailable for a while (503); an unconfigured one's endpoint answers 404. A source that
    /// knows no more than what it holds: whether it holds it.
    [[nodiscard]] virtual bool configured(std::string_view name) const { return current(name) != nullptr; }

    /// The state of the named credential; a source without refreshes only knows "there or not".
    [[nodiscard]] virtual CredentialStatus status(std::string_view name) const {
        return {current(name) ? CredentialState::ok : CredentialState::unavailable, {}};
    }
};

} // namespace sdksign::credentials
