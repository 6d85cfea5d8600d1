//! The fixed headers of a PE image or COFF object, read in one place for the
//! navigator, `identify`, the section walk and the injector: (MS-DOS stub →
//! `e_lfanew` → `PE\0\0` →) COFF file header → optional header `Magic` →
//! where the section table is.

use super::layout::{
    file_header, optional_header, section_header, DOS_MAGIC, E_LFANEW, IMAGE_NT_OPTIONAL_HDR32_MAGIC,
    IMAGE_NT_OPTIONAL_HDR64_MAGIC, PE_SIGNATURE,
};
use crate::read::Data;
use crate::{Arch, Endian, Error, Format, Image};

/// What [`parse`] read. Offsets are relative to the view it was given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    /// A PE image or a COFF object.
    pub format: Format,
    /// The file header's `Machine`.
    pub machine: u16,
    /// 32 or 64: an image is PE32 or PE32+ by its optional header's magic;
    /// an object, which has no optional header, is as wide as its machine.
    pub bits: u8,
    /// Where the COFF file header is: after the PE signature in an image, at
    /// 0 in an object.
    pub file_header_at: u64,
    /// Where the section table is: after the optional header, whose size the
    /// file header gives (0 in an object).
    pub section_table_at: u64,
    /// How many section headers the table has.
    pub number_of_sections: u16,
}

/// Reads the headers up to the optional header's `Magic`; the section table
/// is not touched, so a broken one does not hide what the file is.
#[inline(always)]
pub(crate) fn parse(image: Data<'_>) -> Result<Header, Error> {
    // Every PE/COFF field is little-endian.
    let image = image.with_endian(Endian::Little);
    let (format, file_header_at) = if image.bytes.starts_with(&DOS_MAGIC) {
        let signature = u64::from(image.u32(E_LFANEW)?);
        let magic = image.table("PE signature", signature, PE_SIGNATURE.len() as u64, 1)?;
        if magic.bytes != PE_SIGNATURE {
            return Err(Error::invalid("PE signature", signature, magic.u32(0)?, "\"PE\\0\\0\""));
        }
        // Within the file: the signature was just read.
        (Format::Pe, signature.saturating_add(PE_SIGNATURE.len() as u64))
    } else {
        (Format::Coff, 0)
    };
    let fields = image.fixed::<{ file_header::LEN }>("COFF file header", file_header_at)?;
    let machine = fields.u16(file_header::MACHINE);
    let number_of_sections = fields.u16(file_header::NUMBER_OF_SECTIONS);
    let optional_size = fields.u16(file_header::SIZE_OF_OPTIONAL_HEADER);
    // Within the file: the file header was just read.
    let optional_header_at = file_header_at.saturating_add(file_header::SIZE);
    // PE32 and PE32+ are told apart by the optional header's first field,
    // `Magic`; an object has no optional header, and its machine tells.
    let bits = match format {
        Format::Pe => {
            let magic = image.table("PE optional header", optional_header_at, optional_header::MAGIC_SIZE, 1)?;
            match magic.u16(optional_header::MAGIC)? {
                IMAGE_NT_OPTIONAL_HDR32_MAGIC => 32,
                IMAGE_NT_OPTIONAL_HDR64_MAGIC => 64,
                v => return Err(Error::invalid("PE optional header magic", optional_header_at, v, "0x10b or 0x20b")),
            }
        }
        _ => Arch::from_coff(machine).1,
    };
    let section_table_at = optional_header_at.saturating_add(u64::from(optional_size));
    Ok(Header { format, machine, bits, file_header_at, section_table_at, number_of_sections })
}

impl Header {
    /// What the file is.
    #[inline(always)]
    pub(crate) fn image(&self) -> Image {
        let (arch, _) = Arch::from_coff(self.machine);
        Image { format: self.format, arch, bits: self.bits, endian: Endian::Little }
    }

    /// Where the optional header is (in an object, the section table).
    #[cfg(feature = "std")]
    pub(crate) fn optional_header_at(&self) -> u64 {
        self.file_header_at.saturating_add(file_header::SIZE) // within the file: the file header was read
    }

    /// The section table, checked to lie in `image` (the view [`parse`] read).
    #[inline(always)]
    pub(crate) fn section_table<'a>(&self, image: Data<'a>) -> Result<Data<'a>, Error> {
        let (image, count) = (image.with_endian(Endian::Little), u64::from(self.number_of_sections));
        image.table("COFF section table", self.section_table_at, section_header::SIZE, count)
    }
}
