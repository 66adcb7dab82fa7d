#include "gateway/body_reader.hpp"

#include <algorithm>

namespace sdksign::gateway {

namespace {

/// Fills `storage` with up to `want` bytes, fewer when the source ends first.
void read_up_to(ByteSource& source, std::string& storage, std::size_t want) {
    storage.resize(want);
    std::size_t got = 0;
    while (got < want) {
        const std::size_t n = source.read_some(storage.data() + got, want - got);
        if (n == 0) {
            break;
        }
        got += std::min(n, want - got);
    }
    storage.resize(got);
}

void discard(ByteSource& source, std::size_t at_most) {
    if (at_most == 0) {
        return;
    }
    std::string scratch(std::min<std::size_t>(at_most, 65536), '\0');
    std::size_t dropped = 0;
    while (dropped < at_most) {
        const std::size_t n = source.read_some(scratch.data(), std::min(at_most - dropped, scratch.size()));
        if (n == 0) {
            return;
        }
        dropped += n;
    }
}

} // namespace

void read_request_body(ByteSource& source, const BodyLimits& limits, std::string& storage,
                       http::Request& request) {
    const std::optional<std::size_t> declared = request.content_length;
    const std::size_t limit = limits.max_body_bytes;
    storage.clear();
    bool too_large = false;
    if (declared && *declared > limit) {
        discard(source, std::min(*declared, limits.max_discarded_bytes));
        too_large = true;
    } else if (!declared && limits.read_undeclared) {
        // One byte past the limit tells a body of exactly the limit from a larger one.
        read_up_to(source, storage, limit + 1);
        if (storage.size() > limit) {
            discard(source, limits.max_discarded_bytes);
            storage.clear();
            too_large = true;
        }
    } else {
        read_up_to(source, storage, declared.value_or(0));
    }
    request.body = storage;
    request.body_too_large = too_large;
    if (declared && !too_large && storage.size() != *declared) {
        request.body_incomplete = true;
    }
}

} // namespace sdksign::gateway
