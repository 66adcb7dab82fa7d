#include "signing/video_claims.hpp"

#include "json/json_text.hpp"

namespace sdksign::signing {

namespace {

void append_name(std::string& out, std::string_view name) {
    out += ",\"";
    out += name;
    out += "\":";
}

void append_optional(std::string& out, std::string_view name, const std::optional<int>& value) {
    if (value) {
        append_name(out, name);
        json::append_json_integer(out, *value);
    }
}

void append_optional(std::string& out, std::string_view name, const std::optional<std::string>& value) {
    if (value) {
        append_name(out, name);
        json::append_json_string(out, *value);
    }
}

} // namespace

void append_video_payload(std::string& out, std::string_view key_json, const VideoClaims& claims) {
    out += R"({"app_key":)";
    out += key_json;
    append_name(out, "role_type");
    json::append_json_integer(out, claims.role_type);
    append_name(out, "tpc");
    json::append_json_string(out, claims.topic);
    append_name(out, "version");
    json::append_json_integer(out, video_token_version);
    append_name(out, "iat");
    json::append_json_integer(out, claims.iat);
    append_name(out, "exp");
    json::append_json_integer(out, claims.exp);
    append_optional(out, "user_identity", claims.user_identity);
    append_optional(out, "user_key", claims.user_key);
    append_optional(out, "session_key", claims.session_key);
    append_optional(out, "geo_regions", claims.geo_regions);
    append_optional(out, "cloud_recording_option", claims.cloud_recording_option);
    append_optional(out, "cloud_recording_election", claims.cloud_recording_election);
    append_optional(out, "cloud_recording_transcript_option", claims.cloud_recording_transcript_option);
    append_optional(out, "telemetry_tracking_id", claims.telemetry_tracking_id);
    append_optional(out, "video_webrtc_mode", claims.video_webrtc_mode);
    append_optional(out, "audio_webrtc_mode", claims.audio_webrtc_mode);
    out.push_back('}');
}

} // namespace sdksign::signing
