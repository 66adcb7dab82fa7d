#pragma once
// Reading one secret from a KV engine (version 1 or 2) and telling Vault's answers apart: not found,
// deleted or destroyed, a v1 path on a v2 mount, permission denied, invalid token, sealed.
#include "errors.hpp"
#include "settings.hpp"
#include "token_source.hpp"
#include "vault_client.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sdksign::vault {

struct SecretPair {
    WipedBuffer key;
    WipedBuffer secret;
    /// The secret's lease (KV v1's advisory TTL), when Vault gave one.
    std::optional<std::chrono::seconds> lease;
};

class KvReader {
public:
    KvReader(const Settings& settings, VaultClient& client, TokenSource& tokens);

    /// Reads `path` below the configured mount. Throws VaultError with a status and a message naming the
    /// secret's path (never its values).
    SecretPair read(const std::string& path, Clock::time_point deadline);

private:
    const Settings& settings_;
    VaultClient& client_;
    TokenSource& tokens_;
};

/// What Vault's answer to a KV read is read against: the engine's settings (version, mount, field names)
/// and the names its messages use.
struct KvAnswerContext {
    const Settings& settings;
    /// Vault's address ("Vault at ... is sealed").
    std::string_view address;
    /// Where the token came from (TokenSource::origin), for a token Vault refused as invalid.
    std::string_view token_origin;
};

/// Vault's final answer (status and body) to a read of `path`: the key/secret pair of a 200, or a
/// VaultError telling the other answers apart (not found, deleted or destroyed, a v1 path on a v2 mount,
/// permission denied, invalid token, sealed, rate limited, unexpected). Messages name the secret's path and
/// may quote Vault's error messages, never a field's value. Parses `reply.body` in place.
SecretPair interpret_kv_answer(const KvAnswerContext& context, const std::string& path, Reply& reply);

} // namespace sdksign::vault
