// Botan 2.19 sets up its pool of locked memory one page at a time: each page gets a mapping of its own,
// with a guard page before and after it, and five system calls (mmap, mlock, madvise, two mprotects), and
// its guard pages are written to before they are fenced. For the four pages a CGI process locks
// (src/process/locked_pool.hpp) that is twenty system calls and eight needless page faults per request.
// Linked into the bundle's program with -Wl,--wrap=_ZN5Botan2OS21allocate_locked_pagesEm and
// -Wl,--wrap=_ZN5Botan2OS17free_locked_pagesERKSt6vectorIPvSaIS2_EE (meson.build, option bundle), Botan's
// pool gets its pages here instead, with the same layout and guarantees from count + 2 system calls: one
// reservation of inaccessible pages, in which every other page is then mapped readable, writable and
// locked (MAP_LOCKED), and one madvise for the whole of it.
//
// What Botan's pages guarantee, and these too: each data page is locked in memory (it never reaches swap;
// MAP_LOCKED counts against RLIMIT_MEMLOCK as mlock does, and fails with EAGAIN beyond it), left out of core
// files (MADV_DONTDUMP), zeroed, and has an inaccessible page on either side, so that running off its end
// faults instead of reaching another page of the pool. A page that cannot be had is left out, and Botan
// makes its pool of the pages it got (or none, and uses the heap), as with its own function. Freeing wipes
// each page before it is unmapped.
#include <botan/mem_ops.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

std::size_t page_size() {
    return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

// Botan's own declarations are in an internal header the package does not ship; these are the two
// functions under the names --wrap gives their replacements.
std::vector<void*>
allocate_locked_pages(std::size_t count) __asm__("__wrap__ZN5Botan2OS21allocate_locked_pagesEm");
void free_locked_pages(const std::vector<void*>& pages) __asm__(
    "__wrap__ZN5Botan2OS17free_locked_pagesERKSt6vectorIPvSaIS2_EE");

std::vector<void*> allocate_locked_pages(std::size_t count) {
    std::vector<void*> pages;
    if (count == 0) {
        return pages;
    }
    const std::size_t size = page_size();
    // Guard, page, guard, page, ..., guard: 2 * count + 1 pages. MAP_NORESERVE: the guards never hold data.
    const std::size_t reserved = (2 * count + 1) * size;
    void* reservation =
        ::mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reservation == MAP_FAILED) {
        return pages;
    }
    auto* base = static_cast<std::uint8_t*>(reservation);
    pages.reserve(count);
    for (std::size_t i = 0; i != count; ++i) {
        std::uint8_t* page = base + (2 * i + 1) * size;
        // MAP_FIXED replaces the reserved page in place; MAP_LOCKED locks it and faults it in (fresh
        // anonymous memory, so zeroed).
        void* mapped = ::mmap(page, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_LOCKED, -1, 0);
        if (mapped != page) {
            // Beyond RLIMIT_MEMLOCK, or out of memory: the pages so far are the pool. What follows the
            // last one's guard goes back now, so that the pages' own windows (see below) cover the rest.
            ::munmap(page, reserved - (2 * i + 1) * size);
            break;
        }
        pages.push_back(page);
    }
    if (pages.empty()) {
        ::munmap(reservation, size);
        return pages;
    }
    // Left out of core files. An error changes nothing else, as with Botan's own call: it is a bonus.
    ::madvise(reservation, (2 * pages.size() + 1) * size, MADV_DONTDUMP);
    return pages;
}

void free_locked_pages(const std::vector<void*>& pages) {
    const std::size_t size = page_size();
    for (void* page : pages) {
        Botan::secure_scrub_memory(page, size);
        // The page and the guards on either side; a guard shared with the previous page is already gone,
        // and unmapping nothing is not an error.
        ::munmap(static_cast<std::uint8_t*>(page) - size, 3 * size);
    }
}
