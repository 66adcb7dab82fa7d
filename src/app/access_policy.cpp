#include "app/access_policy.hpp"

#include <botan/hash.h>

#include <algorithm>
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

} // namespace sdksign::app
