#pragma once
// A credentials file that cannot be read as a whole: where (the line) and what, never the text itself.
#include <cstddef>
#include <stdexcept>
#include <string>

namespace sdksign::file_provider {

class ParseError : public std::runtime_error {
public:
    ParseError(std::size_t line, const std::string& what) : std::runtime_error(what), line_(line) { }
    [[nodiscard]] std::size_t line() const noexcept { return line_; }

private:
    std::size_t line_;
};

} // namespace sdksign::file_provider
