//! The program header table (gABI chapter 5, "Program Header") as the
//! dependency walk and the symbol lookup read it: finding `PT_DYNAMIC`, and
//! turning a virtual address into file bytes through the `PT_LOAD` segment
//! that maps it. Allocation-free, like the navigator; the table's bounds
//! are checked before any entry is read.

use super::header::Header;
use super::layout::{PN_XNUM, PT_LOAD, SHN_UNDEF};
use crate::error::unique;
use crate::read::{first_u32, Data, Source};
use crate::{Error, FileRange};

/// The program header table of an image. Not generic over the image's
/// [`Source`]: the table is a sub-view, which holds all of its bytes even
/// when the image is read in parts (`path::dependencies_of`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segments<'a> {
    /// The headers, `entsize` bytes each, checked to lie in the file.
    headers: Data<'a>,
    /// `e_phentsize`, at least the class's header size.
    entsize: u64,
    wide: bool,
}

/// What the readers take from one program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    /// The absolute file offset of the program header itself, for errors.
    pub at: u64,
}

impl<'a, S: Source<'a>> Header<'a, S> {
    /// The program header table, or `None` if the file has none (`e_phoff`
    /// or the count is 0). An `e_phnum` of `PN_XNUM` means the count is
    /// section 0's `sh_info` (gABI, "Extended Section Numbering").
    pub(crate) fn segments(&self) -> Result<Option<Segments<'a>>, Error> {
        let (class, wide) = (self.class(), self.wide);
        let (at, base) = (&class.file, self.fields.base);
        let phoff = self.fields.word(at.e_phoff, wide)?;
        let entsize = u64::from(self.fields.u16(at.e_phentsize)?);
        let count = match self.fields.u16(at.e_phnum)? {
            PN_XNUM => match self.section_table()? {
                Some(table) => u64::from(table.header("ELF section header 0", SHN_UNDEF)?.u32(class.section.sh_info)?),
                None => {
                    let offset = base.saturating_add(at.e_phnum);
                    return Err(Error::invalid("ELF e_phnum", offset, PN_XNUM, "a count (PN_XNUM needs section 0)"));
                }
            },
            n => u64::from(n),
        };
        if phoff == 0 || count == 0 {
            return Ok(None);
        }
        if entsize < class.program.size {
            let expected = "at least 32 (32-bit) or 56 (64-bit)";
            return Err(Error::invalid("ELF e_phentsize", base.saturating_add(at.e_phentsize), entsize, expected));
        }
        let headers = self.file.table("ELF program header table", phoff, entsize, count)?;
        Ok(Some(Segments { headers, entsize, wide }))
    }
}

impl<'a> Segments<'a> {
    /// The fields of the program header `ph` (an entry of this table).
    fn fields(&self, ph: Data<'_>) -> Result<Segment, Error> {
        let (at, wide) = (&super::layout::Class::of(self.wide).program, self.wide);
        Ok(Segment {
            p_offset: ph.word(at.p_offset, wide)?,
            p_vaddr: ph.word(at.p_vaddr, wide)?,
            p_filesz: ph.word(at.p_filesz, wide)?,
            p_memsz: ph.word(at.p_memsz, wide)?,
            at: ph.base,
        })
    }

    /// The segments of type `p_type`, in table order.
    fn of_type(&self, p_type: u32) -> impl Iterator<Item = Data<'a>> + 'a {
        let endian = self.headers.endian;
        self.headers.matching("ELF program header", self.entsize, move |ph| first_u32(ph, endian) == Some(p_type))
    }

    /// The one segment of type `p_type`; two are [`Error::Ambiguous`]
    /// (naming their `p_offset`s), as two containers are.
    pub(crate) fn unique(&self, p_type: u32) -> Result<Option<Segment>, Error> {
        let (mut found, mut segment) = (None, None);
        for ph in self.of_type(p_type) {
            let fields = self.fields(ph)?;
            found = unique(found, FileRange { offset: fields.p_offset, size: fields.p_filesz })?;
            segment = Some(fields);
        }
        Ok(segment)
    }

    /// The first `PT_LOAD` segment whose memory (`p_memsz`) holds `vaddr`.
    pub(crate) fn load_holding(&self, vaddr: u64) -> Result<Option<Segment>, Error> {
        for ph in self.of_type(PT_LOAD) {
            let load = self.fields(ph)?;
            if vaddr.checked_sub(load.p_vaddr).is_some_and(|delta| delta < load.p_memsz) {
                return Ok(Some(load));
            }
        }
        Ok(None)
    }

    /// The file bytes of `size` bytes at `vaddr`, which must lie in the file
    /// bytes (`p_filesz`) of one `PT_LOAD` segment. Otherwise an
    /// [`Error::Invalid`] naming `what` (the field that gave the address) at
    /// `at` (its absolute offset).
    pub(crate) fn map(&self, what: &'static str, at: u64, vaddr: u64, size: u64) -> Result<FileRange, Error> {
        let inside = |load: &Segment| {
            let delta = vaddr.checked_sub(load.p_vaddr)?;
            let end = delta.checked_add(size)?;
            // An empty range may sit at the end of the file bytes, nothing else.
            (end <= load.p_filesz && (delta < load.p_filesz || size == 0)).then_some(delta)
        };
        for ph in self.of_type(PT_LOAD) {
            let load = self.fields(ph)?;
            if let Some(delta) = inside(&load) {
                let offset = load.p_offset.checked_add(delta);
                let offset = offset.ok_or(Error::Overflow { what, offset: at, size: load.p_offset, count: 1 })?;
                return Ok(FileRange { offset, size });
            }
        }
        Err(Error::invalid(what, at, vaddr, "an address inside the file bytes of a PT_LOAD segment"))
    }

    /// The file bytes from `vaddr` to the end of the file bytes of the
    /// `PT_LOAD` segment that maps it (for tables whose length is found by
    /// reading them, as the GNU hash table's chains).
    pub(crate) fn map_rest(&self, what: &'static str, at: u64, vaddr: u64) -> Result<FileRange, Error> {
        let load = self.load_holding(vaddr)?;
        let rest = load.and_then(|load| load.p_filesz.checked_sub(vaddr.checked_sub(load.p_vaddr)?));
        match rest {
            Some(rest) => self.map(what, at, vaddr, rest),
            None => Err(Error::invalid(what, at, vaddr, "an address inside the file bytes of a PT_LOAD segment")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::super::layout::{ELF64, PT_DYNAMIC};
    use super::*;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    #[test]
    fn dynamic_segment_and_mapping_match_object() {
        use object::read::elf::{FileHeader as _, ProgramHeader as _};
        let bytes = read("corpus/elf/x86_64-linux-musl.so");
        let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        let segments = header.segments().unwrap().unwrap();
        let dynamic = segments.unique(PT_DYNAMIC).unwrap().unwrap();
        let elf = object::elf::FileHeader64::<object::Endianness>::parse(&*bytes).unwrap();
        let endian = elf.endian().unwrap();
        let theirs = elf.program_headers(endian, &*bytes).unwrap();
        let by_object = theirs.iter().find(|ph| ph.p_type(endian).0 == PT_DYNAMIC).unwrap();
        assert_eq!((dynamic.p_offset, dynamic.p_filesz), by_object.file_range(endian));
        // Every PT_LOAD maps its own first byte to its p_offset.
        for ph in theirs.iter().filter(|ph| ph.p_type(endian).0 == PT_LOAD && ph.p_filesz(endian) > 0) {
            let range = segments.map("test", 0, ph.p_vaddr(endian), 1).unwrap();
            assert_eq!(range, FileRange { offset: ph.p_offset(endian), size: 1 });
        }
        assert!(segments.map("test", 0, u64::MAX - 1, 1).is_err());
    }

    #[test]
    fn count_and_entry_size_are_checked_before_any_entry() {
        let mut bytes = read("corpus/elf/x86_64-linux-musl.so");
        let f = &ELF64.file;
        // e_phnum 0x7fff: far more headers than the file holds.
        bytes[f.e_phnum as usize..][..2].copy_from_slice(&0x7fffu16.to_le_bytes());
        let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        let err = header.segments().unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF program header table", count: 0x7fff, .. }), "{err}");
        bytes[f.e_phentsize as usize..][..2].copy_from_slice(&8u16.to_le_bytes());
        let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        assert_eq!(
            header.segments().unwrap_err(),
            Error::invalid("ELF e_phentsize", 54, 8u8, "at least 32 (32-bit) or 56 (64-bit)")
        );
    }
}
