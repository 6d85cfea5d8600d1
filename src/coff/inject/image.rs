//! What the injector reads of a PE image: the fixed headers as the navigator
//! reads them ([`header::parse`]), then the optional header fields it obeys
//! or changes, the data directories and the section table.

use crate::coff::header::{self, Header};
use crate::coff::layout::{data_directory, optional_header, section_header};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::{Error, Format};

/// A PE image's headers, read for injection. Offsets are absolute.
pub(super) struct PeImage<'a> {
    pub file: Data<'a>,
    pub header: Header,
    /// The optional header: SizeOfOptionalHeader bytes.
    optional: Data<'a>,
    pub section_alignment: u64,
    pub file_alignment: u64,
    pub size_of_image: u64,
    pub size_of_headers: u64,
    pub size_of_initialized_data: u64,
    /// How many data directories there are: those NumberOfRvaAndSizes counts
    /// that lie inside the optional header.
    pub directories: u64,
    pub sections: Vec<Section>,
    /// Where the section table ends: a new section header would go here.
    pub table_end: u64,
}

/// One section header, as read.
pub(super) struct Section {
    /// Where the 40-byte header is.
    pub at: u64,
    pub name: [u8; section_header::NAME_LEN],
    pub virtual_size: u64,
    pub virtual_address: u64,
    pub raw_size: u64,
    pub raw_pointer: u64,
}

impl Section {
    /// Where the section's memory ends: VirtualSize counts, or SizeOfRawData if it is 0.
    pub fn memory_end(&self) -> u64 {
        let size = if self.virtual_size == 0 { self.raw_size } else { self.virtual_size };
        self.virtual_address.saturating_add(size)
    }
}

impl<'a> PeImage<'a> {
    pub fn read(file: Data<'a>) -> Result<PeImage<'a>, InjectError> {
        let header = header::parse(file)?;
        if header.format != Format::Pe {
            let reason = "this is a COFF object (.obj), not a PE image; inject into the linked DLL instead";
            return Err(InjectError::refused("COFF file header", 0, reason));
        }
        // The section table follows the optional header, SizeOfOptionalHeader bytes long.
        let optional_at = header.optional_header_at();
        let optional_size = header.section_table_at.saturating_sub(optional_at);
        let optional = file.table("PE optional header", optional_at, optional_size, 1)?;
        // `parse` read the magic wherever it was; the fields used here must lie
        // inside the optional header that SizeOfOptionalHeader declares.
        optional.table("PE optional header", optional_header::MAGIC, optional_header::MAGIC_SIZE, 1)?;
        let field = |offset| optional.u32(offset).map(u64::from);
        let section_alignment = power_of_two(&optional, "PE SectionAlignment", optional_header::SECTION_ALIGNMENT)?;
        let file_alignment = power_of_two(&optional, "PE FileAlignment", optional_header::FILE_ALIGNMENT)?;
        let size_of_image = field(optional_header::SIZE_OF_IMAGE)?;
        let size_of_headers = field(optional_header::SIZE_OF_HEADERS)?;
        // A 64-bit image has the PE32+ optional header.
        let pe32_plus = header.bits == 64;
        let listed = field(optional_header::number_of_rva_and_sizes(pe32_plus))?;
        let room = optional_size.saturating_sub(optional_header::data_directories(pe32_plus)) / data_directory::SIZE;
        let size_of_initialized_data = field(optional_header::SIZE_OF_INITIALIZED_DATA)?;

        let table = header.section_table(file)?;
        let sections =
            table.entries("COFF section header", section_header::SIZE).map(section).collect::<Result<_, _>>()?;
        Ok(PeImage {
            file,
            header,
            optional,
            section_alignment,
            file_alignment,
            size_of_image,
            size_of_headers,
            size_of_initialized_data,
            directories: listed.min(room),
            sections,
            table_end: table.base.saturating_add(table.len()),
        })
    }

    /// Whether the optional header is PE32+ (a 64-bit image).
    pub fn pe32_plus(&self) -> bool {
        self.header.bits == 64
    }

    /// The absolute offset of the optional header field at `offset`.
    pub fn optional_field_at(&self, offset: u64) -> u64 {
        self.optional.base.saturating_add(offset)
    }

    /// Where data directory entry `index` is, relative to the optional header.
    fn directory_offset(&self, index: u64) -> u64 {
        let first = optional_header::data_directories(self.pe32_plus());
        first.saturating_add(index.saturating_mul(data_directory::SIZE))
    }

    /// The absolute offset of data directory entry `index`.
    pub fn directory_at(&self, index: u64) -> u64 {
        self.optional_field_at(self.directory_offset(index))
    }

    /// Data directory entry `index`: its address and size.
    pub fn directory(&self, index: u64) -> Result<(u64, u64), Error> {
        let at = self.directory_offset(index);
        let address = self.optional.u32(at.saturating_add(data_directory::VIRTUAL_ADDRESS))?;
        let size = self.optional.u32(at.saturating_add(data_directory::LENGTH))?;
        Ok((u64::from(address), u64::from(size)))
    }
}

/// The section header `sh`.
fn section(sh: Data<'_>) -> Result<Section, Error> {
    let fields = sh.fixed::<{ section_header::LEN }>("COFF section header", 0)?;
    Ok(Section {
        at: sh.base,
        name: fields.bytes.first_chunk().copied().unwrap_or_default(),
        virtual_size: u64::from(fields.u32(section_header::VIRTUAL_SIZE)),
        virtual_address: u64::from(fields.u32(section_header::VIRTUAL_ADDRESS)),
        raw_size: u64::from(fields.u32(section_header::SIZE_OF_RAW_DATA)),
        raw_pointer: u64::from(fields.u32(section_header::POINTER_TO_RAW_DATA)),
    })
}

/// The `u32` field `what` at `offset` of the optional header, which must be a power of two.
fn power_of_two(optional: &Data<'_>, what: &'static str, offset: u64) -> Result<u64, Error> {
    let value = u64::from(optional.u32(offset)?);
    if value.is_power_of_two() {
        Ok(value)
    } else {
        Err(Error::invalid(what, optional.base.saturating_add(offset), value, "a power of two"))
    }
}
