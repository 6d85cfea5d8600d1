//! The one place that parses an ELF file's headers: the identification and
//! the ELF header ([`Header::parse`]), the section header table they locate
//! ([`Header::section_table`]) and, for the injector, the program header
//! table. The navigator, `identify`, the section walk and the injector all
//! read through it (gABI, "ELF Header", "Sections", "Extended Section
//! Numbering").
//!
//! These sit on the lookup's hot path: everything is `#[inline(always)]`, so
//! that each caller keeps only the reads it uses.

use super::layout::{
    Class, EI_CLASS, EI_DATA, EI_NIDENT, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, SECTION_HEADER_HEAD,
    SHN_XINDEX, SHT_NOBITS,
};
#[cfg(feature = "std")]
use super::layout::{PN_XNUM, SHN_UNDEF};
use crate::error::unique;
use crate::read::{first_u32, Data};
use crate::read::{Source, Whole};
use crate::{Arch, Endian, Error, FileRange, Format, Image};

/// An ELF file's identity and its ELF header, read once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a, S = Whole> {
    /// What the image is, from `e_ident` and `e_machine`.
    pub image: Image,
    /// ELFCLASS64. (A bool, not a `&Class`: each use selects between two
    /// constants, which folds, where a pointer kept in a struct is loaded.)
    pub wide: bool,
    /// The whole image, read in its byte order.
    pub file: Data<'a, S>,
    /// The ELF header (`Elf32_Ehdr` / `Elf64_Ehdr`), checked to lie in the file.
    pub fields: Data<'a>,
}

/// The section header table, with the count and the name table's index that
/// "Extended Section Numbering" moves into section 0 resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SectionTable<'a, S = Whole> {
    /// `count` headers of `entsize` bytes at `e_shoff`, checked to lie in the file.
    pub headers: Data<'a>,
    /// `e_shentsize`, at least the class's header size.
    pub entsize: u64,
    pub count: u64,
    /// The section name table's index: `e_shstrndx`, or section 0's
    /// `sh_link` when that is `SHN_XINDEX`.
    pub names_index: u64,
    /// ELFCLASS64.
    pub wide: bool,
    file: Data<'a, S>,
}

/// What the readers take from one section header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SectionFields {
    pub sh_name: u32,
    pub sh_type: u32,
    pub sh_flags: u64,
    /// `sh_offset` and `sh_size`, the size 0 for `SHT_NOBITS`: such a
    /// section occupies no file bytes and its `sh_offset` is nominal.
    pub range: FileRange,
}

impl<'a, S: Source<'a>> Header<'a, S> {
    /// Reads `e_ident` and the ELF header of `image`; nothing past them.
    #[inline(always)]
    pub(crate) fn parse(image: Data<'a, S>) -> Result<Header<'a, S>, Error> {
        let ident = image.table("ELF identification", 0, EI_NIDENT, 1)?;
        let wide = match ident.u8(EI_CLASS)? {
            ELFCLASS32 => false,
            ELFCLASS64 => true,
            v => return Err(Error::invalid("ELF EI_CLASS", EI_CLASS, v, "1 (32-bit) or 2 (64-bit)")),
        };
        let endian = match ident.u8(EI_DATA)? {
            ELFDATA2LSB => Endian::Little,
            ELFDATA2MSB => Endian::Big,
            v => return Err(Error::invalid("ELF EI_DATA", EI_DATA, v, "1 (little) or 2 (big endian)")),
        };
        let file = image.with_endian(endian);
        let class = Class::of(wide);
        let fields = file.table("ELF header", 0, class.file.size, 1)?;
        let arch = Arch::from_elf(fields.u16(class.file.e_machine)?, wide);
        let image = Image { format: Format::Elf, arch, bits: class.bits, endian };
        Ok(Header { image, wide, file, fields })
    }

    /// The layouts of the file's class.
    #[inline(always)]
    pub(crate) fn class(&self) -> &'static Class {
        Class::of(self.wide)
    }

    /// The section header table, or `None` if `e_shoff` is 0 (the file has
    /// none). Its bounds are checked here, before any entry is read.
    #[inline(always)]
    pub(crate) fn section_table(&self) -> Result<Option<SectionTable<'a, S>>, Error> {
        let (class, wide) = (self.class(), self.wide);
        let at = &class.file;
        let shoff = self.fields.word(at.e_shoff, wide)?;
        let entsize = u64::from(self.fields.u16(at.e_shentsize)?);
        let (shnum, shstrndx) = (self.fields.u16(at.e_shnum)?, self.fields.u16(at.e_shstrndx)?);
        if shoff == 0 {
            return Ok(None);
        }
        if entsize < class.section.size {
            return Err(Error::invalid(
                "ELF e_shentsize",
                at.e_shentsize,
                entsize,
                "at least 40 (32-bit) or 64 (64-bit)",
            ));
        }
        // Counts that overflow 16 bits live in section 0: e_shnum 0 means
        // its sh_size holds the count, e_shstrndx SHN_XINDEX its sh_link the index.
        let zero = self.file.table("ELF section header 0", shoff, entsize, 1)?;
        let count = if shnum == 0 { zero.word(class.section.sh_size, wide)? } else { u64::from(shnum) };
        let names_index =
            if shstrndx == SHN_XINDEX { u64::from(zero.u32(class.section.sh_link)?) } else { u64::from(shstrndx) };
        let headers = self.file.table("ELF section header table", shoff, entsize, count)?;
        Ok(Some(SectionTable { headers, entsize, count, names_index, wide, file: self.file }))
    }
}

impl<'a, S: Source<'a>> SectionTable<'a, S> {
    /// An empty table for a file without one, whose name table index is
    /// `e_shstrndx` as the header gives it (nonzero only in a broken file,
    /// which then fails when the name table is read).
    #[cfg(feature = "std")]
    pub(crate) fn empty(header: &Header<'a, S>) -> Result<SectionTable<'a, S>, Error> {
        let (class, wide, file) = (header.class(), header.wide, header.file);
        let names_index = u64::from(header.fields.u16(class.file.e_shstrndx)?);
        let headers = file.table("ELF section header table", 0, class.section.size, 0)?;
        Ok(SectionTable { headers, entsize: class.section.size, count: 0, names_index, wide, file })
    }

    /// The layouts of the file's class.
    #[inline(always)]
    pub(crate) fn class(&self) -> &'static Class {
        Class::of(self.wide)
    }

    /// Section `index`'s header, as a view named `what`.
    #[inline(always)]
    pub(crate) fn header(&self, what: &'static str, index: u64) -> Result<Data<'a>, Error> {
        self.headers.entry(what, index, self.entsize)
    }

    /// The fields of the section header `sh` (an entry of this table).
    #[inline(always)]
    pub(crate) fn fields(&self, sh: Data<'_>) -> Result<SectionFields, Error> {
        let (at, wide) = (&self.class().section, self.wide);
        let sh = sh.fixed::<SECTION_HEADER_HEAD>("ELF section header", 0)?;
        let sh_type = sh.u32(at.sh_type);
        let size = if sh_type == SHT_NOBITS { 0 } else { sh.word(at.sh_size, wide) };
        let range = FileRange { offset: sh.word(at.sh_offset, wide), size };
        Ok(SectionFields { sh_name: sh.u32(at.sh_name), sh_type, sh_flags: sh.word(at.sh_flags, wide), range })
    }

    /// The section name table's bytes: the data of section `names_index`.
    #[inline(always)]
    pub(crate) fn names(&self) -> Result<Data<'a>, Error> {
        let range = self.fields(self.header("ELF section name table header", self.names_index)?)?.range;
        self.file.table("ELF section name table", range.offset, range.size, 1)
    }

    /// The file range of the one section whose name in `names` is `name`;
    /// two such sections are [`Error::Ambiguous`].
    #[inline(always)]
    pub(crate) fn find(&self, names: Data<'_>, name: &[u8]) -> Result<Option<FileRange>, Error> {
        Ok(self.find_with(names, name, |_| ())?.map(|(range, ())| range))
    }

    /// [`find`](Self::find), with the section's index.
    #[cfg(feature = "std")]
    pub(crate) fn find_indexed(&self, names: Data<'_>, name: &[u8]) -> Result<Option<(u64, FileRange)>, Error> {
        let index = |sh: Data<'_>| sh.base.saturating_sub(self.headers.base).checked_div(self.entsize).unwrap_or(0);
        Ok(self.find_with(names, name, index)?.map(|(range, index)| (index, range)))
    }

    /// The search under both: `also` reads what else a caller needs from the
    /// match's header, so that the lookup, which needs nothing, tracks nothing.
    #[inline(always)]
    fn find_with<T>(
        &self,
        names: Data<'_>,
        name: &[u8],
        also: impl Fn(Data<'_>) -> T,
    ) -> Result<Option<(FileRange, T)>, Error> {
        let (mut found, mut extra, endian) = (None, None, self.headers.endian);
        // The test sees only the raw entry, whose first field is sh_name.
        let named = |sh: &[u8]| first_u32(sh, endian).is_some_and(|at| names.cstr_is(u64::from(at), name));
        for sh in self.headers.matching("ELF section header", self.entsize, named) {
            found = unique(found, self.fields(sh)?.range)?;
            extra = Some(also(sh));
        }
        Ok(found.zip(extra))
    }
}

#[cfg(feature = "std")]
impl<'a> Header<'a> {
    /// The program header table (gABI chapter 5, "Program Header") and its
    /// `e_phentsize`, or `None` if the file has none. An `e_phnum` of
    /// `PN_XNUM` means the count is section 0's `sh_info`.
    pub(crate) fn program_table(&self, sections: &SectionTable<'a>) -> Result<Option<(Data<'a>, u64)>, Error> {
        let class = self.class();
        let at = &class.file;
        let phoff = self.fields.word(at.e_phoff, self.wide)?;
        let entsize = u64::from(self.fields.u16(at.e_phentsize)?);
        let count = match self.fields.u16(at.e_phnum)? {
            PN_XNUM => u64::from(sections.header("ELF section header 0", SHN_UNDEF)?.u32(class.section.sh_info)?),
            n => u64::from(n),
        };
        if phoff == 0 || count == 0 {
            return Ok(None);
        }
        Ok(Some((self.file.table("ELF program header table", phoff, entsize, count)?, entsize)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{find_section, identify};
    use super::*;

    fn file(bytes: &[u8]) -> Data<'_> {
        Data::new(bytes, 0, "the file")
    }

    #[test]
    fn identify_reads_only_the_fixed_header() {
        // corpus/expected.json: aarch64-linux-musl.so cut inside its section header table.
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/malformed/truncated-shdr.so")).unwrap();
        let aarch64 = Image { format: Format::Elf, arch: Arch::Aarch64, bits: 64, endian: Endian::Little };
        assert_eq!(identify(file(&bytes)).unwrap(), aarch64);
        assert!(matches!(find_section(file(&bytes), b".jlji"), Err(Error::Truncated { .. })));
        // Without its last byte, the 64-byte ELF header itself is short.
        let err = identify(file(&bytes[..63])).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF header", size: 64, .. }), "{err}");
        let mut bad = bytes.clone();
        bad[5] = 3;
        let err = identify(file(&bad)).unwrap_err();
        assert_eq!(err, Error::invalid("ELF EI_DATA", 5, 3u8, "1 (little) or 2 (big endian)"));
    }

    #[test]
    fn section_table_resolves_what_section_0_holds() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/elf/x86-linux-musl.so")).unwrap();
        let header = Header::parse(file(&bytes)).unwrap();
        let table = header.section_table().unwrap().unwrap();
        assert_eq!(header.image.bits, 32);
        assert_eq!(table.entsize, header.class().section.size);
        assert_eq!(table.headers.len(), table.count * table.entsize);
        let names = table.names().unwrap();
        let (index, range) = table.find_indexed(names, b".jlji").unwrap().unwrap();
        assert_eq!(table.find(names, b".jlji").unwrap(), Some(range));
        let fields = table.fields(table.header("ELF section header", index).unwrap()).unwrap();
        assert_eq!((fields.range, fields.sh_flags), (range, 0));
        assert_eq!(names.bytes.get(fields.sh_name as usize..).unwrap().get(..6), Some(&b".jlji\0"[..]));
    }
}
