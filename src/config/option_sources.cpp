#include "config/option_sources.hpp"

#include "errors.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <istream>

namespace sdksign::config {

namespace po = boost::program_options;

namespace {

using Sources = std::map<std::string, Source, std::less<>>;

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

void absorb(const po::parsed_options& parsed, const po::options_description& known, po::variables_map& values,
            Sources& sources, SectionOptions& section_options,
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

/// The values of every host option that a source set, with its source.
std::map<std::string, SetOption, std::less<>> set_options(const po::variables_map& values, Sources& sources) {
    std::map<std::string, SetOption, std::less<>> result;
    for (auto& [name, source] : sources) {
        SetOption set{{}, std::move(source)};
        const auto& value = values[name].value();
        if (const auto* list = boost::any_cast<std::vector<std::string>>(&value)) {
            set.values = *list;
        } else if (const auto* text = boost::any_cast<std::string>(&value)) {
            set.values.push_back(*text);
        }
        result.emplace(name, std::move(set));
    }
    return result;
}

} // namespace

GatheredOptions gather_options(const std::vector<std::string>& arguments,
                               const std::vector<std::string>& environment,
                               const po::options_description& known) {
    GatheredOptions options;
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
        absorb(parsed, known, values, sources, options.sections,
               [](const std::string& name) { return Source{"--" + name}; });
    } catch (const po::error& e) {
        throw ConfigError(std::string("command line: ") + e.what());
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
        absorb(parsed, known, values, sources, options.sections,
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
        absorb(parsed, known, values, sources, options.sections, [&](const std::string& name) {
            return Source{where + " line " + std::to_string(line_of.at(name)) + ": option " + name, true};
        });
    }
    options.host = set_options(values, sources);
    return options;
}

} // namespace sdksign::config
