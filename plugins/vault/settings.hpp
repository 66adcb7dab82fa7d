#pragma once
// The provider's configuration: its options, with the VAULT_* environment variables Vault's own tools read
// as fallbacks. Every malformed value is refused here, at start-up, with a message naming its source.
#include <sdksign/provider.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace sdksign::vault {

enum class AuthMethod { token, approle, kubernetes };

struct TlsSettings {
    std::string ca_cert;
    std::string ca_path;
    std::string client_cert;
    std::string client_key;
    std::string server_name;
    bool skip_verify = false;
};

struct Settings {
    std::string address = "https://127.0.0.1:8200";
    std::string namespace_name;
    TlsSettings tls;
    std::chrono::milliseconds request_timeout{5000};
    int max_retries = 2;
    std::chrono::milliseconds retry_wait{1000};
    /// VAULT_PROXY_ADDR, else VAULT_HTTP_PROXY: the proxy for every request, loopback included, as the Go
    /// client's http.ProxyURL. Empty: the standard variables choose (http_client.hpp).
    std::string proxy;

    AuthMethod auth = AuthMethod::token;
    // A token given inline (option or VAULT_TOKEN) is a secret: it is wiped with the settings.
    std::string token;
    std::string token_file;
    std::string approle_mount = "approle";
    std::string role_id;
    std::string role_id_file;
    std::string secret_id;
    std::string secret_id_file;
    std::string kubernetes_mount = "kubernetes";
    std::string kubernetes_role;
    std::string kubernetes_token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    int kv_version = 2;
    std::string mount = "secret";
    std::string path = "sdksign/meeting";
    std::string video_path;
    std::string key_field = "key";
    std::string secret_field = "secret";
    std::chrono::seconds refresh_interval{300};

    Settings() = default;
    Settings(const Settings&) = delete;
    Settings& operator=(const Settings&) = delete;
    Settings(Settings&&) = default;
    Settings& operator=(Settings&&) = default;
    ~Settings();
};

/// The option table shown by `sdksign --help`, ended by a NULL name.
const sdksign_option_doc* option_docs() noexcept;

/// Builds the settings from the options and the environment; throws VaultError(SDKSIGN_E_CONFIG).
Settings parse_settings(const sdksign_option* options, std::size_t count);

/// "30s", "1m30s", "500ms", "2h" or plain seconds ("30"), as Vault's tools accept; nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

/// Go's strconv.ParseBool: 1, t, T, TRUE, true, True and the matching false spellings.
std::optional<bool> parse_bool(const std::string& text);

} // namespace sdksign::vault
