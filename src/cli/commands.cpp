#include "cli/commands.hpp"

#include "errors.hpp"

namespace sdksign::cli {

int run_sign(const std::string& body, app::Services& services, std::ostream& out, std::ostream& err) {
    http::Request request;
    request.method = "POST";
    request.path = services.settings.sign_path;
    request.content_type = "application/json";
    request.body = body;
    const auto response = app::route(request, services);
    (response.status == 200 ? out : err) << response.body << "\n";
    return response.status == 200 ? 0 : 1;
}

int run_check(credentials::Provider& provider, std::chrono::milliseconds deadline, std::ostream& out) {
    const std::string where = "provider " + std::string(provider.library().name()) + " (" +
        provider.library().path().string() + ")";
    try {
        const auto result = provider.fetch(credentials::meeting_credential, deadline);
        out << "ok: " << where << " delivered the meeting credential, SDK key " << result.credential->key
            << ", secret of " << result.credential->secret.size() << " bytes";
        if (result.refresh_after_s > 0) {
            out << "; next refresh in " << result.refresh_after_s << " s";
        }
        out << "\n";
        return 0;
    } catch (const CredentialError& e) {
        out << "not usable: " << e.what() << " (" << credentials::status_name(e.status()) << ")\n";
        return 1;
    }
}

} // namespace sdksign::cli
