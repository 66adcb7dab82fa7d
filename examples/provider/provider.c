/*
 * An sdksign credential provider in plain C99: the `fd` provider.
 *
 * It reads each SDK secret once, at start-up, from a file descriptor that the process inherited (a pipe
 * from a secret manager, a file opened by the shell or by a service manager), so the secret never sits in
 * the environment, on the command line or in a file sdksign opens by name. The SDK key, which is public,
 * is an option. For example:
 *
 *     sdksign sign --provider-path ./fd.so --fd.key=CLIENT_ID --fd.secret-fd=3 '{"meetingNumber":"1"}' \
 *         3< <(pass show zoom/meeting-sdk-secret)
 *
 * It needs nothing from sdksign but <sdksign/provider.h>; see README.md beside it for how to build it and
 * where to install it.
 */
#define _POSIX_C_SOURCE 200809L

#include <sdksign/provider.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An SDK secret is a few dozen bytes: anything longer is the wrong input. */
#define LONGEST_SECRET 4096

/* One SDK app's credential: its key (an option) and its secret (read from a file descriptor). */
struct app_credential {
    char* key;
    unsigned char* secret;
    size_t secret_len;
};

struct fd_provider {
    struct app_credential meeting;
    struct app_credential video;
};

/* The host's table, for log lines; NULL in a host too old to hand it over. */
static const struct sdksign_host* host;

static void set_host(const struct sdksign_host* given) {
    host = given;
}

static void log_line(int level, const char* message) {
    if (host != NULL) {
        host->log(host, level, message);
    }
}

/* memset on memory that is freed right after may be optimised away; stores through volatile are not. */
static void wipe(void* memory, size_t length) {
    volatile unsigned char* bytes = (volatile unsigned char*)memory;
    while (length-- > 0) {
        *bytes++ = 0;
    }
}

static void forget(struct app_credential* app) {
    if (app->secret != NULL) {
        wipe(app->secret, app->secret_len);
        free(app->secret);
    }
    free(app->key);
    app->key = NULL;
    app->secret = NULL;
    app->secret_len = 0;
}

/* Parses a file descriptor number: decimal digits only, at least 0. */
static int parse_fd(const char* text, int* fd) {
    char* end = NULL;
    long value;
    if (text[0] < '0' || text[0] > '9') {
        return 0;
    }
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > INT_MAX) {
        return 0;
    }
    *fd = (int)value;
    return 1;
}

/* Reads the secret from `fd` to its end and closes it; one trailing line end is not part of the secret. */
static int read_secret(int fd, const char* option, struct app_credential* app, char* err, size_t err_len) {
    unsigned char buffer[LONGEST_SECRET + 1];
    size_t got = 0;
    int status = SDKSIGN_OK;
    for (;;) {
        const ssize_t n = read(fd, buffer + got, sizeof buffer - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int error = errno;
            snprintf(err, err_len, "%s: cannot read file descriptor %d: %s", option, fd, strerror(error));
            /* Not open: a mistake in how sdksign was started, not a passing failure. */
            status = error == EBADF ? SDKSIGN_E_CONFIG : SDKSIGN_E_UNAVAILABLE;
            break;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
        if (got == sizeof buffer) {
            snprintf(err, err_len, "%s: file descriptor %d holds more than %d bytes, which is no SDK secret",
                     option, fd, LONGEST_SECRET);
            status = SDKSIGN_E_INVALID;
            break;
        }
    }
    close(fd);
    if (status == SDKSIGN_OK) {
        if (got > 0 && buffer[got - 1] == '\n') {
            --got;
        }
        if (got > 0 && buffer[got - 1] == '\r') {
            --got;
        }
        if (got == 0) {
            snprintf(err, err_len, "%s: file descriptor %d gave an empty secret", option, fd);
            status = SDKSIGN_E_INVALID;
        } else if ((app->secret = malloc(got)) == NULL) {
            snprintf(err, err_len, "out of memory");
            status = SDKSIGN_E_UNAVAILABLE;
        } else {
            memcpy(app->secret, buffer, got);
            app->secret_len = got;
        }
    }
    wipe(buffer, sizeof buffer);
    return status;
}

static int copy_key(const char* option, const char* value, struct app_credential* app, char* err,
                    size_t err_len) {
    const size_t length = strlen(value);
    if (length == 0) {
        snprintf(err, err_len, "%s is empty", option);
        return SDKSIGN_E_CONFIG;
    }
    app->key = malloc(length + 1);
    if (app->key == NULL) {
        snprintf(err, err_len, "out of memory");
        return SDKSIGN_E_UNAVAILABLE;
    }
    memcpy(app->key, value, length + 1);
    return SDKSIGN_OK;
}

static const struct sdksign_option_doc option_docs[] = {
    {"key", "the Meeting SDK key (client id)", NULL},
    {"secret-fd", "an inherited file descriptor to read the Meeting SDK secret from, once, at start-up",
     NULL},
    {"video-key", "the Video SDK key", NULL},
    {"video-secret-fd", "an inherited file descriptor to read the Video SDK secret from", NULL},
    {NULL, NULL, NULL},
};

/* Applies one option; the host passes each documented name at most once. */
static int apply(struct fd_provider* provider, const struct sdksign_option* option, char* err,
                 size_t err_len) {
    const int video = strncmp(option->name, "video-", 6) == 0;
    struct app_credential* app = video ? &provider->video : &provider->meeting;
    const char* name = video ? option->name + 6 : option->name;
    int fd = -1;
    if (strcmp(name, "key") == 0) {
        return copy_key(option->name, option->value, app, err, err_len);
    }
    if (strcmp(name, "secret-fd") == 0) {
        if (!parse_fd(option->value, &fd)) {
            snprintf(err, err_len, "%s: '%s' is not a file descriptor number", option->name, option->value);
            return SDKSIGN_E_CONFIG;
        }
        if (fd <= STDERR_FILENO) {
            snprintf(err, err_len, "%s: %d is standard input, output or error; use 3 or above", option->name,
                     fd);
            return SDKSIGN_E_CONFIG;
        }
        return read_secret(fd, option->name, app, err, err_len);
    }
    snprintf(err, err_len, "unknown option '%s'", option->name);
    return SDKSIGN_E_CONFIG;
}

static int create(const struct sdksign_option* options, size_t count, void** state, char* err,
                  size_t err_len) {
    struct fd_provider* provider = calloc(1, sizeof *provider);
    size_t i;
    int status = SDKSIGN_OK;
    if (provider == NULL) {
        snprintf(err, err_len, "out of memory");
        return SDKSIGN_E_UNAVAILABLE;
    }
    for (i = 0; i < count && status == SDKSIGN_OK; ++i) {
        status = apply(provider, &options[i], err, err_len);
    }
    if (status == SDKSIGN_OK && (provider->meeting.key == NULL) != (provider->meeting.secret == NULL)) {
        snprintf(err, err_len, "key and secret-fd go together");
        status = SDKSIGN_E_CONFIG;
    }
    if (status == SDKSIGN_OK && (provider->video.key == NULL) != (provider->video.secret == NULL)) {
        snprintf(err, err_len, "video-key and video-secret-fd go together");
        status = SDKSIGN_E_CONFIG;
    }
    if (status == SDKSIGN_OK && provider->meeting.key == NULL && provider->video.key == NULL) {
        snprintf(err, err_len, "set key and secret-fd, or video-key and video-secret-fd");
        status = SDKSIGN_E_CONFIG;
    }
    if (status != SDKSIGN_OK) {
        forget(&provider->meeting);
        forget(&provider->video);
        free(provider);
        return status;
    }
    log_line(SDKSIGN_LOG_INFO,
             provider->meeting.key == NULL     ? "read the Video SDK secret"
                 : provider->video.key == NULL ? "read the Meeting SDK secret"
                                               : "read the Meeting and Video SDK secrets");
    *state = provider;
    return SDKSIGN_OK;
}

static int fetch(void* state, const char* credential, uint32_t deadline_ms, void* sink,
                 sdksign_put_credential put, uint32_t* refresh_after_s, char* err, size_t err_len) {
    const struct fd_provider* provider = state;
    const struct app_credential* app = NULL;
    (void)deadline_ms; /* nothing here can block */
    if (strcmp(credential, SDKSIGN_CREDENTIAL_MEETING) == 0) {
        app = &provider->meeting;
    } else if (strcmp(credential, SDKSIGN_CREDENTIAL_VIDEO) == 0) {
        app = &provider->video;
    }
    if (app == NULL || app->key == NULL) {
        snprintf(err, err_len, "no %s credential configured", credential);
        return SDKSIGN_E_NOT_FOUND;
    }
    /* The secret was read once; it changes only with a restart. */
    *refresh_after_s = 0;
    /* The host copies both; this provider's copy stays until destroy, which wipes it. */
    put(sink, app->key, strlen(app->key), app->secret, app->secret_len);
    return SDKSIGN_OK;
}

static void destroy(void* state) {
    struct fd_provider* provider = state;
    if (provider == NULL) {
        return;
    }
    forget(&provider->meeting);
    forget(&provider->video);
    free(provider);
}

/* Designated members: a member that a later header appends is then NULL, without a warning. */
static const struct sdksign_provider table = {
    .abi_version = SDKSIGN_PROVIDER_ABI,
    .struct_size = sizeof(struct sdksign_provider),
    .name = "fd",
    .description =
        "reads each SDK secret once from an inherited file descriptor (a pipe from a secret manager)",
    .options = option_docs,
    .create = create,
    .fetch = fetch,
    .destroy = destroy,
    .set_host = set_host,
};

SDKSIGN_PROVIDER_EXPORT(table)
