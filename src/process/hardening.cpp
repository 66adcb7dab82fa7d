#include "process/hardening.hpp"

#include "log/log.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sdksign::process {

void harden_process(CoreDumps core_dumps) noexcept {
    if (core_dumps == CoreDumps::on) {
        return;
    }
    // Both: with fs.suid_dumpable=2 the kernel still dumps a non-dumpable process (readable by root), and a
    // zero core limit alone would leave /proc/PID/mem open to the same user.
    const rlimit no_core{0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        log::warn("hardening",
                  std::string("cannot turn core dumps off (setrlimit: ") + std::strerror(errno) + ")");
    }
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        log::warn("hardening",
                  std::string("cannot make the process non-dumpable (prctl: ") + std::strerror(errno) + ")");
    }
}

} // namespace sdksign::process
