/* The smallest credential provider, built by test_package.py against the installed sdksign-dev alone
 * (`cc $(pkg-config --cflags sdksign-provider)`, C99, -Wall -Wextra -pedantic -Werror) and loaded by the
 * installed sdksign with --provider-path: the header and the .pc file are all a third party needs.
 * Its credential is a fixed, public test value, not a secret. */
#include <sdksign/provider.h>

#include <stddef.h>
#include <string.h>

static const char test_key[] = "package-test-key";
static const char test_secret[] = "package-test-value-not-a-secret";

static const struct sdksign_option_doc no_options[] = {{NULL, NULL, NULL}};

static void copy_message(char* err, size_t err_len, const char* message) {
    size_t length = strlen(message);
    if (length >= err_len) {
        length = err_len - 1;
    }
    memcpy(err, message, length);
    err[length] = '\0';
}

static int create(const struct sdksign_option* options, size_t count, void** state, char* err,
                  size_t err_len) {
    (void)options;
    if (count != 0) {
        copy_message(err, err_len, "this provider takes no options");
        return SDKSIGN_E_CONFIG;
    }
    *state = (void*)test_key; /* any non-NULL pointer: the provider keeps no state */
    return SDKSIGN_OK;
}

static int fetch(void* state, const char* credential, uint32_t deadline_ms, void* sink,
                 sdksign_put_credential put, uint32_t* refresh_after_s, char* err, size_t err_len) {
    (void)state;
    (void)deadline_ms;
    if (strcmp(credential, SDKSIGN_CREDENTIAL_MEETING) != 0) {
        copy_message(err, err_len, "only a meeting credential here");
        return SDKSIGN_E_NOT_FOUND;
    }
    put(sink, test_key, sizeof test_key - 1, (const unsigned char*)test_secret, sizeof test_secret - 1);
    *refresh_after_s = 0;
    return SDKSIGN_OK;
}

static void destroy(void* state) {
    (void)state;
}

/* Designated members: one that a later header appends (set_host, here unused) is NULL without a warning. */
static const struct sdksign_provider table = {
    .abi_version = SDKSIGN_PROVIDER_ABI,
    .struct_size = sizeof(struct sdksign_provider),
    .name = "minimal",
    .description = "a fixed test credential",
    .options = no_options,
    .create = create,
    .fetch = fetch,
    .destroy = destroy,
};

SDKSIGN_PROVIDER_EXPORT(table)
