#pragma once
// A bundled provider's log lines go through the host's logger (<sdksign/provider.h>'s sdksign_host), which
// writes them in its own format, at its level, under the provider's name. Never pass a secret, a token or a
// file's contents.
#include <sdksign/provider.h>

#include <string_view>

namespace sdksign::plugin {

/// The provider table's `set_host`: keeps the host's table for log().
void set_host(const sdksign_host* host) noexcept;

/// Writes one line through the host. Without a host table (a host older than set_host, or a test that
/// dlopens the provider without one) the line is dropped: only the host knows where its log goes.
void log(int level, std::string_view message) noexcept;

inline void log_warning(std::string_view message) noexcept {
    log(SDKSIGN_LOG_WARN, message);
}

} // namespace sdksign::plugin
