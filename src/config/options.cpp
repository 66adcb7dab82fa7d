#include "config/options.hpp"

#include "app/cors.hpp"
#include "errors.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace sdksign::config {

namespace po = boost::program_options;

namespace {

/// Every host option, all taken as text and checked below: Boost's own conversions accept "-1" for an
/// unsigned and name neither the source nor the allowed range.
po::options_description host_options() {
    po::options_description options(
        "Options (command line --name, environment SDKSIGN_NAME, config file name=)");
    // clang-format off
    options.add_options()
        ("help,h", "show this help and exit")
        ("version", "show the version and exit")
        ("config", po::value<std::string>(), "configuration file (INI) [default: /etc/sdksign/sdksign.conf]")
        ("listen", po::value<std::string>(),
         "serve FastCGI on a socket of our own: HOST:PORT (127.0.0.1:9000, [::1]:9000) or a unix socket path; "
         "without it, serve the socket on fd 0 (mod_fcgid, lighttpd, spawn-fcgi) or run as CGI")
        ("socket-mode", po::value<std::string>(), "permissions of a unix socket made by --listen, octal [default: 0660]")
        ("threads", po::value<std::string>(), "FastCGI worker threads, 1-256 [default: 4]")
        ("shutdown-timeout", po::value<std::string>(),
         "seconds to let in-flight requests finish after SIGTERM, 1-60 [default: 5]")
        ("head-limit-bytes", po::value<std::string>(),
         "largest FastCGI request head (the request's variables and headers) a peer may send, 1024-1048576; "
         "web servers send 1-4 KiB [default: 32768]")
        ("head-timeout", po::value<std::string>(),
         "seconds a FastCGI peer may take to send a whole request head, and again its body and reading the "
         "answer, 1-300 [default: 10]")
        ("idle-timeout", po::value<std::string>(),
         "seconds a connection kept open by the web server (nginx fastcgi_keep_conn) may wait for its next "
         "request, 1-3600 [default: 60]")
        ("provider", po::value<std::string>(), "credential provider to load by name [default: env]")
        ("provider-path", po::value<std::string>(), "load the credential provider from this file instead")
        ("plugin-dir", po::value<std::string>(), "look for providers only in this folder")
        ("fetch-timeout-ms", po::value<std::string>(),
         "bound on one credential fetch, 1-60000 [default: 5000]")
        ("refresh-interval-ms", po::value<std::string>(),
         "milliseconds between credential refreshes in FastCGI mode, 0-86400000; 0 follows the provider's "
         "hint (file: 2 s, env: never) [default: 0]")
        ("stale-after", po::value<std::string>(),
         "seconds to keep serving the last good credential while refreshes fail, 0-86400; then 503 "
         "[default: 300]")
        ("max-body-bytes", po::value<std::string>(), "largest request body accepted, 1-16777216 [default: 102400]")
        ("cors-origin", po::value<std::vector<std::string>>()->composing(),
         "allow only this origin to read responses (repeat, or separate with commas); "
         "unset: Access-Control-Allow-Origin: *")
        ("cors-max-age", po::value<std::string>(), "seconds a browser may cache a preflight, 0-86400 [default: 7200]")
        ("iat-backdate", po::value<std::string>(),
         "seconds to set iat in the past for clients with slow clocks, 0-3600 [default: 0]")
        ("default-expiration", po::value<std::string>(),
         "token lifetime in seconds when the request gives none, 1800-172800 [default: 7200]")
        ("sign-path", po::value<std::string>(), "path of the signing endpoint below the mount point [default: /]")
        ("health-path", po::value<std::string>(), "path of the health endpoint [default: /health]")
        ("origin-check", po::value<std::string>(),
         "with cors-origin: off answers other origins without CORS headers; reject refuses (403) a request "
         "from an origin not on the list; strict also refuses one without Origin [default: off]")
        ("require-user", po::value<std::string>(),
         "need a user authenticated by the web server (REMOTE_USER): none, host (role 1 tokens only) or all "
         "[default: none]")
        ("bearer-token-file", po::value<std::string>(),
         "need Authorization: Bearer TOKEN, with TOKEN read from this file (16 or more characters) "
         "[default: no token]")
        ("allowed-meetings", po::value<std::vector<std::string>>()->composing(),
         "sign only for these meeting numbers (repeat, or separate with commas; 857* is a prefix); "
         "unset: any meeting")
        ("core-dumps", po::value<std::string>(),
         "off: no core file and a non-dumpable process (other processes of the user cannot read its memory); "
         "on: the system's defaults, for debugging (a core file then holds the secret) [default: off]")
        ("log-level", po::value<std::string>(), "debug, info, warn or error [default: info]");
    // clang-format on
    return options;
}

/// Maps SDKSIGN_MAX_BODY_BYTES to max-body-bytes and SDKSIGN_ENV__KEY_VAR to env.key-var.
std::string option_name_for_variable(std::string_view variable) {
    variable.remove_prefix(environment_prefix.size());
    std::string name;
    for (std::size_t i = 0; i < variable.size(); ++i) {
        const char c = variable[i];
        if (c == '_' && i + 1 < variable.size() && variable[i + 1] == '_') {
            name.push_back('.');
            ++i;
        } else if (c == '_') {
            name.push_back('-');
        } else {
            name.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
        }
    }
    return name;
}

/// Where an option was set, for error messages: "--threads", "environment variable SDKSIGN_THREADS" or
/// "FILE line 3: option threads".
struct Source {
    std::string where;
    /// A value read from a file is never repeated in a message: a secret pasted onto the wrong line would
    /// land in the log (as CGI, the web server's error log).
    bool from_file = false;

    /// The value as a message may show it.
    [[nodiscard]] std::string quote(std::string_view value) const {
        return from_file ? std::string("the value") : "'" + std::string(value) + "'";
    }
};
using Sources = std::map<std::string, Source, std::less<>>;

/// `name` or `provider.name`, each part of a-z, 0-9, '-' and '_' starting with a letter or digit: what a
/// configuration file or an environment variable may name. Anything else is refused before Boost looks it
/// up (an empty name matches every option there, "ambiguous") and is never repeated in a message, since it
/// may be anything.
bool is_option_name(std::string_view name) {
    const auto dot = name.find('.');
    const auto valid_part = [](std::string_view part) {
        return !part.empty() && part.front() != '-' && part.front() != '_' &&
            std::ranges::all_of(part, [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            });
    };
    if (dot == std::string_view::npos) {
        return valid_part(name);
    }
    return valid_part(name.substr(0, dot)) && valid_part(name.substr(dot + 1));
}

void absorb(const po::parsed_options& parsed, const po::options_description& known, po::variables_map& values,
            Sources& sources, std::map<std::string, std::pair<std::string, std::string>>& section_options,
            const std::function<Source(const std::string&)>& describe) {
    po::parsed_options host(&known);
    for (const auto& option : parsed.options) {
        if (option.position_key >= 0) {
            continue;
        }
        if (option.string_key.empty()) {
            // Every source checks its names first; this guards Boost's lookup, which calls "" ambiguous.
            throw ConfigError("an option without a name; see sdksign --help");
        }
        if (option.string_key.find('.') != std::string::npos) {
            // A provider's option: keep the first source's value, as Boost does for host options.
            if (!section_options.contains(option.string_key)) {
                const std::string value = option.value.empty() ? std::string() : option.value.front();
                section_options.emplace(option.string_key,
                                        std::make_pair(value, describe(option.string_key).where));
            }
            continue;
        }
        if (known.find_nothrow(option.string_key, false) == nullptr) {
            const Source source = describe(option.string_key);
            throw ConfigError(source.from_file ? source.where + " is unknown; see sdksign --help"
                                               : "unknown option " + source.where + "; see sdksign --help");
        }
        if (values.count(option.string_key) > 0) {
            // An earlier source set it. Boost would merge a list (cors-origin) across sources; the first
            // source wins for every option.
            continue;
        }
        sources.emplace(option.string_key, describe(option.string_key));
        host.options.push_back(option);
    }
    try {
        po::store(host, values);
    } catch (const po::error& e) {
        throw ConfigError(e.what());
    }
}

template<typename Integer>
Integer integer_option(const po::variables_map& values, const Sources& sources, const std::string& name,
                       Integer fallback, Integer minimum, Integer maximum, int base = 10) {
    if (!values.count(name)) {
        return fallback;
    }
    const auto& text = values[name].as<std::string>();
    Integer parsed{};
    const auto result = std::from_chars(text.data(), text.data() + text.size(), parsed, base);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || parsed < minimum ||
        parsed > maximum) {
        std::ostringstream range;
        if (base == 8) {
            range << std::oct;
        }
        range << minimum << " and " << maximum;
        const Source& source = sources.at(name);
        throw ConfigError(source.where + ": " + source.quote(text) + " is not " +
                          (base == 8 ? "an octal number" : "a whole number") + " between " + range.str());
    }
    return parsed;
}

std::string text_option(const po::variables_map& values, const std::string& name,
                        const std::string& fallback) {
    return values.count(name) ? values[name].as<std::string>() : fallback;
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
std::vector<std::string> split_origins(const std::vector<std::string>& raw, const Source& source) {
    std::vector<std::string> origins;
    for (const auto& word : list_words(raw)) {
        auto origin = app::canonical_origin(word);
        if (!origin) {
            throw ConfigError(source.where + ": " + source.quote(word) +
                              " is not an origin like https://app.example.com (no path, no *)");
        }
        origins.push_back(std::move(*origin));
    }
    return origins;
}

template<typename Enum, std::size_t N>
Enum choice_option(const po::variables_map& values, const Sources& sources, const std::string& name,
                   Enum fallback, const std::array<std::pair<std::string_view, Enum>, N>& choices) {
    if (!values.count(name)) {
        return fallback;
    }
    const auto& text = values[name].as<std::string>();
    std::string names;
    for (const auto& [word, value] : choices) {
        if (word == text) {
            return value;
        }
        names += names.empty() ? "" : ", ";
        names += word;
    }
    const Source& source = sources.at(name);
    throw ConfigError(source.where + ": " + source.quote(text) + " is not one of " + names);
}

std::vector<app::MeetingRule> meeting_rules(const std::vector<std::string>& raw, const Source& source) {
    std::vector<app::MeetingRule> rules;
    for (const auto& word : list_words(raw)) {
        auto rule = app::parse_meeting_rule(word);
        if (!rule) {
            throw ConfigError(source.where + ": " + source.quote(word) +
                              " is not a meeting number (digits) or a prefix of one (digits then *)");
        }
        rules.push_back(std::move(*rule));
    }
    if (rules.empty()) {
        throw ConfigError(source.where + ": the list of meetings is empty");
    }
    return rules;
}

/// The token's digest. The token itself only lives in wiped memory and never reaches a message: the file
/// may hold something else by mistake (a private key, a password).
Botan::secure_vector<std::uint8_t> bearer_token_from_file(const std::string& path, const Source& source) {
    constexpr std::size_t shortest_token = 16;
    constexpr std::size_t longest_token = 4096;
    // The path is a value like any other: shown only when it did not come from a file.
    const std::string file_name = source.from_file ? std::string("the file it names") : path;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw ConfigError(source.where + ": cannot read " + file_name);
    }
    Botan::secure_vector<char> text(longest_token + 2);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    auto size = static_cast<std::size_t>(file.gcount());
    // One trailing newline is how editors and `echo` end a file; it is not part of the token.
    if (size > 0 && text[size - 1] == '\n') {
        --size;
    }
    if (size > 0 && text[size - 1] == '\r') {
        --size;
    }
    const std::string_view token(text.data(), size);
    // RFC 6750's token68 characters: what a client can put after "Bearer " unchanged.
    const bool token68 = std::all_of(token.begin(), token.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
    });
    if (size < shortest_token || size > longest_token || !token68) {
        throw ConfigError(source.where + ": " + file_name +
                          " must hold one token of 16 to 4096 characters from A-Z a-z 0-9 " +
                          "-._~+/= (and nothing else but a final newline)");
    }
    return app::bearer_token_digest(token);
}

std::string checked_path(const po::variables_map& values, const Sources& sources, const std::string& name,
                         const std::string& fallback) {
    std::string path = text_option(values, name, fallback);
    if (path.empty() || path.front() != '/') {
        const Source& source = sources.at(name);
        throw ConfigError(source.where + ": " + source.quote(path) + " must start with /");
    }
    return path;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

/// A configuration file in Boost's INI dialect (`name = value`, `[section]`, `#` to the end of a line is a
/// comment), read here instead of by po::parse_config_file: Boost's errors quote the offending line, and a
/// secret pasted onto a line of its own (`token hvs....`) would land in the log. Errors name the file and
/// the line number, and never repeat the line's text. `line_of` gets the line of each option.
po::parsed_options parse_config_text(std::istream& in, const std::string& file,
                                     const po::options_description& known,
                                     std::map<std::string, std::size_t>& line_of) {
    po::parsed_options parsed(&known);
    std::string prefix;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        const std::string at = file + " line " + std::to_string(number);
        const std::string text = trimmed(std::string_view(line).substr(0, line.find('#')));
        if (text.empty()) {
            continue;
        }
        if (text.front() == '[' && text.back() == ']') {
            const std::string section = trimmed(std::string_view(text).substr(1, text.size() - 2));
            if (!is_option_name(section) || section.find('.') != std::string::npos) {
                throw ConfigError(at + ": not a section name like [vault] (a-z, 0-9, '-', '_')");
            }
            prefix = section + ".";
            continue;
        }
        const auto equals = text.find('=');
        if (equals == std::string::npos) {
            throw ConfigError(at + ": not a line of the form 'name = value', '[section]' or '# comment'");
        }
        const std::string name = prefix + trimmed(std::string_view(text).substr(0, equals));
        if (name.empty() || name == prefix) {
            throw ConfigError(at + ": an option without a name (name = value)");
        }
        if (!is_option_name(name)) {
            throw ConfigError(at + ": not an option name (a-z, 0-9, '-', '_'; see sdksign --help)");
        }
        if (const auto earlier = line_of.find(name); earlier != line_of.end()) {
            throw ConfigError(at + ": option " + name + " is already set on line " +
                              std::to_string(earlier->second));
        }
        line_of.emplace(name, number);
        po::option option;
        option.string_key = name;
        option.value.push_back(trimmed(std::string_view(text).substr(equals + 1)));
        option.unregistered = known.find_nothrow(name, false) == nullptr;
        parsed.options.push_back(std::move(option));
    }
    return parsed;
}

} // namespace

Options parse_options(const std::vector<std::string>& arguments,
                      const std::vector<std::string>& environment) {
    Options options;
    const auto known = host_options();
    po::variables_map values;
    Sources sources;

    // The subcommand, if any, comes first; everything else is an option or the subcommand's argument.
    std::vector<std::string> rest = arguments;
    if (!rest.empty() && !rest.front().empty() && rest.front().front() != '-') {
        const std::string& word = rest.front();
        if (word == "sign") {
            options.command = Command::sign;
        } else if (word == "check") {
            options.command = Command::check;
        } else if (word == "serve") {
            options.command = Command::serve;
        } else if (word == "help") {
            options.command = Command::help;
        } else {
            throw ConfigError("unknown command '" + word + "'; commands are serve, sign, check, help");
        }
        rest.erase(rest.begin());
    }

    try {
        po::options_description positional_sink;
        positional_sink.add_options()("argument", po::value<std::vector<std::string>>());
        po::options_description everything;
        everything.add(known).add(positional_sink);
        po::positional_options_description positional;
        positional.add("argument", -1);
        const auto parsed =
            po::command_line_parser(rest)
                .options(everything)
                .positional(positional)
                .allow_unregistered()
                .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                .run();
        for (const auto& option : parsed.options) {
            if (option.string_key == "argument") {
                options.arguments.insert(options.arguments.end(), option.value.begin(), option.value.end());
            } else if (option.unregistered && option.string_key.find('.') == std::string::npos) {
                // The name only (--name of --name=VALUE, -x of -xVALUE): the value may be a secret.
                const std::string& token = option.original_tokens.front();
                const auto name_end =
                    token.starts_with("--") ? token.find('=') : std::min<std::size_t>(2, token.size());
                throw ConfigError("unknown option " + token.substr(0, name_end) + "; see sdksign --help");
            } else if (option.unregistered && !is_option_name(option.string_key)) {
                // --env.=x or --.x=y: a provider's option needs both names.
                const std::string& token = option.original_tokens.front();
                throw ConfigError("unknown option " + token.substr(0, token.find('=')) +
                                  "; see sdksign --help");
            } else if (option.unregistered && option.original_tokens.front().find('=') == std::string::npos) {
                // Boost cannot know that an undeclared option takes a value, so "--env.key-var X" would
                // silently lose X to the positional arguments.
                throw ConfigError("provider option " + option.original_tokens.front() +
                                  " needs its value after '=', as in " + option.original_tokens.front() +
                                  "=VALUE");
            }
        }
        absorb(parsed, known, values, sources, options.section_options,
               [](const std::string& name) { return Source{"--" + name}; });
    } catch (const po::error& e) {
        throw ConfigError(std::string("command line: ") + e.what());
    }
    if (options.command == Command::serve && !options.arguments.empty()) {
        throw ConfigError("unexpected argument '" + options.arguments.front() + "'; see sdksign --help");
    }

    {
        po::parsed_options parsed(&known);
        std::map<std::string, std::string> variable_of;
        for (const auto& entry : environment) {
            if (!entry.starts_with(environment_prefix)) {
                continue;
            }
            const auto equals = entry.find('=');
            const std::string variable = entry.substr(0, equals);
            po::option option;
            option.string_key = option_name_for_variable(variable);
            if (!is_option_name(option.string_key)) {
                throw ConfigError(
                    "environment variable " + variable +
                    " names no option (SDKSIGN_NAME or SDKSIGN_PROVIDER__NAME); see sdksign --help");
            }
            option.value.push_back(equals == std::string::npos ? "" : entry.substr(equals + 1));
            variable_of[option.string_key] = variable;
            parsed.options.push_back(option);
        }
        absorb(parsed, known, values, sources, options.section_options,
               [&](const std::string& name) { return Source{"environment variable " + variable_of[name]}; });
    }

    const bool explicit_file = values.count("config") > 0;
    options.config_file = explicit_file ? values["config"].as<std::string>() : default_config_file;
    std::ifstream file(options.config_file);
    if (!file && explicit_file) {
        throw ConfigError("cannot read configuration file " + options.config_file.string());
    }
    if (file) {
        const std::string where = options.config_file.string();
        std::map<std::string, std::size_t> line_of;
        const auto parsed = parse_config_text(file, where, known, line_of);
        absorb(parsed, known, values, sources, options.section_options, [&](const std::string& name) {
            return Source{where + " line " + std::to_string(line_of.at(name)) + ": option " + name, true};
        });
    }

    if (values.count("help")) {
        options.command = Command::help;
    }
    if (values.count("version")) {
        options.command = Command::version;
    }
    if (values.count("listen")) {
        options.listen = values["listen"].as<std::string>();
        if (options.listen->empty()) {
            throw ConfigError(sources.at("listen").where + ": the address is empty");
        }
    }
    options.socket_mode = integer_option<unsigned>(values, sources, "socket-mode", 0660, 0, 0777, 8);
    options.threads = integer_option<unsigned>(values, sources, "threads", 4, 1, 256);
    options.shutdown_timeout =
        std::chrono::seconds(integer_option<int>(values, sources, "shutdown-timeout", 5, 1, 60));
    options.head_limit_bytes =
        integer_option<std::size_t>(values, sources, "head-limit-bytes", 32768, 1024, 1048576);
    options.head_timeout =
        std::chrono::seconds(integer_option<int>(values, sources, "head-timeout", 10, 1, 300));
    options.idle_timeout =
        std::chrono::seconds(integer_option<int>(values, sources, "idle-timeout", 60, 1, 3600));
    options.provider = text_option(values, "provider", "env");
    options.provider_path = text_option(values, "provider-path", "");
    options.plugin_dir = text_option(values, "plugin-dir", "");
    options.fetch_timeout =
        std::chrono::milliseconds(integer_option<int>(values, sources, "fetch-timeout-ms", 5000, 1, 60000));
    options.refresh_interval = std::chrono::milliseconds(
        integer_option<int>(values, sources, "refresh-interval-ms", 0, 0, 86400000));
    options.stale_after =
        std::chrono::seconds(integer_option<int>(values, sources, "stale-after", 300, 0, 86400));

    app::Settings& settings = options.app;
    settings.max_body_bytes =
        integer_option<std::size_t>(values, sources, "max-body-bytes", 102400, 1, 16777216);
    if (values.count("cors-origin")) {
        settings.allowed_origins =
            split_origins(values["cors-origin"].as<std::vector<std::string>>(), sources.at("cors-origin"));
    }
    settings.cors_max_age_seconds =
        integer_option<std::int64_t>(values, sources, "cors-max-age", 7200, 0, 86400);
    settings.iat_backdate_seconds = integer_option<std::int64_t>(values, sources, "iat-backdate", 0, 0, 3600);
    settings.default_expiration_seconds =
        integer_option<std::int64_t>(values, sources, "default-expiration", 7200, 1800, 172800);
    settings.sign_path = checked_path(values, sources, "sign-path", "/");
    settings.health_path = checked_path(values, sources, "health-path", "/health");
    if (settings.sign_path == settings.health_path) {
        throw ConfigError("sign-path and health-path are both " + settings.sign_path);
    }
    options.core_dumps = choice_option<credentials::CoreDumps, 2>(
        values, sources, "core-dumps", credentials::CoreDumps::off,
        {{{"off", credentials::CoreDumps::off}, {"on", credentials::CoreDumps::on}}});
    app::AccessPolicy& access = settings.access;
    access.origin_check =
        choice_option<app::OriginCheck, 3>(values, sources, "origin-check", app::OriginCheck::off,
                                           {{{"off", app::OriginCheck::off},
                                             {"reject", app::OriginCheck::reject},
                                             {"strict", app::OriginCheck::strict}}});
    if (access.origin_check != app::OriginCheck::off && settings.allowed_origins.empty()) {
        throw ConfigError(sources.at("origin-check").where +
                          " needs the allowed origins: set cors-origin (every origin would be refused)");
    }
    access.require_user =
        choice_option<app::UserRequirement, 3>(values, sources, "require-user", app::UserRequirement::none,
                                               {{{"none", app::UserRequirement::none},
                                                 {"host", app::UserRequirement::host},
                                                 {"all", app::UserRequirement::all}}});
    if (values.count("bearer-token-file")) {
        access.bearer_token_digest = bearer_token_from_file(values["bearer-token-file"].as<std::string>(),
                                                            sources.at("bearer-token-file"));
    }
    if (values.count("allowed-meetings")) {
        access.allowed_meetings = meeting_rules(values["allowed-meetings"].as<std::vector<std::string>>(),
                                                sources.at("allowed-meetings"));
    }
    if (values.count("log-level")) {
        const auto level = log::parse_level(values["log-level"].as<std::string>());
        if (!level) {
            const Source& source = sources.at("log-level");
            throw ConfigError(source.where + ": " + source.quote(values["log-level"].as<std::string>()) +
                              " is not one of debug, info, warn, error");
        }
        options.log_level = *level;
    }
    return options;
}

std::vector<credentials::ProviderOption> provider_options(const Options& options, const std::string& provider,
                                                          const std::vector<sdksign_option_doc>& documented) {
    std::vector<credentials::ProviderOption> result;
    for (const auto& [full_name, value_and_source] : options.section_options) {
        const auto& [value, source] = value_and_source;
        const auto dot = full_name.find('.');
        const std::string section = full_name.substr(0, dot);
        const std::string name = full_name.substr(dot + 1);
        if (section != provider) {
            throw ConfigError(source + " belongs to provider '" + section + "', but the provider is '" +
                              provider + "'");
        }
        const bool known = std::any_of(documented.begin(), documented.end(),
                                       [&](const sdksign_option_doc& doc) { return name == doc.name; });
        if (!known) {
            throw ConfigError(source + ": provider '" + provider + "' has no option '" + name +
                              "'; see sdksign --help");
        }
        result.push_back({name, value});
    }
    return result;
}

std::string help_text(const std::string& provider, const std::vector<sdksign_option_doc>& provider_docs) {
    std::ostringstream out;
    out << "Usage: sdksign [serve] [OPTIONS]        serve Zoom Meeting SDK signatures (FastCGI or CGI)\n"
           "       sdksign sign [OPTIONS] [JSON]    sign one request body (default {}) and print the "
           "response\n"
           "       sdksign check [OPTIONS]          load the provider and report whether credentials are "
           "usable\n\n";
    out << host_options() << "\n";
    if (!provider_docs.empty()) {
        out << "Options of provider '" << provider << "' (--" << provider << ".NAME=VALUE, SDKSIGN_";
        for (const char c : provider) {
            out << static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : (c == '-' ? '_' : c));
        }
        out << "__NAME, or [" << provider << "] NAME= in the config file):\n";
        for (const auto& doc : provider_docs) {
            out << "  " << provider << "." << doc.name << "\n      " << (doc.help != nullptr ? doc.help : "");
            if (doc.default_value != nullptr) {
                out << " [default: " << doc.default_value << "]";
            }
            out << "\n";
        }
    }
    return out.str();
}

std::filesystem::path provider_file(const Options& options) {
    if (!options.provider_path.empty()) {
        return options.provider_path;
    }
    return credentials::find_provider(options.provider, options.plugin_dir);
}

} // namespace sdksign::config
