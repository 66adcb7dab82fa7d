#pragma once
// A CA folder (ca-path, VAULT_CAPATH) read as Vault's Go client reads it (go-rootcerts LoadCAPath): every
// file in it and below it holds PEM certificates, whatever its name; no OpenSSL hash links needed.
#include <string>

namespace sdksign::vault {

/// The certificates of every file in `folder`, concatenated as one PEM bundle. Throws
/// VaultError(SDKSIGN_E_CONFIG) naming the folder or the file when the folder is missing, a file cannot be
/// read or holds no PEM certificate, or the folder holds none at all.
std::string load_ca_folder(const std::string& folder);

} // namespace sdksign::vault
