/* The floor for a depot scan (BENCHMARKS.md §4.1): what any reader pays to
 * look at the start of every file of a tree, single-threaded, with no
 * mapping: nftw (no symlink following) + open + pread(4 KiB at offset 0) +
 * close on each regular file. Prints the number of files read.
 *
 * Build: gcc -O2 -o floor-walk scripts/floor-walk.c
 * Usage: floor-walk DIR...
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static unsigned char buffer[4096];
static unsigned long files;
static unsigned sink;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)ftw;
    if (type != FTW_F) return 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    if (pread(fd, buffer, sizeof buffer, 0) > 0) sink += buffer[0];
    close(fd);
    files++;
    return 0;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (nftw(argv[i], visit, 64, FTW_PHYS) != 0) { perror(argv[i]); return 1; }
    }
    printf("%lu files\n", files);
    return sink == 0xffffffffu; /* keep the reads */
}
