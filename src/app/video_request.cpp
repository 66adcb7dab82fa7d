#include "app/video_request.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace sdksign::app {

namespace {

using rapidjson::Value;

constexpr std::size_t max_session_name_units = 200;
constexpr std::size_t max_user_identity_units = 35;
constexpr std::size_t max_user_key_units = 36;
constexpr std::size_t max_session_key_units = 36;

std::string_view string_of(const Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

/// The sample's isRequired (JSON null counts as present), then the property's own `check`.
template<typename Check>
std::optional<ValidationError> required(std::string_view property, const RequestBody& body, Check check) {
    if (body.find(property) == nullptr) {
        return ValidationError{std::string(property), "Property required, but not present in request body"};
    }
    return check();
}

/// The sample's isLengthLessThan: absent passes; a string of at most `max_units` UTF-16 code units.
std::optional<ValidationError> check_string(std::string_view property, const RequestBody& body,
                                            std::size_t max_units, std::optional<std::string>& out) {
    const Value* value = body.find(property);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (!value->IsString()) {
        return ValidationError{std::string(property),
                               "Value " + describe(*value, body, property) +
                                   " not allowed, must be of type string"};
    }
    const std::string_view text = string_of(*value);
    if (const std::size_t units = utf16_length(text); units > max_units) {
        return ValidationError{std::string(property),
                               "Value exceed max length. Got " + std::to_string(units) +
                                   ", expected less than or equal to " + std::to_string(max_units)};
    }
    out = std::string(text);
    return std::nullopt;
}

/// The length of the UTF-8 sequence at `at` when it encodes a character JavaScript's `\s` matches (the
/// sample strips every one of them from geoRegions), else 0.
std::size_t javascript_blank_at(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const std::size_t left = text.size() - at;
    const unsigned char lead = byte(0);
    if (lead == ' ' || (lead >= '\t' && lead <= '\r')) {
        return 1;
    }
    if (lead == 0xC2 && left >= 2 && byte(1) == 0xA0) { // U+00A0
        return 2;
    }
    if (left < 3 || (lead != 0xE1 && lead != 0xE2 && lead != 0xE3 && lead != 0xEF)) {
        return 0;
    }
    const unsigned code = ((lead & 0x0FU) << 12U) | ((byte(1) & 0x3FU) << 6U) | (byte(2) & 0x3FU);
    const bool blank = code == 0x1680 || (code >= 0x2000 && code <= 0x200A) || code == 0x2028 ||
        code == 0x2029 || code == 0x202F || code == 0x205F || code == 0x3000 || code == 0xFEFF;
    return blank ? 3 : 0;
}

/// The sample's replaceWhitespace: `text` without any blank, inside it as well as around it.
std::string without_blanks(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        if (const std::size_t blank = javascript_blank_at(text, at); blank > 0) {
            at += blank;
        } else {
            out.push_back(text[at++]);
        }
    }
    return out;
}

bool is_geo_region(std::string_view region) {
    for (std::size_t at = 0; at < video_geo_regions.size(); at += 3) {
        if (video_geo_regions.substr(at, 2) == region) {
            return true;
        }
    }
    return false;
}

/// The sample's matchesStringArray: a comma-separated string or an array of strings, each item without
/// blanks, empty items dropped, at least one left, every one a known region. The claim is the items joined
/// with ','.
std::optional<ValidationError> check_geo_regions(const RequestBody& body, std::optional<std::string>& out) {
    constexpr std::string_view property = "geoRegions";
    const Value* value = body.find(property);
    if (value == nullptr) {
        return std::nullopt;
    }
    const bool string_array = value->IsArray() &&
        std::all_of(value->Begin(), value->End(), [](const Value& item) { return item.IsString(); });
    if (!value->IsString() && !string_array) {
        return ValidationError{std::string(property),
                               "Value " + describe(*value, body, property) +
                                   " not allowed, must be of type string or string array"};
    }
    std::vector<std::string> items;
    const auto add = [&](std::string_view item) {
        if (auto cleaned = without_blanks(item); !cleaned.empty()) {
            items.push_back(std::move(cleaned));
        }
    };
    if (string_array) {
        for (const auto& item : value->GetArray()) {
            add(string_of(item));
        }
    } else {
        std::string_view text = string_of(*value);
        for (std::size_t comma = text.find(','); comma != std::string_view::npos; comma = text.find(',')) {
            add(text.substr(0, comma));
            text.remove_prefix(comma + 1);
        }
        add(text);
    }
    if (items.empty()) {
        return ValidationError{std::string(property),
                               "Property defined, but not value(s) were present"}; // sic
    }
    std::string joined;
    bool all_known = true;
    for (const auto& item : items) {
        all_known = all_known && is_geo_region(item);
        joined += item;
        joined.push_back(',');
    }
    joined.pop_back();
    if (!all_known) {
        return ValidationError{std::string(property),
                               "One or more value(s) not allowed. Got (" + clip_for_echo(joined) +
                                   "), expected (" + std::string(video_geo_regions) + ")"};
    }
    out = std::move(joined);
    return std::nullopt;
}

} // namespace

VideoRequestResult parse_video_request(std::string_view text) {
    RequestBody body;
    if (auto rejection = body.parse(text)) {
        return std::move(*rejection);
    }

    VideoTokenRequest request;
    signing::VideoClaims& claims = request.claims;
    std::optional<int> role;
    std::optional<std::string> session_name;
    std::optional<int> audio_compatible_mode;
    // The sample's validators in its order, at most one error each; the properties it lacks sit beside
    // their older neighbours (userKey after userIdentity, the transcript option after the other recording
    // options, telemetryTrackingId, which the sample signs whatever its type, where its claim is).
    const std::optional<ValidationError> checks[] = {
        required("role", body, [&] { return check_zero_or_one("role", body, role); }),
        required("sessionName", body,
                 [&] { return check_string("sessionName", body, max_session_name_units, session_name); }),
        check_expiration(body, request.expiration_seconds),
        check_string("userIdentity", body, max_user_identity_units, claims.user_identity),
        check_string("userKey", body, max_user_key_units, claims.user_key),
        check_string("sessionKey", body, max_session_key_units, claims.session_key),
        check_geo_regions(body, claims.geo_regions),
        check_zero_or_one("cloudRecordingOption", body, claims.cloud_recording_option),
        check_zero_or_one("cloudRecordingElection", body, claims.cloud_recording_election),
        check_choice("cloudRecordingTranscriptOption", body, {0, 1, 2},
                     claims.cloud_recording_transcript_option),
        check_string("telemetryTrackingId", body, std::string_view::npos, claims.telemetry_tracking_id),
        check_zero_or_one("videoWebRtcMode", body, claims.video_webrtc_mode),
        check_zero_or_one("audioCompatibleMode", body, audio_compatible_mode),
        check_zero_or_one("audioWebRtcMode", body, claims.audio_webrtc_mode),
    };
    if (auto rejection = rejection_of(checks)) {
        return std::move(*rejection);
    }
    claims.role_type = *role;
    claims.topic = std::move(*session_name);
    if (!claims.audio_webrtc_mode) {
        claims.audio_webrtc_mode =
            audio_compatible_mode; // the sample's `audioWebRtcMode ?? audioCompatibleMode`
    }
    return request;
}

} // namespace sdksign::app
