#include "json/json_text.hpp"
#include "signing/meeting_claims.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using sdksign::json::json_string;
using sdksign::signing::append_meeting_payload;
using sdksign::signing::MeetingClaims;
using sdksign::signing::MeetingNumber;

namespace {

std::string payload(const MeetingClaims& claims, const std::string& key = "KEY") {
    std::string out;
    append_meeting_payload(out, json_string(key), claims);
    return out;
}

MeetingClaims claims_at(std::int64_t iat, std::int64_t lifetime) {
    MeetingClaims claims;
    claims.iat = iat;
    claims.exp = iat + lifetime;
    return claims;
}

} // namespace

BOOST_AUTO_TEST_SUITE(meeting_claims_cpp)

BOOST_AUTO_TEST_CASE(native_token_has_no_mn_and_no_role) {
    BOOST_TEST(payload(claims_at(1700000000, 7200)) ==
               R"({"appKey":"KEY","sdkKey":"KEY","iat":1700000000,"exp":1700007200,"tokenExp":1700007200})");
}

BOOST_AUTO_TEST_CASE(web_token_with_mn_as_string) {
    auto claims = claims_at(1700000000, 7200);
    claims.meeting_number = MeetingNumber{"85746065432", true};
    claims.role = 0;
    BOOST_TEST(payload(claims) ==
               R"({"appKey":"KEY","sdkKey":"KEY","mn":"85746065432","role":0,)"
               R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})");
}

BOOST_AUTO_TEST_CASE(web_token_with_mn_as_number) {
    auto claims = claims_at(1700000000, 1800);
    claims.meeting_number = MeetingNumber{"85746065432", false};
    claims.role = 1;
    BOOST_TEST(payload(claims) ==
               R"({"appKey":"KEY","sdkKey":"KEY","mn":85746065432,"role":1,)"
               R"("iat":1700000000,"exp":1700001800,"tokenExp":1700001800})");
}

BOOST_AUTO_TEST_CASE(video_webrtc_mode_comes_last) {
    auto claims = claims_at(1700000000, 172800);
    claims.meeting_number = MeetingNumber{"1", true};
    claims.role = 1;
    claims.video_webrtc_mode = 1;
    BOOST_TEST(payload(claims) ==
               R"({"appKey":"KEY","sdkKey":"KEY","mn":"1","role":1,"iat":1700000000,)"
               R"("exp":1700172800,"tokenExp":1700172800,"video_webrtc_mode":1})");
    auto native = claims_at(1700000000, 7200);
    native.video_webrtc_mode = 0;
    BOOST_TEST(payload(native) ==
               R"({"appKey":"KEY","sdkKey":"KEY","iat":1700000000,"exp":1700007200,)"
               R"("tokenExp":1700007200,"video_webrtc_mode":0})");
}

BOOST_AUTO_TEST_CASE(key_is_written_as_given_json) {
    BOOST_TEST(payload(claims_at(0, 0), "a\"b\\c") ==
               R"({"appKey":"a\"b\\c","sdkKey":"a\"b\\c","iat":0,"exp":0,"tokenExp":0})");
}

BOOST_AUTO_TEST_CASE(appends_to_existing_text) {
    std::string out = "header.";
    append_meeting_payload(out, R"("K")", claims_at(5, 10));
    BOOST_TEST(out == R"(header.{"appKey":"K","sdkKey":"K","iat":5,"exp":15,"tokenExp":15})");
}

BOOST_AUTO_TEST_CASE(negative_iat_is_still_an_integer) {
    // A clock before the epoch is absurd, but the text must stay valid JSON numbers, never strings.
    BOOST_TEST(payload(claims_at(-10, 20)) ==
               R"({"appKey":"KEY","sdkKey":"KEY","iat":-10,"exp":10,"tokenExp":10})");
}

BOOST_AUTO_TEST_SUITE_END()
