#include "credentials/store.hpp"

#include "errors.hpp"
#include "log/log.hpp"

namespace sdksign::credentials {

CredentialPtr Store::current(std::string_view name) const {
    const std::lock_guard lock(mutex_);
    const auto it = credentials_.find(name);
    return it == credentials_.end() ? nullptr : it->second;
}

void Store::replace(std::string_view name, CredentialPtr credential) {
    CredentialPtr previous;
    {
        const std::lock_guard lock(mutex_);
        auto& slot = credentials_[std::string(name)];
        previous = std::move(slot);
        slot = std::move(credential);
    }
    // `previous` dies here, outside the lock; its secure_vector wipes the old secret.
}

FetchResult Store::refresh(Provider& provider, std::string_view name, std::chrono::milliseconds deadline) {
    try {
        auto result = provider.fetch(name, deadline);
        replace(name, result.credential);
        bool recovered = false;
        {
            const std::lock_guard lock(mutex_);
            recovered = last_errors_.erase(std::string(name)) > 0;
        }
        if (recovered) {
            log::info("credentials", "credential " + std::string(name) + " is usable again");
        }
        return result;
    } catch (const CredentialError& e) {
        bool changed = false;
        {
            const std::lock_guard lock(mutex_);
            auto& last = last_errors_[std::string(name)];
            changed = last != e.what();
            last = e.what();
        }
        if (changed) {
            log::error("credentials",
                       std::string(e.what()) + " (" + std::string(status_name(e.status())) + ")");
        }
        throw;
    }
}

} // namespace sdksign::credentials
