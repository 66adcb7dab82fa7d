#include "log/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>

namespace sdksign::log {

namespace {

std::atomic<int> minimum_level{static_cast<int>(Level::info)};

std::string_view level_name(Level level) {
    switch (level) {
    case Level::debug:
        return "debug";
    case Level::info:
        return "info";
    case Level::warn:
        return "warn";
    case Level::error:
        return "error";
    }
    return "?";
}

} // namespace

void set_level(Level level) noexcept {
    minimum_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level level() noexcept {
    return static_cast<Level>(minimum_level.load(std::memory_order_relaxed));
}

std::optional<Level> parse_level(std::string_view text) noexcept {
    for (const Level level : {Level::debug, Level::info, Level::warn, Level::error}) {
        if (text == level_name(level)) {
            return level;
        }
    }
    return std::nullopt;
}

void write(Level level, std::string_view component, std::string_view message) noexcept {
    if (static_cast<int>(level) < minimum_level.load(std::memory_order_relaxed)) {
        return;
    }
    // Built on the stack and written with one write(2), so lines from several threads never interleave
    // and logging cannot throw.
    std::array<char, 1024> line{};
    std::size_t used = 0;
    const auto append = [&](std::string_view text) {
        for (const char c : text) {
            if (used + 2 >= line.size()) {
                return;
            }
            // One record, one line: a newline inside a message would forge a second record.
            line[used++] = (c == '\n' || c == '\r') ? ' ' : c;
        }
    };
    append("sdksign[");
    std::array<char, 16> pid{};
    const char* const end =
        std::to_chars(pid.data(), pid.data() + pid.size(), static_cast<long>(::getpid())).ptr;
    append({pid.data(), static_cast<std::size_t>(end - pid.data())});
    append("] ");
    append(level_name(level));
    append(" ");
    append(component);
    append(": ");
    append(message);
    line[used++] = '\n';
    // Nothing sensible can be done when stderr itself fails.
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), used);
}

} // namespace sdksign::log
