#pragma once
// Reading a secret file safely: its permissions checked on the open descriptor (no race with a rename), its
// bytes read into wiped memory, and a read that raced with a writer (the size or modification time changed
// meanwhile) refused instead of half-taken.
#include "wiped_buffer.hpp"

#include <sys/stat.h>

#include <stdexcept>
#include <string>

namespace sdksign::file_provider {

/// What group and others may do with the file.
enum class PermissionPolicy {
    /// Refuse a file group or others can write; warn (once per file) when they can read it. Like ssh.
    warn,
    /// Refuse a file group or others can write or read.
    strict,
    /// Check nothing (the file is protected some other way, e.g. a private mount).
    ignore,
};

/// A failure with the provider status to report (an sdksign_status).
class FileError : public std::runtime_error {
public:
    FileError(int status, const std::string& what) : std::runtime_error(what), status_(status) { }
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

struct FileContents {
    WipedBuffer bytes;
    struct stat info { };
    /// True when group or others can read it (and the policy let it through).
    bool readable_by_others = false;
};

/// Opens and reads `path` (following symbolic links, as a kubectl-style mount needs). Throws FileError.
FileContents read_secret_file(const std::string& path, PermissionPolicy policy);

} // namespace sdksign::file_provider
