#include "signing/meeting_claims.hpp"

#include "json/json_text.hpp"

#include <array>
#include <charconv>

namespace sdksign::signing {

void append_meeting_payload_prefix(std::string& out, std::string_view key_json) {
    out += R"({"appKey":)";
    out += key_json;
    out += R"(,"sdkKey":)";
    out += key_json;
}

void append_meeting_payload(std::string& out, std::string_view key_json, const MeetingClaims& claims) {
    append_meeting_payload_prefix(out, key_json);
    if (claims.meeting_number) {
        out += R"(,"mn":)";
        // Validation admits digits only, so a string needs quotes but never escapes.
        if (claims.meeting_number->as_string) {
            out.push_back('"');
            out += claims.meeting_number->digits;
            out.push_back('"');
        } else {
            out += claims.meeting_number->digits;
        }
    }
    if (claims.role) {
        out += R"(,"role":)";
        json::append_json_integer(out, *claims.role);
    }
    out += R"(,"iat":)";
    json::append_json_integer(out, claims.iat);
    // tokenExp equals exp: format it once.
    std::array<char, 24> exp_digits{};
    const std::string_view exp(
        exp_digits.data(),
        static_cast<std::size_t>(
            std::to_chars(exp_digits.data(), exp_digits.data() + exp_digits.size(), claims.exp).ptr -
            exp_digits.data()));
    out += R"(,"exp":)";
    out += exp;
    out += R"(,"tokenExp":)";
    out += exp;
    if (claims.video_webrtc_mode) {
        out += R"(,"video_webrtc_mode":)";
        json::append_json_integer(out, *claims.video_webrtc_mode);
    }
    out.push_back('}');
}

} // namespace sdksign::signing
