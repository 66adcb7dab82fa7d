#pragma once
// The JSON form of a credentials file: one object whose members are the same names as in the dotenv form,
// e.g. {"ZOOM_MEETING_SDK_KEY": "...", "ZOOM_MEETING_SDK_SECRET": "..."}. Only string members are taken.
#include "dotenv.hpp"

#include <vector>

namespace sdksign::file_provider {

/// Parses the file's bytes in place (so decoded strings stay in wiped memory). Throws ParseError naming the
/// line of the first error.
std::vector<Entry> parse_json_credentials(WipedBuffer& text);

} // namespace sdksign::file_provider
