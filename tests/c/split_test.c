/*
 * pkgimg_find_data_library from C: for the code cache argv[1] and a path
 * buffer of argv[2] bytes, prints one line
 *   status errno offset size path
 * (the status by its name in pkgimg.h; errno only for PKGIMG_E_IO, else 0;
 * on failure offset and size are what they were before the call, 7 and 7,
 * and the path is "-"). Fails if a null argument does not give
 * PKGIMG_E_NULL, a buffer size above PTRDIFF_MAX PKGIMG_E_LENGTH, if a
 * failure stores anything, or if a byte past the buffer is written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgimg.h"

/* The name pkgimg.h gives `status`, for the statuses this function returns. */
static const char *name(int status) {
    switch (status) {
    case PKGIMG_OK: return "PKGIMG_OK";
    case PKGIMG_E_UNKNOWN_FORMAT: return "PKGIMG_E_UNKNOWN_FORMAT";
    case PKGIMG_E_IO: return "PKGIMG_E_IO";
    case PKGIMG_E_NO_DATA_LIBRARY: return "PKGIMG_E_NO_DATA_LIBRARY";
    case PKGIMG_E_DATA_LIBRARIES: return "PKGIMG_E_DATA_LIBRARIES";
    case PKGIMG_E_PATH_SIZE: return "PKGIMG_E_PATH_SIZE";
    default: return "other";
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s CODE_CACHE PATH_SIZE\n", argv[0]);
        return 2;
    }
    size_t path_size = strtoul(argv[2], NULL, 10);
    /* One guard byte after the buffer. */
    char *path = malloc(path_size + 1), *before = malloc(path_size + 1);
    if (!path || !before) return 2;
    memset(path, '#', path_size + 1);
    memcpy(before, path, path_size + 1);
    uint64_t offset = 7, size = 7;
    if (pkgimg_find_data_library(NULL, path, path_size, &offset, &size) != PKGIMG_E_NULL ||
        pkgimg_find_data_library(argv[1], NULL, path_size, &offset, &size) != PKGIMG_E_NULL ||
        pkgimg_find_data_library(argv[1], path, path_size, NULL, &size) != PKGIMG_E_NULL ||
        pkgimg_find_data_library(argv[1], path, path_size, &offset, NULL) != PKGIMG_E_NULL) {
        fprintf(stderr, "a null argument did not give PKGIMG_E_NULL\n");
        return 1;
    }
    if (pkgimg_find_data_library(argv[1], path, (size_t)PTRDIFF_MAX + 1, &offset, &size) != PKGIMG_E_LENGTH ||
        offset != 7 || size != 7 || memcmp(path, before, path_size + 1) != 0) {
        fprintf(stderr, "a buffer size above PTRDIFF_MAX did not give PKGIMG_E_LENGTH, or something was stored\n");
        return 1;
    }
    errno = 0;
    int status = pkgimg_find_data_library(argv[1], path, path_size, &offset, &size);
    int error = errno;
    if (path[path_size] != '#') {
        fprintf(stderr, "wrote past the buffer\n");
        return 1;
    }
    if (status != PKGIMG_OK && (memcmp(path, before, path_size + 1) != 0 || offset != 7 || size != 7)) {
        fprintf(stderr, "status %d, but something was stored\n", status);
        return 1;
    }
    if (strcmp(pkgimg_strerror(status), "unknown pkgimg status code") == 0) {
        fprintf(stderr, "no message for %d\n", status);
        return 1;
    }
    printf("%s %d %" PRIu64 " %" PRIu64 " %s\n", name(status), status == PKGIMG_E_IO ? error : 0, offset, size,
           status == PKGIMG_OK ? path : "-");
    free(path);
    free(before);
    return 0;
}
