#include "app/video_request.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <variant>

// The parser on its own: what it makes of a body, claim by claim. The router table (test_router.cpp) checks
// the same rules as whole HTTP answers and signed payloads.

using sdksign::app::parse_video_request;
using sdksign::app::RequestRejection;
using sdksign::app::VideoTokenRequest;

namespace {

VideoTokenRequest accepted(std::string_view body) {
    auto result = parse_video_request(body);
    BOOST_TEST_REQUIRE(std::holds_alternative<VideoTokenRequest>(result), "refused: " << body);
    return std::get<VideoTokenRequest>(std::move(result));
}

RequestRejection refused(std::string_view body) {
    auto result = parse_video_request(body);
    BOOST_TEST_REQUIRE(std::holds_alternative<RequestRejection>(result), "accepted: " << body);
    return std::get<RequestRejection>(std::move(result));
}

} // namespace

BOOST_AUTO_TEST_SUITE(video_request_cpp)

BOOST_AUTO_TEST_CASE(required_properties_only) {
    const auto request = accepted(R"({"sessionName":"Cool Cars","role":"1"})");
    BOOST_TEST(request.claims.role_type == 1);
    BOOST_TEST(request.claims.topic == "Cool Cars");
    BOOST_TEST(!request.expiration_seconds.has_value());
    BOOST_TEST(!request.claims.user_identity.has_value());
    BOOST_TEST(!request.claims.geo_regions.has_value());
    BOOST_TEST(!request.claims.audio_webrtc_mode.has_value());
}

BOOST_AUTO_TEST_CASE(geo_regions_are_cleaned_and_joined) {
    const struct {
        std::string_view body;
        std::string_view joined;
    } rows[] = {
        {R"({"sessionName":"s","role":0,"geoRegions":"US"})", "US"},
        {R"({"sessionName":"s","role":0,"geoRegions":" U S ,CN,"})", "US,CN"},
        {R"({"sessionName":"s","role":0,"geoRegions":["AU"," BR","", "C A"]})", "AU,BR,CA"},
        {"{\"sessionName\":\"s\",\"role\":0,\"geoRegions\":\"\u2028NL\u00a0,\u205fMX\"}", "NL,MX"},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.body) {
            BOOST_TEST(accepted(row.body).claims.geo_regions == std::string(row.joined));
        }
    }
    // A blank that JavaScript's \s does not match (U+200B, zero width space) stays, so the region is unknown.
    BOOST_TEST(
        refused("{\"sessionName\":\"s\",\"role\":0,\"geoRegions\":\"U\u200bS\"}").errors.front().property ==
        "geoRegions");
}

BOOST_AUTO_TEST_CASE(audio_webrtc_mode_falls_back_to_audio_compatible_mode) {
    BOOST_TEST(accepted(R"({"sessionName":"s","role":0,"audioCompatibleMode":0})").claims.audio_webrtc_mode ==
               std::optional(0));
    BOOST_TEST(accepted(R"({"sessionName":"s","role":0,"audioCompatibleMode":0,"audioWebRtcMode":1})")
                   .claims.audio_webrtc_mode == std::optional(1));
}

BOOST_AUTO_TEST_CASE(lengths_count_utf16_code_units) {
    // U+00E9 is two UTF-8 bytes and one code unit: 35 of them are a userIdentity at its limit.
    std::string e_acute;
    for (int i = 0; i < 35; ++i) {
        e_acute += "\u00e9";
    }
    BOOST_TEST(accepted(R"({"sessionName":"s","role":0,"userIdentity":")" + e_acute + R"("})")
                   .claims.user_identity == e_acute);
    const auto rejection = refused(R"({"sessionName":"s","role":0,"userIdentity":")" + e_acute + "\u00e9\"}");
    BOOST_TEST(rejection.errors.front().reason ==
               "Value exceed max length. Got 36, expected less than or equal to 35");
}

BOOST_AUTO_TEST_SUITE_END()
