#include "signing/meeting_claims.hpp"

#include "signing/json_text.hpp"

namespace sdksign::signing {

void append_meeting_payload(std::string& out, std::string_view key_json, const MeetingClaims& claims) {
    out += R"({"appKey":)";
    out += key_json;
    out += R"(,"sdkKey":)";
    out += key_json;
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
        append_json_integer(out, *claims.role);
    }
    out += R"(,"iat":)";
    append_json_integer(out, claims.iat);
    out += R"(,"exp":)";
    append_json_integer(out, claims.exp);
    out += R"(,"tokenExp":)";
    append_json_integer(out, claims.exp);
    if (claims.video_webrtc_mode) {
        out += R"(,"video_webrtc_mode":)";
        append_json_integer(out, *claims.video_webrtc_mode);
    }
    out.push_back('}');
}

} // namespace sdksign::signing
