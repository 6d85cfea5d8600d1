//! What a data-library writer is asked to write, and where it put things
//! (docs/FORMAT.md, "Data libraries"). A data library is a loadable shared
//! library with no code that carries the container and payload, and exports
//! one symbol pointing at a [`crate::record::DataRecord`], so that code caches
//! can depend on it through the platform's own dependency record.
//!
//! Each format's writer (`src/<format>/data_library.rs`) has the signature
//!
//! ```text
//! pub(crate) fn write(
//!     header: &XHeader,                 // the target's ElfHeader / MachOHeader / CoffHeader
//!     spec: &DataLibrarySpec<'_>,
//!     payload: &mut dyn std::io::Read,  // exactly spec.payload_size bytes, streamed
//!     out: &mut dyn std::io::Write,
//! ) -> Result<DataLibraryLayout, EmitError>
//! ```
//!
//! and `src/emit` dispatches to it.

use crate::FileRange;

/// The request: names, and the payload's size and CRC-32C (known before a
/// byte is written, so every header can be written first and the payload
/// streamed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DataLibrarySpec<'a> {
    /// The library's own name: ELF `DT_SONAME`, Mach-O `LC_ID_DYLIB`'s
    /// install name, the PE export directory's DLL name.
    pub name: &'a str,
    /// The exported data symbol's name (without Mach-O's leading `_`, which
    /// the Mach-O writer adds, as C compilers do).
    pub symbol: &'a str,
    /// The payload's size in bytes.
    pub payload_size: u64,
    /// The payload's CRC-32C, for the frame and the data record.
    pub payload_crc32c: u32,
}

/// Where things are in a data library, as absolute file offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataLibraryLayout {
    /// The container's data: the frame, and where the format keeps it
    /// there, the payload.
    pub container: FileRange,
    /// The payload; it starts on a page of the target.
    pub payload: FileRange,
    /// The data record the exported symbol points at.
    pub record: FileRange,
    /// The size of the whole file.
    pub size: u64,
}
