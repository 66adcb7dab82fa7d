#pragma once
// Where the Vault token comes from: given (option or VAULT_TOKEN), a token file (Vault Agent's sink), or a
// login (AppRole, Kubernetes) renewed at about two thirds of its TTL and replaced by a fresh login once
// renewal is capped by the max TTL or refused.
#include "errors.hpp"
#include "secret_file.hpp"
#include "settings.hpp"
#include "vault_client.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sdksign::vault {

/// What a login or a renewal grants: Vault's auth block.
struct GrantedToken {
    WipedBuffer token;
    /// The token's TTL; zero for a token that never expires.
    std::chrono::seconds lease{0};
    bool renewable = false;
};

/// The auth block of a 200 answer to a login or a renewal. Throws VaultError(SDKSIGN_E_UNAVAILABLE) when
/// the body has none (with a token string and a whole-number lease).
GrantedToken parse_auth_block(std::string_view body);

/// Vault's final answer to a login at auth/`mount`/login (`method` names it: "AppRole", "Kubernetes"): the
/// token a 200 grants, or a VaultError: denied (400, 403), config (404: no such auth mount), unavailable
/// (anything else, or no auth block). Messages may quote Vault's error messages, never the token.
GrantedToken interpret_login_answer(std::string_view method, const std::string& mount, const Reply& reply);

class TokenSource {
public:
    TokenSource(const Settings& settings, VaultClient& client);

    /// The token for the next request, after a login or renewal if one is due; empty when none is
    /// configured (Vault Agent's listener adds its own). Throws VaultError.
    std::string_view current(Clock::time_point deadline);

    /// Called after Vault refused the token as invalid: re-reads the token file, or logs in again.
    /// True when there is a different token worth one more try.
    bool replace_invalid(Clock::time_point deadline);

    /// Time until the token needs a renewal or a login, when it ever will.
    [[nodiscard]] std::optional<std::chrono::seconds> due_in() const;

    /// Where the token came from, for error messages ("token file /run/vault/token", "AppRole login").
    [[nodiscard]] std::string origin() const;

private:
    bool reload_file(bool force);
    /// At start-up the token file may not be written yet (Vault Agent's first login): waits for it, up to
    /// half the time left before `deadline` so that the request still fits, and says so in the log once.
    void wait_for_file(Clock::time_point deadline);
    void login(Clock::time_point deadline);
    void renew(Clock::time_point deadline);
    void adopt(GrantedToken granted, bool from_login);

    const Settings& settings_;
    VaultClient& client_;
    WipedBuffer token_;
    /// Group- or world-readable token, role id and secret id files are warned about once each.
    plugin::ReadableFileWarnings warnings_;

    struct FileStamp {
        ino_t inode = 0;
        long long mtime_ns = 0;
        off_t size = -1;
        bool operator==(const FileStamp&) const = default;
    };
    std::optional<FileStamp> file_stamp_;
    bool said_waiting_ = false;

    // For logins: when the token must be renewed, and whether renewing can still extend it.
    std::optional<Clock::time_point> renew_at_;
    std::optional<Clock::time_point> expires_at_;
    bool renewable_ = false;
    std::chrono::seconds ttl_{0};
};

/// A token, role id or secret id file read under `policy` (plugins/common/secret_file.hpp), its contents
/// with surrounding whitespace removed; `description` names it in messages ("the token file"). Also gives
/// the version read in `info` when asked. Throws VaultError naming the file, never quoting it; a missing
/// file is unavailable (Vault Agent renames new ones over it).
WipedBuffer read_login_file(const std::string& path, std::string_view description,
                            plugin::PermissionPolicy policy, plugin::ReadableFileWarnings& warnings,
                            struct stat* info = nullptr);

} // namespace sdksign::vault
