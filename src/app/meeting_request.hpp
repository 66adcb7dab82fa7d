#pragma once
// Where the Meeting SDK request body is parsed and validated: the reference sample's rules (property names,
// error order, coercion of integer strings, the all-or-none rule for meetingNumber and role), made strict
// where the sample is sloppy (see README, "Differences from Zoom's sample").
#include "app/error_body.hpp"
#include "signing/meeting_claims.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace sdksign::app {

/// A valid request: the claims it asks for, which the handler completes with iat and exp from its clock.
struct MeetingTokenRequest {
    /// meeting_number, role and video_webrtc_mode as the body gave them; iat and exp are left at zero.
    signing::MeetingClaims claims;
    /// The lifetime the body asked for; absent: the configured default.
    std::optional<std::int64_t> expiration_seconds;
};

/// Why a body was refused: the HTTP status (400) and the errors in the sample's order.
struct RequestRejection {
    int status = 400;
    std::vector<ValidationError> errors;
};

using MeetingRequestResult = std::variant<MeetingTokenRequest, RequestRejection>;

inline constexpr std::int64_t min_expiration_seconds = 1800;
inline constexpr std::int64_t max_expiration_seconds = 172800;

/// Parses and validates a JSON body. An empty body counts as `{}` (a native token), as in the sample.
/// Parsing is iterative, so nesting depth cannot exhaust the stack, and invalid UTF-8 is rejected.
MeetingRequestResult parse_meeting_request(std::string_view body);

} // namespace sdksign::app
