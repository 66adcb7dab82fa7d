#include "json_credentials.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <utility>

namespace sdksign::file_provider {

namespace {

/// Where the text's line breaks are, taken before the in-place parse rewrites it: a decoded "\n" escape
/// becomes a line break there, which would put an error on a line further down than the file has.
std::vector<std::size_t> line_breaks(std::string_view text) {
    std::vector<std::size_t> breaks;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            breaks.push_back(i);
        }
    }
    return breaks;
}

std::size_t line_of(const std::vector<std::size_t>& breaks, std::size_t offset) {
    return 1 +
        static_cast<std::size_t>(std::lower_bound(breaks.begin(), breaks.end(), offset) - breaks.begin());
}

} // namespace

std::vector<Entry> parse_json_credentials(WipedBuffer& text) {
    const std::vector<std::size_t> breaks = line_breaks(text.view());
    // In situ: strings are decoded inside `text`, which is wiped, instead of into the document's own pool.
    // Iterative: a file nested deeper than the stack allows (it may have 1 MiB of '[') is an error, not a
    // crash of the host process.
    rapidjson::Document document;
    document.ParseInsitu<rapidjson::kParseIterativeFlag>(text.c_str());
    if (document.HasParseError()) {
        throw ParseError(line_of(breaks, document.GetErrorOffset()),
                         std::string("not valid JSON: ") +
                             rapidjson::GetParseError_En(document.GetParseError()));
    }
    if (!document.IsObject()) {
        throw ParseError(1, "the JSON document is not an object");
    }
    std::vector<Entry> entries;
    for (const auto& member : std::as_const(document).GetObject()) { // const: one iterator type (C++20)
        std::string name(member.name.GetString(), member.name.GetStringLength());
        std::erase_if(entries, [&](const Entry& entry) { return entry.name == name; });
        if (!member.value.IsString()) {
            // Kept without a value, so that asking for it says "not a string" rather than "missing".
            entries.push_back({std::move(name), {}, 1, false});
            continue;
        }
        const char* value = member.value.GetString();
        entries.push_back(
            {std::move(name), WipedBuffer(std::string_view(value, member.value.GetStringLength())), 1, true});
    }
    return entries;
}

} // namespace sdksign::file_provider
