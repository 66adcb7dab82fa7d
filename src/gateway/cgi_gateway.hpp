#pragma once
// The CGI gateway: one request from the environment and stdin, one response to stdout, then exit.
#include "gateway/request_handler.hpp"

#include <cstddef>

namespace sdksign::gateway {

/// True when this process was started as a CGI script: fd 0 is not a FastCGI listening socket and the web
/// server set GATEWAY_INTERFACE.
bool started_as_cgi();

/// Serves the one request; returns the exit code.
int serve_cgi(std::size_t max_body_bytes, const RequestHandler& handler);

} // namespace sdksign::gateway
