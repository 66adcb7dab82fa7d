#pragma once
// Memory for secrets inside the file provider: every byte a WipedBuffer ever held (including the blocks it
// outgrew) is zeroed before it goes back to the heap. A vector, not a string: a string keeps short values in
// an inline buffer that no allocator sees.
#include <string.h> // explicit_bzero

#include <cstddef>
#include <new>
#include <vector>

namespace sdksign::file_provider {

template<typename T> struct WipingAllocator {
    using value_type = T;
    WipingAllocator() = default;
    template<typename U> explicit WipingAllocator(const WipingAllocator<U>& /*other*/) noexcept { }
    T* allocate(std::size_t count) { return static_cast<T*>(::operator new(count * sizeof(T))); }
    void deallocate(T* pointer, std::size_t count) noexcept {
        // explicit_bzero: a plain memset before a free may be optimised away.
        ::explicit_bzero(pointer, count * sizeof(T));
        ::operator delete(pointer);
    }
    template<typename U> bool operator==(const WipingAllocator<U>& /*other*/) const noexcept { return true; }
};

using WipedBuffer = std::vector<char, WipingAllocator<char>>;

} // namespace sdksign::file_provider
