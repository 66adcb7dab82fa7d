#include "credentials/credential_loader.hpp"

#include <utility>

namespace sdksign::credentials {

namespace {

/// Where a name's flag is kept; 2 for a name that is neither.
std::size_t index_of(std::string_view name) noexcept {
    if (name == meeting_credential) {
        return 0;
    }
    return name == video_credential ? 1 : 2;
}

} // namespace

CredentialLoader::CredentialLoader(Store& store, Store::Fetch fetch)
    : store_(store), fetch_(std::move(fetch)) { }

bool& CredentialLoader::tried(std::string_view name) noexcept {
    return tried_.at(index_of(name));
}

bool CredentialLoader::attempt(std::string_view name, bool required) {
    try {
        if (required) {
            store_.refresh(fetch_, name);
            return true;
        }
        return store_.load_if_present(fetch_, name);
    } catch (const CredentialError& e) {
        failure_ = failure_.value_or(e);
        return true;
    }
}

void CredentialLoader::load(std::string_view name) {
    if (index_of(name) > 1 || tried(name)) {
        return;
    }
    tried(name) = true;
    if (attempt(name, false)) {
        return;
    }
    // Absent. The other was tried before only if it was configured: were it absent, `name` would have been
    // tried right after it, here.
    const std::string_view other = name == meeting_credential ? video_credential : meeting_credential;
    if (tried(other)) {
        return;
    }
    tried(other) = true;
    if (!attempt(other, false)) {
        attempt(meeting_credential, true);
    }
}

void CredentialLoader::load_all() {
    load(meeting_credential);
    load(video_credential);
}

void OnDemandCredentials::load(std::string_view name) const {
    const std::lock_guard lock(mutex_);
    loader_.load(name);
}

CredentialPtr OnDemandCredentials::current(std::string_view name) const {
    load(name);
    return store_.current(name);
}

bool OnDemandCredentials::configured(std::string_view name) const {
    load(name);
    return store_.configured(name);
}

CredentialStatus OnDemandCredentials::status(std::string_view name) const {
    load(name);
    return store_.status(name);
}

} // namespace sdksign::credentials
