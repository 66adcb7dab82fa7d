#include "gateway/fastcgi_head.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace fastcgi = sdksign::gateway::fastcgi;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t limit = 32768;

Bytes record(std::uint8_t type, std::uint16_t id, const Bytes& content, std::uint8_t padding = 0) {
    Bytes out{1,
              type,
              static_cast<std::uint8_t>(id >> 8),
              static_cast<std::uint8_t>(id & 0xff),
              static_cast<std::uint8_t>(content.size() >> 8),
              static_cast<std::uint8_t>(content.size() & 0xff),
              padding,
              0};
    out.insert(out.end(), content.begin(), content.end());
    out.insert(out.end(), padding, 0xAA);
    return out;
}

Bytes begin(std::uint16_t role = fastcgi::role_responder, bool keep = false, std::uint16_t id = 1) {
    return record(fastcgi::record_begin_request, id,
                  {static_cast<std::uint8_t>(role >> 8), static_cast<std::uint8_t>(role & 0xff),
                   static_cast<std::uint8_t>(keep ? 1 : 0), 0, 0, 0, 0, 0});
}

void append_length(Bytes& out, std::size_t length) {
    if (length < 128) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    out.push_back(static_cast<std::uint8_t>(0x80 | (length >> 24)));
    out.push_back(static_cast<std::uint8_t>(length >> 16));
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
}

Bytes pair(const std::string& name, const std::string& value) {
    Bytes out;
    append_length(out, name.size());
    append_length(out, value.size());
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

Bytes join(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

Bytes params(const Bytes& content, std::uint16_t id = 1, std::uint8_t padding = 0) {
    return record(fastcgi::record_params, id, content, padding);
}

const Bytes empty_params = record(fastcgi::record_params, 1, {});

Bytes normal_head() {
    return join({begin(), params(join({pair("REQUEST_METHOD", "POST"), pair("CONTENT_LENGTH", "12")})),
                 empty_params});
}

fastcgi::HeadCheck check(const Bytes& bytes, std::size_t max = limit) {
    return fastcgi::check_head(bytes, max);
}

} // namespace

BOOST_AUTO_TEST_SUITE(fastcgi_head_cpp)

BOOST_AUTO_TEST_CASE(a_normal_head_is_complete_and_nothing_after_it_counts) {
    Bytes bytes = normal_head();
    const std::size_t head = bytes.size();
    const Bytes stdin_record = record(5, 1, {'{', '}'});
    bytes.insert(bytes.end(), stdin_record.begin(), stdin_record.end());
    const auto result = check(bytes);
    BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::complete));
    BOOST_TEST(result.head_bytes == head);
    BOOST_TEST(result.request_id == 1);
    BOOST_TEST(!result.keep_connection);
}

BOOST_AUTO_TEST_CASE(every_prefix_of_a_head_is_incomplete_and_asks_for_more) {
    const Bytes whole =
        join({begin(fastcgi::role_responder, true, 7), params(pair("SCRIPT_NAME", "/zoom"), 7, 3),
              params(pair("HTTP_ORIGIN", std::string(300, 'o')), 7), record(fastcgi::record_params, 7, {})});
    for (std::size_t size = 0; size < whole.size(); ++size) {
        const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
        const auto result = check(prefix);
        BOOST_TEST_CONTEXT("prefix of " << size << " bytes") {
            BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::incomplete));
            BOOST_TEST(result.bytes_needed > size);
            BOOST_TEST(result.bytes_needed <= whole.size());
        }
    }
    const auto result = check(whole);
    BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::complete));
    BOOST_TEST(result.head_bytes == whole.size());
    BOOST_TEST(result.request_id == 7);
    BOOST_TEST(result.keep_connection);
}

BOOST_AUTO_TEST_CASE(pairs_split_anywhere_across_records) {
    const Bytes stream =
        join({pair("A", "1"), pair(std::string(200, 'N'), std::string(500, 'v')), pair("", "")});
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        const Bytes first(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
        const Bytes second(stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end());
        Bytes bytes = begin();
        for (const Bytes* part : {&first, &second}) {
            if (!part->empty()) {
                const Bytes piece = params(*part);
                bytes.insert(bytes.end(), piece.begin(), piece.end());
            }
        }
        bytes.insert(bytes.end(), empty_params.begin(), empty_params.end());
        BOOST_TEST_CONTEXT("cut at " << cut) {
            BOOST_TEST(static_cast<int>(check(bytes).state) ==
                       static_cast<int>(fastcgi::HeadState::complete));
        }
    }
}

struct RefusedCase {
    const char* name;
    Bytes bytes;
};

BOOST_AUTO_TEST_CASE(hostile_and_malformed_heads_are_refused_as_soon_as_seen) {
    // The 32 bytes that abort a process in libfcgi 2.4.2: a name length of 0x7ffffffe, a value length of
    // 0x50000000 (their int sum overflows).
    const Bytes overflow =
        join({begin(), record(fastcgi::record_params, 1, {0xff, 0xff, 0xff, 0xfe, 0xd0, 0x00, 0x00, 0x00})});
    Bytes huge_value;
    append_length(huge_value, 3);
    append_length(huge_value, 64U << 20);
    huge_value.insert(huge_value.end(), {'K', 'E', 'Y'});
    const RefusedCase cases[] = {
        {"libfcgi int overflow", overflow},
        {"a 64 MiB value", join({begin(), params(huge_value)})},
        {"version 2",
         [] {
             Bytes b = begin();
             b[0] = 2;
             return b;
         }()},
        {"params before begin", params(pair("A", "B"))},
        {"begin with request id 0", begin(fastcgi::role_responder, false, 0)},
        {"begin with a short body", record(fastcgi::record_begin_request, 1, {0, 1, 0})},
        {"management record first", record(9, 0, pair("FCGI_MAX_CONNS", ""))},
        {"another request's params", join({begin(), params(pair("A", "B"), 2)})},
        {"a second begin", join({begin(), begin()})},
        {"stdin inside the head", join({begin(), record(5, 1, {'x'})})},
        {"abort inside the head", join({begin(), record(fastcgi::record_abort_request, 1, {})})},
        {"params end inside a pair", join({begin(), params({5, 1, 'A'}), empty_params})},
        {"params end inside a length", join({begin(), params({0x80, 0}), empty_params})},
        // libfcgi forgets these two paddings and reads them as a header.
        {"a padded BEGIN_REQUEST",
         join({record(fastcgi::record_begin_request, 1, {0, 1, 0, 0, 0, 0, 0, 0}, 8), params(pair("A", "B")),
               empty_params})},
        {"a padded empty PARAMS record",
         join({begin(), params(pair("A", "B")), record(fastcgi::record_params, 1, {}, 8)})},
        {"a record larger than the limit",
         join({begin(), record(fastcgi::record_params, 1, Bytes(40000, 1))})},
    };
    for (const auto& [name, bytes] : cases) {
        BOOST_TEST_CONTEXT(name) {
            const auto result = check(bytes);
            BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::refused));
            BOOST_TEST(std::string(result.reason).size() > 0U);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_head_over_the_limit_is_refused_even_when_each_record_is_small) {
    Bytes bytes = begin();
    while (bytes.size() < 2000) {
        const Bytes piece = params(pair("HTTP_X", std::string(100, 'x')));
        bytes.insert(bytes.end(), piece.begin(), piece.end());
    }
    const auto result = check(bytes, 1024);
    BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::refused));
    // Under a larger limit the same bytes are merely incomplete.
    BOOST_TEST(static_cast<int>(check(bytes, limit).state) ==
               static_cast<int>(fastcgi::HeadState::incomplete));
}

BOOST_AUTO_TEST_CASE(other_roles_are_answered_with_unknown_role) {
    for (const std::uint16_t role : {2, 3, 0, 0xffff}) {
        BOOST_TEST_CONTEXT("role " << role) {
            const auto result = check(begin(role, true, 0x1234));
            BOOST_TEST(static_cast<int>(result.state) == static_cast<int>(fastcgi::HeadState::unknown_role));
            BOOST_TEST(result.request_id == 0x1234);
        }
    }
    const auto record = fastcgi::end_request_record(0x1234, fastcgi::status_unknown_role);
    const Bytes expected{1, 3, 0x12, 0x34, 0, 8, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
    BOOST_TEST(Bytes(record.begin(), record.end()) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
