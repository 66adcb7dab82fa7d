// The `vault` credential provider: the SDK key and secret come from a HashiCorp Vault (or OpenBao) KV
// secret, read with a token, a token file, an AppRole login or a Kubernetes login.
#include "entry_point.hpp"
#include "errors.hpp"
#include "kv_reader.hpp"
#include "settings.hpp"
#include "token_source.hpp"
#include "vault_client.hpp"

#include <sdksign/provider.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <new>
#include <string>

namespace {

using sdksign::plugin::guarded;

using namespace sdksign::vault;

class VaultProvider {
public:
    // Built in place from the options: a moved Settings could leave a short token behind in the old object.
    VaultProvider(const sdksign_option* options, std::size_t count)
        : settings_(parse_settings(options, count)), client_(settings_), tokens_(settings_, client_),
          reader_(settings_, client_, tokens_) { }

    std::uint32_t fetch(const std::string& credential, std::uint32_t deadline_ms, void* sink,
                        sdksign_put_credential put) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
        std::string path;
        if (credential == SDKSIGN_CREDENTIAL_MEETING) {
            path = settings_.path;
        } else if (credential == SDKSIGN_CREDENTIAL_VIDEO) {
            if (settings_.video_path.empty()) {
                throw VaultError(SDKSIGN_E_NOT_FOUND,
                                 "no video credential: the option 'video-path' is not set");
            }
            path = settings_.video_path;
        } else {
            throw VaultError(SDKSIGN_E_NOT_FOUND, "no credential named '" + credential + "'");
        }
        SecretPair pair = reader_.read(path, deadline);
        put(sink, pair.key.view().data(), pair.key.size(),
            reinterpret_cast<const unsigned char*>(pair.secret.view().data()), pair.secret.size());
        // The pair's buffers wipe themselves when it goes out of scope, right after the sink copied them.
        auto refresh = settings_.refresh_interval;
        if (pair.lease) {
            refresh = std::min(refresh, *pair.lease);
        }
        // Renewals and logins happen during fetches, so the host must call again before the token is due.
        if (const auto due = tokens_.due_in()) {
            refresh = std::min(refresh, *due);
        }
        return static_cast<std::uint32_t>(std::max<long long>(1, refresh.count()));
    }

private:
    Settings settings_;
    VaultClient client_;
    TokenSource tokens_;
    KvReader reader_;
};

int create(const sdksign_option* options, std::size_t count, void** state, char* err,
           std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        auto provider = std::make_unique<VaultProvider>(options, count);
        *state = provider.release();
        return SDKSIGN_OK;
    });
}

int fetch(void* state, const char* credential, std::uint32_t deadline_ms, void* sink,
          sdksign_put_credential put, std::uint32_t* refresh_after_s, char* err,
          std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        *refresh_after_s = static_cast<VaultProvider*>(state)->fetch(credential, deadline_ms, sink, put);
        return SDKSIGN_OK;
    });
}

const sdksign_provider table = sdksign::plugin::provider_table<VaultProvider>(
    "vault", "reads the SDK key and secret from a HashiCorp Vault KV secret", option_docs(), create, fetch);

} // namespace

SDKSIGN_PROVIDER_EXPORT(table)
