#pragma once
// Loading credential provider plugins and calling them through the C ABI of <sdksign/provider.h>.
#include "credentials/credential.hpp"

#include <sdksign/provider.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::credentials {

/// A loaded provider shared object. It is never unloaded before every Provider made from it is gone (each
/// holds a reference), and never reloaded in-process.
class ProviderLibrary {
public:
    /// dlopen(RTLD_NOW | RTLD_LOCAL); check the entry symbol, ABI version, table size and name; hand the
    /// provider its host table (provider_host.hpp) when it takes one. Throws PluginError with a message
    /// naming the file.
    static std::shared_ptr<const ProviderLibrary> open(const std::filesystem::path& path);

    [[nodiscard]] const sdksign_provider& table() const noexcept { return *table_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// The name in its table: the section of its options and the component of its log lines.
    [[nodiscard]] std::string_view name() const noexcept { return table_->name; }
    /// The table's one-line description, for --help; nullopt when it has none.
    [[nodiscard]] std::optional<std::string> description() const;

    /// The options the provider documents, for --help and for validating configuration.
    [[nodiscard]] std::vector<sdksign_option_doc> option_docs() const;

private:
    struct Closer {
        void operator()(void* handle) const noexcept;
    };
    ProviderLibrary(std::filesystem::path path, std::unique_ptr<void, Closer> handle,
                    const sdksign_provider* table)
        : path_(std::move(path)), handle_(std::move(handle)), table_(table) { }

    std::filesystem::path path_;
    std::unique_ptr<void, Closer> handle_;
    const sdksign_provider* table_;
};

struct ProviderOption {
    std::string name;
    std::string value;
};

/// One provider state made by the plugin's `create`, destroyed by its `destroy`.
class Provider {
public:
    /// Throws ConfigError when the plugin refuses the options.
    Provider(std::shared_ptr<const ProviderLibrary> library, const std::vector<ProviderOption>& options);
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;
    Provider(Provider&&) = delete;
    Provider& operator=(Provider&&) = delete;
    ~Provider();

    /// Fetches one named credential. Throws CredentialError carrying the provider's status and message.
    /// Not thread-safe: the ABI allows one call at a time per state.
    FetchResult fetch(std::string_view credential_name, std::chrono::milliseconds deadline);
    /// fetch() as a FetchFunction, for the store; the provider must outlive it. With `deadline`, that
    /// deadline replaces the one the caller passes.
    FetchFunction fetcher();
    FetchFunction fetcher(std::chrono::milliseconds deadline);

    [[nodiscard]] const ProviderLibrary& library() const noexcept { return *library_; }

private:
    std::shared_ptr<const ProviderLibrary> library_;
    void* state_ = nullptr;
};

/// The folder of the program's file: the file `started_as` names (the path the program was started by,
/// getauxval(AT_EXECFN)) with every symbolic link resolved, as /proc/self/exe names it; /proc/self/exe's
/// folder when `started_as` is null or names nothing now; empty when neither is known.
std::filesystem::path program_folder(const char* started_as);

/// Where a provider named `name` is looked for, in order: `plugin_dir` alone when it is set; otherwise the
/// executable's own folder, its `../lib/sdksign`, the install's plugin folder relative to the executable
/// (relocated installs), then the compiled-in plugin folder.
std::vector<std::filesystem::path> provider_candidates(std::string_view name,
                                                       const std::filesystem::path& plugin_dir);

/// The first candidate that exists; throws PluginError listing every place tried. A name must be a plain
/// word: paths are only accepted through the explicit provider-path option.
std::filesystem::path find_provider(std::string_view name, const std::filesystem::path& plugin_dir);

/// The provider's shared object: `explicit_path` when it is set (the provider-path option), else the one
/// find_provider finds for `name`.
std::filesystem::path provider_file(const std::filesystem::path& explicit_path, std::string_view name,
                                    const std::filesystem::path& plugin_dir);

/// Opens the provider of provider_file(). One found by name must call itself by that name in its table: the
/// operator's `provider = NAME` is then also the section of its options. Throws PluginError otherwise.
std::shared_ptr<const ProviderLibrary> open_provider(const std::filesystem::path& explicit_path,
                                                     std::string_view name,
                                                     const std::filesystem::path& plugin_dir);

/// Every configured `section.name` option: its value, and where it was set for messages.
using SectionOptions = std::map<std::string, std::pair<std::string, std::string>>;

/// The options of section `provider`, checked against the names the provider documents; an option in another
/// section, or an undocumented name, is a ConfigError that names where it was set.
std::vector<ProviderOption> provider_options(const SectionOptions& configured, const std::string& provider,
                                             const std::vector<sdksign_option_doc>& documented);

} // namespace sdksign::credentials
