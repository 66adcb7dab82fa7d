#pragma once
// The one exception type inside the provider: a message safe to show (never a secret or token) and the
// sdksign_status the C entry points return for it.
#include <sdksign/provider.h>

#include <stdexcept>
#include <string>

namespace sdksign::vault {

class VaultError : public std::runtime_error {
public:
    VaultError(int status, const std::string& message) : std::runtime_error(message), status_(status) { }
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

} // namespace sdksign::vault
