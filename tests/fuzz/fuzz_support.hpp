#pragma once
// How a fuzz target reports that a property does not hold. Host-free, so the plugin targets can use it too.
#include <cstdio>
#include <cstdlib>

namespace sdksign::fuzz {

/// libFuzzer reports an abort as a crash and keeps the input that caused it.
[[noreturn]] inline void violated(const char* what) {
    static_cast<void>(std::fprintf(stderr, "property violated: %s\n", what));
    std::abort();
}

} // namespace sdksign::fuzz
