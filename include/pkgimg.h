/*
 * pkgimg: locate and verify the payload carried inside an ELF, Mach-O or
 * PE/COFF shared library, from C.
 *
 * The functions taking a buffer read only the bytes you pass (typically an
 * mmap of the file), never allocate, never call back, and are safe to call
 * from any thread. pkgimg_find_ji_payload_path and pkgimg_find_data_library
 * read files themselves, into buffers that each calling thread keeps for
 * its next call (those up to 1 MiB); what else they allocate is freed
 * before they return.
 * Locating reads headers only; pkgimg_verify also reads the payload.
 * A payload may be stored zstd-compressed (docs/FORMAT.md, "The frame",
 * flags bit 1): pkgimg_payload_info says so; offsets, sizes and CRCs
 * elsewhere are those of the stored bytes.
 * For a universal (fat) Mach-O file, the slice of the CPU the library was
 * compiled for is used.
 *
 * Link with libpkgimg.a (plus -lpthread -ldl -lm on Linux) or libpkgimg.so.
 */
#ifndef PKGIMG_H
#define PKGIMG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. 0 is success; each error kind has its own negative value. */
#define PKGIMG_OK                    0
#define PKGIMG_E_NULL               -1  /* a pointer argument was null */
#define PKGIMG_E_UNKNOWN_FORMAT     -2  /* not ELF, Mach-O, PE or COFF */
#define PKGIMG_E_TRUNCATED          -3  /* a header or the payload runs past the end of the file */
#define PKGIMG_E_OVERFLOW           -4  /* an offset plus a size overflows 64 bits */
#define PKGIMG_E_INVALID            -5  /* a header field holds a value the format forbids */
#define PKGIMG_E_NO_CONTAINER       -6  /* no .jlji / __JULIA,__ji section: no payload */
#define PKGIMG_E_NO_FRAME           -7  /* the section exists but holds no payload frame */
#define PKGIMG_E_FRAME_VERSION      -8  /* frame version other than 1 */
#define PKGIMG_E_FRAME_HEADER_SIZE  -9  /* frame header_size below 64 */
#define PKGIMG_E_AMBIGUOUS         -10  /* two container sections in one image */
#define PKGIMG_E_NO_HOST_SLICE     -11  /* universal file without this CPU's slice */
#define PKGIMG_E_NO_CHECKSUM       -12  /* frame flags say there is no CRC (verify only) */
#define PKGIMG_E_CHECKSUM_MISMATCH -13  /* payload CRC-32C differs from the frame's (verify only) */
#define PKGIMG_E_BAD_NAME          -14  /* section name not expressible in the format */
#define PKGIMG_E_INTERNAL          -15  /* a bug in pkgimg; please report it */
#define PKGIMG_E_LENGTH            -16  /* len above PTRDIFF_MAX: no buffer is that long */
#define PKGIMG_E_IO                -17  /* path: cannot open or read it, or not a regular file; errno says why */
#define PKGIMG_E_NO_DATA_LIBRARY   -18  /* split image: no dependency within reach carries a payload */
#define PKGIMG_E_DATA_LIBRARIES    -19  /* split image: more than one dependency carries a payload */
#define PKGIMG_E_PATH_SIZE         -20  /* split image: the data library's path does not fit the buffer */
#define PKGIMG_E_SEARCH_LIMIT      -21  /* split image: too many dependencies x run path entries to search */

/* Frame flags (docs/FORMAT.md, "The frame"), as pkgimg_payload_info reports them. */
#define PKGIMG_FLAG_CRC32C  0x1u  /* the frame carries the stored bytes' CRC-32C */
#define PKGIMG_FLAG_ZSTD    0x2u  /* the stored bytes are one zstd frame (RFC 8878) */

/*
 * Locate the payload in the `len` bytes at `file`. On success returns
 * PKGIMG_OK and stores the payload's absolute file offset (from the start of
 * the whole file, also for universal files) and its size. On failure returns a
 * negative code and leaves *offset and *size untouched: PKGIMG_E_NULL for a
 * null pointer, PKGIMG_E_LENGTH for a `len` above PTRDIFF_MAX, else the
 * code of what is wrong with the bytes.
 */
int pkgimg_find_ji_payload(const uint8_t *file, size_t len, uint64_t *offset, uint64_t *size);

/*
 * Locate the payload of the file at `path` (Unix), with the fewest system
 * calls: open, fstat, pread of the first 4 KiB, one more pread for headers
 * or a frame stored elsewhere (rarely two), close. No mapping. Same results
 * and codes as pkgimg_find_ji_payload on the whole file, plus PKGIMG_E_IO,
 * with errno set, when the file cannot be opened or read or is not a
 * regular file. On failure *offset and *size are untouched.
 */
int pkgimg_find_ji_payload_path(const char *path, uint64_t *offset, uint64_t *size);

/*
 * Locate the payload, as pkgimg_find_ji_payload does, and say how it is
 * stored. On success returns PKGIMG_OK and stores: the absolute file offset
 * and the size of the stored bytes (what pkgimg_find_ji_payload reports);
 * the size of the payload's content, which for a compressed payload
 * (flags & PKGIMG_FLAG_ZSTD) is the frame's uncompressed size, and otherwise
 * the stored size; and the frame's flags word as it is in the file (bits
 * this header does not name may be set by newer writers: ignore them). A
 * stored payload without PKGIMG_FLAG_ZSTD can be mapped and used in place;
 * one with it must be decompressed first (`zstd -d` reads the stored bytes
 * as they are). Same codes as pkgimg_find_ji_payload; on failure nothing is
 * stored.
 */
int pkgimg_payload_info(const uint8_t *file, size_t len, uint64_t *offset, uint64_t *stored_size,
                        uint64_t *uncompressed_size, uint32_t *flags);

/*
 * Locate the payload and check its CRC-32C against the frame. Returns
 * PKGIMG_OK when it matches, else a negative code. For a compressed payload
 * the CRC covers the stored bytes: nothing is decompressed.
 */
int pkgimg_verify(const uint8_t *file, size_t len);

/*
 * Split images (docs/FORMAT.md, "Data libraries"): one data library carries
 * the payload, and code caches depend on it through the platform's own
 * record (DT_NEEDED, LC_LOAD_DYLIB, a PE import). Find the data library of
 * the code cache at `code_cache` (Unix) without loading or mapping anything:
 * the one dependency that carries a payload, resolved as its loader would,
 * limited to the code cache's reach, plus its own directory
 * (docs/FORMAT.md 8.3: $ORIGIN entries of DT_RUNPATH or DT_RPATH, then the
 * code cache's directory; @loader_path, @rpath through LC_RPATH, absolute
 * install names; the DLL's directory). System libraries outside the code
 * cache's reach are never opened. On
 * success returns PKGIMG_OK, copies the data library's path with its NUL
 * into the `path_size` bytes at `path`, and stores the absolute offset and
 * the size of its payload (of a universal data library, in the slice of the
 * code cache's architecture; of a universal code cache, the slice of the
 * CPU pkgimg was compiled for is followed); read the payload from that file
 * with pread at *offset (pkgimg_verify, which takes the host's slice of a
 * mapped file, may check another slice of a universal data library). On
 * failure nothing is stored, and it returns PKGIMG_E_NULL for a null
 * pointer, PKGIMG_E_LENGTH for a `path_size` above PTRDIFF_MAX,
 * PKGIMG_E_IO with errno set when the code cache cannot be opened or read,
 * the format codes for its malformed headers,
 * PKGIMG_E_NO_DATA_LIBRARY when no dependency within reach carries a
 * payload (a data library that is malformed does not),
 * PKGIMG_E_DATA_LIBRARIES when more than one does, PKGIMG_E_SEARCH_LIMIT
 * when its dependencies and run path entries name more than 1,024 places
 * (no real code cache does), PKGIMG_E_PATH_SIZE when
 * the path and its NUL need more than `path_size` bytes. `jiscan deps
 * CODE_CACHE` says the same in words, naming every dependency and why it
 * was not taken.
 */
int pkgimg_find_data_library(const char *code_cache, char *path, size_t path_size, uint64_t *offset,
                             uint64_t *size);

/* A static, NUL-terminated description of a status code; never NULL. */
const char *pkgimg_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* PKGIMG_H */
