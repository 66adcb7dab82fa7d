// --help, docs/configuration.md and the sdksign(8) man page, all written from the option table.
#include "config/option_table.hpp"
#include "config/options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <sstream>

namespace sdksign::config {

namespace {

constexpr std::string_view usage_lines[][2] = {
    {"sdksign [serve] [OPTIONS]", "serve Zoom Meeting and Video SDK signatures (FastCGI or CGI)"},
    {"sdksign sign [OPTIONS] [--video] [JSON]",
     "sign one request body (default {}) as the Meeting SDK endpoint, or with --video the Video SDK one, "
     "and print the response"},
    {"sdksign check [OPTIONS]", "load the provider and report whether credentials are usable"},
    {"sdksign verify [OPTIONS] [--json] [TOKEN]",
     "check a signature (TOKEN, or standard input) against the configured credential of its kind and print "
     "each rule the SDKs apply, with the likely cause of a failure; exit 0 valid now, 1 invalid, 2 not a "
     "token"},
};

constexpr std::string_view sources_text =
    "Every option can be given on the command line (--name VALUE), as an environment variable (SDKSIGN_NAME, "
    "upper case, _ for -) or in the INI configuration file (name = value). The command line wins over the "
    "environment, which wins over the file. An unknown option, or an environment variable starting with "
    "SDKSIGN_ that names none, is an error. A process started as CGI reads no command line (it would be the "
    "request's query string). Provider options live in a section named after the provider: [env] then "
    "key-var = NAME in the file, --env.key-var=NAME on the command line (always with =), or "
    "SDKSIGN_ENV__KEY_VAR=NAME; `sdksign --help --provider NAME` lists them.";

std::string markdown_cell(std::string_view text) {
    std::string cell;
    for (const char c : text) {
        if (c == '|' || c == '*' || c == '_') {
            cell.push_back('\\');
        }
        cell.push_back(c);
    }
    return cell;
}

std::string option_with_value(const OptionSpec& spec) {
    std::string text = "--" + std::string(spec.name);
    if (!spec.value_name.empty()) {
        text += " " + std::string(spec.value_name);
    }
    return text;
}

std::string markdown() {
    std::ostringstream out;
    out << "# sdksign configuration reference\n\n"
           "<!-- Made by `sdksign --help-reference markdown` from src/config/option_table.cpp; a test checks "
           "that this file is what the binary prints. -->\n\n"
        << sources_text << "\n\n"
        << "| option | environment | default | values | meaning |\n| --- | --- | --- | --- | --- |\n";
    for (const auto& spec : option_table()) {
        const std::string fallback = default_of(spec);
        out << "| `" << option_with_value(spec) << "`"
            << (spec.short_name != 0 ? std::string(", `-") + spec.short_name + "`" : std::string()) << " | `"
            << variable_for_option(spec.name) << "` | "
            << (fallback.empty()
                    ? (spec.when_unset.empty() ? std::string() : "(" + markdown_cell(spec.when_unset) + ")")
                    : "`" + fallback + "`")
            << " | " << markdown_cell(accepted_values(spec)) << " | " << markdown_cell(spec.help) << " |\n";
    }
    return out.str();
}

/// roff text: a backslash, a minus and a line starting with a control character are what it reads
/// otherwise.
std::string roff(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        if (c == '\\') {
            escaped += "\\e";
        } else if (c == '-') {
            escaped += "\\-";
        } else {
            escaped.push_back(c);
        }
    }
    if (!escaped.empty() && (escaped.front() == '.' || escaped.front() == '\'')) {
        escaped.insert(0, "\\&");
    }
    return escaped;
}

std::string man_page() {
    std::ostringstream out;
    out << ".TH SDKSIGN 8 \"\" \"sdksign\" \"System Administration\"\n"
           ".SH NAME\nsdksign \\- serve Zoom SDK signatures as a FastCGI or CGI application\n"
           ".SH SYNOPSIS\n";
    for (const auto& [usage, what] : usage_lines) {
        out << ".B " << roff(usage) << "\n.br\n";
    }
    out << ".SH DESCRIPTION\n";
    for (const auto& [usage, what] : usage_lines) {
        out << ".TP\n.B " << roff(usage) << "\n" << roff(what) << "\n";
    }
    out << ".SH OPTIONS\n" << roff(sources_text) << "\n";
    for (const auto& spec : option_table()) {
        out << ".TP\n.B " << roff(option_with_value(spec)) << "\n" << roff(spec.help);
        if (const auto accepted = accepted_values(spec); !accepted.empty()) {
            out << " (" << roff(accepted) << ")";
        }
        out << ".\n.br\n";
        if (const auto fallback = default_of(spec); !fallback.empty()) {
            out << "Default: " << roff(fallback) << ". ";
        } else if (!spec.when_unset.empty()) {
            out << "Unset: " << roff(spec.when_unset) << ". ";
        }
        out << "Environment: " << roff(variable_for_option(spec.name)) << ".\n";
    }
    out << ".SH FILES\n.TP\n.I " << roff(default_config_file) << "\nthe configuration file\n"
        << ".SH SEE ALSO\nThe README and SECURITY.md of sdksign.\n";
    return out.str();
}

} // namespace

std::string help_text(const std::string& provider, const std::vector<sdksign_option_doc>& provider_docs) {
    std::ostringstream out;
    // The descriptions start in one column, two blanks after the longest usage.
    std::size_t column = 0;
    for (const auto& line : usage_lines) {
        column = std::max(column, line[0].size() + 2);
    }
    for (std::size_t i = 0; i < std::size(usage_lines); ++i) {
        out << (i == 0 ? "Usage: " : "       ") << usage_lines[i][0]
            << std::string(column - usage_lines[i][0].size(), ' ') << usage_lines[i][1] << "\n";
    }
    out << "\n" << option_description(HelpLines::with) << "\n";
    if (!provider_docs.empty()) {
        out << "Options of provider '" << provider << "' (--" << provider << ".NAME=VALUE, "
            << variable_for_option(provider) << "__NAME, or [" << provider
            << "] NAME= in the config file):\n";
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

std::string reference_text(ReferenceFormat format) {
    return format == ReferenceFormat::man ? man_page() : markdown();
}

} // namespace sdksign::config
