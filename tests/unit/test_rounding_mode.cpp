// bundle/rounding_mode.cpp stands in for libm's fegetround and fesetround in the bundle. Compiled into the
// runner of the normal build, which links libm: the stand-ins must report and change the very rounding mode
// libm's own functions see, and refuse what they refuse.
#include <boost/test/unit_test.hpp>

#include <cfenv>

// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the names --wrap defines
extern "C" int __wrap_fegetround() noexcept;
extern "C" int __wrap_fesetround(int mode) noexcept;
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

BOOST_AUTO_TEST_SUITE(rounding_mode_cpp)

BOOST_AUTO_TEST_CASE(sets_and_reports_what_libm_sees) {
    const int original = std::fegetround();
    for (const int mode : {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO, FE_TONEAREST}) {
        BOOST_TEST_CONTEXT("rounding mode " << mode) {
            BOOST_TEST(__wrap_fesetround(mode) == 0);
            BOOST_TEST(std::fegetround() == mode);
            std::fesetround(original == mode ? FE_UPWARD : original);
            BOOST_TEST(__wrap_fegetround() == std::fegetround());
        }
    }
    std::fesetround(original);
}

BOOST_AUTO_TEST_CASE(refuses_what_libm_refuses) {
    const int original = std::fegetround();
    constexpr int no_mode = -1;
    BOOST_TEST(std::fesetround(no_mode) != 0);
    BOOST_TEST(__wrap_fesetround(no_mode) != 0);
    BOOST_TEST(std::fegetround() == original);
}

BOOST_AUTO_TEST_SUITE_END()
