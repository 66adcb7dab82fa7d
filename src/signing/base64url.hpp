#pragma once
// base64url without padding (RFC 4648 §5), the encoding of every JWT segment.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sdksign::signing {

/// Number of characters `encode_base64url` produces for `size` input bytes.
constexpr std::size_t base64url_length(std::size_t size) noexcept {
    return (size * 4 + 2) / 3;
}

/// Appends the encoding of `bytes` to `out`; no padding.
void append_base64url(std::string& out, std::span<const std::uint8_t> bytes);

/// Convenience for tests and tools.
std::string encode_base64url(std::string_view text);

/// Decodes unpadded base64url; nullopt on a character outside the alphabet or an impossible length.
std::optional<std::string> decode_base64url(std::string_view text);

} // namespace sdksign::signing
