#pragma once
// Reading a request body against its declared length (CONTENT_LENGTH) and the body limit, the same way for
// both gateways and from any byte source: stdin for CGI, libfcgi's input stream for FastCGI, a buffer in the
// fuzz target.
#include "http/request.hpp"

#include <cstddef>
#include <string>

namespace sdksign::gateway {

/// Where a body's bytes come from.
class ByteSource {
public:
    ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    ByteSource(ByteSource&&) = delete;
    ByteSource& operator=(ByteSource&&) = delete;
    virtual ~ByteSource() = default;

    /// Reads at least one and at most `size` (> 0) bytes into `into`; 0 at the end of the input or on an
    /// error (the caller cannot tell them apart: either way the body ends there).
    virtual std::size_t read_some(char* into, std::size_t size) = 0;
};

struct BodyLimits {
    /// A larger body is not kept: the request is marked body_too_large.
    std::size_t max_body_bytes = http::default_max_body_bytes;
    /// Without a declared length, read the body to its end (FastCGI; CGI for a chunked request) instead of
    /// taking it as empty (plain CGI, RFC 3875 4.2).
    bool read_undeclared = true;
    /// How much of an over-limit body is read and dropped before answering (CGI: a program that exits with
    /// its input unread resets the server's socket, and Apache's mod_cgid then loses the response); 0: none.
    std::size_t max_discarded_bytes = 0;
};

/// Reads the body of `request`, whose content_length the variables set, into `storage` and points
/// request.body at it. Marks body_too_large when it is larger than the limit (then nothing is kept) and
/// body_incomplete when fewer bytes than declared arrived. Never reads past the declared length, and
/// without one never more than one byte past the limit, but for what max_discarded_bytes allows to drop.
void read_request_body(ByteSource& source, const BodyLimits& limits, std::string& storage,
                       http::Request& request);

} // namespace sdksign::gateway
