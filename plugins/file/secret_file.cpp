#include "secret_file.hpp"

#include <sdksign/provider.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sdksign::file_provider {

namespace {

/// A credentials file is a few hundred bytes; anything this large is the wrong file.
constexpr off_t largest_file = 1 << 20;

class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) { }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor(Descriptor&&) = delete;
    Descriptor& operator=(Descriptor&&) = delete;
    ~Descriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

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

FileContents read_secret_file(const std::string& path, PermissionPolicy policy) {
    // O_NONBLOCK: a FIFO put in the file's place must not hang the refresh; it is refused below.
    const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int error = errno;
        const int status = error == ENOENT || error == ENOTDIR ? SDKSIGN_E_NOT_FOUND
            : error == EACCES || error == EPERM                ? SDKSIGN_E_DENIED
                                                               : SDKSIGN_E_UNAVAILABLE;
        throw FileError(status, "cannot open " + path + ": " + std::strerror(error));
    }
    FileContents contents;
    if (::fstat(fd.get(), &contents.info) != 0) {
        throw FileError(SDKSIGN_E_UNAVAILABLE, "cannot stat " + path + ": " + std::strerror(errno));
    }
    const mode_t mode = contents.info.st_mode;
    if (!S_ISREG(mode)) {
        throw FileError(SDKSIGN_E_CONFIG, path + " is not a regular file");
    }
    if (policy != PermissionPolicy::ignore && (mode & (S_IWGRP | S_IWOTH)) != 0) {
        throw FileError(SDKSIGN_E_DENIED,
                        path + " is writable by group or others (mode " + mode_text(mode) +
                            "); run chmod go-w on it, or set the option permissions=ignore");
    }
    contents.readable_by_others = (mode & (S_IRGRP | S_IROTH)) != 0;
    if (policy == PermissionPolicy::strict && contents.readable_by_others) {
        throw FileError(SDKSIGN_E_DENIED,
                        path + " is readable by group or others (mode " + mode_text(mode) +
                            ") and permissions=strict; run chmod 600 on it");
    }
    if (policy == PermissionPolicy::ignore) {
        contents.readable_by_others = false;
    }
    if (contents.info.st_size > largest_file) {
        throw FileError(SDKSIGN_E_INVALID, path + " is larger than 1 MiB; is it the right file?");
    }
    // One byte more than the size, to notice a file that grew while it was read.
    const auto expected = static_cast<std::size_t>(contents.info.st_size);
    contents.bytes.resize(expected + 1);
    std::size_t got = 0;
    while (got < contents.bytes.size()) {
        const ssize_t n = ::read(fd.get(), contents.bytes.data() + got, contents.bytes.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw FileError(SDKSIGN_E_UNAVAILABLE, "cannot read " + path + ": " + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    struct stat after { };
    if (got != expected || ::fstat(fd.get(), &after) != 0 || !same_version(contents.info, after)) {
        throw FileError(SDKSIGN_E_UNAVAILABLE,
                        path + " changed while it was read; it is read again at the next refresh");
    }
    contents.bytes.resize(expected);
    return contents;
}

} // namespace sdksign::file_provider
