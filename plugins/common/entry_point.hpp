#pragma once
// What every provider bundled with sdksign needs at its C entry points: a bounded error message, a guard
// that lets no exception unwind across the ABI, and the provider table with its one exported symbol.
// Private to plugins/: a third-party provider still needs nothing but <sdksign/provider.h>.
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
    return {SDKSIGN_PROVIDER_ABI, sizeof(sdksign_provider), name, description, options, create, fetch,
            destroy<State>};
}

} // namespace sdksign::plugin

/// Exports the provider's entry point, the one symbol its shared object exports (plugins/common/exports.map),
/// returning `table`.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): a template cannot define an extern "C" function
#define SDKSIGN_EXPORT_PROVIDER(table)                                                                       \
    extern "C" SDKSIGN_EXPORT const sdksign_provider* sdksign_provider_v1() {                                \
        return &(table);                                                                                     \
    }
