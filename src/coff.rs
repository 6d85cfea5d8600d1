//! PE/COFF: the container is the section named `.jlji`. Walk: (MS-DOS stub →
//! `PE\0\0` →) COFF file header → section table → each 8-byte name.
//!
//! References are to Microsoft's "PE Format" specification.

pub(crate) mod emit;
#[cfg(feature = "std")]
pub(crate) mod inject;

use crate::error::unique;
use crate::read::Data;
use crate::{Arch, Endian, Error, FileRange, Format, Image, Lookup};

/// `IMAGE_SCN_CNT_UNINITIALIZED_DATA`. In an object, such a section's
/// SizeOfRawData is its memory size and it has no file bytes (like ELF's
/// NOBITS); in an image the loader copies whatever raw data there is, so there
/// the flag is not consulted.
const UNINITIALIZED: u32 = 0x80;

#[inline]
pub(crate) fn find_section(file: Data<'_>, name: &[u8; 8]) -> Result<Lookup, Error> {
    // An image starts with the MS-DOS stub, whose e_lfanew at 0x3c points at the
    // signature "PE\0\0"; the COFF file header follows it. An object file starts
    // with the COFF file header.
    let (format, header_at) = if file.bytes.starts_with(b"MZ") {
        let signature = u64::from(file.u32(0x3c)?);
        let magic = file.table("PE signature", signature, 4, 1)?;
        if magic.bytes != b"PE\0\0" {
            return Err(Error::invalid("PE signature", signature, magic.u32(0)?, "\"PE\\0\\0\""));
        }
        (Format::Pe, signature.saturating_add(4)) // signature + 4 is within the file
    } else {
        (Format::Coff, 0)
    };
    let header = file.fixed::<20>("COFF file header", header_at)?;
    let (arch, object_bits) = Arch::from_coff(header.u16(0));
    let (count, optional_size) = (header.u16(2), header.u16(16));
    let optional_at = header_at.saturating_add(20);
    // PE32 and PE32+ are told apart by the optional header's magic.
    let bits = match format {
        Format::Pe => match file.table("PE optional header", optional_at, 2, 1)?.u16(0)? {
            0x10b => 32,
            0x20b => 64,
            v => return Err(Error::invalid("PE optional header magic", optional_at, v, "0x10b or 0x20b")),
        },
        _ => object_bits,
    };
    let image = Image { format, arch, bits, endian: Endian::Little };
    let table_at = optional_at.saturating_add(u64::from(optional_size));
    let table = file.table("COFF section table", table_at, 40, u64::from(count))?;
    let mut found = None;
    for header in table.matching("COFF section header", 40, |header| header.first_chunk::<8>() == Some(name)) {
        let header = header.fixed::<40>("COFF section header", 0)?;
        // In an image, raw data is padded to FileAlignment; VirtualSize is the real length.
        let (virtual_size, raw_size) = (header.u32(8), header.u32(16));
        let size = if format == Format::Pe && virtual_size != 0 { virtual_size.min(raw_size) } else { raw_size };
        let bss = format == Format::Coff && header.u32(36) & UNINITIALIZED != 0;
        let size = if bss { 0 } else { u64::from(size) };
        found = unique(found, FileRange { offset: u64::from(header.u32(20)), size })?;
    }
    Ok(Lookup { image, section: found })
}
