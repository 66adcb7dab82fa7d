#pragma once
// The background thread that keeps a Store fresh in FastCGI mode: it calls Store::refresh_due whenever the
// store asks to be called again, and stops promptly (a condition variable, never a sleep) when told to.
// Requests never fetch: only this thread talks to the provider once serving has begun.
#include "credentials/store.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sdksign::credentials {

class Refresher {
public:
    /// Starts the thread with every signal blocked, so that a stop signal still reaches the thread that
    /// waits for it. `fetch` (and the provider behind it) must outlive the Refresher; only its thread calls
    /// it.
    Refresher(Store& store, Store::Fetch fetch);
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;
    Refresher(Refresher&&) = delete;
    Refresher& operator=(Refresher&&) = delete;
    /// Stops the thread, waiting for a fetch in progress (bounded by its deadline): the provider behind
    /// `fetch` is never destroyed under a running fetch, whatever stop() said.
    ~Refresher();

    enum class Stop {
        /// The thread has ended.
        done,
        /// The thread is still inside a fetch: destroying the Refresher waits for it (up to the fetch's
        /// deadline); a caller that cannot wait leaves with std::_Exit, which destroys nothing.
        fetch_running,
    };
    /// Asks the thread to stop and waits up to `grace` for it.
    [[nodiscard]] Stop stop(std::chrono::milliseconds grace);

private:
    void run();

    Store& store_;
    Store::Fetch fetch_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool finished_ = false;
    std::thread thread_;
};

} // namespace sdksign::credentials
