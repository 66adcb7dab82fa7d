#pragma once
// Where the Meeting SDK request body is parsed and validated: the reference sample's rules (property names,
// error order, coercion of integer strings, the all-or-none rule for meetingNumber and role), made strict
// where the sample is sloppy (see README, "Differences from Zoom's sample").
#include "app/request_body.hpp"
#include "signing/meeting_claims.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace sdksign::app {

/// meeting_number, role and video_webrtc_mode as the body gave them.
using MeetingTokenRequest = TokenRequest<signing::MeetingClaims>;

using MeetingRequestResult = std::variant<MeetingTokenRequest, RequestRejection>;

/// Parses and validates a JSON body (see RequestBody). An empty body counts as `{}`: a native token.
MeetingRequestResult parse_meeting_request(std::string_view text);

} // namespace sdksign::app
