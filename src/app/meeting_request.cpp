#include "app/meeting_request.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>

namespace sdksign::app {

namespace {

using rapidjson::Value;

constexpr std::size_t max_echoed_chars = 40;
constexpr std::size_t max_meeting_number_digits = 20;
// Integers a JavaScript client can send exactly; beyond this a double no longer names one meeting.
constexpr double max_exact_integer = 9007199254740992.0;

const Value* find_last_member(const Value& object, std::string_view name) {
    // JSON.parse keeps the last of duplicate keys; so must we, or the two would sign different claims.
    const Value* found = nullptr;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) {
            found = &it->value;
        }
    }
    return found;
}

std::string format_number(double value) {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return {buffer.data(), result.ptr};
}

std::string echo_string(std::string_view text) {
    // Echo enough to recognise the value, never an unbounded amount of the client's input.
    std::string out = "\"";
    if (text.size() > max_echoed_chars) {
        std::size_t cut = max_echoed_chars;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut; // do not split a UTF-8 sequence
        }
        out.append(text.substr(0, cut));
        out += "...";
    } else {
        out.append(text);
    }
    out += "\"";
    return out;
}

std::string describe(const Value& value) {
    if (value.IsNull()) {
        return "null";
    }
    if (value.IsBool()) {
        return value.GetBool() ? "true" : "false";
    }
    if (value.IsObject()) {
        return "of type object";
    }
    if (value.IsArray()) {
        return "of type array";
    }
    if (value.IsString()) {
        return echo_string({value.GetString(), value.GetStringLength()});
    }
    if (value.IsInt64()) {
        return std::to_string(value.GetInt64());
    }
    if (value.IsUint64()) {
        return std::to_string(value.GetUint64());
    }
    return format_number(value.GetDouble());
}

/// A number after the sample's string coercion: a whole decimal integer in a string becomes its value.
struct Coerced {
    double value = 0;
    bool is_integer = false;
};

bool is_whole_decimal(std::string_view text) {
    if (!text.empty() && text.front() == '-') {
        text.remove_prefix(1);
    }
    if (text.empty() || text.size() > 15) {
        return false; // 15 digits stay exact in a double and cover every range checked here
    }
    return std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

std::variant<Coerced, ValidationError> coerce_number(std::string_view property, const Value& value) {
    if (value.IsString()) {
        const std::string_view text(value.GetString(), value.GetStringLength());
        if (!is_whole_decimal(text)) {
            return ValidationError{std::string(property),
                                   "Value " + echo_string(text) +
                                       " not allowed, must be a whole decimal integer"};
        }
        long long parsed = 0;
        std::from_chars(text.data(), text.data() + text.size(), parsed);
        return Coerced{static_cast<double>(parsed), true};
    }
    if (!value.IsNumber()) {
        return ValidationError{std::string(property),
                               "Value " + describe(value) + " not allowed, must be of type number"};
    }
    const double number = value.GetDouble();
    return Coerced{number, std::trunc(number) == number};
}

/// The shared steps of every numeric property: absent is fine, then the sample's coercion and type check,
/// then `accept`'s own rule; a value that passes is stored in `out`.
template<typename T, typename Accept>
std::optional<ValidationError> check_number(std::string_view property, const Value* value,
                                            std::optional<T>& out, Accept accept) {
    if (value == nullptr) {
        return std::nullopt;
    }
    const auto coerced = coerce_number(property, *value);
    if (const auto* error = std::get_if<ValidationError>(&coerced)) {
        return *error;
    }
    const auto number = std::get<Coerced>(coerced);
    if (auto reason = accept(number)) {
        return ValidationError{std::string(property), std::move(*reason)};
    }
    out = static_cast<T>(number.value);
    return std::nullopt;
}

std::optional<ValidationError> check_zero_or_one(std::string_view property, const Value* value,
                                                 std::optional<int>& out) {
    return check_number(property, value, out, [](const Coerced& number) -> std::optional<std::string> {
        if (number.value != 0 && number.value != 1) {
            return "Value is not valid. Got " + format_number(number.value) + ", expected 0,1";
        }
        return std::nullopt;
    });
}

std::optional<ValidationError> check_expiration(const Value* value, std::optional<std::int64_t>& out) {
    return check_number(
        "expirationSeconds", value, out, [&](const Coerced& number) -> std::optional<std::string> {
            if (!number.is_integer) {
                return "Value " + describe(*value) + " not allowed, must be a whole number of seconds";
            }
            if (number.value < static_cast<double>(min_expiration_seconds) ||
                number.value > static_cast<double>(max_expiration_seconds)) {
                return "Value must in between 1800 and 172800"; // sic: the sample's wording, kept for its
                                                                // clients
            }
            return std::nullopt;
        });
}

std::optional<ValidationError> check_meeting_number(const Value* value,
                                                    std::optional<signing::MeetingNumber>& out) {
    constexpr std::string_view property = "meetingNumber";
    if (value == nullptr) {
        return std::nullopt;
    }
    const auto rejection = [&] {
        return ValidationError{std::string(property),
                               "Value " + describe(*value) +
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

MeetingRequestResult parse_meeting_request(std::string_view body) {
    // A request body is a few dozen bytes: its values and the parser's stack fit in per-thread buffers, so
    // parsing allocates nothing (the default allocators take 64 KiB from the heap per document). Larger
    // bodies spill over into heap chunks that the allocators free on return.
    alignas(std::max_align_t) thread_local std::array<char, 4096> value_buffer;
    alignas(std::max_align_t) thread_local std::array<char, 1024> stack_buffer;
    rapidjson::MemoryPoolAllocator<> value_allocator(value_buffer.data(), value_buffer.size());
    rapidjson::MemoryPoolAllocator<> stack_allocator(stack_buffer.data(), stack_buffer.size());
    using PooledDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                                      rapidjson::MemoryPoolAllocator<>>;
    PooledDocument document(&value_allocator, stack_buffer.size() / 2, &stack_allocator);
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        document.SetObject();
    } else {
        // RapidJSON takes a NUL byte for the end of the text, so `{}` NUL `garbage` would pass; JSON text
        // never holds a raw NUL.
        if (const auto nul = body.find('\0'); nul != std::string_view::npos) {
            return RequestRejection{
                400, {{"$body", "Body is not valid JSON: NUL byte. (at byte " + std::to_string(nul) + ")"}}};
        }
        constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
        document.Parse<flags>(body.data(), body.size());
        if (document.HasParseError()) {
            return RequestRejection{400,
                                    {{"$body",
                                      std::string("Body is not valid JSON: ") +
                                          rapidjson::GetParseError_En(document.GetParseError()) +
                                          " (at byte " + std::to_string(document.GetErrorOffset()) + ")"}}};
        }
        if (!document.IsObject()) {
            return RequestRejection{400, {{"$body", "Body must be a JSON object"}}};
        }
    }

    const Value* meeting_number = find_last_member(document, "meetingNumber");
    const Value* role = find_last_member(document, "role");
    const Value* expiration = find_last_member(document, "expirationSeconds");
    const Value* video_webrtc_mode = find_last_member(document, "videoWebRtcMode");

    MeetingTokenRequest request;
    std::vector<ValidationError> errors;
    // The sample's order: the schema rule, then each property; meetingNumber's own check (which the
    // sample lacks) comes right after the schema rule.
    if ((meeting_number == nullptr) != (role == nullptr)) {
        errors.push_back({"$schema",
                          "If one of the following properties is present, all or none must be present: "
                          "meetingNumber, role"});
    }
    if (auto error = check_meeting_number(meeting_number, request.meeting_number)) {
        errors.push_back(std::move(*error));
    }
    if (auto error = check_zero_or_one("role", role, request.role)) {
        errors.push_back(std::move(*error));
    }
    if (auto error = check_expiration(expiration, request.expiration_seconds)) {
        errors.push_back(std::move(*error));
    }
    if (auto error = check_zero_or_one("videoWebRtcMode", video_webrtc_mode, request.video_webrtc_mode)) {
        errors.push_back(std::move(*error));
    }
    if (!errors.empty()) {
        return RequestRejection{400, std::move(errors)};
    }
    return request;
}

} // namespace sdksign::app
