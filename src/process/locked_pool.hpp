#pragma once
// The size of Botan's pool of locked memory, where every secure_vector of 16 to 256 bytes lives (the secret,
// the HMAC key blocks, the bearer token's digest): locked so that it never reaches swap, and marked
// MADV_DONTDUMP so that a core file would leave it out.
//
// Botan 2.19 sets the pool up on its first secure allocation, with BOTAN_MLOCK_POOL_SIZE KiB (default and
// maximum 512, capped by RLIMIT_MEMLOCK), one page at a time: each page is mapped between two guard pages,
// locked, cleared and fenced, and unmapped again at exit. For a FastCGI worker that is paid once; for a CGI
// process, which holds one secret for a few milliseconds, 128 pages cost most of the request.

#include <cstddef>

namespace sdksign::process {

/// Botan's pool gives each allocation size class (12 of them, 16 to 256 bytes) pages of its own, and gives
/// a page back when its last object is freed. What one request holds there at once: the secret (its length's
/// class), SHA-256's 32-byte state and the bearer token's digest (32), and HMAC's key blocks and SHA-256's
/// buffer (64): three pages at most (the bearer token file is read into a 4 KiB buffer, which is never in the
/// pool). Four pages leave one to spare; an object that found no room would go to the unlocked heap, which
/// the secret-memory test would see. 16 KiB also stays below the 64 KiB RLIMIT_MEMLOCK many hosts give.
inline constexpr std::size_t one_request_locked_pool_kib = std::size_t{4} * 4;

/// The variable Botan reads, in KiB.
inline constexpr const char* locked_pool_variable = "BOTAN_MLOCK_POOL_SIZE";

/// For a process that answers one request (CGI): sizes the pool to one_request_locked_pool_kib, unless the
/// environment already sets BOTAN_MLOCK_POOL_SIZE (an operator's choice, 0 included, is kept). Call it
/// before anything allocates a secure_vector, and before other threads start (it changes the environment):
/// Botan reads the variable once, when its pool is made.
void size_locked_pool_for_one_request() noexcept;

} // namespace sdksign::process
