#pragma once
// Single-line log records on stderr, which every web server routes to its error log. Never pass a secret,
// a token or a request body to these functions.
#include <optional>
#include <string_view>

namespace sdksign::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

/// Records below this level are dropped. Default: info.
void set_level(Level level) noexcept;
/// The level set last.
[[nodiscard]] Level level() noexcept;

/// Parses "debug", "info", "warn" or "error".
std::optional<Level> parse_level(std::string_view text) noexcept;

void write(Level level, std::string_view component, std::string_view message) noexcept;

inline void debug(std::string_view component, std::string_view message) noexcept {
    write(Level::debug, component, message);
}
inline void info(std::string_view component, std::string_view message) noexcept {
    write(Level::info, component, message);
}
inline void warn(std::string_view component, std::string_view message) noexcept {
    write(Level::warn, component, message);
}
inline void error(std::string_view component, std::string_view message) noexcept {
    write(Level::error, component, message);
}

} // namespace sdksign::log
