#include "signing/base64url.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

using sdksign::signing::append_base64url;
using sdksign::signing::base64url_length;
using sdksign::signing::decode_base64url;
using sdksign::signing::encode_base64url;

namespace {

struct Vector {
    std::string_view plain;
    std::string_view encoded;
};

// RFC 4648 §10 test vectors, without their padding.
constexpr std::array<Vector, 7> rfc4648_vectors{{
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
}};

std::string all_bytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes.push_back(static_cast<char>(i));
    }
    return bytes;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base64url_cpp)

BOOST_AUTO_TEST_CASE(rfc4648_vectors_encode_without_padding) {
    for (const auto& vector : rfc4648_vectors) {
        BOOST_TEST_CONTEXT("input \"" << vector.plain << "\"") {
            BOOST_TEST(encode_base64url(vector.plain) == vector.encoded);
            BOOST_TEST(base64url_length(vector.plain.size()) == vector.encoded.size());
        }
    }
}

BOOST_AUTO_TEST_CASE(rfc4648_vectors_decode) {
    for (const auto& vector : rfc4648_vectors) {
        BOOST_TEST_CONTEXT("input \"" << vector.encoded << "\"") {
            const auto decoded = decode_base64url(vector.encoded);
            BOOST_TEST_REQUIRE(decoded.has_value());
            BOOST_TEST(*decoded == vector.plain);
        }
    }
}

BOOST_AUTO_TEST_CASE(uses_the_url_alphabet) {
    // 0xfb 0xff 0xbf is "+/+/" in standard base64 and "-_-_" in base64url.
    BOOST_TEST(encode_base64url("\xfb\xff\xbf") == "-_-_");
    BOOST_TEST(encode_base64url("\xff\xff") == "__8");
    BOOST_TEST(encode_base64url("\xfb") == "-w");
    BOOST_TEST(encode_base64url(std::string_view("\0\0\0", 3)) == "AAAA");
    BOOST_TEST(*decode_base64url("-_-_") == "\xfb\xff\xbf");
}

BOOST_AUTO_TEST_CASE(jwt_header_segment) {
    BOOST_TEST(encode_base64url(R"({"alg":"HS256","typ":"JWT"})") == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
    BOOST_TEST(*decode_base64url("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9") == R"({"alg":"HS256","typ":"JWT"})");
}

BOOST_AUTO_TEST_CASE(round_trips_every_length_and_byte_value) {
    const std::string bytes = all_bytes();
    for (std::size_t length = 0; length <= bytes.size(); ++length) {
        // Rotate the start so that every byte value lands in every position of a 3-byte group.
        for (std::size_t start : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
            std::string input;
            for (std::size_t i = 0; i < length; ++i) {
                input.push_back(bytes[(start + i * 7) % bytes.size()]);
            }
            const auto encoded = encode_base64url(input);
            BOOST_TEST_REQUIRE(encoded.size() == base64url_length(length));
            BOOST_TEST_REQUIRE(encoded.find_first_of("+/=") == std::string::npos);
            const auto decoded = decode_base64url(encoded);
            BOOST_TEST_REQUIRE(decoded.has_value());
            BOOST_TEST_REQUIRE(*decoded == input);
        }
    }
}

BOOST_AUTO_TEST_CASE(append_keeps_what_is_already_there) {
    std::string out = "prefix.";
    const std::array<std::uint8_t, 6> bytes{'f', 'o', 'o', 'b', 'a', 'r'};
    append_base64url(out, bytes);
    BOOST_TEST(out == "prefix.Zm9vYmFy");
    append_base64url(out, std::span<const std::uint8_t>(bytes.data(), 1));
    BOOST_TEST(out == "prefix.Zm9vYmFyZg");
    append_base64url(out, std::span<const std::uint8_t>());
    BOOST_TEST(out == "prefix.Zm9vYmFyZg");
}

BOOST_AUTO_TEST_CASE(length_formula) {
    BOOST_TEST(base64url_length(0) == 0U);
    BOOST_TEST(base64url_length(1) == 2U);
    BOOST_TEST(base64url_length(2) == 3U);
    BOOST_TEST(base64url_length(3) == 4U);
    BOOST_TEST(base64url_length(32) == 43U); // an HMAC-SHA256 tag
}

BOOST_AUTO_TEST_CASE(rejects_characters_outside_the_alphabet) {
    const std::array<std::string_view, 12> invalid{
        "Zm9v+mFy", // standard base64's '+'
        "Zm9v/mFy", // standard base64's '/'
        "Zm9vYg==", // padding
        "Zg==", // padding
        "Zm9 v", // space
        "Zm9v\n", // newline
        "Zm.v", // a JWT separator
        "Zm9v\x80", // a high byte
        "Zm9v\xff", // a high byte
        "Zm*v", // punctuation
        "Zm9vY%", // punctuation
        std::string_view("Zm\0v", 4), // NUL
    };
    for (const auto text : invalid) {
        BOOST_TEST_CONTEXT("input of " << text.size() << " bytes") {
            BOOST_TEST(!decode_base64url(text).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(rejects_impossible_lengths) {
    // One character left over carries only 6 bits: no byte can end there.
    for (const std::string_view text : {"Z", "Zm9vY", "Zm9vYmFyZ", "AAAAAAAAAAAAA"}) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!decode_base64url(text).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(empty_input_decodes_to_empty) {
    const auto decoded = decode_base64url("");
    BOOST_TEST_REQUIRE(decoded.has_value());
    BOOST_TEST(decoded->empty());
}

BOOST_AUTO_TEST_SUITE_END()
