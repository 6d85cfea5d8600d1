//! One ELF operation written four ways: find the file range of the section
//! named `name` (`.jlji`) by walking only the headers.
//!
//! Every implementation makes the same checks, in the same order as
//! pkgimg's `src/elf.rs`, and returns the same result on every input
//! (`main.rs check` asserts it on the corpus and on mutated headers):
//!
//! 1. the 16-byte identification is in the file, starts with `\x7fELF`, and
//!    has `EI_CLASS` 1 or 2 and `EI_DATA` 1 or 2;
//! 2. the ELF header (52 or 64 bytes) is in the file;
//! 3. `e_shoff == 0`: no section table, `Ok(None)`;
//! 4. `e_shentsize` is at least 40 (32-bit) or 64 (64-bit);
//! 5. section header 0 (`e_shentsize` bytes at `e_shoff`) is in the file;
//! 6. extended numbering: `e_shnum == 0` means section 0's `sh_size` is the
//!    count, `e_shstrndx == 0xffff` means section 0's `sh_link` is the index;
//! 7. the table (`count × e_shentsize` at `e_shoff`, checked arithmetic) is
//!    in the file;
//! 8. entry `e_shstrndx` is in the table and the name table it describes
//!    (`SHT_NOBITS`: size 0) is in the file;
//! 9. an entry matches if the string at its `sh_name` lies in the name table,
//!    NUL-terminated inside it, and equals `name`; a second match is an error;
//! 10. the match's range (`SHT_NOBITS`: size 0) is in the file.
//!
//! Errors are flattened to one small value: the comparison is of the walk,
//! and pkgimg's richer error (structure, offset, sizes) is its own cost.

pub mod with_bytemuck;
pub mod with_pkgimg;
pub mod with_scroll;
pub mod with_scroll_lean;
pub mod with_zerocopy;

/// A section's bytes in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub offset: u64,
    pub size: u64,
}

/// Why a walk failed; which check it was, for debugging disagreements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub &'static str);

pub type Found = Result<Option<Range>, Error>;

// loc: helpers (the checks' shared pieces; pkgimg's are in its own count)
/// `e_shstrndx` escape: the real index is in section 0's `sh_link`.
pub const SHN_XINDEX: u16 = 0xffff;
/// A section with no bytes in the file.
pub const SHT_NOBITS: u32 = 8;

/// `offset + count × size <= len`, with checked arithmetic.
#[inline(always)]
pub fn fits(len: usize, offset: u64, size: u64, count: u64) -> bool {
    size.checked_mul(count).and_then(|n| offset.checked_add(n)).is_some_and(|end| end <= len as u64)
}

/// Whether the NUL-terminated string at `at` in `names` is `name`: the name
/// test of the bytemuck, zerocopy and lean scroll walks, pkgimg's own
/// (`Data::cstr_is` in src/read.rs) copied verbatim so that the walks differ
/// only in how they read headers. The plain scroll walk reads the name as
/// scroll users do, with `pread::<&str>`.
#[inline(always)]
pub fn cstr_is(names: &[u8], at: u32, name: &[u8]) -> bool {
    let Some(field) = usize::try_from(at).ok().and_then(|at| names.get(at..)) else {
        return false;
    };
    // Most names differ within their first four bytes: one word compare rejects them.
    if let (Some(head), Some(want)) = (field.first_chunk::<4>(), name.first_chunk::<4>()) {
        if head != want {
            return false;
        }
    }
    let mut field = field.iter();
    name.iter().all(|b| field.next() == Some(b)) && field.next() == Some(&0)
}

// loc: end

/// One implementation of the walk.
pub type Walk = fn(&[u8], &str) -> Found;

/// The implementations, in the order the benchmark reports them.
pub const IMPLS: [(&str, Walk); 5] = [
    ("pkgimg", with_pkgimg::find_section),
    ("scroll", with_scroll::find_section),
    ("scroll-lean", with_scroll_lean::find_section),
    ("bytemuck", with_bytemuck::find_section),
    ("zerocopy", with_zerocopy::find_section),
];
