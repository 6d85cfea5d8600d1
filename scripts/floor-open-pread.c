/* The floor for checking a split image (BENCHMARKS.md §7): what any reader
 * pays to look at the start of a code cache and of its data library, with
 * no mapping: open + pread(4 KiB at offset 0) + close, on each file.
 *
 * Usage: floor-open-pread FILE... (reads commands on stdin)
 *   Each line on stdin is a count K; the program runs K iterations (each
 *   opens, preads and closes every FILE in turn) and prints the total
 *   CLOCK_MONOTONIC nanoseconds on one line. benches/split.rs drives it this
 *   way so that its batches interleave with the Rust readers'.
 *
 * Build: gcc -O2 -o floor-open-pread scripts/floor-open-pread.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static unsigned char buffer[4096];

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE... (then a count per line on stdin)\n", argv[0]);
        return 2;
    }
    unsigned sink = 0;
    long k;
    while (scanf("%ld", &k) == 1) {
        long long start = now_ns();
        for (long i = 0; i < k; i++) {
            for (int f = 1; f < argc; f++) {
                int fd = open(argv[f], O_RDONLY | O_CLOEXEC);
                if (fd < 0) { perror(argv[f]); return 1; }
                if (pread(fd, buffer, sizeof buffer, 0) <= 0) { perror(argv[f]); return 1; }
                sink += buffer[0];
                close(fd);
            }
        }
        long long elapsed = now_ns() - start;
        printf("%lld\n", elapsed);
        fflush(stdout);
    }
    return sink == 0xffffffffu; /* keep the reads */
}
