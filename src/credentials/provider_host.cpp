#include "credentials/provider_host.hpp"

#include "log/log.hpp"

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sdksign::credentials {

namespace {

/// A provider's message is cut here, well within the logger's line, so the line keeps its end.
constexpr std::size_t longest_message = 900;

struct HostTable {
    sdksign_host table{};
    std::string provider_name;
};

log::Level host_level(int level) noexcept {
    switch (level) {
    case SDKSIGN_LOG_DEBUG:
        return log::Level::debug;
    case SDKSIGN_LOG_INFO:
        return log::Level::info;
    case SDKSIGN_LOG_WARN:
        return log::Level::warn;
    default:
        // A level this host does not know is more likely a mistake to see than noise to drop.
        return log::Level::error;
    }
}

extern "C" void log_for_provider(const sdksign_host* host, int level, const char* message) noexcept {
    if (host == nullptr || host->host_data == nullptr || message == nullptr) {
        return;
    }
    const auto* owner = static_cast<const HostTable*>(host->host_data);
    // Read no further than the line can hold (the terminator may be missing), and let no control character
    // through: a newline would forge a log record, an escape sequence would rewrite a terminal.
    std::array<char, longest_message> text{};
    const std::size_t length = ::strnlen(message, text.size());
    for (std::size_t i = 0; i < length; ++i) {
        const auto c = static_cast<unsigned char>(message[i]);
        text[i] = (c < 0x20 || c == 0x7F) ? ' ' : message[i];
    }
    log::write(host_level(level), owner->provider_name, std::string_view(text.data(), length));
}

} // namespace

const sdksign_host& host_table_for(std::string_view provider_name) {
    static std::mutex mutex;
    // Entries are never removed, so a table's address stays valid for every provider that kept it.
    static std::map<std::string, std::unique_ptr<HostTable>, std::less<>> tables;
    const std::scoped_lock lock(mutex);
    auto found = tables.find(provider_name);
    if (found == tables.end()) {
        auto entry = std::make_unique<HostTable>();
        entry->provider_name = provider_name;
        entry->table.struct_size = sizeof(sdksign_host);
        entry->table.host_data = entry.get();
        entry->table.log = log_for_provider;
        found = tables.emplace(std::string(provider_name), std::move(entry)).first;
    }
    return found->second->table;
}

} // namespace sdksign::credentials
