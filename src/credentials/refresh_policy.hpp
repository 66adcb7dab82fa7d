#pragma once
// How the credential store keeps a credential fresh: its own header, so that the options (which fill it)
// need nothing else of the credentials folder.
#include <chrono>

namespace sdksign::credentials {

struct RefreshPolicy {
    /// Time between successful refreshes; zero follows the provider's hint (and zero hint: never).
    std::chrono::milliseconds refresh_interval{0};
    /// How long the last good credential is still served after refreshes start failing.
    std::chrono::seconds stale_after{300};
    /// Bound on one fetch, handed to the provider as its deadline.
    std::chrono::milliseconds fetch_timeout{5000};
};

} // namespace sdksign::credentials
