#include "host_log.hpp"

#include <atomic>
#include <string>

namespace sdksign::plugin {

namespace {

// Set once before any create, read from the fetching threads.
std::atomic<const sdksign_host*> current_host{nullptr};

} // namespace

void set_host(const sdksign_host* host) noexcept {
    current_host.store(host, std::memory_order_release);
}

void log(int level, std::string_view message) noexcept {
    const sdksign_host* host = current_host.load(std::memory_order_acquire);
    if (host == nullptr || host->log == nullptr) {
        return;
    }
    try {
        const std::string line(message); // the host takes a terminated string
        host->log(host, level, line.c_str());
    } catch (...) { // NOLINT(bugprone-empty-catch): a line that cannot be built is dropped
    }
}

} // namespace sdksign::plugin
