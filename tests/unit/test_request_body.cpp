#include "app/request_body.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>

using sdksign::app::RequestBody;
using sdksign::app::ValidationError;

BOOST_AUTO_TEST_SUITE(request_body_cpp)

BOOST_AUTO_TEST_CASE(utf16_length_counts_as_javascript_does) {
    const struct {
        std::string_view text;
        std::size_t units;
    } rows[] = {
        {"", 0},
        {"abc", 3},
        {"\u00e9", 1}, // two UTF-8 bytes, one unit
        {"\u2615", 1}, // three bytes, one unit
        {"\U0001F697", 2}, // four bytes, a surrogate pair
        {"a\U0001F697\u00e9", 4},
    };
    for (const auto& row : rows) {
        BOOST_TEST(sdksign::app::utf16_length(row.text) == row.units, row.text);
    }
}

BOOST_AUTO_TEST_CASE(echoes_are_cut_at_40_bytes_never_inside_a_character) {
    BOOST_TEST(sdksign::app::echo_string("short") == "\"short\"");
    BOOST_TEST(sdksign::app::clip_for_echo(std::string(41, 'x')) == std::string(40, 'x') + "...");
    // 39 bytes then a two-byte character: the character does not fit whole, so it is left out.
    BOOST_TEST(sdksign::app::clip_for_echo(std::string(39, 'x') + "\u00e9y") == std::string(39, 'x') + "...");
}

BOOST_AUTO_TEST_CASE(check_choice_lists_the_allowed_values_as_javascript_writes_an_array) {
    RequestBody body;
    BOOST_TEST_REQUIRE(!body.parse(R"({"a":3,"b":"2","c":2.5})").has_value());
    std::optional<int> out;
    const auto three = sdksign::app::check_choice("a", body, {0, 1, 2}, out);
    BOOST_TEST_REQUIRE(three.has_value());
    BOOST_TEST(three->reason == "Value is not valid. Got 3, expected 0,1,2");
    BOOST_TEST(!sdksign::app::check_choice("b", body, {0, 1, 2}, out).has_value());
    BOOST_TEST(out == std::optional(2));
    const auto fraction = sdksign::app::check_choice("c", body, {0, 1, 2}, out);
    BOOST_TEST_REQUIRE(fraction.has_value());
    BOOST_TEST(fraction->reason == "Value is not valid. Got 2.5, expected 0,1,2");
    BOOST_TEST(!sdksign::app::check_choice("absent", body, {0, 1}, out).has_value());
}

BOOST_AUTO_TEST_CASE(rejection_of_keeps_the_errors_in_their_order) {
    const std::optional<ValidationError> none[] = {std::nullopt, std::nullopt};
    BOOST_TEST(!sdksign::app::rejection_of(none).has_value());
    const std::optional<ValidationError> two[] = {ValidationError{"b", "2"}, std::nullopt,
                                                  ValidationError{"a", "1"}};
    const auto rejection = sdksign::app::rejection_of(two);
    BOOST_TEST_REQUIRE(rejection.has_value());
    BOOST_TEST(rejection->status == 400);
    BOOST_TEST_REQUIRE(rejection->errors.size() == 2U);
    BOOST_TEST(rejection->errors[0].property == "b");
    BOOST_TEST(rejection->errors[1].property == "a");
}

BOOST_AUTO_TEST_CASE(the_last_duplicate_is_found_as_json_parse_keeps_it) {
    RequestBody body;
    BOOST_TEST_REQUIRE(!body.parse(R"({"role":1,"role":0})").has_value());
    const auto* role = body.find("role");
    BOOST_TEST_REQUIRE(role != nullptr);
    BOOST_TEST(role->GetInt() == 0);
    BOOST_TEST(body.find("rol") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
