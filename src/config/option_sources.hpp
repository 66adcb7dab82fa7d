#pragma once
// Where each option's value came from: the command line, then SDKSIGN_* environment variables, then the INI
// configuration file, the first source to set an option winning. Nothing here knows what a value means
// (option_table.hpp does); each value keeps its source, which every message about it names.
#include "config/options.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::config {

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

/// One host option as set: its values (none for a flag, one for most, several for a repeated list option)
/// and where.
struct SetOption {
    std::vector<std::string> values;
    Source source;
};

struct GatheredOptions {
    Command command = Command::serve;
    /// Arguments after the subcommand (the request JSON for `sign`).
    std::vector<std::string> arguments;
    /// `sign --video`: sign for the Video SDK endpoint (a flag of that command, not an option).
    bool sign_video = false;
    /// Host options by name, each from the first source that set it.
    std::map<std::string, SetOption, std::less<>> host;
    SectionOptions sections;
    std::filesystem::path config_file = default_config_file;
};

/// Reads every source against the option table. `environment` holds "NAME=value" strings; only SDKSIGN_*
/// ones are read. Throws ConfigError for an unknown option, a malformed line, an unreadable explicit
/// configuration file, two variables naming one option; never repeats a value read from a file.
GatheredOptions gather_options(const std::vector<std::string>& arguments,
                               const std::vector<std::string>& environment);

} // namespace sdksign::config
