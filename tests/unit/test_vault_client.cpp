// The vault provider's request routes (plugins/vault/vault_client.cpp), linked in directly: each path
// segment percent-encoded as Vault's Go client encodes it.
#include "vault_client.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using sdksign::vault::encode_route;
using sdksign::vault::is_loopback_host;

BOOST_AUTO_TEST_SUITE(vault_client_cpp)

BOOST_AUTO_TEST_CASE(routes_are_encoded_segment_by_segment_as_go_does) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"secret/data/sdksign/meeting", "secret/data/sdksign/meeting"},
        {"secret/data/zoom#1/meeting", "secret/data/zoom%231/meeting"},
        {"secret/data/a?b", "secret/data/a%3Fb"},
        {"secret/data/my app", "secret/data/my%20app"},
        {"secret/data/100%", "secret/data/100%25"},
        {"kv/a-b_c.d~e", "kv/a-b_c.d~e"},
        {"kv/$&+,:;=@", "kv/$&+,:;=@"},
        {"kv/!'()*\"<>[]\\^`{|}", "kv/%21%27%28%29%2A%22%3C%3E%5B%5D%5C%5E%60%7B%7C%7D"},
        {"kv/caf\xC3\xA9", "kv/caf%C3%A9"},
        {std::string("kv/a\nb\0c", 8), "kv/a%0Ab%00c"},
        {"auth/app role/login", "auth/app%20role/login"},
    };
    for (const auto& [route, expected] : cases) {
        BOOST_TEST_CONTEXT("route '" << route << "'") {
            BOOST_TEST(encode_route(route) == expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(loopback_hosts_as_gos_proxy_rules_see_them) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {"localhost", true},
        {"LocalHost", true},
        {"127.0.0.1", true},
        {"127.255.0.9", true},
        {"::1", true},
        {"[::1]", true},
        {"[::ffff:127.0.0.1]", true},
        {"128.0.0.1", false},
        {"10.0.0.1", false},
        {"vault.example.com", false},
        {"localhost.example", false},
        {"[::2]", false},
        {"", false},
        {"127.0.0.1.nip.io", false},
    };
    for (const auto& [host, expected] : cases) {
        BOOST_TEST_CONTEXT("host '" << host << "'") {
            BOOST_TEST(is_loopback_host(host) == expected);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
