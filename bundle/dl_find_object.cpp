// The bundle's binaries link the unwinder statically (-static-libgcc), so that a CGI process loads no
// libgcc_s.so.1 and runs no constructor of it: the library's CPU feature probe costs each request a dozen
// `cpuid` instructions, each of them a trap to the hypervisor on a virtual machine. GCC 12's static unwinder
// finds a frame's unwind table with _dl_find_object, a C library function only since glibc 2.35, which
// would lift the C library the bundle needs from 2.34. Linked with -Wl,--wrap=_dl_find_object (meson.build,
// option bundle), its calls come here instead: the same answer found the way the unwinder found it before
// 2.35, by walking the loaded objects' program headers with dl_iterate_phdr (glibc 2.2.5).
#include <dlfcn.h>
#include <link.h>

#include <cstddef>
#include <cstdint>

namespace {

struct Search {
    std::uintptr_t address;
    dl_find_object* result;
    bool found;
};

int find_in_object(dl_phdr_info* info, std::size_t /*size*/, void* data) {
    auto& search = *static_cast<Search*>(data);
    std::uintptr_t start = UINTPTR_MAX;
    std::uintptr_t end = 0;
    bool contains = false;
    const ElfW(Phdr)* eh_frame = nullptr;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type == PT_LOAD) {
            const std::uintptr_t first = info->dlpi_addr + header.p_vaddr;
            const std::uintptr_t last = first + header.p_memsz;
            contains = contains || (search.address >= first && search.address < last);
            start = first < start ? first : start;
            end = last > end ? last : end;
        } else if (header.p_type == PT_GNU_EH_FRAME) {
            eh_frame = &header;
        }
    }
    if (!contains) {
        return 0; // the next object
    }
    // NOLINTBEGIN(performance-no-int-to-ptr): the C library's own struct holds these as pointers
    search.result->dlfo_flags = 0;
    search.result->dlfo_map_start = reinterpret_cast<void*>(start);
    search.result->dlfo_map_end = reinterpret_cast<void*>(end);
    search.result->dlfo_link_map = nullptr; // no unwinder reads it
    search.result->dlfo_eh_frame =
        eh_frame == nullptr ? nullptr : reinterpret_cast<void*>(info->dlpi_addr + eh_frame->p_vaddr);
    // NOLINTEND(performance-no-int-to-ptr)
    search.found = true;
    return 1; // stops the walk
}

} // namespace

// Hidden: each provider carries its own copy, which must not be bound to the program's.
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" __attribute__((visibility("hidden"))) int __wrap__dl_find_object(void* address,
                                                                            dl_find_object* result) {
    Search search{reinterpret_cast<std::uintptr_t>(address), result, false};
    ::dl_iterate_phdr(find_in_object, &search);
    return search.found ? 0 : -1;
}
