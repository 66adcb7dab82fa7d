#pragma once
// Where the access policy (app/access_policy.hpp) is enforced: who is calling, checked before the body is
// read, and what they ask for, checked once the body is valid.
#include "app/meeting_request.hpp"
#include "app/settings.hpp"
#include "app/video_request.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <optional>

namespace sdksign::app {

/// The refusal for a caller the policy does not admit to the signing endpoint: 403 for a disallowed or
/// missing Origin, 401 for a missing or wrong bearer token, 403 without an authenticated user when every
/// token needs one. `preflight`: the request is a browser's OPTIONS, which carries no credentials, so only
/// the Origin is checked. nullopt: the caller may go on.
std::optional<http::Response> refuse_caller(const http::Request& request, const Settings& settings,
                                            bool preflight);

/// The refusal for a valid request the policy does not allow: a host token without an authenticated user
/// (403 "role"), a meeting number off the allow-list or a token for any meeting while there is one (403
/// "meetingNumber"). nullopt: sign it.
std::optional<http::Response> refuse_token(const http::Request& request, const Settings& settings,
                                           const MeetingTokenRequest& token);

/// The same for a Video SDK token: a host token (role 1) without an authenticated user (403 "role"). The
/// meeting allow-list does not apply: a session has a name, not a meeting number.
std::optional<http::Response> refuse_token(const http::Request& request, const Settings& settings,
                                           const VideoTokenRequest& token);

} // namespace sdksign::app
