#pragma once
// The Video SDK JWT payload: which claims, in which order, with which JSON types. The order is the video
// sample's (same request, same second: the same bytes); user_key and cloud_recording_transcript_option,
// which Zoom's current documentation added and the sample lacks, follow their older neighbours.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sdksign::signing {

struct VideoClaims {
    /// 0 participant, 1 host.
    int role_type = 0;
    /// The session name (`tpc`), valid UTF-8.
    std::string topic;
    std::int64_t iat = 0;
    std::int64_t exp = 0;
    // Each optional claim is written only when the request gave it; strings are valid UTF-8.
    std::optional<std::string> user_identity;
    std::optional<std::string> user_key;
    std::optional<std::string> session_key;
    /// Already joined with ',' (the request's list, blanks removed).
    std::optional<std::string> geo_regions;
    std::optional<int> cloud_recording_option;
    std::optional<int> cloud_recording_election;
    std::optional<int> cloud_recording_transcript_option;
    std::optional<std::string> telemetry_tracking_id;
    std::optional<int> video_webrtc_mode;
    /// audioWebRtcMode, or the deprecated audioCompatibleMode when only that was given.
    std::optional<int> audio_webrtc_mode;
};

/// The claims' version: 1, the only one Zoom defines.
inline constexpr int video_token_version = 1;

/// Appends the payload JSON: app_key, role_type, tpc, version, iat, exp, then each optional claim that is
/// present. `key_json` is the SDK key already encoded as a JSON string literal.
void append_video_payload(std::string& out, std::string_view key_json, const VideoClaims& claims);

} // namespace sdksign::signing
