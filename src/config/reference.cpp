// --help, docs/configuration.md and the sdksign(8) and sdksign.conf(5) man pages, all written from the option
// table (and the providers' own option tables, for their sections of sdksign.conf(5)).
#include "build_config.hpp"
#include "config/option_table.hpp"
#include "config/options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <span>
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
    "request's query string). Provider options live in a section named after the provider (the name in its "
    "provider table, which a provider loaded by name also has as its file name, NAME.so): [env] then "
    "key-var = NAME in the file, --env.key-var=NAME on the command line (always with =), or "
    "SDKSIGN_ENV__KEY_VAR=NAME; `sdksign --help --provider NAME` (or --provider-path FILE) shows the "
    "provider's description and lists them.";

/// How the process finds out what started it, in the order it looks.
constexpr std::string_view run_modes[][2] = {
    {"FastCGI on standard input",
     "started by a FastCGI process manager (Apache mod_fcgid, lighttpd bin-path, spawn-fcgi): file "
     "descriptor 0 is a listening socket; sdksign serves FastCGI on it with a pool of worker threads."},
    {"FastCGI on its own socket",
     "with --listen 127.0.0.1:9000 or --listen /run/sdksign/sdksign.sock (nginx, the systemd unit): sdksign "
     "opens that socket itself and serves FastCGI on it."},
    {"CGI",
     "GATEWAY_INTERFACE is set and file descriptor 0 is not a socket: sdksign answers exactly one request "
     "and exits. Its configuration comes from the environment and the configuration file only: its command "
     "line is the request's query string (RFC 3875 section 4.4) and is never read as options."},
    {"a terminal",
     "neither of these and no --listen: sdksign says it was not started by a web server and exits 2."},
};

constexpr std::string_view exit_statuses[][2] = {
    {"0",
     "success: a FastCGI server stopped by a signal, a CGI request answered, sign printed a signature, "
     "check found each credential usable or absent (not both absent), verify found the token valid now."},
    {"1",
     "sign answered with an error body, check found a credential unusable (or neither present), verify "
     "found the token invalid, or an unexpected failure."},
    {"2",
     "a configuration error (an unknown option, a malformed value, a provider that cannot be loaded, a "
     "missing, empty or whitespace-only key or secret), not started by a web server, or verify was given "
     "text that is no token."},
    {"3",
     "the credential source is unavailable at start-up (the provider's transient failure, such as an "
     "unreachable Vault)."},
};

constexpr std::string_view signals[][2] = {
    {"SIGTERM, SIGINT, SIGUSR1",
     "a FastCGI server stops gracefully: it accepts nothing new, finishes the requests in flight (for at "
     "most --shutdown-timeout seconds) and exits 0."},
    {"SIGHUP", "ignored by a FastCGI server; restart sdksign to read its configuration again."},
};

constexpr std::string_view environment_variables[][2] = {
    {"SDKSIGN_NAME",
     "sets the option --name (upper case, _ for -); SDKSIGN_PROVIDER__NAME sets option NAME of "
     "that provider. An unknown SDKSIGN_ variable is an error."},
    {"GATEWAY_INTERFACE", "set by a web server that starts sdksign as CGI, with the request's variables."},
    {"FCGI_WEB_SERVER_ADDRS", "the IPv4 addresses a FastCGI peer may connect from, as libfcgi defines it."},
    {"ZOOM_MEETING_SDK_KEY, ZOOM_MEETING_SDK_SECRET",
     "the Meeting SDK app's key and secret, read by the env provider (its key-var and secret-var options "
     "rename them)."},
    {"ZOOM_VIDEO_SDK_KEY, ZOOM_VIDEO_SDK_SECRET",
     "the Video SDK app's, read by the env provider (video-key-var, video-secret-var)."},
    {"VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, ...",
     "read by the vault provider where its own options are not set, as Vault's own tools read them."},
};

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
    // Appended piece by piece: GCC 12 at -O3 takes `"literal" + std::string` for an overlapping copy
    // (-Wrestrict).
    std::string text = "--";
    text += spec.name;
    if (!spec.value_name.empty()) {
        text += ' ';
        text += spec.value_name;
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
        out << "| `" << option_with_value(spec) << "`";
        if (spec.short_name != 0) {
            out << ", `-" << spec.short_name << "`";
        }
        out << " | `" << variable_for_option(spec.name) << "` | ";
        if (!fallback.empty()) {
            out << "`" << fallback << "`";
        } else if (!spec.when_unset.empty()) {
            out << "(" << markdown_cell(spec.when_unset) << ")";
        }
        out << " | " << markdown_cell(accepted_values(spec)) << " | " << markdown_cell(spec.help) << " |\n";
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

/// A roff paragraph per row: the first column as a tag in bold, the second as its text.
void roff_tagged(std::ostream& out, std::span<const std::string_view[2]> rows) {
    for (const auto& [tag, text] : rows) {
        out << ".TP\n.B " << roff(tag) << "\n" << roff(text) << "\n";
    }
}

/// An option's help, its accepted values and its default (or what unset means), for either page.
void roff_option_text(std::ostream& out, const OptionSpec& spec) {
    out << roff(spec.help);
    if (const auto accepted = accepted_values(spec); !accepted.empty()) {
        out << " (" << roff(accepted) << ")";
    }
    out << ".\n.br\n";
    if (const auto fallback = default_of(spec); !fallback.empty()) {
        out << "Default: " << roff(fallback) << ". ";
    } else if (!spec.when_unset.empty()) {
        out << "Unset: " << roff(spec.when_unset) << ". ";
    }
}

std::string man_page() {
    std::ostringstream out;
    // .nh: no hyphenation, which would split option and file names at their hyphens and dots.
    out << ".TH SDKSIGN 8 \"\" \"sdksign\" \"System Administration\"\n.nh\n"
           ".SH NAME\nsdksign \\- serve Zoom SDK signatures as a FastCGI or CGI application\n"
           ".SH SYNOPSIS\n";
    for (const auto& [usage, what] : usage_lines) {
        out << ".B " << roff(usage) << "\n.br\n";
    }
    out << ".SH DESCRIPTION\n"
           "sdksign signs the HS256 tokens (JWT) that Zoom's Meeting SDK and Video SDK clients need, as "
           "Zoom's auth endpoint samples do, behind a web server. Its SDK keys and secrets come from a "
           "credential "
           "provider loaded as a plugin (env, file, vault; see \\fBsdksign.conf\\fR(5)).\n"
           ".SH RUN MODES\n";
    roff_tagged(out, run_modes);
    out << ".SH COMMANDS\n";
    roff_tagged(out, usage_lines);
    out << ".SH OPTIONS\n" << roff(sources_text) << "\n";
    for (const auto& spec : option_table()) {
        out << ".TP\n.B " << roff(option_with_value(spec)) << "\n";
        roff_option_text(out, spec);
        out << "Environment: " << roff(variable_for_option(spec.name)) << ".\n";
    }
    out << ".SH EXIT STATUS\n";
    roff_tagged(out, exit_statuses);
    out << ".SH SIGNALS\n";
    roff_tagged(out, signals);
    out << ".SH ENVIRONMENT\n";
    roff_tagged(out, environment_variables);
    out << ".SH FILES\n.TP\n.I " << roff(default_config_file)
        << "\nthe configuration file (\\fB\\-\\-config\\fR names another; see \\fBsdksign.conf\\fR(5))\n"
        << ".TP\n.I " << roff(std::string(build_config::plugin_dir) + "/NAME.so")
        << "\nthe credential providers, looked for there after the program's own folder and the install's "
           "plugin folder relative to it (\\fB\\-\\-plugin\\-dir\\fR names the one folder to look in)\n"
        << ".SH SEE ALSO\n\\fBsdksign.conf\\fR(5); the README, docs/ and SECURITY.md of sdksign.\n";
    return out.str();
}

/// Options that make no sense in the file: the commands (--help, --version, ...) and the file itself.
bool belongs_in_file(const OptionSpec& spec) {
    return spec.kind != OptionKind::flag && spec.name != "config" && spec.name != "help-reference";
}

std::string conf_man_page(const std::vector<ProviderDocs>& providers) {
    std::ostringstream out;
    out << ".TH SDKSIGN.CONF 5 \"\" \"sdksign\" \"File Formats\"\n.nh\n"
           ".SH NAME\nsdksign.conf \\- configuration file of sdksign\n"
           ".SH SYNOPSIS\n.I "
        << roff(default_config_file)
        << "\n.SH DESCRIPTION\n"
           "The configuration file of \\fBsdksign\\fR(8), an INI file: lines of the form "
           "\\fIname\\fR = \\fIvalue\\fR, blank lines, comments from # to the end of a line (so no value "
           "holds a #), and section heads such as [env], after which every option belongs to that provider. "
           "Blanks around the name and the value are ignored; an option may be set once. A missing default "
           "file is fine; one named with \\-\\-config or SDKSIGN_CONFIG must exist. An error names the file "
           "and the line number, never the line's text (it might hold a secret).\n.PP\n"
        << roff(sources_text) << "\n.SH OPTIONS\nEvery option of \\fBsdksign\\fR(8) but the commands:\n";
    for (const auto& spec : option_table()) {
        if (!belongs_in_file(spec)) {
            continue;
        }
        out << ".TP\n.B " << roff(spec.name) << " = "
            << roff(spec.value_name.empty() ? std::string_view("VALUE") : spec.value_name) << "\n";
        roff_option_text(out, spec);
        out << "\n";
    }
    out << ".SH PROVIDER SECTIONS\n"
           "The options of the provider named by \\fBprovider\\fR live in a section named after it; "
           "options of another provider are an error, and so is a name the provider does not document. "
           "\\fBsdksign \\-\\-help \\-\\-provider\\fR \\fINAME\\fR lists the options of any provider, a "
           "third-party one too."
        << (providers.empty() ? "\n" : " The bundled providers:\n");
    for (const auto& provider : providers) {
        out << ".SS [" << roff(provider.name) << "]\n" << roff(provider.description) << "\n";
        for (const auto& doc : provider.options) {
            out << ".TP\n.B " << roff(doc.name) << " = VALUE\n" << roff(doc.help != nullptr ? doc.help : "");
            if (doc.default_value != nullptr) {
                out << "\n.br\nDefault: " << roff(doc.default_value) << ".";
            }
            out << "\n";
        }
    }
    out << ".SH EXAMPLE\n.EX\n"
           "provider = file\n"
           "cors\\-origin = https://meet.example.com, https://staging.example.com\n"
           "iat\\-backdate = 30\n"
           "\n"
           "[file]\n"
           "path = /etc/sdksign/zoom.env\n"
           ".EE\n"
           ".SH FILES\n.TP\n.I "
        << roff(default_config_file) << "\nthe default configuration file\n"
        << ".SH SEE ALSO\n\\fBsdksign\\fR(8); docs/credentials.md and docs/configuration.md of sdksign.\n";
    return out.str();
}

} // namespace

std::string help_text(const std::optional<ProviderDocs>& provider) {
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
    if (!provider) {
        return out.str();
    }
    const std::string& name = provider->name;
    out << "Provider '" << name << "' (" << provider->file << ")"
        << (provider->description.empty() ? std::string() : ": " + provider->description) << "\n";
    if (provider->options.empty()) {
        out << "It has no options.\n";
        return out.str();
    }
    out << "Its options (--" << name << ".NAME=VALUE, " << variable_for_option(name) << "__NAME, or [" << name
        << "] NAME= in the config file):\n";
    for (const auto& doc : provider->options) {
        out << "  " << name << "." << doc.name << "\n      " << (doc.help != nullptr ? doc.help : "");
        if (doc.default_value != nullptr) {
            out << " [default: " << doc.default_value << "]";
        }
        out << "\n";
    }
    return out.str();
}

std::string reference_text(ReferenceFormat format, const std::vector<ProviderDocs>& providers) {
    switch (format) {
    case ReferenceFormat::man:
        return man_page();
    case ReferenceFormat::conf_man:
        return conf_man_page(providers);
    default:
        return markdown();
    }
}

} // namespace sdksign::config
