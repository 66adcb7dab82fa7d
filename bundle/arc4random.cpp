// The bundle's binaries link libstdc++ statically, and its random.o, which the linker takes for other
// members too (std::string's _M_create is emitted there), calls arc4random: a C library function only since
// glibc 2.36, which would make the bundle refuse to load on every host older than Debian 12. Linked with
// -Wl,--wrap=arc4random (meson.build, option bundle), those calls come here instead: the same contract (a
// uniformly random 32-bit value, never a failure) from getrandom(2), which glibc has had since 2.25.
#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the name --wrap defines
extern "C" std::uint32_t __wrap_arc4random() {
    std::uint32_t value = 0;
    auto* bytes = reinterpret_cast<unsigned char*>(&value);
    std::size_t filled = 0;
    while (filled < sizeof value) {
        const ssize_t got = ::getrandom(bytes + filled, sizeof value - filled, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            // As glibc's arc4random: a random number generator that cannot deliver must not return.
            std::abort();
        }
        filled += static_cast<std::size_t>(got);
    }
    return value;
}
