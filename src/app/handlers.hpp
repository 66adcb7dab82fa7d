#pragma once
// The endpoints behind the router. Each gets a request whose route and method are already checked.
#include "app/router.hpp"

namespace sdksign::app {

/// POST /: validates the body and answers {"signature","sdkKey"}.
http::Response handle_meeting_signature(const http::Request& request, Services& services);

/// POST /videosdk: validates the body and answers {"signature"}.
http::Response handle_video_signature(const http::Request& request, Services& services);

/// GET|HEAD /health: 200 when every configured credential is usable, 503 when one is not.
http::Response handle_health(const http::Request& request, Services& services);

} // namespace sdksign::app
