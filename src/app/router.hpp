#pragma once
// The router: a pure function from a request (and the clock, credentials and settings) to a response. It
// owns the HTTP contract: routes, methods, content types, limits, CORS and the error shape.
#include "app/clock.hpp"
#include "app/settings.hpp"
#include "credentials/credential_source.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "signing/token_signer.hpp"

namespace sdksign::app {

/// What a request is handled with. `signer` belongs to the calling thread.
struct Services {
    const Settings& settings;
    const Clock& clock;
    const credentials::CredentialSource& credentials;
    signing::TokenSigner& signer;
};

/// Never throws: an unexpected failure becomes a 500 JSON body (and a log line).
http::Response route(const http::Request& request, Services& services) noexcept;

} // namespace sdksign::app
