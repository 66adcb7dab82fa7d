/* The floor of FastCGI on this machine: a minimal libfcgi responder with sdksign's threading (a fixed pool,
 * each thread in its own FCGX_Accept_r loop, one thread in accept() at a time) that reads the body and
 * answers a fixed body of a token's size with sdksign's headers. Whatever sdksign costs beyond this is the
 * application's own.
 *
 *   fcgi_floor [--listen PATH|HOST:PORT] [--threads N]
 *
 * Without --listen it serves the socket a process manager hands over on fd 0 (lighttpd bin-path, mod_fcgid).
 * Like sdksign, it takes its thread count from SDKSIGN_THREADS when --threads is not given, so that a web
 * server configuration written for sdksign (mod_fcgid's InitialEnv SDKSIGN_THREADS=1) shapes the floor too.
 */
#include <fcgiapp.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body of a web token response to the benchmark's request: sdksign's size, a fixed signature. */
static const char body_text[] =
    "{\"signature\":\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhcHBLZXkiOiJiZW5jaFNES2tleTAxMjM0NTY3ODkiLCJzZGtLZXkiOiJi"
    "ZW5jaFNES2tleTAxMjM0NTY3ODkiLCJtbiI6IjEyMzQ1Njc4OSIsInJvbGUiOjAsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDA3"
    "MjAw"
    "LCJ0b2tlbkV4cCI6MTcwMDAwNzIwMH0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"sdkKey\":"
    "\"benchSDKkey0123456789\"}";
static char response[1024];
static int response_length = 0;

static pthread_mutex_t accept_mutex = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd = -1;

static void* worker(void* unused) {
    (void)unused;
    FCGX_Request request;
    char body[4096];
    FCGX_InitRequest(&request, listen_fd, 0);
    for (;;) {
        /* A kept connection is this thread's own: wait on it without blocking the others' accept(). */
        const int kept = request.ipcFd >= 0 && request.keepConnection;
        if (!kept) {
            pthread_mutex_lock(&accept_mutex);
        }
        const int accepted = FCGX_Accept_r(&request);
        if (!kept) {
            pthread_mutex_unlock(&accept_mutex);
        }
        if (accepted < 0) {
            break;
        }
        const char* length = FCGX_GetParam("CONTENT_LENGTH", request.envp);
        long want = length != NULL ? atol(length) : 0;
        while (want > 0) {
            const int n =
                FCGX_GetStr(body, want < (long)sizeof body ? (int)want : (int)sizeof body, request.in);
            if (n <= 0) {
                break;
            }
            want -= n;
        }
        FCGX_PutStr(response, response_length, request.out);
        FCGX_Finish_r(&request);
    }
    FCGX_Free(&request, 1);
    return NULL;
}

int main(int argc, char** argv) {
    const char* address = NULL;
    const char* threads_from_env = getenv("SDKSIGN_THREADS");
    int threads = threads_from_env != NULL ? atoi(threads_from_env) : 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0) {
            address = argv[i + 1];
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = atoi(argv[i + 1]);
        }
    }
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "usage: fcgi_floor [--listen PATH|HOST:PORT] [--threads N]\n");
        return 2;
    }
    /* sdksign's headers, in its order. */
    response_length = snprintf(response, sizeof response,
                               "Status: 200 OK\r\n"
                               "Content-Type: application/json; charset=utf-8\r\n"
                               "Cache-Control: no-store\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "Access-Control-Allow-Origin: *\r\n"
                               "Content-Length: %zu\r\n"
                               "\r\n"
                               "%s",
                               sizeof body_text - 1, body_text);
    if (FCGX_Init() != 0) {
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* libfcgi's own SIGTERM handler only sets a flag that a blocked accept() never sees. */
    signal(SIGTERM, SIG_DFL);
    listen_fd = address != NULL ? FCGX_OpenSocket(address, 1024) : 0;
    if (listen_fd < 0) {
        return 1;
    }
    pthread_t pool[256];
    for (int i = 0; i < threads; ++i) {
        pthread_create(&pool[i], NULL, worker, NULL);
    }
    for (int i = 0; i < threads; ++i) {
        pthread_join(pool[i], NULL);
    }
    return 0;
}
