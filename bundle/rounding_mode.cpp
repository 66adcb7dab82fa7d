// The bundle's program needs no libm.so.6: one library less for the dynamic loader to open, map and
// relocate on every CGI request. Two things would make the linker record it anyway:
// - libfcgi calls frexp, which glibc exports from libc.so.6 as well; the bundle links with -Wl,-lc ahead of
//   the compiler driver's -lm, so libc's copy is taken (meson.build, option bundle);
// - the static libstdc++'s floating_to_chars.o, which std::to_chars(double) pulls in, calls fegetround and
//   fesetround, but only for long double, which sdksign never formats. --gc-sections drops that code, yet
//   --as-needed has chosen the libraries before, so their references alone would keep libm NEEDED.
// Linked with -Wl,--wrap=fegetround,--wrap=fesetround, those references come here instead. Should a later
// change reach them, the calls still do what libm's do: libm is opened on the first one (it ships with
// every C library), so only a process that really changes the rounding mode pays for loading it.
#include <dlfcn.h>
#include <gnu/lib-names.h>

#include <cstdlib>

namespace {

template<typename Function> Function* from_libm(const char* name) noexcept {
    // Never closed: the function is kept for the life of the process (and libm stays if another library
    // loaded it already).
    void* libm = ::dlopen(LIBM_SO, RTLD_NOW | RTLD_LOCAL);
    void* function = libm == nullptr ? nullptr : ::dlsym(libm, name);
    if (function == nullptr) {
        // Neither has a failure to report: a C library without its libm is not one the bundle can run on.
        std::abort();
    }
    return reinterpret_cast<Function*>(function);
}

} // namespace

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" int __wrap_fegetround() noexcept {
    static auto* const real = from_libm<int()>("fegetround");
    return real();
}

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" int __wrap_fesetround(int mode) noexcept {
    static auto* const real = from_libm<int(int)>("fesetround");
    return real(mode);
}
