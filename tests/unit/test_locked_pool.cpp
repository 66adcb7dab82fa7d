#include "process/locked_pool.hpp"
#include "scoped_variable.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using sdksign::process::locked_pool_variable;
using sdksign::process::one_request_locked_pool_kib;
using sdksign::process::size_locked_pool_for_one_request;
using sdksign::test::ScopedVariable;

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
            const ScopedVariable variable(locked_pool_variable, row.before ? row.before->c_str() : nullptr);
            size_locked_pool_for_one_request();
            const char* after = std::getenv(locked_pool_variable);
            BOOST_TEST((after != nullptr ? std::string(after) : "(unset)") == row.after);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
