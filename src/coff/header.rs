//! The fixed headers of a PE image or COFF object, read in one place for the
//! navigator, `identify`, the section walk and the injector: (MS-DOS stub →
//! `e_lfanew` → `PE\0\0` →) COFF file header → optional header `Magic` →
//! where the section table is. For the dependency walk and the export
//! lookup, also the data directories, `ImageBase`, and where an RVA's bytes
//! are in the file.

use super::layout::{
    data_directory, file_header, optional_header, section_header, DOS_MAGIC, E_LFANEW, IMAGE_NT_OPTIONAL_HDR32_MAGIC,
    IMAGE_NT_OPTIONAL_HDR64_MAGIC, PE_SIGNATURE,
};
use crate::read::Source;
use crate::read::{Data, Fixed};
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
pub(crate) fn parse<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Header, Error> {
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
    pub(crate) fn section_table<'a, S: Source<'a>>(&self, image: Data<'a, S>) -> Result<Data<'a>, Error> {
        let (image, count) = (image.with_endian(Endian::Little), u64::from(self.number_of_sections));
        image.table("COFF section table", self.section_table_at, section_header::SIZE, count)
    }
}

/// A data directory entry that is present: its table's RVA and size, and
/// where the entry itself is (absolute), for errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Directory {
    pub rva: u32,
    pub size: u32,
    pub at: u64,
}

/// The section holding a data directory's table, or the names it points
/// at. Import tables and names are read in two sections at most, as the
/// `object` crate reads them (see [`Header::import_sections`]): so each RVA
/// costs a comparison, not a walk of the section table, and a walk of many
/// entries costs time linear in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DirectorySection<'a> {
    pub bytes: Data<'a>,
    /// The section's `VirtualAddress`.
    pub start: u32,
    /// What an RVA outside it is expected to be, for the error.
    pub expected: &'static str,
}

impl<'a> DirectorySection<'a> {
    /// The bytes from `rva` to the end of the section; an error naming
    /// `what` and `field` (where the RVA was read) if the section's file
    /// bytes do not hold `rva`.
    pub(crate) fn at(&self, what: &'static str, rva: u32, field: u64) -> Result<Data<'a>, Error> {
        let len = self.bytes.len();
        match rva.checked_sub(self.start).map(u64::from) {
            Some(delta) if delta < len => self.bytes.table(self.bytes.what, delta, 1, len.saturating_sub(delta)),
            _ => Err(Error::invalid(what, field, rva, self.expected)),
        }
    }
}

impl Directory {
    /// Whether `rva` lies inside the directory's table (an export RVA there
    /// is a forwarder).
    pub(crate) fn contains(&self, rva: u32) -> bool {
        rva.checked_sub(self.rva).is_some_and(|delta| delta < self.size)
    }
}

impl Header {
    /// The optional header: `SizeOfOptionalHeader` bytes, checked to lie in `image`.
    fn optional_header<'a, S: Source<'a>>(&self, image: Data<'a, S>) -> Result<Data<'a>, Error> {
        let at = self.file_header_at.saturating_add(file_header::SIZE); // within the file: the file header was read
        let size = self.section_table_at.saturating_sub(at);
        image.with_endian(Endian::Little).table("PE optional header", at, size, 1)
    }

    /// Data directory `index` of an image, or `None` if the image has no
    /// such entry (`NumberOfRvaAndSizes` does not count it, or it lies past
    /// `SizeOfOptionalHeader`) or its RVA is 0; always `None` for an object.
    pub(crate) fn directory<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        index: u64,
    ) -> Result<Option<Directory>, Error> {
        if self.format != Format::Pe {
            return Ok(None);
        }
        let optional = self.optional_header(image)?;
        let pe32_plus = self.bits == 64;
        let listed = optional.u32(optional_header::number_of_rva_and_sizes(pe32_plus))?;
        let entry = index
            .checked_mul(data_directory::SIZE)
            .and_then(|at| at.checked_add(optional_header::data_directories(pe32_plus)));
        let Some(at) = entry.filter(|_| index < u64::from(listed)) else { return Ok(None) };
        let Ok(entry) = optional.fixed::<{ data_directory::LEN }>("PE data directory", at) else {
            return Ok(None);
        };
        let (rva, size) = (entry.u32(data_directory::VIRTUAL_ADDRESS), entry.u32(data_directory::LENGTH));
        Ok((rva != 0).then_some(Directory { rva, size, at: optional.base.saturating_add(at) }))
    }

    /// `ImageBase`, the address the image prefers; 0 for an object.
    pub(crate) fn image_base<'a, S: Source<'a>>(&self, image: Data<'a, S>) -> Result<u64, Error> {
        if self.format != Format::Pe {
            return Ok(0);
        }
        let pe32_plus = self.bits == 64;
        self.optional_header(image)?.word(optional_header::image_base(pe32_plus), pe32_plus)
    }

    /// The file bytes of the section whose file bytes (the navigator's rule,
    /// [`super::data_range`]) hold `rva`, and its `VirtualAddress`; `None` if
    /// no section's do. The first such section in table order counts; RVAs
    /// inside the headers are not resolved.
    pub(crate) fn section_at<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        rva: u32,
    ) -> Result<Option<(Data<'a>, u32)>, Error> {
        let Some((range, virtual_address)) = self.section_range_at(image, rva)? else { return Ok(None) };
        let bytes = image.with_endian(Endian::Little).table("PE section data", range.offset, range.size, 1)?;
        Ok(Some((Data { what: "its section", ..bytes }, virtual_address)))
    }

    /// [`Self::section_at`]'s section, where its file bytes are and its
    /// `VirtualAddress`, without reading them: for a walk of a partly read
    /// file that needs a few of its bytes.
    pub(crate) fn section_range_at<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        rva: u32,
    ) -> Result<Option<(crate::FileRange, u32)>, Error> {
        let mut headers = self.section_table(image)?.bytes;
        while let Some((sh, rest)) = headers.split_first_chunk::<{ section_header::LEN }>() {
            headers = rest;
            let sh = Fixed { bytes: sh, endian: Endian::Little };
            let virtual_address = sh.u32(section_header::VIRTUAL_ADDRESS);
            let range = super::data_range(&sh, self.format);
            if rva.checked_sub(virtual_address).is_some_and(|delta| u64::from(delta) < range.size) {
                return Ok(Some((range, virtual_address)));
            }
        }
        Ok(None)
    }

    /// The section holding `directory`'s table; an error naming `what` if
    /// no section's file bytes hold it.
    pub(crate) fn directory_section<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        what: &'static str,
        directory: &Directory,
    ) -> Result<DirectorySection<'a>, Error> {
        match self.section_at(image, directory.rva)? {
            Some((bytes, start)) => {
                Ok(DirectorySection { bytes, start, expected: "an RVA inside the section of its directory" })
            }
            None => Err(Error::invalid(what, directory.at, directory.rva, "an RVA inside a section's file bytes")),
        }
    }

    /// The sections an import or delay-load directory's walk reads, as the
    /// `object` crate reads them: the directory's own, for its descriptors
    /// and lookup tables, and for a delay-load directory's names too
    /// (`DelayLoadImportTable`); for an import directory's names, the
    /// section holding the first descriptor's name (at `name_field` in a
    /// descriptor: `ImportTable::from_sections`, since old linkers put names
    /// apart), or the same section if that name is in none. Every linker
    /// today puts all of it in one section (`.idata`, or `.rdata` for
    /// lld-link).
    pub(crate) fn import_sections<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        what: &'static str,
        directory: &Directory,
        name_field: Option<u64>,
    ) -> Result<[DirectorySection<'a>; 2], Error> {
        let tables = self.directory_section(image, what, directory)?;
        let Some(name_field) = name_field else { return Ok([tables, tables]) };
        // Errors here are the walk's to report, when it reads the descriptor.
        let first_name = tables.at(what, directory.rva, directory.at).and_then(|d| d.u32(name_field));
        let names = match first_name.map(|rva| self.section_at(image, rva)) {
            Ok(Ok(Some((bytes, start)))) if start != tables.start => {
                DirectorySection { bytes, start, expected: "an RVA inside the section of the directory's first name" }
            }
            _ => tables,
        };
        Ok([tables, names])
    }

    /// The file bytes from `rva` to the end of its section's ([`Self::section_at`]);
    /// an error naming `what` and `field` (where the RVA was read) if no
    /// section's file bytes hold it.
    pub(crate) fn at_rva<'a, S: Source<'a>>(
        &self,
        image: Data<'a, S>,
        what: &'static str,
        rva: u32,
        field: u64,
    ) -> Result<Data<'a>, Error> {
        let Some((section, start)) = self.section_at(image, rva)? else {
            return Err(Error::invalid(what, field, rva, "an RVA inside a section's file bytes"));
        };
        // Cannot underflow: the section holds the RVA, `delta` bytes into its file bytes.
        let delta = u64::from(rva.saturating_sub(start));
        section.table(section.what, delta, 1, section.len().saturating_sub(delta))
    }
}
