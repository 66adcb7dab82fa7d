/*
 * sdksign credential provider ABI, version 1.
 *
 * A provider is a shared object that tells sdksign the SDK key and secret it signs with. The host finds it
 * by name (`<plugin-dir>/<name>.so`), opens it with dlopen(RTLD_NOW | RTLD_LOCAL) and calls the one symbol it
 * exports, `sdksign_provider_v1`, which returns a constant table describing the provider. This header is all
 * a provider needs from sdksign: it is plain C, no C++ type or exception crosses it, and the host never
 * exports symbols for a provider to call back into.
 *
 * Compatibility rules:
 *  - The host refuses a provider whose `abi_version` differs from the one it was built with.
 *  - New members are only ever appended to `struct sdksign_provider`; the host accepts a table whose
 *    `struct_size` is at least the size it knows, and reads nothing past `struct_size`.
 *  - One provider can serve several named credentials ("meeting" for the Meeting SDK app today, "video" for
 *    a Video SDK app later), so a new kind of credential needs no new ABI version.
 *
 * Threading: `create` and `destroy` are called once each, from one thread. `fetch` may be called from any
 * thread, but never concurrently for the same state object.
 *
 * Secrets: they cross this boundary once, through the host's `sdksign_put_credential` sink, which copies
 * them into memory the host wipes when it is done. The provider must wipe its own copy right after the sink
 * returns, and must never write a secret into an error message.
 */
#ifndef SDKSIGN_PROVIDER_H
#define SDKSIGN_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes; a provider returns it in `sdksign_provider::abi_version`. */
#define SDKSIGN_PROVIDER_ABI 1u

/** Name of the symbol every provider exports (a function of type `sdksign_provider_entry`). */
#define SDKSIGN_PROVIDER_ENTRY "sdksign_provider_v1"

/** Marks the one symbol a provider exports; build providers with -fvisibility=hidden. */
#if defined(__GNUC__)
#define SDKSIGN_EXPORT __attribute__((visibility("default")))
#else
#define SDKSIGN_EXPORT
#endif

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

/** The table a provider returns from `sdksign_provider_v1`. It must stay valid until the process exits. */
struct sdksign_provider {
    /** Must be SDKSIGN_PROVIDER_ABI. */
    uint32_t abi_version;
    /** sizeof(struct sdksign_provider) as the provider was compiled; lets later versions append members. */
    uint32_t struct_size;
    /** Short name, e.g. "env"; used in log lines and as the configuration section name. */
    const char* name;
    /** One-line description for --help. */
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
     * @param credential       which credential: "meeting" (Meeting SDK app) or, in later hosts, "video".
     *                         A provider that does not know the name returns SDKSIGN_E_NOT_FOUND.
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
};

/** The signature of the exported entry point. */
typedef const struct sdksign_provider* (*sdksign_provider_entry)(void);

/** The one symbol a provider exports. It returns a pointer to a static, constant table; never NULL. */
SDKSIGN_EXPORT const struct sdksign_provider* sdksign_provider_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* SDKSIGN_PROVIDER_H */
