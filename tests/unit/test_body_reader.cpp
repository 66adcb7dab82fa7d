#include "chunked_source.hpp"
#include "gateway/body_reader.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

using sdksign::gateway::BodyLimits;
using sdksign::gateway::read_request_body;
using BufferSource = sdksign::test::ChunkedSource;

namespace {

BodyLimits limits(std::size_t max_body_bytes, bool read_undeclared = true, std::size_t discard = 0) {
    BodyLimits result;
    result.max_body_bytes = max_body_bytes;
    result.read_undeclared = read_undeclared;
    result.max_discarded_bytes = discard;
    return result;
}

sdksign::http::Request declaring(std::optional<std::size_t> length) {
    sdksign::http::Request request;
    request.content_length = length;
    return request;
}

} // namespace

BOOST_AUTO_TEST_SUITE(body_reader_cpp)

BOOST_AUTO_TEST_CASE(a_whole_body_in_short_reads) {
    BufferSource source(R"({"role":0})", 3);
    auto request = declaring(10);
    std::string storage;
    read_request_body(source, limits(100), storage, request);
    BOOST_TEST(request.body == R"({"role":0})");
    BOOST_TEST(!request.body_too_large);
    BOOST_TEST(!request.body_incomplete);
}

BOOST_AUTO_TEST_CASE(a_body_cut_short_is_incomplete) {
    BufferSource source("12345");
    auto request = declaring(8);
    std::string storage;
    read_request_body(source, limits(100), storage, request);
    BOOST_TEST(request.body == "12345");
    BOOST_TEST(request.body_incomplete);
    BOOST_TEST(!request.body_too_large);
}

BOOST_AUTO_TEST_CASE(nothing_past_the_declared_length_is_read) {
    BufferSource source("12345678");
    auto request = declaring(5);
    std::string storage;
    read_request_body(source, limits(100), storage, request);
    BOOST_TEST(request.body == "12345");
    BOOST_TEST(source.taken() == 5U);
    BOOST_TEST(!request.body_incomplete);
}

BOOST_AUTO_TEST_CASE(a_declared_length_over_the_limit_is_not_read) {
    BufferSource source("123456");
    auto request = declaring(6);
    std::string storage;
    read_request_body(source, limits(5), storage, request);
    BOOST_TEST(request.body_too_large);
    BOOST_TEST(request.body.empty());
    BOOST_TEST(source.taken() == 0U);
}

BOOST_AUTO_TEST_CASE(an_over_limit_body_is_dropped_up_to_the_discard_bound) {
    const std::string sent(100, 'x');
    BufferSource source(sent, 7);
    auto request = declaring(90);
    std::string storage;
    read_request_body(source, limits(5, true, 50), storage, request);
    BOOST_TEST(request.body_too_large);
    BOOST_TEST(request.body.empty());
    BOOST_TEST(source.taken() == 50U);
}

BOOST_AUTO_TEST_CASE(without_a_length_the_body_is_read_to_its_end) {
    BufferSource source("12345");
    auto request = declaring(std::nullopt);
    std::string storage;
    read_request_body(source, limits(5), storage, request);
    BOOST_TEST(request.body == "12345");
    BOOST_TEST(!request.body_too_large);
    BOOST_TEST(!request.body_incomplete);
}

BOOST_AUTO_TEST_CASE(without_a_length_one_byte_past_the_limit_is_too_large) {
    BufferSource source("123456789");
    auto request = declaring(std::nullopt);
    std::string storage;
    read_request_body(source, limits(5), storage, request);
    BOOST_TEST(request.body_too_large);
    BOOST_TEST(request.body.empty());
    BOOST_TEST(source.taken() == 6U);
}

BOOST_AUTO_TEST_CASE(plain_cgi_without_a_length_has_no_body) {
    BufferSource source("12345");
    auto request = declaring(std::nullopt);
    std::string storage;
    read_request_body(source, limits(100, false), storage, request);
    BOOST_TEST(request.body.empty());
    BOOST_TEST(source.taken() == 0U);
    BOOST_TEST(!request.body_incomplete);
}

BOOST_AUTO_TEST_CASE(a_malformed_length_stays_incomplete) {
    BufferSource source("12345");
    auto request = declaring(std::nullopt);
    request.body_incomplete = true; // CONTENT_LENGTH=abc
    std::string storage;
    read_request_body(source, limits(100, false), storage, request);
    BOOST_TEST(request.body_incomplete);
}

BOOST_AUTO_TEST_SUITE_END()
