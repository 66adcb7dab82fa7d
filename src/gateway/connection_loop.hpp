#pragma once
// The FastCGI gateway's readiness loop: one thread accepts every connection and watches every connection
// that is not being served (new, kept alive between requests, or closing) in one epoll set, each with a
// deadline. A connection reaches a worker only once a whole request head is on it and has passed
// fastcgi::check_head, so a peer that sends nothing, half a head, or a head built to break libfcgi's length
// arithmetic never occupies a worker and never reaches libfcgi. While a worker serves a request, the loop
// also holds it to a deadline: a peer that stalls its body or stops reading is cut off, not waited for.
#include "gateway/unique_fd.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sdksign::gateway {

struct ConnectionLimits {
    /// Largest request head (BEGIN_REQUEST and PARAMS records); web servers send 1 to 4 KiB.
    std::size_t max_head_bytes = 32768;
    /// From the first byte of a request (or the accept) to a whole head; then again for the body and the
    /// answer, while a worker serves it.
    std::chrono::milliseconds head_timeout{10000};
    /// How long a connection the web server keeps open may wait for its next request.
    std::chrono::milliseconds idle_timeout{60000};
    /// How long a closing connection is read (and the bytes dropped) so that its last answer is not lost
    /// to a reset.
    std::chrono::milliseconds drain_timeout{2000};
    /// Connections waiting in the loop at once; more are closed at accept.
    std::size_t max_waiting = 512;
};

/// A connection with a checked request head, for one worker.
struct ReadyConnection {
    UniqueFd fd;
    /// The length of the checked head, which is on the socket, unread.
    std::size_t head_bytes = 0;
};

class ConnectionLoop {
public:
    /// `listen_fd` stays owned by the caller; it is made non-blocking. `workers` is the number of threads
    /// that will call take(). `allowed_peers` is FCGI_WEB_SERVER_ADDRS as libfcgi reads it (IPv4 addresses
    /// separated by commas; unset or empty: any), applied to IPv4 peers. Throws SystemError.
    ConnectionLoop(int listen_fd, const ConnectionLimits& limits, unsigned workers,
                   const std::string& allowed_peers);
    ~ConnectionLoop();
    ConnectionLoop(const ConnectionLoop&) = delete;
    ConnectionLoop& operator=(const ConnectionLoop&) = delete;
    ConnectionLoop(ConnectionLoop&&) = delete;
    ConnectionLoop& operator=(ConnectionLoop&&) = delete;

    /// The loop itself: returns after stop(), once no connection waits in it any more.
    void run();

    /// From any thread, once: stop accepting, close waiting connections; connections whose head is complete
    /// are still handed to workers.
    void stop() noexcept;

    /// For a worker: blocks until a connection is ready; nothing once stopping and none is left.
    std::optional<ReadyConnection> take();

    /// For worker number `worker` (below `workers`) after take(): from now until finish_request, the request
    /// must be done within head_timeout or the loop shuts its connection down. The worker keeps `fd` open
    /// until finish_request, so the loop never shuts down a descriptor number that was reused meanwhile.
    void start_request(unsigned worker, int fd) noexcept;
    void finish_request(unsigned worker) noexcept;

    /// After a request: the connection waits for its next request (keep) or is closed gracefully.
    void give_back(UniqueFd fd, bool keep) noexcept;

private:
    enum class Phase { head, idle, closing };
    struct Waiting {
        UniqueFd fd;
        Phase phase = Phase::head;
        std::chrono::steady_clock::time_point deadline;
        /// Bytes that must be readable before the head is worth checking again.
        std::size_t bytes_needed = 1;
    };
    struct Busy {
        std::mutex mutex;
        int fd = -1;
        std::chrono::steady_clock::time_point deadline;
    };

    void accept_connections();
    void watch(UniqueFd fd, Phase phase);
    void on_readable(Waiting& connection, bool hung_up);
    void check_head(Waiting& connection, bool hung_up);
    void drain(Waiting& connection);
    void close_waiting(int fd);
    void adopt_returned();
    void enforce_deadlines();
    void hand_over(Waiting& connection, std::size_t head_bytes);
    bool peer_allowed(const void* address, std::size_t length) const;

    int listen_fd_;
    ConnectionLimits limits_;
    std::vector<std::uint32_t> allowed_peers_;
    UniqueFd epoll_;
    UniqueFd wake_;
    std::vector<std::uint8_t> peek_buffer_;
    std::unordered_map<int, Waiting> waiting_;
    bool accepting_ = true;
    std::chrono::steady_clock::time_point accept_paused_until_{};

    std::mutex mutex_;
    std::condition_variable ready_changed_;
    std::deque<ReadyConnection> ready_;
    std::vector<std::pair<UniqueFd, bool>> returned_;
    bool stopping_ = false;

    std::vector<std::unique_ptr<Busy>> busy_;
};

} // namespace sdksign::gateway
