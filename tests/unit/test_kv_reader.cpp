// The vault provider's reading of KV answers (plugins/vault/kv_reader.cpp), linked in directly: the pair a
// 200 holds, and each other answer told apart, with messages that name the path but never a value.
#include "kv_reader.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

using sdksign::vault::interpret_kv_answer;
using sdksign::vault::parse_settings;
using sdksign::vault::Reply;
using sdksign::vault::Settings;
using sdksign::vault::VaultError;
using sdksign::vault::WipedBuffer;

namespace {

constexpr std::string_view secret = "kv-secret-value-z3";

Settings settings_for(const char* kv_version) {
    const std::array<sdksign_option, 3> options = {{
        {"address", "http://127.0.0.1:8200"},
        {"token", "t"},
        {"kv-version", kv_version},
    }};
    return parse_settings(options.data(), options.size());
}

struct Failed {
    long status;
    std::string body;
    int expected_status;
    std::string_view message_part;
};

} // namespace

BOOST_AUTO_TEST_SUITE(kv_reader_cpp)

BOOST_AUTO_TEST_CASE(reads_the_pair_of_a_version_2_and_a_version_1_answer) {
    const Settings v2 = settings_for("2");
    Reply reply{200,
                WipedBuffer(R"({"data":{"data":{"key":"k","secret":")" + std::string(secret) +
                            R"("},"metadata":{"version":3}}})")};
    const auto pair = interpret_kv_answer({v2, "http://vault", "the configured token"}, "app/meeting", reply);
    BOOST_TEST(pair.key.view() == "k");
    BOOST_TEST(pair.secret.view() == secret);
    BOOST_TEST(!pair.lease.has_value());

    const Settings v1 = settings_for("1");
    Reply leased{200, WipedBuffer(R"({"lease_duration":120,"data":{"key":"k1","secret":"s1"}})")};
    const auto old = interpret_kv_answer({v1, "http://vault", "the configured token"}, "app/meeting", leased);
    BOOST_TEST(old.key.view() == "k1");
    BOOST_TEST(old.secret.view() == "s1");
    BOOST_TEST_REQUIRE(old.lease.has_value());
    BOOST_TEST(old.lease->count() == 120);
}

BOOST_AUTO_TEST_CASE(tells_the_other_answers_apart) {
    const Settings v2 = settings_for("2");
    const std::string value = std::string(secret);
    const std::vector<Failed> cases = {
        {200, R"({"data":{"data":{"key":"k"}}})", SDKSIGN_E_NOT_FOUND, "has no field 'secret'"},
        {200, R"({"data":{"data":{"key":"k","secret":7}}})", SDKSIGN_E_INVALID, "is not a string"},
        {200, R"({"data":{"data":{"key":"k","secret":""}}})", SDKSIGN_E_INVALID, "is empty"},
        {200, R"({"data":{"data":{"key":" \t ","secret":"s"}}})", SDKSIGN_E_INVALID,
         "field 'key' of secret secret/data/app/meeting is only whitespace"},
        {200, R"({"data":{"data":{"key":"k","secret":"\n  \r\n"}}})", SDKSIGN_E_INVALID,
         "field 'secret' of secret secret/data/app/meeting is only whitespace"},
        {200, R"({"data":{"data":{"key":")" + value + R"(","secret":"s"},"x":1},"wrap_info":{"token":"w"}})",
         SDKSIGN_E_INVALID, "response-wrapped"},
        {200, "[" + value, SDKSIGN_E_UNAVAILABLE, "not a JSON object"},
        {404, R"({"errors":[]})", SDKSIGN_E_NOT_FOUND, "no secret at secret/data/app/meeting"},
        {404, R"({"errors":["no handler for route \"secret/data/app/meeting\". route entry not found."]})",
         SDKSIGN_E_CONFIG, "no such mount (is the secrets engine mounted at secret?)"},
        {404, R"({"data":{"metadata":{"version":2,"destroyed":true}}})", SDKSIGN_E_NOT_FOUND,
         "version 2 of secret secret/data/app/meeting is destroyed"},
        {404, R"({"data":{"metadata":{"version":2,"deletion_time":"2026-01-01T00:00:00Z"}}})",
         SDKSIGN_E_NOT_FOUND, "is deleted (since 2026-01-01T00:00:00Z)"},
        {403, R"({"errors":["1 error occurred:\n\t* permission denied\n\n"]})", SDKSIGN_E_DENIED,
         R"(must allow "read" on the path "secret/data/app/meeting")"},
        {403, R"({"errors":["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]})",
         SDKSIGN_E_DENIED, "Vault refused the configured token as invalid"},
        {503, R"({"errors":["Vault is sealed"]})", SDKSIGN_E_UNAVAILABLE, "Vault at http://vault is sealed"},
        {429, R"({"errors":["rate limited"]})", SDKSIGN_E_UNAVAILABLE, "is rate limiting"},
        {502, "", SDKSIGN_E_UNAVAILABLE, "Vault answered HTTP 502 reading secret/data/app/meeting"},
    };
    for (const auto& row : cases) {
        BOOST_TEST_CONTEXT("HTTP " << row.status << " " << row.body) {
            Reply reply{row.status, WipedBuffer(row.body)};
            try {
                interpret_kv_answer({v2, "http://vault", "the configured token"}, "app/meeting", reply);
                BOOST_ERROR("accepted");
            } catch (const VaultError& e) {
                const std::string_view message = e.what();
                BOOST_TEST(e.status() == row.expected_status);
                BOOST_TEST(message.find(row.message_part) != std::string_view::npos, message);
                BOOST_TEST(message.find(secret) == std::string_view::npos, message);
            }
        }
    }

    Reply version_1_path{404,
                         WipedBuffer(R"({"warnings":["Invalid path for a versioned K/V secrets engine"]})")};
    try {
        interpret_kv_answer({settings_for("1"), "http://vault", "t"}, "app/meeting", version_1_path);
        BOOST_ERROR("accepted");
    } catch (const VaultError& e) {
        BOOST_TEST(e.status() == SDKSIGN_E_CONFIG);
        BOOST_TEST(std::string_view(e.what()).find("set kv-version = 2") != std::string_view::npos, e.what());
    }
}

BOOST_AUTO_TEST_SUITE_END()
