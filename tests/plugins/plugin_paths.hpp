#pragma once
// Where meson put the plugins under test (see tests/plugins/meson.build).
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace sdksign::test {

inline std::filesystem::path required_path(const char* variable) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(variable) + " is not set; run these tests with meson test");
    }
    return value;
}

inline std::filesystem::path mock_plugin(const std::string& variant) {
    return required_path("SDKSIGN_TEST_MOCK_DIR") / (variant + ".so");
}

inline std::filesystem::path env_plugin() {
    return required_path("SDKSIGN_TEST_ENV_PLUGIN");
}

} // namespace sdksign::test
