#pragma once
// What several unit suites share: printing std::optional in Boost.Test failure messages.
#include <boost/test/unit_test.hpp>

#include <optional>
#include <ostream>

namespace boost::test_tools::tt_detail {

template<typename T> struct print_log_value<std::optional<T>> {
    void operator()(std::ostream& out, const std::optional<T>& value) {
        if (value) {
            out << *value;
        } else {
            out << "nullopt";
        }
    }
};

} // namespace boost::test_tools::tt_detail
