#pragma once
// Writing JSON text by hand, escaped exactly as JavaScript's JSON.stringify does, so that claims built here
// are byte-identical to the reference sample's for the same input.
#include <cstdint>
#include <string>
#include <string_view>

namespace sdksign::signing {

/// Appends `text` (valid UTF-8) as a quoted JSON string literal.
void append_json_string(std::string& out, std::string_view text);

/// Returns `text` as a quoted JSON string literal.
std::string json_string(std::string_view text);

/// Appends a decimal integer.
void append_json_integer(std::string& out, std::int64_t value);

} // namespace sdksign::signing
