#pragma once
// What the router and its handlers may be configured with; filled from the options in config/.
#include "app/access_policy.hpp"
#include "http/request.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sdksign::app {

struct Settings {
    /// Bodies larger than this get 413.
    std::size_t max_body_bytes = http::default_max_body_bytes;
    /// Empty: `Access-Control-Allow-Origin: *` like the reference sample. Otherwise only these origins get
    /// CORS headers (and every response says `Vary: Origin`).
    std::vector<std::string> allowed_origins;
    /// How long browsers may cache a preflight answer.
    std::int64_t cors_max_age_seconds = 7200;
    /// Seconds to subtract from `iat` for clients whose clocks run behind; `exp - iat` is unchanged.
    std::int64_t iat_backdate_seconds = 0;
    /// Token lifetime when the request gives no expirationSeconds.
    std::int64_t default_expiration_seconds = 7200;
    /// Path of the Meeting SDK signing endpoint, relative to the mount point.
    std::string sign_path = "/";
    /// Path of the Video SDK signing endpoint, relative to the mount point (served only with a video
    /// credential).
    std::string video_sign_path = "/videosdk";
    /// Path of the health endpoint, relative to the mount point.
    std::string health_path = "/health";
    /// Who may get a signature (the health endpoint is open to all: load balancers send no credentials).
    AccessPolicy access;
};

} // namespace sdksign::app
