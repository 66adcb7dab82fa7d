#include "app/cors.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using sdksign::app::add_cors_headers;
using sdksign::app::preflight_response;
using sdksign::app::Settings;
using sdksign::http::Request;
using sdksign::http::Response;

namespace {

std::optional<std::string> header(const Response& response, std::string_view name) {
    const auto* value = response.find_header(name);
    return value ? std::optional<std::string>(*value) : std::nullopt;
}

Request request_from(std::vector<std::pair<std::string_view, std::string_view>> headers) {
    Request request;
    request.method = "OPTIONS";
    request.path = "/";
    request.headers = std::move(headers);
    return request;
}

Settings allow_list() {
    Settings settings;
    settings.allowed_origins = {"https://app.example.com", "http://localhost:3000"};
    return settings;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cors_cpp)

BOOST_AUTO_TEST_CASE(default_allows_every_origin_without_vary) {
    for (const auto& request : {request_from({}), request_from({{"ORIGIN", "https://any.example"}})}) {
        Response response;
        add_cors_headers(request, Settings{}, response);
        BOOST_TEST(header(response, "Access-Control-Allow-Origin") == "*");
        BOOST_TEST(!header(response, "Vary").has_value());
        BOOST_TEST(response.headers.size() == 1U);
    }
}

BOOST_AUTO_TEST_CASE(allowed_origin_is_echoed_with_vary) {
    for (const std::string_view origin : {"https://app.example.com", "http://localhost:3000"}) {
        Response response;
        add_cors_headers(request_from({{"ORIGIN", origin}}), allow_list(), response);
        BOOST_TEST(header(response, "Access-Control-Allow-Origin") == std::string(origin));
        BOOST_TEST(header(response, "Vary") == "Origin");
    }
}

BOOST_AUTO_TEST_CASE(other_origins_get_no_allow_origin_but_vary) {
    const std::vector<std::string_view> refused{
        "https://evil.example",
        "https://app.example.com.evil.example", // a suffix attack
        "https://APP.EXAMPLE.COM", // origins compare exactly
        "http://app.example.com", // another scheme
        "https://app.example.com:443", // another spelling
        "null", // sandboxed documents
        "*",
        "",
    };
    for (const auto origin : refused) {
        BOOST_TEST_CONTEXT("Origin '" << origin << "'") {
            Response response;
            add_cors_headers(request_from({{"ORIGIN", origin}}), allow_list(), response);
            BOOST_TEST(!header(response, "Access-Control-Allow-Origin").has_value());
            BOOST_TEST(header(response, "Vary") == "Origin");
        }
    }
    Response without_origin;
    add_cors_headers(request_from({}), allow_list(), without_origin);
    BOOST_TEST(!header(without_origin, "Access-Control-Allow-Origin").has_value());
    BOOST_TEST(header(without_origin, "Vary") == "Origin");
}

BOOST_AUTO_TEST_CASE(adding_twice_does_not_duplicate) {
    Response response;
    const auto request = request_from({{"ORIGIN", "https://app.example.com"}});
    add_cors_headers(request, allow_list(), response);
    add_cors_headers(request, allow_list(), response);
    BOOST_TEST(response.headers.size() == 2U);
}

BOOST_AUTO_TEST_CASE(preflight_names_the_route_methods_and_max_age) {
    const auto response =
        preflight_response(request_from({{"ACCESS_CONTROL_REQUEST_METHOD", "POST"},
                                         {"ACCESS_CONTROL_REQUEST_HEADERS", "content-type"}}),
                           Settings{}, "POST, OPTIONS");
    BOOST_TEST(response.status == 204);
    BOOST_TEST(response.body.empty());
    BOOST_TEST(header(response, "Access-Control-Allow-Methods") == "POST, OPTIONS");
    BOOST_TEST(header(response, "Allow") == "POST, OPTIONS");
    BOOST_TEST(header(response, "Access-Control-Allow-Headers") == "content-type");
    BOOST_TEST(header(response, "Access-Control-Max-Age") == "7200");
    BOOST_TEST(header(response, "Access-Control-Allow-Origin") == "*");
    BOOST_TEST(header(response, "Vary") == "Access-Control-Request-Headers");
}

BOOST_AUTO_TEST_CASE(preflight_max_age_follows_the_settings) {
    Settings settings;
    settings.cors_max_age_seconds = 0;
    BOOST_TEST(header(preflight_response(request_from({}), settings, "POST, OPTIONS"),
                      "Access-Control-Max-Age") == "0");
}

BOOST_AUTO_TEST_CASE(preflight_echoes_plain_header_lists_only) {
    const std::vector<std::string_view> echoed{
        "content-type",
        "Content-Type, Authorization",
        "x-custom_header,x-other",
    };
    for (const auto requested : echoed) {
        BOOST_TEST_CONTEXT(requested) {
            const auto response = preflight_response(
                request_from({{"ACCESS_CONTROL_REQUEST_HEADERS", requested}}), Settings{}, "POST, OPTIONS");
            BOOST_TEST(header(response, "Access-Control-Allow-Headers") == std::string(requested));
        }
    }
    const std::vector<std::string_view> refused{
        "content-type\r\nSet-Cookie: a=b", // header injection
        "content-type\nX-Evil: 1",
        "content-type: x",
        "content-type;x",
        "content-type\t",
        "content-type\x7f",
        "c\xc3\xa9",
        "",
    };
    for (const auto requested : refused) {
        BOOST_TEST_CONTEXT("request of " << requested.size() << " bytes") {
            const auto response = preflight_response(
                request_from({{"ACCESS_CONTROL_REQUEST_HEADERS", requested}}), Settings{}, "POST, OPTIONS");
            BOOST_TEST(!header(response, "Access-Control-Allow-Headers").has_value());
            BOOST_TEST(response.status == 204);
        }
    }
}

BOOST_AUTO_TEST_CASE(preflight_with_an_allow_list) {
    const auto allowed = preflight_response(request_from({{"ORIGIN", "https://app.example.com"}}),
                                            allow_list(), "GET, HEAD, OPTIONS");
    BOOST_TEST(header(allowed, "Access-Control-Allow-Origin") == "https://app.example.com");
    BOOST_TEST(header(allowed, "Vary") == "Origin, Access-Control-Request-Headers");
    BOOST_TEST(header(allowed, "Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");

    const auto refused =
        preflight_response(request_from({{"ORIGIN", "https://evil.example"}}), allow_list(), "POST, OPTIONS");
    BOOST_TEST(!header(refused, "Access-Control-Allow-Origin").has_value());
    BOOST_TEST(header(refused, "Vary") == "Origin, Access-Control-Request-Headers");
    // Exactly one Vary header, however it was built.
    std::size_t vary_headers = 0;
    for (const auto& [name, value] : refused.headers) {
        vary_headers += name == "Vary" ? 1 : 0;
    }
    BOOST_TEST(vary_headers == 1U);
}

BOOST_AUTO_TEST_CASE(allow_list_entries_are_stored_as_browsers_send_origins) {
    // RFC 6454 6.2: browsers send scheme and host in lower case and no default port; an entry written any
    // other way could never match.
    const std::vector<std::pair<std::string_view, std::optional<std::string>>> rows{
        {"https://app.example.com", "https://app.example.com"},
        {"https://A.Example.com:443", "https://a.example.com"},
        {"HTTPS://APP.EXAMPLE.COM", "https://app.example.com"},
        {"http://localhost:80", "http://localhost"},
        {"http://localhost:3000", "http://localhost:3000"},
        {"https://app.example.com:80", "https://app.example.com:80"},
        {"http://app.example.com:443", "http://app.example.com:443"},
        {"https://app.example.com:08443", "https://app.example.com:8443"},
        {"https://app.example.com:0443", "https://app.example.com"},
        {"https://app.example.com:", "https://app.example.com"},
        {"http://[::1]:8080", "http://[::1]:8080"},
        {"http://[::1]", "http://[::1]"},
        {"http://[FE80::1]:80", "http://[fe80::1]"},
        {"capacitor://LocalHost", "capacitor://localhost"},
        {"*", std::nullopt},
        {"null", std::nullopt},
        {"app.example.com", std::nullopt},
        {"://app.example.com", std::nullopt},
        {"https://", std::nullopt},
        {"https://:443", std::nullopt},
        {"https://app.example.com/", std::nullopt},
        {"https://app.example.com/path", std::nullopt},
        {"https://app.example.com?x", std::nullopt},
        {"https://app.example.com#x", std::nullopt},
        {"https://user@app.example.com", std::nullopt},
        {"https://*.example.com", std::nullopt},
        {"https://app.example.com:0", std::nullopt},
        {"https://app.example.com:65536", std::nullopt},
        {"https://app.example.com:44x", std::nullopt},
        {"https://app.example.com:-1", std::nullopt},
        {"https://b\xc3\xbc"
         "cher.example",
         std::nullopt},
        {"ht tp://app.example.com", std::nullopt},
    };
    for (const auto& [entry, expected] : rows) {
        BOOST_TEST_CONTEXT(entry) {
            BOOST_TEST((sdksign::app::canonical_origin(entry) == expected));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
