//! The C interface (`include/pkgimg.h`), for runtimes written in C such as
//! Julia's cache loader.
//!
//! Every function returns a status code and catches panics so none can
//! unwind into C (the lookup path has none by construction; this is the
//! second line of defence). Those that take a pointer and a length never
//! allocate; the two that take a path read the file themselves
//! (`pkgimg_find_ji_payload_path`, and `pkgimg_find_data_library`, which
//! follows a code cache of a split image to its data library).
//!
//! The status codes are the `PKGIMG_*` macros of the header: 0 for success, a
//! distinct negative value for each [`Error`] variant, so C code can branch on
//! the kind of failure without parsing text.
//!
//! ```c
//! #include "pkgimg.h"
//! uint64_t offset, size;
//! int status = pkgimg_find_ji_payload(map, len, &offset, &size);
//! if (status != PKGIMG_OK)
//!     fprintf(stderr, "no payload: %s\n", pkgimg_strerror(status));
//! ```
//!
//! A payload stored zstd-compressed (frame flags bit 1) is reported by
//! `pkgimg_payload_info`; the other functions see its stored bytes.
#![allow(unsafe_code)] // Turning a C pointer and length into a slice is the one unsafe step.

use core::ffi::c_char;
use std::panic::catch_unwind;

use crate::Error;

/// Status codes: 0 for success, a negative value per error kind.
const OK: i32 = 0;
const E_NULL: i32 = -1;
const E_UNKNOWN_FORMAT: i32 = -2;
const E_TRUNCATED: i32 = -3;
const E_OVERFLOW: i32 = -4;
const E_INVALID: i32 = -5;
const E_NO_CONTAINER: i32 = -6;
const E_NO_FRAME: i32 = -7;
const E_FRAME_VERSION: i32 = -8;
const E_FRAME_HEADER_SIZE: i32 = -9;
const E_AMBIGUOUS: i32 = -10;
const E_NO_HOST_SLICE: i32 = -11;
const E_NO_CHECKSUM: i32 = -12;
const E_CHECKSUM_MISMATCH: i32 = -13;
const E_BAD_NAME: i32 = -14;
const E_INTERNAL: i32 = -15;
const E_LENGTH: i32 = -16;
const E_IO: i32 = -17;
const E_NO_DATA_LIBRARY: i32 = -18;
const E_DATA_LIBRARIES: i32 = -19;
const E_PATH_SIZE: i32 = -20;
const E_SEARCH_LIMIT: i32 = -21;

/// The static message of each code, NUL-terminated for C.
const MESSAGES: [(i32, &str); 22] = [
    (OK, "success\0"),
    (E_NULL, "null pointer argument\0"),
    (E_UNKNOWN_FORMAT, "not an ELF, Mach-O, PE or COFF file\0"),
    (E_TRUNCATED, "a header or the payload runs past the end of the file\0"),
    (E_OVERFLOW, "an offset plus a size overflows 64 bits\0"),
    (E_INVALID, "a header field holds a value the format does not allow\0"),
    (E_NO_CONTAINER, "no payload container section in this image\0"),
    (E_NO_FRAME, "container section found, but it holds no payload frame\0"),
    (E_FRAME_VERSION, "unsupported payload frame version\0"),
    (E_FRAME_HEADER_SIZE, "payload frame header_size below 64\0"),
    (E_AMBIGUOUS, "more than one container section: ambiguous\0"),
    (E_NO_HOST_SLICE, "universal file has no slice for this CPU\0"),
    (E_NO_CHECKSUM, "payload frame carries no CRC-32C\0"),
    (E_CHECKSUM_MISMATCH, "payload CRC-32C does not match the frame\0"),
    (E_BAD_NAME, "section name not expressible in this format\0"),
    (E_INTERNAL, "internal error (a bug in pkgimg)\0"),
    (E_LENGTH, "length above PTRDIFF_MAX: no buffer is that long\0"),
    (E_IO, "the file could not be opened or read, or is not a regular file (see errno)\0"),
    (E_NO_DATA_LIBRARY, "no dependency of the code cache within its reach carries a payload\0"),
    (E_DATA_LIBRARIES, "more than one dependency of the code cache carries a payload\0"),
    (E_PATH_SIZE, "the data library's path does not fit in the buffer given\0"),
    (E_SEARCH_LIMIT, "the code cache names too many places to search for its data library\0"),
];

fn code(error: &Error) -> i32 {
    match error {
        Error::UnknownFormat { .. } => E_UNKNOWN_FORMAT,
        Error::Truncated { .. } => E_TRUNCATED,
        Error::Overflow { .. } => E_OVERFLOW,
        Error::Invalid { .. } => E_INVALID,
        Error::BadName { .. } => E_BAD_NAME,
        Error::NoContainer { .. } => E_NO_CONTAINER,
        Error::NoFrame { .. } => E_NO_FRAME,
        Error::FrameVersion { .. } => E_FRAME_VERSION,
        Error::FrameHeaderSize { .. } => E_FRAME_HEADER_SIZE,
        Error::Ambiguous { .. } => E_AMBIGUOUS,
        Error::NoHostSlice { .. } => E_NO_HOST_SLICE,
        Error::NoChecksum { .. } => E_NO_CHECKSUM,
        Error::ChecksumMismatch { .. } => E_CHECKSUM_MISMATCH,
    }
}

/// The file's bytes, or the status code for arguments that cannot describe
/// a buffer: `E_NULL` for a null pointer (a zero length with a null pointer
/// too: C callers pass null by mistake, not by design), `E_LENGTH` for a
/// length above `PTRDIFF_MAX`, which no object in memory can have.
///
/// # Safety
/// `file` must point to `len` readable bytes that stay valid and unmodified
/// for the call (as for any C function taking a buffer).
unsafe fn bytes<'a>(file: *const u8, len: usize) -> Result<&'a [u8], i32> {
    if file.is_null() {
        return Err(E_NULL);
    }
    if len > isize::MAX as usize {
        return Err(E_LENGTH);
    }
    // SAFETY: non-null, at most isize::MAX bytes, and the caller promises
    // `len` readable bytes.
    Ok(unsafe { core::slice::from_raw_parts(file, len) })
}

/// Finds the payload; see `include/pkgimg.h`.
///
/// ```
/// use pkgimg::capi::{pkgimg_find_ji_payload, pkgimg_strerror};
/// // corpus/expected.json: payload at 1088, 1000 bytes.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let (mut offset, mut size) = (0u64, 0u64);
/// // SAFETY: the pointer and length describe a live buffer; the outputs are locals.
/// let status = unsafe { pkgimg_find_ji_payload(file.as_ptr(), file.len(), &mut offset, &mut size) };
/// assert_eq!((status, offset, size), (0, 1088, 1000));
///
/// // PKGIMG_E_NO_CONTAINER is -6 in include/pkgimg.h.
/// let plain = std::fs::read("corpus/nopayload/x86_64-linux-musl.so").unwrap();
/// let status = unsafe { pkgimg_find_ji_payload(plain.as_ptr(), plain.len(), &mut offset, &mut size) };
/// assert_eq!(status, -6);
/// let message = unsafe { std::ffi::CStr::from_ptr(pkgimg_strerror(status)) };
/// assert_eq!(message.to_str(), Ok("no payload container section in this image"));
/// ```
///
/// # Safety
/// `file` must point to `len` readable bytes; `offset` and `size` must be
/// null or point to writable `uint64_t`s.
#[no_mangle]
pub unsafe extern "C" fn pkgimg_find_ji_payload(file: *const u8, len: usize, offset: *mut u64, size: *mut u64) -> i32 {
    if offset.is_null() || size.is_null() {
        return E_NULL;
    }
    // SAFETY: forwarded from the caller's contract.
    let file = match unsafe { bytes(file, len) } {
        Ok(file) => file,
        Err(code) => return code,
    };
    let result = catch_unwind(|| crate::find_ji_payload(file).map(|p| (p.offset(), p.size())));
    match result {
        Ok(Ok((o, s))) => {
            // SAFETY: checked non-null above; the caller promises they are writable.
            unsafe {
                *offset = o;
                *size = s;
            }
            OK
        }
        Ok(Err(e)) => code(&e),
        Err(_) => E_INTERNAL,
    }
}

/// Finds the payload and describes how it is stored; see `include/pkgimg.h`.
///
/// ```
/// use pkgimg::capi::pkgimg_payload_info;
/// // corpus/expected.json: payload at 1088, 1000 bytes, stored as they are.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let (mut offset, mut stored, mut uncompressed, mut flags) = (0u64, 0u64, 0u64, 0u32);
/// // SAFETY: the pointer and length describe a live buffer; the outputs are locals.
/// let status = unsafe {
///     pkgimg_payload_info(file.as_ptr(), file.len(), &mut offset, &mut stored, &mut uncompressed, &mut flags)
/// };
/// // PKGIMG_FLAG_CRC32C is 1, PKGIMG_FLAG_ZSTD 2; uncompressed: the size is the stored size.
/// assert_eq!((status, offset, stored, uncompressed, flags), (0, 1088, 1000, 1000, 1));
/// ```
///
/// # Safety
/// `file` must point to `len` readable bytes; the four outputs must be null
/// or point to writable integers of their types.
#[no_mangle]
pub unsafe extern "C" fn pkgimg_payload_info(
    file: *const u8,
    len: usize,
    offset: *mut u64,
    stored_size: *mut u64,
    uncompressed_size: *mut u64,
    flags: *mut u32,
) -> i32 {
    if offset.is_null() || stored_size.is_null() || uncompressed_size.is_null() || flags.is_null() {
        return E_NULL;
    }
    // SAFETY: forwarded from the caller's contract.
    let file = match unsafe { bytes(file, len) } {
        Ok(file) => file,
        Err(code) => return code,
    };
    let result = catch_unwind(|| {
        crate::find_ji_payload(file).map(|p| (p.offset(), p.size(), p.uncompressed_size(), p.frame().flags))
    });
    match result {
        Ok(Ok((o, s, u, f))) => {
            // SAFETY: checked non-null above; the caller promises they are writable.
            unsafe {
                *offset = o;
                *stored_size = s;
                // Uncompressed, the content is the stored bytes (FORMAT.md §3).
                *uncompressed_size = u.unwrap_or(s);
                *flags = f;
            }
            OK
        }
        Ok(Err(e)) => code(&e),
        Err(_) => E_INTERNAL,
    }
}

/// Finds the payload of the file at `path` with `pread`, not a mapping; see
/// `include/pkgimg.h` and [`crate::find_ji_payload_path`].
///
/// ```
/// use pkgimg::capi::pkgimg_find_ji_payload_path;
/// // corpus/expected.json: payload at 1088, 1000 bytes.
/// let (mut offset, mut size) = (0u64, 0u64);
/// let path = c"corpus/elf/x86_64-linux-musl.so";
/// // SAFETY: a NUL-terminated path; the outputs are locals.
/// let status = unsafe { pkgimg_find_ji_payload_path(path.as_ptr(), &mut offset, &mut size) };
/// assert_eq!((status, offset, size), (0, 1088, 1000));
/// // PKGIMG_E_IO is -17 in include/pkgimg.h, with errno set (ENOENT here).
/// let status = unsafe { pkgimg_find_ji_payload_path(c"no/such/file".as_ptr(), &mut offset, &mut size) };
/// assert_eq!((status, std::io::Error::last_os_error().raw_os_error()), (-17, Some(2)));
/// ```
///
/// # Safety
/// `path` must be null or a NUL-terminated string; `offset` and `size` must
/// be null or point to writable `uint64_t`s.
#[cfg(unix)]
#[no_mangle]
pub unsafe extern "C" fn pkgimg_find_ji_payload_path(path: *const c_char, offset: *mut u64, size: *mut u64) -> i32 {
    if path.is_null() || offset.is_null() || size.is_null() {
        return E_NULL;
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    let path = unsafe { c_path(path) };
    match catch_unwind(|| crate::find_ji_payload_path(path).map(|p| (p.offset(), p.size()))) {
        Ok(Ok((o, s))) => {
            // SAFETY: checked non-null above; the caller promises they are writable.
            unsafe {
                *offset = o;
                *size = s;
            }
            OK
        }
        Ok(Err(crate::LocateError::Format { source, .. })) => code(&source),
        Ok(Err(crate::LocateError::Io { source, .. })) => io_status(&source),
        Err(_) => E_INTERNAL,
    }
}

/// Finds the data library of the code cache at `code_cache` (a split
/// image); see `include/pkgimg.h` and [`crate::find_data_library`].
///
/// ```no_run
/// use pkgimg::capi::pkgimg_find_data_library;
/// let (mut path, mut offset, mut size) = ([0u8; 4096], 0u64, 0u64);
/// // SAFETY: a NUL-terminated path, a buffer of the length given, locals.
/// let status = unsafe {
///     pkgimg_find_data_library(c"libFoo_O3.so".as_ptr(), path.as_mut_ptr().cast(), path.len(), &mut offset, &mut size)
/// };
/// assert_eq!(status, 0);
/// ```
///
/// # Safety
/// `code_cache` must be null or a NUL-terminated string; `path` must be null
/// or point to `path_size` writable bytes; `offset` and `size` must be null
/// or point to writable `uint64_t`s.
#[cfg(unix)]
#[no_mangle]
pub unsafe extern "C" fn pkgimg_find_data_library(
    code_cache: *const c_char,
    path: *mut c_char,
    path_size: usize,
    offset: *mut u64,
    size: *mut u64,
) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    if code_cache.is_null() || path.is_null() || offset.is_null() || size.is_null() {
        return E_NULL;
    }
    if path_size > isize::MAX as usize {
        return E_LENGTH;
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    let code_cache = unsafe { c_path(code_cache) };
    let found = match catch_unwind(|| crate::find_data_library(code_cache)) {
        Ok(Ok(found)) => found,
        Ok(Err(crate::split::SplitError::Io { source, .. })) => return io_status(&source),
        Ok(Err(crate::split::SplitError::Format { source, .. })) => return code(&source),
        Ok(Err(crate::split::SplitError::NoDataLibrary { .. })) => return E_NO_DATA_LIBRARY,
        Ok(Err(crate::split::SplitError::Ambiguous { .. })) => return E_DATA_LIBRARIES,
        Ok(Err(crate::split::SplitError::SearchLimit { .. })) => return E_SEARCH_LIMIT,
        Err(_) => return E_INTERNAL,
    };
    let name = found.path.as_os_str().as_bytes();
    // The name and its NUL (a path holds none inside).
    if name.len() >= path_size {
        return E_PATH_SIZE;
    }
    // SAFETY: `path` is non-null and the caller promises `path_size` writable
    // bytes, more than the name's length; the outputs were checked non-null.
    unsafe {
        core::ptr::copy_nonoverlapping(name.as_ptr(), path.cast::<u8>(), name.len());
        *path.add(name.len()) = 0;
        *offset = found.located().offset();
        *size = found.located().size();
    }
    OK
}

/// The path a C caller passed.
///
/// # Safety
/// `path` must be non-null and point to a NUL-terminated string that stays
/// valid for `'a`.
#[cfg(unix)]
unsafe fn c_path<'a>(path: *const c_char) -> &'a std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: forwarded from the caller's contract.
    std::path::Path::new(std::ffi::OsStr::from_bytes(unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes()))
}

/// `PKGIMG_E_IO`, with `errno` set to the system's error (`EIO` if it has none).
#[cfg(unix)]
fn io_status(error: &std::io::Error) -> i32 {
    set_errno(error.raw_os_error().unwrap_or(libc::EIO));
    E_IO
}

/// Sets `errno` for the C caller (the system call that failed set it, but
/// closing the file and freeing buffers since may have changed it).
#[cfg(unix)]
fn set_errno(value: i32) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: the thread's errno location is always valid to write.
    unsafe {
        *libc::__errno_location() = value;
    }
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    // SAFETY: as above.
    unsafe {
        *libc::__error() = value;
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )))]
    let _ = value;
}

/// Finds the payload and checks its CRC-32C; see `include/pkgimg.h`.
///
/// ```
/// use pkgimg::capi::pkgimg_verify;
/// // PKGIMG_E_CHECKSUM_MISMATCH is -13 in include/pkgimg.h; corpus/expected.json
/// // says `malformed/crc-mismatch.so` has a flipped payload byte.
/// let good = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let bad = std::fs::read("corpus/malformed/crc-mismatch.so").unwrap();
/// // SAFETY: each pointer and length describe a live buffer.
/// assert_eq!(unsafe { pkgimg_verify(good.as_ptr(), good.len()) }, 0);
/// assert_eq!(unsafe { pkgimg_verify(bad.as_ptr(), bad.len()) }, -13);
/// assert_eq!(unsafe { pkgimg_verify(std::ptr::null(), 0) }, -1); // PKGIMG_E_NULL
/// // A length no buffer can have: PKGIMG_E_LENGTH, whatever the pointer.
/// assert_eq!(unsafe { pkgimg_verify(good.as_ptr(), usize::MAX) }, -16);
/// ```
///
/// # Safety
/// `file` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn pkgimg_verify(file: *const u8, len: usize) -> i32 {
    // SAFETY: forwarded from the caller's contract.
    let file = match unsafe { bytes(file, len) } {
        Ok(file) => file,
        Err(code) => return code,
    };
    match catch_unwind(|| crate::find_ji_payload(file).and_then(|p| p.verify())) {
        Ok(Ok(())) => OK,
        Ok(Err(e)) => code(&e),
        Err(_) => E_INTERNAL,
    }
}

/// A static, NUL-terminated description of `code`; never null.
#[no_mangle]
pub extern "C" fn pkgimg_strerror(code: i32) -> *const c_char {
    let message = MESSAGES.iter().find(|(c, _)| *c == code).map_or("unknown pkgimg status code\0", |(_, m)| m);
    message.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_error_kind_has_a_distinct_code_and_message() {
        let codes: Vec<i32> = super::MESSAGES.iter().map(|(c, _)| *c).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert!(super::MESSAGES.iter().all(|(_, m)| m.ends_with('\0') && m.matches('\0').count() == 1));
    }
}
