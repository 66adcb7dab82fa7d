#pragma once
// What every provider bundled with sdksign needs at its C entry points: a bounded error message and a guard
// that lets no exception unwind across the ABI. Header-only and private to plugins/: a third-party provider
// still needs nothing but <sdksign/provider.h>.
#include <sdksign/provider.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <new>
#include <string_view>

namespace sdksign::plugin {

/// Copies `message` into the host's error buffer, cut to fit and always terminated.
inline void write_error(char* err, std::size_t err_len, std::string_view message) noexcept {
    if (err == nullptr || err_len == 0) {
        return;
    }
    const std::size_t length = std::min(message.size(), err_len - 1);
    message.copy(err, length);
    err[length] = '\0';
}

/// Stands in for a plugin's own error type when it has none; never thrown.
struct NoStatusError : std::exception {
    [[nodiscard]] static int status() noexcept { return SDKSIGN_E_UNAVAILABLE; }
};

/// Runs an entry point's body. `StatusError` is the plugin's exception carrying an sdksign_status (its
/// status()); anything else thrown is reported as a transient failure, so the host keeps its last good
/// credential.
template<typename StatusError = NoStatusError, typename Body>
int guarded(char* err, std::size_t err_len, Body body) noexcept {
    try {
        return body();
    } catch (const StatusError& e) {
        write_error(err, err_len, e.what());
        return e.status();
    } catch (const std::bad_alloc&) {
        write_error(err, err_len, "out of memory");
    } catch (const std::exception& e) {
        write_error(err, err_len, e.what());
    } catch (...) {
        write_error(err, err_len, "unexpected failure");
    }
    return SDKSIGN_E_UNAVAILABLE;
}

} // namespace sdksign::plugin
