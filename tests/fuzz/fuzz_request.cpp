// libFuzzer target: the whole request path below the gateways (router, content type, JSON parsing,
// validation, claims, signing, CORS) from fuzzer-chosen method, path, headers and body, for both signing
// endpoints (Meeting SDK on /, Video SDK on /videosdk) and the health endpoint.
//
// The property checked for every input: the response is a well-formed HTTP response (a known status with a
// reason phrase, header values without line breaks), its body is a JSON object holding either "signature" or
// "errors", no status is 5xx (credentials are available here, so not even the documented 503), and the
// secret appears nowhere in it (unless the request itself carried that text to be echoed). The access policy
// (origin check, REMOTE_USER, bearer token, meeting allow-list) is chosen by the fuzzer too, and a signature
// must only come out when the policy admits the request: the right bearer token, a user where one is
// required, a meeting number on the list (for a Meeting SDK token; a Video SDK session has no number). A
// violation aborts, which libFuzzer reports as a crash with the input.
#include "app/router.hpp"
#include "app/settings.hpp"
#include "fixed_services.hpp"
#include "fuzz_support.hpp"
#include "http/response.hpp"
#include "signing/base64url.hpp"
#include "signing/token_signer.hpp"

#include <rapidjson/document.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view secret = "fuzz-secret-never-in-a-response-7Qz";
constexpr std::string_view bearer_token = "fuzz-bearer-token-0123456789abcdef";

using sdksign::fuzz::FixedClock;
using sdksign::fuzz::FixedCredentials;
using sdksign::fuzz::violated;

/// What the policy must have seen in a request that got a signature.
struct Admission {
    bool bearer_required = false;
    bool bearer_presented = false;
    bool user_required_for_all = false;
    bool user_required_for_hosts = false;
    bool has_user = false;
    bool meeting_list = false;
};

/// The JWT payload of a signature, decoded.
std::string payload_of(std::string_view token) {
    const auto first = token.find('.');
    const auto last = token.rfind('.');
    if (first == std::string_view::npos || last == first) {
        violated("a signature that is not a JWT");
    }
    const auto payload = sdksign::signing::decode_base64url(token.substr(first + 1, last - first - 1));
    if (!payload) {
        violated("a JWT payload that is not base64url");
    }
    return *payload;
}

void check_admission(const rapidjson::Document& body, const Admission& admission) {
    if (admission.bearer_required && !admission.bearer_presented) {
        violated("a signature without the bearer token");
    }
    if (admission.user_required_for_all && !admission.has_user) {
        violated("a signature without the required user");
    }
    const std::string payload = payload_of(body["signature"].GetString());
    // Claims come in a fixed order, so a video token starts with app_key and states its role right after.
    const bool video = payload.starts_with(R"({"app_key":)");
    if (admission.user_required_for_hosts && !admission.has_user &&
        payload.find(video ? R"(,"role_type":1,)" : R"("role":1)") != std::string::npos) {
        violated("a host token without the required user");
    }
    if (admission.meeting_list && !video) {
        // The allow-list is the prefix 1234*, leading zeros not counting.
        const auto mn = payload.find(R"("mn":)");
        if (mn == std::string::npos) {
            violated("a token for every meeting while there is an allow-list");
        }
        auto digits = std::string_view(payload).substr(mn + 5);
        if (!digits.empty() && digits.front() == '"') {
            digits.remove_prefix(1);
        }
        while (digits.size() > 1 && digits.front() == '0') {
            digits.remove_prefix(1);
        }
        if (!digits.starts_with("1234")) {
            violated("a token for a meeting off the allow-list");
        }
    }
}

/// `echoes_secret`: the request itself carried the secret's text, which a response may legitimately echo
/// (an allowed Origin, requested header names); only then is the secret allowed in the response.
void check_response(const sdksign::http::Response& response, bool echoes_secret, const Admission& admission) {
    if (sdksign::http::reason_phrase(response.status) == "Unknown") {
        violated("a status without a reason phrase");
    }
    if (response.status >= 500) {
        violated("a 5xx status");
    }
    for (const auto& [name, value] : response.headers) {
        if (name.find_first_of("\r\n:") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            violated("a line break in a header");
        }
        if (!echoes_secret &&
            (value.find(secret) != std::string::npos || value.find(bearer_token) != std::string::npos)) {
            violated("the secret or the bearer token in a header");
        }
    }
    if (!echoes_secret &&
        (response.body.find(secret) != std::string::npos ||
         response.body.find(bearer_token) != std::string::npos)) {
        violated("the secret or the bearer token in the body");
    }
    if (response.status == 401 && response.find_header("WWW-Authenticate") == nullptr) {
        violated("a 401 without WWW-Authenticate");
    }
    if (response.status == 204) {
        if (!response.body.empty()) {
            violated("a body on 204");
        }
        return;
    }
    rapidjson::Document body;
    body.Parse(response.body.data(), response.body.size());
    if (body.HasParseError() || !body.IsObject()) {
        violated("a body that is not a JSON object");
    }
    const bool signature = body.HasMember("signature") && body["signature"].IsString();
    const bool errors = body.HasMember("errors") && body["errors"].IsArray() && !body["errors"].Empty();
    const bool health = body.HasMember("status");
    if (signature == errors && !health) {
        violated("a body with neither (or both) signature and errors");
    }
    if (signature && response.status != 200) {
        violated("a signature with a status other than 200");
    }
    if (signature) {
        check_admission(body, admission);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const FixedClock clock;
    static const FixedCredentials credentials(secret);
    static sdksign::signing::TokenSigner signer;
    static const std::array<std::string_view, 8> methods{"POST", "GET",    "HEAD",  "OPTIONS",
                                                         "PUT",  "DELETE", "PATCH", ""};
    static const std::array<std::string_view, 3> paths{"/", "/videosdk", "/health"};
    static const std::array<std::string_view, 6> types{"application/json",
                                                       "application/json; charset=utf-8",
                                                       "application/json; charset=latin1",
                                                       "text/plain",
                                                       "",
                                                       "APPLICATION/JSON"};

    FuzzedDataProvider input(data, size);
    sdksign::app::Settings settings;
    settings.max_body_bytes = input.ConsumeIntegralInRange<std::size_t>(1, 4096);
    if (input.ConsumeBool()) {
        settings.allowed_origins = {"https://app.example.com"};
        settings.access.origin_check =
            input.PickValueInArray({sdksign::app::OriginCheck::off, sdksign::app::OriginCheck::reject,
                                    sdksign::app::OriginCheck::strict});
    }
    static const auto bearer_digest = sdksign::app::bearer_token_digest(bearer_token);
    Admission admission;
    settings.access.require_user =
        input.PickValueInArray({sdksign::app::UserRequirement::none, sdksign::app::UserRequirement::host,
                                sdksign::app::UserRequirement::all});
    admission.user_required_for_all = settings.access.require_user == sdksign::app::UserRequirement::all;
    admission.user_required_for_hosts = settings.access.require_user == sdksign::app::UserRequirement::host;
    if (input.ConsumeBool()) {
        settings.access.bearer_token_digest = bearer_digest;
        admission.bearer_required = true;
    }
    if (input.ConsumeBool()) {
        settings.access.allowed_meetings = {{"1234", true}};
        admission.meeting_list = true;
    }
    const std::string remote_user = input.ConsumeBool() ? std::string() : input.ConsumeRandomLengthString(16);
    admission.has_user = !remote_user.empty();
    const std::string authorization =
        input.ConsumeBool() ? "Bearer " + std::string(bearer_token) : input.ConsumeRandomLengthString(64);
    const std::string method = input.ConsumeBool() ? std::string(input.PickValueInArray(methods))
                                                   : input.ConsumeRandomLengthString(16);
    const std::string path = input.ConsumeBool() ? std::string(input.PickValueInArray(paths))
                                                 : input.ConsumeRandomLengthString(64);
    const std::string content_type = input.ConsumeBool() ? std::string(input.PickValueInArray(types))
                                                         : input.ConsumeRandomLengthString(64);
    const std::string origin = input.ConsumeRandomLengthString(64);
    const std::string requested_headers = input.ConsumeRandomLengthString(64);
    const bool has_content_type = input.ConsumeBool();
    const bool lie_about_length = input.ConsumeBool();
    const std::string body = input.ConsumeRemainingBytesAsString();

    sdksign::http::Request request;
    request.method = method;
    request.path = path;
    request.headers = {{"ORIGIN", origin},
                       {"ACCESS_CONTROL_REQUEST_HEADERS", requested_headers},
                       {"AUTHORIZATION", authorization}};
    request.remote_user = remote_user;
    // Necessary for a signature whatever the scheme's spelling: the token itself was presented.
    admission.bearer_presented = authorization.find(bearer_token) != std::string::npos;
    if (has_content_type) {
        request.content_type = content_type;
    }
    request.content_length = lie_about_length ? body.size() + 1 : body.size();
    request.body_too_large = body.size() > settings.max_body_bytes;
    request.body_incomplete = lie_about_length;
    request.body = request.body_too_large ? std::string_view() : std::string_view(body);

    sdksign::app::Services services{settings, clock, credentials, signer};
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    const bool echoes =
        whole.find(secret) != std::string_view::npos || whole.find(bearer_token) != std::string_view::npos;
    check_response(sdksign::app::route(request, services), echoes, admission);
    return 0;
}
