#include "credentials/store.hpp"

#include "errors.hpp"
#include "log/log.hpp"

#include <sdksign/provider.h>

#include <botan/mem_ops.h>

#include <algorithm>

namespace sdksign::credentials {

namespace {

/// A provider hint beyond this is treated as "once a day", so that a typo cannot stop refreshes for years.
constexpr std::chrono::seconds longest_refresh{86400};
constexpr std::chrono::seconds first_retry{1};
constexpr std::chrono::seconds longest_retry{30};

bool same_credential(const CredentialPtr& a, const CredentialPtr& b) {
    return a && b && a->key == b->key && a->secret.size() == b->secret.size() &&
        Botan::constant_time_compare(a->secret.data(), b->secret.data(), a->secret.size());
}

std::string describe(const CredentialError& error) {
    return std::string(error.what()) + " (" + std::string(status_name(error.status())) + ")";
}

} // namespace

Store::Store(RefreshPolicy policy, Now now) : policy_(policy), now_(std::move(now)) {
    slots_[0].name = meeting_credential;
    slots_[1].name = video_credential;
}

Store::Slot* Store::find(std::string_view name) noexcept {
    for (auto& slot : slots_) {
        if (slot.name == name) {
            return &slot;
        }
    }
    return nullptr;
}

const Store::Slot* Store::find(std::string_view name) const noexcept {
    for (const auto& slot : slots_) {
        if (slot.name == name) {
            return &slot;
        }
    }
    return nullptr;
}

CredentialPtr Store::current(std::string_view name) const {
    // Two names at most: comparing them is cheaper than any lookup structure.
    const Slot* slot = find(name);
    return slot == nullptr ? nullptr : snapshot(*slot);
}

CredentialStatus Store::status(std::string_view name) const {
    const Slot* slot = find(name);
    if (slot == nullptr) {
        return {};
    }
    const std::lock_guard lock(mutex_);
    if (!slot->scheduled) {
        return {snapshot(*slot) ? CredentialState::ok : CredentialState::unavailable, {}};
    }
    CredentialStatus status{slot->state, {}};
    if (slot->state != CredentialState::ok && slot->failing_since != TimePoint{}) {
        status.failing_for = std::chrono::duration_cast<std::chrono::seconds>(now_() - slot->failing_since);
    }
    return status;
}

bool Store::configured(std::string_view name) const {
    const Slot* slot = find(name);
    return slot != nullptr && slot->configured.load(std::memory_order_acquire);
}

void Store::replace(std::string_view name, CredentialPtr credential) {
    Slot* slot = find(name);
    if (slot == nullptr) {
        return;
    }
    {
        const std::unique_lock lock(snapshot_mutex_);
        slot->credential.swap(credential);
    }
    // The previous snapshot dies here, outside the lock, or with the last request holding it; its
    // secure_vector wipes it.
    credential.reset();
}

CredentialPtr Store::snapshot(const Slot& slot) const {
    const std::shared_lock lock(snapshot_mutex_);
    return slot.credential;
}

std::chrono::seconds Store::max_retry_delay() const noexcept {
    // Retry at least ten times within the stale window, so a source that comes back is noticed in time.
    return std::clamp(policy_.stale_after / 10, first_retry, longest_retry);
}

void Store::succeeded(Slot& slot, FetchResult& result, TimePoint now) {
    std::chrono::milliseconds interval = policy_.refresh_interval.count() > 0
        ? policy_.refresh_interval
        : std::chrono::seconds(result.refresh_after_s);
    interval = std::min<std::chrono::milliseconds>(interval, longest_refresh);
    CredentialState previous = CredentialState::unavailable;
    bool first_attempt = false;
    {
        const std::lock_guard lock(mutex_);
        previous = slot.state;
        first_attempt = !slot.scheduled;
        slot.scheduled = true;
        slot.state = CredentialState::ok;
        slot.failing_since = {};
        slot.retry_delay = std::chrono::milliseconds(0);
        slot.interval = interval;
        slot.next_attempt = interval.count() > 0 ? now + interval : TimePoint::max();
    }
    const auto held = snapshot(slot);
    const bool rotated = !same_credential(held, result.credential);
    if (rotated) {
        replace(slot.name, result.credential);
    } else {
        // Unchanged: keep the snapshot requests already use (and the state keyed on it); the fetched copy
        // is wiped when `result` lets go of it.
        result.credential = held;
    }
    const std::string name(slot.name);
    if (first_attempt) {
        log::debug("credentials", "credential " + name + " loaded");
    } else if (previous != CredentialState::ok) {
        log::info("credentials", "credential " + name + " is usable again");
    } else if (rotated) {
        log::info("credentials", "credential " + name + " rotated: a new key or secret is in use");
    }
}

void Store::failed(Slot& slot, const CredentialError& error, TimePoint now) {
    CredentialState previous = CredentialState::unavailable;
    bool first_attempt = false;
    bool has_credential = false;
    {
        const std::lock_guard lock(mutex_);
        previous = slot.state;
        first_attempt = !slot.scheduled;
        has_credential = static_cast<bool>(snapshot(slot));
        if (previous == CredentialState::ok || first_attempt) {
            slot.failing_since = now;
            slot.state = has_credential ? CredentialState::stale : CredentialState::unavailable;
        }
        slot.scheduled = true;
        // The first retry comes no later than the next refresh would have: a file caught half-written is
        // read again as soon as usual, not a second later.
        const std::chrono::milliseconds first = slot.interval.count() > 0
            ? std::min<std::chrono::milliseconds>(slot.interval, first_retry)
            : first_retry;
        slot.retry_delay = slot.retry_delay.count() == 0
            ? first
            : std::min<std::chrono::milliseconds>(slot.retry_delay * 2, max_retry_delay());
        slot.next_attempt = now + slot.retry_delay;
    }
    const std::string name(slot.name);
    if (previous == CredentialState::ok && has_credential) {
        log::warn("credentials",
                  "credential " + name + ": refresh failed; serving the last good one for up to " +
                      std::to_string(policy_.stale_after.count()) + " s while retrying: " + describe(error));
    } else if (previous == CredentialState::ok || first_attempt) {
        log::error("credentials", describe(error));
    } else {
        // Same state as before: the change was logged already, and repeating it would flood the log.
        log::debug("credentials", "credential " + name + ": refresh failed again: " + describe(error));
    }
    expire_if_stale(slot, now);
}

void Store::expire_if_stale(Slot& slot, TimePoint now) {
    {
        const std::lock_guard lock(mutex_);
        if (slot.state != CredentialState::stale || now < slot.failing_since + policy_.stale_after) {
            return;
        }
        slot.state = CredentialState::unavailable;
    }
    replace(slot.name, nullptr);
    log::error("credentials",
               "credential " + std::string(slot.name) + " is unavailable: no successful refresh for " +
                   std::to_string(policy_.stale_after.count()) +
                   " s (the stale window); requests get 503 until a refresh succeeds");
}

bool Store::attempt(Slot& slot, const Fetch& fetch, bool absent_ok) {
    FetchResult result;
    try {
        result = fetch(slot.name, policy_.fetch_timeout);
    } catch (const CredentialError& e) {
        if (absent_ok && e.status() == SDKSIGN_E_NOT_FOUND) {
            log::debug("credentials",
                       "credential " + std::string(slot.name) + " is not configured: " + describe(e));
            return false;
        }
        slot.configured.store(true, std::memory_order_release);
        failed(slot, e, now_());
        throw;
    }
    slot.configured.store(true, std::memory_order_release);
    succeeded(slot, result, now_());
    return true;
}

Store::Slot& Store::slot_named(std::string_view name) {
    Slot* slot = find(name);
    if (slot == nullptr) {
        throw CredentialError(SDKSIGN_E_NOT_FOUND, "no credential named '" + std::string(name) + "'");
    }
    return *slot;
}

void Store::refresh(const Fetch& fetch, std::string_view name) {
    attempt(slot_named(name), fetch, false);
}

bool Store::load_if_present(const Fetch& fetch, std::string_view name) {
    return attempt(slot_named(name), fetch, true);
}

Store::TimePoint Store::refresh_due(const Fetch& fetch) {
    TimePoint next = TimePoint::max();
    for (auto& slot : slots_) {
        TimePoint attempt{};
        {
            const std::lock_guard lock(mutex_);
            if (!slot.scheduled) {
                continue;
            }
            attempt = slot.next_attempt;
        }
        if (now_() >= attempt) {
            try {
                auto result = fetch(slot.name, policy_.fetch_timeout);
                succeeded(slot, result, now_());
            } catch (const CredentialError& e) {
                failed(slot, e, now_());
            } catch (const std::exception& e) {
                failed(slot, CredentialError(SDKSIGN_E_UNAVAILABLE, e.what()), now_());
            }
        }
        expire_if_stale(slot, now_());
        const std::lock_guard lock(mutex_);
        next = std::min(next, slot.next_attempt);
        if (slot.state == CredentialState::stale) {
            next = std::min(next, slot.failing_since + policy_.stale_after);
        }
    }
    return next;
}

} // namespace sdksign::credentials
