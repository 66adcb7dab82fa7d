#pragma once
// The provider's names for what plugins/common shares: its one exception type (a message safe to show,
// never a secret or token, and the sdksign_status the C entry points return for it) and its wiped memory.
#include "status_error.hpp"
#include "text.hpp"
#include "wiped_buffer.hpp"

#include <sdksign/provider.h>

namespace sdksign::vault {

using VaultError = plugin::StatusError;
using plugin::trimmed;
using plugin::wipe;
using plugin::WipedBuffer;

} // namespace sdksign::vault
