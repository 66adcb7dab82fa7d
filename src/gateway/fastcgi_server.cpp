#include "gateway/fastcgi_server.hpp"

#include "gateway/body_reader.hpp"
#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace sdksign::gateway {

namespace {

/// One FCGX_Request, freed however the worker leaves.
class FastcgiRequest {
public:
    explicit FastcgiRequest(int listen_fd) { FCGX_InitRequest(&request_, listen_fd, 0); }
    FastcgiRequest(const FastcgiRequest&) = delete;
    FastcgiRequest& operator=(const FastcgiRequest&) = delete;
    FastcgiRequest(FastcgiRequest&&) = delete;
    FastcgiRequest& operator=(FastcgiRequest&&) = delete;
    ~FastcgiRequest() { FCGX_Free(&request_, 1); }
    FCGX_Request& get() noexcept { return request_; }

private:
    FCGX_Request request_{};
};

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (const int signal : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) {
        sigaddset(&set, signal);
    }
    return set;
}

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

/// What the workers share.
struct Pool {
    Pool(const FastcgiSettings& pool_settings, const HandlerFactory& handler_factory)
        : settings(pool_settings), make_handler(handler_factory) { }

    const FastcgiSettings& settings;
    const HandlerFactory& make_handler;
    std::atomic<unsigned long> served{0};
    std::atomic<bool> stopping{false};
};

/// Waits until a kept connection has something to read (the next request, or the web server closing it:
/// FCGX_Accept_r then closes it and accepts a new one), true; false when the server stops meanwhile. Polls
/// in short steps so that a stop is noticed while the connection is idle.
bool kept_connection_ready(int fd, const std::atomic<bool>& stopping) {
    constexpr int poll_step_ms = 200;
    pollfd watched{fd, POLLIN, 0};
    while (!stopping.load(std::memory_order_relaxed)) {
        const int ready = ::poll(&watched, 1, poll_step_ms);
        if (ready > 0 || (ready < 0 && errno != EINTR)) {
            return true; // on an error, FCGX_Accept_r meets it too and drops the connection
        }
    }
    return false;
}

void worker(Pool& pool) {
    RequestHandler handler;
    try {
        handler = pool.make_handler();
    } catch (const std::exception& e) {
        log::error("fastcgi", std::string("worker cannot start: ") + e.what());
        return;
    }
    const FastcgiSettings& settings = pool.settings;
    FastcgiRequest holder(settings.listen_fd);
    FCGX_Request& request = holder.get();
    // A body without a declared length (no server we support sends one) is read to its end, which FastCGI
    // marks; an over-limit body is not read at all.
    BodyLimits body_limits;
    body_limits.max_body_bytes = settings.max_body_bytes;
    // Reused for every request of this thread, so that their storage is allocated once.
    http::Request http_request;
    std::string body;
    std::string output;
    for (;;) {
        // libfcgi serves a connection the web server keeps open (nginx fastcgi_keep_conn) with the thread
        // that accepted it: this thread waits for that connection's next request.
        const bool keeping = request.ipcFd >= 0 && request.keepConnection != 0;
        if (keeping && !kept_connection_ready(request.ipcFd, pool.stopping)) {
            FCGX_Free(&request, 1); // we are stopping: close it, take nothing more
        }
        // No lock around it: FCGX_Accept_r does not return at accept() but only once it has read the
        // request's BEGIN_REQUEST and PARAMS, so under a lock one peer that connects and then sends nothing
        // (or half a request head) would keep every other thread from accepting, and the whole pool would
        // hang on it. Linux hands each connection to one of the threads in accept() on the shared socket,
        // libfcgi keeps no shared state there, and a stop's shutdown() wakes them all. A stalled peer holds
        // only the thread that accepted it.
        const int accepted = FCGX_Accept_r(&request);
        if (accepted < 0) {
            // -22 (EINVAL) is the shutdown() of the listening socket, the normal way out.
            if (accepted == -EINVAL || accepted == -9999 || pool.stopping.load()) {
                break;
            }
            if (accepted == -EPIPE || accepted == -ECONNRESET || accepted == -ECONNABORTED ||
                accepted == -EINTR) {
                // One connection failed (a web server closing a kept connection mid-read, say): drop it and
                // go on, or every such reset would cost the pool a thread for good.
                log::debug("fastcgi", "connection dropped (" + std::to_string(accepted) + ")");
                FCGX_Free(&request, 1);
                continue;
            }
            log::warn("fastcgi", "accept failed (" + std::to_string(accepted) + "); worker stops");
            break;
        }
        fill_request_from_variables(request.envp, http_request);
        FastcgiStdin stdin_stream(request.in);
        read_request_body(stdin_stream, body_limits, body, http_request);
        const http::Response response = handler(http_request);
        output.clear();
        http::append_cgi(output, response);
        // FCGX_PutStr, not FCGX_FPrintF: libfcgi's printf silently truncates at %zu and friends.
        FCGX_PutStr(output.data(), static_cast<int>(output.size()), request.out);
        if (pool.stopping.load(std::memory_order_relaxed)) {
            request.keepConnection = 0; // finish this one, take no more on this connection
        }
        FCGX_Finish_r(&request);
        pool.served.fetch_add(1, std::memory_order_relaxed);
    }
}

} // namespace

int serve_fastcgi(const FastcgiSettings& settings, const HandlerFactory& make_handler) {
    // Blocked here, before any thread exists, so every thread inherits the mask and only sigwait sees them.
    // libfcgi's own SIGTERM/SIGUSR1 handler cannot wake a worker blocked in accept(): shutdown() can.
    static const sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client gone mid-response must cost an EPIPE, not the process.
    if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log::warn("fastcgi", "cannot ignore SIGPIPE");
    }

    Pool pool(settings, make_handler);
    std::atomic<bool>& stopping = pool.stopping;
    const int listen_fd = settings.listen_fd;
    const auto timeout = settings.shutdown_timeout;
    std::thread([listen_fd, timeout, &stopping] {
        int signal = 0;
        for (;;) {
            if (sigwait(&signals, &signal) != 0) {
                continue;
            }
            if (signal == SIGHUP) {
                log::info("fastcgi", "SIGHUP ignored: restart sdksign to reload its configuration");
                continue;
            }
            break;
        }
        log::info("fastcgi",
                  std::string("stopping on ") + ::strsignal(signal) + "; finishing requests in flight");
        stopping.store(true);
        FCGX_ShutdownPending();
        ::shutdown(listen_fd, SHUT_RDWR); // wakes every accept() with EINVAL
        std::this_thread::sleep_for(timeout);
        log::warn("fastcgi", "requests still running after the shutdown timeout; exiting anyway");
        std::_Exit(0);
    }).detach();

    std::vector<std::thread> workers;
    workers.reserve(settings.threads);
    for (unsigned i = 0; i < settings.threads; ++i) {
        workers.emplace_back(worker, std::ref(pool));
    }
    for (auto& thread : workers) {
        thread.join();
    }
    log::info("fastcgi", "stopped after " + std::to_string(pool.served.load()) + " requests");
    return stopping.load() ? 0 : 1;
}

} // namespace sdksign::gateway
