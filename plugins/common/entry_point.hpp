#pragma once
// What every provider bundled with sdksign needs at its C entry points: a bounded error message, a guard
// that lets no exception unwind across the ABI, and the provider table, which takes the host's table for
// log lines (host_log.hpp). The one exported symbol is <sdksign/provider.h>'s SDKSIGN_PROVIDER_EXPORT.
// Private to plugins/: a third-party provider still needs nothing but <sdksign/provider.h>.
#include "host_log.hpp"
#include "status_error.hpp"

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

/// Runs an entry point's body. A StatusError is reported with its status; anything else thrown is reported
/// as a transient failure, so the host keeps its last good credential.
template<typename Body> int guarded(char* err, std::size_t err_len, Body body) noexcept {
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

/// A provider's state is one object of `State`, made by its create entry point.
template<typename State> void destroy(void* state) noexcept {
    delete static_cast<State*>(state);
}

/// The provider table of a provider whose state is a `State`.
template<typename State>
constexpr sdksign_provider
provider_table(const char* name, const char* description, const sdksign_option_doc* options,
               decltype(sdksign_provider::create) create, decltype(sdksign_provider::fetch) fetch) noexcept {
    return {SDKSIGN_PROVIDER_ABI,
            sizeof(sdksign_provider),
            name,
            description,
            options,
            create,
            fetch,
            destroy<State>,
            set_host};
}

} // namespace sdksign::plugin
