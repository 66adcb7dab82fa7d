#include "app/access_policy.hpp"

#include "errors.hpp"

#include <botan/hash.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace sdksign::app {

namespace {

std::string_view without_leading_zeros(std::string_view digits) {
    const auto first = digits.find_first_not_of('0');
    // "0" and "000" are the number zero, not the empty string (which would match every prefix rule).
    return first == std::string_view::npos ? digits.substr(0, digits.empty() ? 0 : 1) : digits.substr(first);
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

bool AccessPolicy::allows_meeting(std::string_view digits) const {
    if (allowed_meetings.empty()) {
        return true;
    }
    const auto number = without_leading_zeros(digits);
    return std::any_of(allowed_meetings.begin(), allowed_meetings.end(), [&](const MeetingRule& rule) {
        return rule.prefix ? number.starts_with(rule.digits) : number == rule.digits;
    });
}

std::optional<MeetingRule> parse_meeting_rule(std::string_view text) {
    MeetingRule rule;
    if (text.ends_with('*')) {
        rule.prefix = true;
        text.remove_suffix(1);
    }
    if (!all_digits(text)) {
        return std::nullopt;
    }
    rule.digits = std::string(without_leading_zeros(text));
    return rule;
}

Botan::secure_vector<std::uint8_t> bearer_token_digest(std::string_view token) {
    // One per thread, as every request with a bearer token needs one: not a lookup and an allocation each.
    thread_local const std::unique_ptr<Botan::HashFunction> sha256 =
        Botan::HashFunction::create_or_throw("SHA-256");
    return sha256->process(reinterpret_cast<const std::uint8_t*>(token.data()), token.size());
}

Botan::secure_vector<std::uint8_t> bearer_token_digest_from_file(const std::string& path,
                                                                 std::string_view shown_name) {
    constexpr std::size_t shortest_token = 16;
    constexpr std::size_t longest_token = 4096;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw ConfigError("cannot read " + std::string(shown_name));
    }
    Botan::secure_vector<char> text(longest_token + 2);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    auto size = static_cast<std::size_t>(file.gcount());
    // One trailing newline is how editors and `echo` end a file; it is not part of the token.
    if (size > 0 && text[size - 1] == '\n') {
        --size;
    }
    if (size > 0 && text[size - 1] == '\r') {
        --size;
    }
    const std::string_view token(text.data(), size);
    // RFC 6750's token68 characters: what a client can put after "Bearer " unchanged.
    const bool token68 = std::all_of(token.begin(), token.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
    });
    if (size < shortest_token || size > longest_token || !token68) {
        throw ConfigError(std::string(shown_name) +
                          " must hold one token of 16 to 4096 characters from A-Z " +
                          "a-z 0-9 -._~+/= (and nothing else but a final newline)");
    }
    return bearer_token_digest(token);
}

} // namespace sdksign::app
