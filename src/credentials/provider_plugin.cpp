#include "credentials/provider_plugin.hpp"

#include "build_config.hpp"
#include "credentials/provider_host.hpp"
#include "errors.hpp"

#include <dlfcn.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>

namespace sdksign::credentials {

namespace {

constexpr std::size_t error_buffer_size = 512;

std::string buffer_text(const std::array<char, error_buffer_size>& buffer) {
    // A plugin may forget the terminator; never read past the buffer.
    std::size_t length = 0;
    while (length < buffer.size() && buffer[length] != '\0') {
        ++length;
    }
    std::string text(buffer.data(), length);
    return text.empty() ? std::string("no reason given") : text;
}

bool is_valid_utf8_text(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            return false;
        }
        std::size_t extra = 0;
        if (c < 0x80) {
            extra = 0;
        } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
        } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
            extra = 3;
        } else {
            return false;
        }
        if (extra > 0 && i + extra >= text.size()) {
            return false;
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

/// What the provider handed to the sink; filled in C-callable code that must not throw.
struct Sink {
    std::string key;
    Botan::secure_vector<std::uint8_t> secret;
    int calls = 0;
    bool out_of_memory = false;
};

extern "C" void put_credential(void* sink_pointer, const char* key, std::size_t key_len,
                               const unsigned char* secret, std::size_t secret_len) {
    auto* sink = static_cast<Sink*>(sink_pointer);
    try {
        ++sink->calls;
        sink->key.assign(key, key_len);
        sink->secret.assign(secret, secret + secret_len);
    } catch (...) {
        sink->out_of_memory = true;
    }
}

/// What <sdksign/provider.h> allows as a provider's name: a section name in the configuration file, on the
/// command line and in an environment variable (where '_' already stands for '-').
bool is_provider_name(const char* name) {
    const std::size_t length = ::strnlen(name, SDKSIGN_PROVIDER_NAME_MAX + 1);
    if (length == 0 || length > SDKSIGN_PROVIDER_NAME_MAX || name[0] == '-') {
        return false;
    }
    return std::all_of(name, name + length,
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

/// Whether the table is large enough to hold `set_host`: a provider built before it was appended is not.
bool has_set_host(const sdksign_provider& table) {
    return table.struct_size >= offsetof(sdksign_provider, set_host) + sizeof(table.set_host) &&
        table.set_host != nullptr;
}

} // namespace

std::filesystem::path program_folder(const char* started_as) {
    // realpath(3) on the path the program was started by costs a few lookups in the kernel's cache of names.
    // /proc/self/exe gives the same file, but the first look into /proc/self builds the process's procfs
    // entries: about 10 microseconds of a CGI request on the development machine (bench/run's CGI rows).
    if (started_as != nullptr) {
        const std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(started_as, nullptr),
                                                                   &std::free);
        if (resolved) {
            return std::filesystem::path(resolved.get()).parent_path();
        }
    }
    std::error_code error;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::filesystem::path() : self.parent_path();
}

void ProviderLibrary::Closer::operator()(void* handle) const noexcept {
    if (handle != nullptr) {
        ::dlclose(handle);
    }
}

std::shared_ptr<const ProviderLibrary> ProviderLibrary::open(const std::filesystem::path& path) {
    const std::string file = path.string();
    ::dlerror(); // clear any stale error so the one read below is ours
    std::unique_ptr<void, Closer> handle(::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!handle) {
        const char* reason = ::dlerror();
        throw PluginError("cannot load provider " + file + ": " +
                          (reason != nullptr ? reason : "unknown error"));
    }
    ::dlerror();
    void* symbol = ::dlsym(handle.get(), SDKSIGN_PROVIDER_ENTRY);
    if (symbol == nullptr) {
        const char* reason = ::dlerror();
        throw PluginError("provider " + file + " does not export " SDKSIGN_PROVIDER_ENTRY " (" +
                          (reason != nullptr ? reason : "symbol is null") + "); is it an sdksign provider?");
    }
    const auto entry = reinterpret_cast<sdksign_provider_entry>(symbol);
    const sdksign_provider* table = entry();
    if (table == nullptr) {
        throw PluginError("provider " + file + " returned no provider table");
    }
    if (table->abi_version != SDKSIGN_PROVIDER_ABI) {
        throw PluginError("provider " + file + " was built for provider ABI " +
                          std::to_string(table->abi_version) + ", this sdksign needs ABI " +
                          std::to_string(SDKSIGN_PROVIDER_ABI) +
                          "; rebuild the provider against this version's <sdksign/provider.h>");
    }
    if (table->struct_size < SDKSIGN_PROVIDER_MIN_SIZE) {
        throw PluginError("provider " + file + " has a provider table of " +
                          std::to_string(table->struct_size) + " bytes, smaller than the " +
                          std::to_string(SDKSIGN_PROVIDER_MIN_SIZE) + " bytes of ABI " +
                          std::to_string(SDKSIGN_PROVIDER_ABI) + "; it is damaged or too old");
    }
    if (table->name == nullptr || table->options == nullptr || table->create == nullptr ||
        table->fetch == nullptr || table->destroy == nullptr) {
        throw PluginError("provider " + file +
                          " has an incomplete provider table (a required member is null)");
    }
    if (!is_provider_name(table->name)) {
        throw PluginError(
            "provider " + file +
            " has an invalid name in its provider table: a provider's name is its configuration "
            "section, made of a-z, 0-9 and '-', at most " +
            std::to_string(SDKSIGN_PROVIDER_NAME_MAX) + " bytes");
    }
    if (has_set_host(*table)) {
        table->set_host(&host_table_for(table->name));
    }
    return std::shared_ptr<const ProviderLibrary>(new ProviderLibrary(path, std::move(handle), table));
}

std::optional<std::string> ProviderLibrary::description() const {
    if (table_->description == nullptr) {
        return std::nullopt;
    }
    return std::string(table_->description);
}

std::vector<sdksign_option_doc> ProviderLibrary::option_docs() const {
    std::vector<sdksign_option_doc> docs;
    for (const sdksign_option_doc* doc = table_->options; doc->name != nullptr; ++doc) {
        docs.push_back(*doc);
    }
    return docs;
}

Provider::Provider(std::shared_ptr<const ProviderLibrary> library, const std::vector<ProviderOption>& options)
    : library_(std::move(library)) {
    std::vector<sdksign_option> c_options;
    c_options.reserve(options.size());
    for (const auto& option : options) {
        c_options.push_back({option.name.c_str(), option.value.c_str()});
    }
    std::array<char, error_buffer_size> error{};
    void* state = nullptr;
    const int status =
        library_->table().create(c_options.data(), c_options.size(), &state, error.data(), error.size());
    if (status != SDKSIGN_OK) {
        throw ConfigError("provider " + std::string(library_->name()) + ": " + buffer_text(error));
    }
    state_ = state;
}

Provider::~Provider() {
    library_->table().destroy(state_);
}

FetchFunction Provider::fetcher() {
    return
        [this](std::string_view name, std::chrono::milliseconds deadline) { return fetch(name, deadline); };
}

FetchFunction Provider::fetcher(std::chrono::milliseconds deadline) {
    return [this, deadline](std::string_view name, std::chrono::milliseconds /*the caller's*/) {
        return fetch(name, deadline);
    };
}

FetchResult Provider::fetch(std::string_view credential_name, std::chrono::milliseconds deadline) {
    const std::string name(credential_name);
    Sink sink;
    std::uint32_t refresh_after_s = 0;
    std::array<char, error_buffer_size> error{};
    const int status =
        library_->table().fetch(state_, name.c_str(), static_cast<std::uint32_t>(deadline.count()), &sink,
                                put_credential, &refresh_after_s, error.data(), error.size());
    const std::string prefix = "provider " + std::string(library_->name()) + ", credential " + name + ": ";
    if (status != SDKSIGN_OK) {
        throw CredentialError(status, prefix + buffer_text(error));
    }
    if (sink.out_of_memory) {
        throw CredentialError(SDKSIGN_E_UNAVAILABLE, prefix + "out of memory while copying the credential");
    }
    if (sink.calls != 1) {
        throw CredentialError(SDKSIGN_E_INVALID,
                              prefix + "the provider reported success but delivered " +
                                  std::to_string(sink.calls) + " credentials instead of one");
    }
    if (sink.key.empty()) {
        throw CredentialError(SDKSIGN_E_INVALID, prefix + "the SDK key is empty");
    }
    if (!is_valid_utf8_text(sink.key)) {
        throw CredentialError(SDKSIGN_E_INVALID, prefix + "the SDK key is not printable UTF-8 text");
    }
    if (sink.secret.empty()) {
        throw CredentialError(SDKSIGN_E_INVALID, prefix + "the SDK secret is empty");
    }
    return {make_credential(std::move(sink.key), std::move(sink.secret)), refresh_after_s};
}

namespace {

/// Calls `accept` with each place provider `name` is looked for, in order and each once, until it returns
/// true. Each place is made only when the one before it was refused: a CGI process finds its provider in the
/// first (its own folder) and pays for no other.
void visit_candidates(std::string_view name, const std::filesystem::path& plugin_dir,
                      const std::function<bool(const std::filesystem::path&)>& accept) {
    const std::string file = std::string(name) + ".so";
    if (!plugin_dir.empty()) {
        accept(plugin_dir / file);
        return;
    }
    std::vector<std::filesystem::path> visited;
    const auto visit = [&](const std::filesystem::path& candidate) {
        auto normal = candidate.lexically_normal();
        if (std::find(visited.begin(), visited.end(), normal) != visited.end()) {
            return false;
        }
        visited.push_back(std::move(normal));
        return accept(visited.back());
    };
    // A folder uploaded whole into cgi-bin/ (binary and plugins side by side), a portable tree with lib/
    // beside bin/, then the installed tree wherever it was copied, and last where meson installed it.
    // getauxval gives every entry as an integer; AT_EXECFN's is the address of the path's text.
    const auto here = program_folder(
        reinterpret_cast<const char*>(::getauxval(AT_EXECFN))); // NOLINT(performance-no-int-to-ptr)
    if (!here.empty() &&
        (visit(here / file) || visit(here / ".." / "lib" / "sdksign" / file) ||
         visit(here / build_config::plugin_dir_from_bindir / file))) {
        return;
    }
    visit(std::filesystem::path(build_config::plugin_dir) / file);
}

} // namespace

std::vector<std::filesystem::path> provider_candidates(std::string_view name,
                                                       const std::filesystem::path& plugin_dir) {
    std::vector<std::filesystem::path> candidates;
    visit_candidates(name, plugin_dir, [&candidates](const std::filesystem::path& candidate) {
        candidates.push_back(candidate);
        return false;
    });
    return candidates;
}

std::filesystem::path find_provider(std::string_view name, const std::filesystem::path& plugin_dir) {
    if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
        throw ConfigError("provider name '" + std::string(name) +
                          "' must be a plain name such as env; use provider-path for a file path");
    }
    std::filesystem::path found;
    std::string tried;
    visit_candidates(name, plugin_dir, [&](const std::filesystem::path& candidate) {
        std::error_code error;
        if (std::filesystem::is_regular_file(candidate, error)) {
            found = candidate;
            return true;
        }
        tried += (tried.empty() ? "" : ", ") + candidate.string();
        return false;
    });
    if (found.empty()) {
        throw PluginError("no provider named '" + std::string(name) + "' (looked for " + tried + ")");
    }
    return found;
}

std::filesystem::path provider_file(const std::filesystem::path& explicit_path, std::string_view name,
                                    const std::filesystem::path& plugin_dir) {
    if (!explicit_path.empty()) {
        return explicit_path;
    }
    return find_provider(name, plugin_dir);
}

std::shared_ptr<const ProviderLibrary> open_provider(const std::filesystem::path& explicit_path,
                                                     std::string_view name,
                                                     const std::filesystem::path& plugin_dir) {
    auto library = ProviderLibrary::open(provider_file(explicit_path, name, plugin_dir));
    if (explicit_path.empty() && library->name() != name) {
        throw PluginError("provider " + library->path().string() + " calls itself '" +
                          std::string(library->name()) + "', not '" + std::string(name) +
                          "': a provider loaded by name must be NAME.so for the name in its table; rename it "
                          "to " +
                          std::string(library->name()) + ".so, or load it with provider-path");
    }
    return library;
}

std::vector<ProviderOption> provider_options(const SectionOptions& configured, const std::string& provider,
                                             const std::vector<sdksign_option_doc>& documented) {
    std::vector<ProviderOption> result;
    for (const auto& [full_name, value_and_source] : configured) {
        const auto& [value, source] = value_and_source;
        const auto dot = full_name.find('.');
        const std::string section = full_name.substr(0, dot);
        const std::string name = full_name.substr(dot + 1);
        if (section != provider) {
            throw ConfigError(source + " belongs to provider '" + section + "', but the provider is '" +
                              provider + "'");
        }
        const bool known = std::any_of(documented.begin(), documented.end(),
                                       [&](const sdksign_option_doc& doc) { return name == doc.name; });
        if (!known) {
            throw ConfigError(source + ": provider '" + provider + "' has no option '" + name +
                              "'; see sdksign --help");
        }
        result.push_back({name, value});
    }
    return result;
}

} // namespace sdksign::credentials
