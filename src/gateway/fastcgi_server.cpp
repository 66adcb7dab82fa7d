#include "gateway/fastcgi_server.hpp"

#include "gateway/cgi_variables.hpp"
#include "log/log.hpp"

#include <fcgiapp.h>

#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
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

/// Reads the body into `body`, never more than `limit` bytes; false when the body is larger than that.
bool read_body(FCGX_Stream* in, std::optional<std::size_t> declared, std::size_t limit, std::string& body) {
    body.clear();
    if (declared && *declared > limit) {
        return false;
    }
    // Without a declared length (no server we support does that), read up to one byte past the limit.
    const std::size_t want = declared ? *declared : limit + 1;
    body.resize(want);
    std::size_t got = 0;
    while (got < want) {
        const int n = FCGX_GetStr(body.data() + got, static_cast<int>(want - got), in);
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    body.resize(got);
    return got <= limit;
}

void worker(const FastcgiSettings& settings, const HandlerFactory& make_handler, std::mutex& accept_mutex,
            std::atomic<unsigned long>& served) {
    RequestHandler handler;
    try {
        handler = make_handler();
    } catch (const std::exception& e) {
        log::error("fastcgi", std::string("worker cannot start: ") + e.what());
        return;
    }
    FastcgiRequest holder(settings.listen_fd);
    FCGX_Request& request = holder.get();
    std::string body;
    std::string output;
    for (;;) {
        int accepted = 0;
        {
            // One thread in accept() at a time: the others wait here, where a stop finds them at once.
            const std::lock_guard lock(accept_mutex);
            accepted = FCGX_Accept_r(&request);
        }
        if (accepted < 0) {
            // -22 (EINVAL) is the shutdown() of the listening socket, the normal way out.
            if (accepted != -EINVAL && accepted != -9999) {
                log::warn("fastcgi", "accept failed (" + std::to_string(accepted) + "); worker stops");
            }
            break;
        }
        http::Request http_request = request_from_variables(request.envp);
        http_request.body_too_large =
            !read_body(request.in, http_request.content_length, settings.max_body_bytes, body);
        http_request.body = body;
        if (http_request.content_length && !http_request.body_too_large &&
            body.size() != *http_request.content_length) {
            http_request.body_incomplete = true;
        }
        const http::Response response = handler(http_request);
        output.clear();
        http::append_cgi(output, response);
        // FCGX_PutStr, not FCGX_FPrintF: libfcgi's printf silently truncates at %zu and friends.
        FCGX_PutStr(output.data(), static_cast<int>(output.size()), request.out);
        FCGX_Finish_r(&request);
        served.fetch_add(1, std::memory_order_relaxed);
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

    std::atomic<bool> stopping{false};
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

    std::mutex accept_mutex;
    std::atomic<unsigned long> served{0};
    std::vector<std::thread> workers;
    workers.reserve(settings.threads);
    for (unsigned i = 0; i < settings.threads; ++i) {
        workers.emplace_back(worker, std::cref(settings), std::cref(make_handler), std::ref(accept_mutex),
                             std::ref(served));
    }
    for (auto& thread : workers) {
        thread.join();
    }
    log::info("fastcgi", "stopped after " + std::to_string(served.load()) + " requests");
    return stopping.load() ? 0 : 1;
}

} // namespace sdksign::gateway
