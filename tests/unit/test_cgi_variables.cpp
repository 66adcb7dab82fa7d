#include "gateway/cgi_variables.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

using sdksign::gateway::fill_request_from_variables;
using sdksign::gateway::parse_content_length;
using sdksign::gateway::request_from_variables;

BOOST_AUTO_TEST_SUITE(cgi_variables_cpp)

BOOST_AUTO_TEST_CASE(typical_post) {
    const std::array<const char*, 11> variables{
        "GATEWAY_INTERFACE=CGI/1.1",
        "REQUEST_METHOD=POST",
        "PATH_INFO=/",
        "CONTENT_TYPE=application/json",
        "CONTENT_LENGTH=42",
        "REMOTE_ADDR=192.0.2.1",
        "HTTP_ORIGIN=https://app.example.com",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type",
        "QUERY_STRING=a=b",
        "SCRIPT_NAME=/sign",
        nullptr,
    };
    const auto request = request_from_variables(variables.data());
    BOOST_TEST(request.method == "POST");
    BOOST_TEST(request.path == "/");
    BOOST_TEST(request.content_type == "application/json");
    BOOST_TEST(request.content_length == std::optional<std::size_t>(42));
    BOOST_TEST(request.remote_addr == "192.0.2.1");
    BOOST_TEST(request.body.empty());
    BOOST_TEST(!request.body_too_large);
    BOOST_TEST(!request.body_incomplete);
    BOOST_TEST_REQUIRE(request.headers.size() == 2U);
    BOOST_TEST(request.headers[0].first == "ORIGIN");
    BOOST_TEST(request.headers[0].second == "https://app.example.com");
    BOOST_TEST(request.header("Origin") == "https://app.example.com");
    BOOST_TEST(request.header("Access-Control-Request-Headers") == "content-type");
}

BOOST_AUTO_TEST_CASE(defaults_without_variables) {
    const std::array<const char*, 1> none{nullptr};
    for (const auto* variables : {none.data(), static_cast<const char* const*>(nullptr)}) {
        const auto request = request_from_variables(variables);
        BOOST_TEST(request.method == "GET");
        BOOST_TEST(request.path == "/");
        BOOST_TEST(!request.content_type.has_value());
        BOOST_TEST(!request.content_length.has_value());
        BOOST_TEST(request.remote_addr.empty());
        BOOST_TEST(request.headers.empty());
    }
}

BOOST_AUTO_TEST_CASE(first_occurrence_wins) {
    // nginx can send a param twice (fastcgi_params plus a local fastcgi_param); FCGX_GetParam takes the
    // first.
    const std::array<const char*, 11> variables{
        "REQUEST_METHOD=POST",
        "REQUEST_METHOD=DELETE",
        "PATH_INFO=/health",
        "PATH_INFO=/",
        "CONTENT_TYPE=application/json",
        "CONTENT_TYPE=text/plain",
        "CONTENT_LENGTH=5",
        "CONTENT_LENGTH=500",
        "REMOTE_ADDR=192.0.2.1",
        "REMOTE_ADDR=192.0.2.2",
        nullptr,
    };
    const auto request = request_from_variables(variables.data());
    BOOST_TEST(request.method == "POST");
    BOOST_TEST(request.path == "/health");
    BOOST_TEST(request.content_type == "application/json");
    BOOST_TEST(request.content_length == std::optional<std::size_t>(5));
    BOOST_TEST(request.remote_addr == "192.0.2.1");
}

BOOST_AUTO_TEST_CASE(remote_user_comes_only_from_the_server) {
    // REMOTE_USER is what the web server's authentication set; a client's "Remote-User" header arrives as
    // HTTP_REMOTE_USER and must stay a header. The first REMOTE_USER wins, like every other variable.
    const std::array<const char*, 4> variables{"HTTP_REMOTE_USER=mallory", "REMOTE_USER=ann",
                                               "REMOTE_USER=bob", nullptr};
    const auto request = request_from_variables(variables.data());
    BOOST_TEST(request.remote_user == "ann");
    BOOST_TEST(request.header("Remote-User") == "mallory");
    const std::array<const char*, 2> forged{"HTTP_REMOTE_USER=mallory", nullptr};
    BOOST_TEST(request_from_variables(forged.data()).remote_user.empty());
    const std::array<const char*, 2> nginx_without_auth{"REMOTE_USER=", nullptr};
    BOOST_TEST(request_from_variables(nginx_without_auth.data()).remote_user.empty());
}

BOOST_AUTO_TEST_CASE(http_variables_become_headers) {
    const std::array<const char*, 6> variables{
        "HTTP_ORIGIN=https://a.example",
        "HTTP_X_FORWARDED_FOR=198.51.100.7",
        "HTTP_ACCEPT=a=b",
        "HTTP_ORIGIN=https://b.example",
        "http_lower=ignored",
        nullptr,
    };
    const auto request = request_from_variables(variables.data());
    BOOST_TEST_REQUIRE(request.headers.size() == 4U);
    BOOST_TEST(request.headers[1].first == "X_FORWARDED_FOR");
    BOOST_TEST(request.header("X-Forwarded-For") == "198.51.100.7");
    BOOST_TEST(request.header("Accept") == "a=b"); // only the first '=' separates
    BOOST_TEST(request.header("Origin") == "https://a.example");
    BOOST_TEST(!request.header("Lower").has_value());
}

BOOST_AUTO_TEST_CASE(entries_without_equals_are_skipped) {
    const std::array<const char*, 4> variables{"REQUEST_METHOD", "HTTP_ORIGIN", "REQUEST_METHOD=HEAD",
                                               nullptr};
    const auto request = request_from_variables(variables.data());
    BOOST_TEST(request.method == "HEAD");
    BOOST_TEST(request.headers.empty());
}

BOOST_AUTO_TEST_CASE(empty_path_info_is_the_root) {
    const std::array<const char*, 2> variables{"PATH_INFO=", nullptr};
    BOOST_TEST(request_from_variables(variables.data()).path == "/");
}

BOOST_AUTO_TEST_CASE(empty_content_type_is_present_but_empty) {
    const std::array<const char*, 2> variables{"CONTENT_TYPE=", nullptr};
    const auto request = request_from_variables(variables.data());
    BOOST_TEST_REQUIRE(request.content_type.has_value());
    BOOST_TEST(request.content_type->empty());
}

BOOST_AUTO_TEST_CASE(empty_or_malformed_content_length_is_nullopt) {
    const std::array<const char*, 2> variables{"CONTENT_LENGTH=", nullptr};
    BOOST_TEST(!request_from_variables(variables.data()).content_length.has_value());
    for (const std::string_view text :
         {"", "abc", "-1", "+1", " 1", "1 ", "1.0", "0x10", "12a", "99999999999999999999999999"}) {
        BOOST_TEST_CONTEXT("'" << text << "'") {
            BOOST_TEST(!parse_content_length(text).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_content_length_marks_the_body_incomplete) {
    // nginx sends an empty CONTENT_LENGTH on GET: that is no body, not a broken one.
    const std::array<const char*, 2> empty{"CONTENT_LENGTH=", nullptr};
    BOOST_TEST(!request_from_variables(empty.data()).body_incomplete);
    const std::array<const char*, 2> malformed{"CONTENT_LENGTH=abc", nullptr};
    BOOST_TEST(request_from_variables(malformed.data()).body_incomplete);
}

BOOST_AUTO_TEST_CASE(valid_content_length) {
    BOOST_TEST(parse_content_length("0") == std::optional<std::size_t>(0));
    BOOST_TEST(parse_content_length("102400") == std::optional<std::size_t>(102400));
    BOOST_TEST(parse_content_length("007") == std::optional<std::size_t>(7));
    BOOST_TEST(parse_content_length("18446744073709551615") ==
               std::optional<std::size_t>(std::numeric_limits<std::size_t>::max()));
}

BOOST_AUTO_TEST_CASE(a_reused_request_keeps_nothing_of_the_previous_one) {
    const std::array<const char*, 9> first{
        "REQUEST_METHOD=POST",
        "PATH_INFO=/health",
        "CONTENT_TYPE=application/json",
        "CONTENT_LENGTH=x",
        "REMOTE_ADDR=192.0.2.1",
        "REMOTE_USER=ann",
        "HTTP_ORIGIN=https://app.example.com",
        "HTTP_X_A=1",
        nullptr,
    };
    const std::array<const char*, 3> second{"REQUEST_METHOD=OPTIONS", "HTTP_X_B=2", nullptr};
    sdksign::http::Request request;
    fill_request_from_variables(first.data(), request);
    BOOST_TEST(request.headers.size() == 2U);
    BOOST_TEST(request.body_incomplete);
    request.body = "left over";
    request.body_too_large = true;
    fill_request_from_variables(second.data(), request);
    const auto fresh = request_from_variables(second.data());
    BOOST_TEST(request.method == "OPTIONS");
    BOOST_TEST(request.path == "/");
    BOOST_TEST_REQUIRE(request.headers.size() == 1U);
    BOOST_TEST(request.headers[0].first == "X_B");
    BOOST_TEST(!request.content_type);
    BOOST_TEST(!request.content_length);
    BOOST_TEST(request.remote_addr.empty());
    BOOST_TEST(request.remote_user.empty());
    BOOST_TEST(request.body.empty());
    BOOST_TEST(!request.body_too_large);
    BOOST_TEST(!request.body_incomplete);
    BOOST_TEST(fresh.headers == request.headers);
}

BOOST_AUTO_TEST_SUITE_END()
