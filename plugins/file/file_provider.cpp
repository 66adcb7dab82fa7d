// The `file` credential provider: the SDK key and secret come from a file in the dotenv format of Zoom's
// Node sample (so its .env works unchanged) or in JSON. The file is read again at every fetch, which the
// host asks for every refresh-seconds, so an edited, renamed-over or kubectl-swapped file is picked up
// without a restart; a file that cannot be parsed whole is reported as unavailable, so the host keeps the
// last good credential.
#include "choice.hpp"
#include "dotenv.hpp"
#include "entry_point.hpp"
#include "json_credentials.hpp"
#include "option_table.hpp"
#include "secret_file.hpp"
#include "status_error.hpp"
#include "text.hpp"

#include <sdksign/provider.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <memory>
#include <string>

namespace {

using sdksign::plugin::Choice;
using sdksign::plugin::choose;
using sdksign::plugin::FileContents;
using sdksign::plugin::guarded;
using sdksign::plugin::OptionSpec;
using sdksign::plugin::OptionTable;
using sdksign::plugin::PermissionPolicy;
using sdksign::plugin::read_secret_file;
using sdksign::plugin::ReadableFileWarnings;
using sdksign::plugin::StatusError;
using sdksign::plugin::word_of;
using sdksign::plugin::write_error;

using namespace sdksign::file_provider;

enum class Format { automatic, dotenv, json };

struct Names {
    std::string key;
    std::string secret;
};

struct FileProvider {
    std::string path;
    Format format = Format::automatic;
    PermissionPolicy permissions = PermissionPolicy::warn;
    std::uint32_t refresh_seconds = 2;
    Names meeting{"ZOOM_MEETING_SDK_KEY", "ZOOM_MEETING_SDK_SECRET"};
    Names video{"ZOOM_VIDEO_SDK_KEY", "ZOOM_VIDEO_SDK_SECRET"};
    ReadableFileWarnings warnings;
};

bool is_entry_name(const std::string& name) {
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
            c == '.' || c == '-';
    });
}

StatusError config_error(std::string_view option, const std::string& why) {
    return {SDKSIGN_E_CONFIG, "option '" + std::string(option) + "': " + why};
}

void check_entry_name(std::string_view option, const std::string& value) {
    if (!is_entry_name(value)) {
        throw config_error(option, "'" + value + "' is not a NAME (letters, digits, _ . -)");
    }
}

/// One of the four options naming an entry of the file (meeting or video, key or secret).
template<Names FileProvider::*Which, std::string Names::*Field>
constexpr OptionSpec<FileProvider> name_option(const char* name, const char* help) noexcept {
    return sdksign::plugin::text_field_option<FileProvider, Names, Which, Field, check_entry_name>(name,
                                                                                                   help);
}

constexpr std::array<Choice<Format>, 3> formats{
    {{"auto", Format::automatic}, {"dotenv", Format::dotenv}, {"json", Format::json}}};
constexpr std::array<Choice<PermissionPolicy>, 3> permission_policies{{{"warn", PermissionPolicy::warn},
                                                                       {"strict", PermissionPolicy::strict},
                                                                       {"ignore", PermissionPolicy::ignore}}};

constexpr std::array<OptionSpec<FileProvider>, 8> option_specs{{
    {"path", "the credentials file (required): dotenv like Zoom's sample's .env, or JSON",
     [](const FileProvider& defaults) { return defaults.path; },
     [](FileProvider& provider, std::string_view option, const std::string& value) {
         if (value.empty()) {
             throw config_error(option, "the path is empty");
         }
         provider.path = value;
     }},
    {"format", "auto (JSON when the name ends in .json), dotenv or json",
     [](const FileProvider& defaults) { return std::string(word_of(defaults.format, formats)); },
     [](FileProvider& provider, std::string_view option, const std::string& value) {
         provider.format = choose(option, value, formats);
     }},
    name_option<&FileProvider::meeting, &Names::key>("key-name",
                                                     "name holding the Meeting SDK key (client id)"),
    name_option<&FileProvider::meeting, &Names::secret>(
        "secret-name", "name holding the Meeting SDK secret (client secret)"),
    name_option<&FileProvider::video, &Names::key>("video-key-name", "name holding the Video SDK key"),
    name_option<&FileProvider::video, &Names::secret>("video-secret-name",
                                                      "name holding the Video SDK secret"),
    {"refresh-seconds", "how often the host re-reads the file, 0-86400 (0: never)",
     [](const FileProvider& defaults) { return std::to_string(defaults.refresh_seconds); },
     [](FileProvider& provider, std::string_view option, const std::string& value) {
         std::uint32_t seconds = 0;
         const auto result = std::from_chars(value.data(), value.data() + value.size(), seconds);
         if (result.ec != std::errc() || result.ptr != value.data() + value.size() || seconds > 86400) {
             throw config_error(option,
                                "'" + value + "' is not a whole number of seconds between 0 and 86400");
         }
         provider.refresh_seconds = seconds;
     }},
    {"permissions",
     "warn: refuse a file group/others can write, warn when they can read it; strict: refuse both; "
     "ignore: check nothing",
     [](const FileProvider& defaults) {
         return std::string(word_of(defaults.permissions, permission_policies));
     },
     [](FileProvider& provider, std::string_view option, const std::string& value) {
         provider.permissions = choose(option, value, permission_policies);
     }},
}};

// noexcept: it is first built while the provider is loaded, to fill in its table; a provider that cannot
// allocate its few option strings then cannot run, and the process ends rather than half-loads it.
const OptionTable<FileProvider, option_specs.size()>& option_table() noexcept {
    static const OptionTable<FileProvider, option_specs.size()> table(option_specs);
    return table;
}

int create(const sdksign_option* options, std::size_t count, void** state, char* err,
           std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        auto provider = std::make_unique<FileProvider>();
        option_table().apply(*provider, options, count);
        if (provider->path.empty()) {
            write_error(err, err_len, "option 'path' is required: the file holding the key and secret");
            return SDKSIGN_E_CONFIG;
        }
        if (provider->format == Format::automatic) {
            provider->format = provider->path.ends_with(".json") ? Format::json : Format::dotenv;
        }
        *state = provider.release();
        return SDKSIGN_OK;
    });
}

const Entry& find_entry(const FileProvider& provider, const std::vector<Entry>& entries,
                        const std::string& name) {
    const auto found = std::ranges::find_if(entries, [&](const Entry& entry) { return entry.name == name; });
    if (found == entries.end()) {
        throw StatusError(SDKSIGN_E_NOT_FOUND, provider.path + " has no " + name);
    }
    const std::string where = provider.path + " line " + std::to_string(found->line) + ": " + name;
    if (!found->is_text) {
        throw StatusError(SDKSIGN_E_INVALID, where + " is not a string");
    }
    if (sdksign::plugin::is_blank(found->value.view())) {
        throw StatusError(SDKSIGN_E_INVALID,
                          where + " " + std::string(sdksign::plugin::blank_reason(found->value.view())));
    }
    return *found;
}

int fetch(void* state, const char* credential, std::uint32_t /*deadline_ms*/, void* sink,
          sdksign_put_credential put, std::uint32_t* refresh_after_s, char* err,
          std::size_t err_len) noexcept {
    return guarded(err, err_len, [&] {
        auto& provider = *static_cast<FileProvider*>(state);
        const std::string which = credential;
        const Names* names = which == SDKSIGN_CREDENTIAL_MEETING ? &provider.meeting
            : which == SDKSIGN_CREDENTIAL_VIDEO                  ? &provider.video
                                                                 : nullptr;
        if (names == nullptr) {
            write_error(err, err_len, "no credential named '" + which + "'");
            return SDKSIGN_E_NOT_FOUND;
        }
        // Asked for even when this fetch fails, so a file being fixed is picked up as soon as it is.
        *refresh_after_s = provider.refresh_seconds;
        FileContents contents = read_secret_file({provider.path, {}, provider.permissions, true});
        provider.warnings.note(provider.path, contents,
                               " (or set permissions=strict to refuse such a file, permissions=ignore to "
                               "allow it)");
        if (contents.bytes.empty()) {
            throw StatusError(SDKSIGN_E_UNAVAILABLE, provider.path + " is empty (still being written?)");
        }
        std::vector<Entry> entries;
        try {
            entries = provider.format == Format::json ? parse_json_credentials(contents.bytes)
                                                      : parse_dotenv(contents.bytes.view());
        } catch (const ParseError& e) {
            // Unavailable, not invalid: a half-written file looks just like this, and the host keeps the
            // last good credential until the file is whole again.
            throw StatusError(SDKSIGN_E_UNAVAILABLE,
                              provider.path + " line " + std::to_string(e.line()) + ": " + e.what());
        }
        const auto has = [&](const std::string& name) {
            return std::ranges::any_of(entries, [&](const Entry& entry) { return entry.name == name; });
        };
        if (has(names->key) != has(names->secret)) {
            // Half a credential is a mistake to report (SDKSIGN_E_INVALID), never a credential that is simply
            // absent (SDKSIGN_E_NOT_FOUND, which the host may do without).
            const bool key_missing = !has(names->key);
            throw StatusError(SDKSIGN_E_INVALID,
                              provider.path + " has no " + (key_missing ? names->key : names->secret) +
                                  ", but has " + (key_missing ? names->secret : names->key));
        }
        const Entry& key = find_entry(provider, entries, names->key);
        const Entry& secret = find_entry(provider, entries, names->secret);
        put(sink, key.value.data(), key.value.size(),
            reinterpret_cast<const unsigned char*>(secret.value.data()), secret.value.size());
        // `entries` and `contents` wipe their copies as they go out of scope.
        return SDKSIGN_OK;
    });
}

const sdksign_provider table = sdksign::plugin::provider_table<FileProvider>(
    "file", "reads the SDK key and secret from a dotenv (.env) or JSON file, re-read when it changes",
    option_table().docs(), create, fetch);

} // namespace

SDKSIGN_PROVIDER_EXPORT(table)
