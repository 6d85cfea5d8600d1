/* dlopen + dlclose of one library, timed, with what it cost this process:
 * major page faults and file system inputs (getrusage) and bytes fetched
 * from the block device (/proc/self/io read_bytes). Drop the page cache
 * first for a cold number (scripts/bench-placement.sh does).
 *
 * Usage: cold-dlopen LIBRARY
 * Output (tab-separated): path  micros  major_faults  fs_input_bytes  read_bytes
 * Build: gcc -O2 -o cold-dlopen scripts/cold-dlopen.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void counters(long *majflt, long *inblock, long long *read_bytes) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    *majflt = u.ru_majflt;
    *inblock = u.ru_inblock;
    *read_bytes = -1;
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "read_bytes: ", 12) == 0) sscanf(line + 12, "%lld", read_bytes);
    if (f) fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
        return 2;
    }
    long maj0, in0, maj1, in1;
    long long rb0, rb1;
    struct timespec t0, t1;
    counters(&maj0, &in0, &rb0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    dlclose(h);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    counters(&maj1, &in1, &rb1);
    double micros = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
    printf("%s\t%.0f\t%ld\t%ld\t%lld\n", argv[1], micros, maj1 - maj0, (in1 - in0) * 512, rb1 - rb0);
    return 0;
}
