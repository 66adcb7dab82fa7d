#pragma once
// What the bodies of both signing endpoints (Meeting and Video SDK) share: parsing the JSON text strictly
// (valid UTF-8, no lone surrogate, a top-level object), finding a property as JSON.parse does, and the
// checks and reasons of the samples' validators for the properties they have in common.
#include "app/error_body.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::app {

/// Why a body was refused: the HTTP status (400) and the errors in the sample's order.
struct RequestRejection {
    int status = 400;
    std::vector<ValidationError> errors;
};

/// A valid request: the claims it asks for, which the handler completes with iat and exp from its clock.
template<typename Claims> struct TokenRequest {
    /// Everything the body gave; iat and exp are left at zero.
    Claims claims;
    /// The lifetime the body asked for; absent: the configured default.
    std::optional<std::int64_t> expiration_seconds;
};

/// The errors among `checks` (each property's check, in the sample's order) as a 400; nullopt when none.
std::optional<RequestRejection> rejection_of(std::span<const std::optional<ValidationError>> checks);

inline constexpr std::int64_t min_expiration_seconds = 1800;
inline constexpr std::int64_t max_expiration_seconds = 172800;

/// A request body parsed as a JSON object. Its values live in per-thread buffers: at most one RequestBody
/// may be alive per thread (each request parses one body, then lets it go).
class RequestBody {
public:
    RequestBody();
    RequestBody(const RequestBody&) = delete;
    RequestBody& operator=(const RequestBody&) = delete;
    RequestBody(RequestBody&&) = delete;
    RequestBody& operator=(RequestBody&&) = delete;
    ~RequestBody() = default;

    /// Parses `body`, which must outlive this object. An empty body counts as `{}`, as in the samples.
    /// Parsing is iterative, so nesting depth cannot exhaust the stack. nullopt: the body is an object.
    std::optional<RequestRejection> parse(std::string_view body);

    /// The value of the top-level property `name`, the last one when it is repeated (as JSON.parse keeps
    /// it); null when absent.
    [[nodiscard]] const rapidjson::Value* find(std::string_view name) const;

    /// The text parse() was given; reasons quote numbers from it as the client wrote them.
    [[nodiscard]] std::string_view text() const noexcept { return text_; }

private:
    using PooledDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                                      rapidjson::MemoryPoolAllocator<>>;
    rapidjson::MemoryPoolAllocator<> value_allocator_;
    rapidjson::MemoryPoolAllocator<> stack_allocator_;
    PooledDocument document_;
    std::string_view text_;
};

/// `text` quoted as a reason shows a client's string: at most 40 bytes of it, never half a character.
std::string echo_string(std::string_view text);

/// `text` cut as echo_string cuts it, without the quotes.
std::string clip_for_echo(std::string_view text);

/// A value as a reason quotes it (`null`, `of type object`, a string echoed, a number as written).
std::string describe(const rapidjson::Value& value, const RequestBody& body, std::string_view property);

/// The samples' integer properties: absent passes; a string must be a whole decimal integer (the samples
/// take anything parseInt reads); then the value must be one of `allowed` ("expected 0,1").
std::optional<ValidationError> check_choice(std::string_view property, const RequestBody& body,
                                            std::initializer_list<int> allowed, std::optional<int>& out);

/// check_choice with 0 and 1, the samples' commonest rule.
std::optional<ValidationError> check_zero_or_one(std::string_view property, const RequestBody& body,
                                                 std::optional<int>& out);

/// expirationSeconds: a whole number of seconds from 1800 to 172800; absent passes.
std::optional<ValidationError> check_expiration(const RequestBody& body, std::optional<std::int64_t>& out);

/// The length JavaScript's String.length gives valid UTF-8 `text`: UTF-16 code units, two for a character
/// beyond U+FFFF. The samples limit lengths with it.
std::size_t utf16_length(std::string_view text) noexcept;

} // namespace sdksign::app
