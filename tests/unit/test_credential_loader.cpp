#include "captured_stderr.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_loader.hpp"
#include "credentials/store.hpp"
#include "errors.hpp"

#include <sdksign/provider.h>

#include <boost/test/unit_test.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using sdksign::CredentialError;
using sdksign::credentials::CredentialLoader;
using sdksign::credentials::CredentialState;
using sdksign::credentials::FetchResult;
using sdksign::credentials::make_credential;
using sdksign::credentials::OnDemandCredentials;
using sdksign::credentials::Store;

namespace {

/// What the fake provider does for one credential.
enum class Has { credential, nothing, failure };

/// A provider stand-in that records every fetch, in order.
struct FakeProvider {
    std::map<std::string, Has, std::less<>> has;
    std::vector<std::string> fetched;

    Store::Fetch fetch() {
        return [this](std::string_view name, std::chrono::milliseconds /*deadline*/) {
            fetched.emplace_back(name);
            switch (has.at(std::string(name))) {
            case Has::credential: {
                const std::string secret = std::string(name) + "-secret";
                return FetchResult{
                    make_credential(std::string(name) + "-key",
                                    Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end())),
                    0};
            }
            case Has::nothing:
                throw CredentialError(SDKSIGN_E_NOT_FOUND, std::string(name) + " is not there");
            case Has::failure:
                break;
            }
            throw CredentialError(SDKSIGN_E_UNAVAILABLE, std::string(name) + " is unreachable");
        };
    }
};

/// What a route sees of one credential afterwards.
enum class Seen { signs, unavailable_503, not_configured_404 };

Seen seen(const Store& store, std::string_view name) {
    if (!store.configured(name)) {
        return Seen::not_configured_404;
    }
    return store.current(name) ? Seen::signs : Seen::unavailable_503;
}

struct Row {
    std::string what;
    Has meeting;
    Has video;
    /// Loaded in this order; "all" is load_all().
    std::vector<std::string> loads;
    std::vector<std::string> fetched;
    Seen meeting_seen;
    Seen video_seen;
    /// The status of failure(), or SDKSIGN_OK for none.
    int failure;
};

constexpr const char* m = SDKSIGN_CREDENTIAL_MEETING;
constexpr const char* v = SDKSIGN_CREDENTIAL_VIDEO;

} // namespace

BOOST_AUTO_TEST_SUITE(credential_loader_cpp)

BOOST_AUTO_TEST_CASE(fetches_only_what_is_asked_and_the_rule_decides_absence) {
    using enum Has;
    using enum Seen;
    const std::vector<Row> rows{
        {"a meeting request, both there",
         credential,
         credential,
         {m},
         {m},
         signs,
         not_configured_404,
         SDKSIGN_OK},
        {"a video request, both there",
         credential,
         credential,
         {v},
         {v},
         not_configured_404,
         signs,
         SDKSIGN_OK},
        {"a meeting request, only video there",
         nothing,
         credential,
         {m},
         {m, v},
         not_configured_404,
         signs,
         SDKSIGN_OK},
        {"a video request, only meeting there",
         credential,
         nothing,
         {v},
         {v, m},
         signs,
         not_configured_404,
         SDKSIGN_OK},
        {"a meeting request, neither there",
         nothing,
         nothing,
         {m},
         {m, v, m},
         unavailable_503,
         not_configured_404,
         SDKSIGN_E_NOT_FOUND},
        {"a video request, neither there",
         nothing,
         nothing,
         {v},
         {v, m, m},
         unavailable_503,
         not_configured_404,
         SDKSIGN_E_NOT_FOUND},
        {"a meeting request, meeting failing",
         failure,
         credential,
         {m},
         {m},
         unavailable_503,
         not_configured_404,
         SDKSIGN_E_UNAVAILABLE},
        {"a meeting request, meeting failing, video absent",
         failure,
         nothing,
         {m},
         {m},
         unavailable_503,
         not_configured_404,
         SDKSIGN_E_UNAVAILABLE},
        {"asked twice", credential, credential, {m, m, v, v}, {m, v}, signs, signs, SDKSIGN_OK},
        {"a name that is neither",
         credential,
         credential,
         {"other"},
         {},
         not_configured_404,
         not_configured_404,
         SDKSIGN_OK},
        {"all, both there", credential, credential, {"all"}, {m, v}, signs, signs, SDKSIGN_OK},
        {"all, only meeting there",
         credential,
         nothing,
         {"all"},
         {m, v},
         signs,
         not_configured_404,
         SDKSIGN_OK},
        {"all, only video there",
         nothing,
         credential,
         {"all"},
         {m, v},
         not_configured_404,
         signs,
         SDKSIGN_OK},
        {"all, neither there",
         nothing,
         nothing,
         {"all"},
         {m, v, m},
         unavailable_503,
         not_configured_404,
         SDKSIGN_E_NOT_FOUND},
        {"all, both failing",
         failure,
         failure,
         {"all"},
         {m, v},
         unavailable_503,
         unavailable_503,
         SDKSIGN_E_UNAVAILABLE},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.what) {
            const sdksign::test::CapturedStderr quiet;
            FakeProvider provider{{{m, row.meeting}, {v, row.video}}, {}};
            Store store;
            CredentialLoader loader(store, provider.fetch());
            for (const auto& name : row.loads) {
                if (name == "all") {
                    loader.load_all();
                } else {
                    loader.load(name);
                }
            }
            BOOST_TEST(provider.fetched == row.fetched, boost::test_tools::per_element());
            BOOST_TEST((seen(store, m) == row.meeting_seen));
            BOOST_TEST((seen(store, v) == row.video_seen));
            BOOST_TEST(loader.failure().has_value() == (row.failure != SDKSIGN_OK));
            if (loader.failure()) {
                BOOST_TEST(loader.failure()->status() == row.failure);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(on_demand_fetches_on_the_first_question_about_each_credential) {
    FakeProvider provider{{{m, Has::credential}, {v, Has::credential}}, {}};
    Store store;
    CredentialLoader loader(store, provider.fetch());
    const OnDemandCredentials on_demand(store, loader);
    BOOST_TEST(provider.fetched.empty());

    BOOST_TEST(on_demand.configured(v));
    BOOST_TEST(provider.fetched == std::vector<std::string>{v}, boost::test_tools::per_element());
    BOOST_TEST(on_demand.current(v) != nullptr);
    BOOST_TEST((on_demand.status(v).state == CredentialState::ok));

    const auto meeting = on_demand.current(m);
    BOOST_REQUIRE(meeting != nullptr);
    BOOST_TEST(meeting->key == "meeting-key");
    BOOST_TEST(provider.fetched == (std::vector<std::string>{v, m}), boost::test_tools::per_element());
    BOOST_TEST((on_demand.status(m).state == CredentialState::ok));
    BOOST_TEST(provider.fetched.size() == 2U);
}

BOOST_AUTO_TEST_CASE(on_demand_answers_for_an_absent_credential_as_the_store_would) {
    const sdksign::test::CapturedStderr quiet;
    FakeProvider provider{{{m, Has::nothing}, {v, Has::nothing}}, {}};
    Store store;
    CredentialLoader loader(store, provider.fetch());
    const OnDemandCredentials on_demand(store, loader);
    BOOST_TEST(!on_demand.configured(v));
    BOOST_TEST(on_demand.configured(m));
    BOOST_TEST(on_demand.current(m) == nullptr);
    BOOST_TEST((on_demand.status(m).state == CredentialState::unavailable));
    BOOST_TEST(provider.fetched == (std::vector<std::string>{v, m, m}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
