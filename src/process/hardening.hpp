#pragma once
// Keeps the secrets in this process's memory out of reach of what is not the signing code: core dumps, and
// other processes of the same user (which could otherwise read /proc/PID/mem, /proc/PID/environ or attach a
// debugger). Called once at start-up, before any credential is read.
//
// The secret itself lives in Botan's secure_vector, whose pool of locked pages Botan also marks
// MADV_DONTDUMP (process/locked_pool.hpp sizes it for a CGI process); this covers the copies Botan's pool
// cannot hold (the pool is off when RLIMIT_MEMLOCK is 0 or BOTAN_MLOCK_POOL_SIZE=0) and everything a
// provider's libraries (libcurl, OpenSSL) keep on the heap.

namespace sdksign::process {

enum class CoreDumps {
    /// No core file, and the process is not dumpable: /proc/PID/{mem,environ,maps} belong to root and
    /// ptrace needs CAP_SYS_PTRACE.
    off,
    /// The system's defaults, for debugging a crash; a core file then holds the secret.
    on,
};

/// Applies the policy. Never fails: on a system without prctl(2) the process simply stays as it was, and a
/// warning line says so.
void harden_process(CoreDumps core_dumps) noexcept;

} // namespace sdksign::process
