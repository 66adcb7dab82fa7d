#include "process/locked_pool.hpp"

#include <array>
#include <charconv>
#include <cstdlib>

namespace sdksign::process {

void size_locked_pool_for_one_request() noexcept {
    std::array<char, 16> kib{};
    // Leaves room for the terminating zero the array was initialised with.
    std::to_chars(kib.data(), kib.data() + kib.size() - 1, one_request_locked_pool_kib);
    // overwrite = 0: an operator's own setting wins. setenv fails only on an invalid name or no memory;
    // either way Botan then makes its default pool, which holds the secret as well, only at more cost.
    ::setenv(locked_pool_variable, kib.data(), 0);
}

} // namespace sdksign::process
