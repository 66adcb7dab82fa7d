#include "app/meeting_request.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using sdksign::app::MeetingTokenRequest;
using sdksign::app::parse_meeting_request;
using sdksign::app::RequestRejection;
using sdksign::app::ValidationError;
using sdksign::signing::MeetingNumber;

namespace {

constexpr std::string_view schema_reason =
    "If one of the following properties is present, all or none must be present: meetingNumber, role";
constexpr std::string_view range_reason = "Value must in between 1800 and 172800";

struct Accepted {
    std::string_view name;
    std::string body;
    std::optional<MeetingNumber> meeting_number;
    std::optional<int> role;
    std::optional<std::int64_t> expiration_seconds;
    std::optional<int> video_webrtc_mode;
};

struct Refused {
    std::string_view name;
    std::string body;
    std::vector<ValidationError> errors;
};

std::string not_a_number(std::string_view shown) {
    return "Value " + std::string(shown) + " not allowed, must be of type number";
}

std::string not_whole_decimal(std::string_view shown) {
    return "Value " + std::string(shown) + " not allowed, must be a whole decimal integer";
}

std::string not_a_meeting_number(std::string_view shown) {
    return "Value " + std::string(shown) +
        " not allowed, must be a string of digits or a non-negative integer";
}

std::string not_zero_or_one(std::string_view shown) {
    return "Value is not valid. Got " + std::string(shown) + ", expected 0,1";
}

void check_errors(const std::vector<ValidationError>& actual, const std::vector<ValidationError>& expected) {
    BOOST_TEST_REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        BOOST_TEST_CONTEXT("error " << i) {
            BOOST_TEST(actual[i].property == expected[i].property);
            BOOST_TEST(actual[i].reason == expected[i].reason);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(meeting_request_cpp)

BOOST_AUTO_TEST_CASE(accepted_bodies) {
    const std::vector<Accepted> cases{
        {"empty body is {} (native)", "", {}, {}, {}, {}},
        {"whitespace-only body", " \r\n\t ", {}, {}, {}, {}},
        {"empty object", "{}", {}, {}, {}, {}},
        {"mn as string",
         R"({"meetingNumber":"85746065432","role":0})",
         MeetingNumber{"85746065432", true},
         0,
         {},
         {}},
        {"mn as number",
         R"({"meetingNumber":85746065432,"role":1})",
         MeetingNumber{"85746065432", false},
         1,
         {},
         {}},
        {"mn zero", R"({"meetingNumber":0,"role":0})", MeetingNumber{"0", false}, 0, {}, {}},
        {"mn string keeps leading zeros",
         R"({"meetingNumber":"007","role":0})",
         MeetingNumber{"007", true},
         0,
         {},
         {}},
        {"mn of 20 digits",
         R"({"meetingNumber":"12345678901234567890","role":0})",
         MeetingNumber{"12345678901234567890", true},
         0,
         {},
         {}},
        {"mn largest uint64",
         R"({"meetingNumber":18446744073709551615,"role":0})",
         MeetingNumber{"18446744073709551615", false},
         0,
         {},
         {}},
        {"mn 1.0 is an integer", R"({"meetingNumber":1.0,"role":0})", MeetingNumber{"1", false}, 0, {}, {}},
        {"mn 123e2 is an integer",
         R"({"meetingNumber":123e2,"role":0})",
         MeetingNumber{"12300", false},
         0,
         {},
         {}},
        {"role string 1", R"({"meetingNumber":"1","role":"1"})", MeetingNumber{"1", true}, 1, {}, {}},
        {"role string -0", R"({"meetingNumber":"1","role":"-0"})", MeetingNumber{"1", true}, 0, {}, {}},
        {"role 1.0", R"({"meetingNumber":"1","role":1.0})", MeetingNumber{"1", true}, 1, {}, {}},
        {"role 0e5", R"({"meetingNumber":"1","role":0e5})", MeetingNumber{"1", true}, 0, {}, {}},
        {"expiration 1800", R"({"expirationSeconds":1800})", {}, {}, 1800, {}},
        {"expiration 172800", R"({"expirationSeconds":172800})", {}, {}, 172800, {}},
        {"expiration string 7200", R"({"expirationSeconds":"7200"})", {}, {}, 7200, {}},
        {"expiration 3600.0", R"({"expirationSeconds":3600.0})", {}, {}, 3600, {}},
        {"expiration 1.8e3", R"({"expirationSeconds":1.8e3})", {}, {}, 1800, {}},
        {"videoWebRtcMode 0", R"({"videoWebRtcMode":0})", {}, {}, {}, 0},
        {"videoWebRtcMode string 1", R"({"videoWebRtcMode":"1"})", {}, {}, {}, 1},
        {"everything", R"({"meetingNumber":"9","role":1,"expirationSeconds":"1800","videoWebRtcMode":1})",
         MeetingNumber{"9", true}, 1, 1800, 1},
        {"unknown keys are ignored",
         R"({"userName":"x","meetingNumber":"1","sdkKey":"k","role":0,"x":[{}]})",
         MeetingNumber{"1", true},
         0,
         {},
         {}},
        {"duplicate keys: the last wins",
         R"({"role":1,"meetingNumber":"1","role":0,"meetingNumber":2})",
         MeetingNumber{"2", false},
         0,
         {},
         {}},
        {"duplicate: a bad value overridden",
         R"({"expirationSeconds":"x","expirationSeconds":1900})",
         {},
         {},
         1900,
         {}},
        {"valid UTF-8 elsewhere",
         "{\"name\":\"\xe6\x97\xa5\xf0\x9f\x94\x91\",\"meetingNumber\":\"1\",\"role\":0}",
         MeetingNumber{"1", true},
         0,
         {},
         {}},
        {"escapes in names", R"({"r\u006fle":1,"meetingNumber":"1"})", MeetingNumber{"1", true}, 1, {}, {}},
        {"surrounding whitespace",
         " \n{ \"meetingNumber\" : \"1\" , \"role\" : 0 }\n ",
         MeetingNumber{"1", true},
         0,
         {},
         {}},
    };
    for (const auto& accepted : cases) {
        BOOST_TEST_CONTEXT(accepted.name) {
            const auto result = parse_meeting_request(accepted.body);
            const auto* request = std::get_if<MeetingTokenRequest>(&result);
            BOOST_TEST_REQUIRE(request != nullptr);
            const auto& claims = request->claims;
            BOOST_TEST((claims.meeting_number == accepted.meeting_number));
            if (claims.meeting_number && accepted.meeting_number) {
                BOOST_TEST(claims.meeting_number->digits == accepted.meeting_number->digits);
                BOOST_TEST(claims.meeting_number->as_string == accepted.meeting_number->as_string);
            }
            BOOST_TEST(claims.role == accepted.role);
            BOOST_TEST(request->expiration_seconds == accepted.expiration_seconds);
            BOOST_TEST(claims.video_webrtc_mode == accepted.video_webrtc_mode);
            // The clock's part is the handler's.
            BOOST_TEST(claims.iat == 0);
            BOOST_TEST(claims.exp == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(refused_bodies) {
    const std::vector<Refused> cases{
        // The all-or-none rule; null counts as present.
        {"meetingNumber without role", R"({"meetingNumber":"1"})", {{"$schema", std::string(schema_reason)}}},
        {"role without meetingNumber", R"({"role":0})", {{"$schema", std::string(schema_reason)}}},
        {"null role counts as present",
         R"({"role":null})",
         {{"$schema", std::string(schema_reason)}, {"role", not_a_number("null")}}},
        {"both null",
         R"({"meetingNumber":null,"role":null})",
         {{"meetingNumber", not_a_meeting_number("null")}, {"role", not_a_number("null")}}},
        // role
        {"role 2", R"({"meetingNumber":"1","role":2})", {{"role", not_zero_or_one("2")}}},
        {"role -1", R"({"meetingNumber":"1","role":-1})", {{"role", not_zero_or_one("-1")}}},
        {"role 0.5", R"({"meetingNumber":"1","role":0.5})", {{"role", not_zero_or_one("0.5")}}},
        {"role string 2", R"({"meetingNumber":"1","role":"2"})", {{"role", not_zero_or_one("2")}}},
        {"role 1abc", R"({"meetingNumber":"1","role":"1abc"})", {{"role", not_whole_decimal("\"1abc\"")}}},
        {"role 0x1", R"({"meetingNumber":"1","role":"0x1"})", {{"role", not_whole_decimal("\"0x1\"")}}},
        {"role 1.5", R"({"meetingNumber":"1","role":"1.5"})", {{"role", not_whole_decimal("\"1.5\"")}}},
        {"role ' 1'", R"({"meetingNumber":"1","role":" 1"})", {{"role", not_whole_decimal("\" 1\"")}}},
        {"role '1 '", R"({"meetingNumber":"1","role":"1 "})", {{"role", not_whole_decimal("\"1 \"")}}},
        {"role +1", R"({"meetingNumber":"1","role":"+1"})", {{"role", not_whole_decimal("\"+1\"")}}},
        {"role -", R"({"meetingNumber":"1","role":"-"})", {{"role", not_whole_decimal("\"-\"")}}},
        {"role ''", R"({"meetingNumber":"1","role":""})", {{"role", not_whole_decimal("\"\"")}}},
        {"role true", R"({"meetingNumber":"1","role":true})", {{"role", not_a_number("true")}}},
        {"role false", R"({"meetingNumber":"1","role":false})", {{"role", not_a_number("false")}}},
        {"role object", R"({"meetingNumber":"1","role":{}})", {{"role", not_a_number("of type object")}}},
        {"role array", R"({"meetingNumber":"1","role":[1]})", {{"role", not_a_number("of type array")}}},
        {"role 16 digits",
         R"({"meetingNumber":"1","role":"0000000000000001"})",
         {{"role", not_whole_decimal("\"0000000000000001\"")}}},
        // expirationSeconds
        {"expiration 1799",
         R"({"expirationSeconds":1799})",
         {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration 172801",
         R"({"expirationSeconds":172801})",
         {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration 0", R"({"expirationSeconds":0})", {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration -7200",
         R"({"expirationSeconds":-7200})",
         {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration string 1799",
         R"({"expirationSeconds":"1799"})",
         {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration 1e20",
         R"({"expirationSeconds":1e20})",
         {{"expirationSeconds", std::string(range_reason)}}},
        {"expiration 1800.5",
         R"({"expirationSeconds":1800.5})",
         {{"expirationSeconds", "Value 1800.5 not allowed, must be a whole number of seconds"}}},
        {"expiration 7200abc",
         R"({"expirationSeconds":"7200abc"})",
         {{"expirationSeconds", not_whole_decimal("\"7200abc\"")}}},
        {"expiration null", R"({"expirationSeconds":null})", {{"expirationSeconds", not_a_number("null")}}},
        {"expiration array",
         R"({"expirationSeconds":[7200]})",
         {{"expirationSeconds", not_a_number("of type array")}}},
        // videoWebRtcMode
        {"videoWebRtcMode 2", R"({"videoWebRtcMode":2})", {{"videoWebRtcMode", not_zero_or_one("2")}}},
        {"videoWebRtcMode yes",
         R"({"videoWebRtcMode":"yes"})",
         {{"videoWebRtcMode", not_whole_decimal("\"yes\"")}}},
        {"videoWebRtcMode true", R"({"videoWebRtcMode":true})", {{"videoWebRtcMode", not_a_number("true")}}},
        // meetingNumber
        {"mn object",
         R"({"meetingNumber":{},"role":0})",
         {{"meetingNumber", not_a_meeting_number("of type object")}}},
        {"mn array",
         R"({"meetingNumber":[1],"role":0})",
         {{"meetingNumber", not_a_meeting_number("of type array")}}},
        {"mn -1", R"({"meetingNumber":-1,"role":0})", {{"meetingNumber", not_a_meeting_number("-1")}}},
        {"mn fraction",
         R"({"meetingNumber":1.5,"role":0})",
         {{"meetingNumber", not_a_meeting_number("1.5")}}},
        {"mn 12a",
         R"({"meetingNumber":"12a","role":0})",
         {{"meetingNumber", not_a_meeting_number("\"12a\"")}}},
        {"mn ''", R"({"meetingNumber":"","role":0})", {{"meetingNumber", not_a_meeting_number("\"\"")}}},
        {"mn '-1'",
         R"({"meetingNumber":"-1","role":0})",
         {{"meetingNumber", not_a_meeting_number("\"-1\"")}}},
        {"mn ' 1'",
         R"({"meetingNumber":" 1","role":0})",
         {{"meetingNumber", not_a_meeting_number("\" 1\"")}}},
        {"mn 21 digits",
         R"({"meetingNumber":"123456789012345678901","role":0})",
         {{"meetingNumber", not_a_meeting_number("\"123456789012345678901\"")}}},
        {"mn too large a number",
         R"({"meetingNumber":123456789012345678901,"role":0})",
         // Quoted as written: the double it becomes would print as 123456789012345667584.
         {{"meetingNumber", not_a_meeting_number("123456789012345678901")}}},
        {"mn 2^53 is no longer exact",
         R"({"meetingNumber":9007199254740992.0,"role":0})",
         {{"meetingNumber", not_a_meeting_number("9007199254740992.0")}}},
        {"mn true", R"({"meetingNumber":true,"role":0})", {{"meetingNumber", not_a_meeting_number("true")}}},
        // Errors come in the sample's order, whatever the order of the keys.
        {"order: schema first",
         R"({"videoWebRtcMode":5,"expirationSeconds":1,"meetingNumber":"x"})",
         {{"$schema", std::string(schema_reason)},
          {"meetingNumber", not_a_meeting_number("\"x\"")},
          {"expirationSeconds", std::string(range_reason)},
          {"videoWebRtcMode", not_zero_or_one("5")}}},
        {"order: schema then role",
         R"({"videoWebRtcMode":"a","expirationSeconds":true,"role":3})",
         {{"$schema", std::string(schema_reason)},
          {"role", not_zero_or_one("3")},
          {"expirationSeconds", not_a_number("true")},
          {"videoWebRtcMode", not_whole_decimal("\"a\"")}}},
        {"order: every property",
         R"({"videoWebRtcMode":null,"expirationSeconds":1.5,"role":"r","meetingNumber":-5})",
         {{"meetingNumber", not_a_meeting_number("-5")},
          {"role", not_whole_decimal("\"r\"")},
          {"expirationSeconds", "Value 1.5 not allowed, must be a whole number of seconds"},
          {"videoWebRtcMode", not_a_number("null")}}},
        // Non-objects.
        {"array", "[]", {{"$body", "Body must be a JSON object"}}},
        {"array of an object",
         R"([{"meetingNumber":"1","role":0}])",
         {{"$body", "Body must be a JSON object"}}},
        {"number", "1", {{"$body", "Body must be a JSON object"}}},
        {"string", R"("abc")", {{"$body", "Body must be a JSON object"}}},
        {"null", "null", {{"$body", "Body must be a JSON object"}}},
        {"true", "true", {{"$body", "Body must be a JSON object"}}},
    };
    for (const auto& refused : cases) {
        BOOST_TEST_CONTEXT(refused.name) {
            const auto result = parse_meeting_request(refused.body);
            const auto* rejection = std::get_if<RequestRejection>(&result);
            BOOST_TEST_REQUIRE(rejection != nullptr);
            BOOST_TEST(rejection->status == 400);
            check_errors(rejection->errors, refused.errors);
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_json_is_one_body_error) {
    const std::vector<std::pair<std::string_view, std::string>> cases{
        {"truncated", R"({"role":)"},
        {"truncated string", R"({"role":"1)"},
        {"unterminated object", R"({"meetingNumber":"1","role":0)"},
        {"trailing comma", R"({"role":0,})"},
        {"trailing comma in array", R"({"a":[1,]})"},
        {"trailing garbage", "{} x"},
        {"two objects", "{}{}"},
        {"single quotes", "{'role':0}"},
        {"unquoted key", "{role:0}"},
        {"NaN", R"({"role":NaN})"},
        {"Infinity", R"({"role":Infinity})"},
        {"leading zero", R"({"role":01})"},
        {"plus sign", R"({"role":+1})"},
        {"hex number", R"({"role":0x1})"},
        {"block comment", "{/* c */}"},
        {"line comment", "// c\n{}"},
        {"lone brace", "{"},
        {"lone quote", "\""},
        {"bare word", "hello"},
        {"missing colon", R"({"role" 0})"},
        {"control character in a string", "{\"a\":\"\x01\"}"},
        {"bad escape", R"({"a":"\x41"})"},
        {"lone surrogate escape", R"({"a":"\ud800"})"},
        {"lone low surrogate escape", R"({"a":"\udc00"})"},
        {"low surrogate before a high one", R"({"a":"\udc00\ud800"})"},
        {"lone low surrogate in a key", R"({"\uDFFF":1})"},
        {"lone low surrogate after a valid pair", R"({"a":"\ud83d\ude00\ude00"})"},
        {"invalid UTF-8 byte", "{\"a\":\"\xff\"}"},
        {"truncated UTF-8 sequence", "{\"a\":\"\xe6\x97\"}"},
        {"overlong UTF-8 encoding of '/'", "{\"a\":\"\xc0\xaf\"}"},
        {"overlong 3-byte encoding", "{\"a\":\"\xe0\x80\xaf\"}"},
        {"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}"},
        {"code point above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}"},
        {"invalid UTF-8 in a key", "{\"\xff\":1}"},
        {"NUL byte after the object", std::string("{\"a\":1}\0", 8)},
        {"NUL byte then garbage", std::string("{\"meetingNumber\":\"1\",\"role\":0}\0{\"role\":7} x", 43)},
        {"NUL byte in a string", std::string("{\"a\":\"\0\"}", 9)},
        {"deep nesting", std::string(100000, '[')},
        {"deep nesting in an object", "{\"a\":" + std::string(100000, '{')},
        {"number too large for a double", R"({"role":1e400})"},
    };
    for (const auto& [name, body] : cases) {
        BOOST_TEST_CONTEXT(name) {
            const auto result = parse_meeting_request(body);
            const auto* rejection = std::get_if<RequestRejection>(&result);
            BOOST_TEST_REQUIRE(rejection != nullptr);
            BOOST_TEST(rejection->status == 400);
            BOOST_TEST_REQUIRE(rejection->errors.size() == 1U);
            BOOST_TEST(rejection->errors[0].property == "$body");
            BOOST_TEST(rejection->errors[0].reason.starts_with("Body is not valid JSON: "));
            BOOST_TEST(rejection->errors[0].reason.ends_with(")"));
        }
    }
}

BOOST_AUTO_TEST_CASE(json_error_reason_names_the_problem_and_the_offset) {
    const auto result = parse_meeting_request(R"({"role":0,})");
    const auto& errors = std::get<RequestRejection>(result).errors;
    check_errors(errors,
                 {{"$body", "Body is not valid JSON: Missing a name for object member. (at byte 10)"}});
}

BOOST_AUTO_TEST_CASE(both_halves_of_a_surrogate_pair_are_refused_alike) {
    // A lone low surrogate used to pass as the bytes ED B0 80 (not UTF-8) and be echoed into a
    // charset=utf-8 body; now it gets the reason a lone high surrogate gets, at its own offset.
    const std::string reason = "Body is not valid JSON: The surrogate pair in string is invalid. (at byte 6)";
    for (const std::string body : {R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\uDBFF"})",
                                   R"({"a":"\uDFFF"})", R"({"a":"\udc00\ud800"})"}) {
        BOOST_TEST_CONTEXT(body) {
            check_errors(std::get<RequestRejection>(parse_meeting_request(body)).errors, {{"$body", reason}});
        }
    }
    check_errors(
        std::get<RequestRejection>(parse_meeting_request(R"({"role":"\udc00","meetingNumber":"1"})")).errors,
        {{"$body", "Body is not valid JSON: The surrogate pair in string is invalid. (at byte 9)"}});
    // An earlier syntax error is still the one reported.
    check_errors(
        std::get<RequestRejection>(parse_meeting_request(R"({"a" 1, "b":"\udc00"})")).errors,
        {{"$body", "Body is not valid JSON: Missing a colon after a name of object member. (at byte 5)"}});
    // What is not a lone surrogate stays accepted: a pair, an escaped backslash before "udc00".
    for (const std::string body :
         {R"({"a":"\ud83d\ude00"})", R"({"a":"\\udc00"})", R"({"a":"x\"\\\u00e9"})"}) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(std::holds_alternative<MeetingTokenRequest>(parse_meeting_request(body)));
        }
    }
}

BOOST_AUTO_TEST_CASE(echoed_strings_are_valid_utf8) {
    // A pair becomes one 4-byte character, echoed whole.
    const auto result = parse_meeting_request(R"({"meetingNumber":"1","role":"\ud83d\ude00"})");
    check_errors(std::get<RequestRejection>(result).errors,
                 {{"role", not_whole_decimal("\"\xf0\x9f\x98\x80\"")}});
}

BOOST_AUTO_TEST_CASE(numbers_are_read_as_json_parse_reads_them_and_quoted_as_written) {
    // Correctly rounded, as JavaScript's JSON.parse (and so the sample) reads them: 0.99999999999999999999
    // is 1. A refused number is quoted as the client wrote it, never as a re-printed double.
    const std::vector<Accepted> accepted{
        {"role 0.99999999999999999999 is 1",
         R"({"meetingNumber":"1","role":0.99999999999999999999})",
         MeetingNumber{"1", true},
         1,
         {},
         {}},
        {"role 1.0", R"({"meetingNumber":"1","role":1.0})", MeetingNumber{"1", true}, 1, {}, {}},
        {"role 1e0", R"({"meetingNumber":"1","role":1e0})", MeetingNumber{"1", true}, 1, {}, {}},
        {"role -0", R"({"meetingNumber":"1","role":-0})", MeetingNumber{"1", true}, 0, {}, {}},
        {"role 1e-400 is 0", R"({"meetingNumber":"1","role":1e-400})", MeetingNumber{"1", true}, 0, {}, {}},
        {"expirationSeconds 3600.00000000000000001",
         R"({"expirationSeconds":3600.00000000000000001})",
         {},
         {},
         3600,
         {}},
    };
    for (const auto& row : accepted) {
        BOOST_TEST_CONTEXT(row.name) {
            const auto result = parse_meeting_request(row.body);
            const auto* request = std::get_if<MeetingTokenRequest>(&result);
            BOOST_TEST_REQUIRE(request != nullptr);
            BOOST_TEST((request->claims.role == row.role));
            BOOST_TEST((request->expiration_seconds == row.expiration_seconds));
        }
    }
    const std::vector<Refused> refused{
        {"role 0.50000000000000000001",
         R"({"meetingNumber":"1","role":0.50000000000000000001})",
         {{"role", not_zero_or_one("0.50000000000000000001")}}},
        {"role 1.5e0", R"({"meetingNumber":"1","role":1.5e0})", {{"role", not_zero_or_one("1.5e0")}}},
        {"role 2.0", R"({"meetingNumber":"1","role":2.0})", {{"role", not_zero_or_one("2.0")}}},
        {"role 1E1", R"({"meetingNumber":"1","role":1E1})", {{"role", not_zero_or_one("1E1")}}},
        {"the last of two roles is quoted",
         R"({"meetingNumber":"1","role":3,"x":{"role":4},"role":5})",
         {{"role", not_zero_or_one("5")}}},
        {"a long number is cut",
         R"({"meetingNumber":"1","role":0.)" + std::string(60, '5') + "}",
         {{"role", not_zero_or_one("0." + std::string(38, '5') + "...")}}},
        {"expirationSeconds 3600.5",
         R"({"expirationSeconds":3600.50})",
         {{"expirationSeconds", "Value 3600.50 not allowed, must be a whole number of seconds"}}},
        {"meetingNumber -1.0",
         R"({"meetingNumber":-1.0,"role":0})",
         {{"meetingNumber", not_a_meeting_number("-1.0")}}},
    };
    for (const auto& row : refused) {
        BOOST_TEST_CONTEXT(row.name) {
            const auto result = parse_meeting_request(row.body);
            const auto* rejection = std::get_if<RequestRejection>(&result);
            BOOST_TEST_REQUIRE(rejection != nullptr);
            check_errors(rejection->errors, row.errors);
        }
    }
}

BOOST_AUTO_TEST_CASE(nul_byte_reason) {
    // RapidJSON alone would stop at the NUL and accept the object before it.
    const auto result = parse_meeting_request(std::string("{\"meetingNumber\":\"1\",\"role\":0}\0x", 32));
    check_errors(std::get<RequestRejection>(result).errors,
                 {{"$body", "Body is not valid JSON: NUL byte. (at byte 30)"}});
}

BOOST_AUTO_TEST_CASE(deeply_nested_valid_json_is_not_an_object) {
    // 100000 levels: an iterative parser handles them without exhausting the stack.
    const std::string body = std::string(100000, '[') + std::string(100000, ']');
    const auto result = parse_meeting_request(body);
    check_errors(std::get<RequestRejection>(result).errors, {{"$body", "Body must be a JSON object"}});
    // Deep nesting inside an ignored member is fine too.
    const std::string nested = R"({"x":)" + std::string(50000, '[') + std::string(50000, ']') + "}";
    BOOST_TEST(std::holds_alternative<MeetingTokenRequest>(parse_meeting_request(nested)));
}

BOOST_AUTO_TEST_CASE(echoed_values_are_bounded_and_keep_utf8_whole) {
    // 1 ASCII byte then 30 two-byte characters: byte 40 is in the middle of a character.
    std::string value = "a";
    for (int i = 0; i < 30; ++i) {
        value += "\xc3\xa9";
    }
    const auto result = parse_meeting_request(R"({"videoWebRtcMode":")" + value + R"("})");
    std::string shown = "\"a";
    for (int i = 0; i < 19; ++i) {
        shown += "\xc3\xa9";
    }
    shown += "...\"";
    check_errors(std::get<RequestRejection>(result).errors, {{"videoWebRtcMode", not_whole_decimal(shown)}});

    const auto long_number =
        parse_meeting_request(R"({"meetingNumber":")" + std::string(1000, '9') + R"(x","role":0})");
    check_errors(std::get<RequestRejection>(long_number).errors,
                 {{"meetingNumber", not_a_meeting_number("\"" + std::string(40, '9') + "...\"")}});
}

BOOST_AUTO_TEST_SUITE_END()
