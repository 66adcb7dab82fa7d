#include "config/option_table.hpp"
#include "config/options.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace config = sdksign::config;

namespace {

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

std::string source_file(const std::string& path) {
    std::ifstream in(std::string(SDKSIGN_SOURCE_ROOT) + "/" + path);
    BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot read " << path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// How roff spells a word with hyphens.
std::string roff(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        escaped += c == '-' ? std::string("\\-") : std::string(1, c);
    }
    return escaped;
}

/// "# name = value" (a commented default of the shipped configuration): the name (a-z and '-') and the value
/// with the blanks around it dropped; nothing for any other line.
std::optional<std::pair<std::string, std::string>> stated_default(std::string_view line) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    const auto skip_blanks = [&](std::size_t at) {
        while (at < line.size() && blank(line[at])) {
            ++at;
        }
        return at;
    };
    if (!line.starts_with('#')) {
        return std::nullopt;
    }
    const std::size_t name_start = skip_blanks(1);
    std::size_t name_end = name_start;
    while (name_end < line.size() &&
           ((line[name_end] >= 'a' && line[name_end] <= 'z') || line[name_end] == '-')) {
        ++name_end;
    }
    const std::size_t equals = skip_blanks(name_end);
    if (name_end == name_start || equals >= line.size() || line[equals] != '=') {
        return std::nullopt;
    }
    const std::size_t value_start = skip_blanks(equals + 1);
    std::size_t value_end = line.size();
    while (value_end > value_start && blank(line[value_end - 1])) {
        --value_end;
    }
    if (value_end == value_start) {
        return std::nullopt;
    }
    return std::make_pair(std::string(line.substr(name_start, name_end - name_start)),
                          std::string(line.substr(value_start, value_end - value_start)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(reference_cpp)

BOOST_AUTO_TEST_CASE(every_option_is_in_the_help_and_both_references) {
    // Boost wraps the help at any blank: one space stands for every run of them.
    std::string help;
    for (const char c : config::help_text(std::nullopt)) {
        const bool blank = c == ' ' || c == '\n';
        if (!blank || (!help.empty() && help.back() != ' ')) {
            help.push_back(blank ? ' ' : c);
        }
    }
    const std::string markdown = config::reference_text(config::ReferenceFormat::markdown);
    const std::string man = config::reference_text(config::ReferenceFormat::man);
    for (const auto& spec : config::option_table()) {
        const std::string option = "--" + std::string(spec.name);
        const std::string fallback = config::default_of(spec);
        BOOST_TEST_CONTEXT(option) {
            BOOST_TEST(contains(help, option));
            BOOST_TEST(contains(markdown, "`" + option));
            BOOST_TEST(contains(markdown, "`" + config::variable_for_option(spec.name) + "`"));
            BOOST_TEST(contains(man, ".B " + roff(option)));
            if (!fallback.empty()) {
                BOOST_TEST(contains(help, "[default: " + fallback + "]"));
                BOOST_TEST(contains(markdown, "| `" + fallback + "` |"));
                BOOST_TEST(contains(man, "Default: " + roff(fallback) + "."));
            }
            if (const auto accepted = config::accepted_values(spec); !accepted.empty()) {
                BOOST_TEST(contains(help, "(" + accepted + ")"));
            }
        }
    }
    BOOST_TEST(man.starts_with(".TH SDKSIGN 8"));
}

BOOST_AUTO_TEST_CASE(the_man_page_has_the_sections_an_admin_looks_for) {
    const std::string man = config::reference_text(config::ReferenceFormat::man);
    for (const char* section :
         {".SH SYNOPSIS", ".SH RUN MODES", ".SH COMMANDS", ".SH OPTIONS", ".SH EXIT STATUS", ".SH SIGNALS",
          ".SH ENVIRONMENT", ".SH FILES", ".SH SEE ALSO"}) {
        BOOST_TEST(contains(man, std::string("\n") + section + "\n"), section);
    }
    for (const char* command : {"sdksign sign", "sdksign check", "sdksign verify"}) {
        BOOST_TEST(contains(man, ".B " + roff(command)), command);
    }
    for (const char* status : {"0", "1", "2", "3"}) {
        BOOST_TEST(contains(man, std::string(".TP\n.B ") + status + "\n"), status);
    }
    for (const char* signal : {"SIGTERM", "SIGHUP", "GATEWAY_INTERFACE", "FCGI_WEB_SERVER_ADDRS"}) {
        BOOST_TEST(contains(man, signal), signal);
    }
    BOOST_TEST(contains(man, "\\fBsdksign.conf\\fR(5)"));
}

BOOST_AUTO_TEST_CASE(the_conf_page_has_every_file_option_and_each_providers_section) {
    const std::vector<sdksign_option_doc> docs{{"token-file", "a file holding the token", nullptr},
                                               {"kv-version", "1 or 2", "2"}};
    const std::string page = config::reference_text(
        config::ReferenceFormat::conf_man,
        {{.name = "mine", .file = "/x/mine.so", .description = "reads a thing", .options = docs}});
    BOOST_TEST(page.starts_with(".TH SDKSIGN.CONF 5"));
    for (const auto& spec : config::option_table()) {
        const std::string line = ".B " + roff(spec.name) + " = ";
        BOOST_TEST_CONTEXT(spec.name) {
            // The commands and the file's own name mean nothing inside the file.
            const bool command = spec.kind == config::OptionKind::flag || spec.name == "config" ||
                spec.name == "help-reference";
            BOOST_TEST(contains(page, line) == !command);
            if (const auto fallback = config::default_of(spec); !command && !fallback.empty()) {
                BOOST_TEST(contains(page, "Default: " + roff(fallback) + "."));
            }
        }
    }
    BOOST_TEST(contains(page, ".SS [mine]\nreads a thing\n"));
    BOOST_TEST(contains(page, ".B token" + roff("-") + "file = VALUE\na file holding the token\n"));
    BOOST_TEST(contains(page, ".B kv" + roff("-") + "version = VALUE\n1 or 2\n.br\nDefault: 2.\n"));
    // Without providers the page still says where their sections go.
    BOOST_TEST(contains(config::reference_text(config::ReferenceFormat::conf_man), ".SH PROVIDER SECTIONS"));
}

BOOST_AUTO_TEST_CASE(the_committed_reference_is_the_generated_one) {
    // docs/configuration.md is never edited by hand: `sdksign --help-reference markdown >
    // docs/configuration.md`.
    BOOST_TEST(source_file("docs/configuration.md") ==
               config::reference_text(config::ReferenceFormat::markdown));
}

BOOST_AUTO_TEST_CASE(the_shipped_configuration_states_the_tables_defaults) {
    // Its block of defaults starts at the line that says so and ends at the first empty line.
    std::istringstream lines(source_file("etc/sdksign.conf.in"));
    std::string line;
    bool in_defaults = false;
    int checked = 0;
    while (std::getline(lines, line)) {
        if (contains(line, "The defaults")) {
            in_defaults = true;
            continue;
        }
        if (line.empty()) {
            in_defaults = false;
        }
        if (const auto stated = in_defaults ? stated_default(line) : std::nullopt) {
            BOOST_TEST_CONTEXT(line) {
                const auto* spec = config::find_option(stated->first);
                BOOST_TEST_REQUIRE(spec != nullptr);
                BOOST_TEST(config::default_of(*spec) == stated->second);
                ++checked;
            }
        }
    }
    BOOST_TEST(checked >= 5);
}

BOOST_AUTO_TEST_SUITE_END()
