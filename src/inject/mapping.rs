//! Read-only file mappings of the library and of the written output, whose
//! headers the navigators read as `&[u8]`. The payload is never mapped: it
//! is copied with `pread` (`write_path::copy_range`), so that a payload that
//! shrinks meanwhile is a clear error rather than a SIGBUS. The only
//! `unsafe` of injection, kept in one place with its argument.

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
