#include "process/locked_pool.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using sdksign::process::locked_pool_variable;
using sdksign::process::one_request_locked_pool_kib;
using sdksign::process::size_locked_pool_for_one_request;

namespace {

/// The variable as the runner found it, put back when a case ends.
struct SavedVariable {
    std::optional<std::string> saved;
    SavedVariable() {
        if (const char* value = std::getenv(locked_pool_variable)) {
            saved = value;
        }
    }
    ~SavedVariable() {
        if (saved) {
            ::setenv(locked_pool_variable, saved->c_str(), 1);
        } else {
            ::unsetenv(locked_pool_variable);
        }
    }
    SavedVariable(const SavedVariable&) = delete;
    SavedVariable& operator=(const SavedVariable&) = delete;
};

std::optional<std::string> current() {
    const char* value = std::getenv(locked_pool_variable);
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

} // namespace

BOOST_AUTO_TEST_SUITE(locked_pool_cpp)

BOOST_AUTO_TEST_CASE(sizes_the_pool_unless_the_operator_did) {
    struct Row {
        std::optional<std::string> before;
        std::string after;
    };
    const std::vector<Row> rows{
        {std::nullopt, std::to_string(one_request_locked_pool_kib)},
        // An operator's value is kept, whatever it is: 0 turns the pool off, more locks more.
        {std::string("0"), "0"},
        {std::string("512"), "512"},
        {std::string(""), ""},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT("before: " << row.before.value_or("(unset)")) {
            const SavedVariable restore;
            if (row.before) {
                ::setenv(locked_pool_variable, row.before->c_str(), 1);
            } else {
                ::unsetenv(locked_pool_variable);
            }
            size_locked_pool_for_one_request();
            BOOST_TEST(current().value_or("(unset)") == row.after);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
