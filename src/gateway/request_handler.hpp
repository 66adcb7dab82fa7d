#pragma once
// What a gateway hands requests to. Gateways know HTTP over FastCGI/CGI, nothing about what is served.
#include "http/request.hpp"
#include "http/response.hpp"

#include <functional>

namespace sdksign::gateway {

/// Handles one request; must not throw. Each worker thread gets its own handler.
using RequestHandler = std::function<http::Response(const http::Request&)>;

/// Makes a handler for one worker thread.
using HandlerFactory = std::function<RequestHandler()>;

} // namespace sdksign::gateway
