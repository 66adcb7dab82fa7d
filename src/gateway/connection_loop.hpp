#pragma once
// The FastCGI gateway's readiness loop: every connection that is not being served (new, kept open by the web
// server between requests, or closing) waits in one epoll set, each with a deadline. A connection reaches a
// worker only once a whole request head is on it and has passed fastcgi::check_head, so a peer that sends
// nothing, half a head, or a head built to break libfcgi's length arithmetic never occupies a worker and
// never reaches libfcgi. While a worker serves a request, the loop also holds it to a deadline: a peer that
// stalls its body or stops reading is cut off, not waited for.
//
// The idle workers wait in the loop together (leader/follower), so the worker that sees a head complete
// serves it itself, with no hand-over between threads on the way; one small thread of the loop's own
// enforces the deadlines, also while every worker is busy.
#include "gateway/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
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

/// A connection with a checked head on it, unread, for the worker that found it.
struct ReadyConnection {
    UniqueFd fd;
    /// As fastcgi::HeadCheck says: the head's length, where libfcgi's part of it ends, and the length of
    /// head and body together when the whole body was there and checked too (else 0).
    std::size_t head_bytes = 0;
    std::size_t params_end = 0;
    std::size_t request_bytes = 0;
};

class ConnectionLoop {
public:
    /// `listen_fd` stays owned by the caller; it is made non-blocking. `workers` is the number of threads
    /// that will call next(). `allowed_peers` is FCGI_WEB_SERVER_ADDRS as libfcgi reads it (IPv4 addresses
    /// separated by commas; unset or empty: any), applied to IPv4 peers. Throws SystemError or ConfigError.
    ConnectionLoop(int listen_fd, const ConnectionLimits& limits, unsigned workers,
                   const std::string& allowed_peers);
    ~ConnectionLoop();
    ConnectionLoop(const ConnectionLoop&) = delete;
    ConnectionLoop& operator=(const ConnectionLoop&) = delete;
    ConnectionLoop(ConnectionLoop&&) = delete;
    ConnectionLoop& operator=(ConnectionLoop&&) = delete;

    /// For a worker: waits in the loop (accepting, checking heads, enforcing deadlines) until it finds a
    /// connection with a whole checked head; nothing once the loop stops.
    std::optional<ReadyConnection> next();

    /// From any thread: stop accepting and waiting; requests being served are finished by their workers.
    void stop() noexcept;

    /// For worker number `worker` (below `workers`) after next(): from now until finish_request, the request
    /// must be done within head_timeout or the loop shuts its connection down. The worker keeps `fd` open
    /// until finish_request, so the loop never shuts down a descriptor number that was reused meanwhile.
    void start_request(unsigned worker, int fd) noexcept;
    void finish_request(unsigned worker) noexcept;

    /// After a request: the connection waits for its next request (keep) or is closed gracefully. When the
    /// next request's head is already there, the connection comes straight back, for the same worker.
    /// `input_ended`: the request's input was read to its end, so a peer that is not kept has nothing more
    /// to send and the connection may close at once.
    std::optional<ReadyConnection> give_back(UniqueFd fd, bool keep, bool input_ended) noexcept;

private:
    enum class Phase { head, idle, closing };
    struct Waiting {
        UniqueFd fd;
        Phase phase = Phase::head;
        std::chrono::steady_clock::time_point deadline;
        /// Bytes that must be readable before the head is worth checking again.
        std::size_t bytes_needed = 1;
        /// A worker is looking at it (outside the lock) or serving it (then `fd` is the worker's): others
        /// and the deadlines leave it alone.
        bool claimed = false;
        /// An event arrived while it was claimed: the claiming worker looks again (after serving it: it
        /// stays in the epoll set all along, and an edge missed then would never come again).
        bool event_missed = false;
        /// In the epoll set. A new connection whose head is there at once is served without ever joining
        /// it, when it is not kept: no epoll_ctl for a connection that carries one request.
        bool registered = false;
    };
    /// The connection registered under one descriptor number, if any, behind a lock of its own: threads
    /// contend only when they look at the same connection.
    struct Slot {
        std::mutex mutex;
        bool in_use = false;
        Waiting waiting;
    };
    struct Busy {
        std::mutex mutex;
        int fd = -1;
        std::chrono::steady_clock::time_point deadline;
    };
    enum class Outcome { wait, ready, closed };
    struct Checked {
        Outcome outcome = Outcome::wait;
        ReadyConnection ready;
        /// ready: more than this request is on the socket already, or the peer has closed: no edge will say
        /// so again, so the connection is looked at once more after it was served.
        bool look_again = false;
    };

    /// Accepts what is queued; the first new connection when its head is already there.
    std::optional<ReadyConnection> accept_connections();
    /// Adds a new connection to the waiting table and the epoll set, claimed by this thread if `claim`;
    /// closes it and returns false when that fails.
    bool watch(UniqueFd fd, bool claim);
    /// Adds a waiting connection to the epoll set unless it is there; false (logged) when that fails.
    bool register_in_epoll(Waiting& waiting) noexcept;
    /// The slot of descriptor `fd`, or null beyond the table.
    [[nodiscard]] Slot* slot(int fd) const noexcept;
    /// One readiness event of a waiting connection; the connection when its head is complete.
    /// `hung_up`: the event said the peer closed its side.
    std::optional<ReadyConnection> on_event(int fd, bool hung_up);
    /// Looks at a connection this thread has claimed until it waits, closes or is ready.
    std::optional<ReadyConnection> examine(int fd, Phase phase, std::size_t bytes_needed, bool hung_up);
    Checked check_head(int fd, Phase& phase, std::size_t& bytes_needed, bool hung_up);
    Outcome drain(int fd);
    /// This thread's buffer for peeking at heads and dropping drained bytes, allocated once.
    [[nodiscard]] std::vector<std::uint8_t>& scratch() const;
    void enforce_deadlines();
    bool peer_allowed(const void* address, std::size_t length) const;

    int listen_fd_;
    ConnectionLimits limits_;
    std::vector<std::uint32_t> allowed_peers_;
    UniqueFd epoll_;
    /// Readable once stop() was called: wakes every worker waiting in the loop, for good.
    UniqueFd stop_event_;
    /// At most one worker per processor waits in epoll_wait; the other idle workers wait here. With more
    /// workers than processors, every event would otherwise wake a worker of its own, and they would contend
    /// for the epoll set's lock, while a worker that has just answered finds the next event waiting.
    std::counting_semaphore<> epoll_gate_;
    std::atomic<bool> stopping_{false};

    /// Indexed by descriptor number, sized once from the descriptor limit; the sweep looks up to `highest_`.
    std::unique_ptr<Slot[]> slots_;
    std::size_t slot_count_ = 0;
    std::atomic<int> highest_{-1};
    /// Connections registered and not being served.
    std::atomic<std::size_t> waiting_count_{0};

    std::mutex accept_mutex_;
    bool accepting_ = true;
    std::chrono::steady_clock::time_point accept_paused_until_{};

    std::vector<std::unique_ptr<Busy>> busy_;
    /// Last member: it runs enforce_deadlines until stopping_, on everything above.
    std::jthread deadlines_;
};

} // namespace sdksign::gateway
