#pragma once
// What the code under test writes to stderr (fd 2, where log lines go) while a CapturedStderr lives: fd 2 is
// pointed at a temporary file and restored on the first read or at the end, so a failing check's own output
// is not swallowed.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace sdksign::test {

class CapturedStderr {
public:
    CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
        static_cast<void>(std::fflush(stderr));
        ::dup2(::fileno(file_), STDERR_FILENO);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;
    CapturedStderr(CapturedStderr&&) = delete;
    CapturedStderr& operator=(CapturedStderr&&) = delete;
    ~CapturedStderr() {
        restore();
        static_cast<void>(std::fclose(file_)); // a temporary file: nothing is lost if closing it fails
    }

    /// Everything written so far, while capturing goes on (for a test waiting on another thread's line).
    [[nodiscard]] std::string so_far() const {
        std::string result;
        std::array<char, 4096> buffer{};
        off_t offset = 0;
        for (ssize_t got = ::pread(::fileno(file_), buffer.data(), buffer.size(), offset); got > 0;
             got = ::pread(::fileno(file_), buffer.data(), buffer.size(), offset)) {
            result.append(buffer.data(), static_cast<std::size_t>(got));
            offset += got;
        }
        return result;
    }

    /// Everything written so far (stops capturing).
    std::string text() {
        restore();
        std::string result;
        std::rewind(file_);
        for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_)) {
            result.push_back(static_cast<char>(c));
        }
        return result;
    }

    /// The complete lines written so far, without their newlines (stops capturing).
    std::vector<std::string> lines() {
        std::vector<std::string> result(1);
        for (const char c : text()) {
            if (c == '\n') {
                result.emplace_back();
            } else {
                result.back().push_back(c);
            }
        }
        result.pop_back();
        return result;
    }

private:
    void restore() {
        if (saved_ >= 0) {
            static_cast<void>(std::fflush(stderr));
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }
    std::FILE* file_;
    int saved_;
};

} // namespace sdksign::test
