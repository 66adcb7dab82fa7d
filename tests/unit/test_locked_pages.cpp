// bundle/locked_pages.cpp gives Botan's pool of locked memory its pages in the bundle. Compiled into the
// runner of the normal build and checked against what Botan's own pages guarantee, as the kernel reports
// it (/proc/self/smaps): each page locked, left out of core files, zeroed and writable, with an
// inaccessible page on either side that a write running off the page's end hits; no more locked memory
// than RLIMIT_MEMLOCK allows; and nothing left mapped once the pages are freed.
#include <boost/test/unit_test.hpp>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

std::vector<void*>
allocate_locked_pages(std::size_t count) __asm__("__wrap__ZN5Botan2OS21allocate_locked_pagesEm");
void free_locked_pages(const std::vector<void*>& pages) __asm__(
    "__wrap__ZN5Botan2OS17free_locked_pagesERKSt6vectorIPvSaIS2_EE");

namespace {

const auto page_size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

/// One mapping of /proc/self/smaps: its range, permissions, locked kilobytes and VmFlags.
struct Mapping {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    std::string permissions;
    std::size_t locked_kib = 0;
    std::set<std::string> flags;
};

std::vector<Mapping> mappings() {
    std::vector<Mapping> found;
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    while (std::getline(smaps, line)) {
        std::istringstream fields(line);
        std::string first;
        fields >> first;
        if (first == "Locked:") {
            fields >> found.back().locked_kib;
        } else if (first == "VmFlags:") {
            for (std::string flag; fields >> flag;) {
                found.back().flags.insert(flag);
            }
        } else if (const auto dash = first.find('-'); dash != std::string::npos && first.back() != ':') {
            Mapping mapping;
            mapping.start = std::stoull(first.substr(0, dash), nullptr, 16);
            mapping.end = std::stoull(first.substr(dash + 1), nullptr, 16);
            fields >> mapping.permissions;
            found.push_back(mapping);
        }
    }
    return found;
}

const Mapping* mapping_at(const std::vector<Mapping>& all, const void* address) {
    const auto where = reinterpret_cast<std::uintptr_t>(address);
    const auto found = std::find_if(all.begin(), all.end(),
                                    [&](const Mapping& m) { return where >= m.start && where < m.end; });
    return found == all.end() ? nullptr : &*found;
}

std::uint8_t* byte_pointer(void* page) {
    return static_cast<std::uint8_t*>(page);
}

/// Runs `attempt` in a child process; returns the signal that ended it, or 0 if it exited.
template<typename Attempt> int signal_ending(Attempt attempt) {
    const pid_t child = ::fork();
    if (child == 0) {
        // The kernel's own answer to the fault, without a core file, and without a sanitizer's handler
        // turning it into an exit status.
        const rlimit no_core{0, 0};
        static_cast<void>(::setrlimit(RLIMIT_CORE, &no_core));
        static_cast<void>(std::signal(SIGSEGV, SIG_DFL));
        attempt();
        std::_Exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(locked_pages_cpp)

BOOST_AUTO_TEST_CASE(locks_zeroes_and_fences_every_page) {
    constexpr std::size_t count = 4;
    const auto pages = allocate_locked_pages(count);
    BOOST_TEST_REQUIRE(pages.size() == count);
    const auto all = mappings();
    for (std::size_t i = 0; i != pages.size(); ++i) {
        BOOST_TEST_CONTEXT("page " << i) {
            auto* page = byte_pointer(pages[i]);
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(page) % page_size == 0U);
            BOOST_TEST(std::all_of(page, page + page_size, [](std::uint8_t b) { return b == 0; }));
            const Mapping* mapping = mapping_at(all, page);
            BOOST_TEST_REQUIRE(mapping != nullptr);
            BOOST_TEST(mapping->permissions == "rw-p");
            BOOST_TEST(mapping->locked_kib * 1024 == page_size);
            BOOST_TEST(mapping->flags.count("lo") == 1U); // locked
            BOOST_TEST(mapping->flags.count("dd") == 1U); // left out of core files
            for (const auto* guard : {page - page_size, page + page_size}) {
                const Mapping* fence = mapping_at(all, guard);
                BOOST_TEST_REQUIRE(fence != nullptr);
                BOOST_TEST(fence->permissions == "---p");
                BOOST_TEST(fence->locked_kib == 0U);
            }
            // A write one byte past the page, and one byte before it, must fault, not reach the next page.
            BOOST_TEST(signal_ending([page] {
                           *static_cast<volatile std::uint8_t*>(page + page_size) = 1;
                       }) == SIGSEGV);
            BOOST_TEST(signal_ending([page] { *static_cast<volatile std::uint8_t*>(page - 1) = 1; }) ==
                       SIGSEGV);
            page[0] = 0xa5;
            page[page_size - 1] = 0x5a;
        }
    }
    free_locked_pages(pages);
    const auto after = mappings();
    for (void* page : pages) {
        auto* first = byte_pointer(page) - page_size;
        for (const auto* address : {first, first + page_size, first + 2 * page_size}) {
            BOOST_TEST(mapping_at(after, address) == nullptr);
        }
    }
}

BOOST_AUTO_TEST_CASE(locks_no_more_than_the_limit_allows) {
    // In a child, as a user the limit applies to (root's CAP_IPC_LOCK ignores it): with room for two pages,
    // two of four are given, nothing of the rest stays mapped, and freeing leaves nothing mapped. Locks are
    // not inherited by fork.
    const pid_t child = ::fork();
    if (child == 0) {
        const rlimit two_pages{2 * page_size, 2 * page_size};
        if (::setrlimit(RLIMIT_MEMLOCK, &two_pages) != 0) {
            std::_Exit(100);
        }
        constexpr uid_t nobody = 65534;
        if (::geteuid() == 0 && (::setgid(nobody) != 0 || ::setuid(nobody) != 0)) {
            std::_Exit(101);
        }
        const auto pages = allocate_locked_pages(4);
        if (pages.empty()) {
            std::_Exit(102);
        }
        auto* last = byte_pointer(pages.back());
        const auto given = mappings();
        // The last page keeps its guard; the slots beyond it went back to the system.
        const Mapping* guard = mapping_at(given, last + page_size);
        const bool tidy = guard != nullptr && guard->permissions == "---p" &&
            mapping_at(given, last + 2 * page_size) == nullptr &&
            mapping_at(given, last + 3 * page_size) == nullptr;
        free_locked_pages(pages);
        const auto after = mappings();
        bool freed = true;
        for (auto* address = byte_pointer(pages.front()) - page_size; address <= last + page_size;
             address += page_size) {
            freed = freed && mapping_at(after, address) == nullptr;
        }
        std::_Exit(static_cast<int>(pages.size()) + (tidy ? 0 : 10) + (freed ? 0 : 20));
    }
    int status = 0;
    BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_TEST_REQUIRE(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 2);
}

BOOST_AUTO_TEST_CASE(gives_nothing_for_nothing) {
    BOOST_TEST(allocate_locked_pages(0).empty());
}

BOOST_AUTO_TEST_SUITE_END()
