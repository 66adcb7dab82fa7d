#pragma once
// A request body as a pipe or socket may deliver it: in reads of at most `largest_read` bytes (0: as many as
// asked), counting what the reader took, so a test can check that nothing past a bound was read.
#include "gateway/body_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace sdksign::test {

class ChunkedSource : public gateway::ByteSource {
public:
    explicit ChunkedSource(std::string_view bytes, std::size_t largest_read = 0)
        : bytes_(bytes), largest_read_(largest_read) { }

    std::size_t read_some(char* into, std::size_t size) override {
        std::size_t n = std::min(size, bytes_.size() - taken_);
        if (largest_read_ != 0) {
            n = std::min(n, largest_read_);
        }
        std::copy_n(bytes_.data() + taken_, n, into);
        taken_ += n;
        return n;
    }

    [[nodiscard]] std::size_t taken() const { return taken_; }

private:
    std::string_view bytes_;
    std::size_t largest_read_;
    std::size_t taken_ = 0;
};

} // namespace sdksign::test
