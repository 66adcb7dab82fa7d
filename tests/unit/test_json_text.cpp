#include "json/json_text.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

using sdksign::json::append_json_integer;
using sdksign::json::append_json_string;
using sdksign::json::json_string;

namespace {

struct Escape {
    std::string_view input;
    std::string_view expected; // what JavaScript's JSON.stringify(input) returns
};

} // namespace

BOOST_AUTO_TEST_SUITE(json_text_cpp)

BOOST_AUTO_TEST_CASE(escapes_like_json_stringify) {
    // Checked against node: JSON.stringify("\x01") === '"\\u0001"', and so on.
    const std::array<Escape, 20> cases{{
        {"", R"("")"},
        {"plain", R"("plain")"},
        {"a\"b", R"("a\"b")"},
        {"a\\b", R"("a\\b")"},
        {"\b", R"("\b")"},
        {"\f", R"("\f")"},
        {"\n", R"("\n")"},
        {"\r", R"("\r")"},
        {"\t", R"("\t")"},
        {std::string_view("\0", 1), R"("\u0000")"},
        {"\x01", R"("\u0001")"},
        {"\x0b", R"("\u000b")"}, // vertical tab has no short form
        {"\x1a", R"("\u001a")"}, // lower-case hex digits, as JSON.stringify writes them
        {"\x1f", R"("\u001f")"},
        {" ", R"(" ")"},
        {"\x7f", "\"\x7f\""}, // DEL is not escaped
        {"/", R"("/")"}, // neither is the solidus
        {"<\u2028>", "\"<\u2028>\""}, // nor U+2028 (well-formed JSON.stringify leaves it)
        {"日本語 🔑 é", "\"日本語 🔑 é\""}, // UTF-8 passes through unchanged
        {"k\"e\\y\t\x01", R"("k\"e\\y\t\u0001")"},
    }};
    for (const auto& escape : cases) {
        BOOST_TEST_CONTEXT("expected " << escape.expected) {
            BOOST_TEST(json_string(escape.input) == escape.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_control_character) {
    constexpr std::string_view hex = "0123456789abcdef";
    for (int c = 0; c < 0x20; ++c) {
        std::string expected;
        switch (c) {
        case '\b':
            expected = R"("\b")";
            break;
        case '\f':
            expected = R"("\f")";
            break;
        case '\n':
            expected = R"("\n")";
            break;
        case '\r':
            expected = R"("\r")";
            break;
        case '\t':
            expected = R"("\t")";
            break;
        default:
            expected = "\"\\u00";
            expected.push_back(hex[static_cast<std::size_t>(c >> 4)]);
            expected.push_back(hex[static_cast<std::size_t>(c & 0xF)]);
            expected += "\"";
        }
        BOOST_TEST_CONTEXT("character " << c) {
            BOOST_TEST(json_string(std::string(1, static_cast<char>(c))) == expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(append_string_keeps_what_is_already_there) {
    std::string out = "{\"k\":";
    append_json_string(out, "v\n");
    out += ",\"n\":";
    append_json_integer(out, 42);
    out += "}";
    BOOST_TEST(out == R"({"k":"v\n","n":42})");
}

BOOST_AUTO_TEST_CASE(integers) {
    const std::array<std::pair<std::int64_t, std::string_view>, 6> cases{{
        {0, "0"},
        {1, "1"},
        {-1, "-1"},
        {1700000000, "1700000000"},
        {std::numeric_limits<std::int64_t>::max(), "9223372036854775807"},
        {std::numeric_limits<std::int64_t>::min(), "-9223372036854775808"},
    }};
    for (const auto& [value, expected] : cases) {
        std::string out = "x";
        append_json_integer(out, value);
        BOOST_TEST(out == "x" + std::string(expected));
    }
}

BOOST_AUTO_TEST_SUITE_END()
