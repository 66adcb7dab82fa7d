// The vault provider's value parsers (plugins/vault/settings.cpp), linked in directly: durations and
// booleans written as Vault's own tools accept them.
#include "settings.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using sdksign::vault::parse_bool;
using sdksign::vault::parse_duration;

BOOST_AUTO_TEST_SUITE(vault_settings_cpp)

BOOST_AUTO_TEST_CASE(durations) {
    const std::vector<std::pair<std::string, std::optional<std::chrono::milliseconds>>> cases = {
        {"0", 0ms},
        {"30", 30s},
        {"300", 300s},
        {"30s", 30s},
        {"500ms", 500ms},
        {"5m", 5min},
        {"2h", 2h},
        {"1m30s", 90s},
        {"1h1m1s1ms", 1h + 1min + 1s + 1ms},
        {"", std::nullopt},
        {"soon", std::nullopt},
        {"5", 5s},
        {"5x", std::nullopt},
        {"s", std::nullopt},
        {"5s5", std::nullopt},
        {"-1s", std::nullopt},
        {"1.5s", 1500ms},
        {"1.5h", 90min},
        {".5s", 500ms},
        {"2.s", 2s},
        {"1m30.25s", 90250ms},
        {"2d", 48h},
        {"1d1h", std::nullopt}, // days only alone, as Vault's parseutil reads them
        {"1500us", 1ms},
        {"1500\u00b5s", 1ms},
        {"1500\u03bcs", 1ms},
        {"2000000ns", 2ms},
        {"0.1s", 100ms},
        {"0.001s", 1ms},
        {".s", std::nullopt},
        {"1..5s", std::nullopt},
        {"366d", std::nullopt},
        {"5 s", std::nullopt},
        {"1234567890s", std::nullopt}, // more digits than any sensible duration
        {"31536001", std::nullopt}, // plain seconds: a year at most
    };
    for (const auto& [text, expected] : cases) {
        BOOST_TEST_CONTEXT("duration '" << text << "'") {
            const auto parsed = parse_duration(text);
            BOOST_TEST(parsed.has_value() == expected.has_value());
            if (parsed && expected) {
                BOOST_TEST(parsed->count() == expected->count());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(booleans_as_go_parses_them) {
    const std::vector<std::pair<std::string, std::optional<bool>>> cases = {
        {"1", true},
        {"t", true},
        {"T", true},
        {"TRUE", true},
        {"true", true},
        {"True", true},
        {"0", false},
        {"f", false},
        {"F", false},
        {"FALSE", false},
        {"false", false},
        {"False", false},
        {"", std::nullopt},
        {"yes", std::nullopt},
        {"tRUE", std::nullopt},
        {" true", std::nullopt},
    };
    for (const auto& [text, expected] : cases) {
        BOOST_TEST_CONTEXT("boolean '" << text << "'") {
            const auto parsed = parse_bool(text);
            BOOST_TEST(parsed.has_value() == expected.has_value());
            BOOST_TEST(parsed.value_or(false) == expected.value_or(false));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
