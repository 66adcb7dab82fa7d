/*
 * sdksign credential provider ABI, version 1.
 *
 * A provider is a shared object that tells sdksign the SDK key and secret it signs with. The host opens it
 * with dlopen(RTLD_NOW | RTLD_LOCAL) and calls the one symbol it exports, `sdksign_provider_v1`, which
 * returns a constant table describing the provider. This header is all a provider needs from sdksign: it is
 * plain C (C99 or later, or C++), no C++ type or exception crosses it, and the host exports no symbol for a
 * provider to call back into; what the host offers a provider, it hands over in a table (`sdksign_host`).
 * Build a provider with -fvisibility=hidden and define its entry point with SDKSIGN_PROVIDER_EXPORT.
 *
 * Names: the table's `name` is the provider's one name. It is
 *  - the configuration section of its options: `[NAME]` in the file, `--NAME.OPTION=VALUE`,
 *    `SDKSIGN_NAME__OPTION` (so it is made of lower-case letters, digits and '-', starts with a letter or
 *    digit, and is at most SDKSIGN_PROVIDER_NAME_MAX bytes long);
 *  - its file name: `provider = NAME` loads `NAME.so` from the plugin folder, and the host refuses that file
 *    when its table gives another name. Only a file loaded by path (`provider-path = FILE`) may be called
 *    anything; its options are still in the section of its table's name;
 *  - the component of its log lines (see `sdksign_host::log`).
 *
 * Compatibility rules:
 *  - The host refuses a provider whose `abi_version` differs from the one it was built with.
 *  - New members are only ever appended to `struct sdksign_provider` and `struct sdksign_host`. Each table
 *    starts with its own size; a reader accepts any size from the first size of ABI 1 on and reads nothing
 *    past that size, so a member the writer did not know is absent, never garbage:
 *      - a provider built against an older ABI 1 header (no `set_host`) loads in a newer host, which then
 *        simply offers it nothing;
 *      - a provider built against this header loads in an older sdksign host too, which never calls
 *        `set_host`: such a provider must work without a host table (its log lines are then dropped, or
 *        written by the provider itself).
 *    So fill a table with designated initializers (`.fetch = my_fetch`): a member that a later header
 *    appends is then NULL without a word, where a positional initializer one member short draws a
 *    -Wextra warning (an error under -Werror) when the provider is rebuilt against that header.
 *  - One provider can serve several named credentials (SDKSIGN_CREDENTIAL_MEETING and
 *    SDKSIGN_CREDENTIAL_VIDEO today), so a new kind of credential needs no new ABI version.
 *
 * Threading: `set_host`, `create` and `destroy` are called from one thread. `fetch` may be called from any
 * thread, but never concurrently for the same state object. `sdksign_host::log` may be called from any
 * thread.
 *
 * Secrets: they cross this boundary once, through the host's `sdksign_put_credential` sink, which copies
 * them into memory the host wipes when it is done. The provider must wipe its own copy right after the sink
 * returns, and must never write a secret into an error message or a log line.
 */
#ifndef SDKSIGN_PROVIDER_H
#define SDKSIGN_PROVIDER_H

/* A C header, also compiled as C++: C has no <cstddef>, `using`, `constexpr` or templates, so the C++
 * modernisations clang-tidy suggests cannot apply here. */
/* NOLINTBEGIN(modernize-*,cppcoreguidelines-macro-usage) */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes; a provider returns it in `sdksign_provider::abi_version`. */
#define SDKSIGN_PROVIDER_ABI 1U

/** Name of the symbol every provider exports (a function of type `sdksign_provider_entry`). */
#define SDKSIGN_PROVIDER_ENTRY "sdksign_provider_v1"

/** The longest provider name the host accepts, in bytes. */
#define SDKSIGN_PROVIDER_NAME_MAX 64U

/** The credential of a Meeting SDK app (the host's `POST /` endpoint); the `credential` of `fetch`. */
#define SDKSIGN_CREDENTIAL_MEETING "meeting"
/** The credential of a Video SDK app (the host's `POST /videosdk` endpoint); the `credential` of `fetch`. */
#define SDKSIGN_CREDENTIAL_VIDEO "video"

/** Marks the one symbol a provider exports; build providers with -fvisibility=hidden. */
#if defined(__GNUC__)
#define SDKSIGN_EXPORT __attribute__((visibility("default")))
#else
#define SDKSIGN_EXPORT
#endif

/** C linkage for the entry point of a provider written in C++ (used by SDKSIGN_PROVIDER_EXPORT). */
#ifdef __cplusplus
#define SDKSIGN_PROVIDER_EXTERN_C extern "C"
#else
#define SDKSIGN_PROVIDER_EXTERN_C
#endif

/**
 * Defines the provider's entry point, `sdksign_provider_v1`, returning the address of `table` (a
 * `struct sdksign_provider` with static storage duration). Write it once, at file scope, without a
 * semicolon after it:
 *
 *     static const struct sdksign_provider table = { SDKSIGN_PROVIDER_ABI, sizeof(struct sdksign_provider),
 *                                                    "example", ... };
 *     SDKSIGN_PROVIDER_EXPORT(table)
 */
#define SDKSIGN_PROVIDER_EXPORT(table)                                                                       \
    SDKSIGN_PROVIDER_EXTERN_C SDKSIGN_EXPORT const struct sdksign_provider* sdksign_provider_v1(void) {      \
        return &(table);                                                                                     \
    }

/** Outcome of a provider call. Everything but SDKSIGN_OK comes with a message in the caller's buffer. */
enum sdksign_status {
    /** The call succeeded. */
    SDKSIGN_OK = 0,
    /** The options are wrong (unknown name, malformed value, missing value); fix the configuration. */
    SDKSIGN_E_CONFIG = 1,
    /** The secret source answered, but holds no such credential (an unset variable, a missing field). */
    SDKSIGN_E_NOT_FOUND = 2,
    /** The secret source refused access (permissions, an invalid token, a denied policy). */
    SDKSIGN_E_DENIED = 3,
    /** A transient failure (unreachable, timed out, sealed): the host keeps the last good credential. */
    SDKSIGN_E_UNAVAILABLE = 4,
    /** The credential was found but is unusable (for example an empty key or secret). */
    SDKSIGN_E_INVALID = 5
};

/** The level of a provider's log line (`sdksign_host::log`), as the host's `--log-level` names them. */
enum sdksign_log_level {
    /** Details for finding a fault; dropped unless the host runs with log-level debug. */
    SDKSIGN_LOG_DEBUG = 0,
    /** Normal events worth a line (a token renewed, a file re-read). */
    SDKSIGN_LOG_INFO = 1,
    /** Something the operator should fix, while the provider still works (a file others can read). */
    SDKSIGN_LOG_WARN = 2,
    /** A failure. Any level not listed here is logged as an error. */
    SDKSIGN_LOG_ERROR = 3
};

/** One configuration option handed to `create`: a name from the provider's `options` list and its value. */
struct sdksign_option {
    /** Option name without the section prefix, e.g. "key-var" for `[env] key-var = ...`. NUL-terminated. */
    const char* name;
    /** The value as the operator wrote it, NUL-terminated. Valid only during the `create` call. */
    const char* value;
};

/** Documentation of one option a provider accepts; the host lists these in `sdksign --help`. */
struct sdksign_option_doc {
    /** Option name, lower case with dashes, e.g. "key-var". NULL ends the list. */
    const char* name;
    /** One line of help text. */
    const char* help;
    /** The default shown in --help, or NULL when the option has none. Never a secret. */
    const char* default_value;
};

/**
 * The host's sink for a credential. `fetch` calls it exactly once on success, before returning SDKSIGN_OK.
 *
 * @param sink        the opaque pointer the host passed to `fetch`.
 * @param key         the SDK key (client id), UTF-8, `key_len` bytes, not necessarily NUL-terminated.
 * @param key_len     length of `key` in bytes.
 * @param secret      the SDK secret (client secret), UTF-8 bytes used as the HMAC key.
 * @param secret_len  length of `secret` in bytes.
 *
 * The host copies both before returning; the provider then wipes its own copies.
 */
typedef void (*sdksign_put_credential)(void* sink, const char* key, size_t key_len,
                                       const unsigned char* secret, size_t secret_len);

/**
 * What the host offers a provider, handed to `sdksign_provider::set_host`. The host owns it; it stays valid
 * until the process exits. Every host table has the members below; read a member that a later header
 * appends only when `struct_size` covers it.
 */
struct sdksign_host {
    /** sizeof(struct sdksign_host) as the host was compiled. */
    uint32_t struct_size;
    /** The host's own data for `log`; a provider never reads or changes it. */
    void* host_data;
    /**
     * Writes one line through the host's logger, to its stderr (the web server's error log), in the host's
     * own format, `sdksign[PID] LEVEL NAME: MESSAGE`, where NAME is the provider's name. The host drops it
     * when `level` is below its --log-level.
     *
     * @param host     the table this member was read from.
     * @param level    a `sdksign_log_level`.
     * @param message  one line of UTF-8 text, NUL-terminated, without the provider's name or a trailing
     *                 newline. Never a secret, a token or a credential file's contents. The host cuts it
     *                 short to keep the line under about 1 KiB and replaces control characters (a newline
     *                 would forge a second log line), so keep it short and printable.
     *
     * Callable from any thread, at any time after `set_host` was called; it never blocks for long and
     * copies nothing it keeps.
     */
    void (*log)(const struct sdksign_host* host, int level, const char* message);
};

/** The table a provider returns from `sdksign_provider_v1`. It must stay valid until the process exits. */
struct sdksign_provider {
    /** Must be SDKSIGN_PROVIDER_ABI. */
    uint32_t abi_version;
    /** sizeof(struct sdksign_provider) as the provider was compiled; lets later versions append members. */
    uint32_t struct_size;
    /**
     * The provider's name, e.g. "env": its configuration section, its file's name when loaded by name, and
     * the component of its log lines (see the rules at the top of this file). Never NULL.
     */
    const char* name;
    /**
     * One line that says where the provider gets the credential from, e.g. "reads the SDK key and secret
     * from environment variables"; `sdksign --help` shows it above the provider's options. NULL: none.
     */
    const char* description;
    /** The options `create` understands, ended by an entry whose name is NULL. Never NULL itself. */
    const struct sdksign_option_doc* options;

    /**
     * Creates a provider state from its options.
     *
     * @param options   `count` options, each name taken from `options` above; names are unique.
     * @param count     number of options.
     * @param state     receives the new state on success; untouched on failure.
     * @param err       buffer for a one-line, NUL-terminated message on failure (never containing a secret).
     * @param err_len   size of `err` in bytes (at least 1).
     * @return SDKSIGN_OK, or SDKSIGN_E_CONFIG for a bad option (the message names it).
     */
    int (*create)(const struct sdksign_option* options, size_t count, void** state, char* err,
                  size_t err_len);

    /**
     * Fetches the current value of one named credential and hands it to `put`.
     *
     * @param state            from `create`.
     * @param credential       which credential: SDKSIGN_CREDENTIAL_MEETING or SDKSIGN_CREDENTIAL_VIDEO, or
     *                         a name a later host adds. A provider that does not have the credential (or
     *                         does not know the name) returns SDKSIGN_E_NOT_FOUND; the host serves the
     *                         endpoints of the credentials it has.
     * @param deadline_ms      the call must return within this many milliseconds.
     * @param sink             opaque host pointer, passed back to `put` unchanged.
     * @param put              called once with the key and secret before returning SDKSIGN_OK.
     * @param refresh_after_s  receives when the host should call again, in seconds; 0 means the value only
     *                         changes when the operator restarts or the provider reports a failure.
     * @param err              buffer for a one-line message on failure (never containing a secret).
     * @param err_len          size of `err` in bytes (at least 1).
     * @return a `sdksign_status`.
     */
    int (*fetch)(void* state, const char* credential, uint32_t deadline_ms, void* sink,
                 sdksign_put_credential put, uint32_t* refresh_after_s, char* err, size_t err_len);

    /** Releases a state from `create`, wiping any secret it still holds. Accepts NULL. */
    void (*destroy)(void* state);

    /* Appended within ABI 1: absent from a table whose struct_size ends before a member. */

    /**
     * Optional (NULL: the provider wants nothing from the host). Receives the host's table: the host calls
     * it right after it has loaded and checked this table (once each time it loads the provider), before any
     * `create`. Keep the pointer
     * (it stays valid until the process exits) to log through `host->log`. A host that predates this
     * member never calls it: the provider then has no host table.
     *
     * @param host  the host's table; never NULL.
     */
    void (*set_host)(const struct sdksign_host* host);
};

/**
 * The size of the table as ABI 1 first defined it (up to `destroy`): the smallest `struct_size` a host
 * accepts.
 */
#define SDKSIGN_PROVIDER_MIN_SIZE offsetof(struct sdksign_provider, set_host)

/** The signature of the exported entry point. */
typedef const struct sdksign_provider* (*sdksign_provider_entry)(void);

/**
 * The one symbol a provider exports; define it with SDKSIGN_PROVIDER_EXPORT. It returns a pointer to a
 * static, constant table; never NULL.
 */
SDKSIGN_EXPORT const struct sdksign_provider* sdksign_provider_v1(void);

#ifdef __cplusplus
}
#endif

/* NOLINTEND(modernize-*,cppcoreguidelines-macro-usage) */

#endif /* SDKSIGN_PROVIDER_H */
