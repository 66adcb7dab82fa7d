#pragma once
// Memory for secrets and for anything that may contain one (Vault's answers, login bodies, tokens): wiped
// when it grows, when it is cleared and when it is destroyed, so no copy outlives its use.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace sdksign::vault {

inline void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0) {
        ::explicit_bzero(data, size);
    }
}

class WipedBuffer {
public:
    WipedBuffer() = default;
    explicit WipedBuffer(std::string_view text) { append(text); }
    WipedBuffer(const WipedBuffer&) = delete;
    WipedBuffer& operator=(const WipedBuffer&) = delete;
    WipedBuffer(WipedBuffer&& other) noexcept
        : data_(std::move(other.data_)), size_(other.size_), capacity_(other.capacity_) {
        other.size_ = 0;
        other.capacity_ = 0;
    }
    WipedBuffer& operator=(WipedBuffer&& other) noexcept {
        if (this != &other) {
            clear_and_release();
            data_ = std::move(other.data_);
            size_ = other.size_;
            capacity_ = other.capacity_;
            other.size_ = 0;
            other.capacity_ = 0;
        }
        return *this;
    }
    ~WipedBuffer() { clear_and_release(); }

    /// Appends bytes; the buffer always keeps a NUL after them (for in-place JSON parsing).
    void append(const char* bytes, std::size_t count) {
        if (count == 0) {
            return;
        }
        if (count >= max_size - size_) {
            throw std::length_error("buffer too large");
        }
        reserve(size_ + count + 1);
        std::memcpy(data_.get() + size_, bytes, count);
        size_ += count;
        data_[size_] = '\0';
    }
    void append(std::string_view text) { append(text.data(), text.size()); }

    void clear() noexcept {
        wipe(data_.get(), capacity_);
        size_ = 0;
    }

    [[nodiscard]] std::string_view view() const noexcept { return {data_ ? data_.get() : "", size_}; }
    /// Mutable, NUL-terminated contents (empty buffers included), for parsers that work in place.
    [[nodiscard]] char* c_str() {
        reserve(size_ + 1);
        data_[size_] = '\0';
        return data_.get();
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    static constexpr std::size_t max_size = std::size_t{1} << 30;

    void reserve(std::size_t wanted) {
        if (wanted <= capacity_) {
            return;
        }
        const std::size_t capacity = std::max({wanted, capacity_ * 2, std::size_t{256}});
        auto grown = std::make_unique<char[]>(capacity);
        if (size_ > 0) {
            std::memcpy(grown.get(), data_.get(), size_);
        }
        const std::size_t size = size_;
        clear_and_release();
        data_ = std::move(grown);
        size_ = size;
        capacity_ = capacity;
    }
    void clear_and_release() noexcept {
        wipe(data_.get(), capacity_);
        data_.reset();
        size_ = 0;
        capacity_ = 0;
    }

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

} // namespace sdksign::vault
