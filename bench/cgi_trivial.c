/* The cheapest possible CGI program: read the declared body from stdin, print a fixed response. The CGI
 * benchmark compares one sdksign CGI request (plugin loading included) with one run of this. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    const char* length = getenv("CONTENT_LENGTH");
    long want = length != NULL ? atol(length) : 0;
    char body[4096];
    while (want > 0) {
        const ssize_t n = read(STDIN_FILENO, body, want < (long)sizeof body ? (size_t)want : sizeof body);
        if (n <= 0) {
            break;
        }
        want -= n;
    }
    fputs("Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}",
          stdout);
    return 0;
}
