#pragma once
// A bundled provider's options, each written once: its name, its help, its default (read from a
// default-constructed settings object, never typed again) and how a value is applied. The ABI's list of
// documented options (sdksign_option_doc, for `sdksign --help`) is made from the same table.
#include "status_error.hpp"

#include <sdksign/provider.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sdksign::plugin {

template<typename Settings> struct OptionSpec {
    const char* name;
    const char* help;
    /// The default as text, from default settings; empty: none.
    std::string (*default_text)(const Settings& defaults);
    /// Applies a value (name given for messages); throws StatusError (SDKSIGN_E_CONFIG) when it is not
    /// valid. Null when the provider reads the option itself (the vault provider, in an order of its own).
    void (*apply)(Settings& settings, std::string_view name, const std::string& value);
};

/// The spec of an option that sets a text field two members deep (`settings.*Group.*Field`, such as a
/// credential's key and secret names): `Check` refuses a value (a StatusError naming the option), and the
/// documented default is the field's initial value.
template<typename Settings, typename Group, Group Settings::*Which, std::string Group::*Field,
         void (*Check)(std::string_view option, const std::string& value)>
constexpr OptionSpec<Settings> text_field_option(const char* name, const char* help) noexcept {
    return {name, help, [](const Settings& defaults) { return defaults.*Which.*Field; },
            [](Settings& settings, std::string_view option, const std::string& value) {
                Check(option, value);
                settings.*Which.*Field = value;
            }};
}

template<typename Settings, std::size_t N> class OptionTable {
public:
    explicit OptionTable(const std::array<OptionSpec<Settings>, N>& specs) : specs_(specs) {
        const Settings defaults;
        for (std::size_t i = 0; i < N; ++i) {
            defaults_[i] = specs_[i].default_text(defaults);
        }
        for (std::size_t i = 0; i < N; ++i) {
            docs_[i] = {specs_[i].name, specs_[i].help,
                        defaults_[i].empty() ? nullptr : defaults_[i].c_str()};
        }
        docs_[N] = {nullptr, nullptr, nullptr};
    }
    OptionTable(const OptionTable&) = delete;
    OptionTable& operator=(const OptionTable&) = delete;
    OptionTable(OptionTable&&) = delete;
    OptionTable& operator=(OptionTable&&) = delete;
    ~OptionTable() = default;

    /// The ABI's list, ending in a null entry; it lives as long as the table.
    [[nodiscard]] const sdksign_option_doc* docs() const noexcept { return docs_.data(); }

    /// The option named `name`; a StatusError (SDKSIGN_E_CONFIG) "unknown option" when there is none.
    [[nodiscard]] const OptionSpec<Settings>& at(std::string_view name) const {
        for (const auto& spec : specs_) {
            if (name == spec.name) {
                return spec;
            }
        }
        throw StatusError(SDKSIGN_E_CONFIG, "unknown option '" + std::string(name) + "'");
    }

    /// Applies every option given to `settings` through its spec.
    void apply(Settings& settings, const sdksign_option* options, std::size_t count) const {
        for (std::size_t i = 0; i < count; ++i) {
            at(options[i].name).apply(settings, options[i].name, options[i].value);
        }
    }

private:
    std::array<OptionSpec<Settings>, N> specs_;
    std::array<std::string, N> defaults_;
    std::array<sdksign_option_doc, N + 1> docs_{};
};

} // namespace sdksign::plugin
