#include "config/option_sources.hpp"

#include "config/option_table.hpp"
#include "errors.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <istream>

namespace sdksign::config {

namespace po = boost::program_options;

namespace {

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

/// One value of one source, the first source to set an option keeping it: host options into `host`, a
/// provider's (`provider.name`) into `sections`. The environment and the configuration file give each option
/// once (the file refuses a repeated line; two variables that name one option are refused here), so a name
/// already set came from an earlier source.
class Recorder {
public:
    Recorder(std::map<std::string, SetOption, std::less<>>& host, SectionOptions& sections)
        : host_(host), sections_(sections) { }

    /// Starts a source: what it sets from now on is compared with itself, for repeats.
    void begin_source() { this_source_.clear(); }

    void record(const std::string& name, std::string value, const Source& source) {
        if (const auto earlier = this_source_.find(name); earlier != this_source_.end()) {
            throw ConfigError(earlier->second + " and " + source.where + " both set option " + name);
        }
        this_source_.emplace(name, source.where);
        if (name.find('.') != std::string::npos) {
            if (!sections_.contains(name)) {
                sections_.emplace(name, std::make_pair(std::move(value), source.where));
            }
            return;
        }
        if (find_option(name) == nullptr) {
            throw ConfigError(source.from_file ? source.where + " is unknown; see sdksign --help"
                                               : "unknown option " + source.where + "; see sdksign --help");
        }
        if (!host_.contains(name)) {
            host_.emplace(name, SetOption{{std::move(value)}, source});
        }
    }

private:
    std::map<std::string, SetOption, std::less<>>& host_;
    SectionOptions& sections_;
    std::map<std::string, std::string, std::less<>> this_source_;
};

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

/// One `name = value` line of a configuration file, the section's name prefixed.
struct ConfigLine {
    std::string name;
    std::string value;
    std::size_t number;
};

/// A configuration file in Boost's INI dialect (`name = value`, `[section]`, `#` to the end of a line is a
/// comment), read here instead of by po::parse_config_file: Boost's errors quote the offending line, and a
/// secret pasted onto a line of its own (`token hvs....`) would land in the log. Errors name the file and
/// the line number, and never repeat the line's text. Each line keeps its number.
std::vector<ConfigLine> parse_config_text(std::istream& in, const std::string& file) {
    std::vector<ConfigLine> parsed;
    std::map<std::string, std::size_t, std::less<>> line_of;
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
        parsed.push_back({name, trimmed(std::string_view(text).substr(equals + 1)), number});
    }
    return parsed;
}

/// The command line, read by Boost (it knows --name=value, --name value, -x and --): the arguments after
/// the options, and every option with "--name" as its source. Only built when there is a command line: a CGI
/// process never reads one, and describing every option to Boost is most of the cost of reading options.
void read_command_line(const std::vector<std::string>& rest, GatheredOptions& options) {
    const auto known = option_description(HelpLines::without);
    po::variables_map values;
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
        po::parsed_options host(&known);
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
            } else if (option.unregistered) {
                // A provider's option, given once: Boost refuses a repeated host option in these words, and
                // the environment refuses two variables for one option.
                if (options.sections.contains(option.string_key)) {
                    throw ConfigError("command line: option '" + option.string_key +
                                      "' cannot be specified more than once");
                }
                const std::string value = option.value.empty() ? std::string() : option.value.front();
                options.sections.emplace(option.string_key, std::make_pair(value, "--" + option.string_key));
            } else {
                host.options.push_back(option);
            }
        }
        // Boost merges a repeated list option (cors-origin) and refuses any other repeated option.
        po::store(host, values);
    } catch (const po::error& e) {
        throw ConfigError(std::string("command line: ") + e.what());
    }
    for (const auto& [name, stored] : values) {
        SetOption set{{}, Source{"--" + name}};
        const auto& value = stored.value();
        if (const auto* list = boost::any_cast<std::vector<std::string>>(&value)) {
            set.values = *list;
        } else if (const auto* text = boost::any_cast<std::string>(&value)) {
            set.values.push_back(*text);
        }
        options.host.emplace(name, std::move(set));
    }
}

} // namespace

GatheredOptions gather_options(const std::vector<std::string>& arguments,
                               const std::vector<std::string>& environment) {
    GatheredOptions options;

    // The subcommand, if any, comes first; everything else is an option or the subcommand's argument.
    std::vector<std::string> rest = arguments;
    if (!rest.empty() && !rest.front().empty() && rest.front().front() != '-') {
        const std::string& word = rest.front();
        if (word == "sign") {
            options.command = Command::sign;
        } else if (word == "check") {
            options.command = Command::check;
        } else if (word == "verify") {
            options.command = Command::verify;
        } else if (word == "serve") {
            options.command = Command::serve;
        } else if (word == "help") {
            options.command = Command::help;
        } else {
            throw ConfigError("unknown command '" + word +
                              "'; commands are serve, sign, check, verify, help");
        }
        rest.erase(rest.begin());
    }
    if (options.command == Command::sign) {
        // Up to a `--` that ends the options, as the parser below reads them.
        const auto end = std::find(rest.begin(), rest.end(), "--");
        const auto video = std::find(rest.begin(), end, "--video");
        if (video != end) {
            options.sign_video = true;
            rest.erase(video);
        }
    }
    if (!rest.empty()) {
        read_command_line(rest, options);
    }

    Recorder recorder(options.host, options.sections);
    recorder.begin_source();
    for (const auto& entry : environment) {
        if (!entry.starts_with(environment_prefix)) {
            continue;
        }
        const auto equals = entry.find('=');
        const std::string variable = entry.substr(0, equals);
        const std::string name = option_name_for_variable(variable);
        if (!is_option_name(name)) {
            throw ConfigError(
                "environment variable " + variable +
                " names no option (SDKSIGN_NAME or SDKSIGN_PROVIDER__NAME); see sdksign --help");
        }
        recorder.record(name, equals == std::string::npos ? "" : entry.substr(equals + 1),
                        Source{"environment variable " + variable});
    }

    const auto config = options.host.find("config");
    const bool explicit_file = config != options.host.end();
    options.config_file = explicit_file ? config->second.values.front() : default_config_file;
    std::ifstream file(options.config_file);
    if (!file && explicit_file) {
        throw ConfigError("cannot read configuration file " + options.config_file.string());
    }
    if (file) {
        const std::string where = options.config_file.string();
        recorder.begin_source();
        for (auto& line : parse_config_text(file, where)) {
            const Source source{where + " line " + std::to_string(line.number) + ": option " + line.name,
                                true};
            recorder.record(line.name, std::move(line.value), source);
        }
    }
    return options;
}

} // namespace sdksign::config
