// The unit test runner: the only main(). Each test_*.cpp holds the suite of one source file, named after it.
#define BOOST_TEST_MODULE sdksign unit tests
#include <boost/test/unit_test.hpp>
