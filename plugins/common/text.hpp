#pragma once
// Small text helpers the bundled providers share.
#include <string_view>

namespace sdksign::plugin {

/// `text` without the blanks and line ends around it (an option value, a token file's trailing newline).
constexpr std::string_view trimmed(std::string_view text) noexcept {
    constexpr std::string_view blanks = " \t\r\n";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

/// Whether a key or secret holds nothing but blanks: refused like an empty one, since no app has such a
/// key and a secret of spaces is a mistake (a value cut off, a placeholder), never a credential.
constexpr bool is_blank(std::string_view text) noexcept {
    return text.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
}

/// "is empty" or "is only whitespace", for a value is_blank() refuses.
constexpr std::string_view blank_reason(std::string_view text) noexcept {
    return text.empty() ? "is empty" : "is only whitespace";
}

} // namespace sdksign::plugin
