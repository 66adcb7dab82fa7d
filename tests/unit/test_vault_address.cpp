// The vault provider's addresses (plugins/vault/address.cpp), linked in directly: a password redacted as
// Go's HTTP client redacts it in its errors.
#include "address.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using sdksign::vault::redacted_address;

BOOST_AUTO_TEST_SUITE(vault_address_cpp)

BOOST_AUTO_TEST_CASE(a_password_is_redacted_and_nothing_else_changes) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"https://vault.example.com:8200", "https://vault.example.com:8200"},
        {"http://user:pa55@127.0.0.1:8200", "http://user:***@127.0.0.1:8200"},
        {"https://user:p@ss:w0rd@vault:8200/sub", "https://user:***@vault:8200/sub"},
        {"https://user@vault:8200", "https://user@vault:8200"},
        {"https://:secret@vault", "https://:***@vault"},
        {"http://vault:8200/path@x:y", "http://vault:8200/path@x:y"},
        {"unix:///run/vault/agent.sock", "unix:///run/vault/agent.sock"},
        {"vault.example.com:8200", "vault.example.com:8200"},
    };
    for (const auto& [address, expected] : cases) {
        BOOST_TEST_CONTEXT("address '" << address << "'") {
            BOOST_TEST(redacted_address(address) == expected);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
