#pragma once
// The time source, injected so that handlers stay pure functions in tests.
#include <cstdint>

namespace sdksign::app {

class Clock {
public:
    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    Clock(Clock&&) = delete;
    Clock& operator=(Clock&&) = delete;
    virtual ~Clock() = default;
    /// Seconds since the Unix epoch.
    [[nodiscard]] virtual std::int64_t now_seconds() const = 0;
};

/// The real wall clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] std::int64_t now_seconds() const override;
};

} // namespace sdksign::app
