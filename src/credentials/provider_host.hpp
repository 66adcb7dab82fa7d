#pragma once
// What the host offers providers through <sdksign/provider.h>'s `sdksign_host`: a log callback that writes
// through the host's logger (log/log.hpp), in its line format and level, with the provider's name as the
// component.
#include <sdksign/provider.h>

#include <string_view>

namespace sdksign::credentials {

/// The host table for the provider named `provider_name`, one per name. It lives until the process exits: a
/// provider keeps the pointer, and may still hold it after its library was closed and opened again.
const sdksign_host& host_table_for(std::string_view provider_name);

} // namespace sdksign::credentials
