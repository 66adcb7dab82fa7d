// The `env` credential provider: the SDK key and secret come from environment variables, named as in Zoom's
// Node sample by default (ZOOM_MEETING_SDK_KEY / ZOOM_MEETING_SDK_SECRET).
#include "entry_point.hpp"

#include <sdksign/provider.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

namespace {

using sdksign::plugin::guarded;
using sdksign::plugin::write_error;

struct VariableNames {
    std::string key;
    std::string secret;
};

struct EnvProvider {
    VariableNames meeting{"ZOOM_MEETING_SDK_KEY", "ZOOM_MEETING_SDK_SECRET"};
    VariableNames video{"ZOOM_VIDEO_SDK_KEY", "ZOOM_VIDEO_SDK_SECRET"};
};

constexpr sdksign_option_doc option_docs[] = {
    {"key-var", "environment variable holding the Meeting SDK key (client id)", "ZOOM_MEETING_SDK_KEY"},
    {"secret-var", "environment variable holding the Meeting SDK secret (client secret)",
     "ZOOM_MEETING_SDK_SECRET"},
    {"video-key-var", "environment variable holding the Video SDK key", "ZOOM_VIDEO_SDK_KEY"},
    {"video-secret-var", "environment variable holding the Video SDK secret", "ZOOM_VIDEO_SDK_SECRET"},
    {nullptr, nullptr, nullptr},
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

int create(const sdksign_option* options, std::size_t count, void** state, char* err,
           std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        auto provider = std::make_unique<EnvProvider>();
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = options[i].name;
            const std::string value = options[i].value;
            std::string* target = nullptr;
            if (name == "key-var") {
                target = &provider->meeting.key;
            } else if (name == "secret-var") {
                target = &provider->meeting.secret;
            } else if (name == "video-key-var") {
                target = &provider->video.key;
            } else if (name == "video-secret-var") {
                target = &provider->video.secret;
            } else {
                write_error(err, err_len, "unknown option '" + name + "'");
                return SDKSIGN_E_CONFIG;
            }
            if (!is_variable_name(value)) {
                write_error(err, err_len, "option '" + name + "': '" + value + "' is not a variable name");
                return SDKSIGN_E_CONFIG;
            }
            *target = value;
        }
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
        if (which == "meeting") {
            names = &provider->meeting;
        } else if (which == "video") {
            names = &provider->video;
        } else {
            write_error(err, err_len, "no credential named '" + which + "'");
            return SDKSIGN_E_NOT_FOUND;
        }
        // The environment only changes with a restart, so no refresh is ever needed.
        *refresh_after_s = 0;
        const char* key = std::getenv(names->key.c_str());
        const char* secret = std::getenv(names->secret.c_str());
        if (key == nullptr || secret == nullptr) {
            write_error(err, err_len,
                        "environment variable " + (key == nullptr ? names->key : names->secret) +
                            " is not set");
            return SDKSIGN_E_NOT_FOUND;
        }
        if (*key == '\0' || *secret == '\0') {
            write_error(err, err_len,
                        "environment variable " + (*key == '\0' ? names->key : names->secret) + " is empty");
            return SDKSIGN_E_INVALID;
        }
        // The environment block belongs to the process, so there is no private copy to wipe here.
        put(sink, key, std::strlen(key), reinterpret_cast<const unsigned char*>(secret), std::strlen(secret));
        return SDKSIGN_OK;
    });
}

constexpr sdksign_provider table = sdksign::plugin::provider_table<EnvProvider>(
    "env", "reads the SDK key and secret from environment variables", &option_docs[0], create, fetch);

} // namespace

SDKSIGN_EXPORT_PROVIDER(table)
