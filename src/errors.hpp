#pragma once
// The host's one exception hierarchy. Third-party exceptions (Botan, Boost, libc errors) are translated into
// these where they occur, so the code above a boundary only ever catches sdksign::Error.
#include <stdexcept>
#include <string>

namespace sdksign {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The operator's configuration is wrong: an unknown option, a malformed value, a missing file.
class ConfigError : public Error {
public:
    using Error::Error;
};

/// A provider plugin could not be loaded or does not fit this host's ABI.
class PluginError : public Error {
public:
    using Error::Error;
};

/// A provider could not deliver a credential; `status` is the provider's sdksign_status.
class CredentialError : public Error {
public:
    CredentialError(int status, const std::string& message) : Error(message), status_(status) { }
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

/// A system call failed; the message names the call and the object it was about.
class SystemError : public Error {
public:
    using Error::Error;
};

} // namespace sdksign
