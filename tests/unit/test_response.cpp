#include "http/response.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <string_view>

using sdksign::http::append_cgi;
using sdksign::http::reason_phrase;
using sdksign::http::Response;
using sdksign::http::serialize_cgi;

BOOST_AUTO_TEST_SUITE(response_cpp)

BOOST_AUTO_TEST_CASE(serialises_status_headers_length_and_body) {
    Response response;
    response.set_header("Content-Type", "application/json; charset=utf-8");
    response.set_header("Cache-Control", "no-store");
    response.body = R"({"a":1})";
    BOOST_TEST(serialize_cgi(response) ==
               "Status: 200 OK\r\n"
               "Content-Type: application/json; charset=utf-8\r\n"
               "Cache-Control: no-store\r\n"
               "Content-Length: 7\r\n"
               "\r\n"
               R"({"a":1})");
}

BOOST_AUTO_TEST_CASE(every_status_sent_has_a_reason_phrase) {
    const std::array<std::pair<int, std::string_view>, 12> phrases{{
        {200, "OK"},
        {204, "No Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {500, "Internal Server Error"},
        {503, "Service Unavailable"},
    }};
    for (const auto& [status, phrase] : phrases) {
        BOOST_TEST_CONTEXT("status " << status) {
            BOOST_TEST(reason_phrase(status) == phrase);
            Response response;
            response.status = status;
            BOOST_TEST(serialize_cgi(response).starts_with("Status: " + std::to_string(status) + " " +
                                                           std::string(phrase) + "\r\n"));
        }
    }
    BOOST_TEST(reason_phrase(418) == "Unknown");
    BOOST_TEST(reason_phrase(0) == "Unknown");
}

BOOST_AUTO_TEST_CASE(error_status_with_body) {
    Response response;
    response.status = 413;
    response.set_header("Content-Type", "application/json; charset=utf-8");
    response.body = "{}";
    BOOST_TEST(serialize_cgi(response) ==
               "Status: 413 Content Too Large\r\nContent-Type: application/json; charset=utf-8\r\n"
               "Content-Length: 2\r\n\r\n{}");
}

BOOST_AUTO_TEST_CASE(empty_body_has_content_length_zero) {
    Response response;
    BOOST_TEST(serialize_cgi(response) == "Status: 200 OK\r\nContent-Length: 0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(head_keeps_content_length_and_omits_the_body) {
    Response response;
    response.set_header("Content-Type", "application/json; charset=utf-8");
    response.body = R"({"status":"ok"})";
    response.omit_body = true;
    BOOST_TEST(serialize_cgi(response) ==
               "Status: 200 OK\r\n"
               "Content-Type: application/json; charset=utf-8\r\n"
               "Content-Length: 15\r\n"
               "\r\n");
}

BOOST_AUTO_TEST_CASE(no_content_has_neither_length_nor_body) {
    Response response;
    response.status = 204;
    response.set_header("Allow", "POST, OPTIONS");
    response.body = "must not be sent";
    BOOST_TEST(serialize_cgi(response) == "Status: 204 No Content\r\nAllow: POST, OPTIONS\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(append_reuses_the_buffer_and_keeps_its_content) {
    Response response;
    response.body = "x";
    std::string out = "before|";
    append_cgi(out, response);
    BOOST_TEST(out == "before|Status: 200 OK\r\nContent-Length: 1\r\n\r\nx");
    out.clear();
    append_cgi(out, response);
    BOOST_TEST(out == serialize_cgi(response));
}

BOOST_AUTO_TEST_CASE(large_body_length) {
    Response response;
    response.body.assign(123456, 'a');
    const auto text = serialize_cgi(response);
    BOOST_TEST(text.starts_with("Status: 200 OK\r\nContent-Length: 123456\r\n\r\naaa"));
    BOOST_TEST(text.size() ==
               std::string("Status: 200 OK\r\nContent-Length: 123456\r\n\r\n").size() + 123456);
}

BOOST_AUTO_TEST_CASE(set_header_replaces_case_insensitively_in_place) {
    Response response;
    response.set_header("Vary", "Origin");
    response.set_header("Content-Type", "text/plain");
    response.set_header("vary", "Origin, Access-Control-Request-Headers");
    BOOST_TEST_REQUIRE(response.headers.size() == 2U);
    BOOST_TEST(response.headers[0].first == "Vary"); // the first spelling and position stay
    BOOST_TEST(response.headers[0].second == "Origin, Access-Control-Request-Headers");
    BOOST_TEST(response.headers[1].second == "text/plain");
}

BOOST_AUTO_TEST_CASE(find_header_is_case_insensitive) {
    Response response;
    response.set_header("Access-Control-Allow-Origin", "*");
    const auto* value = response.find_header("access-control-allow-origin");
    BOOST_TEST_REQUIRE(value != nullptr);
    BOOST_TEST(*value == "*");
    BOOST_TEST(response.find_header("ACCESS-CONTROL-ALLOW-ORIGIN") == value);
    BOOST_TEST(response.find_header("Access-Control-Allow-Origin2") == nullptr);
    BOOST_TEST(response.find_header("Access-Control-Allow") == nullptr);
    BOOST_TEST(response.find_header("") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
