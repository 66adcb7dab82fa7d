#pragma once
// Reading one secret from a KV engine (version 1 or 2) and telling Vault's answers apart: not found,
// deleted or destroyed, a v1 path on a v2 mount, permission denied, invalid token, sealed.
#include "settings.hpp"
#include "token_source.hpp"
#include "vault_client.hpp"
#include "wiped_buffer.hpp"

#include <chrono>
#include <optional>
#include <string>

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
    [[nodiscard]] std::string api_path(const std::string& path) const;
    SecretPair interpret(const std::string& path, Reply& reply) const;
    [[noreturn]] void fail(const std::string& path, const Reply& reply) const;

    const Settings& settings_;
    VaultClient& client_;
    TokenSource& tokens_;
};

} // namespace sdksign::vault
