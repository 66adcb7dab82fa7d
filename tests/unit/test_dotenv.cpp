// The file provider's dotenv parser (plugins/file/dotenv.cpp), linked in directly: what the npm `dotenv`
// package reads from Zoom's sample's .env, and the stricter errors that keep a half-written file from
// being taken as good.
#include "dotenv.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

using sdksign::file_provider::Entry;
using sdksign::file_provider::parse_dotenv;
using sdksign::file_provider::ParseError;

namespace {

struct Expected {
    std::string_view name;
    std::string_view value;
    std::size_t line;
};

struct Parsed {
    std::string_view text;
    std::vector<Expected> entries;
};

struct Refused {
    std::string_view text;
    std::size_t line;
    /// A part of the text that the message must not quote.
    std::string_view unquoted;
};

} // namespace

BOOST_AUTO_TEST_SUITE(dotenv_cpp)

BOOST_AUTO_TEST_CASE(reads_what_dotenv_reads) {
    const std::vector<Parsed> cases = {
        {"", {}},
        {"# only a comment\n\n", {}},
        {"A=1\nB=2\n", {{"A", "1", 1}, {"B", "2", 2}}},
        {"A=1\r\nB=2\r\n", {{"A", "1", 1}, {"B", "2", 2}}},
        {"export KEY=value", {{"KEY", "value", 1}}},
        {"\n# c\nA = spaced value  # comment\n", {{"A", "spaced value", 3}}},
        {"A:colon", {{"A", "colon", 1}}},
        {"A=", {{"A", "", 1}}},
        {"A='single # kept'", {{"A", "single # kept", 1}}},
        {"A=`back`", {{"A", "back", 1}}},
        {R"(A="l1\nl2\r")", {{"A", "l1\nl2\r", 1}}},
        {R"(A='l1\nl2')", {{"A", R"(l1\nl2)", 1}}},
        {R"(A="with \" quote")", {{"A", R"(with \" quote)", 1}}},
        {"A=\"two\nlines\"\nB=x", {{"A", "two\nlines", 1}, {"B", "x", 3}}},
        {"A=\"crlf\r\ninside\"", {{"A", "crlf\ninside", 1}}},
        {"A=first\nA=second", {{"A", "second", 2}}},
        {"ZOOM_MEETING_SDK_KEY=k.e-y_1\nZOOM_MEETING_SDK_SECRET=s3cr3t",
         {{"ZOOM_MEETING_SDK_KEY", "k.e-y_1", 1}, {"ZOOM_MEETING_SDK_SECRET", "s3cr3t", 2}}},
    };
    for (const auto& row : cases) {
        BOOST_TEST_CONTEXT("text " << row.text) {
            const std::vector<Entry> entries = parse_dotenv(row.text);
            BOOST_TEST_REQUIRE(entries.size() == row.entries.size());
            for (std::size_t i = 0; i < entries.size(); ++i) {
                BOOST_TEST(entries[i].name == row.entries[i].name);
                BOOST_TEST(entries[i].value.view() == row.entries[i].value);
                BOOST_TEST(entries[i].line == row.entries[i].line);
                BOOST_TEST(entries[i].is_text);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_whole_naming_the_line_not_the_text) {
    const std::vector<Refused> cases = {
        {"not-a-line-secretA", 1, "secretA"},
        {"A=1\nsecretB", 2, "secretB"},
        {"A=1\n=secretC", 2, "secretC"},
        {"A=\"secretD", 1, "secretD"},
        {"A=1\n\nB='secretE\nstill open", 3, "secretE"},
        {"A='secretF' trailing", 1, "secretF"},
        {"9A=secretG", 1, "secretG"},
    };
    for (const auto& row : cases) {
        BOOST_TEST_CONTEXT("text " << row.text) {
            try {
                parse_dotenv(row.text);
                BOOST_ERROR("accepted");
            } catch (const ParseError& e) {
                BOOST_TEST(e.line() == row.line);
                BOOST_TEST(std::string_view(e.what()).find(row.unquoted) == std::string_view::npos, e.what());
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
