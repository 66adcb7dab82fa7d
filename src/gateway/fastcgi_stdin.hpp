#pragma once
// One request's FCGI_STDIN stream, read record by record from the connection by sdksign itself, not by
// libfcgi: libfcgi answers a management record met while reading a body (FCGI_GET_VALUES) with the same
// unchecked length arithmetic as a request head, so no byte after a checked head ever reaches it. Only
// STDIN records of this request are accepted; anything else ends the stream as failed. It never reads past
// the stream's empty closing record: on a kept connection, the next request's head follows it.
#include "gateway/body_reader.hpp"

#include <cstddef>
#include <cstdint>

namespace sdksign::gateway {

/// Reads exactly `size` bytes from the socket `fd` (blocking), retrying when a signal handler of the
/// embedding process interrupts the read. False when the peer closed, reset, or was cut off first.
bool receive_exactly(int fd, void* into, std::size_t size) noexcept;

class FastcgiStdinReader final : public ByteSource {
public:
    /// `fd` is a blocking socket positioned just after the request's head.
    FastcgiStdinReader(int fd, std::uint16_t request_id) noexcept : fd_(fd), request_id_(request_id) { }

    /// Up to `size` bytes of the body; 0 at the end of the stream, or once it failed.
    std::size_t read_some(char* into, std::size_t size) override;

    /// Reads the rest of the stream and drops it: true once it ended properly within `limit` more bytes.
    bool skip_rest(std::size_t limit);

    /// The stream ended with its empty record.
    [[nodiscard]] bool ended() const noexcept { return ended_; }
    /// A record that does not belong (another request, another type, a management record, an abort), a
    /// malformed header, or the connection closing or failing mid-stream.
    [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
    bool read_exactly(void* into, std::size_t size) noexcept;
    /// Moves to the next record with content; false at the end or on failure.
    bool next_record() noexcept;

    int fd_;
    std::uint16_t request_id_;
    std::size_t content_left_ = 0;
    std::size_t padding_left_ = 0;
    bool ended_ = false;
    bool failed_ = false;
};

} // namespace sdksign::gateway
