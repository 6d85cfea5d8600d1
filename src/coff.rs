//! PE/COFF: the container is the section named `.jlji`. Walk: (MS-DOS stub →
//! `PE\0\0` →) COFF file header → section table → each 8-byte name.
//!
//! References are to Microsoft's "PE Format" specification, whose structures
//! [`layout`] transcribes; [`header`] reads the fixed headers for every user.

#[cfg(feature = "std")]
pub(crate) mod data_library;
pub(crate) mod dependencies;
pub(crate) mod emit;
pub(crate) mod header;
#[cfg(feature = "std")]
pub(crate) mod import_library;
#[cfg(feature = "std")]
pub(crate) mod inject;
pub(crate) mod layout;
pub(crate) mod sections;
pub(crate) mod symbols;
#[cfg(test)]
mod testing;

use crate::error::unique;
use crate::read::Source;
use crate::read::{Data, Fixed};
use crate::{Endian, Error, FileRange, Format, Image, Lookup};
use layout::{section_header, IMAGE_SCN_CNT_UNINITIALIZED_DATA};

#[inline]
pub(crate) fn find_section<'a, S: Source<'a>>(file: Data<'a, S>, name: &[u8; 8]) -> Result<Lookup, Error> {
    let header = header::parse(file)?;
    let table = header.section_table(file)?;
    // One comparison of the 8-byte Name per header; only a match is read further.
    let (mut found, mut headers) = (None, table.bytes);
    while let Some((sh, rest)) = headers.split_first_chunk::<{ section_header::LEN }>() {
        headers = rest;
        if sh.first_chunk::<{ section_header::NAME_LEN }>() == Some(name) {
            found = unique(found, data_range(&Fixed { bytes: sh, endian: Endian::Little }, header.format))?;
        }
    }
    Ok(Lookup { image: header.image(), section: found })
}

/// What the file is, from its headers only: a broken section table does not
/// hide it.
pub(crate) fn identify<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Image, Error> {
    header::parse(image).map(|header| header.image())
}

/// The file bytes of the section with header `sh`, relative to the image.
#[inline(always)]
pub(crate) fn data_range(sh: &Fixed<'_, { section_header::LEN }>, format: Format) -> FileRange {
    // In an image, raw data is padded to FileAlignment and VirtualSize is the
    // real length; a VirtualSize of 0 means SizeOfRawData, as to the loader.
    let (virtual_size, raw_size) = (sh.u32(section_header::VIRTUAL_SIZE), sh.u32(section_header::SIZE_OF_RAW_DATA));
    let size = if format == Format::Pe && virtual_size != 0 { virtual_size.min(raw_size) } else { raw_size };
    // In an object, an uninitialized section's SizeOfRawData is its size in
    // memory (like ELF's NOBITS); in an image the loader copies whatever raw
    // data there is, so there the flag is not consulted.
    let no_bytes =
        format == Format::Coff && sh.u32(section_header::CHARACTERISTICS) & IMAGE_SCN_CNT_UNINITIALIZED_DATA != 0;
    let size = if no_bytes { 0 } else { u64::from(size) };
    FileRange { offset: u64::from(sh.u32(section_header::POINTER_TO_RAW_DATA)), size }
}
