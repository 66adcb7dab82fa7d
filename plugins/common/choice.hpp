#pragma once
// Options that take one of a few words, read the same way by every bundled provider.
#include "status_error.hpp"

#include <sdksign/provider.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace sdksign::plugin {

/// A word an option accepts and what it stands for.
template<typename T> struct Choice {
    std::string_view word;
    T value;
};

/// What `value` names among `choices`; a StatusError (SDKSIGN_E_CONFIG) "option 'NAME': 'VALUE' is not a, b
/// or c" when it names none.
template<typename T, std::size_t N>
T choose(std::string_view option, std::string_view value, const std::array<Choice<T>, N>& choices) {
    static_assert(N >= 2, "a choice between fewer than two words is no choice");
    std::string words;
    for (std::size_t i = 0; i < N; ++i) {
        if (choices[i].word == value) {
            return choices[i].value;
        }
        words += i == 0 ? "" : (i + 1 == N ? " or " : ", ");
        words += choices[i].word;
    }
    throw StatusError(SDKSIGN_E_CONFIG,
                      "option '" + std::string(option) + "': '" + std::string(value) + "' is not " + words);
}

/// The word that stands for `value` in `choices` (empty: none), for a default shown in the documentation.
template<typename T, std::size_t N>
constexpr std::string_view word_of(T value, const std::array<Choice<T>, N>& choices) noexcept {
    for (const auto& choice : choices) {
        if (choice.value == value) {
            return choice.word;
        }
    }
    return {};
}

} // namespace sdksign::plugin
