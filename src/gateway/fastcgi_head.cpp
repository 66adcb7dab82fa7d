#include "gateway/fastcgi_head.hpp"

#include <algorithm>

namespace sdksign::gateway::fastcgi {

namespace {

constexpr std::size_t begin_request_body_bytes = 8;

/// Follows the name-value pairs through the content of successive PARAMS records, which may split a pair (or
/// even a length) anywhere. Each length is one byte below 128, else four bytes with the top bit set; the name
/// and value bytes themselves only need to be counted.
class PairScanner {
public:
    explicit PairScanner(std::size_t max_length) noexcept : max_length_(max_length) { }

    /// Consumes one record's content; false when a pair announces a length that cannot fit in a head.
    bool consume(std::span<const std::uint8_t> content) noexcept {
        std::size_t at = 0;
        while (at < content.size()) {
            if (unread_ > 0) {
                const std::size_t step = std::min(unread_, content.size() - at);
                unread_ -= step;
                at += step;
                continue;
            }
            const std::uint8_t byte = content[at++];
            if (length_bytes_ == 0) {
                length_ = byte & 0x7fU;
                long_length_ = (byte & 0x80U) != 0;
            } else {
                length_ = (length_ << 8) | byte;
            }
            ++length_bytes_;
            if (long_length_ && length_bytes_ < 4) {
                continue;
            }
            length_bytes_ = 0;
            if (!reading_value_length_) {
                name_length_ = length_;
                reading_value_length_ = true;
                continue;
            }
            reading_value_length_ = false;
            // Each length is below 2^31, so the sum cannot wrap.
            if (name_length_ + length_ > max_length_) {
                return false;
            }
            unread_ = name_length_ + length_;
        }
        return true;
    }

    /// True between pairs: where the stream of pairs may end.
    [[nodiscard]] bool at_pair_boundary() const noexcept {
        return unread_ == 0 && length_bytes_ == 0 && !reading_value_length_;
    }

private:
    std::size_t max_length_;
    std::size_t length_ = 0;
    unsigned length_bytes_ = 0;
    bool long_length_ = false;
    bool reading_value_length_ = false;
    std::size_t name_length_ = 0;
    /// Name and value bytes of the current pair still to come.
    std::size_t unread_ = 0;
};

/// The end of a whole FCGI_STDIN stream of `request_id` starting at `at`, or 0 if it is not all in `bytes`
/// or holds another record.
std::size_t whole_stdin_end(std::span<const std::uint8_t> bytes, std::size_t at,
                            std::uint16_t request_id) noexcept {
    while (at + header_bytes <= bytes.size()) {
        const RecordHeader record = read_header(bytes, at);
        if (record.version != protocol_version || record.type != record_stdin ||
            record.request_id != request_id || at + record.total() > bytes.size()) {
            return 0;
        }
        at += record.total();
        if (record.content_bytes == 0) {
            return at;
        }
    }
    return 0;
}

HeadCheck refused(const char* reason) noexcept {
    HeadCheck check;
    check.state = HeadState::refused;
    check.reason = reason;
    return check;
}

} // namespace

HeadCheck check_head(std::span<const std::uint8_t> bytes, std::size_t max_head_bytes) noexcept {
    HeadCheck check;
    // Whether `end` bytes are there; sets the verdict when they are not.
    const auto have = [&](std::size_t end) {
        if (end > max_head_bytes) {
            check = refused("the request head is larger than the head limit");
            return false;
        }
        if (bytes.size() < end) {
            check.state = HeadState::incomplete;
            check.bytes_needed = end;
            return false;
        }
        return true;
    };

    if (!have(header_bytes)) {
        return check;
    }
    const RecordHeader begin = read_header(bytes, 0);
    if (begin.version != protocol_version) {
        return refused("not FastCGI version 1");
    }
    if (begin.type != record_begin_request || begin.request_id == 0 ||
        begin.content_bytes != begin_request_body_bytes) {
        return refused("the first record is not a BEGIN_REQUEST");
    }
    // libfcgi forgets the padding of the record that ends a stream type (it resets it when it switches to
    // the next) and would read it as the next record's header: BEGIN_REQUEST and the empty PARAMS record.
    // Web servers never pad them (BEGIN_REQUEST's body is 8 bytes, the empty record has none).
    if (begin.padding_bytes != 0) {
        return refused("a padded BEGIN_REQUEST");
    }
    if (!have(header_bytes + begin_request_body_bytes)) {
        return check;
    }
    check.request_id = begin.request_id;
    const auto role = static_cast<std::uint16_t>((bytes[header_bytes] << 8) | bytes[header_bytes + 1]);
    check.keep_connection = (bytes[header_bytes + 2] & flag_keep_connection) != 0;
    if (role != role_responder) {
        check.state = HeadState::unknown_role;
        return check;
    }
    if (!have(begin.total())) {
        return check;
    }

    PairScanner pairs(max_head_bytes);
    std::size_t at = begin.total();
    for (;;) {
        if (!have(at + header_bytes)) {
            return check;
        }
        const RecordHeader record = read_header(bytes, at);
        if (record.version != protocol_version) {
            return refused("not FastCGI version 1");
        }
        if (record.request_id != check.request_id) {
            return refused("records of another request in the head (multiplexing)");
        }
        if (record.type != record_params) {
            return refused(record.type == record_abort_request ? "the request was aborted"
                                                               : "a record other than PARAMS in the head");
        }
        if (!have(at + record.total())) {
            return check;
        }
        if (record.content_bytes == 0) {
            if (record.padding_bytes != 0) {
                return refused("a padded empty PARAMS record");
            }
            if (!pairs.at_pair_boundary()) {
                return refused("the PARAMS stream ends inside a name-value pair");
            }
            check.state = HeadState::complete;
            check.params_end = at + header_bytes;
            check.head_bytes = at + record.total();
            check.request_bytes = whole_stdin_end(bytes, check.head_bytes, check.request_id);
            return check;
        }
        if (!pairs.consume(bytes.subspan(at + header_bytes, record.content_bytes))) {
            return refused("a name-value pair longer than the head limit");
        }
        at += record.total();
    }
}

std::array<std::uint8_t, 16> end_request_record(std::uint16_t request_id,
                                                std::uint8_t protocol_status) noexcept {
    const auto id_high = static_cast<std::uint8_t>(request_id >> 8);
    const auto id_low = static_cast<std::uint8_t>(request_id & 0xffU);
    return {protocol_version,
            record_end_request,
            id_high,
            id_low,
            0,
            8,
            0,
            0,
            0,
            0,
            0,
            0,
            protocol_status,
            0,
            0,
            0};
}

} // namespace sdksign::gateway::fastcgi
