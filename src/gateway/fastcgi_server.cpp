#include "gateway/fastcgi_server.hpp"

#include "errors.hpp"
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
#include <optional>
#include <span>
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

/// A worker's pipe, through which libfcgi reads a checked head and nothing else: it holds exactly the bytes
/// written into it, so libfcgi cannot read past the head (into a body whose records it would trust).
class HeadPipe {
public:
    /// Made at once, so that a worker's descriptors are all open before its first request.
    HeadPipe() { open(); }
    /// The read end for libfcgi once `head` is in the pipe; -1 when the pipe cannot be made or filled.
    int fill(std::span<const char> head) {
        if (!read_end_ && !open()) {
            return -1;
        }
        if (head.size() > capacity_) {
            const int grown = ::fcntl(write_end_.get(), F_SETPIPE_SZ, static_cast<int>(head.size()));
            if (grown < 0) {
                log::warn("fastcgi", std::string("pipe size: ") + std::strerror(errno) + "; request dropped");
                return -1;
            }
            capacity_ = static_cast<std::size_t>(grown);
        }
        if (::write(write_end_.get(), head.data(), head.size()) != static_cast<ssize_t>(head.size())) {
            discard();
            return -1;
        }
        return read_end_.get();
    }
    /// libfcgi closed the read end (it does on a head it cannot read): forget it, and start afresh next time.
    void lost_read_end() noexcept {
        [[maybe_unused]] const int closed_by_libfcgi = read_end_.release();
        write_end_.reset();
    }

private:
    bool open() {
        std::array<int, 2> ends{};
        // Non-blocking: should libfcgi ever want more than the head, it gets an error, not a hang.
        if (::pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
            log::warn("fastcgi", std::string("pipe: ") + std::strerror(errno) + "; request dropped");
            return false;
        }
        read_end_.reset(ends[0]);
        write_end_.reset(ends[1]);
        const int size = ::fcntl(write_end_.get(), F_GETPIPE_SZ);
        capacity_ = size > 0 ? static_cast<std::size_t>(size) : 0;
        return true;
    }
    void discard() noexcept {
        read_end_.reset();
        write_end_.reset();
    }

    UniqueFd read_end_;
    UniqueFd write_end_;
    std::size_t capacity_ = 0;
};

/// A request's FCGI_STDIN stream as libfcgi reads it: only for a stream that was checked whole.
class LibraryStdin final : public ByteSource {
public:
    explicit LibraryStdin(FCGX_Stream* in) : in_(in) { }
    std::size_t read_some(char* into, std::size_t size) override {
        const int n = FCGX_GetStr(into, static_cast<int>(std::min<std::size_t>(size, 1U << 30U)), in_);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    /// Reads the rest of the checked stream; true once it ended without an error.
    bool skip_rest(std::string& scratch) {
        scratch.resize(8192);
        while (read_some(scratch.data(), scratch.size()) > 0) { }
        return FCGX_HasSeenEOF(in_) != 0 && FCGX_GetError(in_) == 0;
    }

private:
    FCGX_Stream* in_;
};

/// Has libfcgi parse `ready`'s checked head. When the whole request was there and checked (the head, then
/// only STDIN records of this request up to the empty one), libfcgi reads it from the socket itself, as it
/// would without sdksign: it parses no record past the end of that stream. Otherwise the head is read off
/// the socket and given to libfcgi through `pipe`, and sdksign reads the body's records itself. On success
/// the request writes its answer to the socket.
bool accept_head(FCGX_Request& request, ReadyConnection& ready, HeadPipe& pipe, std::vector<char>& head) {
    int library_fd = ready.fd.get();
    if (ready.request_bytes == 0) {
        head.resize(ready.head_bytes);
        if (!receive_exactly(ready.fd.get(), head.data(), head.size())) {
            return false;
        }
        // Up to the empty PARAMS record's header: exactly what libfcgi reads of a head, so nothing is left
        // over in the pipe for the next request.
        library_fd = pipe.fill(std::span<const char>(head.data(), ready.params_end));
        if (library_fd < 0) {
            return false;
        }
    }
    // With keepConnection set, libfcgi does not close the descriptor on success; detached makes a close on
    // failure immediate.
    request.ipcFd = library_fd;
    request.keepConnection = 1;
    request.detached = 1;
    if (const int accepted = FCGX_Accept_r(&request); accepted < 0) {
        // Only a head that the check and libfcgi read differently lands here.
        log::warn("fastcgi", "libfcgi refused a checked request head (" + std::to_string(accepted) + ")");
        request.ipcFd = -1;
        if (library_fd != ready.fd.get()) {
            pipe.lost_read_end();
        } else {
            // libfcgi closed the socket itself. Its number stays claimed in the loop's table, so that nothing
            // else acts on it, until a new connection gets the number.
            [[maybe_unused]] const int closed_by_libfcgi = ready.fd.release();
        }
        return false;
    }
    request.ipcFd = ready.fd.get();
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

/// Waits in the loop for a connection with a checked head and serves it, one request at a time, until the
/// loop stops.
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
    HeadPipe pipe;
    // A body without a declared length (no server we support sends one) is read to its end, which FastCGI
    // marks; an over-limit body is not read at all.
    BodyLimits body_limits;
    body_limits.max_body_bytes = settings.max_body_bytes;
    // Reused for every request of this thread, so that their storage is allocated once.
    http::Request http_request;
    std::vector<char> head;
    std::string body;
    std::string output;
    std::optional<ReadyConnection> ready = loop.next();
    while (ready) {
        const int socket = ready->fd.get();
        loop.start_request(index, socket);
        if (!accept_head(request, *ready, pipe, head)) {
            loop.finish_request(index);
            ready = loop.give_back(std::move(ready->fd), false, false);
            if (!ready) {
                ready = loop.next();
            }
            continue;
        }
        fill_request_from_variables(request.envp, http_request);
        // The next request on a kept connection starts where this one's input ends: whatever of the body was
        // not read (an over-limit body) is read to its end first, within a bound.
        bool input_ended = false;
        if (ready->request_bytes > 0) {
            LibraryStdin stdin_stream(request.in);
            read_request_body(stdin_stream, body_limits, body, http_request);
            input_ended = stdin_stream.skip_rest(output);
        } else {
            FastcgiStdinReader stdin_reader(socket, static_cast<std::uint16_t>(request.requestId));
            read_request_body(stdin_reader, body_limits, body, http_request);
            input_ended = stdin_reader.skip_rest(settings.max_body_bytes);
        }
        bool keep = request.keepConnection != 0 && input_ended;
        const http::Response response = handler(http_request);
        output.clear();
        http::append_cgi(output, response);
        // FCGX_PutStr, not FCGX_FPrintF: libfcgi's printf silently truncates at %zu and friends.
        FCGX_PutStr(output.data(), static_cast<int>(output.size()), request.out);
        keep = finish_request(request) && keep;
        loop.finish_request(index);
        served.fetch_add(1, std::memory_order_relaxed);
        ready = loop.give_back(std::move(ready->fd), keep, input_ended);
        if (!ready) {
            ready = loop.next();
        }
    }
}

} // namespace

void block_stop_signals() noexcept {
    const sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int serve_fastcgi(const FastcgiSettings& settings, const HandlerFactory& make_handler) {
    block_stop_signals();
    if (FCGX_Init() != 0) {
        throw SystemError("cannot initialise libfcgi");
    }
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
        // The workers are the loop: this thread only waits for them, until a stop signal ends the loop.
        for (auto& thread : workers) {
            thread.join();
        }
        signalled = signals.stopped_by_signal();
    }
    log::info("fastcgi", "stopped after " + std::to_string(served.load()) + " requests");
    return signalled ? 0 : 1;
}

} // namespace sdksign::gateway
