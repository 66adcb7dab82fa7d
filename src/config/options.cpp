#include "config/options.hpp"

#include "config/option_sources.hpp"
#include "config/option_table.hpp"
#include "errors.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace sdksign::config {

Options parse_options(const std::vector<std::string>& arguments,
                      const std::vector<std::string>& environment) {
    const auto gathered = gather_options(arguments, environment);
    Options options;
    options.command = gathered.command;
    options.arguments = gathered.arguments;
    options.sign_video = gathered.sign_video;
    options.section_options = gathered.sections;
    options.config_file = gathered.config_file;
    for (const auto& spec : option_table()) {
        if (const auto set = gathered.host.find(spec.name); set != gathered.host.end()) {
            spec.apply(options, set->second);
        }
    }

    // Only a subcommand, and the sdksign.conf(5) page (the providers it documents), take arguments: known
    // once every option is applied, since --help-reference is an option.
    const bool takes_arguments =
        gathered.command != Command::serve || options.reference == ReferenceFormat::conf_man;
    if (!takes_arguments && !options.arguments.empty()) {
        throw ConfigError("unexpected argument '" + options.arguments.front() + "'; see sdksign --help");
    }

    // What no single option can check: how options fit together.
    const app::Settings& settings = options.app;
    const std::array<std::pair<std::string_view, const std::string*>, 3> paths{{
        {"sign-path", &settings.sign_path},
        {"video-sign-path", &settings.video_sign_path},
        {"health-path", &settings.health_path},
    }};
    for (std::size_t i = 0; i < paths.size(); ++i) {
        for (std::size_t j = i + 1; j < paths.size(); ++j) {
            if (*paths[i].second == *paths[j].second) {
                throw ConfigError(std::string(paths[i].first) + " and " + std::string(paths[j].first) +
                                  " are both " + *paths[i].second);
            }
        }
    }
    if (settings.access.origin_check != app::OriginCheck::off && settings.allowed_origins.empty()) {
        throw ConfigError(gathered.host.find("origin-check")->second.source.where +
                          " needs the allowed origins: set cors-origin (every origin would be refused)");
    }
    // The gateway reads no more of a body than the handler accepts.
    options.fastcgi.max_body_bytes = settings.max_body_bytes;
    return options;
}

} // namespace sdksign::config
