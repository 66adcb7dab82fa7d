#pragma once
// The FastCGI gateway: a fixed pool of worker threads that wait together in a readiness loop
// (connection_loop.hpp) for connections with whole, checked request heads and serve those with libfcgi,
// and a signal thread that turns SIGTERM/SIGINT/SIGUSR1 into a graceful stop.
#include "gateway/connection_loop.hpp"
#include "gateway/request_handler.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace sdksign::gateway {

struct FastcgiSettings {
    /// The listening socket: 0 when a process manager handed it over, or one from open_listen_socket.
    int listen_fd = 0;
    unsigned threads = 4;
    /// Larger bodies are not read; the handler sees body_too_large.
    std::size_t max_body_bytes = http::default_max_body_bytes;
    /// After a stop signal, how long in-flight requests may take before the process exits anyway.
    std::chrono::seconds shutdown_timeout{5};
    /// Bounds on what a peer may make the gateway wait for or hold.
    ConnectionLimits connections;
    /// FCGI_WEB_SERVER_ADDRS: IPv4 peers allowed to connect (empty: any), as libfcgi defines it.
    std::string allowed_peers;
};

/// The signals that stop a FastCGI server. Block them (block_stop_signals) before the process starts any
/// thread, so that every thread inherits the mask and only serve_fastcgi's signal thread receives them.
void block_stop_signals() noexcept;

/// Serves until a stop signal arrives, finishes in-flight requests and returns the exit code. Call
/// block_stop_signals first, before the process starts any thread. Throws SystemError or ConfigError when it
/// cannot start.
int serve_fastcgi(const FastcgiSettings& settings, const HandlerFactory& make_handler);

} // namespace sdksign::gateway
