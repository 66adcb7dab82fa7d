#pragma once
// The Meeting SDK JWT payload: which claims, in which order, with which JSON types.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sdksign::signing {

/// A meeting number as the request gave it: its decimal digits and whether it came as a JSON string, so
/// `mn` keeps the request's JSON type (the SDKs accept both; the reference sample passes it through).
struct MeetingNumber {
    std::string digits;
    bool as_string = false;

    bool operator==(const MeetingNumber&) const = default;
};

struct MeetingClaims {
    /// Present for a web token (together with `role`); absent for a native token.
    std::optional<MeetingNumber> meeting_number;
    std::optional<int> role;
    std::int64_t iat = 0;
    std::int64_t exp = 0;
    /// Only written when the request gave videoWebRtcMode.
    std::optional<int> video_webrtc_mode;
};

/// Appends what every payload signed with `key_json` starts with: `{"appKey":KEY,"sdkKey":KEY`.
void append_meeting_payload_prefix(std::string& out, std::string_view key_json);

/// Appends the payload JSON: appKey, sdkKey, [mn, role], iat, exp, tokenExp, [video_webrtc_mode].
/// `key_json` is the SDK key already encoded as a JSON string literal.
void append_meeting_payload(std::string& out, std::string_view key_json, const MeetingClaims& claims);

} // namespace sdksign::signing
