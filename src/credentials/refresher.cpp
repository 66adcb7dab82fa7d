#include "credentials/refresher.hpp"

#include "log/log.hpp"

#include <pthread.h>

#include <csignal>

namespace sdksign::credentials {

Refresher::Refresher(Store& store, Store::Fetch fetch) : store_(store), fetch_(std::move(fetch)) {
    // A new thread inherits the creator's signal mask: block everything around its creation so that no
    // process-directed signal (SIGTERM from the process manager) is ever delivered to it.
    sigset_t all{};
    sigset_t previous{};
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Refresher::~Refresher() {
    if (thread_.joinable()) {
        // A fetch is bounded by its deadline, so this join is too; the provider must outlive the thread.
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
}

Refresher::Stop Refresher::stop(std::chrono::milliseconds grace) {
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        wake_.notify_all();
        if (!wake_.wait_for(lock, grace, [this] { return finished_; })) {
            return Stop::fetch_running;
        }
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    return Stop::done;
}

void Refresher::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        const auto next = store_.refresh_due(fetch_);
        lock.lock();
        if (next == Store::TimePoint::max()) {
            wake_.wait(lock, [this] { return stopping_; });
        } else {
            wake_.wait_until(lock, next, [this] { return stopping_; });
        }
    }
    finished_ = true;
    wake_.notify_all();
    log::debug("credentials", "refresher stopped");
}

} // namespace sdksign::credentials
