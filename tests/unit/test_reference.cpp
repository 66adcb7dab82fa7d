#include "config/option_table.hpp"
#include "config/options.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

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
    const std::regex stated(R"(#\s*([a-z-]+)\s*=\s*(.*\S)\s*)");
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
        std::smatch match;
        if (in_defaults && std::regex_match(line, match, stated)) {
            BOOST_TEST_CONTEXT(line) {
                const auto* spec = config::find_option(match[1].str());
                BOOST_TEST_REQUIRE(spec != nullptr);
                BOOST_TEST(config::default_of(*spec) == match[2].str());
                ++checked;
            }
        }
    }
    BOOST_TEST(checked >= 5);
}

BOOST_AUTO_TEST_SUITE_END()
