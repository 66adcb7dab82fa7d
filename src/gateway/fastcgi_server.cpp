#include "gateway/fastcgi_server.hpp"

#include "gateway/body_reader.hpp"
#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sdksign::gateway {

namespace {

sigset_t stop_signals() noexcept {
    sigset_t set;
    sigemptyset(&set);
    for (const int signal : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) {
        sigaddset(&set, signal);
    }
    return set;
}

/// One FCGX_Request, freed however the worker leaves. It never accepts (no listening socket): the loop
/// hands it connections whose head is checked.
class FastcgiRequest {
public:
    FastcgiRequest() { FCGX_InitRequest(&request_, -1, 0); }
    FastcgiRequest(const FastcgiRequest&) = delete;
    FastcgiRequest& operator=(const FastcgiRequest&) = delete;
    FastcgiRequest(FastcgiRequest&&) = delete;
    FastcgiRequest& operator=(FastcgiRequest&&) = delete;
    ~FastcgiRequest() { FCGX_Free(&request_, 1); }
    FCGX_Request& get() noexcept { return request_; }

private:
    FCGX_Request request_{};
};

/// A request's FCGI_STDIN stream.
class FastcgiStdin final : public ByteSource {
public:
    explicit FastcgiStdin(FCGX_Stream* in) : in_(in) { }
    std::size_t read_some(char* into, std::size_t size) override {
        const int n = FCGX_GetStr(into, static_cast<int>(std::min<std::size_t>(size, INT_MAX)), in_);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }

private:
    FCGX_Stream* in_;
};

/// Reads `in` to the end of its stream, dropping the bytes; false when more than `limit` bytes remain or the
/// stream fails (the connection is then not worth keeping).
bool skip_rest_of_input(FCGX_Stream* in, std::size_t limit, std::string& scratch) {
    constexpr std::size_t step = 8192;
    scratch.resize(step);
    std::size_t skipped = 0;
    while (skipped <= limit) {
        const int n = FCGX_GetStr(scratch.data(), static_cast<int>(step), in);
        if (n <= 0) {
            return FCGX_HasSeenEOF(in) != 0 && FCGX_GetError(in) == 0;
        }
        skipped += static_cast<std::size_t>(n);
    }
    return false;
}

/// Turns the first stop signal into a stop of the loop, and exits the process if the requests in flight are
/// not done within the shutdown timeout. Joined, never detached: it lives exactly as long as the server.
class SignalWatcher {
public:
    SignalWatcher(ConnectionLoop& loop, std::chrono::seconds shutdown_timeout)
        : thread_([this, &loop, shutdown_timeout] { watch(loop, shutdown_timeout); }) { }
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;
    SignalWatcher(SignalWatcher&&) = delete;
    SignalWatcher& operator=(SignalWatcher&&) = delete;
    ~SignalWatcher() {
        {
            const std::lock_guard lock(mutex_);
            served_ = true;
        }
        done_.notify_all();
        thread_.join();
    }
    [[nodiscard]] bool stopped_by_signal() const noexcept { return signalled_.load(); }

private:
    void watch(ConnectionLoop& loop, std::chrono::seconds shutdown_timeout) {
        const sigset_t signals = stop_signals();
        // sigtimedwait in short steps, so that the watcher also ends when the server ends without a signal.
        const timespec step{0, 200'000'000};
        int signal = -1;
        for (;;) {
            {
                const std::lock_guard lock(mutex_);
                if (served_) {
                    return;
                }
            }
            signal = ::sigtimedwait(&signals, nullptr, &step);
            if (signal == SIGHUP) {
                log::info("fastcgi", "SIGHUP ignored: restart sdksign to reload its configuration");
            } else if (signal > 0) {
                break;
            }
        }
        log::info("fastcgi",
                  std::string("stopping on ") + ::strsignal(signal) + "; finishing requests in flight");
        signalled_.store(true);
        FCGX_ShutdownPending();
        loop.stop();
        std::unique_lock lock(mutex_);
        if (!done_.wait_for(lock, shutdown_timeout, [this] { return served_; })) {
            log::warn("fastcgi", "requests still running after the shutdown timeout; exiting anyway");
            std::_Exit(0);
        }
    }

    std::mutex mutex_;
    std::condition_variable done_;
    bool served_ = false;
    std::atomic<bool> signalled_{false};
    std::thread thread_;
};

/// Serves the connections the loop hands over, one request at a time, until the loop stops.
void worker(ConnectionLoop& loop, unsigned index, const FastcgiSettings& settings,
            const HandlerFactory& make_handler, std::atomic<unsigned long>& served) {
    RequestHandler handler;
    try {
        handler = make_handler();
    } catch (const std::exception& e) {
        log::error("fastcgi", std::string("worker cannot start: ") + e.what());
        return;
    }
    FastcgiRequest holder;
    FCGX_Request& request = holder.get();
    // A body without a declared length (no server we support sends one) is read to its end, which FastCGI
    // marks; an over-limit body is not read at all.
    BodyLimits body_limits;
    body_limits.max_body_bytes = settings.max_body_bytes;
    // Reused for every request of this thread, so that their storage is allocated once.
    http::Request http_request;
    std::string body;
    std::string output;
    while (auto ready = loop.take()) {
        // libfcgi gets a duplicate to read, write and close as it sees fit; the original stays ours (and
        // open) until the loop no longer watches this request, then goes back to the loop or is closed.
        const int library_fd = ::fcntl(ready->fd.get(), F_DUPFD_CLOEXEC, 0);
        if (library_fd < 0) {
            log::warn("fastcgi", std::string("dup: ") + std::strerror(errno) + "; connection closed");
            continue;
        }
        request.ipcFd = library_fd;
        // So that libfcgi never closes it by itself on success (it would wait up to 2 s for the peer to
        // close, holding this thread), and closes it without waiting on a failure.
        request.keepConnection = 1;
        request.detached = 1;
        loop.start_request(index, ready->fd.get());
        if (const int accepted = FCGX_Accept_r(&request); accepted < 0) {
            // The head was checked, so only a connection gone meanwhile lands here; libfcgi closed its copy.
            log::debug("fastcgi", "request head unreadable (" + std::to_string(accepted) + ")");
            loop.finish_request(index);
            request.ipcFd = -1;
            continue;
        }
        fill_request_from_variables(request.envp, http_request);
        FastcgiStdin stdin_stream(request.in);
        read_request_body(stdin_stream, body_limits, body, http_request);
        const http::Response response = handler(http_request);
        output.clear();
        http::append_cgi(output, response);
        // FCGX_PutStr, not FCGX_FPrintF: libfcgi's printf silently truncates at %zu and friends.
        FCGX_PutStr(output.data(), static_cast<int>(output.size()), request.out);
        // The next request on a kept connection starts where this one's input ends: whatever of the body
        // was not read (none at all for a GET, or an over-limit body) is read to its end here.
        const bool peer_keeps =
            request.keepConnection != 0 && skip_rest_of_input(request.in, settings.max_body_bytes, output);
        request.keepConnection = 1;
        request.detached = 1;
        FCGX_Finish_r(&request);
        loop.finish_request(index);
        served.fetch_add(1, std::memory_order_relaxed);
        if (request.ipcFd < 0) {
            continue; // a stream error: libfcgi closed its copy, and ours closes with `ready`
        }
        ::close(request.ipcFd);
        request.ipcFd = -1;
        loop.give_back(std::move(ready->fd), peer_keeps);
    }
}

} // namespace

void block_stop_signals() noexcept {
    const sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int serve_fastcgi(const FastcgiSettings& settings, const HandlerFactory& make_handler) {
    block_stop_signals();
    // A client gone mid-response must cost an EPIPE, not the process.
    if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log::warn("fastcgi", "cannot ignore SIGPIPE");
    }

    ConnectionLoop loop(settings.listen_fd, settings.connections, settings.threads, settings.allowed_peers);
    std::atomic<unsigned long> served{0};
    bool signalled = false;
    {
        SignalWatcher signals(loop, settings.shutdown_timeout);
        std::vector<std::jthread> workers;
        workers.reserve(settings.threads);
        for (unsigned i = 0; i < settings.threads; ++i) {
            workers.emplace_back(worker, std::ref(loop), i, std::cref(settings), std::cref(make_handler),
                                 std::ref(served));
        }
        loop.run();
        // Wakes workers still waiting for a connection; each finishes its request in flight first.
        loop.stop();
        workers.clear();
        signalled = signals.stopped_by_signal();
    }
    log::info("fastcgi", "stopped after " + std::to_string(served.load()) + " requests");
    return signalled ? 0 : 1;
}

} // namespace sdksign::gateway
