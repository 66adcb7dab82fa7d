#include "config/option_table.hpp"

#include "app/access_policy.hpp"
#include "app/cors.hpp"
#include "errors.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <sstream>
#include <utility>

namespace sdksign::config {

namespace po = boost::program_options;

namespace {

/// A row without its apply and default_text, which the builders below add.
OptionSpec row(std::string_view name, OptionKind kind, std::string_view value_name, std::string_view help,
               std::string_view when_unset = {}, char short_name = 0) {
    OptionSpec spec;
    spec.name = name;
    spec.short_name = short_name;
    spec.kind = kind;
    spec.value_name = value_name;
    spec.help = help;
    spec.when_unset = when_unset;
    return spec;
}

template<typename Field>
concept Duration = requires {
    typename Field::period;
};

/// A number of the option's unit into its field: a duration field takes the option's `Unit` (seconds,
/// milliseconds), any other field the number as it is.
template<typename Unit, typename Field> void store_number(Field& field, std::int64_t value) {
    if constexpr (Duration<Field>) {
        field = std::chrono::duration_cast<Field>(Unit(value));
    } else {
        field = static_cast<Field>(value);
    }
}

template<typename Unit, typename Field> std::int64_t load_number(const Field& field) {
    if constexpr (Duration<Field>) {
        return std::chrono::duration_cast<Unit>(field).count();
    } else {
        return static_cast<std::int64_t>(field);
    }
}

std::string number_text(std::int64_t value, int base) {
    std::array<char, 24> digits{};
    auto* const written = std::to_chars(digits.data(), digits.data() + digits.size(), value, base).ptr;
    std::string text = base == 8 ? "0" : "";
    text.append(digits.data(), written);
    return text;
}

/// Parsed as a 64-bit number whatever the field's type, so "-1" for an unsigned field is out of range
/// rather than wrapped.
std::int64_t checked_number(const SetOption& set, std::int64_t minimum, std::int64_t maximum, int base) {
    const std::string& text = set.values.front();
    std::int64_t parsed = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), parsed, base);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || parsed < minimum ||
        parsed > maximum) {
        std::ostringstream range;
        if (base == 8) {
            range << std::oct;
        }
        range << minimum << " and " << maximum;
        throw ConfigError(set.source.where + ": " + set.source.quote(text) + " is not " +
                          (base == 8 ? "an octal number" : "a whole number") + " between " + range.str());
    }
    return parsed;
}

/// A row for a whole number stored through `access` (a generic lambda giving the field of an Options).
template<typename Unit, typename Access>
OptionSpec number(std::string_view name, std::string_view value_name, std::int64_t minimum,
                  std::int64_t maximum, std::string_view help, Access access,
                  OptionKind kind = OptionKind::integer) {
    const int base = kind == OptionKind::octal ? 8 : 10;
    OptionSpec spec = row(name, kind, value_name, help);
    spec.minimum = minimum;
    spec.maximum = maximum;
    spec.apply = [=](Options& options, const SetOption& set) {
        store_number<Unit>(access(options), checked_number(set, minimum, maximum, base));
    };
    spec.default_text = [=](const Options& options) {
        return number_text(load_number<Unit>(access(options)), base);
    };
    return spec;
}

template<typename Access>
OptionSpec whole(std::string_view name, std::string_view value_name, std::int64_t minimum,
                 std::int64_t maximum, std::string_view help, Access access) {
    return number<std::int64_t>(name, value_name, minimum, maximum, help, access);
}

template<typename Access>
OptionSpec seconds(std::string_view name, std::int64_t minimum, std::int64_t maximum, std::string_view help,
                   Access access) {
    return number<std::chrono::seconds>(name, "SECONDS", minimum, maximum, help, access);
}

template<typename Access>
OptionSpec milliseconds(std::string_view name, std::int64_t minimum, std::int64_t maximum,
                        std::string_view help, Access access) {
    return number<std::chrono::milliseconds>(name, "MS", minimum, maximum, help, access);
}

/// A row whose value is one of `words`, each standing for a value of the field.
template<typename Value, typename Access>
OptionSpec choice(std::string_view name, std::string_view value_name, std::string_view help,
                  std::vector<std::pair<std::string_view, Value>> words, Access access) {
    OptionSpec spec = row(name, OptionKind::choice, value_name, help);
    for (const auto& word : words) {
        spec.choices.push_back(word.first);
    }
    spec.apply = [=](Options& options, const SetOption& set) {
        const std::string& text = set.values.front();
        const auto found =
            std::ranges::find(words, std::string_view(text), &std::pair<std::string_view, Value>::first);
        if (found == words.end()) {
            std::string names;
            for (const auto& word : words) {
                names += (names.empty() ? "" : ", ") + std::string(word.first);
            }
            throw ConfigError(set.source.where + ": " + set.source.quote(text) + " is not one of " + names);
        }
        access(options) = found->second;
    };
    spec.default_text = [=](const Options& options) {
        const auto found =
            std::ranges::find(words, access(options), &std::pair<std::string_view, Value>::second);
        return found == words.end() ? std::string() : std::string(found->first);
    };
    return spec;
}

/// A row whose text goes to a string or path field as it is, checked by `check` (given the text and its
/// source) first.
template<typename Access, typename Check>
OptionSpec text(std::string_view name, std::string_view value_name, std::string_view help,
                std::string_view when_unset, Access access, Check check) {
    OptionSpec spec = row(name, OptionKind::text, value_name, help, when_unset);
    spec.apply = [=](Options& options, const SetOption& set) {
        check(set.values.front(), set.source);
        access(options) = set.values.front();
    };
    spec.default_text = [=](const Options& options) {
        const auto& value = access(options);
        if constexpr (requires { value.string(); }) {
            return value.string();
        } else if constexpr (requires { value.value_or(""); }) {
            return std::string(value.value_or(""));
        } else {
            return std::string(value);
        }
    };
    return spec;
}

constexpr auto any_text = [](const std::string&, const Source&) {};

void starts_with_slash(const std::string& path, const Source& source) {
    if (path.empty() || path.front() != '/') {
        throw ConfigError(source.where + ": " + source.quote(path) + " must start with /");
    }
}

/// A row the table spells out itself: flags, lists, and text that becomes something else.
OptionSpec custom(OptionSpec spec, std::function<void(Options&, const SetOption&)> apply) {
    spec.apply = std::move(apply);
    spec.default_text = [](const Options&) { return std::string(); };
    return spec;
}

/// The words of a list option, each value (a repetition of the option) split at commas and blanks.
std::vector<std::string> list_words(const std::vector<std::string>& raw) {
    std::vector<std::string> words;
    for (const auto& value : raw) {
        std::string current;
        for (const char c : value + ",") {
            if (c != ',' && c != ' ' && c != '\t') {
                current.push_back(c);
            } else if (!current.empty()) {
                words.push_back(std::move(current));
                current.clear();
            }
        }
    }
    return words;
}

/// Each origin as browsers send it (https://A.Example.com:443 becomes https://a.example.com), or the
/// allow-list would hold an entry that can never match.
std::vector<std::string> split_origins(const SetOption& set) {
    std::vector<std::string> origins;
    for (const auto& word : list_words(set.values)) {
        auto origin = app::canonical_origin(word);
        if (!origin) {
            throw ConfigError(set.source.where + ": " + set.source.quote(word) +
                              " is not an origin like https://app.example.com (no path, no *)");
        }
        origins.push_back(std::move(*origin));
    }
    return origins;
}

std::vector<app::MeetingRule> meeting_rules(const SetOption& set) {
    std::vector<app::MeetingRule> rules;
    for (const auto& word : list_words(set.values)) {
        auto rule = app::parse_meeting_rule(word);
        if (!rule) {
            throw ConfigError(set.source.where + ": " + set.source.quote(word) +
                              " is not a meeting number (digits) or a prefix of one (digits then *)");
        }
        rules.push_back(std::move(*rule));
    }
    if (rules.empty()) {
        throw ConfigError(set.source.where + ": the list of meetings is empty");
    }
    return rules;
}

std::vector<OptionSpec> make_table() {
    using app::OriginCheck;
    using app::UserRequirement;
    // clang-format off
    return {
        custom(row("help", OptionKind::flag, "", "show this help and exit", "", 'h'),
               [](Options& o, const SetOption&) { o.command = Command::help; }),
        custom(row("version", OptionKind::flag, "", "show the version and exit"),
               [](Options& o, const SetOption&) { o.command = Command::version; }),
        custom(row("json", OptionKind::flag, "", "verify: print the report as one JSON object"),
               [](Options& o, const SetOption&) { o.verify_json = true; }),
        [] {
            auto spec = choice<ReferenceFormat>(
                "help-reference", "FORMAT",
                "print the configuration reference and exit: markdown (docs/configuration.md), man (the "
                "sdksign(8) page) or conf-man (the sdksign.conf(5) page, with a section for each provider "
                "file given as an argument)",
                {{"markdown", ReferenceFormat::markdown},
                 {"man", ReferenceFormat::man},
                 {"conf-man", ReferenceFormat::conf_man}},
                [](auto& o) -> auto& { return o.reference; });
            spec.apply = [apply = spec.apply](Options& o, const SetOption& set) {
                apply(o, set);
                o.command = Command::reference;
            };
            return spec;
        }(),
        text("config", "FILE", "configuration file (INI)", "",
             [](auto& o) -> auto& { return o.config_file; }, any_text),
        text("listen", "ADDRESS",
             "serve FastCGI on a socket of our own: HOST:PORT (127.0.0.1:9000, [::1]:9000) or a unix socket "
             "path; without it, serve the socket on fd 0 (mod_fcgid, lighttpd, spawn-fcgi) or run as CGI",
             "the socket on fd 0, or CGI",
             [](auto& o) -> auto& { return o.listen; },
             [](const std::string& address, const Source& source) {
                 if (address.empty()) {
                     throw ConfigError(source.where + ": the address is empty");
                 }
             }),
        number<std::int64_t>("socket-mode", "MODE", 0, 0777, "permissions of a unix socket made by --listen, octal",
                             [](auto& o) -> auto& { return o.socket_mode; }, OptionKind::octal),
        whole("threads", "N", 1, 256, "FastCGI worker threads",
              [](auto& o) -> auto& { return o.fastcgi.threads; }),
        seconds("shutdown-timeout", 1, 60, "seconds to let in-flight requests finish after SIGTERM",
                [](auto& o) -> auto& { return o.fastcgi.shutdown_timeout; }),
        whole("head-limit-bytes", "N", 1024, 1048576,
              "largest FastCGI request head (the request's variables and headers) a peer may send; web "
              "servers send 1-4 KiB; a larger one is refused and its connection closed",
              [](auto& o) -> auto& { return o.fastcgi.connections.max_head_bytes; }),
        seconds("head-timeout", 1, 300,
                "seconds a FastCGI peer may take to send a whole request head, and again its body and "
                "reading the answer; then its connection is closed",
                [](auto& o) -> auto& { return o.fastcgi.connections.head_timeout; }),
        seconds("idle-timeout", 1, 3600,
                "seconds a connection kept open by the web server (nginx fastcgi_keep_conn) may wait for its "
                "next request",
                [](auto& o) -> auto& { return o.fastcgi.connections.idle_timeout; }),
        text("provider", "NAME",
             "credential provider, loaded by name from the plugin folder as NAME.so (which must give itself "
             "that name); its options are in section [NAME]",
             "",
             [](auto& o) -> auto& { return o.provider; }, any_text),
        text("provider-path", "FILE",
             "load the credential provider from this file instead (third-party providers); its options are in "
             "the section of the name it gives itself (see --help --provider-path FILE)",
             "the provider by name", [](auto& o) -> auto& { return o.provider_path; }, any_text),
        text("plugin-dir", "DIR", "look for providers only in this folder",
             "next to the executable, then ../lib/sdksign, then the install folder relative to it, then the "
             "compiled-in install folder",
             [](auto& o) -> auto& { return o.plugin_dir; }, any_text),
        milliseconds("fetch-timeout-ms", 1, 60000, "bound on one credential fetch",
                     [](auto& o) -> auto& { return o.refresh.fetch_timeout; }),
        milliseconds("refresh-interval-ms", 0, 86400000,
                     "milliseconds between credential refreshes in FastCGI mode; 0 follows the provider's hint "
                     "(file: 2 s, vault: its refresh-interval, env: never)",
                     [](auto& o) -> auto& { return o.refresh.refresh_interval; }),
        seconds("stale-after", 0, 86400,
                "seconds to keep serving the last good credential while refreshes fail; then 503 until one "
                "succeeds",
                [](auto& o) -> auto& { return o.refresh.stale_after; }),
        whole("max-body-bytes", "N", 1, 16777216, "largest request body accepted (413 beyond)",
              [](auto& o) -> auto& { return o.app.max_body_bytes; }),
        custom(row("cors-origin", OptionKind::list, "ORIGIN",
                   "allow only this origin to read responses (repeat, or separate with commas), kept as "
                   "browsers send it (https://A.Example.com:443 is https://a.example.com)",
                   "any origin, Access-Control-Allow-Origin: *"),
               [](Options& o, const SetOption& set) { o.app.allowed_origins = split_origins(set); }),
        seconds("cors-max-age", 0, 86400, "seconds a browser may cache a preflight answer",
                [](auto& o) -> auto& { return o.app.cors_max_age_seconds; }),
        seconds("iat-backdate", 0, 3600, "seconds to set iat in the past for clients whose clocks run behind",
                [](auto& o) -> auto& { return o.app.iat_backdate_seconds; }),
        seconds("default-expiration", 1800, 172800, "token lifetime in seconds when the request gives none",
                [](auto& o) -> auto& { return o.app.default_expiration_seconds; }),
        text("sign-path", "PATH", "path of the Meeting SDK signing endpoint below the mount point", "",
             [](auto& o) -> auto& { return o.app.sign_path; }, starts_with_slash),
        text("video-sign-path", "PATH",
             "path of the Video SDK signing endpoint below the mount point (served when the provider has a "
             "video credential)",
             "", [](auto& o) -> auto& { return o.app.video_sign_path; }, starts_with_slash),
        text("health-path", "PATH", "path of the health endpoint below the mount point", "",
             [](auto& o) -> auto& { return o.app.health_path; }, starts_with_slash),
        choice<OriginCheck>("origin-check", "MODE",
                            "with cors-origin: off answers other origins without CORS headers (as the sample); "
                            "reject refuses (403) a request or preflight from an origin not on the list; strict "
                            "also refuses one without Origin",
                            {{"off", OriginCheck::off}, {"reject", OriginCheck::reject},
                             {"strict", OriginCheck::strict}},
                            [](auto& o) -> auto& { return o.app.access.origin_check; }),
        choice<UserRequirement>("require-user", "WHO",
                                "need a user authenticated by the web server (REMOTE_USER): host for host "
                                "tokens (role 1) only, all for every token; else 403",
                                {{"none", UserRequirement::none}, {"host", UserRequirement::host},
                                 {"all", UserRequirement::all}},
                                [](auto& o) -> auto& { return o.app.access.require_user; }),
        custom(row("bearer-token-file", OptionKind::text, "FILE",
                   "need Authorization: Bearer TOKEN, TOKEN being the file's one line (16-4096 characters of "
                   "A-Z a-z 0-9 -._~+/=); else 401",
                   "no token"),
               [](Options& o, const SetOption& set) {
                   const std::string& path = set.values.front();
                   try {
                       // The path is a value like any other: shown only when it did not come from a file.
                       o.app.access.bearer_token_digest = app::bearer_token_digest_from_file(
                           path, set.source.from_file ? std::string_view("the file it names") : path);
                   } catch (const ConfigError& e) {
                       throw ConfigError(set.source.where + ": " + e.what());
                   }
               }),
        custom(row("allowed-meetings", OptionKind::list, "LIST",
                   "sign only for these meeting numbers (repeat, or separate with commas; 857* is a prefix); a "
                   "request without meetingNumber is refused too (403)",
                   "any meeting"),
               [](Options& o, const SetOption& set) { o.app.access.allowed_meetings = meeting_rules(set); }),
        choice<bool>("core-dumps", "MODE",
                     "off: no core file and a non-dumpable process (other processes of the user cannot read its "
                     "memory); on: the system's defaults, for debugging (a core file then holds the secret)",
                     {{"off", false}, {"on", true}}, [](auto& o) -> auto& { return o.core_dumps; }),
        choice<log::Level>("log-level", "LEVEL", "the least important log lines to write",
                           {{"debug", log::Level::debug}, {"info", log::Level::info}, {"warn", log::Level::warn},
                            {"error", log::Level::error}},
                           [](auto& o) -> auto& { return o.log_level; }),
    };
    // clang-format on
}

/// What --help shows after the help text: the accepted values and the default.
std::string help_line(const OptionSpec& spec) {
    std::string line(spec.help);
    if (const auto accepted = accepted_values(spec); !accepted.empty()) {
        line += " (" + accepted + ")";
    }
    if (const auto fallback = default_of(spec); !fallback.empty()) {
        line += " [default: " + fallback + "]";
    } else if (!spec.when_unset.empty()) {
        line += " [unset: " + std::string(spec.when_unset) + "]";
    }
    return line;
}

} // namespace

const std::vector<OptionSpec>& option_table() {
    static const std::vector<OptionSpec> table = make_table();
    return table;
}

const OptionSpec* find_option(std::string_view name) {
    const auto& table = option_table();
    const auto found = std::ranges::find(table, name, &OptionSpec::name);
    return found == table.end() ? nullptr : &*found;
}

std::string accepted_values(const OptionSpec& spec) {
    switch (spec.kind) {
    case OptionKind::integer:
        return std::to_string(spec.minimum) + "-" + std::to_string(spec.maximum);
    case OptionKind::octal:
        return number_text(spec.minimum, 10) + "-" + number_text(spec.maximum, 8).substr(1);
    case OptionKind::choice: {
        std::string names;
        for (const auto& choice : spec.choices) {
            names += (names.empty() ? "" : ", ") + std::string(choice);
        }
        return names;
    }
    default:
        return {};
    }
}

std::string default_of(const OptionSpec& spec) {
    static const Options defaults;
    return spec.default_text(defaults);
}

std::string variable_for_option(std::string_view name) {
    std::string variable(environment_prefix);
    for (const char c : name) {
        variable.push_back(c == '-' ? '_' : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c));
    }
    return variable;
}

po::options_description option_description(HelpLines help_lines) {
    po::options_description description(
        "Options (command line --name, environment SDKSIGN_NAME, config file name=)");
    for (const auto& spec : option_table()) {
        std::string name(spec.name);
        if (spec.short_name != 0) {
            name += std::string(",") + spec.short_name;
        }
        const std::string value_name(spec.value_name);
        const std::string help = help_lines == HelpLines::with ? help_line(spec) : std::string();
        if (spec.kind == OptionKind::flag) {
            description.add_options()(name.c_str(), help.c_str());
        } else if (spec.kind == OptionKind::list) {
            description.add_options()(
                name.c_str(), po::value<std::vector<std::string>>()->composing()->value_name(value_name),
                help.c_str());
        } else {
            description.add_options()(name.c_str(), po::value<std::string>()->value_name(value_name),
                                      help.c_str());
        }
    }
    return description;
}

} // namespace sdksign::config
