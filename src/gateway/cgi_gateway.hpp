#pragma once
// The CGI gateway: one request from the environment and stdin, one response to stdout, then exit.
#include "gateway/request_handler.hpp"

#include <cstddef>

namespace sdksign::gateway {

/// Serves the one request; returns the exit code.
int serve_cgi(std::size_t max_body_bytes, const RequestHandler& handler);

} // namespace sdksign::gateway
