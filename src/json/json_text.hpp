#pragma once
// Writing JSON text by hand, escaped exactly as JavaScript's JSON.stringify does, so that claims built here
// are byte-identical to the reference sample's for the same input. A leaf: it includes nothing of the
// project, so the host's folders and the bundled providers (whose login bodies hold secrets, written into
// wiped memory) share this one escaper.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sdksign::json {

/// Appends `text` (valid UTF-8) as a quoted JSON string literal to `out`, which needs only
/// `append(const char*, std::size_t)`: a std::string, or a buffer that wipes itself.
template<typename Out> void append_json_string(Out& out, std::string_view text) {
    constexpr std::string_view hex = "0123456789abcdef";
    out.append("\"", 1);
    // Runs of bytes that need no escape are appended whole: this is on the signing path.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte != '"' && byte != '\\') {
            continue;
        }
        out.append(text.data() + run, i - run);
        run = i + 1;
        std::array<char, 6> escape = {'\\', static_cast<char>(byte), 0, 0, 0, 0};
        std::size_t length = 2;
        switch (byte) {
        case '"':
        case '\\':
            break;
        case '\b':
            escape[1] = 'b';
            break;
        case '\f':
            escape[1] = 'f';
            break;
        case '\n':
            escape[1] = 'n';
            break;
        case '\r':
            escape[1] = 'r';
            break;
        case '\t':
            escape[1] = 't';
            break;
        default:
            escape = {'\\', 'u', '0', '0', hex[byte >> 4U], hex[byte & 0xFU]};
            length = escape.size();
        }
        out.append(escape.data(), length);
    }
    out.append(text.data() + run, text.size() - run);
    out.append("\"", 1);
}

/// Returns `text` as a quoted JSON string literal.
std::string json_string(std::string_view text);

/// Appends a decimal integer.
void append_json_integer(std::string& out, std::int64_t value);

} // namespace sdksign::json
