#include "gateway/fastcgi_stdin.hpp"
#include "gateway/unique_fd.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

using sdksign::gateway::FastcgiStdinReader;
using sdksign::gateway::UniqueFd;

namespace {

std::string record(unsigned char type, std::uint16_t id, const std::string& content,
                   unsigned char padding = 0) {
    std::string out{1,
                    static_cast<char>(type),
                    static_cast<char>(id >> 8),
                    static_cast<char>(id & 0xff),
                    static_cast<char>(content.size() >> 8),
                    static_cast<char>(content.size() & 0xff),
                    static_cast<char>(padding),
                    0};
    return out + content + std::string(padding, '\x55');
}

std::string stdin_record(const std::string& content, std::uint16_t id = 1, unsigned char padding = 0) {
    return record(5, id, content, padding);
}

/// A connected pair: the bytes are written to one end (then closed for writing), the reader reads the other.
struct Connection {
    UniqueFd ours;
    UniqueFd peer;
    explicit Connection(const std::string& bytes) {
        std::array<int, 2> ends{};
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends.data()) == 0);
        ours.reset(ends[0]);
        peer.reset(ends[1]);
        BOOST_REQUIRE(::send(peer.get(), bytes.data(), bytes.size(), 0) ==
                      static_cast<ssize_t>(bytes.size()));
        ::shutdown(peer.get(), SHUT_WR);
    }
    /// What is left unread on our end.
    [[nodiscard]] std::string rest() const {
        std::string out;
        std::array<char, 256> buffer{};
        for (;;) {
            const auto n = ::recv(ours.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
            if (n <= 0) {
                return out;
            }
            out.append(buffer.data(), static_cast<std::size_t>(n));
        }
    }
};

std::string read_all(FastcgiStdinReader& reader, std::size_t step) {
    std::string out;
    std::vector<char> buffer(step);
    while (const auto n = reader.read_some(buffer.data(), buffer.size())) {
        out.append(buffer.data(), n);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fastcgi_stdin_cpp)

BOOST_AUTO_TEST_CASE(records_with_padding_in_any_read_size_and_not_a_byte_past_the_end) {
    const std::string next_request = record(1, 2, std::string(8, '\0'));
    for (const std::size_t step : {1U, 3U, 7U, 100U, 8192U}) {
        Connection connection(stdin_record("{\"meeting", 1, 3) + stdin_record("Number\":1}", 1, 6) +
                              stdin_record("", 1, 2) + next_request);
        FastcgiStdinReader reader(connection.ours.get(), 1);
        BOOST_TEST_CONTEXT("reads of " << step) {
            BOOST_TEST(read_all(reader, step) == "{\"meetingNumber\":1}");
            BOOST_TEST(reader.ended());
            BOOST_TEST(!reader.failed());
            BOOST_TEST(connection.rest() == next_request);
        }
    }
}

struct FailingCase {
    const char* name;
    std::string bytes;
    std::string readable;
};

BOOST_AUTO_TEST_CASE(anything_but_this_request_s_stdin_fails_the_stream) {
    const FailingCase cases[] = {
        {"a management record (GET_VALUES) inside the body",
         stdin_record("ab") + record(9, 0, std::string("\xff\xff\xff\xfe\xd0\0\0\0", 8)), "ab"},
        {"another request's stdin", stdin_record("ab") + stdin_record("cd", 2), "ab"},
        {"an abort", stdin_record("ab") + record(2, 1, ""), "ab"},
        {"a params record", record(4, 1, "x"), ""},
        {"version 0", std::string(1, '\0') + stdin_record("ab").substr(1), ""},
        {"the connection closing mid-record", stdin_record("abcdef").substr(0, 11), "abc"},
        {"the connection closing before the end record", stdin_record("abc"), "abc"},
        {"the connection closing mid-header", stdin_record("abc") + stdin_record("").substr(0, 4), "abc"},
    };
    for (const auto& [name, bytes, readable] : cases) {
        BOOST_TEST_CONTEXT(name) {
            Connection connection(bytes);
            FastcgiStdinReader reader(connection.ours.get(), 1);
            BOOST_TEST(read_all(reader, 64) == readable);
            BOOST_TEST(reader.failed());
            BOOST_TEST(!reader.ended());
            BOOST_TEST(!reader.skip_rest(1024));
        }
    }
}

BOOST_AUTO_TEST_CASE(skip_rest_reads_to_the_end_within_a_limit) {
    {
        Connection connection(stdin_record(std::string(500, 'x')) + stdin_record("") + "NEXT");
        FastcgiStdinReader reader(connection.ours.get(), 1);
        std::array<char, 10> some{};
        BOOST_TEST(reader.read_some(some.data(), some.size()) == 10U);
        BOOST_TEST(reader.skip_rest(1000));
        BOOST_TEST(connection.rest() == "NEXT");
    }
    {
        Connection connection(stdin_record(std::string(5000, 'x')) + stdin_record(""));
        FastcgiStdinReader reader(connection.ours.get(), 1);
        BOOST_TEST(!reader.skip_rest(1000));
    }
}

BOOST_AUTO_TEST_SUITE_END()
