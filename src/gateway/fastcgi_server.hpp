#pragma once
// The FastCGI gateway: a fixed pool of worker threads, each in its own FCGX_Accept_r loop on one listening
// socket, and a signal thread that turns SIGTERM/SIGINT/SIGUSR1 into a graceful stop.
#include "gateway/request_handler.hpp"

#include <chrono>
#include <cstddef>

namespace sdksign::gateway {

struct FastcgiSettings {
    /// The listening socket: 0 when a process manager handed it over, or one from open_listen_socket.
    int listen_fd = 0;
    unsigned threads = 4;
    /// Larger bodies are not read; the handler sees body_too_large.
    std::size_t max_body_bytes = 102400;
    /// After a stop signal, how long in-flight requests may take before the process exits anyway.
    std::chrono::seconds shutdown_timeout{5};
};

/// Blocks the stop signals, serves until one arrives, finishes in-flight requests and returns the exit code.
/// Call FCGX_Init first. Must be called before any other thread exists, so every thread inherits the mask.
int serve_fastcgi(const FastcgiSettings& settings, const HandlerFactory& make_handler);

} // namespace sdksign::gateway
