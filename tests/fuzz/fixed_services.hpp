#pragma once
// A fixed clock and credential for the fuzz targets that route requests through the host, and their quiet
// log. Included by exactly one file of each such target (it defines libFuzzer's initialisation hook).
#include "app/clock.hpp"
#include "credentials/credential.hpp"
#include "credentials/credential_source.hpp"
#include "log/log.hpp"

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

// Refusals are logged at info, one line per input: at millions of inputs that is most of the run's time.
// Defined here, once per fuzz target (each is one translation unit that includes this file).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) { // NOLINT(misc-definitions-in-headers)
    sdksign::log::set_level(sdksign::log::Level::warn);
    return 0;
}
