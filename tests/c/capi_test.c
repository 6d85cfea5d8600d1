/*
 * The C interface from C: mmap each file named in a manifest and compare
 * pkgimg_find_ji_payload / pkgimg_verify / pkgimg_payload_info with the
 * expected results, and pkgimg_find_ji_payload_path, which reads the file
 * itself, with the same. Manifest lines: path TAB find_code TAB offset TAB
 * size TAB verify_code TAB uncompressed_size TAB flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkgimg.h"

static int failed = 0, passed = 0;

static void check(int ok, const char *what, const char *path) {
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL %s: %s\n", path, what);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
        return 2;
    }
    FILE *manifest = fopen(argv[1], "r");
    if (!manifest) {
        perror(argv[1]);
        return 2;
    }
    char path[4096];
    int find_code, verify_code;
    uint64_t want_offset, want_size, want_uncompressed;
    uint32_t want_flags;
    while (fscanf(manifest, "%4095[^\t]\t%d\t%" SCNu64 "\t%" SCNu64 "\t%d\t%" SCNu64 "\t%" SCNu32 "\n", path,
                  &find_code, &want_offset, &want_size, &verify_code, &want_uncompressed, &want_flags) == 7) {
        int fd = open(path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
            check(0, "cannot open", path);
            continue;
        }
        const uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
            check(0, "cannot mmap", path);
            continue;
        }
        uint64_t offset = 0xdeadbeef, size = 0xdeadbeef;
        int rc = pkgimg_find_ji_payload(map, (size_t)st.st_size, &offset, &size);
        if (rc != find_code) {
            fprintf(stderr, "  got %d (%s), want %d (%s)\n", rc, pkgimg_strerror(rc), find_code,
                    pkgimg_strerror(find_code));
        }
        check(rc == find_code, "find code", path);
        if (rc == PKGIMG_OK) {
            check(offset == want_offset && size == want_size, "offset and size", path);
        } else {
            check(offset == 0xdeadbeef && size == 0xdeadbeef, "outputs untouched on error", path);
        }
        check(pkgimg_verify(map, (size_t)st.st_size) == verify_code, "verify code", path);
        uint64_t info_offset = 0xdeadbeef, stored = 0xdeadbeef, uncompressed = 0xdeadbeef;
        uint32_t flags = 0xdeadbeef;
        int info_rc = pkgimg_payload_info(map, (size_t)st.st_size, &info_offset, &stored, &uncompressed, &flags);
        check(info_rc == find_code, "info: find code", path);
        if (info_rc == PKGIMG_OK) {
            check(info_offset == want_offset && stored == want_size, "info: offset and stored size", path);
            if (uncompressed != want_uncompressed || flags != want_flags)
                fprintf(stderr, "  got %" PRIu64 " bytes, flags %" PRIu32 "; want %" PRIu64 ", %" PRIu32 "\n",
                        uncompressed, flags, want_uncompressed, want_flags);
            check(uncompressed == want_uncompressed, "info: uncompressed size", path);
            check(flags == want_flags, "info: flags", path);
            check((flags & PKGIMG_FLAG_ZSTD) != 0 || uncompressed == stored,
                  "info: without PKGIMG_FLAG_ZSTD, the content is the stored bytes", path);
            check((flags & PKGIMG_FLAG_CRC32C) != 0, "info: PKGIMG_FLAG_CRC32C", path);
        } else {
            check(info_offset == 0xdeadbeef && stored == 0xdeadbeef && uncompressed == 0xdeadbeef &&
                      flags == 0xdeadbeef,
                  "info: outputs untouched on error", path);
        }
        uint64_t path_offset = 0xdeadbeef, path_size = 0xdeadbeef;
        int path_rc = pkgimg_find_ji_payload_path(path, &path_offset, &path_size);
        check(path_rc == find_code, "path: find code", path);
        check(path_offset == offset && path_size == size, "path: offset and size as from the bytes", path);
        check(strlen(pkgimg_strerror(rc)) > 0, "strerror", path);
        munmap((void *)map, (size_t)st.st_size);
    }
    /* Every line was read: a line that does not parse would end the loop early. */
    check(feof(manifest), "manifest read to its end", argv[1]);
    fclose(manifest);

    /* Null and out-of-range arguments are errors, not crashes. */
    uint64_t o, s;
    const uint8_t byte = 0;
    check(pkgimg_find_ji_payload(NULL, 10, &o, &s) == PKGIMG_E_NULL, "null file", "-");
    check(pkgimg_find_ji_payload(&byte, 1, NULL, &s) == PKGIMG_E_NULL, "null offset", "-");
    check(pkgimg_find_ji_payload(&byte, 1, &o, NULL) == PKGIMG_E_NULL, "null size", "-");
    check(pkgimg_verify(NULL, 0) == PKGIMG_E_NULL, "null verify", "-");
    uint64_t u;
    uint32_t f;
    check(pkgimg_payload_info(NULL, 10, &o, &s, &u, &f) == PKGIMG_E_NULL, "info: null file", "-");
    check(pkgimg_payload_info(&byte, 1, &o, &s, NULL, &f) == PKGIMG_E_NULL, "info: null uncompressed", "-");
    check(pkgimg_payload_info(&byte, 1, &o, &s, &u, NULL) == PKGIMG_E_NULL, "info: null flags", "-");
    check(pkgimg_payload_info(&byte, SIZE_MAX, &o, &s, &u, &f) == PKGIMG_E_LENGTH, "info: len beyond isize", "-");
    check(pkgimg_payload_info(&byte, 1, &o, &s, &u, &f) == PKGIMG_E_UNKNOWN_FORMAT, "info: one byte", "-");
    /* Issue 14: a length no buffer can have is PKGIMG_E_LENGTH, not E_NULL (the pointer is not null). */
    check(pkgimg_find_ji_payload(&byte, SIZE_MAX, &o, &s) == PKGIMG_E_LENGTH, "len beyond isize", "-");
    check(pkgimg_verify(&byte, SIZE_MAX) == PKGIMG_E_LENGTH, "verify len beyond isize", "-");
    check(pkgimg_find_ji_payload(&byte, 1, &o, &s) == PKGIMG_E_UNKNOWN_FORMAT, "one byte", "-");
    check(strcmp(pkgimg_strerror(12345), "unknown pkgimg status code") == 0, "unknown code", "-");
    check(pkgimg_find_ji_payload_path(NULL, &o, &s) == PKGIMG_E_NULL, "path: null path", "-");
    check(pkgimg_find_ji_payload_path("/", NULL, &s) == PKGIMG_E_NULL, "path: null offset", "-");
    errno = 0;
    check(pkgimg_find_ji_payload_path("/nonexistent/pkgimg", &o, &s) == PKGIMG_E_IO && errno == ENOENT,
          "path: a missing file is PKGIMG_E_IO with errno ENOENT", "-");
    check(pkgimg_find_ji_payload_path("/", &o, &s) == PKGIMG_E_IO, "path: a directory is PKGIMG_E_IO", "-");

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
