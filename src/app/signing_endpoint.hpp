#pragma once
// What the two signing endpoints (Meeting and Video SDK) do alike around their own body and claims: the
// checks before the body is parsed (size, completeness, content type), the 503 without a credential, the
// token's times, and the success body.
#include "app/access_control.hpp"
#include "app/request_body.hpp"
#include "app/router.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace sdksign::app {

/// 413 for a body over the limit, 400 for one cut short, 415 for a content type other than JSON in UTF-8
/// (an empty body needs none, as in the samples); nullopt: parse the body.
std::optional<http::Response> refuse_body(const http::Request& request, const Settings& settings);

/// The answer while the endpoint's credential is unavailable (503, property `$credentials`).
http::Response credentials_unavailable();

struct TokenTimes {
    std::int64_t iat = 0;
    std::int64_t exp = 0;
};

/// iat from the clock (moved back by --iat-backdate) and exp after the requested or default lifetime.
TokenTimes token_times(const Services& services, std::optional<std::int64_t> expiration_seconds);

/// 200 `{"signature":TOKEN}`, then `,"sdkKey":KEY` when `key_json` (a JSON string literal) is not empty.
http::Response signature_response(std::string_view token, std::string_view key_json);

/// A signing endpoint from end to end: the checks before the body, `parse` (the body to a TokenRequest or a
/// rejection), the access policy's refuse_token for that request, the credential named `credential`, then
/// `sign(credential, claims)` with the request's claims completed by iat and exp, which answers the token.
template<typename Claims, typename Parse, typename Sign>
http::Response answer_signing_request(const http::Request& request, Services& services, Parse parse,
                                      std::string_view credential, Sign sign) {
    if (auto refusal = refuse_body(request, services.settings)) {
        return std::move(*refusal);
    }
    std::variant<TokenRequest<Claims>, RequestRejection> parsed = parse(request.body);
    if (auto* rejection = std::get_if<RequestRejection>(&parsed)) {
        return error_response(rejection->status, rejection->errors);
    }
    const auto& valid = std::get<TokenRequest<Claims>>(parsed);
    if (auto refusal = refuse_token(request, services.settings, valid)) {
        return std::move(*refusal);
    }
    const auto snapshot = services.credentials.current(credential);
    if (!snapshot) {
        return credentials_unavailable();
    }
    Claims claims = valid.claims;
    const TokenTimes times = token_times(services, valid.expiration_seconds);
    claims.iat = times.iat;
    claims.exp = times.exp;
    return sign(snapshot, claims);
}

} // namespace sdksign::app
