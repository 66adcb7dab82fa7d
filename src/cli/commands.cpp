#include "cli/commands.hpp"

#include "errors.hpp"

#include <sdksign/provider.h>

#include <array>
#include <optional>
#include <string_view>

namespace sdksign::cli {

int run_sign(const std::string& body, const std::string& path, app::Services& services, std::ostream& out,
             std::ostream& err) {
    http::Request request;
    request.method = "POST";
    request.path = path;
    request.content_type = "application/json";
    request.body = body;
    const auto response = app::route(request, services);
    (response.status == 200 ? out : err) << response.body << "\n";
    return response.status == 200 ? 0 : 1;
}

int run_check(credentials::Provider& provider, std::chrono::milliseconds deadline, std::ostream& out) {
    const std::string where = "provider " + std::string(provider.library().name()) + " (" +
        provider.library().path().string() + ")";
    struct Outcome {
        std::string_view name;
        std::optional<CredentialError> error;
    };
    std::array<Outcome, 2> outcomes{
        {{credentials::meeting_credential, {}}, {credentials::video_credential, {}}}};
    for (auto& outcome : outcomes) {
        try {
            const auto result = provider.fetch(outcome.name, deadline);
            out << "ok: " << where << " delivered the " << outcome.name << " credential, SDK key "
                << result.credential->key << ", secret of " << result.credential->secret.size() << " bytes";
            if (result.refresh_after_s > 0) {
                out << "; next refresh in " << result.refresh_after_s << " s";
            }
            out << "\n";
        } catch (const CredentialError& e) {
            outcome.error = e;
        }
    }
    // As at start-up: either credential may be missing (its endpoint answers 404), not both.
    const auto absent = [](const Outcome& outcome) {
        return outcome.error && outcome.error->status() == SDKSIGN_E_NOT_FOUND;
    };
    const bool both_absent = absent(outcomes[0]) && absent(outcomes[1]);
    bool usable = true;
    for (const auto& outcome : outcomes) {
        if (!outcome.error) {
            continue;
        }
        if (absent(outcome) && !(both_absent && outcome.name == credentials::meeting_credential)) {
            out << "no " << outcome.name << " credential: " << outcome.error->what() << "\n";
            continue;
        }
        usable = false;
        out << "not usable: " << outcome.error->what() << " ("
            << credentials::status_name(outcome.error->status()) << ")\n";
    }
    return usable ? 0 : 1;
}

} // namespace sdksign::cli
