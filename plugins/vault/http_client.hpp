#pragma once
// One HTTP exchange with libcurl: no redirects followed, no retries (vault_client does both), TLS as
// configured (a CA folder read as the Go client reads it, the TLS server name sent and verified on every
// connection), or Vault Agent's unix socket. The connection is kept between calls. Everything received
// lands in wiped memory, up to max_answer_bytes.
// Proxies as Vault's Go client chooses them: VAULT_PROXY_ADDR / VAULT_HTTP_PROXY for every request, else
// https_proxy / HTTPS_PROXY, http_proxy and NO_PROXY / no_proxy, never for a loopback host, and never the
// upper-case HTTP_PROXY, which in a CGI process is the client's `Proxy:` header (httpoxy).
#include "errors.hpp"
#include "settings.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sdksign::vault {

struct HttpRequest {
    const char* method = "GET";
    std::string url;
    /// Sent as X-Vault-Token when not empty.
    std::string_view token;
    std::string_view namespace_name;
    /// JSON body for POST; may hold a secret (a login), so it is never copied.
    std::string_view body;
    std::chrono::milliseconds timeout{5000};
};

struct HttpResponse {
    long status = 0;
    WipedBuffer body;
    std::optional<long> retry_after_s;
    /// Absolute target of a redirect answer (its Location resolved against the request's URL), else empty.
    std::string redirect_url;
};

/// The largest answer read: Vault's default request limit (max_request_size), the most a KV secret can be.
constexpr std::size_t max_answer_bytes = std::size_t{32} << 20;

/// The request never got a usable HTTP answer.
class TransportError : public std::runtime_error {
public:
    /// tls_refused: the server ended the TLS handshake, or the connection right after it, as a server does
    /// when it wants a client certificate or rejects the one presented.
    enum class Kind { tls, tls_refused, bad_url, timeout, too_large, other };
    TransportError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) { }
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

/// localhost, 127.0.0.0/8 or ::1 (bracketed or not, or IPv4-mapped), as Go's proxy rules see loopback.
bool is_loopback_host(std::string_view host);

class HttpClient {
public:
    /// `address` (Settings::address) names Vault Agent's socket when it is unix://, which every request is
    /// then sent through, never through a proxy. `tls.server_name`, when set, is the name every https request
    /// sends and verifies, wherever it goes. `proxy` (Settings::proxy) overrides the standard variables,
    /// which are read here, once. Throws VaultError(SDKSIGN_E_CONFIG) for a CA folder it cannot use.
    HttpClient(const std::string& address, const TlsSettings& tls, const std::string& proxy);
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    HttpClient(HttpClient&&) = delete;
    HttpClient& operator=(HttpClient&&) = delete;
    ~HttpClient();

    /// Throws TransportError when no HTTP answer arrived.
    HttpResponse perform(const HttpRequest& request);

private:
    struct Handle;
    std::unique_ptr<Handle> handle_;
};

} // namespace sdksign::vault
