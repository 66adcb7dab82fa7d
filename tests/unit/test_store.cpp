#include "captured_stderr.hpp"
#include "credentials/credential.hpp"
#include "credentials/refresher.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"
#include "log/log.hpp"

#include <sdksign/provider.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using sdksign::CredentialError;
using sdksign::credentials::CredentialPtr;
using sdksign::credentials::CredentialState;
using sdksign::credentials::FetchResult;
using sdksign::credentials::make_credential;
using sdksign::credentials::meeting_credential;
using sdksign::credentials::Refresher;
using sdksign::credentials::Store;

namespace {

CredentialPtr credential(std::string key, std::string_view secret) {
    return make_credential(std::move(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
}

std::string secret_of(const CredentialPtr& credential) {
    return {credential->secret.begin(), credential->secret.end()};
}

using namespace std::chrono_literals;

/// A clock the test moves by hand.
struct ManualClock {
    Store::TimePoint now = Store::TimePoint(1000h);
    Store::Now function() {
        return [this] { return now; };
    }
};

/// A provider stand-in: serves `key`/`secret` with `hint`, or fails with `failing` while it is set.
struct FakeSource {
    std::string key = "key-1";
    std::string secret = "secret-1";
    std::uint32_t hint = 0;
    int failing = SDKSIGN_OK;
    int calls = 0;
    std::vector<std::chrono::milliseconds> deadlines;

    Store::Fetch function() {
        return [this](std::string_view /*name*/, std::chrono::milliseconds deadline) {
            ++calls;
            deadlines.push_back(deadline);
            if (failing != SDKSIGN_OK) {
                throw CredentialError(failing, "provider fake: the source is down");
            }
            return FetchResult{credential(key, secret), hint};
        };
    }
};

/// Log lines from info up, captured while it lives.
class CapturedLog {
public:
    CapturedLog() { sdksign::log::set_level(sdksign::log::Level::info); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;
    CapturedLog(CapturedLog&&) = delete;
    CapturedLog& operator=(CapturedLog&&) = delete;
    /// The level goes back to what it was: test cases run in a random order.
    ~CapturedLog() { sdksign::log::set_level(previous_); }
    /// The lines written so far (stops capturing).
    std::vector<std::string> lines() { return stderr_.lines(); }

private:
    sdksign::log::Level previous_ = sdksign::log::level();
    sdksign::test::CapturedStderr stderr_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(store_cpp)

BOOST_AUTO_TEST_CASE(empty_store_has_no_credential) {
    const Store store;
    BOOST_TEST(store.current(meeting_credential) == nullptr);
    BOOST_TEST(store.current("video") == nullptr);
}

BOOST_AUTO_TEST_CASE(replace_then_current_returns_the_same_snapshot) {
    Store store;
    const auto first = credential("key-1", "secret-1");
    store.replace(meeting_credential, first);
    BOOST_TEST(store.current(meeting_credential) == first);
    BOOST_TEST(store.current(meeting_credential) == store.current(meeting_credential));
}

BOOST_AUTO_TEST_CASE(names_are_independent) {
    Store store;
    const auto meeting = credential("meeting-key", "meeting-secret");
    const auto video = credential("video-key", "video-secret");
    store.replace(meeting_credential, meeting);
    BOOST_TEST(store.current("video") == nullptr);
    store.replace("video", video);
    BOOST_TEST(store.current(meeting_credential) == meeting);
    BOOST_TEST(store.current("video") == video);
    BOOST_TEST(store.current("meetin") == nullptr);
}

BOOST_AUTO_TEST_CASE(replacing_leaves_a_held_snapshot_valid) {
    Store store;
    store.replace(meeting_credential, credential("key-1", "secret-1"));
    // A request takes its snapshot...
    const CredentialPtr held = store.current(meeting_credential);
    const std::weak_ptr<const sdksign::credentials::Credential> watch = held;
    // ...then the credential rotates while the request still runs.
    store.replace(meeting_credential, credential("key-2", "secret-2"));
    BOOST_TEST(store.current(meeting_credential)->key == "key-2");
    BOOST_TEST(store.current(meeting_credential) != held);
    BOOST_TEST(!watch.expired());
    BOOST_TEST(held->key == "key-1");
    BOOST_TEST(held->key_json == "\"key-1\"");
    BOOST_TEST((secret_of(held) == "secret-1")); // no value printed on failure
}

BOOST_AUTO_TEST_CASE(the_old_snapshot_dies_with_its_last_holder) {
    Store store;
    store.replace(meeting_credential, credential("key-1", "secret-1"));
    std::weak_ptr<const sdksign::credentials::Credential> watch;
    {
        const CredentialPtr held = store.current(meeting_credential);
        watch = held;
        store.replace(meeting_credential, credential("key-2", "secret-2"));
        BOOST_TEST(!watch.expired());
    }
    BOOST_TEST(watch.expired());
    // Without any holder, a replacement frees the previous snapshot at once.
    watch = store.current(meeting_credential);
    store.replace(meeting_credential, credential("key-3", "secret-3"));
    BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(replace_with_null_makes_it_unavailable) {
    Store store;
    store.replace(meeting_credential, credential("key-1", "secret-1"));
    const auto held = store.current(meeting_credential);
    store.replace(meeting_credential, nullptr);
    BOOST_TEST(store.current(meeting_credential) == nullptr);
    BOOST_TEST(held->key == "key-1");
    store.replace(meeting_credential, credential("key-2", "secret-2"));
    BOOST_TEST(store.current(meeting_credential)->key == "key-2");
}

BOOST_AUTO_TEST_CASE(readers_always_see_a_whole_credential_during_rotation) {
    // Each credential's key and secret belong together; a reader must never see a torn pair.
    Store store;
    store.replace(meeting_credential, credential("key-0", "secret-0"));
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::vector<std::thread> readers;
    readers.reserve(3);
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                const auto snapshot = store.current(meeting_credential);
                if (!snapshot || "secret-" + snapshot->key.substr(4) != secret_of(snapshot)) {
                    torn.fetch_add(1);
                }
            }
        });
    }
    for (int i = 1; i <= 2000; ++i) {
        const auto number = std::to_string(i);
        store.replace(meeting_credential, credential("key-" + number, "secret-" + number));
    }
    stop = true;
    for (auto& reader : readers) {
        reader.join();
    }
    BOOST_TEST(torn.load() == 0);
    BOOST_TEST(store.current(meeting_credential)->key == "key-2000");
}

BOOST_AUTO_TEST_CASE(refreshes_when_the_provider_hint_says) {
    ManualClock clock;
    FakeSource source;
    source.hint = 60;
    Store store({.fetch_timeout = 750ms}, clock.function());
    store.refresh(source.function(), meeting_credential);
    BOOST_TEST(source.calls == 1);
    BOOST_TEST(source.deadlines.front().count() == 750);
    BOOST_TEST((store.refresh_due(source.function()) == clock.now + 60s));
    BOOST_TEST(source.calls == 1); // not due yet

    clock.now += 59s;
    store.refresh_due(source.function());
    BOOST_TEST(source.calls == 1);
    clock.now += 1s;
    source.key = "key-2";
    source.secret = "secret-2";
    BOOST_TEST((store.refresh_due(source.function()) == clock.now + 60s));
    BOOST_TEST(source.calls == 2);
    BOOST_TEST(store.current(meeting_credential)->key == "key-2");
    BOOST_TEST((store.status(meeting_credential).state == CredentialState::ok));
}

BOOST_AUTO_TEST_CASE(a_configured_interval_wins_over_the_hint_and_no_hint_means_never) {
    ManualClock clock;
    FakeSource source;
    source.hint = 60;
    Store interval({.refresh_interval = 5s}, clock.function());
    interval.refresh(source.function(), meeting_credential);
    BOOST_TEST((interval.refresh_due(source.function()) == clock.now + 5s));

    source.hint = 0;
    Store never({}, clock.function());
    never.refresh(source.function(), meeting_credential);
    BOOST_TEST((never.refresh_due(source.function()) == Store::TimePoint::max()));
    clock.now += 1000h;
    never.refresh_due(source.function());
    BOOST_TEST(source.calls == 2); // one per store, none later

    // A store nobody refreshed has nothing to schedule.
    Store empty({}, clock.function());
    BOOST_TEST((empty.refresh_due(source.function()) == Store::TimePoint::max()));
}

BOOST_AUTO_TEST_CASE(an_unchanged_credential_keeps_its_snapshot) {
    ManualClock clock;
    FakeSource source;
    source.hint = 2;
    Store store({}, clock.function());
    store.refresh(source.function(), meeting_credential);
    const auto first = store.current(meeting_credential);
    clock.now += 2s;
    store.refresh_due(source.function());
    BOOST_TEST(source.calls == 2);
    BOOST_TEST(store.current(meeting_credential) == first);
    source.secret = "secret-2"; // same key, new secret: a rotation
    clock.now += 2s;
    store.refresh_due(source.function());
    BOOST_TEST(store.current(meeting_credential) != first);
    BOOST_TEST((secret_of(store.current(meeting_credential)) == "secret-2"));
    BOOST_TEST((secret_of(first) == "secret-1")); // a request holding it still signs with the old one
}

BOOST_AUTO_TEST_CASE(serves_the_last_good_credential_within_the_stale_window_then_stops_then_recovers) {
    ManualClock clock;
    FakeSource source;
    source.hint = 10;
    Store store({.stale_after = 60s}, clock.function());
    store.refresh(source.function(), meeting_credential);
    const auto good = store.current(meeting_credential);

    source.failing = SDKSIGN_E_UNAVAILABLE;
    clock.now += 10s;
    const auto failed_at = clock.now;
    auto next = store.refresh_due(source.function());
    BOOST_TEST((next == failed_at + 1s)); // first retry after 1 s
    BOOST_TEST(store.current(meeting_credential) == good);
    auto status = store.status(meeting_credential);
    BOOST_TEST((status.state == CredentialState::stale));

    // Retries back off 1, 2, 4, capped at a tenth of the stale window (6 s), and the store wakes up for the
    // end of the window even if no retry is due then.
    std::vector<long> delays;
    while (clock.now < failed_at + 59s) {
        clock.now = std::min(next, failed_at + 59s);
        const auto before = clock.now;
        next = store.refresh_due(source.function());
        delays.push_back(std::chrono::duration_cast<std::chrono::seconds>(next - before).count());
        BOOST_TEST_REQUIRE(store.current(meeting_credential) == good);
    }
    BOOST_TEST(delays.front() == 2);
    BOOST_TEST(*std::max_element(delays.begin(), delays.end()) <= 6);
    BOOST_TEST(store.status(meeting_credential).failing_for.count() == 59);

    clock.now = failed_at + 60s;
    store.refresh_due(source.function());
    BOOST_TEST(store.current(meeting_credential) == nullptr);
    status = store.status(meeting_credential);
    BOOST_TEST((status.state == CredentialState::unavailable));
    BOOST_TEST(status.failing_for.count() == 60);

    // The source comes back: the next retry serves again.
    source.failing = SDKSIGN_OK;
    source.key = "key-2";
    clock.now += 6s;
    store.refresh_due(source.function());
    BOOST_TEST_REQUIRE(store.current(meeting_credential) != nullptr);
    BOOST_TEST(store.current(meeting_credential)->key == "key-2");
    BOOST_TEST((store.status(meeting_credential).state == CredentialState::ok));
    BOOST_TEST(store.status(meeting_credential).failing_for.count() == 0);
}

BOOST_AUTO_TEST_CASE(the_first_retry_comes_no_later_than_the_next_refresh_would_have) {
    // A file caught half-written is read again at the usual pace, not a second later.
    ManualClock clock;
    FakeSource source;
    Store store({.refresh_interval = 100ms, .stale_after = 60s}, clock.function());
    store.refresh(source.function(), meeting_credential);
    source.failing = SDKSIGN_E_UNAVAILABLE;
    clock.now += 100ms;
    BOOST_TEST((store.refresh_due(source.function()) == clock.now + 100ms));
    clock.now += 100ms;
    BOOST_TEST((store.refresh_due(source.function()) == clock.now + 200ms));
    source.failing = SDKSIGN_OK;
    clock.now += 200ms;
    BOOST_TEST((store.refresh_due(source.function()) == clock.now + 100ms));
    BOOST_TEST((store.status(meeting_credential).state == CredentialState::ok));
}

BOOST_AUTO_TEST_CASE(a_zero_stale_window_stops_serving_at_the_first_failure) {
    ManualClock clock;
    FakeSource source;
    source.hint = 1;
    Store store({.stale_after = 0s}, clock.function());
    store.refresh(source.function(), meeting_credential);
    source.failing = SDKSIGN_E_DENIED;
    clock.now += 1s;
    store.refresh_due(source.function());
    BOOST_TEST(store.current(meeting_credential) == nullptr);
}

BOOST_AUTO_TEST_CASE(a_failed_first_fetch_is_rethrown_and_leaves_nothing_to_serve) {
    ManualClock clock;
    FakeSource source;
    source.failing = SDKSIGN_E_NOT_FOUND;
    Store store({}, clock.function());
    BOOST_CHECK_THROW(store.refresh(source.function(), meeting_credential), CredentialError);
    BOOST_TEST(store.current(meeting_credential) == nullptr);
    BOOST_TEST((store.status(meeting_credential).state == CredentialState::unavailable));
    BOOST_CHECK_THROW(store.refresh(source.function(), "webinar"), CredentialError);
    BOOST_TEST((store.status("webinar").state == CredentialState::unavailable));
}

BOOST_AUTO_TEST_CASE(a_credential_the_provider_does_not_have_stays_unconfigured_and_unrefreshed) {
    CapturedLog log; // the meeting refresh below fails, and says so
    ManualClock clock;
    FakeSource source;
    source.hint = 2;
    Store store({}, clock.function());
    BOOST_TEST(!store.configured(meeting_credential));
    BOOST_TEST(store.load_if_present(source.function(), meeting_credential));
    BOOST_TEST(store.configured(meeting_credential));

    FakeSource absent;
    absent.failing = SDKSIGN_E_NOT_FOUND;
    BOOST_TEST(!store.load_if_present(absent.function(), "video"));
    BOOST_TEST(!store.configured("video"));
    BOOST_TEST(store.current("video") == nullptr);
    // Never asked again: the video slot is not scheduled, so refreshes touch the meeting credential only.
    clock.now += 3s;
    store.refresh_due(absent.function());
    BOOST_TEST(absent.calls == 2);
    BOOST_TEST(!store.configured("video"));
}

BOOST_AUTO_TEST_CASE(a_failing_optional_credential_is_configured_and_rethrown) {
    CapturedLog log;
    ManualClock clock;
    for (const int status : {SDKSIGN_E_UNAVAILABLE, SDKSIGN_E_INVALID, SDKSIGN_E_DENIED}) {
        FakeSource source;
        source.failing = status;
        Store store({}, clock.function());
        BOOST_CHECK_THROW(store.load_if_present(source.function(), "video"), CredentialError);
        // Its endpoint exists and answers 503 until a refresh succeeds.
        BOOST_TEST(store.configured("video"));
        BOOST_TEST((store.status("video").state == CredentialState::unavailable));
        source.failing = SDKSIGN_OK;
        clock.now += 2s;
        store.refresh_due(source.function());
        BOOST_TEST(store.current("video") != nullptr);
    }
}

BOOST_AUTO_TEST_CASE(logs_once_per_change_of_state_never_per_attempt) {
    ManualClock clock;
    FakeSource source;
    source.hint = 1;
    Store store({.stale_after = 30s}, clock.function());
    CapturedLog log;
    store.refresh(source.function(), meeting_credential); // first load: nothing at info level
    source.failing = SDKSIGN_E_UNAVAILABLE;
    for (int i = 0; i < 40; ++i) { // 40 s of failures: stale, then unavailable
        clock.now += 1s;
        store.refresh_due(source.function());
        (void)store.current(meeting_credential);
    }
    source.failing = SDKSIGN_OK;
    for (int i = 0; i < 10; ++i) {
        clock.now += 10s;
        store.refresh_due(source.function());
    }
    source.secret = "secret-2";
    clock.now += 10s;
    store.refresh_due(source.function());
    const auto lines = log.lines();
    BOOST_TEST_REQUIRE(lines.size() == 4U);
    BOOST_TEST(
        lines[0].find("warn credentials: credential meeting: refresh failed; serving the last good one "
                      "for up to 30 s while retrying: provider fake: the source is down (unavailable)") !=
            std::string::npos,
        lines[0]);
    BOOST_TEST(lines[1].find("error credentials: credential meeting is unavailable") != std::string::npos,
               lines[1]);
    BOOST_TEST(lines[2].find("info credentials: credential meeting is usable again") != std::string::npos,
               lines[2]);
    BOOST_TEST(lines[3].find("info credentials: credential meeting rotated") != std::string::npos, lines[3]);
    for (const auto& line : lines) {
        BOOST_TEST(line.find("secret-") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(the_refresher_refreshes_in_the_background_and_stops_promptly) {
    std::mutex mutex;
    int calls = 0;
    const Store::Fetch fetch = [&](std::string_view /*name*/, std::chrono::milliseconds /*deadline*/) {
        const std::lock_guard lock(mutex);
        ++calls;
        return FetchResult{credential("key-" + std::to_string(calls), "secret"), 0};
    };
    Store store({.refresh_interval = 1s});
    store.refresh(fetch, meeting_credential);
    Refresher refresher(store, fetch);
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up && store.current(meeting_credential)->key == "key-1") {
        std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST(store.current(meeting_credential)->key != "key-1");
    // Waiting for its next refresh, it must stop at once, not after the interval.
    const auto asked = std::chrono::steady_clock::now();
    BOOST_TEST((refresher.stop(2s) == Refresher::Stop::done));
    BOOST_TEST((std::chrono::steady_clock::now() - asked < 2s));
}

BOOST_AUTO_TEST_CASE(refresher_never_leaves_a_fetch_running_behind_its_destructor) {
    // A fetch that outlasts stop()'s grace: stop says so, and the destructor still waits for it, so the
    // source behind the fetch function may be destroyed right after the Refresher.
    std::mutex mutex;
    std::condition_variable changed;
    bool inside = false;
    bool release = false;
    bool ended = false;
    int calls = 0;
    const Store::Fetch fetch = [&](std::string_view, std::chrono::milliseconds) {
        std::unique_lock lock(mutex);
        if (++calls > 1) {
            inside = true;
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
            ended = true;
        }
        return FetchResult{credential("key", "secret"), 0};
    };
    Store store({.refresh_interval = 1s});
    store.refresh(fetch, meeting_credential);
    {
        std::optional<std::jthread> releaser; // destroyed after the refresher, which must wait for it
        Refresher refresher(store, fetch);
        {
            std::unique_lock lock(mutex);
            BOOST_TEST_REQUIRE(changed.wait_for(lock, 10s, [&] { return inside; }));
        }
        BOOST_TEST((refresher.stop(10ms) == Refresher::Stop::fetch_running));
        releaser.emplace([&] {
            std::this_thread::sleep_for(100ms);
            const std::lock_guard lock(mutex);
            release = true;
            changed.notify_all();
        });
    }
    const std::lock_guard lock(mutex);
    BOOST_TEST(ended);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credential_cpp)

BOOST_AUTO_TEST_CASE(make_credential_precomputes_the_key_as_json) {
    const auto made = credential("a\"b\\c\n", "s3");
    BOOST_TEST(made->key == "a\"b\\c\n");
    BOOST_TEST(made->key_json == R"("a\"b\\c\n")");
    BOOST_TEST(made->secret.size() == 2U);
}

BOOST_AUTO_TEST_SUITE_END()
