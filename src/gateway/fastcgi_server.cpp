#include "gateway/fastcgi_server.hpp"

#include "gateway/body_reader.hpp"
#include "gateway/cgi_variables.hpp"
#include "gateway/fastcgi_stdin.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
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

/// Has libfcgi parse the checked head of `head_bytes` bytes on `socket`: the head is read off the socket
/// and given to libfcgi through a pipe holding exactly those bytes, so libfcgi can never read past it (into
/// a body whose records nothing has checked). On success the request writes its answer to `socket`.
bool accept_head(FCGX_Request& request, int socket, std::size_t head_bytes, std::vector<char>& head) {
    constexpr std::size_t default_pipe_bytes = 65536;
    head.resize(head_bytes);
    if (::recv(socket, head.data(), head_bytes, MSG_WAITALL) != static_cast<ssize_t>(head_bytes)) {
        return false;
    }
    std::array<int, 2> ends{};
    if (::pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
        log::warn("fastcgi", std::string("pipe: ") + std::strerror(errno) + "; request dropped");
        return false;
    }
    UniqueFd read_end(ends[0]);
    const UniqueFd write_end(ends[1]);
    if (head_bytes > default_pipe_bytes &&
        ::fcntl(write_end.get(), F_SETPIPE_SZ, static_cast<int>(head_bytes)) < 0) {
        log::warn("fastcgi", std::string("pipe size: ") + std::strerror(errno) + "; request dropped");
        return false;
    }
    if (::write(write_end.get(), head.data(), head_bytes) != static_cast<ssize_t>(head_bytes)) {
        return false;
    }
    // libfcgi owns the read end now: it closes it itself when the head is unreadable. With keepConnection
    // set, it does not close on success either, and detached makes any close immediate.
    request.ipcFd = read_end.release();
    request.keepConnection = 1;
    request.detached = 1;
    if (const int accepted = FCGX_Accept_r(&request); accepted < 0) {
        // Only a head that the check and libfcgi read differently lands here.
        log::warn("fastcgi", "libfcgi refused a checked request head (" + std::to_string(accepted) + ")");
        request.ipcFd = -1;
        return false;
    }
    ::close(request.ipcFd);
    request.ipcFd = socket;
    return true;
}

/// Ends the request in libfcgi (the rest of the answer and END_REQUEST go out) without letting it close the
/// socket, which stays the worker's. True when everything was written.
bool finish_request(FCGX_Request& request) {
    bool written = FCGX_FClose(request.err) == 0;
    written = FCGX_FClose(request.out) == 0 && written;
    request.ipcFd = -1;
    FCGX_Finish_r(&request);
    return written;
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
    std::vector<char> head;
    std::string body;
    std::string output;
    while (auto ready = loop.take()) {
        const int socket = ready->fd.get();
        loop.start_request(index, socket);
        if (!accept_head(request, socket, ready->head_bytes, head)) {
            loop.finish_request(index);
            continue; // the connection closes with `ready`
        }
        fill_request_from_variables(request.envp, http_request);
        FastcgiStdinReader stdin_reader(socket, static_cast<std::uint16_t>(request.requestId));
        read_request_body(stdin_reader, body_limits, body, http_request);
        const http::Response response = handler(http_request);
        output.clear();
        http::append_cgi(output, response);
        // FCGX_PutStr, not FCGX_FPrintF: libfcgi's printf silently truncates at %zu and friends.
        FCGX_PutStr(output.data(), static_cast<int>(output.size()), request.out);
        // The next request on a kept connection starts where this one's input ends: whatever of the body
        // was not read (none at all for a GET, or an over-limit body) is read to its end first.
        bool keep = request.keepConnection != 0 && stdin_reader.skip_rest(settings.max_body_bytes);
        keep = finish_request(request) && keep;
        loop.finish_request(index);
        served.fetch_add(1, std::memory_order_relaxed);
        loop.give_back(std::move(ready->fd), keep);
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
