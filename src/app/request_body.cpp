#include "app/request_body.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <variant>

namespace sdksign::app {

namespace {

using rapidjson::Value;

constexpr std::size_t max_echoed_chars = 40;

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
                                                     const RequestBody& body) {
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
std::optional<ValidationError> check_number(std::string_view property, const RequestBody& body,
                                            std::optional<T>& out, Accept accept) {
    const Value* value = body.find(property);
    if (value == nullptr) {
        return std::nullopt;
    }
    const auto coerced = coerce_number(property, *value, body);
    if (const auto* error = std::get_if<ValidationError>(&coerced)) {
        return *error;
    }
    const auto number = std::get<Coerced>(coerced);
    if (auto reason = accept(*value, number)) {
        return ValidationError{std::string(property), std::move(*reason)};
    }
    out = static_cast<T>(number.value);
    return std::nullopt;
}

// A request body is a few dozen bytes: its values and the parser's stack fit in per-thread buffers, so
// parsing allocates nothing (the default allocators take 64 KiB from the heap per document). Larger bodies
// spill over into heap chunks that the allocators free with the RequestBody.
using ValueBuffer = std::array<char, 4096>;
using StackBuffer = std::array<char, 1024>;

ValueBuffer& value_buffer() {
    alignas(std::max_align_t) thread_local ValueBuffer buffer;
    return buffer;
}

StackBuffer& stack_buffer() {
    alignas(std::max_align_t) thread_local StackBuffer buffer;
    return buffer;
}

} // namespace

std::string clip_for_echo(std::string_view text) {
    // Echo enough to recognise the value, never an unbounded amount of the client's input, and never a
    // byte that is not valid UTF-8: the body says charset=utf-8. The parser refuses invalid UTF-8 and lone
    // surrogates, so U+FFFD only stands in if that ever changes.
    constexpr std::string_view replacement = "\xEF\xBF\xBD";
    std::string out;
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
    return out;
}

std::string echo_string(std::string_view text) {
    std::string quoted = "\"";
    quoted += clip_for_echo(text);
    quoted += '"';
    return quoted;
}

std::string describe(const Value& value, const RequestBody& body, std::string_view property) {
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
    return number_as_written(body.text(), property, value);
}

std::optional<ValidationError> check_choice(std::string_view property, const RequestBody& body,
                                            std::initializer_list<int> allowed, std::optional<int>& out) {
    return check_number(
        property, body, out, [&](const Value& value, const Coerced& number) -> std::optional<std::string> {
            if (std::ranges::find(allowed, number.value) != allowed.end()) {
                return std::nullopt;
            }
            // A string was a whole decimal integer (coerce_number), so its value is what it
            // says. The list as JavaScript writes an array: "0,1".
            std::string reason = "Value is not valid. Got " +
                (value.IsNumber() ? describe(value, body, property) : format_number(number.value)) +
                ", expected ";
            for (const int choice : allowed) {
                reason += std::to_string(choice);
                reason.push_back(',');
            }
            reason.pop_back();
            return reason;
        });
}

std::optional<ValidationError> check_zero_or_one(std::string_view property, const RequestBody& body,
                                                 std::optional<int>& out) {
    return check_choice(property, body, {0, 1}, out);
}

std::optional<ValidationError> check_expiration(const RequestBody& body, std::optional<std::int64_t>& out) {
    constexpr std::string_view property = "expirationSeconds";
    return check_number(property, body, out,
                        [&](const Value& value, const Coerced& number) -> std::optional<std::string> {
                            if (!number.is_integer) {
                                return "Value " + describe(value, body, property) +
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

std::optional<RequestRejection> rejection_of(std::span<const std::optional<ValidationError>> checks) {
    std::vector<ValidationError> errors;
    for (const auto& error : checks) {
        if (error) {
            errors.push_back(*error);
        }
    }
    if (errors.empty()) {
        return std::nullopt;
    }
    return RequestRejection{400, std::move(errors)};
}

std::size_t utf16_length(std::string_view text) noexcept {
    // Every character is one unit but those of four UTF-8 bytes, which are a surrogate pair.
    std::size_t units = 0;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte & 0xC0) != 0x80) {
            units += byte >= 0xF0 ? 2 : 1;
        }
    }
    return units;
}

RequestBody::RequestBody()
    : value_allocator_(value_buffer().data(), value_buffer().size()),
      stack_allocator_(stack_buffer().data(), stack_buffer().size()),
      document_(&value_allocator_, stack_buffer().size() / 2, &stack_allocator_) { }

const Value* RequestBody::find(std::string_view name) const {
    // JSON.parse keeps the last of duplicate keys; so must we, or the two would sign different claims.
    const Value* found = nullptr;
    for (auto it = document_.MemberBegin(); it != document_.MemberEnd(); ++it) {
        if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) {
            found = &it->value;
        }
    }
    return found;
}

std::optional<RequestRejection> RequestBody::parse(std::string_view body) {
    text_ = body;
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        document_.SetObject();
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
        document_.Parse<flags>(body.data(), body.size());
        const auto refused = [](rapidjson::ParseErrorCode code, std::size_t offset) {
            return RequestRejection{
                400,
                {{"$body",
                  std::string("Body is not valid JSON: ") + rapidjson::GetParseError_En(code) + " (at byte " +
                      std::to_string(offset) + ")"}}};
        };
        if (document_.HasParseError() && document_.GetErrorOffset() <= lone_surrogate) {
            return refused(document_.GetParseError(), document_.GetErrorOffset());
        }
        if (lone_surrogate != std::string_view::npos) {
            // The reason RapidJSON gives a lone high surrogate.
            return refused(rapidjson::kParseErrorStringUnicodeSurrogateInvalid, lone_surrogate);
        }
        if (!document_.IsObject()) {
            return RequestRejection{400, {{"$body", "Body must be a JSON object"}}};
        }
    }

    return std::nullopt;
}

} // namespace sdksign::app
