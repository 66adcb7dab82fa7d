#include "http_client.hpp"

#include "address.hpp"
#include "ca_folder.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <mutex>
#include <utility>

namespace sdksign::vault {

namespace {

// A KV secret can be as large as Vault's default request limit (max_request_size, 32 MiB), and Vault's
// JSON escapes `<`, `>` and `&` to six bytes each, so a secret well under the limit can answer more than
// it. Larger answers are refused rather than held in memory.
constexpr std::size_t max_body_bytes = max_answer_bytes;

struct EasyCleanup {
    void operator()(CURL* curl) const noexcept { curl_easy_cleanup(curl); }
};

/// Header lists may hold the token: wiped before curl frees them.
struct SlistCleanup {
    void operator()(curl_slist* list) const noexcept {
        for (curl_slist* node = list; node != nullptr; node = node->next) {
            wipe(node->data, std::strlen(node->data));
        }
        curl_slist_free_all(list);
    }
};
using Slist = std::unique_ptr<curl_slist, SlistCleanup>;

void append_line(Slist& list, const char* line) {
    curl_slist* grown = curl_slist_append(list.get(), line);
    if (grown == nullptr) {
        throw std::bad_alloc();
    }
    static_cast<void>(list.release());
    list.reset(grown);
}

void add_header(Slist& list, std::string_view name, std::string_view value) {
    WipedBuffer line;
    line.append(name);
    // "Name:" with nothing after it tells curl to leave that header out.
    line.append(":");
    if (!value.empty()) {
        line.append(" ");
        line.append(value);
    }
    append_line(list, line.c_str());
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw TransportError(TransportError::Kind::other, "libcurl failed to initialise");
        }
    });
}

struct Exchange {
    HttpResponse response;
    bool too_large = false;
    /// The Location header as sent, resolved against the request's URL once the answer is in.
    std::string location;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* exchange = static_cast<Exchange*>(user);
    const std::size_t bytes = size * count;
    if (exchange->response.body.size() + bytes > max_body_bytes) {
        exchange->too_large = true;
        return 0;
    }
    try {
        exchange->response.body.append(data, bytes);
    } catch (...) {
        return 0;
    }
    return bytes;
}

/// A Retry-After value, delay-seconds or an HTTP date (RFC 9110 section 10.2.3), as seconds from now;
/// nullopt when it is neither.
std::optional<long> retry_after_seconds(std::string_view value) {
    long seconds = 0;
    const auto* end = value.data() + value.size();
    if (const auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
        ec == std::errc() && ptr == end && !value.empty()) {
        return seconds >= 0 ? std::optional<long>(seconds) : std::nullopt;
    }
    const std::string date(value);
    const std::time_t when = curl_getdate(date.c_str(), nullptr);
    if (when < 0) {
        return std::nullopt;
    }
    return std::max<long>(0, static_cast<long>(when - std::time(nullptr)));
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* exchange = static_cast<Exchange*>(user);
    const std::size_t bytes = size * count;
    const std::string_view line(data, bytes);
    const auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
        if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0) {
            return trimmed(line.substr(name.size()));
        }
        return std::nullopt;
    };
    try {
        if (const auto location = value_of("location:")) {
            exchange->location.assign(*location);
        } else if (const auto retry_after = value_of("retry-after:")) {
            exchange->response.retry_after_s = retry_after_seconds(*retry_after);
        }
    } catch (...) {
        return 0;
    }
    return bytes;
}

TransportError::Kind kind_of(CURLcode code) {
    switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        return TransportError::Kind::tls;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return TransportError::Kind::bad_url;
    case CURLE_OPERATION_TIMEDOUT:
        return TransportError::Kind::timeout;
    case CURLE_FILESIZE_EXCEEDED:
        return TransportError::Kind::too_large;
    default:
        return TransportError::Kind::other;
    }
}

/// Whether a failed https exchange was the server refusing the TLS handshake, before any byte of an
/// answer: an alert it sent (TLS 1.2 ends the handshake with one; TLS 1.3 sends "certificate required" or
/// "bad certificate" once the client thinks the handshake is done), or, when the request was already on
/// its way, a connection handshaken for this request and closed by the server before the request could
/// be sent ("Broken pipe", "Connection reset", or libcurl's getpeername() failing on it).
bool refused_handshake(CURL* curl, CURLcode code, const std::string& detail) {
    long header_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_HEADER_SIZE, &header_bytes);
    if (header_bytes != 0) {
        return false;
    }
    const bool alert = detail.find("alert") != std::string::npos;
    if (code == CURLE_SSL_CONNECT_ERROR || code == CURLE_RECV_ERROR) {
        return alert;
    }
    if (code != CURLE_SEND_ERROR) {
        return false;
    }
    long new_connections = 0;
    curl_off_t handshake_done_us = 0;
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections);
    curl_easy_getinfo(curl, CURLINFO_APPCONNECT_TIME_T, &handshake_done_us);
    return alert || (new_connections > 0 && handshake_done_us > 0);
}

struct UrlCleanup {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

struct CurlFree {
    void operator()(char* text) const noexcept { curl_free(text); }
};

/// A URL as libcurl reads it. Every part is empty when it cannot read it (curl_easy_perform then says why).
class ParsedUrl {
public:
    explicit ParsedUrl(const std::string& url)
        : url_(curl_url()),
          valid_(url_ && curl_url_set(url_.get(), CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) { }

    [[nodiscard]] std::string part(CURLUPart which, unsigned int flags = 0) const {
        char* raw = nullptr;
        if (!valid_ || curl_url_get(url_.get(), which, &raw, flags) != CURLUE_OK || raw == nullptr) {
            return {};
        }
        const std::unique_ptr<char, CurlFree> owned(raw);
        return {owned.get()};
    }

    /// `reference` resolved against this URL (an absolute one replaces it), as a browser resolves a
    /// redirect's Location; empty when it cannot.
    [[nodiscard]] std::string resolve(const std::string& reference) {
        if (!valid_ || curl_url_set(url_.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) {
            return {};
        }
        return part(CURLUPART_URL);
    }

    bool set_host(const std::string& host) {
        return valid_ && curl_url_set(url_.get(), CURLUPART_HOST, host.c_str(), 0) == CURLUE_OK;
    }

private:
    std::unique_ptr<CURLU, UrlCleanup> url_;
    bool valid_ = false;
};

/// The first of `names` set to something, as Go's getEnvAny.
std::string first_variable(std::initializer_list<const char*> names) {
    for (const char* name : names) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') {
            return value;
        }
    }
    return {};
}

template<typename Value> void set(CURL* curl, CURLoption option, Value value) {
    if (curl_easy_setopt(curl, option, value) != CURLE_OK) {
        throw TransportError(TransportError::Kind::other, "libcurl refused an option");
    }
}

} // namespace

bool is_loopback_host(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.size() == 9 && strncasecmp(host.data(), "localhost", 9) == 0) {
        return true;
    }
    const std::string text(host);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24U) == 127U;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127U);
    }
    return false;
}

struct HttpClient::Handle {
    std::unique_ptr<CURL, EasyCleanup> curl;
    std::string unix_socket;
    std::string server_name;
    std::string vault_proxy;
    // libcurl would read its own set (ALL_PROXY too, lower-case first); each request names its proxy instead.
    std::string https_proxy = first_variable({"HTTPS_PROXY", "https_proxy"});
    std::string http_proxy = first_variable({"http_proxy"});
    std::string no_proxy = first_variable({"NO_PROXY", "no_proxy"});
};

HttpClient::HttpClient(const std::string& address, const TlsSettings& tls, const std::string& proxy)
    : handle_(std::make_unique<Handle>()) {
    handle_->unix_socket = unix_socket_path(address);
    handle_->server_name = tls.server_name;
    handle_->vault_proxy = proxy;
    global_init();
    handle_->curl.reset(curl_easy_init());
    if (!handle_->curl) {
        throw TransportError(TransportError::Kind::other, "libcurl failed to make a handle");
    }
    CURL* curl = handle_->curl.get();
    set(curl, CURLOPT_NOSIGNAL, 1L);
    set(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    set(curl, CURLOPT_FOLLOWLOCATION, 0L);
    // Every connection, a redirect's too, goes to Vault Agent's socket, as the Go client's dialer does.
    if (!handle_->unix_socket.empty()) {
        set(curl, CURLOPT_UNIX_SOCKET_PATH, handle_->unix_socket.c_str());
    }
    set(curl, CURLOPT_WRITEFUNCTION, on_body);
    set(curl, CURLOPT_HEADERFUNCTION, on_header);
    // Refuses an answer whose Content-Length says it is too large before reading any of it.
    set(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_body_bytes));
    // As the Go client: a CA file, else a CA folder, replaces the system roots (no default CA path either);
    // the file wins when both are set.
    if (!tls.ca_cert.empty()) {
        set(curl, CURLOPT_CAINFO, tls.ca_cert.c_str());
        set(curl, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    } else if (!tls.ca_path.empty()) {
        std::string bundle = load_ca_folder(tls.ca_path);
        curl_blob blob{bundle.data(), bundle.size(), CURL_BLOB_COPY};
        set(curl, CURLOPT_CAINFO_BLOB, &blob);
        set(curl, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    }
    if (!tls.client_cert.empty()) {
        set(curl, CURLOPT_SSLCERT, tls.client_cert.c_str());
        set(curl, CURLOPT_SSLKEY, tls.client_key.c_str());
    }
    if (tls.skip_verify) {
        set(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        set(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::perform(const HttpRequest& request) {
    CURL* curl = handle_->curl.get();
    Exchange exchange;
    Slist headers;
    add_header(headers, "X-Vault-Request", "true");
    if (!request.token.empty()) {
        add_header(headers, "X-Vault-Token", request.token);
    }
    if (!request.namespace_name.empty()) {
        add_header(headers, "X-Vault-Namespace", request.namespace_name);
    }
    // curl would otherwise send "Expect: 100-continue" and wait for it on larger bodies.
    add_header(headers, "Expect", "");
    const bool post = std::strcmp(request.method, "POST") == 0;
    if (post) {
        add_header(headers, "Content-Type", "application/json");
    }
    std::array<char, CURL_ERROR_SIZE> error{};
    set(curl, CURLOPT_ERRORBUFFER, error.data());
    ParsedUrl url(request.url);
    const std::string scheme = url.part(CURLUPART_SCHEME);
    const std::string host = url.part(CURLUPART_HOST);
    // The TLS server name is sent and verified instead of the URL's host, as the Go client's ServerName:
    // libcurl takes both from its URL, so it gets that name there and CURLOPT_CONNECT_TO sends it where the
    // URL points, with the URL's own Host header. Requests go where the URL (or a redirect) says.
    Slist connect_to;
    std::string curl_url = request.url;
    if (!handle_->server_name.empty() && scheme == "https") {
        ParsedUrl named(request.url);
        const std::string port = url.part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
        const std::string written_port = url.part(CURLUPART_PORT);
        if (named.set_host(handle_->server_name)) {
            curl_url = named.part(CURLUPART_URL);
            add_header(headers, "Host", written_port.empty() ? host : host + ":" + written_port);
            append_line(connect_to, (handle_->server_name + ":" + port + ":" + host + ":" + port).c_str());
        }
    }
    set(curl, CURLOPT_URL, curl_url.c_str());
    set(curl, CURLOPT_CONNECT_TO, connect_to.get());
    // Chosen per request: a redirect may change the scheme or the host. An empty CURLOPT_PROXY means no
    // proxy and an empty CURLOPT_NOPROXY no exceptions, whatever the environment says. A unix socket never
    // goes through a proxy; a loopback host only through VAULT_PROXY_ADDR (or VAULT_HTTP_PROXY).
    const bool direct =
        !handle_->unix_socket.empty() || (handle_->vault_proxy.empty() && is_loopback_host(host));
    if (direct) {
        set(curl, CURLOPT_PROXY, "");
        set(curl, CURLOPT_NOPROXY, "");
    } else if (!handle_->vault_proxy.empty()) {
        set(curl, CURLOPT_PROXY, handle_->vault_proxy.c_str());
        set(curl, CURLOPT_NOPROXY, "");
    } else {
        set(curl, CURLOPT_PROXY,
            scheme == "https" ? handle_->https_proxy.c_str() : handle_->http_proxy.c_str());
        set(curl, CURLOPT_NOPROXY, handle_->no_proxy.c_str());
    }
    set(curl, CURLOPT_HTTPHEADER, headers.get());
    set(curl, CURLOPT_WRITEDATA, &exchange);
    set(curl, CURLOPT_HEADERDATA, &exchange);
    const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
    set(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    set(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    if (post) {
        set(curl, CURLOPT_POST, 1L);
        set(curl, CURLOPT_POSTFIELDS, request.body.data());
        set(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    } else {
        set(curl, CURLOPT_HTTPGET, 1L);
    }
    const CURLcode code = curl_easy_perform(curl);
    // The handle outlives this call: it must not keep pointers to the header list or the body.
    set(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    set(curl, CURLOPT_CONNECT_TO, static_cast<curl_slist*>(nullptr));
    set(curl, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    if (post) {
        set(curl, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
        set(curl, CURLOPT_POSTFIELDSIZE, -1L);
    }
    if (code != CURLE_OK) {
        if (exchange.too_large) {
            throw TransportError(TransportError::Kind::too_large, "the answer is larger than 32 MiB");
        }
        const std::string detail = error[0] != '\0' ? error.data() : curl_easy_strerror(code);
        if (scheme == "https" && refused_handshake(curl, code, detail)) {
            throw TransportError(TransportError::Kind::tls_refused, detail);
        }
        throw TransportError(kind_of(code), detail);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.response.status);
    // Against the request's own URL, not the one with the server name libcurl was given.
    if (!exchange.location.empty()) {
        exchange.response.redirect_url = url.resolve(exchange.location);
    }
    return std::move(exchange.response);
}

} // namespace sdksign::vault
