#include "app/meeting_request.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
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

/// The length of the valid UTF-8 sequence at the start of `text`, or 0 when it does not start with one
/// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return continuation(1) ? 2 : 0;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        const bool second_ok = text.size() > 1 && (lead != 0xE0 || byte(1) >= 0xA0) && // not overlong
            (lead != 0xED || byte(1) < 0xA0); // not a surrogate
        return second_ok && continuation(1) && continuation(2) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        const bool second_ok = text.size() > 1 && (lead != 0xF0 || byte(1) >= 0x90) && // not overlong
            (lead != 0xF4 || byte(1) < 0x90); // <= U+10FFFF
        return second_ok && continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
    }
    return 0;
}

std::string echo_string(std::string_view text) {
    // Echo enough to recognise the value, never an unbounded amount of the client's input, and never a
    // byte that is not valid UTF-8: the body says charset=utf-8. The parser refuses invalid UTF-8 and lone
    // surrogates, so U+FFFD only stands in if that ever changes.
    constexpr std::string_view replacement = "\xEF\xBF\xBD";
    std::string out = "\"";
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t valid = utf8_sequence_length(text.substr(at));
        const std::size_t length = valid == 0 ? 1 : valid;
        if (text.size() > max_echoed_chars && at + length > max_echoed_chars) {
            out += "..."; // never half a character
            break;
        }
        if (valid == 0) {
            out += replacement;
        } else {
            out.append(text.substr(at, length));
        }
        at += length;
    }
    out += "\"";
    return out;
}

/// Finds the text of the last number given for one top-level property, as the client wrote it.
class NumberTokenFinder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, NumberTokenFinder> {
public:
    explicit NumberTokenFinder(std::string_view property) : property_(property) { }

    bool StartObject() {
        ++depth_;
        return true;
    }
    bool EndObject(rapidjson::SizeType /*members*/) {
        --depth_;
        return true;
    }
    bool StartArray() {
        ++depth_;
        return true;
    }
    bool EndArray(rapidjson::SizeType /*elements*/) {
        --depth_;
        return true;
    }
    bool Key(const char* text, rapidjson::SizeType length, bool /*copy*/) {
        if (depth_ == 1) {
            in_property_ = std::string_view(text, length) == property_;
        }
        return true;
    }
    bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
        if (depth_ == 1 && in_property_) {
            token_.assign(text, length);
        }
        return true;
    }
    [[nodiscard]] const std::string& token() const { return token_; }

private:
    std::string_view property_;
    int depth_ = 0;
    bool in_property_ = false;
    std::string token_;
};

/// A number as the client wrote it, for a reason that quotes it. Numbers are read as JSON.parse reads them
/// (correctly rounded), so 0.99999999999999999999 is 1, as it is to the sample; a number that is refused is
/// quoted as written, never as the double it became. Only on the error path: the body is parsed again.
std::string number_as_written(std::string_view body, std::string_view property, const Value& value) {
    NumberTokenFinder finder(property);
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(body.data(), body.size());
    constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    if (!reader.Parse<flags>(stream, finder) || finder.token().empty()) {
        return format_number(value.GetDouble()); // not reached for a body that parsed before
    }
    const std::string& token = finder.token();
    return token.size() > max_echoed_chars ? token.substr(0, max_echoed_chars) + "..." : token;
}

/// The first escape of U+DC00 to U+DFFF in a string of `body` that does not follow a high surrogate's
/// escape: RapidJSON refuses a lone high surrogate but turns a lone low one into the bytes ED B0 80, which
/// are not UTF-8. Both halves are refused alike. Runs on bytes RapidJSON then parses: where the text is not
/// JSON, RapidJSON's own error comes first (the caller compares offsets). npos when there is none.
std::size_t lone_low_surrogate(std::string_view body) {
    const auto hex4 = [&](std::size_t at) -> std::optional<unsigned> {
        unsigned value = 0;
        if (at + 4 > body.size()) {
            return std::nullopt;
        }
        const auto result = std::from_chars(body.data() + at, body.data() + at + 4, value, 16);
        return result.ec == std::errc() && result.ptr == body.data() + at + 4 ? std::optional(value)
                                                                              : std::nullopt;
    };
    bool in_string = false;
    for (std::size_t at = 0; at < body.size(); ++at) {
        const char c = body[at];
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        if (c == '"') {
            in_string = false;
        } else if (c == '\\' && at + 1 < body.size()) {
            if (body[at + 1] != 'u') {
                ++at; // a one-character escape, \" and \\ included
                continue;
            }
            const auto unit = hex4(at + 2);
            if (!unit) {
                return std::string_view::npos; // RapidJSON refuses this escape itself
            }
            if (*unit >= 0xDC00 && *unit <= 0xDFFF) {
                return at;
            }
            // A high surrogate takes the escape after it along (RapidJSON checks that it is a low one).
            at += (*unit >= 0xD800 && *unit <= 0xDBFF) ? 11 : 5;
        }
    }
    return std::string_view::npos;
}

/// A value as a reason quotes it; `property` and `body` find a number's text as the client wrote it.
std::string describe(const Value& value, std::string_view body, std::string_view property) {
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
    return number_as_written(body, property, value);
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

std::variant<Coerced, ValidationError> coerce_number(std::string_view property, const Value& value,
                                                     std::string_view body) {
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
                               "Value " + describe(value, body, property) +
                                   " not allowed, must be of type number"};
    }
    const double number = value.GetDouble();
    return Coerced{number, std::trunc(number) == number};
}

/// The shared steps of every numeric property: absent is fine, then the sample's coercion and type check,
/// then `accept`'s own rule; a value that passes is stored in `out`.
template<typename T, typename Accept>
std::optional<ValidationError> check_number(std::string_view property, const Value* value,
                                            std::string_view body, std::optional<T>& out, Accept accept) {
    if (value == nullptr) {
        return std::nullopt;
    }
    const auto coerced = coerce_number(property, *value, body);
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
                                                 std::string_view body, std::optional<int>& out) {
    return check_number(property, value, body, out, [&](const Coerced& number) -> std::optional<std::string> {
        if (number.value != 0 && number.value != 1) {
            // A string was a whole decimal integer (coerce_number), so its value is what it says.
            const std::string got =
                value->IsNumber() ? describe(*value, body, property) : format_number(number.value);
            return "Value is not valid. Got " + got + ", expected 0,1";
        }
        return std::nullopt;
    });
}

std::optional<ValidationError> check_expiration(const Value* value, std::string_view body,
                                                std::optional<std::int64_t>& out) {
    return check_number("expirationSeconds", value, body, out,
                        [&](const Coerced& number) -> std::optional<std::string> {
                            if (!number.is_integer) {
                                return "Value " + describe(*value, body, "expirationSeconds") +
                                    " not allowed, must be a whole number of seconds";
                            }
                            if (number.value < static_cast<double>(min_expiration_seconds) ||
                                number.value > static_cast<double>(max_expiration_seconds)) {
                                return "Value must in between 1800 and 172800"; // sic: the sample's wording,
                                                                                // kept for its clients
                            }
                            return std::nullopt;
                        });
}

std::optional<ValidationError> check_meeting_number(const Value* value, std::string_view body,
                                                    std::optional<signing::MeetingNumber>& out) {
    constexpr std::string_view property = "meetingNumber";
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
        // Full precision: numbers are what JSON.parse makes of them (correctly rounded), so that the sample's
        // clients get the same answer (0.99999999999999999999 is 1 to both).
        constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
            rapidjson::kParseFullPrecisionFlag;
        const std::size_t lone_surrogate =
            body.find('\\') == std::string_view::npos ? std::string_view::npos : lone_low_surrogate(body);
        document.Parse<flags>(body.data(), body.size());
        const auto refused = [](rapidjson::ParseErrorCode code, std::size_t offset) {
            return RequestRejection{
                400,
                {{"$body",
                  std::string("Body is not valid JSON: ") + rapidjson::GetParseError_En(code) + " (at byte " +
                      std::to_string(offset) + ")"}}};
        };
        if (document.HasParseError() && document.GetErrorOffset() <= lone_surrogate) {
            return refused(document.GetParseError(), document.GetErrorOffset());
        }
        if (lone_surrogate != std::string_view::npos) {
            // The reason RapidJSON gives a lone high surrogate.
            return refused(rapidjson::kParseErrorStringUnicodeSurrogateInvalid, lone_surrogate);
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
    if (auto error = check_meeting_number(meeting_number, body, request.claims.meeting_number)) {
        errors.push_back(std::move(*error));
    }
    if (auto error = check_zero_or_one("role", role, body, request.claims.role)) {
        errors.push_back(std::move(*error));
    }
    if (auto error = check_expiration(expiration, body, request.expiration_seconds)) {
        errors.push_back(std::move(*error));
    }
    if (auto error =
            check_zero_or_one("videoWebRtcMode", video_webrtc_mode, body, request.claims.video_webrtc_mode)) {
        errors.push_back(std::move(*error));
    }
    if (!errors.empty()) {
        return RequestRejection{400, std::move(errors)};
    }
    return request;
}

} // namespace sdksign::app
