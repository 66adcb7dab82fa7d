#pragma once
// The one exception type inside the bundled providers: a message safe to show (never a secret, a token or
// a file's contents) and the sdksign_status the C entry points return for it (see entry_point.hpp).
#include <stdexcept>
#include <string>

namespace sdksign::plugin {

class StatusError : public std::runtime_error {
public:
    StatusError(int status, const std::string& message) : std::runtime_error(message), status_(status) { }
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

} // namespace sdksign::plugin
