#include "vault_client.hpp"

#include "address.hpp"
#include "errors.hpp"
#include "json_answer.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace sdksign::vault {

namespace {

bool retryable_status(long status, std::string_view body) {
    if (status == 412 || status == 429 || (status >= 500 && status != 501)) {
        return true;
    }
    // For a few seconds after a KV mount is upgraded to version 2, reads answer this; it passes.
    return status == 400 &&
        body.find("Upgrading from non-versioned to versioned data") != std::string_view::npos;
}

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 307 || status == 308;
}

std::string milliseconds_text(Clock::duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) + " ms";
}

} // namespace

VaultClient::VaultClient(const Settings& settings)
    : address_(redacted_address(settings.address)), base_url_(request_base(settings.address)),
      namespace_name_(settings.namespace_name), request_timeout_(settings.request_timeout),
      max_retries_(settings.max_retries), retry_wait_(settings.retry_wait),
      has_client_certificate_(!settings.tls.client_cert.empty()),
      http_(settings.address, settings.tls, settings.proxy), jitter_(std::random_device{}()) { }

Reply VaultClient::call(const char* method, const std::string& route, std::string_view token,
                        std::string_view body, Clock::time_point deadline) {
    const auto started = Clock::now();
    const std::string where = "Vault at " + address_;
    // Vault asked for quiet with a Retry-After longer than a fetch could wait: no fetch asks before then.
    if (started < quiet_until_) {
        throw VaultError(
            SDKSIGN_E_UNAVAILABLE,
            where + " asked (Retry-After) not to be asked again for " +
                std::to_string(std::chrono::ceil<std::chrono::seconds>(quiet_until_ - started).count()) +
                " s more; waiting");
    }
    for (int attempt = 0;; ++attempt) {
        // Like go-retryablehttp's linear jitter: between n and 1.5 n times the base wait.
        const auto base = retry_wait_ * (attempt + 1);
        std::uniform_int_distribution<long long> spread(0, base.count() / 2);
        auto wait = base + std::chrono::milliseconds(spread(jitter_));
        std::string failure;
        try {
            long retry_after_s = -1;
            Reply reply = call_once(method, route, token, body, deadline, retry_after_s);
            if (retry_after_s >= 0 && (reply.status == 429 || reply.status == 503)) {
                quiet_until_ = Clock::now() + std::chrono::seconds(retry_after_s);
            }
            if (!retryable_status(reply.status, reply.body.view()) || attempt >= max_retries_) {
                return reply;
            }
            if (retry_after_s >= 0 && (reply.status == 429 || reply.status == 503)) {
                wait = std::chrono::seconds(retry_after_s);
            }
            // No time left for another try: this answer is the result.
            if (Clock::now() + wait >= deadline) {
                return reply;
            }
        } catch (const TransportError& e) {
            switch (e.kind()) {
            case TransportError::Kind::tls:
                throw VaultError(SDKSIGN_E_CONFIG,
                                 "TLS failure talking to " + where + ": " + e.what() +
                                     " (check ca-cert / VAULT_CACERT, the server name and "
                                     "the client certificate)");
            case TransportError::Kind::tls_refused:
                throw VaultError(SDKSIGN_E_CONFIG,
                                 where + " refused the TLS handshake (" + e.what() + "): " +
                                     (has_client_certificate_
                                          ? "it rejected the client certificate (client-cert / "
                                            "VAULT_CLIENT_CERT); is it signed by a CA Vault trusts?"
                                          : "it may need a client certificate (client-cert and client-key, "
                                            "or VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)"));
            case TransportError::Kind::bad_url:
                throw VaultError(SDKSIGN_E_CONFIG, "cannot use the address of " + where + ": " + e.what());
            case TransportError::Kind::too_large:
                // Asking again would download it again: the secret itself has to shrink.
                throw VaultError(SDKSIGN_E_INVALID,
                                 where + " answered more than 32 MiB for " + route +
                                     " (Vault's own request limit); not read and not asked again");
            case TransportError::Kind::timeout:
            case TransportError::Kind::other:
                failure = e.what();
                break;
            }
            if (attempt >= max_retries_ || Clock::now() + wait >= deadline) {
                throw VaultError(SDKSIGN_E_UNAVAILABLE,
                                 "cannot reach " + where + ": " + failure + " (" +
                                     std::to_string(attempt + 1) + (attempt == 0 ? " try" : " tries") +
                                     " in " + milliseconds_text(Clock::now() - started) + ")");
            }
        }
        std::this_thread::sleep_for(wait);
    }
}

Reply VaultClient::call_once(const char* method, const std::string& route, std::string_view token,
                             std::string_view body, Clock::time_point deadline, long& retry_after_s) {
    HttpRequest request;
    request.method = method;
    request.url = base_url_ + "/v1/" + encode_route(route);
    request.token = token;
    request.namespace_name = namespace_name_;
    request.body = body;
    for (int redirects = 0;; ++redirects) {
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (remaining.count() <= 0) {
            throw TransportError(TransportError::Kind::timeout, "deadline reached");
        }
        // A timeout of 0 is none of its own (as VAULT_CLIENT_TIMEOUT=0 in the Go client): the deadline bounds
        // it.
        request.timeout = request_timeout_.count() > 0 ? std::min(request_timeout_, remaining) : remaining;
        HttpResponse response = http_.perform(request);
        if (!is_redirect(response.status) || response.redirect_url.empty()) {
            retry_after_s = response.retry_after_s.value_or(-1);
            return Reply{response.status, std::move(response.body)};
        }
        if (redirects >= 1) {
            throw VaultError(SDKSIGN_E_UNAVAILABLE,
                             "Vault at " + address_ + " redirected more than once; following only one");
        }
        if (request.url.starts_with("https://") && !response.redirect_url.starts_with("https://")) {
            throw VaultError(SDKSIGN_E_UNAVAILABLE,
                             "Vault at " + address_ +
                                 " redirected from https to a plain http address; refused");
        }
        request.url = response.redirect_url;
    }
}

std::string error_text(std::string_view body) {
    WipedBuffer copy(body);
    rapidjson::Document document;
    parse_answer_in_place(document, copy.c_str());
    if (document.HasParseError() || !document.IsObject()) {
        return {};
    }
    const rapidjson::Value& root = std::as_const(document); // one iterator type on both sides
    const auto errors = root.FindMember("errors");
    if (errors == root.MemberEnd() || !errors->value.IsArray()) {
        return {};
    }
    std::string text;
    for (const auto& item : errors->value.GetArray()) {
        if (!item.IsString()) {
            continue;
        }
        std::string message(item.GetString(), item.GetStringLength());
        // "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n" -> "permission denied; invalid
        // token"
        if (const auto colon = message.find("occurred:"); colon != std::string::npos) {
            message = message.substr(colon + 9);
        }
        std::string flat;
        for (std::size_t i = 0; i < message.size(); ++i) {
            if (message.compare(i, 3, "\t* ") == 0) {
                if (!flat.empty()) {
                    flat += "; ";
                }
                i += 2;
            } else if (message[i] != '\n' && message[i] != '\t') {
                flat += message[i];
            }
        }
        if (!text.empty() && !flat.empty()) {
            text += "; ";
        }
        text += flat;
    }
    constexpr std::size_t longest = 300;
    if (text.size() > longest) {
        text.resize(longest);
        text += "...";
    }
    return text;
}

std::string encode_route(std::string_view route) {
    // Go's shouldEscape(c, encodePath): unreserved bytes and the sub-delimiters a path may hold stay as
    // they are; `/` is the separator the caller meant.
    constexpr std::string_view kept =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+,/:;=@";
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(route.size());
    for (const char c : route) {
        const auto byte = static_cast<unsigned char>(c);
        if (kept.find(c) != std::string_view::npos) {
            encoded.push_back(c);
        } else {
            encoded.push_back('%');
            encoded.push_back(hex[byte >> 4U]);
            encoded.push_back(hex[byte & 0x0FU]);
        }
    }
    return encoded;
}

} // namespace sdksign::vault
