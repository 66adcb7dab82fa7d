#include "gateway/fastcgi_stdin.hpp"

#include "gateway/fastcgi_head.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace sdksign::gateway {

bool receive_exactly(int fd, void* into, std::size_t size) noexcept {
    auto* bytes = static_cast<char*>(into);
    while (size > 0) {
        const auto count = ::recv(fd, bytes, size, 0);
        if (count > 0) {
            bytes += count;
            size -= static_cast<std::size_t>(count);
        } else if (count == 0 || errno != EINTR) {
            return false;
        }
    }
    return true;
}

bool FastcgiStdinReader::read_exactly(void* into, std::size_t size) noexcept {
    if (!receive_exactly(fd_, into, size)) {
        failed_ = true; // closed, reset, or cut off by the request deadline
        return false;
    }
    return true;
}

bool FastcgiStdinReader::next_record() noexcept {
    while (content_left_ == 0) {
        if (ended_ || failed_) {
            return false;
        }
        std::array<char, 256> padding{};
        if (padding_left_ > 0 && !read_exactly(padding.data(), padding_left_)) {
            return false;
        }
        padding_left_ = 0;
        std::array<std::uint8_t, fastcgi::header_bytes> header{};
        if (!read_exactly(header.data(), header.size())) {
            return false;
        }
        const fastcgi::RecordHeader record = fastcgi::read_header(header, 0);
        if (record.version != fastcgi::protocol_version || record.type != fastcgi::record_stdin ||
            record.request_id != request_id_) {
            failed_ = true;
            return false;
        }
        content_left_ = record.content_bytes;
        padding_left_ = record.padding_bytes;
        if (content_left_ == 0) {
            // The closing record's padding is read too, so that the next request starts on a record.
            ended_ = padding_left_ == 0 || read_exactly(padding.data(), padding_left_);
            padding_left_ = 0;
            return false;
        }
    }
    return true;
}

std::size_t FastcgiStdinReader::read_some(char* into, std::size_t size) {
    if (size == 0 || !next_record()) {
        return 0;
    }
    const auto count = ::recv(fd_, into, std::min(size, content_left_), 0);
    if (count <= 0) {
        if (count < 0 && errno == EINTR) {
            return read_some(into, size);
        }
        failed_ = true;
        return 0;
    }
    content_left_ -= static_cast<std::size_t>(count);
    return static_cast<std::size_t>(count);
}

bool FastcgiStdinReader::skip_rest(std::size_t limit) {
    std::array<char, 8192> scratch{};
    std::size_t skipped = 0;
    while (skipped <= limit) {
        const std::size_t count = read_some(scratch.data(), scratch.size());
        if (count == 0) {
            return ended_ && !failed_;
        }
        skipped += count;
    }
    return false;
}

} // namespace sdksign::gateway
