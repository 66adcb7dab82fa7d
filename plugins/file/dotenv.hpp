#pragma once
// The dotenv format of Zoom's Node sample (the npm `dotenv` package): NAME=value lines, an optional
// `export ` prefix, `#` comments, blank lines, LF or CRLF line ends, values in single, double or back quotes
// (a quoted value may span lines; in double quotes \n and \r are a newline and a carriage return), an
// unquoted value ending at `#` with blanks trimmed. A later NAME overrides an earlier one.
// Stricter than dotenv where it matters for a secret: a line that is not NAME=value, an unterminated quote
// or text after a closing quote is an error naming the line, so a half-written file is never taken as good.
#include "parse_error.hpp"
#include "wiped_buffer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sdksign::file_provider {

using plugin::WipedBuffer;

struct Entry {
    std::string name;
    WipedBuffer value;
    std::size_t line = 0;
    /// False for a JSON member that is not a string (its value is then empty).
    bool is_text = true;
};

/// Parses `text`; throws ParseError naming the first bad line.
std::vector<Entry> parse_dotenv(std::string_view text);

} // namespace sdksign::file_provider
