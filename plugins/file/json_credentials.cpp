#include "json_credentials.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <utility>

namespace sdksign::file_provider {

namespace {

std::size_t line_of(const WipedBuffer& text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 +
        static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

} // namespace

std::vector<Entry> parse_json_credentials(WipedBuffer& text) {
    if (text.empty() || text.back() != '\0') {
        text.push_back('\0');
    }
    // In situ: strings are decoded inside `text`, which is wiped, instead of into the document's own pool.
    rapidjson::Document document;
    document.ParseInsitu(text.data());
    if (document.HasParseError()) {
        throw ParseError(line_of(text, document.GetErrorOffset()),
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
            entries.push_back({std::move(name), {}, line_of(text, 0), false});
            continue;
        }
        const char* value = member.value.GetString();
        entries.push_back(
            {std::move(name), WipedBuffer(value, value + member.value.GetStringLength()), 1, true});
    }
    return entries;
}

} // namespace sdksign::file_provider
