#include "credentials/credential.hpp"
#include "signing/base64url.hpp"
#include "signing/token_signer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

using sdksign::credentials::CredentialPtr;
using sdksign::credentials::make_credential;
using sdksign::signing::hs256_header_segment;
using sdksign::signing::MeetingClaims;
using sdksign::signing::MeetingNumber;
using sdksign::signing::TokenSigner;

// Known answers. Every expected token below was computed independently of this code base, with Python 3's
// hmac/hashlib/base64 and the payload JSON written out by hand (claim order appKey, sdkKey, mn, role, iat,
// exp, tokenExp, video_webrtc_mode; no spaces):
//
//   python3 -c 'import base64,hashlib,hmac,sys; b=lambda x:
//   base64.urlsafe_b64encode(x).rstrip(b"=").decode();
//     m=b(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}")+"."+b(sys.argv[2].encode());
//     print(m+"."+b(hmac.new(sys.argv[1].encode(),m.encode(),hashlib.sha256).digest()))' SECRET 'PAYLOAD'
//
// (one line; SECRET and PAYLOAD as given in each test, in a UTF-8 locale so that argv is encoded as UTF-8).
// The tests compare tokens only, so a failure never prints a secret.

namespace {

constexpr std::string_view key = "sdkKEY-1234567890";
constexpr std::string_view secret = "sdkSECRET-abcdefghij0123456789";

CredentialPtr credential(std::string_view sdk_key, std::string_view sdk_secret) {
    return make_credential(std::string(sdk_key),
                           Botan::secure_vector<std::uint8_t>(sdk_secret.begin(), sdk_secret.end()));
}

MeetingNumber meeting_number(std::string digits, bool as_string) {
    return {std::move(digits), as_string};
}

MeetingClaims native_claims(std::int64_t lifetime = 7200) {
    MeetingClaims claims;
    claims.iat = 1700000000;
    claims.exp = claims.iat + lifetime;
    return claims;
}

MeetingClaims web_claims(MeetingNumber number, int role, std::int64_t lifetime = 7200) {
    auto claims = native_claims(lifetime);
    claims.meeting_number = std::move(number);
    claims.role = role;
    return claims;
}

// PAYLOAD {"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","mn":"85746065432","role":0,
//          "iat":1700000000,"exp":1700007200,"tokenExp":1700007200}
constexpr std::string_view web_string_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMjM0NT"
    "Y3ODkwIiwibW4iOiI4NTc0NjA2NTQzMiIsInJvbGUiOjAsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDA3MjAwLCJ0b2tlbkV4cC"
    "I6MT"
    "cwMDAwNzIwMH0.WOkh9cxx9Xlip4XP6gtmBrSUSONRWo37GGRlD4SOEj4";

// PAYLOAD {"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","mn":85746065432,"role":1,
//          "iat":1700000000,"exp":1700007200,"tokenExp":1700007200}
constexpr std::string_view web_number_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMjM0NT"
    "Y3ODkwIiwibW4iOjg1NzQ2MDY1NDMyLCJyb2xlIjoxLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwNzIwMCwidG9rZW5FeHAiOj"
    "E3MD"
    "AwMDcyMDB9.wdoclEVu7evB_M-egqtORTjBf7stFOs1XhlrcG-wy3A";

// PAYLOAD {"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","iat":1700000000,"exp":1700007200,
//          "tokenExp":1700007200}
constexpr std::string_view native_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMjM0NT"
    "Y3ODkwIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDcyMDAsInRva2VuRXhwIjoxNzAwMDA3MjAwfQ."
    "pAP4P6OEcwVTt07sLEpM8X"
    "rFECl-JFt-wmShrO56Oxo";

} // namespace

BOOST_AUTO_TEST_SUITE(token_signer_cpp)

BOOST_AUTO_TEST_CASE(web_token_with_meeting_number_as_string) {
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, secret),
                                   web_claims(meeting_number("85746065432", true), 0)) == web_string_token);
}

BOOST_AUTO_TEST_CASE(web_token_with_meeting_number_as_number) {
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, secret),
                                   web_claims(meeting_number("85746065432", false), 1)) == web_number_token);
}

BOOST_AUTO_TEST_CASE(native_token_without_mn_and_role) {
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, secret), native_claims()) == native_token);
}

BOOST_AUTO_TEST_CASE(web_token_with_video_webrtc_mode) {
    // PAYLOAD {"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","mn":"85746065432","role":1,
    //          "iat":1700000000,"exp":1700172800,"tokenExp":1700172800,"video_webrtc_mode":1}
    constexpr std::string_view expected =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMj"
        "M0NTY3ODkwIiwibW4iOiI4NTc0NjA2NTQzMiIsInJvbGUiOjEsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMTcyODAwLCJ0b2"
        "tlbkV4"
        "cCI6MTcwMDE3MjgwMCwidmlkZW9fd2VicnRjX21vZGUiOjF9.dLD7HUv8-T-4w7591NYvlQFA9jQqOsUDUokYeLMX61k";
    auto claims = web_claims(meeting_number("85746065432", true), 1, 172800);
    claims.video_webrtc_mode = 1;
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, secret), claims) == expected);
}

BOOST_AUTO_TEST_CASE(native_token_with_video_webrtc_mode_zero) {
    // PAYLOAD {"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","iat":1700000000,"exp":1700001800,
    //          "tokenExp":1700001800,"video_webrtc_mode":0}
    constexpr std::string_view expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                          "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMj"
                                          "M0NTY3ODkwIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDE4MDAsInRva2Vu"
                                          "RXhwIjoxNzAwMDAxODAwLCJ2aWRlb193ZWJydGNf"
                                          "bW9kZSI6MH0.r__zTumM89qOGkwgqcU2vNV5VzCDTG17jhHXi9452GI";
    auto claims = native_claims(1800);
    claims.video_webrtc_mode = 0;
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, secret), claims) == expected);
}

BOOST_AUTO_TEST_CASE(key_that_needs_json_escaping) {
    // Key k"e\y<TAB><U+0001>; PAYLOAD {"appKey":"k\"e\\y\t\u0001","sdkKey":"k\"e\\y\t\u0001",
    //                                   "iat":1700000000,"exp":1700007200,"tokenExp":1700007200}
    constexpr std::string_view expected =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJhcHBLZXkiOiJrXCJlXFx5XHRcdTAwMDEiLCJzZGtLZXkiOiJrXCJlXFx5XHRcdTA"
        "wMDEiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwNzIwMCwidG9rZW5FeHAiOjE3MDAwMDcyMDB9.XfPIKQOp3b-"
        "l6wwzpBMk1D23"
        "XuMdFUhqDrZdu_brhKE";
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential("k\"e\\y\t\x01", secret), native_claims()) == expected);
}

BOOST_AUTO_TEST_CASE(secret_with_non_ascii_utf8_bytes) {
    // SECRET sécret-日本語-🔑 (its UTF-8 bytes are the HMAC key); PAYLOAD as for native_token.
    constexpr std::string_view expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                          "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMj"
                                          "M0NTY3ODkwIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDcyMDAsInRva2Vu"
                                          "RXhwIjoxNzAwMDA3MjAwfQ.63B5kiPRjWY7208U"
                                          "-enr4CbMbFFgSjToWORBQ7VkeRE";
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key,
                                              "s\xc3\xa9"
                                              "cret-日本語-🔑"),
                                   native_claims()) == expected);
}

BOOST_AUTO_TEST_CASE(hex_looking_secret_is_not_hex_decoded) {
    // SECRET 0123456789abcdef0123456789ABCDEF: even length, all hex digits. jsrsasign (the Node sample) would
    // use the 16 bytes it decodes to; the HMAC key is its 32 ASCII bytes. PAYLOAD as for native_token.
    constexpr std::string_view expected = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                          "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMj"
                                          "M0NTY3ODkwIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDcyMDAsInRva2Vu"
                                          "RXhwIjoxNzAwMDA3MjAwfQ.yEJGs6fKDZOhmE1g"
                                          "pS0hI5SJVd5YErEpfRQZ6QuelbM";
    // The same, computed with bytes.fromhex(SECRET) as the key: what the sample's hex bug would produce.
    constexpr std::string_view hex_decoded =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJhcHBLZXkiOiJzZGtLRVktMTIzNDU2Nzg5MCIsInNka0tleSI6InNka0tFWS0xMj"
        "M0NTY3ODkwIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDcyMDAsInRva2VuRXhwIjoxNzAwMDA3MjAwfQ."
        "exEmGeBBEfw7y_VF"
        "Ybf6pU_1EZur_qiUYT_nuhtkh0I";
    TokenSigner signer;
    const std::string token =
        signer.sign_meeting(credential(key, "0123456789abcdef0123456789ABCDEF"), native_claims());
    BOOST_TEST(token == expected);
    BOOST_TEST(token != hex_decoded);
}

BOOST_AUTO_TEST_CASE(arbitrary_payload) {
    // PAYLOAD {"a":1}
    TokenSigner signer;
    BOOST_TEST(signer.sign_payload(credential(key, secret), R"({"a":1})") ==
               "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxfQ.vx1Cg3ln74cZNHZ_nu1atPaHxuWjlqetEgDSCHyZBgM");
}

BOOST_AUTO_TEST_CASE(one_signer_rekeys_between_credentials) {
    // SECRET another-Secret-XYZ, key otherKEY; PAYLOAD {"appKey":"otherKEY","sdkKey":"otherKEY",
    //   "iat":1700000000,"exp":1700007200,"tokenExp":1700007200}
    constexpr std::string_view other_token =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJhcHBLZXkiOiJvdGhlcktFWSIsInNka0tleSI6Im90aGVyS0VZIiwiaWF0IjoxNzAw"
        "MDAwMDAwLCJleHAiOjE3MDAwMDcyMDAsInRva2VuRXhwIjoxNzAwMDA3MjAwfQ.Zhn9c7nwIO8AXyhGAFDGzuy9cudi0lxbj-"
        "5pviSI0ps";
    const auto first = credential(key, secret);
    const auto second = credential("otherKEY", "another-Secret-XYZ");
    TokenSigner signer;
    for (int round = 0; round < 3; ++round) {
        BOOST_TEST_CONTEXT("round " << round) {
            BOOST_TEST(signer.sign_meeting(first, native_claims()) == native_token);
            BOOST_TEST(signer.sign_meeting(second, native_claims()) == other_token);
            BOOST_TEST(signer.sign_meeting(second, native_claims()) ==
                       other_token); // same key twice in a row
            BOOST_TEST(signer.sign_meeting(first, web_claims(meeting_number("85746065432", true), 0)) ==
                       web_string_token);
        }
    }
}

BOOST_AUTO_TEST_CASE(rekeys_for_a_new_credential_with_the_same_contents_or_address) {
    TokenSigner signer;
    for (int round = 0; round < 4; ++round) {
        // A fresh credential each round, alternating secrets: the signer must key for each new snapshot.
        const bool other = round % 2 == 1;
        const auto token = std::string(signer.sign_meeting(
            other ? credential("otherKEY", "another-Secret-XYZ") : credential(key, secret), native_claims()));
        BOOST_TEST_CONTEXT("round " << round) {
            if (other) {
                BOOST_TEST(token.ends_with(".Zhn9c7nwIO8AXyhGAFDGzuy9cudi0lxbj-5pviSI0ps"));
            } else {
                BOOST_TEST(token == native_token);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(token_shape) {
    TokenSigner signer;
    const std::string token =
        signer.sign_meeting(credential(key, secret), web_claims(meeting_number("1", false), 1));
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    BOOST_TEST_REQUIRE(second_dot != std::string::npos);
    BOOST_TEST(token.find('.', second_dot + 1) == std::string::npos);
    BOOST_TEST(token.substr(0, first_dot) == hs256_header_segment);
    BOOST_TEST(token.size() - second_dot - 1 == 43U); // 32 tag bytes, unpadded
    const auto payload =
        sdksign::signing::decode_base64url(token.substr(first_dot + 1, second_dot - first_dot - 1));
    BOOST_TEST_REQUIRE(payload.has_value());
    BOOST_TEST(*payload ==
               R"({"appKey":"sdkKEY-1234567890","sdkKey":"sdkKEY-1234567890","mn":1,"role":1,)"
               R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})");
}

BOOST_AUTO_TEST_CASE(empty_secret_is_signed_with) {
    // Like the sample, an empty HMAC key is legal here (the providers refuse empty secrets before this
    // point). SECRET '' (empty); PAYLOAD as for native_token.
    TokenSigner signer;
    BOOST_TEST(signer.sign_meeting(credential(key, ""), native_claims()) ==
               std::string(native_token.substr(0, native_token.rfind('.'))) +
                   ".Scya3dAWoH88eqrynBUtTVSU3rhFCYp_Qj8w6iI899c");
}

BOOST_AUTO_TEST_CASE(meeting_tokens_match_the_fully_encoded_payload_for_every_key_length) {
    // sign_meeting reuses the encoding of the payload's constant prefix; sign_payload encodes everything.
    // Keys of 1 to 7 characters give prefixes of every length modulo 3, on one signer that rekeys each time.
    TokenSigner meeting_signer;
    TokenSigner payload_signer;
    std::string sdk_key;
    for (char c = 'a'; c <= 'g'; ++c) {
        sdk_key.push_back(c);
        const auto snapshot = credential(sdk_key, secret);
        const std::string payload = R"({"appKey":")" + sdk_key + R"(","sdkKey":")" + sdk_key +
            R"(","mn":"85746065432","role":0,"iat":1700000000,"exp":1700007200,"tokenExp":1700007200})";
        BOOST_TEST_CONTEXT("key length " << sdk_key.size()) {
            BOOST_TEST(
                meeting_signer.sign_meeting(snapshot, web_claims(meeting_number("85746065432", true), 0)) ==
                payload_signer.sign_payload(snapshot, payload));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
