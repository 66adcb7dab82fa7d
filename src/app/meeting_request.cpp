#include "app/meeting_request.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sdksign::app {

namespace {

using rapidjson::Value;

constexpr std::size_t max_meeting_number_digits = 20;
// Integers a JavaScript client can send exactly; beyond this a double no longer names one meeting.
constexpr double max_exact_integer = 9007199254740992.0;

std::optional<ValidationError> check_meeting_number(const RequestBody& body,
                                                    std::optional<signing::MeetingNumber>& out) {
    constexpr std::string_view property = "meetingNumber";
    const Value* value = body.find(property);
    if (value == nullptr) {
        return std::nullopt;
    }
    const auto rejection = [&] {
        return ValidationError{std::string(property),
                               "Value " + describe(*value, body, property) +
                                   " not allowed, must be a string of digits or a non-negative integer"};
    };
    if (value->IsString()) {
        const std::string_view text(value->GetString(), value->GetStringLength());
        if (text.empty() || text.size() > max_meeting_number_digits) {
            return rejection();
        }
        for (const char c : text) {
            if (c < '0' || c > '9') {
                return rejection();
            }
        }
        out = signing::MeetingNumber{std::string(text), true};
        return std::nullopt;
    }
    if (value->IsUint64()) {
        out = signing::MeetingNumber{std::to_string(value->GetUint64()), false};
        return std::nullopt;
    }
    if (value->IsDouble()) {
        // 123e2 or 1.0: JSON.stringify would write these as plain integers, and so do we.
        const double number = value->GetDouble();
        if (number >= 0 && number < max_exact_integer && std::trunc(number) == number) {
            out = signing::MeetingNumber{std::to_string(static_cast<std::uint64_t>(number)), false};
            return std::nullopt;
        }
    }
    return rejection();
}

} // namespace

MeetingRequestResult parse_meeting_request(std::string_view text) {
    RequestBody body;
    if (auto rejection = body.parse(text)) {
        return std::move(*rejection);
    }

    MeetingTokenRequest request;
    // The sample's order: the schema rule, then each property; meetingNumber's own check (which the
    // sample lacks) comes right after the schema rule.
    const bool all_or_none = (body.find("meetingNumber") == nullptr) == (body.find("role") == nullptr);
    const std::optional<ValidationError> checks[] = {
        all_or_none ? std::nullopt
                    : std::optional(ValidationError{"$schema",
                                                    "If one of the following properties is present, all or "
                                                    "none must be present: meetingNumber, role"}),
        check_meeting_number(body, request.claims.meeting_number),
        check_zero_or_one("role", body, request.claims.role),
        check_expiration(body, request.expiration_seconds),
        check_zero_or_one("videoWebRtcMode", body, request.claims.video_webrtc_mode),
    };
    if (auto rejection = rejection_of(checks)) {
        return std::move(*rejection);
    }
    return request;
}

} // namespace sdksign::app
