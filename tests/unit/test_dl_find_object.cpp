// bundle/dl_find_object.cpp stands in for the C library's _dl_find_object in the bundle's static unwinder.
// Compiled into the runner of the normal build, whose C library has the real one: both must give the same
// answer for the addresses an unwinder asks about (code of the program, of a shared library, of an object
// opened with dlopen) and for addresses in no object.
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

// The name is the linker's (--wrap), reserved on purpose.
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
extern "C" int __wrap__dl_find_object(void* address, dl_find_object* result);

namespace {

int function_in_this_program() {
    return 0;
}

int data_in_this_program = 0;

} // namespace

BOOST_AUTO_TEST_SUITE(dl_find_object_cpp)

BOOST_AUTO_TEST_CASE(finds_what_the_c_library_finds) {
    struct Row {
        std::string what;
        void* address;
    };
    std::array<char, 16> on_the_stack{};
    const std::vector<Row> rows{
        {"a function of the program", reinterpret_cast<void*>(&function_in_this_program)},
        {"a variable of the program", &data_in_this_program},
        {"a function of the C library", reinterpret_cast<void*>(&::dlopen)},
        {"a function of libstdc++ or Boost.Test",
         reinterpret_cast<void*>(&boost::unit_test::framework::master_test_suite)},
        {"the stack (no object)", on_the_stack.data()},
        {"address 0 (no object)", nullptr},
        // An address no object holds, on purpose.
        {"the last page (no object)",
         reinterpret_cast<void*>(UINTPTR_MAX - 4096)}, // NOLINT(performance-no-int-to-ptr)
    };
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.what) {
            dl_find_object expected{};
            dl_find_object found{};
            const int expected_status = ::_dl_find_object(row.address, &expected);
            BOOST_TEST(__wrap__dl_find_object(row.address, &found) == expected_status);
            if (expected_status == 0) {
                // What the unwinder reads: the object's unwind table.
                BOOST_TEST(found.dlfo_eh_frame == expected.dlfo_eh_frame);
                BOOST_TEST(found.dlfo_eh_frame != nullptr);
                BOOST_TEST(found.dlfo_map_start <= row.address);
                BOOST_TEST(row.address < found.dlfo_map_end);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(finds_an_object_opened_later) {
    // A library of the C library's package that nothing links: opened now, as a provider is, its code is
    // found as the C library finds it.
    const char* const name = "libBrokenLocale.so.1";
    BOOST_REQUIRE(::dlopen(name, RTLD_NOW | RTLD_NOLOAD) == nullptr);
    void* library = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(library != nullptr);
    // Its own definition (dlsym searches the library first), not the C library's of the same name.
    void* function = ::dlsym(library, "__ctype_get_mb_cur_max");
    BOOST_REQUIRE(function != nullptr);
    dl_find_object expected{};
    dl_find_object found{};
    BOOST_TEST(::_dl_find_object(function, &expected) == 0);
    BOOST_TEST(__wrap__dl_find_object(function, &found) == 0);
    BOOST_TEST(found.dlfo_eh_frame == expected.dlfo_eh_frame);
    BOOST_TEST(found.dlfo_map_start <= function);
    ::dlclose(library);
}

BOOST_AUTO_TEST_SUITE_END()
