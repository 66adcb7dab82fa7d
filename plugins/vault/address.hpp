#pragma once
// Vault addresses as Vault's Go client reads them: http://, https:// or unix:// (Vault Agent's listener),
// with a password in them never printed.
#include <string>
#include <string_view>

namespace sdksign::vault {

/// `address` as Go's HTTP client prints it in errors: a password in it replaced by `***`
/// (`https://user:***@vault:8200`), everything else unchanged.
std::string redacted_address(std::string_view address);

/// Whether `address` is one sdksign can use: http:// or https:// with a host, or unix:// with an absolute
/// socket path.
bool is_vault_address(std::string_view address);

/// The socket path of a unix:// address (`unix:///run/vault/agent.sock`), or "" for http(s).
std::string unix_socket_path(std::string_view address);

/// What requests are sent to: the address itself, or http://localhost for a unix socket (which the HTTP
/// client connects to instead), as the Go client speaks HTTP over Vault Agent's socket.
std::string request_base(std::string_view address);

} // namespace sdksign::vault
