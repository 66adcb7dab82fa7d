#pragma once
// Owns one file descriptor and closes it once. Neither copied nor moved: no owner in the providers hands
// a descriptor on.
#include <unistd.h>

namespace sdksign::plugin {

class UniqueFd {
public:
    explicit UniqueFd(int fd) noexcept : fd_(fd) { }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&&) = delete;
    UniqueFd& operator=(UniqueFd&&) = delete;
    ~UniqueFd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

} // namespace sdksign::plugin
