#include "config/option_table.hpp"
#include "config/options.hpp"
#include "errors.hpp"
#include "gateway/body_reader.hpp"
#include "gateway/fastcgi_server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace config = sdksign::config;
using config::OptionKind;
using config::OptionSpec;
using config::parse_options;

namespace {

using Strings = std::vector<std::string>;

std::string config_error(const Strings& arguments, const Strings& environment) {
    try {
        parse_options(arguments, environment);
    } catch (const sdksign::ConfigError& e) {
        return e.what();
    }
    return "";
}

std::string in_base(std::int64_t value, int base) {
    std::ostringstream out;
    if (base == 8) {
        out << std::oct;
    }
    out << value;
    return out.str();
}

std::vector<const OptionSpec*> rows_of(std::initializer_list<OptionKind> kinds) {
    std::vector<const OptionSpec*> rows;
    for (const auto& spec : config::option_table()) {
        if (std::find(kinds.begin(), kinds.end(), spec.kind) != kinds.end()) {
            rows.push_back(&spec);
        }
    }
    return rows;
}

/// What some choices need besides themselves to be accepted.
Strings needed_for(const OptionSpec& spec) {
    return spec.name == "origin-check" ? Strings{"--cors-origin=https://a.example"} : Strings{};
}

} // namespace

BOOST_AUTO_TEST_SUITE(option_table_cpp)

BOOST_AUTO_TEST_CASE(names_are_unique_and_found) {
    const auto& table = config::option_table();
    for (const auto& spec : table) {
        BOOST_TEST_CONTEXT(spec.name) {
            BOOST_TEST(config::find_option(spec.name) == &spec);
            BOOST_TEST(!spec.help.empty());
            BOOST_TEST((spec.kind == OptionKind::flag) == spec.value_name.empty());
        }
    }
    BOOST_TEST(config::find_option("bogus") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_range_check_takes_its_bounds_and_refuses_beyond_them) {
    const auto rows = rows_of({OptionKind::integer, OptionKind::octal});
    BOOST_TEST(rows.size() >= 13U);
    for (const auto* spec : rows) {
        const int base = spec->kind == OptionKind::octal ? 8 : 10;
        const std::string name(spec->name);
        const std::string shape = std::string(base == 8 ? "an octal number" : "a whole number") +
            " between " + in_base(spec->minimum, base) + " and " + in_base(spec->maximum, base);
        BOOST_TEST_CONTEXT(name) {
            for (const auto bound : {spec->minimum, spec->maximum}) {
                const std::string text = in_base(bound, base);
                BOOST_TEST(config_error({"--" + name + "=" + text}, {}).empty());
                config::Options options;
                spec->apply(options, {{text}, {"--" + name}});
                BOOST_TEST(spec->default_text(options) == (base == 8 ? "0" : "") + text);
            }
            for (const auto beyond : {spec->minimum - 1, spec->maximum + 1}) {
                const std::string text = in_base(beyond, base);
                BOOST_TEST(config_error({"--" + name + "=" + text}, {}) ==
                           "--" + name + ": '" + text + "' is not " + shape);
                const std::string variable = config::variable_for_option(name);
                BOOST_TEST(config_error({}, {variable + "=" + text}) ==
                           "environment variable " + variable + ": '" + text + "' is not " + shape);
            }
            BOOST_TEST(config_error({"--" + name + "=1x"}, {}) == "--" + name + ": '1x' is not " + shape);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_choice_is_taken_and_nothing_else) {
    const auto rows = rows_of({OptionKind::choice});
    BOOST_TEST(rows.size() >= 5U);
    for (const auto* spec : rows) {
        const std::string name(spec->name);
        BOOST_TEST_CONTEXT(name) {
            std::string names;
            for (const auto choice : spec->choices) {
                Strings arguments = needed_for(*spec);
                arguments.push_back("--" + name + "=" + std::string(choice));
                const auto options = parse_options(arguments, {});
                BOOST_TEST(spec->default_text(options) == choice);
                names += (names.empty() ? "" : ", ") + std::string(choice);
            }
            BOOST_TEST(config_error({"--" + name + "=bogus"}, {}) ==
                       "--" + name + ": 'bogus' is not one of " + names);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_default_is_one_of_its_values) {
    for (const auto& spec : config::option_table()) {
        const std::string fallback = config::default_of(spec);
        BOOST_TEST_CONTEXT(spec.name) {
            // An option has a default or says what leaving it unset means, never both.
            BOOST_TEST((fallback.empty() || spec.when_unset.empty()));
            if (spec.kind == OptionKind::choice && !fallback.empty()) {
                BOOST_TEST(
                    (std::find(spec.choices.begin(), spec.choices.end(), fallback) != spec.choices.end()));
            }
            // The configuration file's default need not exist; every other default is a value it takes.
            if (!fallback.empty() && spec.name != "config") {
                BOOST_TEST(config_error({"--" + std::string(spec.name) + "=" + fallback}, {}).empty());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_parts_use_the_tables_defaults) {
    const sdksign::gateway::FastcgiSettings fastcgi;
    const sdksign::gateway::BodyLimits body;
    const sdksign::app::Settings app;
    const auto default_of = [](std::string_view name) {
        return config::default_of(*config::find_option(name));
    };
    BOOST_TEST(default_of("max-body-bytes") == std::to_string(app.max_body_bytes));
    BOOST_TEST(body.max_body_bytes == app.max_body_bytes);
    BOOST_TEST(fastcgi.max_body_bytes == app.max_body_bytes);
    BOOST_TEST(default_of("threads") == std::to_string(fastcgi.threads));
    BOOST_TEST(default_of("shutdown-timeout") == std::to_string(fastcgi.shutdown_timeout.count()));
    BOOST_TEST(default_of("head-limit-bytes") == std::to_string(fastcgi.connections.max_head_bytes));
    BOOST_TEST(
        default_of("head-timeout") ==
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(fastcgi.connections.head_timeout).count()));
    BOOST_TEST(
        default_of("idle-timeout") ==
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(fastcgi.connections.idle_timeout).count()));
    BOOST_TEST(default_of("default-expiration") == std::to_string(app.default_expiration_seconds));
    BOOST_TEST(default_of("sign-path") == app.sign_path);
    BOOST_TEST(default_of("config") == config::default_config_file);

    // The gateway reads no more of a body than the handler accepts, whatever sets the limit.
    for (const Strings& arguments : {Strings{}, Strings{"--max-body-bytes=2048"}}) {
        const auto options = parse_options(arguments, {});
        BOOST_TEST(options.fastcgi.max_body_bytes == options.app.max_body_bytes);
    }
}

BOOST_AUTO_TEST_CASE(variables_are_named_after_options) {
    BOOST_TEST(config::variable_for_option("max-body-bytes") == "SDKSIGN_MAX_BODY_BYTES");
    BOOST_TEST(config::variable_for_option("env") == "SDKSIGN_ENV");
}

BOOST_AUTO_TEST_SUITE_END()
