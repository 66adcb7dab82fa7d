#pragma once
// The endpoints behind the router. Each gets a request whose route and method are already checked.
#include "app/router.hpp"

namespace sdksign::app {

/// POST /: validates the body and answers {"signature","sdkKey"}.
http::Response handle_meeting_signature(const http::Request& request, Services& services);

/// GET|HEAD /health: 200 when credentials are usable, 503 when not.
http::Response handle_health(const http::Request& request, Services& services);

} // namespace sdksign::app
