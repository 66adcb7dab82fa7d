#include "credentials/credential.hpp"
#include "signing/base64url.hpp"
#include "signing/token_check.hpp"
#include "signing/token_signer.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

// Tokens are made here with the project's own signer from payloads written out by hand, one per failure
// kind `sdksign verify` names; the signer's own known answers are in test_token_signer.cpp. Every check
// compares rule names and outcomes, and looks for the cause's words in the detail, so a failure prints no
// secret.

using sdksign::credentials::CredentialPtr;
using sdksign::signing::check_token;
using sdksign::signing::CheckCredentials;
using sdksign::signing::MalformedToken;
using sdksign::signing::Outcome;
using sdksign::signing::TokenCheck;
using sdksign::signing::TokenKind;

namespace {

constexpr std::int64_t now = 1700000000;

CredentialPtr credential(std::string_view key, std::string_view secret) {
    return sdksign::credentials::make_credential(
        std::string(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
}

const CredentialPtr meeting = credential("meetingKEY", "meeting-SECRET-123");
const CredentialPtr video = credential("videoKEY", "video-SECRET-456");
const CredentialPtr stranger = credential("otherKEY", "other-SECRET-789");
const CheckCredentials both{meeting, video};

std::string sign(const CredentialPtr& with, std::string_view payload) {
    sdksign::signing::TokenSigner signer;
    return signer.sign_payload(with, payload);
}

// iat 10 s ago, a lifetime of 7200 s.
constexpr std::string_view web_meeting =
    R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","mn":"123456789","role":0,"iat":1699999990,)"
    R"("exp":1700007190,"tokenExp":1700007190})";
constexpr std::string_view native_meeting =
    R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700007190})";
constexpr std::string_view video_token =
    R"({"app_key":"videoKEY","role_type":1,"tpc":"Cool Cars","version":1,"iat":1699999990,"exp":1700007190})";

std::vector<std::string> failing_rules(const TokenCheck& check) {
    std::vector<std::string> names;
    for (const auto& rule : check.rules) {
        if (rule.outcome != Outcome::pass) {
            names.push_back(rule.rule);
        }
    }
    return names;
}

bool any_detail_contains(const TokenCheck& check, std::string_view text) {
    return std::ranges::any_of(check.rules,
                               [&](const auto& rule) { return rule.detail.find(text) != std::string::npos; });
}

bool mentions_a_secret(const TokenCheck& check) {
    return any_detail_contains(check, "SECRET");
}

struct FailureCase {
    std::string_view name;
    CredentialPtr signed_with;
    std::string_view payload;
    TokenKind kind;
    std::vector<std::string> failing;
    /// Words of the likely cause, in the failing rule's detail.
    std::string_view cause;
};

const std::vector<FailureCase> failure_cases{
    {"another secret", stranger, web_meeting, TokenKind::meeting, {"signature"}, "another secret"},
    {"the Video SDK secret on a Meeting token",
     video,
     web_meeting,
     TokenKind::meeting,
     {"signature"},
     "Video SDK secret"},
    {"the Meeting SDK secret on a Video token",
     meeting,
     video_token,
     TokenKind::video,
     {"signature"},
     "Meeting SDK secret"},
    {"appKey of another app",
     meeting,
     R"({"appKey":"otherKEY","sdkKey":"otherKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"appKey", "sdkKey"},
     "not the configured key"},
    {"a Video SDK key in a Meeting token",
     meeting,
     R"({"appKey":"videoKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"appKey"},
     "Video SDK key used for a Meeting"},
    {"a Meeting SDK key in a Video token",
     video,
     R"({"app_key":"meetingKEY","role_type":1,"tpc":"s","iat":1699999990,"exp":1700007190})",
     TokenKind::video,
     {"app_key"},
     "Meeting SDK key used for a Video"},
    {"appKey missing",
     meeting,
     R"({"sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"appKey"},
     "appKey is missing"},
    {"iat in the future",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1700000300,"exp":1700007500,"tokenExp":1700007500})",
     TokenKind::meeting,
     {"iat"},
     "--iat-backdate"},
    {"expired",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699990000,"exp":1699997200,"tokenExp":1699997200})",
     TokenKind::meeting,
     {"exp"},
     "expired 2800 s ago"},
    {"lifetime below 1800",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700001789,"tokenExp":1700001789})",
     TokenKind::meeting,
     {"lifetime"},
     "outside 1800..172800"},
    {"lifetime above 172800",
     video,
     R"({"app_key":"videoKEY","role_type":0,"tpc":"s","iat":1699999990,"exp":1700172791})",
     TokenKind::video,
     {"lifetime"},
     "outside 1800..172800"},
    {"tokenExp missing",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190})",
     TokenKind::meeting,
     {"tokenExp"},
     "tokenExp is missing"},
    {"tokenExp not exp",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700003600})",
     TokenKind::meeting,
     {"tokenExp"},
     "differs from exp"},
    {"mn not digits",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","mn":"123-456","role":0,"iat":1699999990,)"
     R"("exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"mn"},
     "not a meeting number"},
    {"role not 0 or 1",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","mn":123456789,"role":2,"iat":1699999990,)"
     R"("exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"role"},
     "not the integer 0 or 1"},
    {"role_type not 0 or 1",
     video,
     R"({"app_key":"videoKEY","role_type":"1","tpc":"s","iat":1699999990,"exp":1700007190})",
     TokenKind::video,
     {"role_type"},
     "not the integer 0 or 1"},
    {"a string iat",
     meeting,
     R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":"1699999990","exp":1700007190,"tokenExp":1700007190})",
     TokenKind::meeting,
     {"iat"},
     "iat is a string"},
    {"an old JWT-app token",
     meeting,
     R"({"iss":"apiKEY","exp":1700007190})",
     TokenKind::jwt_app,
     {"kind"},
     "JWT-app token"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(token_check)

BOOST_AUTO_TEST_CASE(each_failure_kind_fails_its_rule_and_names_the_cause) {
    for (const auto& row : failure_cases) {
        BOOST_TEST_CONTEXT(row.name) {
            const auto check = check_token(sign(row.signed_with, row.payload), both, now);
            BOOST_TEST(!check.valid());
            BOOST_TEST((check.kind == row.kind));
            BOOST_TEST(failing_rules(check) == row.failing, boost::test_tools::per_element());
            BOOST_TEST(any_detail_contains(check, row.cause));
            BOOST_TEST(!mentions_a_secret(check));
        }
    }
}

BOOST_AUTO_TEST_CASE(valid_tokens_pass_every_rule) {
    const struct {
        std::string_view name;
        CredentialPtr signed_with;
        std::string_view payload;
        TokenKind kind;
    } rows[] = {
        {"web meeting", meeting, web_meeting, TokenKind::meeting},
        {"native meeting", meeting, native_meeting, TokenKind::meeting},
        {"video", video, video_token, TokenKind::video},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.name) {
            const auto check = check_token(sign(row.signed_with, row.payload), both, now);
            BOOST_TEST(check.valid());
            BOOST_TEST((check.kind == row.kind));
            BOOST_TEST(failing_rules(check).empty());
            BOOST_TEST(any_detail_contains(check, "HMAC-SHA256"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_token_signed_by_the_signer_for_the_endpoint_is_valid) {
    sdksign::signing::MeetingClaims claims;
    claims.meeting_number = sdksign::signing::MeetingNumber{"85746065432", false};
    claims.role = 1;
    claims.iat = now;
    claims.exp = now + 7200;
    sdksign::signing::TokenSigner signer;
    BOOST_TEST(check_token(signer.sign_meeting(meeting, claims), both, now).valid());
    BOOST_TEST(!check_token(signer.sign_meeting(meeting, claims), both, now + 7200).valid());
}

BOOST_AUTO_TEST_CASE(a_missing_credential_of_the_kind_is_said_plainly) {
    const auto check = check_token(sign(video, video_token), CheckCredentials{meeting, nullptr}, now);
    BOOST_TEST(!check.valid());
    BOOST_TEST(failing_rules(check) == (std::vector<std::string>{"credential", "signature", "app_key"}),
               boost::test_tools::per_element());
    BOOST_TEST(any_detail_contains(check, "no Video SDK credential is configured"));
}

BOOST_AUTO_TEST_CASE(blanks_around_the_token_are_ignored) {
    BOOST_TEST(check_token(" \n" + sign(meeting, web_meeting) + "\r\n", both, now).valid());
}

BOOST_AUTO_TEST_CASE(a_changed_payload_breaks_the_signature) {
    const std::string token = sign(meeting, web_meeting);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string forged =
        token.substr(0, first + 1) +
        sdksign::signing::encode_base64url(
            R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","mn":"123456789","role":1,"iat":1699999990,)"
            R"("exp":1700007190,"tokenExp":1700007190})") +
        token.substr(second);
    const auto check = check_token(forged, both, now);
    BOOST_TEST(failing_rules(check) == (std::vector<std::string>{"signature"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(what_is_no_token_is_a_usage_error) {
    using sdksign::signing::encode_base64url;
    const std::string header(sdksign::signing::hs256_header_segment);
    const std::string rows[] = {
        "",
        "not a token",
        header + "." + encode_base64url("{}"),
        header + "." + encode_base64url("{}") + ".c2ln.extra",
        header + ".e30*.c2ln",
        header + ".e30=.c2ln",
        encode_base64url("not json") + "." + encode_base64url("{}") + ".c2ln",
        header + "." + encode_base64url("[1,2]") + ".c2ln",
        header + "." + encode_base64url(R"({"iat":)") + ".c2ln",
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row) {
            BOOST_CHECK_THROW(check_token(row, both, now), MalformedToken);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
