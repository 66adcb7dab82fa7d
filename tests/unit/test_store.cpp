#include "credentials/credential.hpp"
#include "credentials/store.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using sdksign::credentials::CredentialPtr;
using sdksign::credentials::make_credential;
using sdksign::credentials::meeting_credential;
using sdksign::credentials::Store;

namespace {

CredentialPtr credential(std::string key, std::string_view secret) {
    return make_credential(std::move(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
}

std::string secret_of(const CredentialPtr& credential) {
    return {credential->secret.begin(), credential->secret.end()};
}

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

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credential_cpp)

BOOST_AUTO_TEST_CASE(make_credential_precomputes_the_key_as_json) {
    const auto made = credential("a\"b\\c\n", "s3");
    BOOST_TEST(made->key == "a\"b\\c\n");
    BOOST_TEST(made->key_json == R"("a\"b\\c\n")");
    BOOST_TEST(made->secret.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
