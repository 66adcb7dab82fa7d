// The `env` credential provider: the SDK key and secret come from environment variables, named as in Zoom's
// Node sample by default (ZOOM_MEETING_SDK_KEY / ZOOM_MEETING_SDK_SECRET).
#include "entry_point.hpp"
#include "option_table.hpp"
#include "text.hpp"

#include <sdksign/provider.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>

namespace {

using sdksign::plugin::guarded;
using sdksign::plugin::OptionSpec;
using sdksign::plugin::OptionTable;
using sdksign::plugin::StatusError;
using sdksign::plugin::write_error;

struct VariableNames {
    std::string key;
    std::string secret;
};

struct EnvProvider {
    VariableNames meeting{"ZOOM_MEETING_SDK_KEY", "ZOOM_MEETING_SDK_SECRET"};
    VariableNames video{"ZOOM_VIDEO_SDK_KEY", "ZOOM_VIDEO_SDK_SECRET"};
};

// POSIX allows letters, digits and underscores; anything else is almost certainly a typo in the config.
bool is_variable_name(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

void check_variable_name(std::string_view option, const std::string& value) {
    if (!is_variable_name(value)) {
        throw StatusError(SDKSIGN_E_CONFIG,
                          "option '" + std::string(option) + "': '" + value + "' is not a variable name");
    }
}

/// One of the four options naming a variable (meeting or video, key or secret).
template<VariableNames EnvProvider::*Which, std::string VariableNames::*Field>
constexpr OptionSpec<EnvProvider> variable_option(const char* name, const char* help) noexcept {
    return sdksign::plugin::text_field_option<EnvProvider, VariableNames, Which, Field, check_variable_name>(
        name, help);
}

constexpr std::array<OptionSpec<EnvProvider>, 4> option_specs{{
    variable_option<&EnvProvider::meeting, &VariableNames::key>(
        "key-var", "environment variable holding the Meeting SDK key (client id)"),
    variable_option<&EnvProvider::meeting, &VariableNames::secret>(
        "secret-var", "environment variable holding the Meeting SDK secret (client secret)"),
    variable_option<&EnvProvider::video, &VariableNames::key>(
        "video-key-var", "environment variable holding the Video SDK key"),
    variable_option<&EnvProvider::video, &VariableNames::secret>(
        "video-secret-var", "environment variable holding the Video SDK secret"),
}};

// noexcept: it is first built while the provider is loaded, to fill in its table; a provider that cannot
// allocate its few option strings then cannot run, and the process ends rather than half-loads it.
const OptionTable<EnvProvider, option_specs.size()>& option_table() noexcept {
    static const OptionTable<EnvProvider, option_specs.size()> table(option_specs);
    return table;
}

int create(const sdksign_option* options, std::size_t count, void** state, char* err,
           std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        auto provider = std::make_unique<EnvProvider>();
        option_table().apply(*provider, options, count);
        *state = provider.release();
        return SDKSIGN_OK;
    });
}

int fetch(void* state, const char* credential, std::uint32_t /*deadline_ms*/, void* sink,
          sdksign_put_credential put, std::uint32_t* refresh_after_s, char* err,
          std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        const auto* provider = static_cast<const EnvProvider*>(state);
        const std::string which = credential;
        const VariableNames* names = nullptr;
        if (which == SDKSIGN_CREDENTIAL_MEETING) {
            names = &provider->meeting;
        } else if (which == SDKSIGN_CREDENTIAL_VIDEO) {
            names = &provider->video;
        } else {
            write_error(err, err_len, "no credential named '" + which + "'");
            return SDKSIGN_E_NOT_FOUND;
        }
        // The environment only changes with a restart, so no refresh is ever needed.
        *refresh_after_s = 0;
        const char* key = std::getenv(names->key.c_str());
        const char* secret = std::getenv(names->secret.c_str());
        if (key == nullptr && secret == nullptr) {
            // Neither: the host may do without this credential (a Meeting SDK app has no video one).
            write_error(err, err_len,
                        "environment variables " + names->key + " and " + names->secret + " are not set");
            return SDKSIGN_E_NOT_FOUND;
        }
        if (key == nullptr || secret == nullptr) {
            // Half a credential is a mistake to report, never a credential that is simply absent.
            write_error(err, err_len,
                        "environment variable " + (key == nullptr ? names->key : names->secret) +
                            " is not set, but " + (key == nullptr ? names->secret : names->key) + " is");
            return SDKSIGN_E_INVALID;
        }
        for (const auto& [name, value] : {std::pair{&names->key, key}, std::pair{&names->secret, secret}}) {
            if (sdksign::plugin::is_blank(value)) {
                write_error(err, err_len,
                            "environment variable " + *name + " " +
                                std::string(sdksign::plugin::blank_reason(value)));
                return SDKSIGN_E_INVALID;
            }
        }
        // The environment block belongs to the process, so there is no private copy to wipe here.
        put(sink, key, std::strlen(key), reinterpret_cast<const unsigned char*>(secret), std::strlen(secret));
        return SDKSIGN_OK;
    });
}

const sdksign_provider table = sdksign::plugin::provider_table<EnvProvider>(
    "env", "reads the SDK key and secret from environment variables", option_table().docs(), create, fetch);

} // namespace

SDKSIGN_PROVIDER_EXPORT(table)
