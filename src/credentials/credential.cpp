#include "credentials/credential.hpp"

#include "json/json_text.hpp"

#include <sdksign/provider.h>

namespace sdksign::credentials {

CredentialPtr make_credential(std::string key, Botan::secure_vector<std::uint8_t> secret) {
    auto credential = std::make_shared<Credential>();
    credential->key_json = json::json_string(key);
    credential->key = std::move(key);
    credential->secret = std::move(secret);
    return credential;
}

std::string_view status_name(int status) noexcept {
    switch (status) {
    case SDKSIGN_OK:
        return "ok";
    case SDKSIGN_E_CONFIG:
        return "configuration error";
    case SDKSIGN_E_NOT_FOUND:
        return "not found";
    case SDKSIGN_E_DENIED:
        return "access denied";
    case SDKSIGN_E_UNAVAILABLE:
        return "unavailable";
    case SDKSIGN_E_INVALID:
        return "invalid credential";
    default:
        return "unknown status";
    }
}

} // namespace sdksign::credentials
