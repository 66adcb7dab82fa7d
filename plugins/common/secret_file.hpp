#pragma once
// Reading a secret file safely, the same way for every bundled provider (the file provider's credentials
// file; the vault provider's token, role id and secret id files): its permissions checked on the open
// descriptor (no race with a rename), its bytes read once into wiped memory, and a read that raced with a
// writer (the size or modification time changed meanwhile) refused instead of half-taken. Messages name the
// file, never its contents.
#include "wiped_buffer.hpp"

#include <sys/stat.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace sdksign::plugin {

/// What group and others may do with the file.
enum class PermissionPolicy {
    /// Refuse a file group or others can write; warn (once per file) when they can read it. Like ssh.
    warn,
    /// Refuse a file group or others can write or read.
    strict,
    /// Check nothing (the file is protected some other way, e.g. a private mount).
    ignore,
};

struct SecretFile {
    std::string path;
    /// How messages name the file before its path ("the token file"); empty: the path alone.
    std::string_view description;
    PermissionPolicy policy = PermissionPolicy::warn;
    /// Whether the provider has a `permissions` option that messages may point at.
    bool policy_is_an_option = false;
};

struct FileContents {
    WipedBuffer bytes;
    struct stat info { };
    /// True when group or others can read it (and the policy let it through).
    bool readable_by_others = false;
};

/// Opens and reads the file (following symbolic links, as a kubectl-style mount needs). Throws StatusError:
/// not found, denied (by the system or by the policy), config (not a regular file), invalid (over 1 MiB),
/// unavailable (anything else, a read that raced with a writer included).
FileContents read_secret_file(const SecretFile& file);

/// The warning about a file group or others can read, once per file rather than once per read: a file put
/// in its place (another device or inode) is warned about again. Written through the host (host_log.hpp).
class ReadableFileWarnings {
public:
    /// Warns when `contents` says so and this version of `path` was not warned about yet. `advice` follows
    /// "run chmod 600 on it".
    void note(const std::string& path, const FileContents& contents, std::string_view advice = {});

private:
    std::map<std::string, std::pair<dev_t, ino_t>> warned_;
};

} // namespace sdksign::plugin
