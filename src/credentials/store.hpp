#pragma once
// The credential store: the current snapshot of each named credential, and the policy that keeps it fresh.
// Requests take a snapshot with current() and keep it for their whole life, so replacing a credential never
// tears a request; the old secret is wiped when the last request holding it ends. current() takes a shared
// lock: readers never wait for each other, only for a replacement in progress (a pointer swap). Not
// std::atomic<std::shared_ptr>: libstdc++ 12 makes its loads exclusive (a spin lock in the pointer), so with
// more workers than cores a reader preempted while holding it stalls every other request. Refreshing is
// driven from outside: once synchronously at start-up (refresh), then by a Refresher thread calling
// refresh_due, which follows the provider's hint or a configured interval, retries failures with backoff, and
// after the stale window stops serving the last good credential.
#include "credentials/credential_source.hpp"
#include "credentials/refresh_policy.hpp"
#include "errors.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace sdksign::credentials {

class Store final : public CredentialSource {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Now = std::function<TimePoint()>;
    /// Fetches one named credential; throws CredentialError (Provider::fetcher, or a test's fake).
    using Fetch = FetchFunction;

    explicit Store(RefreshPolicy policy = {}, Now now = std::chrono::steady_clock::now);

    [[nodiscard]] CredentialPtr current(std::string_view name) const override;
    [[nodiscard]] CredentialStatus status(std::string_view name) const override;
    /// True once refresh() or a successful load_if_present() has been called for it.
    [[nodiscard]] bool configured(std::string_view name) const override;

    /// Installs a new snapshot (null: unavailable) without touching the refresh schedule. Unknown names
    /// (neither meeting nor video) are ignored.
    void replace(std::string_view name, CredentialPtr credential);

    /// Fetches `name` now and schedules its next refresh. On failure the previous snapshot stays (within the
    /// stale window), the cause is logged once per change of state, and the CredentialError is rethrown.
    void refresh(const Fetch& fetch, std::string_view name);

    /// The first fetch of a credential the provider may not have (the Video SDK's beside the Meeting SDK's):
    /// SDKSIGN_E_NOT_FOUND leaves it unconfigured and unscheduled, logged at debug only, and returns false.
    /// Otherwise as refresh() (true on success).
    bool load_if_present(const Fetch& fetch, std::string_view name);

    /// Refreshes every credential whose time has come (each one refresh() has been called for once), ends
    /// stale windows that are over, and returns when to call again (TimePoint::max(): never). Never throws.
    TimePoint refresh_due(const Fetch& fetch);

    [[nodiscard]] const RefreshPolicy& policy() const noexcept { return policy_; }

private:
    struct Slot {
        std::string_view name;
        /// Set once, at start-up; read on every request's path, hence atomic rather than under mutex_.
        std::atomic<bool> configured{false};
        /// Guarded by snapshot_mutex_.
        CredentialPtr credential;
        // Everything below is guarded by mutex_; only the refresh path and status() touch it.
        bool scheduled = false;
        CredentialState state = CredentialState::unavailable;
        TimePoint next_attempt = TimePoint::max();
        TimePoint failing_since{};
        /// Time between refreshes after the last success (zero: none scheduled).
        std::chrono::milliseconds interval{0};
        std::chrono::milliseconds retry_delay{0};
    };

    Slot* find(std::string_view name) noexcept;
    /// The slot of `name`; throws CredentialError (not found) for a name that is neither.
    Slot& slot_named(std::string_view name);
    [[nodiscard]] CredentialPtr snapshot(const Slot& slot) const;
    [[nodiscard]] const Slot* find(std::string_view name) const noexcept;
    /// Fetches `slot` now; `absent_ok`: a provider without it returns false instead of a failure.
    bool attempt(Slot& slot, const Fetch& fetch, bool absent_ok);
    void succeeded(Slot& slot, FetchResult& result, TimePoint now);
    void failed(Slot& slot, const CredentialError& error, TimePoint now);
    void expire_if_stale(Slot& slot, TimePoint now);
    [[nodiscard]] std::chrono::seconds max_retry_delay() const noexcept;

    RefreshPolicy policy_;
    Now now_;
    std::array<Slot, 2> slots_;
    mutable std::mutex mutex_;
    mutable std::shared_mutex snapshot_mutex_;
};

} // namespace sdksign::credentials
