// libFuzzer target: what the file provider parses from a credentials file, the dotenv form
// (plugins/file/dotenv.cpp) and the JSON form (plugins/file/json_credentials.cpp). Every input is given to
// both parsers, as format=dotenv and format=json would; the provider picks one by the file's name.
//
// Each byte 0xFF of the input is replaced by a marker text before parsing, so that the fuzzer can plant the
// marker anywhere (in a value, a name, a comment, an unterminated quote) with one byte. The properties:
// - never a crash or undefined behaviour, whatever the bytes;
// - an error is a ParseError (the provider turns nothing else into "path line N: ..."), its line is a line
//   of the text, and its message never contains the marker: parse_error.hpp promises "where (the line) and
//   what, never the text itself";
// - on success the entries hold what the text held: unique names, each on its line; a dotenv value without
//   line breaks appears verbatim on its line, and every value that single or back quotes can hold reads
//   the same when written back out that way and parsed again; the JSON entries equal an independent parse
//   of the same text (the last member of a name wins, non-strings kept as such).
// A violation aborts, which libFuzzer reports as a crash with the input.
#include "dotenv.hpp"
#include "fuzz_support.hpp"
#include "json_credentials.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using sdksign::file_provider::Entry;
using sdksign::file_provider::ParseError;
using sdksign::file_provider::WipedBuffer;

constexpr std::string_view marker = "plantedVALUEq7Zx";
constexpr char marker_byte = '\xFF';

using sdksign::fuzz::violated;

std::string_view view(const WipedBuffer& buffer) {
    return {buffer.data(), buffer.size()};
}

std::size_t line_count(std::string_view text) {
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// The text of line `number` (1-based), without its line end.
std::string_view line_text(std::string_view text, std::size_t number) {
    std::size_t start = 0;
    for (std::size_t line = 1; line < number; ++line) {
        start = text.find('\n', start);
        if (start == std::string_view::npos) {
            return {};
        }
        ++start;
    }
    return text.substr(start, text.find('\n', start) - start);
}

void check_error(const ParseError& error, std::string_view text) {
    if (std::string_view(error.what()).find(marker) != std::string_view::npos) {
        violated("a parse error quotes the text");
    }
    if (error.line() < 1 || error.line() > line_count(text)) {
        violated("a parse error names a line the text does not have");
    }
}

bool is_name(std::string_view name) {
    const auto name_char = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
            c == '.' || c == '-';
    };
    return !name.empty() && !(name[0] >= '0' && name[0] <= '9') && name[0] != '.' && name[0] != '-' &&
        std::all_of(name.begin(), name.end(), name_char);
}

void check_unique_names(const std::vector<Entry>& entries) {
    std::vector<std::string_view> names;
    names.reserve(entries.size());
    for (const auto& entry : entries) {
        names.emplace_back(entry.name);
    }
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        violated("a name defined twice is kept twice (the later one must win)");
    }
}

/// The value written back as one dotenv line that reads as the same value, when some quoting can hold it.
std::optional<std::string> dotenv_line(const Entry& entry) {
    const std::string_view value = view(entry.value);
    if (value.find("\r\n") != std::string_view::npos) {
        return std::nullopt; // every quoting turns CRLF into LF
    }
    for (const char quote : {'\'', '`'}) {
        if (value.find(quote) == std::string_view::npos) {
            return entry.name + "=" + quote + std::string(value) + quote;
        }
    }
    return std::nullopt;
}

void check_dotenv(std::string_view text) {
    std::vector<Entry> entries;
    try {
        entries = sdksign::file_provider::parse_dotenv(text);
    } catch (const ParseError& error) {
        check_error(error, text);
        return;
    }
    check_unique_names(entries);
    std::string rewritten;
    std::vector<const Entry*> rewritable;
    for (const auto& entry : entries) {
        if (!is_name(entry.name) || !entry.is_text) {
            violated("a dotenv entry with a malformed name or marked as not text");
        }
        if (entry.line < 1 || entry.line > line_count(text)) {
            violated("a dotenv entry on a line the text does not have");
        }
        const std::string_view line = line_text(text, entry.line);
        const auto name_at = line.find(entry.name);
        if (name_at == std::string_view::npos) {
            violated("a dotenv entry whose name is not on its line");
        }
        const std::string_view value = view(entry.value);
        if (value.find_first_of("\r\n") == std::string_view::npos &&
            line.find(value, name_at + entry.name.size()) == std::string_view::npos) {
            violated("a one-line dotenv value that is not on its line as written");
        }
        if (auto written = dotenv_line(entry)) {
            rewritten += *written + "\n";
            rewritable.push_back(&entry);
        }
    }
    std::vector<Entry> reparsed;
    try {
        reparsed = sdksign::file_provider::parse_dotenv(rewritten);
    } catch (const ParseError&) {
        violated("parsed entries written back as dotenv do not parse");
    }
    if (reparsed.size() != rewritable.size()) {
        violated("parsed entries written back as dotenv give a different number of entries");
    }
    for (std::size_t i = 0; i < reparsed.size(); ++i) {
        if (reparsed[i].name != rewritable[i]->name ||
            view(reparsed[i].value) != view(rewritable[i]->value)) {
            violated("parsed entries written back as dotenv read differently");
        }
    }
}

void check_json(std::string_view text) {
    WipedBuffer bytes(text);
    std::vector<Entry> entries;
    try {
        entries = sdksign::file_provider::parse_json_credentials(bytes);
    } catch (const ParseError& error) {
        check_error(error, text);
        return;
    }
    check_unique_names(entries);
    // The same text parsed again, not in place and not by the provider's code: the last member of a name
    // wins, its value when it is a string.
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (document.HasParseError() || !document.IsObject()) {
        violated("the provider took JSON that does not parse as an object");
    }
    std::map<std::string, std::optional<std::string>> expected;
    for (const auto& member : std::as_const(document).GetObject()) {
        std::string name(member.name.GetString(), member.name.GetStringLength());
        expected[name] = member.value.IsString()
            ? std::optional<std::string>(std::in_place, member.value.GetString(),
                                         member.value.GetStringLength())
            : std::nullopt;
    }
    if (expected.size() != entries.size()) {
        violated("JSON entries that are not the object's members");
    }
    for (const auto& entry : entries) {
        const auto found = expected.find(entry.name);
        if (found == expected.end() || found->second.has_value() != entry.is_text ||
            (entry.is_text && view(entry.value) != *found->second) ||
            (!entry.is_text && !entry.value.empty())) {
            violated("a JSON entry that differs from the member it came from");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text;
    text.reserve(size);
    for (const char c : std::string_view(reinterpret_cast<const char*>(data), size)) {
        if (c == marker_byte) {
            text += marker;
        } else {
            text += c;
        }
    }
    check_dotenv(text);
    check_json(text);
    return 0;
}
