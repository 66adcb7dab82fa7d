#include "settings.hpp"

#include "address.hpp"
#include "choice.hpp"
#include "errors.hpp"
#include "option_table.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <string_view>

namespace sdksign::vault {

namespace {

constexpr std::array<plugin::Choice<AuthMethod>, 3> auth_methods{
    {{"token", AuthMethod::token}, {"approle", AuthMethod::approle}, {"kubernetes", AuthMethod::kubernetes}}};

/// "5s" for whole seconds, else "1500ms": the form the option takes.
std::string duration_text(std::chrono::milliseconds duration) {
    return duration.count() % 1000 == 0 ? std::to_string(duration.count() / 1000) + "s"
                                        : std::to_string(duration.count()) + "ms";
}

/// Every option, once: its name, help and default (from a default Settings). parse_settings reads them, in
/// its own order and with their VAULT_* fallbacks; the table names what exists and documents it.
constexpr std::array<plugin::OptionSpec<Settings>, 29> option_specs{{
    {"address",
     "Vault URL, or unix:// and Vault Agent's socket path (else VAULT_AGENT_ADDR, then VAULT_ADDR)",
     [](const Settings& defaults) { return std::string(defaults.address); }, nullptr},
    {"namespace", "Vault Enterprise namespace, sent as X-Vault-Namespace (else VAULT_NAMESPACE)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"auth", "how to get a token: token, approle or kubernetes",
     [](const Settings& defaults) { return std::string(plugin::word_of(defaults.auth, auth_methods)); },
     nullptr},
    {"token", "Vault token (else VAULT_TOKEN); prefer token-file",
     [](const Settings&) { return std::string(); }, nullptr},
    {"token-file", "file holding the token, e.g. Vault Agent's sink; re-read when it changes",
     [](const Settings&) { return std::string(); }, nullptr},
    {"approle-mount", "mount of the AppRole auth method",
     [](const Settings& defaults) { return std::string(defaults.approle_mount); }, nullptr},
    {"role-id", "AppRole role id", [](const Settings&) { return std::string(); }, nullptr},
    {"role-id-file", "file holding the AppRole role id", [](const Settings&) { return std::string(); },
     nullptr},
    {"secret-id", "AppRole secret id; prefer secret-id-file", [](const Settings&) { return std::string(); },
     nullptr},
    {"secret-id-file", "file holding the AppRole secret id", [](const Settings&) { return std::string(); },
     nullptr},
    {"kubernetes-mount", "mount of the Kubernetes auth method",
     [](const Settings& defaults) { return std::string(defaults.kubernetes_mount); }, nullptr},
    {"kubernetes-role", "Vault role for the Kubernetes login", [](const Settings&) { return std::string(); },
     nullptr},
    {"kubernetes-token-file", "service account token presented at the Kubernetes login",
     [](const Settings& defaults) { return std::string(defaults.kubernetes_token_file); }, nullptr},
    {"kv-version", "version of the KV secrets engine: 1 or 2",
     [](const Settings& defaults) { return std::to_string(defaults.kv_version); }, nullptr},
    {"mount", "mount path of the KV secrets engine",
     [](const Settings& defaults) { return std::string(defaults.mount); }, nullptr},
    {"path", "secret path (below the mount) holding the Meeting SDK credential",
     [](const Settings& defaults) { return std::string(defaults.path); }, nullptr},
    {"video-path", "secret path holding the Video SDK credential (unset: no video credential)",
     [](const Settings& defaults) { return std::string(defaults.video_path); }, nullptr},
    {"key-field", "field of the secret holding the SDK key (client id)",
     [](const Settings& defaults) { return std::string(defaults.key_field); }, nullptr},
    {"secret-field", "field of the secret holding the SDK secret (client secret)",
     [](const Settings& defaults) { return std::string(defaults.secret_field); }, nullptr},
    {"refresh-interval", "how often to read the secret again (seconds or a duration like 5m)",
     [](const Settings& defaults) { return std::to_string(defaults.refresh_interval.count()); }, nullptr},
    {"ca-cert", "CA certificate file to verify Vault with (else VAULT_CACERT)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"ca-path", "directory whose every file holds PEM CA certificates (else VAULT_CAPATH)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"client-cert", "client certificate for mutual TLS (else VAULT_CLIENT_CERT)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"client-key", "key of the client certificate (else VAULT_CLIENT_KEY)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"tls-server-name", "name to send as SNI and verify (else VAULT_TLS_SERVER_NAME)",
     [](const Settings&) { return std::string(); }, nullptr},
    {"skip-verify", "do not verify Vault's certificate; never in production (else VAULT_SKIP_VERIFY)",
     [](const Settings& defaults) { return std::string(defaults.tls.skip_verify ? "true" : "false"); },
     nullptr},
    {"timeout",
     "bound on one HTTP request, e.g. 5s, 1.5s or 1m30s; 0: the fetch deadline alone (else "
     "VAULT_CLIENT_TIMEOUT)",
     [](const Settings& defaults) { return duration_text(defaults.request_timeout); }, nullptr},
    {"max-retries", "retries after a transient failure, within the fetch deadline (else VAULT_MAX_RETRIES)",
     [](const Settings& defaults) { return std::to_string(defaults.max_retries); }, nullptr},
    {"retry-wait-ms", "base wait before retry N: N to 1.5 N times this, unless Vault says Retry-After",
     [](const Settings& defaults) { return std::to_string(defaults.retry_wait.count()); }, nullptr},
}};

const plugin::OptionTable<Settings, option_specs.size()>& option_table() {
    static const plugin::OptionTable<Settings, option_specs.size()> table(option_specs);
    return table;
}

/// One configurable value: its option name and the environment variable it falls back to, if any.
struct Source {
    std::string_view option;
    std::string_view variable;
};

class Reader {
public:
    Reader(const sdksign_option* options, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = options[i].name;
            [[maybe_unused]] const auto& known = option_table().at(name); // throws for an unknown name
            options_[name] = options[i].value;
        }
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader(Reader&&) = delete;
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
        for (auto& [name, value] : options_) {
            wipe(value.data(), value.size());
        }
    }

    /// Whether the option itself was given (an empty value counts).
    [[nodiscard]] bool given(std::string_view option) const { return options_.contains(std::string(option)); }

    /// The value and where it came from ("option 'x'" or "VAULT_X"), or nothing when neither is set. A
    /// variable that is empty (or only blanks) counts as unset, as Vault's tools read `VAULT_ADDR=`.
    bool get(const Source& source, std::string& value, std::string& origin) const {
        if (const auto found = options_.find(std::string(source.option)); found != options_.end()) {
            value = found->second;
            origin = "option '" + std::string(source.option) + "'";
            return true;
        }
        if (!source.variable.empty()) {
            if (const char* env = std::getenv(std::string(source.variable).c_str());
                env != nullptr && !trimmed(env).empty()) {
                value = env;
                origin = std::string(source.variable);
                return true;
            }
        }
        return false;
    }

    void text(const Source& source, std::string& target) const {
        std::string origin;
        std::string value;
        if (get(source, value, origin)) {
            target = trimmed(value);
            wipe(value.data(), value.size());
        }
    }

    template<typename Parse> void parsed(const Source& source, const char* expected, Parse parse) const {
        std::string origin;
        std::string value;
        if (get(source, value, origin)) {
            if (!parse(std::string(trimmed(value)))) {
                throw VaultError(SDKSIGN_E_CONFIG, origin + ": '" + value + "' is not " + expected);
            }
        }
    }

private:
    std::map<std::string, std::string> options_;
};

bool parse_count(const std::string& text, int& target, int low, int high) {
    int value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < low || value > high) {
        return false;
    }
    target = value;
    return true;
}

/// Mounts and paths are written without surrounding slashes in requests; "/secret/" means "secret".
std::string without_slashes(const std::string& text) {
    const auto first = text.find_first_not_of('/');
    if (first == std::string::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of('/') - first + 1);
}

void require(bool condition, const std::string& message) {
    if (!condition) {
        throw VaultError(SDKSIGN_E_CONFIG, message);
    }
}

/// `value` (slashes already trimmed) names a path in Vault's API: an empty, `.` or `..` segment would be
/// dropped or resolved by libcurl or Vault and read some other path than the one written.
void require_segments(std::string_view option, const std::string& value) {
    std::string_view rest = value;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view segment = rest.substr(0, slash);
        require(!segment.empty() && segment != "." && segment != "..",
                "option '" + std::string(option) + "' (" + value +
                    ") has an empty, '.' or '..' segment; write the path itself");
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
}

} // namespace

Settings::~Settings() {
    wipe(token.data(), token.size());
    wipe(secret_id.data(), secret_id.size());
}

const sdksign_option_doc* option_docs() noexcept {
    return option_table().docs();
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
    // Vault's parseutil.ParseDurationSecond: a whole number is seconds; anything else is Go's
    // time.ParseDuration (numbers with fractions, each with a unit) or a number of days ("2d").
    if (text.empty()) {
        return std::nullopt;
    }
    // A year at most: no timeout or refresh interval is longer, and a longer one is a typing mistake.
    constexpr long long longest_s = 86400LL * 365;
    constexpr long double longest_ns = longest_s * 1e9L;
    if (text.find_first_not_of("0123456789") == std::string::npos) {
        if (text.size() > 9 || std::stoll(text) > longest_s) {
            return std::nullopt;
        }
        return std::chrono::seconds(std::stoll(text));
    }
    // Nanoseconds per unit: whole numbers, so that "0.1s" is 100 ms exactly once rounded.
    static const std::array<std::pair<std::string_view, long double>, 9> units = {{{"ns", 1},
                                                                                   {"us", 1e3L},
                                                                                   {"\u00b5s", 1e3L},
                                                                                   {"\u03bcs", 1e3L},
                                                                                   {"ms", 1e6L},
                                                                                   {"s", 1e9L},
                                                                                   {"m", 60e9L},
                                                                                   {"h", 3600e9L},
                                                                                   {"d", 86400e9L}}};
    const bool days = text.ends_with('d');
    long double total = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t whole = rest.find_first_not_of("0123456789");
        std::size_t number_end = whole;
        if (whole != std::string_view::npos && rest[whole] == '.') {
            number_end = rest.find_first_not_of("0123456789", whole + 1);
        }
        if (number_end == 0 || number_end == std::string_view::npos || (whole == 0 && number_end == 1)) {
            return std::nullopt;
        }
        const std::string number(rest.substr(0, number_end));
        rest.remove_prefix(number_end);
        const std::size_t unit_end = std::min(rest.find_first_of("0123456789."), rest.size());
        const std::string_view unit = rest.substr(0, unit_end);
        rest.remove_prefix(unit_end);
        const auto* const found =
            std::find_if(units.begin(), units.end(), [&](const auto& entry) { return entry.first == unit; });
        // Days only as the whole value ("2d"), as parseutil reads it, not inside a Go duration.
        if (found == units.end() || number.size() > 15 || (unit == "d") != days || (days && !rest.empty())) {
            return std::nullopt;
        }
        total += std::stold(number) * found->second;
        if (total > longest_ns) {
            return std::nullopt;
        }
    }
    return std::chrono::milliseconds(std::llround(total) / 1000000);
}

std::optional<bool> parse_bool(const std::string& text) {
    static const std::array<std::string_view, 6> yes = {"1", "t", "T", "TRUE", "true", "True"};
    static const std::array<std::string_view, 6> no = {"0", "f", "F", "FALSE", "false", "False"};
    for (const auto word : yes) {
        if (text == word) {
            return true;
        }
    }
    for (const auto word : no) {
        if (text == word) {
            return false;
        }
    }
    return std::nullopt;
}

Settings parse_settings(const sdksign_option* options, std::size_t count) {
    const Reader read(options, count);
    Settings settings;

    read.text({"", "VAULT_ADDR"}, settings.address);
    read.text({"", "VAULT_AGENT_ADDR"}, settings.address);
    read.text({"address", ""}, settings.address);
    require(is_vault_address(settings.address),
            "the Vault address '" + redacted_address(settings.address) +
                "' (option 'address', VAULT_AGENT_ADDR or VAULT_ADDR) must start "
                "with https:// or http://, or be unix:// and a socket's absolute path");
    while (settings.address.ends_with('/')) {
        settings.address.pop_back();
    }
    // VAULT_PROXY_ADDR supersedes VAULT_HTTP_PROXY, as in the Go client's ReadEnvironment.
    read.text({"", "VAULT_HTTP_PROXY"}, settings.proxy);
    read.text({"", "VAULT_PROXY_ADDR"}, settings.proxy);
    // Not quoted: a proxy URL may carry a password.
    require(settings.proxy.empty() || settings.proxy.find("://") != std::string::npos,
            "the proxy in VAULT_PROXY_ADDR or VAULT_HTTP_PROXY must be a URL such as http://proxy:3128");
    read.text({"namespace", "VAULT_NAMESPACE"}, settings.namespace_name);
    settings.namespace_name = without_slashes(settings.namespace_name);

    read.text({"ca-cert", "VAULT_CACERT"}, settings.tls.ca_cert);
    read.text({"ca-path", "VAULT_CAPATH"}, settings.tls.ca_path);
    read.text({"client-cert", "VAULT_CLIENT_CERT"}, settings.tls.client_cert);
    read.text({"client-key", "VAULT_CLIENT_KEY"}, settings.tls.client_key);
    read.text({"tls-server-name", "VAULT_TLS_SERVER_NAME"}, settings.tls.server_name);
    require(settings.tls.client_cert.empty() == settings.tls.client_key.empty(),
            "a client certificate needs its key and a key its certificate (client-cert and client-key, or "
            "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY): both or neither");
    read.parsed({"skip-verify", "VAULT_SKIP_VERIFY"}, "a boolean (true or false)", [&](const std::string& v) {
        const auto value = parse_bool(v);
        settings.tls.skip_verify = value.value_or(false);
        return value.has_value();
    });
    read.parsed({"timeout", "VAULT_CLIENT_TIMEOUT"}, "a duration such as 5s, 1.5s, 1m30s or 1500ms",
                [&](const std::string& v) {
                    const auto value = parse_duration(v);
                    settings.request_timeout = value.value_or(settings.request_timeout);
                    return value.has_value();
                });
    // Any count, as the Go client takes; the fetch deadline bounds the tries whatever it says.
    read.parsed({"max-retries", "VAULT_MAX_RETRIES"}, "a whole number, 0 or more", [&](const std::string& v) {
        return parse_count(v, settings.max_retries, 0, std::numeric_limits<int>::max());
    });
    read.parsed({"retry-wait-ms", ""}, "a number of milliseconds from 0 to 60000", [&](const std::string& v) {
        int value = 0;
        const bool ok = parse_count(v, value, 0, 60000);
        settings.retry_wait = std::chrono::milliseconds(value);
        return ok;
    });

    std::string auth(plugin::word_of(settings.auth, auth_methods));
    read.text({"auth", ""}, auth);
    settings.auth = plugin::choose("auth", auth, auth_methods);
    read.text({"token", ""}, settings.token);
    read.text({"token-file", ""}, settings.token_file);
    // An option wins over its variable: with either token option given, VAULT_TOKEN is not read.
    if (!read.given("token") && !read.given("token-file")) {
        read.text({"", "VAULT_TOKEN"}, settings.token);
    }
    read.text({"approle-mount", ""}, settings.approle_mount);
    read.text({"role-id", ""}, settings.role_id);
    read.text({"role-id-file", ""}, settings.role_id_file);
    read.text({"secret-id", ""}, settings.secret_id);
    read.text({"secret-id-file", ""}, settings.secret_id_file);
    read.text({"kubernetes-mount", ""}, settings.kubernetes_mount);
    read.text({"kubernetes-role", ""}, settings.kubernetes_role);
    read.text({"kubernetes-token-file", ""}, settings.kubernetes_token_file);
    settings.approle_mount = without_slashes(settings.approle_mount);
    settings.kubernetes_mount = without_slashes(settings.kubernetes_mount);
    require_segments("approle-mount", settings.approle_mount);
    require_segments("kubernetes-mount", settings.kubernetes_mount);

    switch (settings.auth) {
    case AuthMethod::token:
        require(settings.token.empty() || settings.token_file.empty(),
                "give the token one way: option 'token' or option 'token-file', not both");
        break;
    case AuthMethod::approle:
        require(!settings.approle_mount.empty(), "option 'approle-mount' is empty");
        require(settings.role_id.empty() != settings.role_id_file.empty(),
                "auth = approle needs exactly one of the options 'role-id' and 'role-id-file'");
        require(settings.secret_id.empty() || settings.secret_id_file.empty(),
                "give the AppRole secret id one way: option 'secret-id' or option 'secret-id-file'");
        break;
    case AuthMethod::kubernetes:
        require(!settings.kubernetes_mount.empty(), "option 'kubernetes-mount' is empty");
        require(!settings.kubernetes_role.empty(), "auth = kubernetes needs the option 'kubernetes-role'");
        require(!settings.kubernetes_token_file.empty(), "option 'kubernetes-token-file' is empty");
        break;
    }

    read.parsed({"kv-version", ""}, "1 or 2",
                [&](const std::string& v) { return parse_count(v, settings.kv_version, 1, 2); });
    read.text({"mount", ""}, settings.mount);
    read.text({"path", ""}, settings.path);
    read.text({"video-path", ""}, settings.video_path);
    read.text({"key-field", ""}, settings.key_field);
    read.text({"secret-field", ""}, settings.secret_field);
    settings.mount = without_slashes(settings.mount);
    settings.path = without_slashes(settings.path);
    settings.video_path = without_slashes(settings.video_path);
    require_segments("mount", settings.mount);
    require_segments("path", settings.path);
    require_segments("video-path", settings.video_path);
    require(!settings.mount.empty(), "option 'mount' is empty");
    require(!settings.path.empty(), "option 'path' is empty");
    require(!settings.key_field.empty() && !settings.secret_field.empty(),
            "options 'key-field' and 'secret-field' must not be empty");
    read.parsed({"refresh-interval", ""}, "a duration of at least one second, such as 300 or 5m",
                [&](const std::string& v) {
                    const auto value = parse_duration(v);
                    settings.refresh_interval = std::chrono::duration_cast<std::chrono::seconds>(
                        value.value_or(settings.refresh_interval));
                    return value.has_value() && *value >= std::chrono::seconds(1);
                });
    return settings;
}

} // namespace sdksign::vault
