#pragma once
// The socket sdksign opens itself with --listen (nginx, systemd), instead of the one a process manager hands
// over on fd 0. Opened here rather than with FCGX_OpenSocket, which calls exit() on failure without saying
// which address, and binds IPv4 only.
#include "gateway/unique_fd.hpp"

#include <string>

namespace sdksign::gateway {

/// "127.0.0.1:9000", "[::1]:9000", "localhost:9000" or a unix socket path (anything containing '/').
/// A unix socket gets `mode` as its permissions; a stale socket file left by a dead instance is replaced,
/// a live one is not. Throws SystemError or ConfigError naming the address.
UniqueFd open_listen_socket(const std::string& address, unsigned mode);

} // namespace sdksign::gateway
