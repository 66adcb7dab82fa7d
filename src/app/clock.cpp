#include "app/clock.hpp"

#include <ctime>

namespace sdksign::app {

std::int64_t SystemClock::now_seconds() const {
    return static_cast<std::int64_t>(std::time(nullptr));
}

} // namespace sdksign::app
