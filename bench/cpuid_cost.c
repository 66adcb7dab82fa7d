/* The cost of one `cpuid` instruction, in nanoseconds: the median of 21 rounds of 1,000. On bare metal it
 * takes a few dozen; on a virtual machine it traps to the hypervisor, and costs what the hypervisor makes
 * it cost. Every process start runs it (the C library's CPU probe), and a CGI request of
 * sdksign a few more (Botan's), so it weighs on the CGI rows' times and on their ratios: bench/run prints it
 * next to them. x86 only (bench/meson.build). */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { rounds = 21, per_round = 1000 };

static int compare(const void* a, const void* b) {
    const double x = *(const double*)a;
    const double y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(void) {
    double round_ns[rounds];
    for (int r = 0; r < rounds; ++r) {
        struct timespec start;
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (int i = 0; i < per_round; ++i) {
            unsigned int a = 0;
            unsigned int b = 0;
            unsigned int c = 0;
            unsigned int d = 0;
            __cpuid(0, a, b, c, d);
            __asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d)); /* kept, not folded away */
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        round_ns[r] =
            ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / per_round;
    }
    qsort(round_ns, rounds, sizeof round_ns[0], compare);
    printf("%.0f\n", round_ns[rounds / 2]);
    return 0;
}
