// libFuzzer target: a gateway's reading of a request body against CONTENT_LENGTH (src/gateway/
// body_reader.cpp, as the CGI and FastCGI gateways configure it), from fuzzer-chosen params (lengths,
// duplicates, missing, malformed or huge values) and a body stream shorter or longer than declared,
// delivered in short reads, then routed through app::route like a real request.
//
// The input: one byte choosing the gateway (even: FastCGI, odd: CGI, which reads a body without a length
// only when HTTP_TRANSFER_ENCODING is set), one for the body limit (1 + 4 * byte), one for the largest read
// (0: as much as asked), the params as NUL-separated NAME=value entries ended by an empty one, then the
// bytes the web server sends as the body. The properties:
// - never a crash or undefined behaviour;
// - the reader never reads past the declared length, without one never more than one byte past the limit
//   (but for the CGI gateway dropping an over-limit body), and keeps at most the limit, exactly the bytes
//   that arrived first;
// - a body cut short of its declared length, or a malformed length, is never signed: 400 from the signing
//   endpoint; a body over the limit (declared, or found by reading) is never signed: 413;
// - every response is a well-formed JSON answer, never a 5xx, never the secret;
// - a signed body is exactly as long as declared.
// A violation aborts, which libFuzzer reports as a crash with the input.
#include "app/router.hpp"
#include "app/settings.hpp"
#include "chunked_source.hpp"
#include "fixed_services.hpp"
#include "fuzz_support.hpp"
#include "gateway/body_reader.hpp"
#include "gateway/cgi_variables.hpp"
#include "http/response.hpp"
#include "signing/token_signer.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view secret = "fuzz-body-secret-never-in-a-response-3Jd";
/// As the CGI gateway drops an over-limit body (cgi_gateway.cpp).
constexpr std::size_t cgi_max_discarded_bytes = std::size_t{64} << 20;

using sdksign::fuzz::FixedClock;
using sdksign::fuzz::FixedCredentials;
using sdksign::fuzz::violated;

/// The body as the web server sends it, in reads of at most `largest_read` bytes (0: no bound), counting
/// what the reader took.
class ScriptedBody final : public sdksign::test::ChunkedSource {
public:
    using ChunkedSource::ChunkedSource;

    std::size_t read_some(char* into, std::size_t size) override {
        if (size == 0) {
            violated("a read of zero bytes (indistinguishable from the end of the body)");
        }
        return ChunkedSource::read_some(into, size);
    }
};

struct Input {
    bool cgi = false;
    std::size_t limit = 1;
    std::size_t largest_read = 0;
    std::vector<std::string> params;
    std::string_view body;
};

Input split(std::string_view data) {
    Input input;
    if (data.size() < 3) {
        return input;
    }
    input.cgi = (static_cast<unsigned char>(data[0]) & 1U) != 0;
    input.limit = 1 + std::size_t{4} * static_cast<unsigned char>(data[1]);
    input.largest_read = static_cast<unsigned char>(data[2]);
    data.remove_prefix(3);
    for (;;) {
        const auto end = data.find('\0');
        if (end == 0) {
            data.remove_prefix(1);
            input.body = data;
            return input;
        }
        input.params.emplace_back(data.substr(0, end));
        if (end == std::string_view::npos) {
            return input; // no body
        }
        data.remove_prefix(end + 1);
    }
}

/// `echoes_secret`: the request itself carried the secret's text, which a response may legitimately echo
/// (requested header names in a preflight answer); only then is the secret allowed in the response.
void check_well_formed(const sdksign::http::Response& response, bool echoes_secret) {
    if (sdksign::http::reason_phrase(response.status) == "Unknown") {
        violated("a status without a reason phrase");
    }
    if (response.status >= 500) {
        violated("a 5xx status");
    }
    if (!echoes_secret && response.body.find(secret) != std::string::npos) {
        violated("the secret in the body");
    }
    for (const auto& [name, value] : response.headers) {
        if (!echoes_secret && value.find(secret) != std::string::npos) {
            violated("the secret in a header");
        }
    }
    if (response.status == 204) {
        return;
    }
    rapidjson::Document body;
    body.Parse(response.body.data(), response.body.size());
    if (body.HasParseError() || !body.IsObject() ||
        !(body.HasMember("signature") || body.HasMember("errors") || body.HasMember("status"))) {
        violated("a body that is not a JSON answer");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const FixedClock clock;
    static const FixedCredentials credentials(secret);
    static sdksign::signing::TokenSigner signer;

    const Input input = split(std::string_view(reinterpret_cast<const char*>(data), size));
    std::vector<const char*> variables;
    variables.reserve(input.params.size() + 1);
    bool transfer_encoding = false;
    for (const auto& param : input.params) {
        variables.push_back(param.c_str());
        // getenv's view of it: set, whatever the value.
        transfer_encoding = transfer_encoding || param.starts_with("HTTP_TRANSFER_ENCODING=");
    }
    variables.push_back(nullptr);

    sdksign::http::Request request;
    sdksign::gateway::fill_request_from_variables(variables.data(), request);
    const bool malformed_length = request.body_incomplete;
    const std::optional<std::size_t> declared = request.content_length;

    // The limits each gateway reads with (cgi_gateway.cpp, fastcgi_server.cpp).
    sdksign::gateway::BodyLimits limits;
    limits.max_body_bytes = input.limit;
    limits.read_undeclared = !input.cgi || transfer_encoding;
    limits.max_discarded_bytes = input.cgi ? cgi_max_discarded_bytes : 0;
    ScriptedBody source(input.body, input.largest_read);
    std::string storage;
    sdksign::gateway::read_request_body(source, limits, storage, request);

    const std::size_t sent = input.body.size();
    const std::size_t limit = input.limit;
    if (request.body.size() > limit) {
        violated("more than the limit kept");
    }
    if (input.body.substr(0, request.body.size()) != request.body) {
        violated("the body kept is not the bytes that arrived first");
    }
    if (declared && source.taken() > *declared) {
        violated("read past the declared length");
    }
    if (!declared && source.taken() > limit + 1 && !(input.cgi && request.body_too_large)) {
        violated("read more than one byte past the limit without a declared length");
    }
    if (!declared && !limits.read_undeclared && source.taken() != 0) {
        violated("a CGI body read without CONTENT_LENGTH or Transfer-Encoding");
    }
    const bool cut_short = declared && *declared <= limit && sent < *declared;
    const bool over_limit = declared ? *declared > limit : limits.read_undeclared && sent > limit;
    if (cut_short && !request.body_incomplete) {
        violated("a body cut short not marked incomplete");
    }
    if (over_limit != request.body_too_large) {
        violated("body_too_large is not whether the body is over the limit");
    }
    if (request.body_incomplete && !cut_short && !malformed_length) {
        violated("a whole body marked incomplete");
    }

    sdksign::app::Settings settings;
    settings.max_body_bytes = limit;
    sdksign::app::Services services{settings, clock, credentials, signer};
    const sdksign::http::Response response = sdksign::app::route(request, services);
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    check_well_formed(response, whole.find(secret) != std::string_view::npos);
    const bool signed_it = response.status == 200 && response.body.find("\"signature\"") != std::string::npos;
    if (signed_it && (request.body_incomplete || request.body_too_large)) {
        violated("a body cut short, malformed or over the limit was signed");
    }
    if (signed_it && declared && request.body.size() != *declared) {
        violated("a signed body is not as long as declared");
    }
    if (request.method == "POST" && request.path == settings.sign_path) {
        if (request.body_too_large && response.status != 413) {
            violated("an over-limit body did not get 413");
        }
        if (!request.body_too_large && request.body_incomplete && response.status != 400) {
            violated("a body cut short or malformed did not get 400");
        }
    }
    return 0;
}
