//! One exported symbol, found by walking headers only: ELF `.dynsym`, the
//! Mach-O symbol table, the PE export directory. Each format's walk is in
//! `src/<format>/symbols.rs`.

use crate::FileRange;

/// An exported symbol and where its bytes are in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Symbol {
    /// The symbol's address as the image states it: ELF `st_value`, Mach-O
    /// `n_value`, or the PE export's RVA plus `ImageBase`.
    pub address: u64,
    /// The bytes at that address in the file, if the address lies in a
    /// part of a segment or section that has file bytes. The size is the
    /// symbol's where the format records one (ELF `st_size`), otherwise the
    /// bytes up to the end of its section.
    pub range: Option<FileRange>,
}
