#pragma once
// The credential store: the current snapshot of each named credential. Requests take a snapshot and keep it
// for their whole life, so replacing a credential never tears a request; the old secret is wiped when the
// last request holding it ends.
#include "credentials/credential_source.hpp"
#include "credentials/provider_plugin.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace sdksign::credentials {

class Store final : public CredentialSource {
public:
    [[nodiscard]] CredentialPtr current(std::string_view name) const override;

    /// Installs a new snapshot (null: unavailable).
    void replace(std::string_view name, CredentialPtr credential);

    /// Fetches `name` from `provider` into the store. On failure the previous snapshot stays, the error is
    /// logged when it differs from the last one (not once per call), and the error is rethrown.
    FetchResult refresh(Provider& provider, std::string_view name, std::chrono::milliseconds deadline);

private:
    mutable std::mutex mutex_;
    std::map<std::string, CredentialPtr, std::less<>> credentials_;
    std::map<std::string, std::string, std::less<>> last_errors_;
};

} // namespace sdksign::credentials
