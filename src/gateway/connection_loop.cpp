#include "gateway/connection_loop.hpp"

#include "errors.hpp"
#include "gateway/fastcgi_head.hpp"
#include "log/log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
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
constexpr std::size_t drain_limit_bytes = 256 * 1024;
constexpr int max_events = 64;
constexpr int accepts_per_wakeup = 64;

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

/// Waits for input on `fd` through `epoll`, edge-triggered: the loop checks a head again only when bytes
/// arrive, never spinning on a socket whose head is still incomplete.
bool add_to_epoll(int epoll, int fd) noexcept {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.fd = fd;
    return ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0;
}

} // namespace

ConnectionLoop::ConnectionLoop(int listen_fd, const ConnectionLimits& limits, unsigned workers,
                               const std::string& allowed_peers)
    : listen_fd_(listen_fd), limits_(limits), allowed_peers_(parse_allowed_peers(allowed_peers)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      peek_buffer_(limits.max_head_bytes) {
    if (!epoll_ || !wake_) {
        throw SystemError(errno_text("epoll/eventfd"));
    }
    // Accepting never blocks the loop, even when another process sharing the socket took the connection.
    const int flags = ::fcntl(listen_fd_, F_GETFL);
    if (flags < 0 || ::fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw SystemError(errno_text("fcntl on the listening socket"));
    }
    for (const int fd : {listen_fd_, wake_.get()}) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
            throw SystemError(errno_text("epoll_ctl"));
        }
    }
    for (unsigned i = 0; i < workers; ++i) {
        busy_.push_back(std::make_unique<Busy>());
    }
}

ConnectionLoop::~ConnectionLoop() = default;

void ConnectionLoop::run() {
    std::array<epoll_event, max_events> events{};
    auto next_check = Clock::now() + deadline_step;
    for (;;) {
        {
            const std::lock_guard lock(mutex_);
            if (stopping_) {
                break;
            }
        }
        const int count =
            ::epoll_wait(epoll_.get(), events.data(), max_events, static_cast<int>(deadline_step.count()));
        if (count < 0 && errno != EINTR) {
            log::error("fastcgi", errno_text("epoll_wait"));
            break;
        }
        for (int i = 0; i < count; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            const auto flags = events[static_cast<std::size_t>(i)].events;
            if (fd == listen_fd_) {
                accept_connections();
            } else if (fd == wake_.get()) {
                std::uint64_t ignored = 0;
                while (::read(wake_.get(), &ignored, sizeof ignored) > 0) { }
                adopt_returned();
            } else if (const auto found = waiting_.find(fd); found != waiting_.end()) {
                on_readable(found->second, (flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
            }
        }
        if (Clock::now() >= next_check) {
            enforce_deadlines();
            next_check = Clock::now() + deadline_step;
        }
    }
    // Stopping: nothing new is accepted and no waiting connection has a request in flight.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_fd_, nullptr);
    waiting_.clear();
    adopt_returned();
}

void ConnectionLoop::stop() noexcept {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_changed_.notify_all();
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof one);
}

std::optional<ReadyConnection> ConnectionLoop::take() {
    std::unique_lock lock(mutex_);
    ready_changed_.wait(lock, [this] { return !ready_.empty() || stopping_; });
    if (ready_.empty()) {
        return std::nullopt;
    }
    ReadyConnection connection = std::move(ready_.front());
    ready_.pop_front();
    return connection;
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

void ConnectionLoop::give_back(UniqueFd fd, bool keep) noexcept {
    {
        const std::lock_guard lock(mutex_);
        if (!stopping_) {
            returned_.emplace_back(std::move(fd), keep);
        }
    }
    if (fd) {
        // Stopping: the answer is written; end the connection without waiting for the peer.
        ::shutdown(fd.get(), SHUT_WR);
        return;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof one);
}

void ConnectionLoop::adopt_returned() {
    std::vector<std::pair<UniqueFd, bool>> returned;
    {
        const std::lock_guard lock(mutex_);
        returned.swap(returned_);
    }
    for (auto& [fd, keep] : returned) {
        if (!keep) {
            // Ours is the last word; reading on until the peer closes keeps a reset from destroying it.
            ::shutdown(fd.get(), SHUT_WR);
        }
        watch(std::move(fd), keep ? Phase::idle : Phase::closing);
    }
}

void ConnectionLoop::accept_connections() {
    for (int i = 0; i < accepts_per_wakeup; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        // Blocking, as libfcgi reads it; the loop itself only ever peeks with MSG_DONTWAIT.
        UniqueFd fd(::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                // Out of descriptors or memory: the socket stays readable, so pause instead of spinning.
                log::warn("fastcgi", errno_text("accept") + "; accepting pauses briefly");
                epoll_event event{};
                event.data.fd = listen_fd_;
                ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd_, &event);
                accepting_ = false;
                accept_paused_until_ = Clock::now() + accept_pause;
            }
            return;
        }
        if (!peer_allowed(&address, length)) {
            log::debug("fastcgi", "connection from an address not in FCGI_WEB_SERVER_ADDRS closed");
            continue;
        }
        if (waiting_.size() >= limits_.max_waiting) {
            log::warn("fastcgi", "too many connections waiting for a request head; a new one was closed");
            continue;
        }
        if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
            // Answers are small and written whole: Nagle's delay would only add latency.
            const int on = 1;
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        }
        watch(std::move(fd), Phase::head);
    }
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

void ConnectionLoop::watch(UniqueFd fd, Phase phase) {
    const int number = fd.get();
    if (!add_to_epoll(epoll_.get(), number)) {
        log::warn("fastcgi", errno_text("epoll_ctl") + "; connection closed");
        return;
    }
    const auto timeout = phase == Phase::head ? limits_.head_timeout
        : phase == Phase::idle                ? limits_.idle_timeout
                                              : limits_.drain_timeout;
    Waiting waiting;
    waiting.fd = std::move(fd);
    waiting.phase = phase;
    waiting.deadline = Clock::now() + timeout;
    waiting_.insert_or_assign(number, std::move(waiting));
}

void ConnectionLoop::on_readable(Waiting& connection, bool hung_up) {
    if (connection.phase == Phase::closing) {
        drain(connection);
    } else {
        check_head(connection, hung_up);
    }
}

void ConnectionLoop::check_head(Waiting& connection, bool hung_up) {
    const int fd = connection.fd.get();
    int available = 0;
    if (::ioctl(fd, FIONREAD, &available) != 0) {
        close_waiting(fd);
        return;
    }
    if (available <= 0) {
        if (hung_up) {
            close_waiting(fd); // the web server closed a kept connection, or the peer went away
        }
        return;
    }
    if (connection.phase == Phase::idle) {
        // The next request on a kept connection has begun: from now on its head has head_timeout.
        connection.phase = Phase::head;
        connection.deadline = Clock::now() + limits_.head_timeout;
        connection.bytes_needed = 1;
    }
    if (static_cast<std::size_t>(available) < connection.bytes_needed) {
        if (hung_up) {
            close_waiting(fd); // what is missing can never come
        }
        return;
    }
    // Peeked, not read: libfcgi reads the head itself, from the socket.
    const auto wanted = std::min(static_cast<std::size_t>(available), peek_buffer_.size());
    const auto peeked = ::recv(fd, peek_buffer_.data(), wanted, MSG_PEEK | MSG_DONTWAIT);
    if (peeked <= 0) {
        if (peeked == 0 || (errno != EAGAIN && errno != EINTR)) {
            close_waiting(fd);
        }
        return;
    }
    const auto check = fastcgi::check_head(
        std::span<const std::uint8_t>(peek_buffer_.data(), static_cast<std::size_t>(peeked)),
        limits_.max_head_bytes);
    switch (check.state) {
    case fastcgi::HeadState::incomplete:
        connection.bytes_needed = check.bytes_needed;
        if (hung_up) {
            close_waiting(fd);
        }
        return;
    case fastcgi::HeadState::complete:
        hand_over(connection, check.head_bytes);
        return;
    case fastcgi::HeadState::unknown_role: {
        log::info("fastcgi",
                  "a request for a FastCGI role other than responder was refused (FCGI_UNKNOWN_ROLE)");
        const auto record = fastcgi::end_request_record(check.request_id, fastcgi::status_unknown_role);
        [[maybe_unused]] const auto sent =
            ::send(fd, record.data(), record.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        connection.phase = Phase::closing;
        connection.deadline = Clock::now() + limits_.drain_timeout;
        drain(connection);
        return;
    }
    case fastcgi::HeadState::refused:
        log::info("fastcgi", std::string("connection closed: ") + check.reason);
        close_waiting(fd);
        return;
    }
}

void ConnectionLoop::drain(Waiting& connection) {
    const int fd = connection.fd.get();
    std::size_t dropped = 0;
    for (;;) {
        const auto count = ::recv(fd, peek_buffer_.data(), peek_buffer_.size(), MSG_DONTWAIT);
        if (count > 0) {
            dropped += static_cast<std::size_t>(count);
            if (dropped < drain_limit_bytes) {
                continue;
            }
        } else if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return; // the peer has not closed yet: wait for it, up to the drain deadline
        } else if (count < 0 && errno == EINTR) {
            continue;
        }
        close_waiting(fd);
        return;
    }
}

void ConnectionLoop::hand_over(Waiting& connection, std::size_t head_bytes) {
    const int fd = connection.fd.get();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    {
        const std::lock_guard lock(mutex_);
        ready_.push_back(ReadyConnection{std::move(connection.fd), head_bytes});
    }
    waiting_.erase(fd);
    ready_changed_.notify_one();
}

void ConnectionLoop::close_waiting(int fd) {
    // Closing the descriptor also takes it out of the epoll set.
    waiting_.erase(fd);
}

void ConnectionLoop::enforce_deadlines() {
    const auto now = Clock::now();
    std::size_t heads_timed_out = 0;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->second.deadline <= now) {
            heads_timed_out += it->second.phase == Phase::head ? 1 : 0;
            it = waiting_.erase(it);
        } else {
            ++it;
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
    if (!accepting_ && now >= accept_paused_until_) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = listen_fd_;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd_, &event);
        accepting_ = true;
    }
}

} // namespace sdksign::gateway
