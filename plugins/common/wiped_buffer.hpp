#pragma once
// Memory for secrets and for anything that may contain one (a credentials file, Vault's answers, login
// bodies, tokens): every byte it ever held, including the blocks it outgrew, is wiped before it goes back
// to the heap. Not a std::string, which keeps short values in an inline buffer that no wipe reaches; not
// copyable, so a secret is never duplicated by accident.
#include <cstddef>
#include <memory>
#include <string_view>

namespace sdksign::plugin {

/// Zeroes `size` bytes at `data` in a way the compiler may not drop as a dead store.
void wipe(void* data, std::size_t size) noexcept;

class WipedBuffer {
public:
    WipedBuffer() = default;
    explicit WipedBuffer(std::string_view text) { append(text); }
    WipedBuffer(const WipedBuffer&) = delete;
    WipedBuffer& operator=(const WipedBuffer&) = delete;
    WipedBuffer(WipedBuffer&& other) noexcept;
    WipedBuffer& operator=(WipedBuffer&& other) noexcept;
    ~WipedBuffer() { release(); }

    /// Appends bytes; the buffer always keeps a NUL after them (for in-place JSON parsing).
    void append(const char* bytes, std::size_t count);
    void append(std::string_view text) { append(text.data(), text.size()); }
    void push_back(char c) { append(&c, 1); }
    /// Removes the last byte, wiping it.
    void pop_back() noexcept { data_[--size_] = '\0'; }
    /// New bytes are zero; bytes cut off are wiped.
    void resize(std::size_t size);
    void clear() noexcept;

    [[nodiscard]] std::string_view view() const noexcept { return {data(), size_}; }
    [[nodiscard]] const char* data() const noexcept { return data_ ? data_.get() : ""; }
    /// Mutable, NUL-terminated contents (empty buffers included), for parsers that work in place.
    [[nodiscard]] char* c_str();
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] char back() const noexcept { return data_[size_ - 1]; }
    [[nodiscard]] char operator[](std::size_t index) const noexcept { return data_[index]; }

private:
    void reserve(std::size_t wanted);
    void release() noexcept;

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

} // namespace sdksign::plugin
