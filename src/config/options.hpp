#pragma once
// sdksign's configuration: command line, then SDKSIGN_* environment variables, then an INI file, the first
// source to set an option winning. Provider options live in a section named after the provider
// (`[env] key-var = ...`, `--env.key-var`, `SDKSIGN_ENV__KEY_VAR`) and are checked against the options the
// provider documents.
#include "app/settings.hpp"
#include "credentials/process_hardening.hpp"
#include "credentials/provider_plugin.hpp"
#include "log/log.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::config {

/// What starts the name of every environment variable that sets an option; parse_options reads no other.
inline constexpr std::string_view environment_prefix = "SDKSIGN_";

/// The default configuration file; a missing default file is fine, a missing explicit one is an error.
inline constexpr const char* default_config_file = "/etc/sdksign/sdksign.conf";

enum class Command { serve, sign, check, help, version };

struct Options {
    Command command = Command::serve;
    /// Arguments after the subcommand (the request JSON for `sign`).
    std::vector<std::string> arguments;

    std::optional<std::string> listen;
    unsigned socket_mode = 0660;
    unsigned threads = 4;
    std::chrono::seconds shutdown_timeout{5};
    /// What a FastCGI peer may make the server wait for or hold (see gateway/connection_loop.hpp).
    std::size_t head_limit_bytes = 32768;
    std::chrono::seconds head_timeout{10};
    std::chrono::seconds idle_timeout{60};

    std::string provider = "env";
    std::filesystem::path provider_path;
    std::filesystem::path plugin_dir;
    std::chrono::milliseconds fetch_timeout{5000};
    /// Zero: follow the provider's refresh hint.
    std::chrono::milliseconds refresh_interval{0};
    /// How long the last good credential is served while refreshes fail.
    std::chrono::seconds stale_after{300};
    credentials::CoreDumps core_dumps = credentials::CoreDumps::off;
    /// Every `<section>.<name>` option, with the source that set it; checked by `provider_options`.
    std::map<std::string, std::pair<std::string, std::string>> section_options;

    app::Settings app;
    log::Level log_level = log::Level::info;
    std::filesystem::path config_file;
};

/// Parses everything but the provider's own options. `environment` holds "NAME=value" strings.
/// Throws ConfigError with one line that says what is wrong and where.
Options parse_options(const std::vector<std::string>& arguments, const std::vector<std::string>& environment);

/// The options of section `provider`, checked against the names the provider documents; an option in another
/// section, or an undocumented name, is a ConfigError.
std::vector<credentials::ProviderOption> provider_options(const Options& options, const std::string& provider,
                                                          const std::vector<sdksign_option_doc>& documented);

/// The --help text: every host option and, when given, the provider's options.
std::string help_text(const std::string& provider, const std::vector<sdksign_option_doc>& provider_docs);

/// Where the provider's shared object is: provider-path, or looked up by name.
std::filesystem::path provider_file(const Options& options);

} // namespace sdksign::config
