#include "secret_file.hpp"

#include "host_log.hpp"
#include "status_error.hpp"
#include "unique_fd.hpp"

#include <sdksign/provider.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sdksign::plugin {

namespace {

/// A secret file is a few hundred bytes; anything this large is the wrong file.
constexpr off_t largest_file = 1 << 20;

std::string mode_text(mode_t mode) {
    std::string text = "0000";
    const unsigned bits = mode & 0777U;
    text[1] = static_cast<char>('0' + ((bits >> 6U) & 7U));
    text[2] = static_cast<char>('0' + ((bits >> 3U) & 7U));
    text[3] = static_cast<char>('0' + (bits & 7U));
    return text;
}

bool same_version(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
        a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

} // namespace

FileContents read_secret_file(const SecretFile& file) {
    const std::string& path = file.path;
    const std::string name = file.description.empty() ? path : std::string(file.description) + " " + path;
    // O_NONBLOCK: a FIFO put in the file's place must not hang the refresh; it is refused below.
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int error = errno;
        const int status = error == ENOENT || error == ENOTDIR ? SDKSIGN_E_NOT_FOUND
            : error == EACCES || error == EPERM                ? SDKSIGN_E_DENIED
                                                               : SDKSIGN_E_UNAVAILABLE;
        throw StatusError(status, "cannot open " + name + ": " + std::strerror(error));
    }
    FileContents contents;
    if (::fstat(fd.get(), &contents.info) != 0) {
        throw StatusError(SDKSIGN_E_UNAVAILABLE, "cannot stat " + name + ": " + std::strerror(errno));
    }
    const mode_t mode = contents.info.st_mode;
    if (!S_ISREG(mode)) {
        throw StatusError(SDKSIGN_E_CONFIG, name + " is not a regular file");
    }
    if (file.policy != PermissionPolicy::ignore && (mode & (S_IWGRP | S_IWOTH)) != 0) {
        throw StatusError(SDKSIGN_E_DENIED,
                          name + " is writable by group or others (mode " + mode_text(mode) +
                              "); run chmod go-w on it" +
                              (file.policy_is_an_option ? ", or set the option permissions=ignore" : ""));
    }
    contents.readable_by_others = (mode & (S_IRGRP | S_IROTH)) != 0;
    if (file.policy == PermissionPolicy::strict && contents.readable_by_others) {
        throw StatusError(SDKSIGN_E_DENIED,
                          name + " is readable by group or others (mode " + mode_text(mode) +
                              ") and permissions=strict; run chmod 600 on it");
    }
    if (file.policy == PermissionPolicy::ignore) {
        contents.readable_by_others = false;
    }
    if (contents.info.st_size > largest_file) {
        throw StatusError(SDKSIGN_E_INVALID, name + " is larger than 1 MiB; is it the right file?");
    }
    // One byte more than the size, to notice a file that grew while it was read.
    const auto expected = static_cast<std::size_t>(contents.info.st_size);
    contents.bytes.resize(expected + 1);
    char* const bytes = contents.bytes.c_str();
    std::size_t got = 0;
    while (got < expected + 1) {
        const ssize_t n = ::read(fd.get(), bytes + got, expected + 1 - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw StatusError(SDKSIGN_E_UNAVAILABLE, "cannot read " + name + ": " + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    struct stat after { };
    if (got != expected || ::fstat(fd.get(), &after) != 0 || !same_version(contents.info, after)) {
        throw StatusError(SDKSIGN_E_UNAVAILABLE,
                          name + " changed while it was read; it is read again at the next refresh");
    }
    contents.bytes.resize(expected);
    return contents;
}

void ReadableFileWarnings::note(const std::string& path, const FileContents& contents,
                                std::string_view advice) {
    if (!contents.readable_by_others) {
        return;
    }
    const std::pair<dev_t, ino_t> version{contents.info.st_dev, contents.info.st_ino};
    const auto [found, added] = warned_.try_emplace(path, version);
    if (!added) {
        if (found->second == version) {
            return;
        }
        found->second = version;
    }
    log_warning(path + " can be read by group or others; run chmod 600 on it" + std::string(advice));
}

} // namespace sdksign::plugin
