#pragma once
// Where the Video SDK request body is parsed and validated: the video sample's rules (property names, the
// order of its validators, their reasons, the coercion of integer strings, geoRegions cleaned and joined,
// lengths in UTF-16 code units), strict where the sample is sloppy as for the Meeting SDK, and current with
// Zoom's documentation (userKey, cloudRecordingTranscriptOption). See README, "The Video SDK endpoint".
#include "app/request_body.hpp"
#include "signing/video_claims.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace sdksign::app {

/// Every claim but iat and exp, as the body gave them.
using VideoTokenRequest = TokenRequest<signing::VideoClaims>;

using VideoRequestResult = std::variant<VideoTokenRequest, RequestRejection>;

/// The regions geoRegions may name, in the sample's order (its reasons list them so).
inline constexpr std::string_view video_geo_regions = "AU,BR,CA,CN,DE,HK,IN,JP,MX,NL,SG,US";

/// Parses and validates a JSON body (see RequestBody); an empty body counts as `{}`, which lacks the
/// required role and sessionName.
VideoRequestResult parse_video_request(std::string_view text);

} // namespace sdksign::app
