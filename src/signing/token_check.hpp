#pragma once
// What `sdksign verify` checks: a token's signature and every claim rule the Zoom SDKs apply, each with the
// likely cause when it fails. Pure: the token, the configured credentials and the time in, a list of rule
// results out; printing them is the command line's business (cli/verify_command.hpp).
#include "credentials/credential.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::signing {

/// The text is no JWT at all (not three segments, bad base64url, a segment that is not a JSON object): a
/// usage error rather than an invalid token.
class MalformedToken : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Which SDK a token is for, told by its claims: Meeting (appKey, sdkKey, mn, role, tokenExp) or Video
/// (app_key, tpc, role_type); `jwt_app` is a token of Zoom's retired JWT apps (iss and exp only).
enum class TokenKind { meeting, video, jwt_app, unknown };

enum class Outcome { pass, fail, skipped };

struct RuleResult {
    /// A short stable name: "signature", "iat", "tokenExp".
    std::string rule;
    Outcome outcome = Outcome::pass;
    /// What was found and, on a failure, its likely cause. Never the secret.
    std::string detail;
};

struct TokenCheck {
    TokenKind kind = TokenKind::unknown;
    std::vector<RuleResult> rules;

    /// True when every rule passed: the SDKs accept the token now.
    [[nodiscard]] bool valid() const noexcept;
};

/// The configured credentials; either may be null (not configured).
struct CheckCredentials {
    credentials::CredentialPtr meeting;
    credentials::CredentialPtr video;
};

/// Checks `token` (surrounding blanks ignored) at `now` (seconds since the epoch). Throws MalformedToken.
TokenCheck check_token(std::string_view token, const CheckCredentials& credentials, std::int64_t now);

/// "meeting", "video", "jwt-app", "unknown".
std::string_view kind_name(TokenKind kind) noexcept;

/// "pass", "fail", "skipped".
std::string_view outcome_name(Outcome outcome) noexcept;

} // namespace sdksign::signing
