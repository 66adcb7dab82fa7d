#include "app/access_policy.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string_view>
#include <vector>

// The pieces of the access policy that the router table cannot reach one by one: how allow-list entries are
// read and matched, and the bearer token digest.

using sdksign::app::AccessPolicy;
using sdksign::app::MeetingRule;
using sdksign::app::parse_meeting_rule;

BOOST_AUTO_TEST_SUITE(access_policy_cpp)

BOOST_AUTO_TEST_CASE(meeting_rules_are_digits_with_an_optional_star) {
    struct Row {
        std::string_view text;
        std::optional<MeetingRule> rule;
    };
    const std::vector<Row> rows{
        {"85746065432", MeetingRule{"85746065432", false}},
        {"857*", MeetingRule{"857", true}},
        {"000123", MeetingRule{"123", false}},
        {"0", MeetingRule{"0", false}},
        {"000", MeetingRule{"0", false}},
        {"", std::nullopt},
        {"*", std::nullopt},
        {"12*3", std::nullopt},
        {"12**", std::nullopt},
        {"-1", std::nullopt},
        {"1e9", std::nullopt},
        {" 1", std::nullopt},
        {"١٢٣", std::nullopt}, // Arabic-Indic digits are not decimal digits here
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT("'" << row.text << "'") {
            const auto rule = parse_meeting_rule(row.text);
            BOOST_TEST(rule.has_value() == row.rule.has_value());
            if (rule && row.rule) {
                BOOST_TEST(rule->digits == row.rule->digits);
                BOOST_TEST(rule->prefix == row.rule->prefix);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(meeting_numbers_match_exactly_or_by_prefix) {
    AccessPolicy policy;
    BOOST_TEST(policy.allows_meeting("1")); // no list: every meeting
    policy.allowed_meetings = {{"85746065432", false}, {"99", true}, {"0", false}};
    struct Row {
        std::string_view digits;
        bool allowed;
    };
    const std::vector<Row> rows{
        {"85746065432", true}, {"0085746065432", true},
        {"8574606543", false}, {"857460654321", false},
        {"99", true},          {"991234", true},
        {"0099", true},        {"9", false},
        {"199", false},        {"0", true},
        {"000", true},         {"", false},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT("'" << row.digits << "'") {
            BOOST_TEST(policy.allows_meeting(row.digits) == row.allowed);
        }
    }
}

BOOST_AUTO_TEST_CASE(bearer_token_digest_is_sha256_of_the_token) {
    // sha256("abc"), FIPS 180-2's first example.
    const std::vector<std::uint8_t> abc{0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    const auto digest = sdksign::app::bearer_token_digest("abc");
    BOOST_TEST(std::vector<std::uint8_t>(digest.begin(), digest.end()) == abc);
    BOOST_TEST(sdksign::app::bearer_token_digest("").size() == 32U);
}

BOOST_AUTO_TEST_SUITE_END()
