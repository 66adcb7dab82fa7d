#pragma once
// sdksign's configuration as the program uses it. Where a value came from (command line, then SDKSIGN_*
// environment variables, then an INI file) is option_sources.hpp's business; what each option means, its
// range and its help are declared once in option_table.hpp. Every default is the initial value of the field
// an option goes to, here or in the part that uses it (app::Settings, gateway::FastcgiSettings): the table,
// --help and the generated reference read it from there.
//
// Provider options live in a section named after the provider (`[env] key-var = ...`, `--env.key-var`,
// `SDKSIGN_ENV__KEY_VAR`); the credentials part checks them against the options the provider documents.
#include "app/settings.hpp"
#include "credentials/refresh_policy.hpp"
#include "gateway/fastcgi_server.hpp"
#include "log/log.hpp"

#include <sdksign/provider.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdksign::config {

/// What starts the name of every environment variable that sets an option; parse_options reads no other.
inline constexpr std::string_view environment_prefix = "SDKSIGN_";

/// The default configuration file; a missing default file is fine, a missing explicit one is an error.
inline constexpr const char* default_config_file = "/etc/sdksign/sdksign.conf";

enum class Command { serve, sign, check, verify, help, version, reference };

/// What `--help-reference` prints: the configuration reference in Markdown, the sdksign(8) man page, or the
/// sdksign.conf(5) man page.
enum class ReferenceFormat { none, markdown, man, conf_man };

/// A provider as --help and the sdksign.conf(5) page document it: what its table says of itself.
struct ProviderDocs {
    /// The table's name, which is also the section of its options.
    std::string name;
    /// The shared object it was loaded from (--help shows it).
    std::string file;
    /// The table's one-line description; empty when it has none.
    std::string description;
    std::vector<sdksign_option_doc> options;
};

/// Every `<section>.<name>` option: its value and where it was set.
using SectionOptions = std::map<std::string, std::pair<std::string, std::string>>;

struct Options {
    Command command = Command::serve;
    /// Arguments after the subcommand (the request JSON for `sign`).
    std::vector<std::string> arguments;
    /// `sign --video`: the request is for the Video SDK endpoint.
    bool sign_video = false;
    /// `verify --json`: the report as one JSON object.
    bool verify_json = false;
    ReferenceFormat reference = ReferenceFormat::none;

    std::optional<std::string> listen;
    unsigned socket_mode = 0660;
    /// Worker threads, body and head limits, deadlines: what the FastCGI gateway is started with (its
    /// socket and peer list are filled in when it starts).
    gateway::FastcgiSettings fastcgi;

    std::string provider = "env";
    std::filesystem::path provider_path;
    std::filesystem::path plugin_dir;
    /// Fetch timeout, refresh interval and stale window, as the credential store takes them.
    credentials::RefreshPolicy refresh;
    /// False: no core file and a non-dumpable process (see process/hardening.hpp).
    bool core_dumps = false;
    /// Checked against the provider's documented options once it is loaded.
    SectionOptions section_options;

    app::Settings app;
    log::Level log_level = log::Level::info;
    std::filesystem::path config_file = default_config_file;
};

/// Parses everything but the provider's own options. `environment` holds "NAME=value" strings.
/// Throws ConfigError with one line that says what is wrong and where.
Options parse_options(const std::vector<std::string>& arguments, const std::vector<std::string>& environment);

/// The --help text: every host option and, when it could be loaded, the provider with its options.
std::string help_text(const std::optional<ProviderDocs>& provider);

/// The configuration reference (Markdown, docs/configuration.md), the sdksign(8) man page or the
/// sdksign.conf(5) man page, all made from the option table; the last also documents the section of each of
/// `providers` (the others ignore them).
std::string reference_text(ReferenceFormat format, const std::vector<ProviderDocs>& providers = {});

} // namespace sdksign::config
