//! Read-only file mappings: the library and the written output, whose
//! headers the navigators read as `&[u8]`, and one window of the payload at a
//! time while it is copied. The only `unsafe` of injection besides the
//! writeback hint, kept in one place with its argument.

use std::fs::File;
use std::io;

/// Maps `file` read-only.
#[allow(unsafe_code)]
pub(super) fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: mmap(2) is the only way to hand the navigators (which take
    // `&[u8]`) a file of any size while reading just the header pages. The
    // mapping is private and read-only; Rust's aliasing rules hold as long as
    // no other process truncates or rewrites the file while it is mapped. This
    // crate never writes to a file while it is mapped (the inputs are opened
    // read-only; the output is mapped only after its pieces are written, and
    // unmapped before its frames are sealed),
    // and a library being rewritten by another process during injection is
    // outside what any tool of this kind can guard against.
    unsafe { memmap2::Mmap::map(file) }
}

/// Maps `len` bytes of the payload `file` from `offset`, read-only, for one
/// window of the copy: the CRC reads them, and `write(2)` copies them into
/// the output, one copy in all (as `copy_file_range(2)` makes; `read` +
/// `write` would make two).
#[allow(unsafe_code)]
pub(super) fn map_window(file: &File, offset: u64, len: usize) -> io::Result<memmap2::Mmap> {
    // SAFETY: as in `map`: a private read-only mapping of a file this crate
    // opened read-only and never writes. The caller has just checked that the
    // file still holds the whole window. If another process truncates the
    // payload in the instant between that check and the reads, the reads
    // fault (SIGBUS) and the process dies as if killed: the destination is
    // untouched and only the temporary file is left, as with SIGKILL.
    unsafe { memmap2::MmapOptions::new().offset(offset).len(len).map(file) }
}
