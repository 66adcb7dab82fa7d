#include "app/clock.hpp"
#include "app/router.hpp"
#include "app/settings.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_source.hpp"
#include "signing/base64url.hpp"
#include "signing/token_signer.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <botan/mac.h>
#include <rapidjson/document.h>

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The HTTP contract, one request per row: every compatibility rule of Zoom's reference sample and every
// deliberate difference (see the README, "Differences from Zoom's sample"). Each row is also checked for
// what every response must have: the JSON content type, no-store, nosniff, CORS, no X-Powered-By, a body that
// is valid JSON in the error shape, and never the secret.

using sdksign::app::Clock;
using sdksign::app::Services;
using sdksign::app::Settings;
using sdksign::credentials::CredentialPtr;
using sdksign::credentials::CredentialSource;
using sdksign::http::Request;
using sdksign::http::Response;

namespace {

constexpr std::int64_t now = 1700000000;
constexpr std::string_view sdk_key = "routerKEY";
constexpr std::string_view sdk_secret = "router-SECRET-that-must-never-leak-0123456789";
constexpr std::string_view video_key = "videoKEY";
constexpr std::string_view video_secret = "router-VIDEO-secret-never-leaks-9876543210";
constexpr std::string_view video_path = "/videosdk";
constexpr std::string_view allowed_origin = "https://app.example.com";

constexpr std::string_view json_type = "application/json; charset=utf-8";
constexpr std::string_view schema_reason =
    "If one of the following properties is present, all or none must be present: meetingNumber, role";
constexpr std::string_view range_reason = "Value must in between 1800 and 172800";
constexpr std::string_view not_json = "Body is not valid JSON: ";
constexpr std::string_view not_object = "Body must be a JSON object";
constexpr std::string_view wrong_type = "Content-Type must be application/json";
constexpr std::string_view wrong_charset = "Unsupported charset; the body must be UTF-8";
constexpr std::string_view no_endpoint = "No such endpoint";
constexpr std::string_view post_only = "POST, OPTIONS";
constexpr std::string_view health_methods = "GET, HEAD, OPTIONS";

// The payloads of the commonest tokens, written out by hand.
constexpr std::string_view native_7200 =
    R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700007200,"tokenExp":1700007200})";
constexpr std::string_view web_mn1_role0 = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":0,)"
                                           R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})";

class FixedClock final : public Clock {
public:
    [[nodiscard]] std::int64_t now_seconds() const override { return now; }
};

/// Which credentials are configured, and which of them can be signed with. By default only the meeting
/// credential is configured (a Meeting SDK app, as before there were videos).
class FixedCredentials final : public CredentialSource {
public:
    explicit FixedCredentials(CredentialPtr meeting, bool meeting_configured = true,
                              CredentialPtr video = nullptr, bool video_configured = false)
        : meeting_(std::move(meeting)), video_(std::move(video)), meeting_configured_(meeting_configured),
          video_configured_(video_configured) { }
    [[nodiscard]] CredentialPtr current(std::string_view name) const override {
        if (name == sdksign::credentials::meeting_credential) {
            return meeting_configured_ ? meeting_ : nullptr;
        }
        return name == sdksign::credentials::video_credential && video_configured_ ? video_ : nullptr;
    }
    [[nodiscard]] bool configured(std::string_view name) const override {
        return name == sdksign::credentials::meeting_credential
            ? meeting_configured_
            : name == sdksign::credentials::video_credential && video_configured_;
    }

private:
    CredentialPtr meeting_;
    CredentialPtr video_;
    bool meeting_configured_;
    bool video_configured_;
};

class ThrowingCredentials final : public CredentialSource {
public:
    [[nodiscard]] CredentialPtr current(std::string_view /*name*/) const override {
        throw std::runtime_error("provider exploded");
    }
};

CredentialPtr make_test_credential(std::string_view key = sdk_key, std::string_view secret = sdk_secret) {
    return sdksign::credentials::make_credential(
        std::string(key), Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()));
}

struct ExpectedError {
    std::string property;
    std::string reason;
    bool reason_is_prefix = false;
};

ExpectedError starts(std::string property, std::string_view reason_prefix) {
    return {std::move(property), std::string(reason_prefix), true};
}

std::string number_reason(std::string_view shown) {
    return "Value " + std::string(shown) + " not allowed, must be of type number";
}
std::string decimal_reason(std::string_view shown) {
    return "Value " + std::string(shown) + " not allowed, must be a whole decimal integer";
}
std::string zero_one_reason(std::string_view shown) {
    return "Value is not valid. Got " + std::string(shown) + ", expected 0,1";
}
std::string meeting_number_reason(std::string_view shown) {
    return "Value " + std::string(shown) +
        " not allowed, must be a string of digits or a non-negative integer";
}
std::string method_reason(std::string_view method, std::string_view allowed) {
    return "Method " + std::string(method) + " is not allowed here; use one of: " + std::string(allowed);
}

using Headers = std::vector<std::pair<std::string_view, std::string_view>>;

enum class VideoCredential { none, usable, unavailable };

struct Case {
    std::string_view name;
    std::string_view method = "POST";
    std::string_view path = "/";
    std::optional<std::string_view> content_type = "application/json";
    std::string body{};
    /// Request headers in CGI form ("ORIGIN", "ACCESS_CONTROL_REQUEST_HEADERS").
    Headers headers{};
    void (*settings)(Settings&) = nullptr;
    /// Default: the body's size when there is a body.
    std::optional<std::size_t> content_length{};
    bool body_too_large = false;
    bool body_incomplete = false;
    /// The meeting credential is configured but unavailable.
    bool no_credential = false;
    /// The video credential: not configured (the default: a Meeting SDK app only), usable, or configured but
    /// unavailable.
    VideoCredential video = VideoCredential::none;
    /// The meeting credential is not configured (a Video SDK app only).
    bool no_meeting = false;
    /// REMOTE_USER, as the web server's authentication sets it.
    std::string_view remote_user{};

    int status = 200;
    std::vector<ExpectedError> errors{};
    /// A 200 from the signing endpoint: the JWT payload, exactly.
    std::string_view payload{};
    /// Any other body that must match exactly (the health endpoint).
    std::string_view exact_body{};
    /// Response headers with their exact values.
    Headers present{};
    std::vector<std::string_view> absent{};
};

void allow_list(Settings& settings) {
    settings.allowed_origins = {std::string(allowed_origin)};
}
void small_limit(Settings& settings) {
    settings.max_body_bytes = 16;
}
void large_limit(Settings& settings) {
    settings.max_body_bytes = 1 << 20;
}
void backdate(Settings& settings) {
    settings.iat_backdate_seconds = 120;
}
void default_3600(Settings& settings) {
    settings.default_expiration_seconds = 3600;
}
void max_age_600(Settings& settings) {
    settings.cors_max_age_seconds = 600;
}
void reject_origins(Settings& settings) {
    allow_list(settings);
    settings.access.origin_check = sdksign::app::OriginCheck::reject;
}
void strict_origins(Settings& settings) {
    allow_list(settings);
    settings.access.origin_check = sdksign::app::OriginCheck::strict;
}
void users_for_hosts(Settings& settings) {
    settings.access.require_user = sdksign::app::UserRequirement::host;
}
void users_for_all(Settings& settings) {
    settings.access.require_user = sdksign::app::UserRequirement::all;
}
constexpr std::string_view bearer_token = "s3cr3t-bearer-token-for-the-router-table";
void bearer(Settings& settings) {
    settings.access.bearer_token_digest = sdksign::app::bearer_token_digest(bearer_token);
}
void two_meetings(Settings& settings) {
    settings.access.allowed_meetings = {{"85746065432", false}, {"123", true}};
}
void other_paths(Settings& settings) {
    settings.sign_path = "/sign";
    settings.health_path = "/status";
}

std::vector<Case> cases() {
    const std::vector<std::string_view> no_cors_origin{"Access-Control-Allow-Origin"};
    return {
        // ---- Tokens: the sample's contract ----
        {.name = "web token, meetingNumber as a string (React/Vue/Angular samples)",
         .body = R"({"meetingNumber":"85746065432","role":0})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"85746065432","role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "web token, meetingNumber as a number (the web sample)",
         .body = R"({"meetingNumber":85746065432,"role":1})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":85746065432,"role":1,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "native token from {}", .body = "{}", .payload = native_7200},
        {.name = "empty body without Content-Type: native token, as the sample",
         .content_type = std::nullopt,
         .payload = native_7200},
        {.name = "empty body with Content-Type", .payload = native_7200},
        {.name = "empty Content-Type and empty body", .content_type = "", .payload = native_7200},
        {.name = "whitespace-only body", .body = " \r\n\t ", .payload = native_7200},
        {.name = "role \"1\" is coerced",
         .body = R"({"meetingNumber":"1","role":"1"})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":1,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "role 1.0 is an integer",
         .body = R"({"meetingNumber":"1","role":1.0})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":1,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "expirationSeconds \"7200\" is coerced",
         .body = R"({"expirationSeconds":"7200"})",
         .payload = native_7200},
        {.name = "expirationSeconds \"3600\" is coerced",
         .body = R"({"expirationSeconds":"3600"})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700003600,)"
                    R"("tokenExp":1700003600})"},
        {.name = "videoWebRtcMode \"1\" is coerced",
         .body = R"({"videoWebRtcMode":"1"})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700007200,)"
                    R"("tokenExp":1700007200,"video_webrtc_mode":1})"},
        {.name = "expirationSeconds 1800 (lower boundary)",
         .body = R"({"expirationSeconds":1800})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700001800,)"
                    R"("tokenExp":1700001800})"},
        {.name = "expirationSeconds 172800 (upper boundary)",
         .body = R"({"expirationSeconds":172800})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700172800,)"
                    R"("tokenExp":1700172800})"},
        {.name = "meetingNumber 1.0 is the integer 1",
         .body = R"({"meetingNumber":1.0,"role":0})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":1,"role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "meetingNumber 123e2 is the integer 12300",
         .body = R"({"meetingNumber":123e2,"role":0})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":12300,"role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "meetingNumber string keeps its leading zeros and its type",
         .body = R"({"meetingNumber":"0012345678901234567","role":1})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"0012345678901234567","role":1,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "unknown keys are ignored",
         .body =
             R"({"userName":"Ann","meetingNumber":"1","lang":"en-US","role":0,"sdkKey":"x","extra":[{}]})",
         .payload = web_mn1_role0},
        {.name = "duplicate keys: the last one wins, as JSON.parse",
         .body = R"({"role":1,"meetingNumber":2,"role":0,"meetingNumber":"1"})",
         .payload = web_mn1_role0},
        {.name = "web token with videoWebRtcMode 0",
         .body = R"({"meetingNumber":"1","role":1,"videoWebRtcMode":0})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":1,"iat":1700000000,)"
                    R"("exp":1700007200,"tokenExp":1700007200,"video_webrtc_mode":0})"},
        {.name = "every property",
         .body = R"({"videoWebRtcMode":1,"expirationSeconds":86400,"role":1,"meetingNumber":"9"})",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"9","role":1,"iat":1700000000,)"
                    R"("exp":1700086400,"tokenExp":1700086400,"video_webrtc_mode":1})"},
        {.name = "valid UTF-8 in an ignored member",
         .body =
             "{\"name\":\"J\xc3\xbcrgen \xe6\x97\xa5\xf0\x9f\x94\x91\",\"meetingNumber\":\"1\",\"role\":0}",
         .payload = web_mn1_role0},
        // ---- Content types ----
        {.name = "application/json; charset=utf-8",
         .content_type = "application/json; charset=utf-8",
         .body = "{}",
         .payload = native_7200},
        {.name = "APPLICATION/JSON; CHARSET=UTF-8 (case-insensitive)",
         .content_type = "APPLICATION/JSON; CHARSET=UTF-8",
         .body = "{}",
         .payload = native_7200},
        {.name = "quoted charset",
         .content_type = "application/json;charset=\"utf-8\"",
         .body = "{}",
         .payload = native_7200},
        {.name = "other parameters are ignored, like Express",
         .content_type = "application/json; profile=x",
         .body = "{}",
         .payload = native_7200},
        // ---- Settings ----
        {.name = "iat backdating moves iat and exp back together",
         .body = R"({"expirationSeconds":1800})",
         .settings = backdate,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1699999880,"exp":1700001680,)"
                    R"("tokenExp":1700001680})"},
        {.name = "iat backdating with the default expiry",
         .body = R"({"meetingNumber":"1","role":0})",
         .settings = backdate,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":0,"iat":1699999880,)"
                    R"("exp":1700007080,"tokenExp":1700007080})"},
        {.name = "configured default expiry",
         .body = "{}",
         .settings = default_3600,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":1700000000,"exp":1700003600,)"
                    R"("tokenExp":1700003600})"},
        {.name = "a body exactly at the limit",
         .body = R"({"padding":"xx"})",
         .settings = small_limit,
         .payload = native_7200},
        {.name = "allow-list: an allowed Origin is echoed",
         .body = "{}",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = allow_list,
         .payload = native_7200,
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
        {.name = "allow-list: a disallowed Origin gets no ACAO but Vary",
         .body = "{}",
         .headers = {{"ORIGIN", "https://evil.example"}},
         .settings = allow_list,
         .payload = native_7200,
         .present = {{"Vary", "Origin"}},
         .absent = no_cors_origin},
        {.name = "allow-list: no Origin header",
         .body = "{}",
         .settings = allow_list,
         .payload = native_7200,
         .present = {{"Vary", "Origin"}},
         .absent = no_cors_origin},
        {.name = "default CORS: an Origin header gets *",
         .body = "{}",
         .headers = {{"ORIGIN", "https://anywhere.example"}},
         .payload = native_7200,
         .present = {{"Access-Control-Allow-Origin", "*"}},
         .absent = {"Vary"}},
        // ---- Access policy (every restriction off by default; see SECURITY.md) ----
        {.name = "origin-check reject: an allowed Origin is signed",
         .body = "{}",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = reject_origins,
         .payload = native_7200,
         .present = {{"Access-Control-Allow-Origin", allowed_origin}}},
        {.name = "origin-check reject: another Origin is refused with 403",
         .body = "{}",
         .headers = {{"ORIGIN", "https://evil.example"}},
         .settings = reject_origins,
         .status = 403,
         .errors = {{"Origin", "This origin may not request signatures"}},
         .absent = no_cors_origin},
        {.name = "origin-check reject: the Origin is matched exactly (case, port)",
         .body = "{}",
         .headers = {{"ORIGIN", "https://app.example.com:443"}},
         .settings = reject_origins,
         .status = 403,
         .errors = {{"Origin", "This origin may not request signatures"}}},
        {.name = "origin-check reject: no Origin (not a browser) is signed",
         .body = "{}",
         .settings = reject_origins,
         .payload = native_7200},
        {.name = "origin-check reject: a preflight from another Origin is refused",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", "https://evil.example"}, {"ACCESS_CONTROL_REQUEST_METHOD", "POST"}},
         .settings = reject_origins,
         .status = 403,
         .errors = {{"Origin", "This origin may not request signatures"}},
         .absent = no_cors_origin},
        {.name = "origin-check reject: a preflight from the allowed Origin",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", allowed_origin}, {"ACCESS_CONTROL_REQUEST_METHOD", "POST"}},
         .settings = reject_origins,
         .status = 204,
         .present = {{"Access-Control-Allow-Origin", allowed_origin}}},
        {.name = "origin-check strict: no Origin is refused",
         .body = "{}",
         .settings = strict_origins,
         .status = 403,
         .errors = {{"Origin",
                     "This endpoint only answers browsers on the sites it serves (no Origin header)"}}},
        {.name = "origin-check strict: the allowed Origin is signed",
         .body = R"({"meetingNumber":"1","role":0})",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = strict_origins,
         .payload = web_mn1_role0},
        {.name = "origin-check strict: the health endpoint stays open to load balancers",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .settings = strict_origins,
         .exact_body = R"({"status":"ok","credentials":{"meeting":"ok"}})"},
        {.name = "origin-check strict: a wrong method is still 405, not 403",
         .method = "GET",
         .content_type = std::nullopt,
         .settings = strict_origins,
         .status = 405,
         .errors = {{"$method", method_reason("GET", post_only)}}},
        {.name = "require-user host: an attendee token needs no user",
         .body = R"({"meetingNumber":"1","role":0})",
         .settings = users_for_hosts,
         .payload = web_mn1_role0},
        {.name = "require-user host: a host token without a user is refused",
         .body = R"({"meetingNumber":"1","role":1})",
         .settings = users_for_hosts,
         .status = 403,
         .errors = {{"role",
                     "Host tokens (role 1) need a signed-in user; the web server did not "
                     "authenticate this request"}}},
        {.name = "require-user host: a host token with role \"1\" is refused too",
         .body = R"({"meetingNumber":"1","role":"1"})",
         .settings = users_for_hosts,
         .status = 403,
         .errors = {{"role",
                     "Host tokens (role 1) need a signed-in user; the web server did not "
                     "authenticate this request"}}},
        {.name = "require-user host: a host token with a user is signed",
         .body = R"({"meetingNumber":"1","role":1})",
         .settings = users_for_hosts,
         .remote_user = "ann",
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1","role":1,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "require-user host: validation errors come before the user check",
         .body = R"({"meetingNumber":"x","role":1})",
         .settings = users_for_hosts,
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("\"x\"")}}},
        {.name = "require-user all: no user is refused before the body is looked at",
         .body = "not json",
         .settings = users_for_all,
         .status = 403,
         .errors = {{"$user", "Signing in is required; the web server did not authenticate this request"}}},
        {.name = "require-user all: an empty REMOTE_USER (nginx without auth) is no user",
         .body = "{}",
         .settings = users_for_all,
         .remote_user = "",
         .status = 403,
         .errors = {{"$user", "Signing in is required; the web server did not authenticate this request"}}},
        {.name = "require-user all: a user is signed",
         .body = "{}",
         .settings = users_for_all,
         .remote_user = "ann",
         .payload = native_7200},
        {.name = "require-user all: a REMOTE_USER header sent by the client does not count",
         .body = "{}",
         .headers = {{"REMOTE_USER", "mallory"}},
         .settings = users_for_all,
         .status = 403,
         .errors = {{"$user", "Signing in is required; the web server did not authenticate this request"}}},
        {.name = "bearer: the right token is signed",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "Bearer s3cr3t-bearer-token-for-the-router-table"}},
         .settings = bearer,
         .payload = native_7200},
        {.name = "bearer: the scheme is case-insensitive",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "bearer   s3cr3t-bearer-token-for-the-router-table"}},
         .settings = bearer,
         .payload = native_7200},
        {.name = "bearer: no Authorization is 401 with a challenge",
         .body = "{}",
         .settings = bearer,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}},
         .present = {{"WWW-Authenticate", R"(Bearer realm="sdksign")"},
                     {"Access-Control-Allow-Origin", "*"}}},
        {.name = "bearer: a wrong token is 401",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "Bearer s3cr3t-bearer-token-for-the-router-tablX"}},
         .settings = bearer,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}}},
        {.name = "bearer: a prefix of the token is 401",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "Bearer s3cr3t"}},
         .settings = bearer,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}}},
        {.name = "bearer: Basic credentials are 401",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "Basic YW5uOnB3"}},
         .settings = bearer,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}}},
        {.name = "bearer: the token without the scheme is 401",
         .body = "{}",
         .headers = {{"AUTHORIZATION", "s3cr3t-bearer-token-for-the-router-table"}},
         .settings = bearer,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}}},
        {.name = "bearer: a preflight needs no token (browsers send none)",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ACCESS_CONTROL_REQUEST_HEADERS", "authorization,content-type"}},
         .settings = bearer,
         .status = 204,
         .present = {{"Access-Control-Allow-Headers", "authorization,content-type"}}},
        {.name = "allowed-meetings: a listed meeting is signed",
         .body = R"({"meetingNumber":85746065432,"role":0})",
         .settings = two_meetings,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":85746065432,"role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "allowed-meetings: leading zeros name the same meeting",
         .body = R"({"meetingNumber":"0085746065432","role":0})",
         .settings = two_meetings,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"0085746065432","role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "allowed-meetings: a prefix rule",
         .body = R"({"meetingNumber":"1234","role":0})",
         .settings = two_meetings,
         .payload = R"({"appKey":"routerKEY","sdkKey":"routerKEY","mn":"1234","role":0,)"
                    R"("iat":1700000000,"exp":1700007200,"tokenExp":1700007200})"},
        {.name = "allowed-meetings: another meeting is refused",
         .body = R"({"meetingNumber":"8574606543","role":0})",
         .settings = two_meetings,
         .status = 403,
         .errors = {{"meetingNumber", "This meeting number may not be signed here"}}},
        {.name = "allowed-meetings: a token for any meeting (no meetingNumber) is refused",
         .body = "{}",
         .settings = two_meetings,
         .status = 403,
         .errors = {{"meetingNumber",
                     "A meetingNumber is required: this server signs only for listed meetings"}}},
        {.name = "configured sign path",
         .path = "/sign",
         .body = "{}",
         .settings = other_paths,
         .payload = native_7200},
        {.name = "an empty path is the root", .path = "", .body = "{}", .payload = native_7200},
        // ---- 400: the all-or-none rule ----
        {.name = "meetingNumber without role",
         .body = R"({"meetingNumber":"1"})",
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)}}},
        {.name = "role without meetingNumber",
         .body = R"({"role":0})",
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)}}},
        {.name = "null role counts as present",
         .body = R"({"role":null})",
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)}, {"role", number_reason("null")}}},
        {.name = "both null count as present, then fail their own checks",
         .body = R"({"meetingNumber":null,"role":null})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("null")}, {"role", number_reason("null")}}},
        // ---- 400: role ----
        {.name = "role \"1abc\" (parseInt would say 1)",
         .body = R"({"meetingNumber":"1","role":"1abc"})",
         .status = 400,
         .errors = {{"role", decimal_reason("\"1abc\"")}}},
        {.name = "role \"0x1\"",
         .body = R"({"meetingNumber":"1","role":"0x1"})",
         .status = 400,
         .errors = {{"role", decimal_reason("\"0x1\"")}}},
        {.name = "role \"1.5\"",
         .body = R"({"meetingNumber":"1","role":"1.5"})",
         .status = 400,
         .errors = {{"role", decimal_reason("\"1.5\"")}}},
        {.name = "role \" 1\"",
         .body = R"({"meetingNumber":"1","role":" 1"})",
         .status = 400,
         .errors = {{"role", decimal_reason("\" 1\"")}}},
        {.name = "role \"\"",
         .body = R"({"meetingNumber":"1","role":""})",
         .status = 400,
         .errors = {{"role", decimal_reason("\"\"")}}},
        {.name = "role 0.5",
         .body = R"({"meetingNumber":"1","role":0.5})",
         .status = 400,
         .errors = {{"role", zero_one_reason("0.5")}}},
        {.name = "role 2",
         .body = R"({"meetingNumber":"1","role":2})",
         .status = 400,
         .errors = {{"role", zero_one_reason("2")}}},
        {.name = "role \"2\"",
         .body = R"({"meetingNumber":"1","role":"2"})",
         .status = 400,
         .errors = {{"role", zero_one_reason("2")}}},
        {.name = "role true",
         .body = R"({"meetingNumber":"1","role":true})",
         .status = 400,
         .errors = {{"role", number_reason("true")}}},
        {.name = "role object",
         .body = R"({"meetingNumber":"1","role":{"a":1}})",
         .status = 400,
         .errors = {{"role", number_reason("of type object")}}},
        {.name = "role array",
         .body = R"({"meetingNumber":"1","role":[0]})",
         .status = 400,
         .errors = {{"role", number_reason("of type array")}}},
        // ---- 400: expirationSeconds and videoWebRtcMode ----
        {.name = "expirationSeconds 1800.5 (the sample would sign a fractional exp)",
         .body = R"({"expirationSeconds":1800.5})",
         .status = 400,
         .errors = {{"expirationSeconds", "Value 1800.5 not allowed, must be a whole number of seconds"}}},
        {.name = "expirationSeconds 1799",
         .body = R"({"expirationSeconds":1799})",
         .status = 400,
         .errors = {{"expirationSeconds", std::string(range_reason)}}},
        {.name = "expirationSeconds 172801",
         .body = R"({"expirationSeconds":172801})",
         .status = 400,
         .errors = {{"expirationSeconds", std::string(range_reason)}}},
        {.name = "expirationSeconds \"172801\"",
         .body = R"({"expirationSeconds":"172801"})",
         .status = 400,
         .errors = {{"expirationSeconds", std::string(range_reason)}}},
        {.name = "expirationSeconds null",
         .body = R"({"expirationSeconds":null})",
         .status = 400,
         .errors = {{"expirationSeconds", number_reason("null")}}},
        {.name = "expirationSeconds \"1e4\"",
         .body = R"({"expirationSeconds":"1e4"})",
         .status = 400,
         .errors = {{"expirationSeconds", decimal_reason("\"1e4\"")}}},
        {.name = "videoWebRtcMode 2",
         .body = R"({"videoWebRtcMode":2})",
         .status = 400,
         .errors = {{"videoWebRtcMode", zero_one_reason("2")}}},
        {.name = "videoWebRtcMode []",
         .body = R"({"videoWebRtcMode":[]})",
         .status = 400,
         .errors = {{"videoWebRtcMode", number_reason("of type array")}}},
        // ---- 400: meetingNumber (unchecked by the sample) ----
        {.name = "meetingNumber object",
         .body = R"({"meetingNumber":{},"role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("of type object")}}},
        {.name = "meetingNumber array",
         .body = R"({"meetingNumber":["1"],"role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("of type array")}}},
        {.name = "meetingNumber null",
         .body = R"({"meetingNumber":null,"role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("null")}}},
        {.name = "meetingNumber -1",
         .body = R"({"meetingNumber":-1,"role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("-1")}}},
        {.name = "meetingNumber \"-1\"",
         .body = R"({"meetingNumber":"-1","role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("\"-1\"")}}},
        {.name = "meetingNumber 85746065432.5",
         .body = R"({"meetingNumber":85746065432.5,"role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("85746065432.5")}}},
        {.name = "meetingNumber \"12a\"",
         .body = R"({"meetingNumber":"12a","role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("\"12a\"")}}},
        {.name = "meetingNumber \"\"",
         .body = R"({"meetingNumber":"","role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("\"\"")}}},
        {.name = "meetingNumber of 21 digits",
         .body = R"({"meetingNumber":"123456789012345678901","role":0})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("\"123456789012345678901\"")}}},
        // ---- 400: error order ----
        {.name = "order: $schema, meetingNumber, expirationSeconds, videoWebRtcMode",
         .body = R"({"videoWebRtcMode":7,"expirationSeconds":60,"meetingNumber":"x"})",
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)},
                    {"meetingNumber", meeting_number_reason("\"x\"")},
                    {"expirationSeconds", std::string(range_reason)},
                    {"videoWebRtcMode", zero_one_reason("7")}}},
        {.name = "order: $schema, role, expirationSeconds, videoWebRtcMode",
         .body = R"({"videoWebRtcMode":"on","expirationSeconds":1800.25,"role":5})",
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)},
                    {"role", zero_one_reason("5")},
                    {"expirationSeconds", "Value 1800.25 not allowed, must be a whole number of seconds"},
                    {"videoWebRtcMode", decimal_reason("\"on\"")}}},
        {.name = "order: meetingNumber, role, expirationSeconds, videoWebRtcMode",
         .body = R"({"videoWebRtcMode":false,"expirationSeconds":"x","role":"y","meetingNumber":true})",
         .status = 400,
         .errors = {{"meetingNumber", meeting_number_reason("true")},
                    {"role", decimal_reason("\"y\"")},
                    {"expirationSeconds", decimal_reason("\"x\"")},
                    {"videoWebRtcMode", number_reason("false")}}},
        // ---- 400: bad JSON, as a JSON error with CORS (the sample sends an HTML stack trace) ----
        {.name = "truncated JSON",
         .body = R"({"meetingNumber":"1","role":)",
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "trailing comma",
         .body = R"({"role":0,})",
         .status = 400,
         .errors = {{"$body", "Body is not valid JSON: Missing a name for object member. (at byte 10)"}}},
        {.name = "trailing garbage",
         .body = "{} garbage",
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "two documents", .body = "{}{}", .status = 400, .errors = {starts("$body", not_json)}},
        {.name = "single quotes", .body = "{'role':0}", .status = 400, .errors = {starts("$body", not_json)}},
        {.name = "NaN", .body = R"({"role":NaN})", .status = 400, .errors = {starts("$body", not_json)}},
        {.name = "comments", .body = "/* hi */ {}", .status = 400, .errors = {starts("$body", not_json)}},
        {.name = "100000 nested '[' do not crash",
         .body = std::string(100000, '['),
         .settings = large_limit,
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "invalid UTF-8 in a string",
         .body = "{\"meetingNumber\":\"1\",\"role\":0,\"name\":\"\xff\xfe\"}",
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "overlong UTF-8 encoding",
         .body = "{\"name\":\"\xc0\xaf\"}",
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "NUL byte then another object",
         .body = std::string("{}\0{\"role\":1}", 13),
         .status = 400,
         .errors = {{"$body", "Body is not valid JSON: NUL byte. (at byte 2)"}}},
        // ---- 400: top-level non-objects (the sample signs them as {}) ----
        {.name = "top-level array",
         .body = R"([{"meetingNumber":"1","role":0}])",
         .status = 400,
         .errors = {{"$body", std::string(not_object)}}},
        {.name = "top-level number",
         .body = "1",
         .status = 400,
         .errors = {{"$body", std::string(not_object)}}},
        {.name = "top-level string",
         .body = R"("{}")",
         .status = 400,
         .errors = {{"$body", std::string(not_object)}}},
        {.name = "top-level null",
         .body = "null",
         .status = 400,
         .errors = {{"$body", std::string(not_object)}}},
        {.name = "validation comes before credentials",
         .body = R"({"role":0})",
         .no_credential = true,
         .status = 400,
         .errors = {{"$schema", std::string(schema_reason)}}},
        // ---- 413 ----
        {.name = "body over the configured limit",
         .body = R"({"padding":"xxx"})",
         .settings = small_limit,
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 16 bytes"}}},
        {.name = "body over the default limit of 100 kB",
         .body = R"({"p":")" + std::string(102400, 'x') + R"("})",
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 102400 bytes"}}},
        {.name = "gateway stopped reading a too large body",
         .body = "{",
         .body_too_large = true,
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 102400 bytes"}}},
        {.name = "body cut short of its Content-Length is not signed",
         .body = R"({"meetingNumber":"1","role":0})",
         .body_incomplete = true,
         .status = 400,
         .errors = {{"$body", "The body does not match its Content-Length (cut short or malformed)"}}},
        {.name = "declared Content-Length over the limit",
         .body = "{}",
         .content_length = 102401,
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 102400 bytes"}}},
        {.name = "413 with an allowed Origin carries CORS",
         .body = R"({"padding":"xxx"})",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings =
             [](Settings& settings) {
                 small_limit(settings);
                 allow_list(settings);
             },
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 16 bytes"}},
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
        // ---- 415 ----
        {.name = "a body without Content-Type",
         .content_type = std::nullopt,
         .body = "{}",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        {.name = "text/plain",
         .content_type = "text/plain",
         .body = "{}",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        {.name = "application/x-www-form-urlencoded",
         .content_type = "application/x-www-form-urlencoded",
         .body = "meetingNumber=1&role=0",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        {.name = "application/jsonp is not application/json",
         .content_type = "application/jsonp",
         .body = "{}",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        {.name = "charset=latin1",
         .content_type = "application/json; charset=latin1",
         .body = "{}",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_charset)}}},
        {.name = "charset=utf-16",
         .content_type = "application/json; charset=utf-16",
         .body = "{}",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_charset)}}},
        {.name = "content type is checked before the JSON",
         .content_type = "text/html",
         .body = "{oops",
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        // ---- 405 ----
        {.name = "GET /",
         .method = "GET",
         .content_type = std::nullopt,
         .status = 405,
         .errors = {{"$method", method_reason("GET", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "PUT /",
         .method = "PUT",
         .body = "{}",
         .status = 405,
         .errors = {{"$method", method_reason("PUT", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "DELETE /",
         .method = "DELETE",
         .content_type = std::nullopt,
         .status = 405,
         .errors = {{"$method", method_reason("DELETE", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "PATCH /",
         .method = "PATCH",
         .body = "{}",
         .status = 405,
         .errors = {{"$method", method_reason("PATCH", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "HEAD / (no body on the wire)",
         .method = "HEAD",
         .content_type = std::nullopt,
         .status = 405,
         .errors = {{"$method", method_reason("HEAD", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "lower-case post is another method",
         .method = "post",
         .body = "{}",
         .status = 405,
         .errors = {{"$method", method_reason("post", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "a long method is cut in the reason",
         .method = "PROPFINDPROPFINDPROPFIND",
         .content_type = std::nullopt,
         .status = 405,
         .errors = {{"$method", method_reason("PROPFINDPROPFIND", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "POST /health",
         .method = "POST",
         .path = "/health",
         .body = "{}",
         .status = 405,
         .errors = {{"$method", method_reason("POST", health_methods)}},
         .present = {{"Allow", health_methods}}},
        {.name = "405 with a disallowed Origin: no ACAO, still Vary",
         .method = "GET",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", "https://evil.example"}},
         .settings = allow_list,
         .status = 405,
         .errors = {{"$method", method_reason("GET", post_only)}},
         .present = {{"Allow", post_only}, {"Vary", "Origin"}},
         .absent = no_cors_origin},
        // ---- 404 ----
        {.name = "unknown path",
         .path = "/nope",
         .body = "{}",
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "GET /index.html",
         .method = "GET",
         .path = "/index.html",
         .content_type = std::nullopt,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}},
         .absent = {"Allow"}},
        {.name = "/health/ is not /health",
         .method = "GET",
         .path = "/health/",
         .content_type = std::nullopt,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "OPTIONS on an unknown path",
         .method = "OPTIONS",
         .path = "/nope",
         .content_type = std::nullopt,
         .headers = {{"ACCESS_CONTROL_REQUEST_METHOD", "POST"}},
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}},
         .absent = {"Access-Control-Allow-Methods"}},
        {.name = "HEAD on an unknown path",
         .method = "HEAD",
         .path = "/nope",
         .content_type = std::nullopt,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "the default sign path is gone when moved",
         .path = "/",
         .body = "{}",
         .settings = other_paths,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "404 with an allowed Origin carries CORS",
         .path = "/nope",
         .body = "{}",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = allow_list,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}},
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
        // ---- Preflight ----
        {.name = "preflight on /",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", "https://app.example.com"},
                     {"ACCESS_CONTROL_REQUEST_METHOD", "POST"},
                     {"ACCESS_CONTROL_REQUEST_HEADERS", "content-type"}},
         .status = 204,
         .present = {{"Access-Control-Allow-Methods", post_only},
                     {"Access-Control-Allow-Headers", "content-type"},
                     {"Access-Control-Max-Age", "7200"},
                     {"Access-Control-Allow-Origin", "*"},
                     {"Vary", "Access-Control-Request-Headers"}}},
        {.name = "preflight echoes several requested headers",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ACCESS_CONTROL_REQUEST_HEADERS", "Content-Type, X-Requested-With"}},
         .status = 204,
         .present = {{"Access-Control-Allow-Headers", "Content-Type, X-Requested-With"}}},
        {.name = "preflight without requested headers",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .status = 204,
         .present = {{"Access-Control-Allow-Methods", post_only}},
         .absent = {"Access-Control-Allow-Headers"}},
        {.name = "preflight does not echo a header injection",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ACCESS_CONTROL_REQUEST_HEADERS", "content-type\r\nSet-Cookie: session=stolen"}},
         .status = 204,
         .present = {{"Access-Control-Allow-Methods", post_only}},
         .absent = {"Access-Control-Allow-Headers", "Set-Cookie"}},
        {.name = "preflight on /health",
         .method = "OPTIONS",
         .path = "/health",
         .content_type = std::nullopt,
         .status = 204,
         .present = {{"Access-Control-Allow-Methods", health_methods}, {"Allow", health_methods}}},
        {.name = "preflight with an allowed Origin",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", allowed_origin}, {"ACCESS_CONTROL_REQUEST_HEADERS", "content-type"}},
         .settings = allow_list,
         .status = 204,
         .present = {{"Access-Control-Allow-Origin", allowed_origin},
                     {"Vary", "Origin, Access-Control-Request-Headers"},
                     {"Access-Control-Allow-Headers", "content-type"}}},
        {.name = "preflight with a disallowed Origin",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .headers = {{"ORIGIN", "https://evil.example"}},
         .settings = allow_list,
         .status = 204,
         .present = {{"Vary", "Origin, Access-Control-Request-Headers"}},
         .absent = no_cors_origin},
        {.name = "preflight max age from the settings",
         .method = "OPTIONS",
         .content_type = std::nullopt,
         .settings = max_age_600,
         .status = 204,
         .present = {{"Access-Control-Max-Age", "600"}}},
        // ---- Health ----
        {.name = "GET /health",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .exact_body = R"({"status":"ok","credentials":{"meeting":"ok"}})"},
        {.name = "HEAD /health",
         .method = "HEAD",
         .path = "/health",
         .content_type = std::nullopt,
         .exact_body = R"({"status":"ok","credentials":{"meeting":"ok"}})"},
        {.name = "GET /health without a credential",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .no_credential = true,
         .status = 503,
         .errors = {{"$credentials", "The signing credentials are unavailable"}}},
        {.name = "HEAD /health without a credential",
         .method = "HEAD",
         .path = "/health",
         .content_type = std::nullopt,
         .no_credential = true,
         .status = 503,
         .errors = {{"$credentials", "The signing credentials are unavailable"}}},
        {.name = "configured health path",
         .method = "GET",
         .path = "/status",
         .content_type = std::nullopt,
         .settings = other_paths,
         .exact_body = R"({"status":"ok","credentials":{"meeting":"ok"}})"},
        // ---- 503 ----
        {.name = "POST / without a credential",
         .body = R"({"meetingNumber":"1","role":0})",
         .no_credential = true,
         .status = 503,
         .errors = {{"$credentials", "The signing credentials are unavailable; try again later"}}},
        {.name = "503 with an allowed Origin carries CORS",
         .body = "{}",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = allow_list,
         .no_credential = true,
         .status = 503,
         .errors = {{"$credentials", "The signing credentials are unavailable; try again later"}},
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
        {.name = "400 with an allowed Origin carries CORS",
         .body = "[",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = allow_list,
         .status = 400,
         .errors = {starts("$body", not_json)},
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
        {.name = "415 with an allowed Origin carries CORS",
         .content_type = "text/plain",
         .body = "{}",
         .headers = {{"ORIGIN", allowed_origin}},
         .settings = allow_list,
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}},
         .present = {{"Access-Control-Allow-Origin", allowed_origin}, {"Vary", "Origin"}}},
    };
}

// ---- The Video SDK endpoint ----

constexpr std::string_view required_reason = "Property required, but not present in request body";
constexpr std::string_view regions = "AU,BR,CA,CN,DE,HK,IN,JP,MX,NL,SG,US";
constexpr std::string_view host_reason =
    "Host tokens (role 1) need a signed-in user; the web server did not authenticate this request";
constexpr std::string_view video_unavailable = "The signing credentials are unavailable; try again later";
constexpr std::string_view host_s = R"({"app_key":"videoKEY","role_type":1,"tpc":"s","version":1,)"
                                    R"("iat":1700000000,"exp":1700007200})";
constexpr std::string_view attendee_s = R"({"app_key":"videoKEY","role_type":0,"tpc":"s","version":1,)"
                                        R"("iat":1700000000,"exp":1700007200})";

std::string string_reason(std::string_view shown) {
    return "Value " + std::string(shown) + " not allowed, must be of type string";
}
std::string length_reason(std::size_t got, std::size_t limit) {
    return "Value exceed max length. Got " + std::to_string(got) + ", expected less than or equal to " +
        std::to_string(limit);
}
std::string regions_reason(std::string_view got) {
    return "One or more value(s) not allowed. Got (" + std::string(got) + "), expected (" +
        std::string(regions) + ")";
}
void other_video_path(Settings& settings) {
    settings.video_sign_path = "/video";
}

/// Each row is a request to the Video SDK endpoint with a video credential beside the meeting one, unless
/// it says otherwise: every rule of the video sample a client relies on, and each deliberate difference.
std::vector<Case> video_cases() {
    constexpr auto usable = VideoCredential::usable;
    // 100 cars are 200 UTF-16 code units (each a surrogate pair) in 400 bytes: the longest sessionName.
    std::string cars;
    for (int i = 0; i < 100; ++i) {
        cars += "\U0001F697";
    }
    static const std::string cars_payload = R"({"app_key":"videoKEY","role_type":0,"tpc":")" + cars +
        R"(","version":1,"iat":1700000000,"exp":1700007200})";
    static const std::string limits_payload = cars_payload.substr(0, cars_payload.size() - 1) +
        R"(,"user_identity":")" + std::string(35, 'i') + R"(","user_key":")" + std::string(36, 'k') +
        R"(","session_key":")" + std::string(36, 's') + R"("})";
    return {
        // ---- Tokens: the video sample's contract ----
        {.name = "video: sessionName and role",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1})",
         .video = usable,
         .payload = host_s},
        {.name = "video: the sample README's request",
         .path = video_path,
         .body = R"({"sessionName":"Cool Cars","role":1,"sessionKey":"session123","userIdentity":"user123"})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":1,"tpc":"Cool Cars","version":1,"iat":1700000000,)"
                    R"("exp":1700007200,"user_identity":"user123","session_key":"session123"})"},
        {.name = "video: role \"1\" is coerced to a number (the sample README's curl)",
         .path = video_path,
         .body = R"({"sessionName":"s","role":"1"})",
         .video = usable,
         .payload = host_s},
        {.name = "video: role 0.99999999999999999999 is 1, as to JSON.parse",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0.99999999999999999999})",
         .video = usable,
         .payload = host_s},
        {.name = "video: expirationSeconds \"1800\" is coerced (lower boundary)",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0,"expirationSeconds":"1800"})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":0,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700001800})"},
        {.name = "video: expirationSeconds 172800 (upper boundary)",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0,"expirationSeconds":172800})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":0,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700172800})"},
        {.name = "video: every claim, in the sample's order whatever the body's",
         .path = video_path,
         .body =
             R"({"audioWebRtcMode":1,"videoWebRtcMode":0,"telemetryTrackingId":"t-1",)"
             R"("cloudRecordingTranscriptOption":2,"cloudRecordingElection":"1","cloudRecordingOption":0,)"
             R"("geoRegions":"US,AU","sessionKey":"k","userKey":"uk","userIdentity":"ui",)"
             R"("expirationSeconds":3600,"sessionName":"Team","role":0})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":0,"tpc":"Team","version":1,"iat":1700000000,)"
                    R"("exp":1700003600,"user_identity":"ui","user_key":"uk","session_key":"k",)"
                    R"("geo_regions":"US,AU","cloud_recording_option":0,"cloud_recording_election":1,)"
                    R"("cloud_recording_transcript_option":2,"telemetry_tracking_id":"t-1",)"
                    R"("video_webrtc_mode":0,"audio_webrtc_mode":1})"},
        {.name = "video: audio_webrtc_mode falls back to audioCompatibleMode",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1,"audioCompatibleMode":"1"})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":1,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700007200,"audio_webrtc_mode":1})"},
        {.name = "video: audioWebRtcMode wins over audioCompatibleMode",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1,"audioCompatibleMode":1,"audioWebRtcMode":0})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":1,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700007200,"audio_webrtc_mode":0})"},
        {.name = "video: geoRegions as a string loses every blank and empty item",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1,"geoRegions":" U S, CN ,,\tAU\n,"})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":1,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700007200,"geo_regions":"US,CN,AU"})"},
        {.name = "video: geoRegions as an array, JavaScript's Unicode blanks removed too",
         .path = video_path,
         .body = "{\"sessionName\":\"s\",\"role\":1,\"geoRegions\":[\"\u00a0JP\u3000\",\"\",\"D\u2009E\","
                 "\"\ufeffSG\"]}",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":1,"tpc":"s","version":1,"iat":1700000000,)"
                    R"("exp":1700007200,"geo_regions":"JP,DE,SG"})"},
        {.name = "video: lengths at their limits, counted in UTF-16 code units",
         .path = video_path,
         .body = R"({"role":0,"sessionName":")" + cars + R"(","userIdentity":")" + std::string(35, 'i') +
             R"(","userKey":")" + std::string(36, 'k') + R"(","sessionKey":")" + std::string(36, 's') +
             R"("})",
         .video = usable,
         .payload = limits_payload},
        {.name = "video: 100 characters beyond U+FFFF are the longest sessionName",
         .path = video_path,
         .body = R"({"role":0,"sessionName":")" + cars + R"("})",
         .video = usable,
         .payload = cars_payload},
        {.name = "video: an empty sessionName is signed, as the sample does",
         .path = video_path,
         .body = R"({"sessionName":"","role":0})",
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":0,"tpc":"","version":1,"iat":1700000000,)"
                    R"("exp":1700007200})"},
        {.name = "video: the session name is written as JSON.stringify writes it",
         .path = video_path,
         .body = R"({"sessionName":"Caf\u00e9 \"q\" \\ \/ \n","role":0})",
         .video = usable,
         .payload = "{\"app_key\":\"videoKEY\",\"role_type\":0,\"tpc\":\"Caf\u00e9 \\\"q\\\" \\\\ / \\n\","
                    "\"version\":1,\"iat\":1700000000,\"exp\":1700007200}"},
        {.name = "video: unknown keys are ignored and the last duplicate wins",
         .path = video_path,
         .body =
             R"({"meetingNumber":"1","role":1,"sessionName":"x","sessionName":"s","role":0,"extra":[{}]})",
         .video = usable,
         .payload = attendee_s},
        {.name = "video: the default lifetime and iat-backdate apply",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .settings =
             [](Settings& settings) {
                 default_3600(settings);
                 backdate(settings);
             },
         .video = usable,
         .payload = R"({"app_key":"videoKEY","role_type":0,"tpc":"s","version":1,"iat":1699999880,)"
                    R"("exp":1700003480})"},
        // ---- 400: the video sample's validators, reasons and order ----
        {.name = "video: {} lacks role, then sessionName",
         .path = video_path,
         .body = "{}",
         .video = usable,
         .status = 400,
         .errors = {{"role", std::string(required_reason)}, {"sessionName", std::string(required_reason)}}},
        {.name = "video: an empty body without Content-Type is {}",
         .path = video_path,
         .content_type = std::nullopt,
         .video = usable,
         .status = 400,
         .errors = {{"role", std::string(required_reason)}, {"sessionName", std::string(required_reason)}}},
        {.name = "video: null counts as present, and is of no type",
         .path = video_path,
         .body = R"({"role":null,"sessionName":null,"geoRegions":null,"videoWebRtcMode":null})",
         .video = usable,
         .status = 400,
         .errors = {{"role", number_reason("null")},
                    {"sessionName", string_reason("null")},
                    {"geoRegions", "Value null not allowed, must be of type string or string array"},
                    {"videoWebRtcMode", number_reason("null")}}},
        {.name = "video: role 2",
         .path = video_path,
         .body = R"({"role":2,"sessionName":"s"})",
         .video = usable,
         .status = 400,
         .errors = {{"role", zero_one_reason("2")}}},
        {.name = "video: sessionName of 201 characters",
         .path = video_path,
         .body = R"({"role":0,"sessionName":")" + std::string(201, 'n') + R"("})",
         .video = usable,
         .status = 400,
         .errors = {{"sessionName", length_reason(201, 200)}}},
        {.name = "video: sessionName of 101 characters beyond U+FFFF is 202 code units",
         .path = video_path,
         .body = R"({"role":0,"sessionName":")" + cars + "\U0001F697" + R"("})",
         .video = usable,
         .status = 400,
         .errors = {{"sessionName", length_reason(202, 200)}}},
        {.name = "video: userIdentity 36, userKey 37 and sessionKey 37 are each one too long",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","userIdentity":")" + std::string(36, 'i') +
             R"(","userKey":")" + std::string(37, 'k') + R"(","sessionKey":")" + std::string(37, 's') +
             R"("})",
         .video = usable,
         .status = 400,
         .errors = {{"userIdentity", length_reason(36, 35)},
                    {"userKey", length_reason(37, 36)},
                    {"sessionKey", length_reason(37, 36)}}},
        {.name = "video: a number where a string belongs",
         .path = video_path,
         .body = R"({"role":0,"sessionName":5,"sessionKey":{"a":1}})",
         .video = usable,
         .status = 400,
         .errors = {{"sessionName", string_reason("5")}, {"sessionKey", string_reason("of type object")}}},
        {.name = "video: geoRegions naming an unknown region",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":"US, X X"})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions", regions_reason("US,XX")}}},
        {.name = "video: geoRegions are upper case, as in the sample",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":["us"]})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions", regions_reason("us")}}},
        {.name = "video: geoRegions without any item",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":" , ,"})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions", "Property defined, but not value(s) were present"}}},
        {.name = "video: geoRegions as an empty array",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":[]})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions", "Property defined, but not value(s) were present"}}},
        {.name = "video: geoRegions as an array holding a number",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":["US",1]})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions",
                     "Value of type array not allowed, must be of type string or string array"}}},
        {.name = "video: a long list of unknown regions is quoted cut short",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","geoRegions":")" + std::string(60, 'Z') + R"("})",
         .video = usable,
         .status = 400,
         .errors = {{"geoRegions", regions_reason(std::string(40, 'Z') + "...")}}},
        {.name = "video: expirationSeconds 1799",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","expirationSeconds":1799})",
         .video = usable,
         .status = 400,
         .errors = {{"expirationSeconds", std::string(range_reason)}}},
        {.name = "video: every property wrong at once, in the sample's order",
         .path = video_path,
         .body =
             R"({"audioWebRtcMode":2,"audioCompatibleMode":2,"videoWebRtcMode":2,"telemetryTrackingId":5,)"
             R"("cloudRecordingTranscriptOption":4,"cloudRecordingElection":3,"cloudRecordingOption":2,)"
             R"("geoRegions":"x","sessionKey":3,"userKey":2,"userIdentity":1,"expirationSeconds":10,)"
             R"("sessionName":1,"role":5})",
         .video = usable,
         .status = 400,
         .errors = {{"role", zero_one_reason("5")},
                    {"sessionName", string_reason("1")},
                    {"expirationSeconds", std::string(range_reason)},
                    {"userIdentity", string_reason("1")},
                    {"userKey", string_reason("2")},
                    {"sessionKey", string_reason("3")},
                    {"geoRegions", regions_reason("x")},
                    {"cloudRecordingOption", zero_one_reason("2")},
                    {"cloudRecordingElection", zero_one_reason("3")},
                    {"cloudRecordingTranscriptOption", "Value is not valid. Got 4, expected 0,1,2"},
                    {"telemetryTrackingId", string_reason("5")},
                    {"videoWebRtcMode", zero_one_reason("2")},
                    {"audioCompatibleMode", zero_one_reason("2")},
                    {"audioWebRtcMode", zero_one_reason("2")}}},
        // ---- Better than the sample ----
        {.name = "video: role \"1abc\" is refused (the sample's parseInt reads 1)",
         .path = video_path,
         .body = R"({"role":"1abc","sessionName":"s"})",
         .video = usable,
         .status = 400,
         .errors = {{"role", decimal_reason("\"1abc\"")}}},
        {.name = "video: a fractional expirationSeconds is refused",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","expirationSeconds":1800.5})",
         .video = usable,
         .status = 400,
         .errors = {{"expirationSeconds", "Value 1800.5 not allowed, must be a whole number of seconds"}}},
        {.name = "video: telemetryTrackingId must be a string (the sample signs any type)",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","telemetryTrackingId":null})",
         .video = usable,
         .status = 400,
         .errors = {{"telemetryTrackingId", string_reason("null")}}},
        {.name = "video: cloudRecordingTranscriptOption is 0, 1 or 2",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"s","cloudRecordingTranscriptOption":"3"})",
         .video = usable,
         .status = 400,
         .errors = {{"cloudRecordingTranscriptOption", "Value is not valid. Got 3, expected 0,1,2"}}},
        {.name = "video: bad JSON is a JSON 400 with CORS",
         .path = video_path,
         .body = R"({"role":0,)",
         .video = usable,
         .status = 400,
         .errors = {starts("$body", not_json)},
         .present = {{"Access-Control-Allow-Origin", "*"}}},
        {.name = "video: a lone surrogate is refused",
         .path = video_path,
         .body = R"({"role":0,"sessionName":"\udc00"})",
         .video = usable,
         .status = 400,
         .errors = {starts("$body", not_json)}},
        {.name = "video: a top-level array is refused",
         .path = video_path,
         .body = R"([{"role":0,"sessionName":"s"}])",
         .video = usable,
         .status = 400,
         .errors = {{"$body", std::string(not_object)}}},
        {.name = "video: a form body is 415",
         .path = video_path,
         .content_type = "application/x-www-form-urlencoded",
         .body = "role=0&sessionName=s",
         .video = usable,
         .status = 415,
         .errors = {{"Content-Type", std::string(wrong_type)}}},
        {.name = "video: a body over the limit is 413",
         .path = video_path,
         .body = R"({"padding":"xxx"})",
         .settings = small_limit,
         .video = usable,
         .status = 413,
         .errors = {{"$body", "Body is larger than the limit of 16 bytes"}}},
        {.name = "video: GET is 405 with Allow",
         .method = "GET",
         .path = video_path,
         .content_type = std::nullopt,
         .video = usable,
         .status = 405,
         .errors = {{"$method", method_reason("GET", post_only)}},
         .present = {{"Allow", post_only}}},
        {.name = "video: a preflight names POST and OPTIONS",
         .method = "OPTIONS",
         .path = video_path,
         .content_type = std::nullopt,
         .video = usable,
         .status = 204,
         .present = {{"Access-Control-Allow-Methods", post_only}, {"Access-Control-Max-Age", "7200"}}},
        {.name = "video: a configured path",
         .path = "/video",
         .body = R"({"sessionName":"s","role":1})",
         .settings = other_video_path,
         .video = usable,
         .payload = host_s},
        // ---- Which endpoints exist ----
        {.name = "video: without a video credential the route is unknown",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1})",
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "video: without a video credential a preflight is 404 too",
         .method = "OPTIONS",
         .path = video_path,
         .content_type = std::nullopt,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "video: a configured but unavailable credential is 503",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1})",
         .video = VideoCredential::unavailable,
         .status = 503,
         .errors = {{"$credentials", std::string(video_unavailable)}}},
        {.name = "video: with only a video credential, the Meeting route is unknown",
         .body = R"({"meetingNumber":"1","role":0})",
         .video = usable,
         .no_meeting = true,
         .status = 404,
         .errors = {{"$path", std::string(no_endpoint)}}},
        {.name = "video: with only a video credential, videos are signed",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .video = usable,
         .no_meeting = true,
         .payload = attendee_s},
        {.name = "video: with both credentials, meetings are still signed with the meeting one",
         .body = R"({"meetingNumber":"1","role":0})",
         .video = usable,
         .payload = web_mn1_role0},
        {.name = "video: health reports both credentials",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .video = usable,
         .exact_body = R"({"status":"ok","credentials":{"meeting":"ok","video":"ok"}})"},
        {.name = "video: health reports the video credential alone",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .video = usable,
         .no_meeting = true,
         .exact_body = R"({"status":"ok","credentials":{"video":"ok"}})"},
        {.name = "video: health is 503 naming an unavailable video credential",
         .method = "GET",
         .path = "/health",
         .content_type = std::nullopt,
         .video = VideoCredential::unavailable,
         .status = 503,
         .errors = {{"$credentials", "The video signing credentials are unavailable"}}},
        // ---- The access options ----
        {.name = "video: require-user host refuses a host token without a user",
         .path = video_path,
         .body = R"({"sessionName":"s","role":"1"})",
         .settings = users_for_hosts,
         .video = usable,
         .status = 403,
         .errors = {{"role", std::string(host_reason)}}},
        {.name = "video: require-user host signs an attendee token",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .settings = users_for_hosts,
         .video = usable,
         .payload = attendee_s},
        {.name = "video: require-user host signs a host token for a user",
         .path = video_path,
         .body = R"({"sessionName":"s","role":1})",
         .settings = users_for_hosts,
         .video = usable,
         .remote_user = "ann",
         .payload = host_s},
        {.name = "video: require-user all refuses no user",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .settings = users_for_all,
         .video = usable,
         .status = 403,
         .errors = {{"$user", "Signing in is required; the web server did not authenticate this request"}}},
        {.name = "video: a bearer token is required",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .settings = bearer,
         .video = usable,
         .status = 401,
         .errors = {{"Authorization", "A valid bearer token is required (Authorization: Bearer TOKEN)"}},
         .present = {{"WWW-Authenticate", R"(Bearer realm="sdksign")"}}},
        {.name = "video: the bearer token is signed",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .headers = {{"AUTHORIZATION", "Bearer s3cr3t-bearer-token-for-the-router-table"}},
         .settings = bearer,
         .video = usable,
         .payload = attendee_s},
        {.name = "video: origin-check reject refuses another origin",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .headers = {{"ORIGIN", "https://evil.example"}},
         .settings = reject_origins,
         .video = usable,
         .status = 403,
         .errors = {{"Origin", "This origin may not request signatures"}}},
        {.name = "video: the meeting allow-list does not apply to sessions",
         .path = video_path,
         .body = R"({"sessionName":"s","role":0})",
         .settings = two_meetings,
         .video = usable,
         .payload = attendee_s},
    };
}

std::optional<std::string> header(const Response& response, std::string_view name) {
    const auto* value = response.find_header(name);
    return value ? std::optional<std::string>(*value) : std::nullopt;
}

std::string member_string(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) {
        return "<missing>";
    }
    return {it->value.GetString(), it->value.GetStringLength()};
}

void check_error_body(const Case& c, const Response& response) {
    BOOST_TEST_REQUIRE(!c.errors.empty()); // every error row says which errors it expects
    rapidjson::Document document;
    document.Parse(response.body.data(), response.body.size());
    BOOST_TEST_REQUIRE(!document.HasParseError());
    BOOST_TEST_REQUIRE(document.IsObject());
    BOOST_TEST(document.MemberCount() == 1U);
    BOOST_TEST_REQUIRE((document.HasMember("errors") && document["errors"].IsArray()));
    const auto& errors = document["errors"];
    BOOST_TEST_REQUIRE(errors.Size() == c.errors.size());
    for (rapidjson::SizeType i = 0; i < errors.Size(); ++i) {
        BOOST_TEST_CONTEXT("error " << i) {
            BOOST_TEST_REQUIRE(errors[i].IsObject());
            BOOST_TEST(errors[i].MemberCount() == 2U);
            BOOST_TEST(member_string(errors[i], "property") == c.errors[i].property);
            const auto reason = member_string(errors[i], "reason");
            if (c.errors[i].reason_is_prefix) {
                BOOST_TEST(reason.starts_with(c.errors[i].reason),
                           reason << " starts with " << c.errors[i].reason);
            } else {
                BOOST_TEST(reason == c.errors[i].reason);
            }
        }
    }
}

std::string hs256(std::string_view signed_part, std::string_view secret = sdk_secret) {
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
    mac->update(reinterpret_cast<const std::uint8_t*>(signed_part.data()), signed_part.size());
    const auto tag = mac->final();
    return sdksign::signing::encode_base64url({reinterpret_cast<const char*>(tag.data()), tag.size()});
}

/// `video`: the Video SDK endpoint answered, which signs with the video credential and, as the video sample,
/// answers the signature alone.
void check_token_body(const Case& c, const Response& response, bool video) {
    rapidjson::Document document;
    document.Parse(response.body.data(), response.body.size());
    BOOST_TEST_REQUIRE(!document.HasParseError());
    BOOST_TEST_REQUIRE(document.IsObject());
    BOOST_TEST(document.MemberCount() == (video ? 1U : 2U));
    const std::string token = member_string(document, "signature");
    // Byte for byte: the sample's key order and no spaces.
    if (video) {
        BOOST_TEST(response.body == R"({"signature":")" + token + R"("})");
    } else {
        BOOST_TEST(member_string(document, "sdkKey") == sdk_key);
        BOOST_TEST(response.body == R"({"signature":")" + token + R"(","sdkKey":"routerKEY"})");
    }

    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    BOOST_TEST_REQUIRE(second_dot != std::string::npos);
    BOOST_TEST(token.substr(0, first_dot) == sdksign::signing::hs256_header_segment);
    const auto payload =
        sdksign::signing::decode_base64url(token.substr(first_dot + 1, second_dot - first_dot - 1));
    BOOST_TEST_REQUIRE(payload.has_value());
    BOOST_TEST(*payload == c.payload);
    BOOST_TEST(token.substr(second_dot + 1) ==
               hs256(std::string_view(token).substr(0, second_dot), video ? video_secret : sdk_secret));
}

void check_case(const Case& c, sdksign::signing::TokenSigner& signer) {
    Settings settings;
    if (c.settings != nullptr) {
        c.settings(settings);
    }
    const FixedClock clock;
    const FixedCredentials credentials(
        c.no_credential ? nullptr : make_test_credential(), !c.no_meeting,
        c.video == VideoCredential::usable ? make_test_credential(video_key, video_secret) : nullptr,
        c.video != VideoCredential::none);
    Services services{settings, clock, credentials, signer};

    Request request;
    request.method = c.method;
    request.path = c.path;
    request.headers = c.headers;
    request.content_type = c.content_type;
    request.content_length =
        c.content_length ? c.content_length : (c.body.empty() ? std::nullopt : std::optional(c.body.size()));
    request.remote_addr = "192.0.2.1";
    request.remote_user = c.remote_user;
    request.body = c.body;
    request.body_too_large = c.body_too_large;
    request.body_incomplete = c.body_incomplete;

    const Response response = sdksign::app::route(request, services);

    BOOST_TEST(response.status == c.status);
    BOOST_TEST(sdksign::http::reason_phrase(response.status) != "Unknown", "status " << response.status);
    BOOST_TEST(response.omit_body == (c.method == "HEAD"));
    BOOST_TEST(!header(response, "X-Powered-By").has_value());

    // Never the secret, anywhere.
    BOOST_TEST(response.body.find(sdk_secret) == std::string::npos);
    BOOST_TEST(response.body.find(video_secret) == std::string::npos);
    for (const auto& [name, value] : response.headers) {
        BOOST_TEST(value.find(sdk_secret) == std::string::npos, "header " << name << " holds the secret");
        BOOST_TEST(value.find(video_secret) == std::string::npos, "header " << name << " holds the secret");
        BOOST_TEST(value.find_first_of("\r\n") == std::string::npos,
                   "header " << name << " holds a line break");
    }

    // CORS on every status.
    if (settings.allowed_origins.empty()) {
        BOOST_TEST(header(response, "Access-Control-Allow-Origin") == "*");
    } else {
        BOOST_TEST(header(response, "Vary").value_or("").starts_with("Origin"));
    }

    if (c.status == 204) {
        BOOST_TEST(response.body.empty());
        BOOST_TEST(header(response, "Allow") == header(response, "Access-Control-Allow-Methods"));
    } else {
        BOOST_TEST(header(response, "Content-Type") == json_type);
        BOOST_TEST(header(response, "Cache-Control") == "no-store");
        BOOST_TEST(header(response, "X-Content-Type-Options") == "nosniff");
    }

    if (c.status >= 400) {
        check_error_body(c, response);
    } else if (c.status == 200) {
        BOOST_TEST_REQUIRE(
            (!c.payload.empty() || !c.exact_body.empty())); // every 200 row says what it expects
        if (!c.payload.empty()) {
            check_token_body(c, response, request.path == settings.video_sign_path);
        }
    } else {
        BOOST_TEST(c.status == 204);
    }
    if (!c.exact_body.empty()) {
        BOOST_TEST(response.body == c.exact_body);
    }
    for (const auto& [name, value] : c.present) {
        BOOST_TEST(header(response, name) == value, "header " << name);
    }
    for (const auto name : c.absent) {
        BOOST_TEST(!header(response, name).has_value(), "header " << name << " must be absent");
    }
}

void check_table(std::string_view what, const std::vector<Case>& table, std::size_t minimum) {
    BOOST_TEST(table.size() >= minimum);
    BOOST_TEST_MESSAGE(what << ": " << table.size() << " cases");
    sdksign::signing::TokenSigner signer; // one signer for every row, as a worker thread has
    for (const auto& c : table) {
        BOOST_TEST_CONTEXT(c.name) {
            check_case(c, signer);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(router_cpp)

BOOST_AUTO_TEST_CASE(request_table) {
    check_table("router table", cases(), 60);
}

BOOST_AUTO_TEST_CASE(video_request_table) {
    check_table("router table, Video SDK", video_cases(), 40);
}

BOOST_AUTO_TEST_CASE(case_names_are_unique) {
    auto table = cases();
    const auto video = video_cases();
    table.insert(table.end(), video.begin(), video.end());
    for (std::size_t i = 0; i < table.size(); ++i) {
        for (std::size_t j = i + 1; j < table.size(); ++j) {
            BOOST_TEST(table[i].name != table[j].name);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_failing_credential_source_gives_a_500_json_body_with_cors) {
    const Settings settings;
    const FixedClock clock;
    const ThrowingCredentials credentials;
    sdksign::signing::TokenSigner signer;
    Services services{settings, clock, credentials, signer};
    Request request;
    request.method = "POST";
    request.path = "/";
    request.content_type = "application/json";
    request.body = "{}";
    const auto response = sdksign::app::route(request, services);
    BOOST_TEST(response.status == 500);
    BOOST_TEST(response.body ==
               R"({"errors":[{"property":"$server","reason":"Internal error; see the server log"}]})");
    BOOST_TEST(response.body.find("exploded") == std::string::npos); // no internals
    BOOST_TEST(header(response, "Access-Control-Allow-Origin") == "*");
    BOOST_TEST(header(response, "Content-Type") == json_type);
}

BOOST_AUTO_TEST_CASE(sdk_key_is_escaped_in_the_response) {
    const Settings settings;
    const FixedClock clock;
    const FixedCredentials credentials(make_test_credential("key\"with\\quote"));
    sdksign::signing::TokenSigner signer;
    Services services{settings, clock, credentials, signer};
    Request request;
    request.method = "POST";
    request.path = "/";
    request.content_type = "application/json";
    const auto response = sdksign::app::route(request, services);
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body.ends_with(R"(","sdkKey":"key\"with\\quote"})"));
    rapidjson::Document document;
    document.Parse(response.body.data(), response.body.size());
    BOOST_TEST_REQUIRE(!document.HasParseError());
    BOOST_TEST(member_string(document, "sdkKey") == "key\"with\\quote");
}

BOOST_AUTO_TEST_CASE(the_clock_is_read_per_request) {
    class SteppingClock final : public Clock {
    public:
        [[nodiscard]] std::int64_t now_seconds() const override { return value; }
        std::int64_t value = 1000000000;
    };
    const Settings settings;
    SteppingClock clock;
    const FixedCredentials credentials(make_test_credential());
    sdksign::signing::TokenSigner signer;
    Services services{settings, clock, credentials, signer};
    Request request;
    request.method = "POST";
    request.path = "/";
    for (const std::int64_t t : {std::int64_t{1000000000}, std::int64_t{2000000000}}) {
        clock.value = t;
        const auto response = sdksign::app::route(request, services);
        rapidjson::Document document;
        document.Parse(response.body.data(), response.body.size());
        BOOST_TEST_REQUIRE(!document.HasParseError());
        const std::string token = member_string(document, "signature");
        const auto first_dot = token.find('.');
        const auto payload =
            sdksign::signing::decode_base64url(token.substr(first_dot + 1, token.rfind('.') - first_dot - 1));
        BOOST_TEST_REQUIRE(payload.has_value());
        const auto i = std::to_string(t);
        const auto e = std::to_string(t + 7200);
        BOOST_TEST(*payload ==
                   R"({"appKey":"routerKEY","sdkKey":"routerKEY","iat":)" + i + R"(,"exp":)" + e +
                       R"(,"tokenExp":)" + e + "}");
    }
}

BOOST_AUTO_TEST_SUITE_END()
