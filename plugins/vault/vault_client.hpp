#pragma once
// Vault's HTTP API as the official Go client speaks it: /v1/ routes, the X-Vault-* headers, retries on 412,
// 429, 5xx but 501 and transport errors (not TLS failures or refused handshakes, nor answers too large to
// read), Retry-After honoured, one redirect followed but
// never from https to http, and the whole exchange bounded by the caller's deadline.
#include "errors.hpp"
#include "http_client.hpp"
#include "settings.hpp"

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace sdksign::vault {

using Clock = std::chrono::steady_clock;

struct Reply {
    long status = 0;
    WipedBuffer body;
};

class VaultClient {
public:
    explicit VaultClient(const Settings& settings);

    /// Calls `/v1/<route>` and returns the final answer, whatever its status (the caller knows what each
    /// means for its route). Throws VaultError when no usable answer arrived before `deadline`: unreachable
    /// (SDKSIGN_E_UNAVAILABLE), TLS failure or bad address (SDKSIGN_E_CONFIG), refused redirect.
    Reply call(const char* method, const std::string& route, std::string_view token, std::string_view body,
               Clock::time_point deadline);

    /// Vault's address for messages, a password in it redacted.
    [[nodiscard]] const std::string& address() const noexcept { return address_; }

private:
    Reply call_once(const char* method, const std::string& route, std::string_view token,
                    std::string_view body, Clock::time_point deadline, long& retry_after_s);

    /// Redacted: only ever shown.
    std::string address_;
    std::string base_url_;
    std::string namespace_name_;
    std::chrono::milliseconds request_timeout_;
    int max_retries_;
    std::chrono::milliseconds retry_wait_;
    bool has_client_certificate_;
    /// Until when Vault asked (429 or 503 with Retry-After) not to be asked again.
    Clock::time_point quiet_until_{};
    HttpClient http_;
    std::minstd_rand jitter_;
};

/// Vault's error messages from an `{"errors":[...]}` body, unwrapped from Go's multierror wording and
/// joined with "; ", or "" when there are none. Vault's messages never contain the secrets it stores.
std::string error_text(std::string_view body);

/// `route` as a URL path, each `/`-separated segment percent-encoded as Go's url.URL.EscapedPath does, so a
/// `#`, `?`, space or `%` in a mount or secret path reaches Vault as part of that segment.
std::string encode_route(std::string_view route);

} // namespace sdksign::vault
