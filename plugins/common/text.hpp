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

} // namespace sdksign::plugin
