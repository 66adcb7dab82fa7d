#include "wiped_buffer.hpp"

#include <algorithm>
#include <cstring> // explicit_bzero (glibc) and memcpy
#include <stdexcept>
#include <utility>

namespace sdksign::plugin {

namespace {

/// Far above anything a provider handles (a credentials file is refused above 1 MiB); a bound, so that
/// the size arithmetic below cannot overflow.
constexpr std::size_t largest = std::size_t{1} << 30;

} // namespace

void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0) {
        ::explicit_bzero(data, size);
    }
}

WipedBuffer::WipedBuffer(WipedBuffer&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) { }

WipedBuffer& WipedBuffer::operator=(WipedBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::move(other.data_);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

void WipedBuffer::append(const char* bytes, std::size_t count) {
    if (count == 0) {
        return;
    }
    if (count >= largest - size_) {
        throw std::length_error("buffer too large");
    }
    reserve(size_ + count + 1);
    std::memcpy(data_.get() + size_, bytes, count);
    size_ += count;
    data_[size_] = '\0';
}

void WipedBuffer::resize(std::size_t size) {
    if (size >= largest) {
        throw std::length_error("buffer too large");
    }
    reserve(size + 1);
    if (size > size_) {
        std::memset(data_.get() + size_, 0, size - size_);
    } else {
        wipe(data_.get() + size, size_ - size);
    }
    size_ = size;
    data_[size_] = '\0';
}

void WipedBuffer::clear() noexcept {
    wipe(data_.get(), capacity_);
    size_ = 0;
}

char* WipedBuffer::c_str() {
    reserve(size_ + 1);
    data_[size_] = '\0';
    return data_.get();
}

void WipedBuffer::reserve(std::size_t wanted) {
    if (wanted <= capacity_) {
        return;
    }
    const std::size_t capacity = std::max({wanted, capacity_ * 2, std::size_t{256}});
    auto grown = std::make_unique<char[]>(capacity);
    if (size_ > 0) {
        std::memcpy(grown.get(), data_.get(), size_);
    }
    const std::size_t size = size_;
    release();
    data_ = std::move(grown);
    size_ = size;
    capacity_ = capacity;
}

void WipedBuffer::release() noexcept {
    wipe(data_.get(), capacity_);
    data_.reset();
    size_ = 0;
    capacity_ = 0;
}

} // namespace sdksign::plugin
