#include "ca_folder.hpp"

#include "errors.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

namespace sdksign::vault {

namespace {

[[noreturn]] void refuse(const std::string& message) {
    throw VaultError(SDKSIGN_E_CONFIG, message + " (option 'ca-path' or VAULT_CAPATH)");
}

} // namespace

std::string load_ca_folder(const std::string& folder) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (!fs::is_directory(folder, error)) {
        refuse("the CA folder " + folder + " " +
               (fs::exists(folder, error) ? "is not a folder" : "does not exist"));
    }
    // In name order, so that the bundle (and a message about it) is the same from one start to the next.
    std::vector<fs::path> files;
    fs::recursive_directory_iterator walk(folder, error);
    for (const fs::recursive_directory_iterator end; !error && walk != end; walk.increment(error)) {
        if (!walk->is_directory(error)) {
            files.push_back(walk->path());
        }
    }
    if (error) {
        refuse("cannot list the CA folder " + folder + ": " + error.message());
    }
    std::sort(files.begin(), files.end());
    std::string bundle;
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (!in && !in.eof()) {
            refuse("cannot read " + file.string() + " in the CA folder");
        }
        if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            refuse(file.string() + " in the CA folder holds no PEM certificate");
        }
        bundle += text;
        bundle += '\n';
    }
    if (bundle.empty()) {
        refuse("the CA folder " + folder + " holds no certificate");
    }
    return bundle;
}

} // namespace sdksign::vault
