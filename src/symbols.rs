//! One exported symbol, found by walking headers only: ELF `.dynsym`, the
//! Mach-O symbol table, the PE export directory; and whether an image
//! imports a symbol, from the same tables (the PE import directory). Each
//! format's walk is in `src/<format>/symbols.rs`.

use crate::{Error, FileRange, Format, Slice};

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

impl Slice<'_> {
    /// The exported symbol `name` (as C spells it) of this slice, found by
    /// walking headers only: ELF `.dynsym`, the Mach-O symbol table (as
    /// `_name`), the PE export directory. `None` if there is no such
    /// symbol.
    pub fn find_symbol(&self, name: &str) -> Result<Option<Symbol>, Error> {
        let image = self.image;
        match self.format()? {
            Format::Elf => crate::elf::symbols::find_symbol(image, name.as_bytes()),
            Format::MachO => crate::macho::symbols::find_c_symbol(image, name.as_bytes()),
            Format::Pe | Format::Coff => crate::coff::symbols::find_symbol(image, name.as_bytes()),
        }
    }

    /// Whether this slice takes the symbol `name` (as C spells it) from a
    /// library it depends on, by walking headers only: an undefined global
    /// or weak entry of ELF `.dynsym`, an undefined external entry of the
    /// Mach-O symbol table (as `_name`), or a PE import by name. A code
    /// cache of a split image imports its data library's exported symbol
    /// ([`record::DEFAULT_SYMBOL`](crate::record::DEFAULT_SYMBOL) unless
    /// named otherwise), so this tells a code cache whose data library is
    /// missing from any other library. An object file imports nothing.
    pub fn imports_symbol(&self, name: &str) -> Result<bool, Error> {
        let image = self.image;
        match self.format()? {
            Format::Elf => crate::elf::symbols::imports_symbol(image, name.as_bytes()),
            Format::MachO => crate::macho::symbols::imports_c_symbol(image, name.as_bytes()),
            Format::Pe | Format::Coff => crate::coff::symbols::imports_symbol(image, name.as_bytes()),
        }
    }
}

/// The exported symbol `name` of `file` (for a universal file, of the
/// host's slice): its address and the file bytes it points at.
///
/// ```
/// use pkgimg::record::DataRecord;
/// use pkgimg::Endian;
/// // A data library's exported symbol points at its 32-byte data record.
/// let library = pkgimg::emit::emit_data_library("x86_64-linux-gnu", "libFoo_data.so", b"123456789")?;
/// let symbol = pkgimg::find_symbol(&library, "jl_pkgimg_data")?.expect("exported");
/// let range = symbol.range.expect("in the file");
/// let bytes: [u8; 32] = library[range.offset as usize..][..32].try_into()?;
/// let record = DataRecord::decode(&bytes, Endian::Little).expect("a data record");
/// assert_eq!((record.payload_size, record.payload_crc32c), (9, 0xe306_9283));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn find_symbol(file: &[u8], name: &str) -> Result<Option<Symbol>, Error> {
    crate::host_slice(file)?.find_symbol(name)
}
