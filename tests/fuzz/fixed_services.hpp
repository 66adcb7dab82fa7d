#pragma once
// A fixed clock and credential for the fuzz targets that route requests through the host.
#include "app/clock.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_source.hpp"

#include <cstdint>
#include <string_view>

namespace sdksign::fuzz {

class FixedClock final : public app::Clock {
public:
    [[nodiscard]] std::int64_t now_seconds() const override { return 1700000000; }
};

/// Always the same credential: key "fuzzKEY" and the given secret, which a target then looks for in every
/// response.
class FixedCredentials final : public credentials::CredentialSource {
public:
    explicit FixedCredentials(std::string_view secret)
        : credential_(credentials::make_credential(
              "fuzzKEY", Botan::secure_vector<std::uint8_t>(secret.begin(), secret.end()))) { }
    [[nodiscard]] credentials::CredentialPtr current(std::string_view /*name*/) const override {
        return credential_;
    }

private:
    credentials::CredentialPtr credential_;
};

} // namespace sdksign::fuzz
