// The vault provider's reading of login and renewal answers (plugins/vault/token_source.cpp), linked in
// directly: the auth block a 200 grants, and what each other answer means.
#include "token_source.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using sdksign::vault::interpret_login_answer;
using sdksign::vault::parse_auth_block;
using sdksign::vault::Reply;
using sdksign::vault::VaultError;
using sdksign::vault::WipedBuffer;

namespace {

constexpr std::string_view token = "hvs.secret-token-q8";

struct Granted {
    std::string_view body;
    long long lease;
    bool renewable;
};

struct Answer {
    long status;
    std::string_view body;
    int expected_status;
    std::string_view message_part;
};

std::string auth_body(std::string_view rest) {
    return R"({"auth":{"client_token":")" + std::string(token) + "\"" + std::string(rest) + "}}";
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_source_cpp)

BOOST_AUTO_TEST_CASE(reads_the_auth_block) {
    const std::vector<std::pair<std::string, Granted>> cases = {
        {auth_body(R"(,"lease_duration":600,"renewable":true)"), {{}, 600, true}},
        {auth_body(R"(,"lease_duration":600,"renewable":false)"), {{}, 600, false}},
        {auth_body(R"(,"lease_duration":0)"), {{}, 0, false}},
        {auth_body(R"(,"lease_duration":-5,"renewable":"yes")"), {{}, 0, false}},
    };
    for (const auto& [body, expected] : cases) {
        BOOST_TEST_CONTEXT("body " << body) {
            const auto granted = parse_auth_block(body);
            BOOST_TEST(granted.token.view() == token);
            BOOST_TEST(granted.lease.count() == expected.lease);
            BOOST_TEST(granted.renewable == expected.renewable);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_answer_without_a_usable_auth_block_is_unavailable) {
    const std::vector<std::string> cases = {
        "",
        "not json",
        "[]",
        R"({"data":{}})",
        R"({"auth":null})",
        auth_body(""),
        auth_body(R"(,"lease_duration":"600")"),
        R"({"auth":{"client_token":7,"lease_duration":600}})",
    };
    for (const auto& body : cases) {
        BOOST_TEST_CONTEXT("body " << body) {
            try {
                parse_auth_block(body);
                BOOST_ERROR("accepted");
            } catch (const VaultError& e) {
                BOOST_TEST(e.status() == SDKSIGN_E_UNAVAILABLE);
                BOOST_TEST(std::string_view(e.what()).find(token) == std::string_view::npos, e.what());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(tells_login_answers_apart) {
    const std::vector<Answer> cases = {
        {400, R"({"errors":["invalid role or secret ID"]})", SDKSIGN_E_DENIED, "invalid role or secret ID"},
        {403, R"({"errors":["permission denied"]})", SDKSIGN_E_CONFIG,
         "AppRole login at auth/approle failed (HTTP 403: permission denied): no such mount (is the auth "
         "method mounted at approle?)"},
        {404, R"({"errors":["no handler for route \"auth/approle/login\". route entry not found."]})",
         SDKSIGN_E_CONFIG, "no such mount (is the auth method mounted at approle?)"},
        {503, R"({"errors":["Vault is sealed"]})", SDKSIGN_E_UNAVAILABLE, "Vault is sealed"},
        {500, R"({"errors":["internal error"]})", SDKSIGN_E_UNAVAILABLE, "HTTP 500: internal error"},
        {200, "{}", SDKSIGN_E_UNAVAILABLE, "no auth block"},
    };
    for (const auto& row : cases) {
        BOOST_TEST_CONTEXT("HTTP " << row.status << " " << row.body) {
            const Reply reply{row.status, WipedBuffer(row.body)};
            try {
                interpret_login_answer("AppRole", "approle", reply);
                BOOST_ERROR("accepted");
            } catch (const VaultError& e) {
                BOOST_TEST(e.status() == row.expected_status);
                BOOST_TEST(std::string_view(e.what()).find(row.message_part) != std::string_view::npos,
                           e.what());
            }
        }
    }
    // A Kubernetes login also answers 403 when it refuses the service account token: both causes are named.
    try {
        interpret_login_answer("Kubernetes", "k8s",
                               Reply{403, WipedBuffer(R"({"errors":["permission denied"]})")});
        BOOST_ERROR("accepted");
    } catch (const VaultError& e) {
        BOOST_TEST(e.status() == SDKSIGN_E_DENIED);
        BOOST_TEST(std::string_view(e.what()).find(
                       "the service account token was refused, or there is no such "
                       "mount (is the auth method mounted at k8s?)") != std::string_view::npos,
                   e.what());
    }
    const Reply granted{200, WipedBuffer(auth_body(R"(,"lease_duration":60)"))};
    BOOST_TEST(interpret_login_answer("Kubernetes", "kubernetes", granted).token.view() == token);
}

BOOST_AUTO_TEST_SUITE_END()
