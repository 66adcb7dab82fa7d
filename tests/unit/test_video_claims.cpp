#include "credentials/credential.hpp"
#include "json/json_text.hpp"
#include "signing/token_signer.hpp"
#include "signing/video_claims.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>

// Known answers: each expected token was computed outside sdksign, by Python's json (separators ',' and
// ':', ensure_ascii off: JSON.stringify's text for these values), base64 and hmac modules, from the claims
// written as a Python dict in the video sample's order.

using sdksign::signing::append_video_payload;
using sdksign::signing::VideoClaims;

namespace {

constexpr std::string_view key = "videoKEY";
constexpr std::string_view secret = "video-SECRET-known-answer";

std::string sign(const VideoClaims& claims) {
    sdksign::signing::TokenSigner signer;
    const auto credential = sdksign::credentials::make_credential(
        std::string(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
    return signer.sign_video(credential, claims);
}

std::string payload(const VideoClaims& claims) {
    std::string out;
    append_video_payload(out, sdksign::json::json_string(key), claims);
    return out;
}

VideoClaims minimal() {
    VideoClaims claims;
    claims.role_type = 1;
    claims.topic = "Cool Cars";
    claims.iat = 1646937553;
    claims.exp = 1646944753;
    return claims;
}

VideoClaims every_claim() {
    VideoClaims claims;
    claims.role_type = 0;
    claims.topic = "Caf\u00e9 \u2615 \U0001F697 \"q\" \\ \n\x01";
    claims.iat = 1700000000;
    claims.exp = 1700172800;
    claims.user_identity = "user123";
    claims.user_key = "key-456";
    claims.session_key = "session123";
    claims.geo_regions = "US,AU";
    claims.cloud_recording_option = 1;
    claims.cloud_recording_election = 0;
    claims.cloud_recording_transcript_option = 2;
    claims.telemetry_tracking_id = "t-1";
    claims.video_webrtc_mode = 1;
    claims.audio_webrtc_mode = 0;
    return claims;
}

} // namespace

BOOST_AUTO_TEST_SUITE(video_claims_cpp)

BOOST_AUTO_TEST_CASE(required_claims_only) {
    BOOST_TEST(payload(minimal()) ==
               R"({"app_key":"videoKEY","role_type":1,"tpc":"Cool Cars","version":1,)"
               R"("iat":1646937553,"exp":1646944753})");
    BOOST_TEST(
        sign(minimal()) ==
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcHBfa2V5IjoidmlkZW9LRVkiLCJyb2xlX3R5cGUiOjEsInRwYyI6Ik"
        "Nvb2wgQ2FycyIsInZlcnNpb24iOjEsImlhdCI6MTY0NjkzNzU1MywiZXhwIjoxNjQ2OTQ0NzUzfQ.90fMg3q514VPLvPsT6a_"
        "IsRT2OR5uQNxv7AM3PxtBN0");
}

BOOST_AUTO_TEST_CASE(every_claim_in_order_with_escapes_and_characters_beyond_ascii) {
    BOOST_TEST(
        payload(every_claim()) ==
        "{\"app_key\":\"videoKEY\",\"role_type\":0,\"tpc\":\"Caf\u00e9 \u2615 \U0001F697 \\\"q\\\" \\\\ "
        "\\n\\u0001\",\"version\":1,\"iat\":1700000000,\"exp\":1700172800,\"user_identity\":\"user123\","
        "\"user_key\":\"key-456\",\"session_key\":\"session123\",\"geo_regions\":\"US,AU\","
        "\"cloud_recording_option\":1,\"cloud_recording_election\":0,"
        "\"cloud_recording_transcript_option\":2,\"telemetry_tracking_id\":\"t-1\","
        "\"video_webrtc_mode\":1,\"audio_webrtc_mode\":0}");
    BOOST_TEST(
        sign(every_claim()) ==
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcHBfa2V5IjoidmlkZW9LRVkiLCJyb2xlX3R5cGUiOjAsInRwYyI6Ik"
        "NhZsOpIOKYlSDwn5qXIFwicVwiIFxcIFxuXHUwMDAxIiwidmVyc2lvbiI6MSwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MD"
        "AxNzI4MDAsInVzZXJfaWRlbnRpdHkiOiJ1c2VyMTIzIiwidXNlcl9rZXkiOiJrZXktNDU2Iiwic2Vzc2lvbl9rZXkiOiJzZX"
        "NzaW9uMTIzIiwiZ2VvX3JlZ2lvbnMiOiJVUyxBVSIsImNsb3VkX3JlY29yZGluZ19vcHRpb24iOjEsImNsb3VkX3JlY29yZG"
        "luZ19lbGVjdGlvbiI6MCwiY2xvdWRfcmVjb3JkaW5nX3RyYW5zY3JpcHRfb3B0aW9uIjoyLCJ0ZWxlbWV0cnlfdHJhY2tpbm"
        "dfaWQiOiJ0LTEiLCJ2aWRlb193ZWJydGNfbW9kZSI6MSwiYXVkaW9fd2VicnRjX21vZGUiOjB9.ayCxC6DYwcXvvh6XtsCFic"
        "9v-An0c49WWqIcOZGwU6A");
}

BOOST_AUTO_TEST_CASE(absent_claims_are_left_out_not_null) {
    VideoClaims claims;
    claims.topic = "s";
    claims.iat = 1700000000;
    claims.exp = 1700007200;
    claims.session_key = "k";
    claims.audio_webrtc_mode = 1;
    BOOST_TEST(payload(claims) ==
               R"({"app_key":"videoKEY","role_type":0,"tpc":"s","version":1,)"
               R"("iat":1700000000,"exp":1700007200,"session_key":"k","audio_webrtc_mode":1})");
    BOOST_TEST(
        sign(claims) ==
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcHBfa2V5IjoidmlkZW9LRVkiLCJyb2xlX3R5cGUiOjAsInRwYyI6In"
        "MiLCJ2ZXJzaW9uIjoxLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwNzIwMCwic2Vzc2lvbl9rZXkiOiJrIiwiYXVkaW"
        "9fd2VicnRjX21vZGUiOjF9.dWQ512RxRA75bLlwxUxiAWlG3-zK8U9onkirowU3PPE");
}

BOOST_AUTO_TEST_CASE(a_signer_alternating_meeting_and_video_tokens_keeps_each_right) {
    // One worker thread serves both endpoints: the meeting payload's cached prefix must not leak into a
    // video token, nor the reverse.
    sdksign::signing::TokenSigner signer;
    const auto credential = sdksign::credentials::make_credential(
        std::string(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
    sdksign::signing::MeetingClaims meeting;
    meeting.iat = 1700000000;
    meeting.exp = 1700007200;
    const std::string meeting_first = signer.sign_meeting(credential, meeting);
    BOOST_TEST(std::string(signer.sign_video(credential, minimal())) == sign(minimal()));
    BOOST_TEST(std::string(signer.sign_meeting(credential, meeting)) == meeting_first);
}

BOOST_AUTO_TEST_SUITE_END()
