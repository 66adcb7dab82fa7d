#pragma once
// Who may get a signature. Every restriction is off by default, as in the reference sample, where anyone who
// can reach the endpoint can mint tokens; each one closes a different door (see SECURITY.md).
#include <botan/secmem.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::app {

/// What happens to a request whose Origin is not on the CORS allow-list.
enum class OriginCheck {
    /// It is answered, without CORS headers: a browser cannot read the answer (the sample's behaviour).
    off,
    /// A request that names another origin is refused with 403 before anything is signed.
    reject,
    /// As `reject`, and a request without an Origin header (not sent by a browser) is refused too.
    strict,
};

/// Which requests need a user authenticated by the web server (REMOTE_USER).
enum class UserRequirement {
    none,
    /// Host tokens (role 1) only: attendees join freely, starting a meeting needs a login.
    host,
    all,
};

/// One entry of the meeting allow-list: a meeting number, or a prefix of one when written with a trailing
/// `*`. Stored without leading zeros, as Zoom reads meeting numbers as numbers.
struct MeetingRule {
    std::string digits;
    bool prefix = false;

    bool operator==(const MeetingRule&) const = default;
};

struct AccessPolicy {
    OriginCheck origin_check = OriginCheck::off;
    UserRequirement require_user = UserRequirement::none;
    /// SHA-256 of the shared bearer token; empty when no token is required. A digest of fixed size lets the
    /// comparison take the same time whatever the length of the token presented.
    Botan::secure_vector<std::uint8_t> bearer_token_digest;
    /// Empty: every meeting number.
    std::vector<MeetingRule> allowed_meetings;

    /// True when `digits` (a meeting number's decimal digits, leading zeros allowed) is on the allow-list,
    /// or there is no allow-list.
    [[nodiscard]] bool allows_meeting(std::string_view digits) const;
};

/// Parses one allow-list entry ("85746065432", "857*"); nullopt when it is not digits with an optional
/// trailing `*`.
[[nodiscard]] std::optional<MeetingRule> parse_meeting_rule(std::string_view text);

/// The digest AccessPolicy::bearer_token_digest holds for `token`.
[[nodiscard]] Botan::secure_vector<std::uint8_t> bearer_token_digest(std::string_view token);

/// The digest of the one token in the file at `path` (16 to 4096 characters of RFC 6750's token68 set, and
/// nothing else but a final newline). The token lives only in wiped memory. Throws ConfigError whose message
/// names the file as `shown_name` (a path from a configuration file is not repeated: it may be anything) and
/// never says what the file holds, which may be a private key or a password by mistake.
[[nodiscard]] Botan::secure_vector<std::uint8_t> bearer_token_digest_from_file(const std::string& path,
                                                                               std::string_view shown_name);

} // namespace sdksign::app
