#include "cli/verify_command.hpp"
#include "credentials/credential.hpp"
#include "signing/token_signer.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <sstream>
#include <string>
#include <string_view>
#include <tuple>

using sdksign::cli::run_verify;
using sdksign::cli::VerifyFormat;

namespace {

constexpr std::int64_t now = 1700000000;
constexpr std::string_view secret = "verify-SECRET-unit";

const sdksign::credentials::CredentialPtr meeting = sdksign::credentials::make_credential(
    "meetingKEY", Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));

std::string token(std::string_view payload) {
    sdksign::signing::TokenSigner signer;
    return signer.sign_payload(meeting, payload);
}

const std::string valid = token(
    R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699999990,"exp":1700007190,"tokenExp":1700007190})");
const std::string expired = token(
    R"({"appKey":"meetingKEY","sdkKey":"meetingKEY","iat":1699990000,"exp":1699997200,"tokenExp":1699997200})");

struct Run {
    int code = 0;
    std::string out;
    std::string err;
};

Run verify(std::string_view text, VerifyFormat format) {
    std::ostringstream out;
    std::ostringstream err;
    Run run;
    run.code = run_verify(text, {meeting, nullptr}, now, format, out, err);
    run.out = out.str();
    run.err = err.str();
    return run;
}

} // namespace

BOOST_AUTO_TEST_SUITE(verify_command)

BOOST_AUTO_TEST_CASE(text_has_one_line_per_rule_and_a_verdict) {
    const auto run = verify(valid, VerifyFormat::text);
    BOOST_TEST(run.code == sdksign::cli::verify_valid);
    BOOST_TEST(run.out.find("pass signature: ") != std::string::npos);
    BOOST_TEST(run.out.find("pass tokenExp: ") != std::string::npos);
    BOOST_TEST(run.out.ends_with("valid: the SDKs accept this token now\n"));
    BOOST_TEST(run.out.find(secret) == std::string::npos);

    const auto bad = verify(expired, VerifyFormat::text);
    BOOST_TEST(bad.code == sdksign::cli::verify_invalid);
    BOOST_TEST(bad.out.find("fail exp: expired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_is_one_object_with_every_rule) {
    for (const auto& [text, code, is_valid] : {std::tuple{valid, sdksign::cli::verify_valid, true},
                                               std::tuple{expired, sdksign::cli::verify_invalid, false}}) {
        const auto run = verify(text, VerifyFormat::json);
        BOOST_TEST(run.code == code);
        rapidjson::Document document;
        document.Parse(run.out.c_str());
        BOOST_TEST_REQUIRE(!document.HasParseError());
        BOOST_TEST(document["valid"].GetBool() == is_valid);
        BOOST_TEST(std::string_view(document["kind"].GetString()) == "meeting");
        BOOST_TEST(document["rules"].Size() > 5U);
        BOOST_TEST(document["rules"][0].HasMember("detail"));
        BOOST_TEST(run.out.find(secret) == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(no_token_is_a_usage_error_on_stderr) {
    const auto run = verify("not.a-token", VerifyFormat::json);
    BOOST_TEST(run.code == sdksign::cli::verify_usage_error);
    BOOST_TEST(run.out.empty());
    BOOST_TEST(run.err.starts_with("sdksign verify: "));
}

BOOST_AUTO_TEST_SUITE_END()
