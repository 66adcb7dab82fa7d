#include "http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <utility>

namespace sdksign::vault {

namespace {

// Vault's answers are small; anything larger is not a Vault answer worth reading.
constexpr std::size_t max_body_bytes = std::size_t{1} << 20;

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

void add_header(Slist& list, std::string_view name, std::string_view value) {
    WipedBuffer line;
    line.append(name);
    // "Name:" with nothing after it tells curl to leave that header out.
    line.append(":");
    if (!value.empty()) {
        line.append(" ");
        line.append(value);
    }
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) {
        throw std::bad_alloc();
    }
    static_cast<void>(list.release());
    list.reset(grown);
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

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* exchange = static_cast<Exchange*>(user);
    const std::size_t bytes = size * count;
    const std::string_view line(data, bytes);
    constexpr std::string_view name = "retry-after:";
    if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0) {
        std::string_view value = line.substr(name.size());
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
            value.remove_prefix(1);
        }
        long seconds = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        // Only the delay-seconds form: an HTTP date is rare from Vault and the backoff covers it.
        if (ec == std::errc() && ptr != value.data() && seconds >= 0) {
            exchange->response.retry_after_s = seconds;
        }
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
    default:
        return TransportError::Kind::other;
    }
}

struct UrlCleanup {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

struct CurlFree {
    void operator()(char* text) const noexcept { curl_free(text); }
};

/// The URL's scheme and host as libcurl reads them; empty when it cannot (curl_easy_perform then says why).
std::pair<std::string, std::string> scheme_and_host(const std::string& url) {
    const std::unique_ptr<CURLU, UrlCleanup> parsed(curl_url());
    if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        return {};
    }
    const auto part = [&](CURLUPart which) {
        char* raw = nullptr;
        if (curl_url_get(parsed.get(), which, &raw, 0) != CURLUE_OK || raw == nullptr) {
            return std::string();
        }
        const std::unique_ptr<char, CurlFree> owned(raw);
        return std::string(owned.get());
    };
    return {part(CURLUPART_SCHEME), part(CURLUPART_HOST)};
}

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
    Slist connect_to;
    std::string vault_proxy;
    // libcurl would read its own set (ALL_PROXY too, lower-case first); each request names its proxy instead.
    std::string https_proxy = first_variable({"HTTPS_PROXY", "https_proxy"});
    std::string http_proxy = first_variable({"http_proxy"});
    std::string no_proxy = first_variable({"NO_PROXY", "no_proxy"});
};

HttpClient::HttpClient(const TlsSettings& tls, const std::string& connect_to, const std::string& proxy)
    : handle_(std::make_unique<Handle>()) {
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
    set(curl, CURLOPT_WRITEFUNCTION, on_body);
    set(curl, CURLOPT_HEADERFUNCTION, on_header);
    if (!tls.ca_cert.empty()) {
        set(curl, CURLOPT_CAINFO, tls.ca_cert.c_str());
    }
    if (!tls.ca_path.empty()) {
        set(curl, CURLOPT_CAPATH, tls.ca_path.c_str());
    }
    if (!tls.client_cert.empty()) {
        set(curl, CURLOPT_SSLCERT, tls.client_cert.c_str());
        set(curl, CURLOPT_SSLKEY, tls.client_key.c_str());
    }
    if (tls.skip_verify) {
        set(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        set(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!connect_to.empty()) {
        handle_->connect_to.reset(curl_slist_append(nullptr, connect_to.c_str()));
        if (!handle_->connect_to) {
            throw std::bad_alloc();
        }
        set(curl, CURLOPT_CONNECT_TO, handle_->connect_to.get());
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
    set(curl, CURLOPT_URL, request.url.c_str());
    // Chosen per request: a redirect may change the scheme or the host. An empty CURLOPT_PROXY means no
    // proxy and an empty CURLOPT_NOPROXY no exceptions, whatever the environment says.
    const auto [scheme, host] = scheme_and_host(request.url);
    if (!handle_->vault_proxy.empty()) {
        set(curl, CURLOPT_PROXY, handle_->vault_proxy.c_str());
        set(curl, CURLOPT_NOPROXY, "");
    } else if (is_loopback_host(host)) {
        set(curl, CURLOPT_PROXY, "");
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
    set(curl, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    if (post) {
        set(curl, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
        set(curl, CURLOPT_POSTFIELDSIZE, -1L);
    }
    if (code != CURLE_OK) {
        if (exchange.too_large) {
            throw TransportError(TransportError::Kind::other, "answer larger than 1 MiB");
        }
        const std::string detail = error[0] != '\0' ? error.data() : curl_easy_strerror(code);
        throw TransportError(kind_of(code), detail);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.response.status);
    const char* redirect = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect != nullptr) {
        exchange.response.redirect_url = redirect;
    }
    return std::move(exchange.response);
}

} // namespace sdksign::vault
