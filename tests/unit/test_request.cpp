#include "http/request.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

using sdksign::http::Request;

namespace {

Request with_headers() {
    Request request;
    request.headers = {
        {"ORIGIN", "https://app.example.com"},
        {"ACCESS_CONTROL_REQUEST_HEADERS", "content-type"},
        {"X_EMPTY", ""},
        {"ACCEPT", "application/json"},
        {"ACCEPT", "text/html"},
    };
    return request;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_cpp)

BOOST_AUTO_TEST_CASE(finds_a_header_by_its_http_name) {
    const auto request = with_headers();
    const auto origin = request.header("Origin");
    BOOST_TEST_REQUIRE(origin.has_value());
    BOOST_TEST(*origin == "https://app.example.com");
}

BOOST_AUTO_TEST_CASE(dashes_match_underscores) {
    const auto request = with_headers();
    const auto requested = request.header("Access-Control-Request-Headers");
    BOOST_TEST_REQUIRE(requested.has_value());
    BOOST_TEST(*requested == "content-type");
}

BOOST_AUTO_TEST_CASE(lookup_is_case_insensitive) {
    const auto request = with_headers();
    for (const auto* name : {"origin", "ORIGIN", "oRiGiN"}) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(request.header(name) == "https://app.example.com");
        }
    }
    BOOST_TEST(request.header("access-control-request-headers") == "content-type");
}

BOOST_AUTO_TEST_CASE(missing_header_is_nullopt) {
    const auto request = with_headers();
    BOOST_TEST(!request.header("Referer").has_value());
    BOOST_TEST(!request.header("Origi").has_value()); // a prefix is not a match
    BOOST_TEST(!request.header("Origins").has_value()); // nor a longer name
    BOOST_TEST(!request.header("").has_value());
    BOOST_TEST(!Request{}.header("Origin").has_value()); // no headers at all
}

BOOST_AUTO_TEST_CASE(empty_value_is_present) {
    const auto request = with_headers();
    const auto value = request.header("X-Empty");
    BOOST_TEST_REQUIRE(value.has_value());
    BOOST_TEST(value->empty());
}

BOOST_AUTO_TEST_CASE(first_of_repeated_headers_wins) {
    BOOST_TEST(with_headers().header("Accept") == "application/json");
}

BOOST_AUTO_TEST_SUITE_END()
