#include "credentials/credential.hpp"

#include "json/json_text.hpp"

namespace sdksign::credentials {

CredentialPtr make_credential(std::string key, Botan::secure_vector<std::uint8_t> secret) {
    auto credential = std::make_shared<Credential>();
    credential->key_json = json::json_string(key);
    credential->key = std::move(key);
    credential->secret = std::move(secret);
    return credential;
}

} // namespace sdksign::credentials
