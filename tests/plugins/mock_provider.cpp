// A provider built several times with different defines, each copy broken in one way, so the loader's
// refusals can be tested against real shared objects:
//   MOCK_NO_ENTRY       exports no sdksign_provider_v1
//   MOCK_ABI_VERSION=N  claims another ABI version
//   MOCK_SMALL_TABLE    claims a table smaller than ABI 1's
//   MOCK_NULL_FETCH     leaves a required function pointer null
//   MOCK_CREATE_FAILS   refuses every configuration
//   MOCK_NAME=S         gives itself another name than "mock"
//   MOCK_FIRST_ABI1_TABLE  claims the table size ABI 1 first had (before set_host), as an older provider does
// Built without any define, it is a working provider whose behaviour the options select:
//   key, secret       the credential it delivers (defaults "mock-key" / "mock-secret")
//   fetch-status      a status to fail fetch with instead (a number)
//   puts              how many times fetch calls the sink on success (default 1)
//   refresh-after     the refresh hint it returns
//   log, log-level    a line create writes through the host's log callback, at that level (a number)
//   need-host         when 1, create fails unless the host handed over its table
#include <sdksign/provider.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#ifndef MOCK_ABI_VERSION
#define MOCK_ABI_VERSION SDKSIGN_PROVIDER_ABI
#endif
#ifndef MOCK_NAME
#define MOCK_NAME "mock" // NOLINT(cppcoreguidelines-macro-usage): each variant's build may set its own
#endif

namespace {

const sdksign_host* host = nullptr;

void set_host(const sdksign_host* given) {
    host = given;
}

struct MockState {
    std::string key = "mock-key";
    std::string secret = "mock-secret";
    int fetch_status = SDKSIGN_OK;
    int puts = 1;
    std::uint32_t refresh_after = 0;
};

constexpr sdksign_option_doc option_docs[] = {
    {"key", "SDK key to deliver", "mock-key"},
    {"secret", "SDK secret to deliver", nullptr},
    {"fetch-status", "fail fetch with this status", "0"},
    {"puts", "how many times to call the sink", "1"},
    {"refresh-after", "refresh hint in seconds", "0"},
    {"log", "a line to log at create", nullptr},
    {"log-level", "the level of that line", "1"},
    {"need-host", "fail create without the host's table", "0"},
    {nullptr, nullptr, nullptr},
};

int create(const sdksign_option* options, std::size_t count, void** state, char* err,
           std::size_t err_len) noexcept {
#ifdef MOCK_CREATE_FAILS
    (void)options;
    (void)count;
    (void)state;
    static_cast<void>(std::snprintf(err, err_len, "mock refuses every configuration"));
    return SDKSIGN_E_CONFIG;
#else
    try {
        auto* mock = new MockState;
        std::string line;
        int level = SDKSIGN_LOG_INFO;
        bool need_host = false;
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name = options[i].name;
            const char* value = options[i].value;
            if (name == "key") {
                mock->key = value;
            } else if (name == "secret") {
                mock->secret = value;
            } else if (name == "fetch-status") {
                mock->fetch_status = std::atoi(value);
            } else if (name == "puts") {
                mock->puts = std::atoi(value);
            } else if (name == "refresh-after") {
                mock->refresh_after = static_cast<std::uint32_t>(std::atoi(value));
            } else if (name == "log") {
                line = value;
            } else if (name == "log-level") {
                level = std::atoi(value);
            } else if (name == "need-host") {
                need_host = std::strcmp(value, "1") == 0;
            } else {
                static_cast<void>(std::snprintf(err, err_len, "unknown option '%s'", name.c_str()));
                delete mock;
                return SDKSIGN_E_CONFIG;
            }
        }
        if (need_host && host == nullptr) {
            static_cast<void>(std::snprintf(err, err_len, "no host table"));
            delete mock;
            return SDKSIGN_E_CONFIG;
        }
        if (!line.empty() && host != nullptr) {
            host->log(host, level, line.c_str());
        }
        *state = mock;
        return SDKSIGN_OK;
    } catch (...) {
        static_cast<void>(std::snprintf(err, err_len, "out of memory"));
        return SDKSIGN_E_UNAVAILABLE;
    }
#endif
}

[[maybe_unused]] int fetch(void* state, const char* credential, std::uint32_t /*deadline_ms*/, void* sink,
                           sdksign_put_credential put, std::uint32_t* refresh_after_s, char* err,
                           std::size_t err_len) noexcept {
    const auto* mock = static_cast<const MockState*>(state);
    if (std::strcmp(credential, SDKSIGN_CREDENTIAL_MEETING) != 0) {
        static_cast<void>(std::snprintf(err, err_len, "no credential named '%s'", credential));
        return SDKSIGN_E_NOT_FOUND;
    }
    if (mock->fetch_status != SDKSIGN_OK) {
        static_cast<void>(std::snprintf(err, err_len, "mock fails with status %d", mock->fetch_status));
        return mock->fetch_status;
    }
    for (int i = 0; i < mock->puts; ++i) {
        put(sink, mock->key.data(), mock->key.size(),
            reinterpret_cast<const unsigned char*>(mock->secret.data()), mock->secret.size());
    }
    *refresh_after_s = mock->refresh_after;
    return SDKSIGN_OK;
}

void destroy(void* state) noexcept {
    delete static_cast<MockState*>(state);
}

constexpr sdksign_provider table = {
    MOCK_ABI_VERSION,
#if defined(MOCK_SMALL_TABLE)
    offsetof(sdksign_provider, fetch),
#elif defined(MOCK_FIRST_ABI1_TABLE)
    SDKSIGN_PROVIDER_MIN_SIZE,
#else
    sizeof(sdksign_provider),
#endif
    MOCK_NAME,
    "a provider for the loader's tests",
    &option_docs[0],
    create,
#ifdef MOCK_NULL_FETCH
    nullptr,
#else
    fetch,
#endif
    destroy,
    // Present in memory either way: a host must not read it when struct_size says it is not there.
    set_host,
};

} // namespace

#ifdef MOCK_NO_ENTRY
extern "C" SDKSIGN_EXPORT const sdksign_provider* sdksign_provider_v0(void) {
    return &table;
}
#else
SDKSIGN_PROVIDER_EXPORT(table)
#endif
