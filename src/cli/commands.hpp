#pragma once
// Operator subcommands: `sdksign sign` and `sdksign check`.
#include "app/router.hpp"
#include "credentials/provider_plugin.hpp"

#include <ostream>
#include <string>

namespace sdksign::cli {

/// Signs one request body exactly as a POST to `path` (the Meeting or the Video SDK endpoint) would and
/// prints the response body; 0 on 200.
int run_sign(const std::string& body, const std::string& path, app::Services& services, std::ostream& out,
             std::ostream& err);

/// Fetches each credential once and says whether it is usable, without printing the secret; 0 when usable.
int run_check(credentials::Provider& provider, std::chrono::milliseconds deadline, std::ostream& out);

} // namespace sdksign::cli
