#pragma once
// Where handlers get credentials from: an interface, so the router can be tested with fixed credentials.
#include "credentials/credential.hpp"

#include <string_view>

namespace sdksign::credentials {

/// Names of the credentials a provider can serve.
inline constexpr std::string_view meeting_credential = "meeting";

class CredentialSource {
public:
    CredentialSource() = default;
    CredentialSource(const CredentialSource&) = delete;
    CredentialSource& operator=(const CredentialSource&) = delete;
    CredentialSource(CredentialSource&&) = delete;
    CredentialSource& operator=(CredentialSource&&) = delete;
    virtual ~CredentialSource() = default;

    /// The current snapshot of the named credential, or null while it is unavailable.
    [[nodiscard]] virtual CredentialPtr current(std::string_view name) const = 0;
};

} // namespace sdksign::credentials
