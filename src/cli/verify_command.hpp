#pragma once
// `sdksign verify`: prints what signing::check_token found, as lines or as one JSON object.
#include "signing/token_check.hpp"

#include <cstdint>
#include <ostream>
#include <string_view>

namespace sdksign::cli {

enum class VerifyFormat { text, json };

/// Exit codes of `sdksign verify`: valid now, not valid, not a token at all.
inline constexpr int verify_valid = 0;
inline constexpr int verify_invalid = 1;
inline constexpr int verify_usage_error = 2;

/// Checks `token` at `now` and prints one line (or JSON member) per rule to `out`, a usage error to `err`.
int run_verify(std::string_view token, const signing::CheckCredentials& credentials, std::int64_t now,
               VerifyFormat format, std::ostream& out, std::ostream& err);

} // namespace sdksign::cli
