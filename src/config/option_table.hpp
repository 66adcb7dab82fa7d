#pragma once
// Every host option, declared once as one row of a table (lighttpd's config_plugin_keys_t is the model): its
// name, kind, range or choices, help, and where its value goes. The Boost description, the range and choice
// checks with their messages, --help, the man page and docs/configuration.md are all made from the table.
// An option's default is the initial value of the field it goes to (Options and what it holds), shown
// through the row's default_text, so no default is written twice.
#include "config/option_sources.hpp"
#include "config/options.hpp"

#include <boost/program_options/options_description.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::config {

enum class OptionKind {
    /// No value: --help.
    flag,
    /// A whole number within [minimum, maximum].
    integer,
    /// As integer, written in octal (a file mode).
    octal,
    /// One of `choices`.
    choice,
    /// Any text the row's apply checks.
    text,
    /// Repeated, or separated with commas and blanks; the first source that sets it gives every value.
    list,
};

struct OptionSpec {
    std::string_view name;
    /// A one-letter alias on the command line, or 0.
    char short_name = 0;
    OptionKind kind = OptionKind::text;
    /// What the value is called in --help and the reference: N, SECONDS, FILE.
    std::string_view value_name;
    std::string_view help;
    std::int64_t minimum = 0;
    std::int64_t maximum = 0;
    std::vector<std::string_view> choices;
    /// What leaving an option without a default unset means ("any meeting"); empty when it has a default.
    std::string_view when_unset;
    /// Checks the value and stores it where it goes; throws ConfigError naming `set.source`.
    std::function<void(Options&, const SetOption& set)> apply;
    /// The default as an operator would write it ("4", "0660", "off"), read from a default-constructed
    /// Options; empty when there is none.
    std::function<std::string(const Options&)> default_text;
};

/// Every host option, in the order --help lists them.
const std::vector<OptionSpec>& option_table();

/// The row named `name`, or nullptr.
const OptionSpec* find_option(std::string_view name);

/// What values a row accepts, for help and messages: "1-256", "0-777", "off, reject, strict"; empty for
/// text, list and flag rows.
std::string accepted_values(const OptionSpec& spec);

/// The row's default as text, or empty.
std::string default_of(const OptionSpec& spec);

/// The environment variable that sets a host option: threads is SDKSIGN_THREADS.
std::string variable_for_option(std::string_view name);

/// Whether a Boost description carries the help lines (for --help) or only what parsing needs.
enum class HelpLines { with, without };

/// Boost's description of every host option, made from the table. The help lines cost most of its making
/// (each default is formatted), and a CGI process parses options once per request: parsing goes without.
boost::program_options::options_description option_description(HelpLines help_lines);

} // namespace sdksign::config
