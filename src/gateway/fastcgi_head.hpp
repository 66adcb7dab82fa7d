#pragma once
// Checks a FastCGI request head (BEGIN_REQUEST, then the PARAMS records up to the empty one) from the raw
// bytes a peer sent, before libfcgi reads any of them. libfcgi trusts the name and value lengths of PARAMS
// (a 31-bit length overflows its int arithmetic and an allocation failure aborts the process) and reads a
// head with no bound on its size or time, so only a head that passed this check is ever handed to it: every
// record well-formed and for one request, the responder role, every name-value pair complete, the whole head
// within a size limit. Pure and allocation-free, so it is unit-tested and fuzzed on its own.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sdksign::gateway::fastcgi {

/// FastCGI 1.0 record types and constants used by the check (the specification's names, shortened).
inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t header_bytes = 8;
inline constexpr std::uint8_t record_begin_request = 1;
inline constexpr std::uint8_t record_abort_request = 2;
inline constexpr std::uint8_t record_end_request = 3;
inline constexpr std::uint8_t record_params = 4;
inline constexpr std::uint8_t record_stdin = 5;
inline constexpr std::uint16_t role_responder = 1;
inline constexpr std::uint8_t flag_keep_connection = 1;
inline constexpr std::uint8_t status_request_complete = 0;
inline constexpr std::uint8_t status_unknown_role = 3;

/// One record's header, as the 8 bytes at `at` of `bytes` say (the caller checks that they are there).
struct RecordHeader {
    std::uint8_t version;
    std::uint8_t type;
    std::uint16_t request_id;
    std::size_t content_bytes;
    std::size_t padding_bytes;

    [[nodiscard]] std::size_t total() const noexcept { return header_bytes + content_bytes + padding_bytes; }
};

[[nodiscard]] inline RecordHeader read_header(std::span<const std::uint8_t> bytes, std::size_t at) noexcept {
    return RecordHeader{
        .version = bytes[at],
        .type = bytes[at + 1],
        .request_id = static_cast<std::uint16_t>((bytes[at + 2] << 8) | bytes[at + 3]),
        .content_bytes = static_cast<std::size_t>((bytes[at + 4] << 8) | bytes[at + 5]),
        .padding_bytes = bytes[at + 6],
    };
}

enum class HeadState {
    /// Not all of the head has arrived: check again once `bytes_needed` bytes are there.
    incomplete,
    /// A whole, checked head of `head_bytes` bytes: libfcgi may read it.
    complete,
    /// A well-formed BEGIN_REQUEST for a role other than responder: answer FCGI_UNKNOWN_ROLE, then close.
    unknown_role,
    /// Not a head this server serves (malformed, multiplexed, too large): close the connection.
    refused,
};

struct HeadCheck {
    HeadState state = HeadState::incomplete;
    /// incomplete: the number of bytes, counted from the start, without which no further progress is made.
    std::size_t bytes_needed = 0;
    /// complete: the length of the head, up to and including the empty PARAMS record and its padding.
    std::size_t head_bytes = 0;
    /// complete: where the empty PARAMS record's padding begins (what libfcgi reads of the head).
    std::size_t params_end = 0;
    /// complete, when the request's whole FCGI_STDIN stream follows the head in the bytes checked, only
    /// STDIN records of this request up to the empty one: the length of head and stream together. 0 when
    /// the stream is not all there (or holds anything else): its records are then read as they come.
    std::size_t request_bytes = 0;
    /// From BEGIN_REQUEST, once it has been read.
    std::uint16_t request_id = 0;
    bool keep_connection = false;
    /// refused: why, for a debug log line. A fixed text: never any of the peer's bytes.
    const char* reason = "";
};

/// Checks `bytes`, the first bytes a peer sent for one request (more may follow them on the socket).
/// A head longer than `max_head_bytes`, or one that announces a record or a name-value pair that could not
/// fit in that many bytes, is refused as soon as the announcement is seen.
[[nodiscard]] HeadCheck check_head(std::span<const std::uint8_t> bytes, std::size_t max_head_bytes) noexcept;

/// The FCGI_END_REQUEST record for `request_id` with `protocol_status` and an application status of 0.
[[nodiscard]] std::array<std::uint8_t, 16> end_request_record(std::uint16_t request_id,
                                                              std::uint8_t protocol_status) noexcept;

} // namespace sdksign::gateway::fastcgi
