// libFuzzer target: the whole request path below the gateways (router, content type, JSON parsing,
// validation, claims, signing, CORS) from fuzzer-chosen method, path, headers and body.
//
// The property checked for every input: the response is a well-formed HTTP response (a known status with a
// reason phrase, header values without line breaks), its body is a JSON object holding either "signature" or
// "errors", no status is 5xx (credentials are available here, so not even the documented 503), and the
// secret appears nowhere in it (unless the request itself carried that text to be echoed). A violation
// aborts, which libFuzzer reports as a crash with the input.
#include "app/clock.hpp"
#include "app/router.hpp"
#include "app/settings.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_source.hpp"
#include "http/response.hpp"
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

class FixedClock final : public sdksign::app::Clock {
public:
    [[nodiscard]] std::int64_t now_seconds() const override { return 1700000000; }
};

class FixedCredentials final : public sdksign::credentials::CredentialSource {
public:
    FixedCredentials()
        : credential_(sdksign::credentials::make_credential(
              "fuzzKEY", Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()))) { }
    [[nodiscard]] sdksign::credentials::CredentialPtr current(std::string_view /*name*/) const override {
        return credential_;
    }

private:
    sdksign::credentials::CredentialPtr credential_;
};

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
}

/// `echoes_secret`: the request itself carried the secret's text, which a response may legitimately echo
/// (an allowed Origin, requested header names); only then is the secret allowed in the response.
void check_response(const sdksign::http::Response& response, bool echoes_secret) {
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
        if (!echoes_secret && value.find(secret) != std::string::npos) {
            violated("the secret in a header");
        }
    }
    if (!echoes_secret && response.body.find(secret) != std::string::npos) {
        violated("the secret in the body");
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
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const FixedClock clock;
    static const FixedCredentials credentials;
    static sdksign::signing::TokenSigner signer;
    static const std::array<std::string_view, 8> methods{"POST", "GET",    "HEAD",  "OPTIONS",
                                                         "PUT",  "DELETE", "PATCH", ""};
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
    }
    const std::string method = input.ConsumeBool() ? std::string(input.PickValueInArray(methods))
                                                   : input.ConsumeRandomLengthString(16);
    const std::string path = input.ConsumeBool() ? std::string(input.ConsumeBool() ? "/" : "/health")
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
    request.headers = {{"ORIGIN", origin}, {"ACCESS_CONTROL_REQUEST_HEADERS", requested_headers}};
    if (has_content_type) {
        request.content_type = content_type;
    }
    request.content_length = lie_about_length ? body.size() + 1 : body.size();
    request.body_too_large = body.size() > settings.max_body_bytes;
    request.body_incomplete = lie_about_length;
    request.body = request.body_too_large ? std::string_view() : std::string_view(body);

    sdksign::app::Services services{settings, clock, credentials, signer};
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    check_response(sdksign::app::route(request, services), whole.find(secret) != std::string_view::npos);
    return 0;
}
