#include "gateway/start_mode.hpp"
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using sdksign::gateway::start_mode;
using sdksign::gateway::StartMode;

BOOST_AUTO_TEST_SUITE(start_mode_cpp)

BOOST_AUTO_TEST_CASE(how_the_process_was_started) {
    struct Row {
        bool fastcgi_socket;
        bool gateway_interface;
        StartMode expected;
    };
    const std::vector<Row> rows{
        // A process manager's socket wins: mod_fcgid may pass GATEWAY_INTERFACE on to its workers.
        {true, true, StartMode::fastcgi_socket},
        {true, false, StartMode::fastcgi_socket},
        // CGI: the command line is the request's query string and is never read.
        {false, true, StartMode::cgi},
        {false, false, StartMode::command_line},
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT("fd 0 a FastCGI socket: " << row.fastcgi_socket << ", GATEWAY_INTERFACE set: "
                                                     << row.gateway_interface) {
            BOOST_TEST((start_mode(row.fastcgi_socket, row.gateway_interface) == row.expected));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
