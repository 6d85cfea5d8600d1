//! Data libraries: a loadable shared library with no code that carries the
//! container and payload and exports one symbol, so that code caches can
//! depend on it through the platform's own dependency record (ELF
//! `DT_NEEDED`, Mach-O `LC_LOAD_DYLIB`, a PE import). docs/FORMAT.md, "Data
//! libraries", gives the layouts; the writers are in
//! `src/{elf,macho,coff}/data_library.rs`.

use std::io::{self, Read, Seek, Write};

use super::abi::Header;
use super::{EmitError, Target};
use crate::record;
pub use crate::write::data_library::DataLibraryLayout;
use crate::write::data_library::DataLibrarySpec;

/// What a data library is called and what it exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataLibrary<'a> {
    /// The library's own name: ELF `DT_SONAME` (`libFoo_data.so`), Mach-O
    /// install name (`@rpath/libFoo_data.dylib`), the PE DLL name
    /// (`Foo_data.dll`). A code cache's dependency record will say this.
    pub name: &'a str,
    /// The exported data symbol, as C spells it (Mach-O adds the leading
    /// underscore itself). Default [`record::DEFAULT_SYMBOL`].
    pub symbol: &'a str,
}

impl<'a> DataLibrary<'a> {
    /// A data library called `name` that exports [`record::DEFAULT_SYMBOL`].
    pub fn new(name: &'a str) -> DataLibrary<'a> {
        DataLibrary { name, symbol: record::DEFAULT_SYMBOL }
    }
}

impl Target {
    /// Writes a data library for this target: headers first, then the
    /// payload streamed from `payload` (exactly `payload_size` bytes, whose
    /// CRC-32C must be `payload_crc32c`: it goes into the frame and the data
    /// record before the bytes are read, and is checked after them).
    ///
    /// ```
    /// use pkgimg::emit::{DataLibrary, Target};
    /// let target = Target::from_triple("x86_64-unknown-linux-gnu")?;
    /// let mut library = Vec::new();
    /// let data = b"123456789"; // CRC-32C 0xe3069283, the catalogue's check value
    /// let layout =
    ///     target.write_data_library(&DataLibrary::new("libFoo_data.so"), 9, 0xe306_9283, &mut &data[..], &mut library)?;
    /// let payload = pkgimg::find_ji_payload(&library)?;
    /// assert_eq!((payload.offset(), payload.data()), (layout.payload.offset, &data[..]));
    /// // The payload starts on a page; the exported symbol points at the record.
    /// assert_eq!(layout.payload.offset % 4096, 0);
    /// let symbol = pkgimg::find_symbol(&library, "jl_pkgimg_data")?.unwrap();
    /// assert_eq!(symbol.range.map(|r| r.offset), Some(layout.record.offset));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_data_library(
        &self,
        library: &DataLibrary<'_>,
        payload_size: u64,
        payload_crc32c: u32,
        payload: &mut impl Read,
        out: &mut impl Write,
    ) -> Result<DataLibraryLayout, EmitError> {
        let spec = DataLibrarySpec { name: library.name, symbol: library.symbol, payload_size, payload_crc32c };
        let mut reader = CrcReader { inner: payload, crc: 0 };
        let layout = match &self.header {
            Header::Elf(elf) => crate::elf::data_library::write(elf, &spec, &mut reader, out)?,
            Header::MachO(macho) => crate::macho::data_library::write(macho, &spec, &mut reader, out)?,
            Header::Coff(coff) => crate::coff::data_library::write(coff, &spec, &mut reader, out)?,
        };
        if reader.crc != payload_crc32c {
            return Err(EmitError::ChecksumMismatch { expected: payload_crc32c, actual: reader.crc });
        }
        Ok(layout)
    }

    /// Whether [`Target::write_data_library`] can write for this target: its
    /// [`EmitError::Unsupported`] (a Mach-O or PE machine without a
    /// data-library writer) before a payload is read. Every ELF target has one.
    pub fn data_library_supported(&self) -> Result<(), EmitError> {
        match &self.header {
            Header::Elf(_) => Ok(()),
            Header::MachO(macho) => crate::macho::data_library::supports(macho),
            Header::Coff(coff) => crate::coff::data_library::supports(coff),
        }
    }

    /// [`Target::write_data_library`] of `payload` into a new `Vec`.
    pub fn data_library_to_vec(&self, library: &DataLibrary<'_>, payload: &[u8]) -> Result<Vec<u8>, EmitError> {
        let mut out = Vec::new();
        let size = payload.len() as u64;
        self.write_data_library(library, size, crate::crc::crc32c(payload), &mut &payload[..], &mut out)?;
        Ok(out)
    }

    /// Writes the import library a Windows code cache links against to
    /// import `library.symbol` from the data DLL `library.name`: the
    /// short-import COFF archive that lld-link and GNU ld accept. Only for
    /// PE targets.
    pub fn write_import_library(&self, library: &DataLibrary<'_>, out: &mut impl Write) -> Result<(), EmitError> {
        match &self.header {
            Header::Coff(coff) => crate::coff::import_library::write(coff, library.name, library.symbol, out),
            _ => Err(EmitError::Unsupported {
                triple: self.image.format.to_string(),
                reason: "an import library is a Windows thing; ELF and Mach-O code caches link against the data library itself",
            }),
        }
    }
}

/// Writes a universal (fat) Mach-O data library with one slice per target,
/// in the order given (every target must be Mach-O), each a complete data
/// library with its own copy of the payload. `payload` is read once per
/// slice from its current position, so it must be able to seek back (a
/// `File` or a `Cursor`); each copy's CRC-32C is checked against
/// `payload_crc32c`. The layouts' offsets are absolute.
pub fn write_universal_data_library(
    targets: &[Target],
    library: &DataLibrary<'_>,
    payload_size: u64,
    payload_crc32c: u32,
    payload: &mut (impl Read + Seek),
    out: &mut impl Write,
) -> Result<Vec<DataLibraryLayout>, EmitError> {
    let mut headers = Vec::with_capacity(targets.len());
    for target in targets {
        match &target.header {
            Header::MachO(macho) => headers.push(*macho),
            _ => {
                return Err(EmitError::Unsupported {
                    triple: target.image.arch.to_string(),
                    reason: "a universal file holds Mach-O slices only",
                })
            }
        }
    }
    let spec = DataLibrarySpec { name: library.name, symbol: library.symbol, payload_size, payload_crc32c };
    crate::macho::data_library::write_universal(&headers, &spec, payload, out)
}

/// Writes a data library for `target` (a triple, see [`Target::from_triple`])
/// called `name` (its soname, install name or DLL name), exporting
/// [`record::DEFAULT_SYMBOL`], into a new `Vec`.
pub fn emit_data_library(target: &str, name: &str, payload: &[u8]) -> Result<Vec<u8>, EmitError> {
    Target::from_triple(target)?.data_library_to_vec(&DataLibrary::new(name), payload)
}

/// Passes bytes through, keeping a running CRC-32C of them.
struct CrcReader<'a, R: Read> {
    inner: &'a mut R,
    crc: u32,
}

impl<R: Read> Read for CrcReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}
