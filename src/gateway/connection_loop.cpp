#include "gateway/connection_loop.hpp"

#include "errors.hpp"
#include "gateway/fastcgi_head.hpp"
#include "log/log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>

namespace sdksign::gateway {

namespace {

using Clock = std::chrono::steady_clock;

/// How often deadlines are checked: the granularity of every timeout of the loop.
constexpr std::chrono::milliseconds deadline_step{100};
/// After running out of descriptors, how long accepting pauses (the listening socket would stay readable).
constexpr std::chrono::milliseconds accept_pause{100};
/// A closing connection that keeps sending more than this is closed without reading further.
constexpr std::size_t drain_limit_bytes = std::size_t{256} * 1024;
constexpr int accepts_per_wakeup = 64;
constexpr std::uint32_t listen_events = EPOLLIN | EPOLLET;
/// The most descriptors the loop has slots for, whatever the descriptor limit: the table is allocated (and
/// touched) at start-up, and with at most max_waiting connections waiting and one per worker being served,
/// the kernel's lowest-free numbering keeps connections far below this. A higher one is closed at accept.
constexpr rlim_t max_slots = 4096;

std::string errno_text(const char* call) {
    return std::string(call) + ": " + std::strerror(errno);
}

std::vector<std::uint32_t> parse_allowed_peers(const std::string& list) {
    std::vector<std::uint32_t> peers;
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = std::min(list.find(',', start), list.size());
        std::string word = list.substr(start, comma - start);
        word.erase(0, word.find_first_not_of(" \t"));
        word.erase(word.find_last_not_of(" \t") + 1);
        if (!word.empty()) {
            in_addr address{};
            if (::inet_pton(AF_INET, word.c_str(), &address) != 1) {
                throw ConfigError("FCGI_WEB_SERVER_ADDRS: '" + word + "' is not an IPv4 address");
            }
            peers.push_back(address.s_addr);
        }
        start = comma + 1;
    }
    return peers;
}

/// The processors this process may run on (its affinity mask), at least 1.
unsigned usable_cpus() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) {
        return std::max(std::thread::hardware_concurrency(), 1U);
    }
    return static_cast<unsigned>(std::max(CPU_COUNT(&set), 1));
}

/// Whether the peer has closed its side (or the connection failed), without reading anything.
bool peer_closed(int fd) noexcept {
    pollfd watched{fd, POLLRDHUP, 0};
    int ready = 0;
    do {
        // A signal handler of the embedding process may interrupt even a poll that does not wait.
        ready = ::poll(&watched, 1, 0);
    } while (ready < 0 && errno == EINTR);
    return ready > 0 && (watched.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

} // namespace

ConnectionLoop::ConnectionLoop(int listen_fd, const ConnectionLimits& limits, unsigned workers,
                               const std::string& allowed_peers)
    : listen_fd_(listen_fd), limits_(limits), allowed_peers_(parse_allowed_peers(allowed_peers)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)), stop_event_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      epoll_gate_(static_cast<std::ptrdiff_t>(std::clamp(usable_cpus(), 1U, std::max(workers, 1U)))) {
    if (!epoll_ || !stop_event_) {
        throw SystemError(errno_text("epoll/eventfd"));
    }
    // Accepting never blocks a worker, even when another thread or process took the connection first.
    const int flags = ::fcntl(listen_fd_, F_GETFL);
    if (flags < 0 || ::fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw SystemError(errno_text("fcntl on the listening socket"));
    }
    // The listening socket is edge-triggered: one worker wakes for each burst of connections and accepts
    // until none is left (level-triggered, every idle worker would wake and all but one find nothing). The
    // stop event is level-triggered: it wakes every worker, for good.
    for (const auto& [fd, events] :
         {std::pair{listen_fd_, listen_events}, std::pair{stop_event_.get(), std::uint32_t{EPOLLIN}}}) {
        epoll_event event{};
        event.events = events;
        event.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
            throw SystemError(errno_text("epoll_ctl"));
        }
    }
    for (unsigned i = 0; i < workers; ++i) {
        busy_.push_back(std::make_unique<Busy>());
    }
    // Descriptors are numbered below the limit; a larger limit than the table is unusual, and a connection
    // numbered beyond the table is closed at accept.
    rlimit descriptors{};
    const rlim_t limit = ::getrlimit(RLIMIT_NOFILE, &descriptors) == 0 ? descriptors.rlim_cur : 1024;
    slot_count_ = static_cast<std::size_t>(std::min<rlim_t>(std::max<rlim_t>(limit, 64), max_slots));
    slots_ = std::make_unique<Slot[]>(slot_count_);
    deadlines_ = std::jthread([this] {
        while (!stopping_.load()) {
            std::this_thread::sleep_for(deadline_step);
            enforce_deadlines();
        }
    });
}

ConnectionLoop::~ConnectionLoop() {
    stop();
}

std::vector<std::uint8_t>& ConnectionLoop::scratch() const {
    thread_local std::vector<std::uint8_t> buffer;
    if (buffer.size() < limits_.max_head_bytes) {
        buffer.resize(limits_.max_head_bytes);
    }
    return buffer;
}

std::optional<ReadyConnection> ConnectionLoop::next() {
    while (!stopping_.load(std::memory_order_relaxed)) {
        // One event at a time: events are edge-triggered, so one taken is one this worker must handle,
        // even when an earlier one already gave it a request to serve.
        epoll_event event{};
        epoll_gate_.acquire();
        const int count = ::epoll_wait(epoll_.get(), &event, 1, -1);
        epoll_gate_.release();
        if (count < 0 && errno != EINTR) {
            log::error("fastcgi", errno_text("epoll_wait"));
            return std::nullopt;
        }
        if (count <= 0) {
            continue;
        }
        if (event.data.fd == stop_event_.get()) {
            break;
        }
        if (event.data.fd == listen_fd_) {
            if (auto ready = accept_connections()) {
                return ready;
            }
            continue;
        }
        if (auto ready = on_event(event.data.fd, (event.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)) {
            return ready;
        }
    }
    return std::nullopt;
}

void ConnectionLoop::stop() noexcept {
    stopping_.store(true);
    // Never read: it stays readable and wakes every worker in epoll_wait, now and later.
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(stop_event_.get(), &one, sizeof one);
}

void ConnectionLoop::start_request(unsigned worker, int fd) noexcept {
    Busy& busy = *busy_.at(worker);
    const std::lock_guard lock(busy.mutex);
    busy.fd = fd;
    busy.deadline = Clock::now() + limits_.head_timeout;
}

void ConnectionLoop::finish_request(unsigned worker) noexcept {
    Busy& busy = *busy_.at(worker);
    const std::lock_guard lock(busy.mutex);
    busy.fd = -1;
}

std::optional<ReadyConnection> ConnectionLoop::give_back(UniqueFd fd, bool keep, bool input_ended) noexcept {
    const int number = fd.get();
    const Phase phase = keep ? Phase::idle : Phase::closing;
    // A close with unread bytes, or while the peer is still sending (an answer given before the whole body
    // was read), sends a reset, which may destroy the answer before the peer reads it; so such a connection
    // is shut down for writing and read until the peer closes (closing phase). When the request's input has
    // ended and nothing is unread, a plain close is an orderly end after the answer.
    int unread = 1;
    if (!keep && input_ended && ::ioctl(number, FIONREAD, &unread) != 0) {
        unread = 1;
    }
    if ((!keep && unread != 0) || stopping_.load()) {
        ::shutdown(number, SHUT_WR);
    }
    Slot* const entry = slot(number);
    if (entry == nullptr) {
        return std::nullopt;
    }
    bool look_now = false;
    {
        const std::lock_guard lock(entry->mutex);
        if (stopping_.load() || !entry->in_use || (!keep && unread == 0)) {
            entry->in_use = false;
            return std::nullopt; // closed here: nothing waits any more
        }
        Waiting& waiting = entry->waiting;
        waiting.fd = std::move(fd);
        waiting.phase = phase;
        waiting.bytes_needed = 1;
        waiting.deadline = Clock::now() + (keep ? limits_.idle_timeout : limits_.drain_timeout);
        look_now = waiting.event_missed;
        waiting.event_missed = false;
        waiting.claimed = look_now;
        // Counted before it can be seen: once registered (or unclaimed), another worker may take its
        // event and close it, and its count must already be there to be taken away.
        waiting_count_.fetch_add(1);
        if (!register_in_epoll(waiting)) {
            entry->in_use = false;
            waiting.fd.reset();
            waiting_count_.fetch_sub(1);
            return std::nullopt;
        }
    }
    return look_now ? examine(number, phase, 1, true) : std::nullopt;
}

std::optional<ReadyConnection> ConnectionLoop::accept_connections() {
    // The first connection of the burst is this worker's to look at: a web server writes its request right
    // after connecting, so the head is often there already and is served without another trip through
    // epoll_wait. It is claimed from the moment it is in the table and joins the epoll set only if it has
    // to wait, so no other worker acts on it meanwhile.
    int first = -1;
    int accepted = 0;
    for (; accepted < accepts_per_wakeup; ++accepted) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        // Blocking, as libfcgi and the workers read it; the loop itself only ever peeks with MSG_DONTWAIT.
        UniqueFd fd(::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                // Out of descriptors or memory: the socket stays readable, so pause instead of spinning.
                const std::lock_guard lock(accept_mutex_);
                if (accepting_) {
                    log::warn("fastcgi", errno_text("accept") + "; accepting pauses briefly");
                    epoll_event event{};
                    event.data.fd = listen_fd_;
                    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd_, &event);
                    accepting_ = false;
                    accept_paused_until_ = Clock::now() + accept_pause;
                }
            }
            break;
        }
        if (!peer_allowed(&address, length)) {
            log::debug("fastcgi", "connection from an address not in FCGI_WEB_SERVER_ADDRS closed");
            continue;
        }
        if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
            // Answers are small and written whole: Nagle's delay would only add latency.
            const int on = 1;
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        }
        const int number = fd.get();
        if (watch(std::move(fd), first < 0) && first < 0) {
            first = number;
        }
    }
    if (accepted == accepts_per_wakeup) {
        // Connections may be left in the queue, and no new edge would say so: re-arming reports them again.
        epoll_event event{};
        event.events = listen_events;
        event.data.fd = listen_fd_;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd_, &event);
    }
    return first < 0 ? std::nullopt : examine(first, Phase::head, 1, false);
}

bool ConnectionLoop::peer_allowed(const void* address, std::size_t length) const {
    if (allowed_peers_.empty() || length < sizeof(sockaddr_in)) {
        return true;
    }
    sockaddr_in peer{};
    std::memcpy(&peer, address, sizeof peer);
    if (peer.sin_family != AF_INET) {
        return true;
    }
    return std::find(allowed_peers_.begin(), allowed_peers_.end(), peer.sin_addr.s_addr) !=
        allowed_peers_.end();
}

ConnectionLoop::Slot* ConnectionLoop::slot(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < slot_count_ ? &slots_[static_cast<std::size_t>(fd)]
                                                                 : nullptr;
}

bool ConnectionLoop::watch(UniqueFd fd, bool claim) {
    const int number = fd.get();
    Slot* const entry = slot(number);
    if (entry == nullptr) {
        log::warn("fastcgi", "a connection's descriptor is beyond the loop's table; closed");
        return false;
    }
    if (waiting_count_.load() >= limits_.max_waiting) {
        log::warn("fastcgi", "too many connections waiting for a request head; a new one was closed");
        return false;
    }
    {
        const std::lock_guard lock(entry->mutex);
        entry->in_use = true;
        entry->waiting = Waiting{};
        entry->waiting.fd = std::move(fd);
        entry->waiting.deadline = Clock::now() + limits_.head_timeout;
        entry->waiting.claimed = claim;
    }
    waiting_count_.fetch_add(1);
    for (int seen = highest_.load(); number > seen && !highest_.compare_exchange_weak(seen, number);) { }
    if (claim) {
        return true; // the claiming worker looks at it first, and registers it only if it has to wait
    }
    const std::lock_guard lock(entry->mutex);
    if (!register_in_epoll(entry->waiting)) {
        entry->in_use = false;
        entry->waiting.fd.reset();
        waiting_count_.fetch_sub(1);
        return false;
    }
    return true;
}

bool ConnectionLoop::register_in_epoll(Waiting& waiting) noexcept {
    if (waiting.registered) {
        return true;
    }
    // Adding reports a readiness that is already there, so no edge is lost to a late registration; the
    // connection is in the table first, since its first event may reach another worker at once.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.fd = waiting.fd.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, waiting.fd.get(), &event) != 0) {
        log::warn("fastcgi", errno_text("epoll_ctl") + "; connection closed");
        return false;
    }
    waiting.registered = true;
    return true;
}

std::optional<ReadyConnection> ConnectionLoop::on_event(int fd, bool hung_up) {
    Slot* const entry = slot(fd);
    if (entry == nullptr) {
        return std::nullopt;
    }
    Phase phase{};
    std::size_t bytes_needed = 0;
    {
        const std::lock_guard lock(entry->mutex);
        if (!entry->in_use) {
            return std::nullopt; // closed meanwhile (a deadline)
        }
        Waiting& waiting = entry->waiting;
        if (waiting.claimed) {
            waiting.event_missed = true;
            return std::nullopt;
        }
        waiting.claimed = true;
        phase = waiting.phase;
        bytes_needed = waiting.bytes_needed;
    }
    return examine(fd, phase, bytes_needed, hung_up);
}

std::optional<ReadyConnection> ConnectionLoop::examine(int fd, Phase phase, std::size_t bytes_needed,
                                                       bool hung_up) {
    for (;;) {
        const Phase before = phase;
        // Outside the lock: peeking and checking a head is the loop's only real work.
        Checked checked = phase == Phase::closing ? Checked{drain(fd), {}, false}
                                                  : check_head(fd, phase, bytes_needed, hung_up);
        Slot& entry = *slot(fd);
        const std::lock_guard lock(entry.mutex);
        Waiting& waiting = entry.waiting;
        if (checked.outcome == Outcome::closed) {
            entry.in_use = false;
            waiting.fd.reset(); // closing the descriptor also takes it out of the epoll set
            waiting_count_.fetch_sub(1);
            return std::nullopt;
        }
        if (checked.outcome == Outcome::ready) {
            // It stays in the table (and in the epoll set, once registered), claimed: its events while a
            // worker serves it are remembered for give_back.
            checked.ready.fd = std::move(waiting.fd);
            // An event taken by another worker while this one peeked (outside the lock) is kept: it may be
            // the peer's close or the next request, and edge-triggered epoll will not report it again.
            waiting.event_missed = waiting.event_missed || checked.look_again;
            waiting_count_.fetch_sub(1);
            return std::move(checked.ready);
        }
        if (phase != before) {
            waiting.deadline =
                Clock::now() + (phase == Phase::closing ? limits_.drain_timeout : limits_.head_timeout);
        }
        waiting.phase = phase;
        waiting.bytes_needed = bytes_needed;
        if (!register_in_epoll(waiting)) {
            entry.in_use = false;
            waiting.fd.reset();
            waiting_count_.fetch_sub(1);
            return std::nullopt;
        }
        if (!waiting.event_missed) {
            waiting.claimed = false;
            return std::nullopt;
        }
        waiting.event_missed = false; // bytes arrived while this thread looked: look again
        hung_up = true; // what that event said is not known: assume the most
    }
}

ConnectionLoop::Checked ConnectionLoop::check_head(int fd, Phase& phase, std::size_t& bytes_needed,
                                                   bool hung_up) {
    if (bytes_needed > 1) {
        // A head known to be incomplete: peek again only once enough has arrived to get further, so that
        // a head trickled in byte by byte costs no more than one look per record.
        int available = 0;
        if (::ioctl(fd, FIONREAD, &available) != 0) {
            return {Outcome::closed, {}};
        }
        if (static_cast<std::size_t>(std::max(available, 0)) < bytes_needed) {
            return {peer_closed(fd) ? Outcome::closed : Outcome::wait, {}};
        }
    }
    // Peeked, not read: the worker reads the head itself, after this check.
    std::vector<std::uint8_t>& buffer = scratch();
    const auto peeked = ::recv(fd, buffer.data(), limits_.max_head_bytes, MSG_PEEK | MSG_DONTWAIT);
    if (peeked <= 0) {
        const bool gone = peeked == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
        return {gone ? Outcome::closed : Outcome::wait, {}};
    }
    if (phase == Phase::idle) {
        // The next request on a kept connection has begun: from now on its head has head_timeout.
        phase = Phase::head;
    }
    const auto check =
        fastcgi::check_head(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(peeked)),
                            limits_.max_head_bytes);
    switch (check.state) {
    case fastcgi::HeadState::incomplete:
        bytes_needed = check.bytes_needed;
        return {peer_closed(fd) ? Outcome::closed : Outcome::wait, {}};
    case fastcgi::HeadState::complete: {
        Checked ready{Outcome::ready, {}};
        ready.ready.head_bytes = check.head_bytes;
        ready.ready.params_end = check.params_end;
        ready.ready.request_bytes = check.request_bytes;
        ready.look_again = hung_up ||
            static_cast<std::size_t>(peeked) >
                (check.request_bytes > 0 ? check.request_bytes : check.head_bytes);
        bytes_needed = 1;
        return ready;
    }
    case fastcgi::HeadState::unknown_role: {
        log::info("fastcgi",
                  "a request for a FastCGI role other than responder was refused (FCGI_UNKNOWN_ROLE)");
        const auto record = fastcgi::end_request_record(check.request_id, fastcgi::status_unknown_role);
        [[maybe_unused]] const auto sent =
            ::send(fd, record.data(), record.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        phase = Phase::closing;
        return {drain(fd), {}};
    }
    case fastcgi::HeadState::refused:
        log::info("fastcgi", std::string("connection closed: ") + check.reason);
        return {Outcome::closed, {}};
    }
    return {Outcome::closed, {}};
}

ConnectionLoop::Outcome ConnectionLoop::drain(int fd) {
    std::vector<std::uint8_t>& buffer = scratch();
    std::size_t dropped = 0;
    for (;;) {
        const auto count = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (count > 0) {
            dropped += static_cast<std::size_t>(count);
            if (dropped < drain_limit_bytes) {
                continue;
            }
        } else if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Outcome::wait; // the peer has not closed yet: wait for it, up to the drain deadline
        } else if (count < 0 && errno == EINTR) {
            continue;
        }
        return Outcome::closed;
    }
}

void ConnectionLoop::enforce_deadlines() {
    const auto now = Clock::now();
    std::size_t heads_timed_out = 0;
    const int highest = highest_.load();
    for (int fd = 0; fd <= highest; ++fd) {
        Slot& entry = *slot(fd);
        const std::lock_guard lock(entry.mutex);
        if (entry.in_use && !entry.waiting.claimed && entry.waiting.deadline <= now) {
            heads_timed_out += entry.waiting.phase == Phase::head ? 1 : 0;
            entry.in_use = false;
            entry.waiting.fd.reset();
            waiting_count_.fetch_sub(1);
        }
    }
    {
        const std::lock_guard lock(accept_mutex_);
        if (!accepting_ && now >= accept_paused_until_) {
            epoll_event event{};
            event.events = listen_events; // re-armed: connections queued meanwhile are reported at once
            event.data.fd = listen_fd_;
            ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd_, &event);
            accepting_ = true;
        }
    }
    if (heads_timed_out > 0) {
        log::info("fastcgi",
                  std::to_string(heads_timed_out) + " connection(s) closed: no whole request head within " +
                      std::to_string(limits_.head_timeout.count()) + " ms");
    }
    for (const auto& busy : busy_) {
        const std::lock_guard lock(busy->mutex);
        if (busy->fd >= 0 && busy->deadline <= now) {
            // The worker's blocked read or write returns at once; it answers or drops the request.
            ::shutdown(busy->fd, SHUT_RDWR);
            busy->fd = -1;
            log::warn("fastcgi",
                      "a request was not done within " + std::to_string(limits_.head_timeout.count()) +
                          " ms (the peer stalled its body or stopped reading); its connection was cut");
        }
    }
}

} // namespace sdksign::gateway
