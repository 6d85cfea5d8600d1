//! Every section of an ELF image, in section header table order, for tools
//! that list them (`Slice::sections`). It reads through the same
//! [`Header`] and [`SectionTable`] as the navigator, with the same checks,
//! and allocates nothing.

use super::header::{Header, SectionTable};
use crate::read::Data;
use crate::{Error, FileRange, Section, SectionKind};

/// The sections of `image`, after its header and the bounds of its section
/// header table have been checked; none if it has no table (`e_shoff` 0).
///
/// A name that cannot be read (the name table itself unreadable, or a name
/// outside it or without its NUL) is `None`; the other sections are still
/// listed.
pub(crate) fn sections(image: Data<'_>) -> Result<Sections<'_>, Error> {
    let header = Header::parse(image)?;
    let table = header.section_table()?;
    if let Some(table) = table {
        // Section indices are 32-bit wherever ELF stores one (sh_link, st_shndx
        // through SHT_SYMTAB_SHNDX), so no table can use more.
        if u32::try_from(table.count.saturating_sub(1)).is_err() {
            let at = table.headers.base;
            return Err(Error::invalid("ELF section count", at, table.count, "at most 2^32 sections"));
        }
    }
    let names = table.and_then(|table| table.names().ok());
    Ok(Sections { table, names, next: 0, base: image.base })
}

/// The iterator [`sections`] returns: an item per section header.
#[derive(Clone, Debug)]
pub(crate) struct Sections<'a> {
    table: Option<SectionTable<'a>>,
    /// The section name table, if it could be read.
    names: Option<Data<'a>>,
    /// The index of the next section.
    next: u64,
    /// Where the image starts in the file: ranges are absolute.
    base: u64,
}

impl<'a> Sections<'a> {
    /// Section `index` (below the table's count).
    fn section(&self, table: &SectionTable<'a>, index: u32) -> Result<Section<'a>, Error> {
        let fields = table.fields(table.header("ELF section header", u64::from(index))?)?;
        let name = self.names.and_then(|names| cstr(names.bytes, fields.sh_name));
        let (base, offset) = (self.base, fields.range.offset);
        let offset = base.checked_add(offset).ok_or(Error::Overflow {
            what: "ELF sh_offset",
            offset: base,
            size: offset,
            count: 1,
        })?;
        Ok(Section {
            index,
            name,
            segment: None,
            kind: SectionKind::Elf(fields.sh_type),
            flags: fields.sh_flags,
            range: FileRange { offset, size: fields.range.size },
        })
    }
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Section<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let table = self.table?;
        // `sections` checked that every index below the count fits 32 bits.
        let index = u32::try_from(self.next).ok().filter(|_| self.next < table.count)?;
        self.next = self.next.saturating_add(1);
        Some(self.section(&table, index))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.table.map_or(0, |table| table.count.saturating_sub(self.next));
        let remaining = usize::try_from(remaining).unwrap_or(usize::MAX);
        (remaining, Some(remaining))
    }
}

/// The NUL-terminated string at `at` in a string table, without its NUL;
/// `None` if it starts outside the table or runs off its end.
fn cstr(table: &[u8], at: u32) -> Option<&[u8]> {
    let tail = table.get(usize::try_from(at).ok()?..)?;
    tail.get(..tail.iter().position(|&b| b == 0)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use object::read::elf::{ElfFile, FileHeader, SectionHeader as _};
    use object::{elf, Endianness};

    use super::super::layout::{ELF64, ELFCLASS32, ELFCLASS64, ELFMAG};
    use super::*;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    fn walk(bytes: &[u8]) -> Vec<Section<'_>> {
        sections(Data::new(bytes, 0, "the file")).unwrap().map(Result::unwrap).collect()
    }

    /// Our walk and `object`'s, entry by entry; `false` if `object` does not
    /// parse the file.
    fn same_as_object<Elf: FileHeader<Endian = Endianness>>(path: &std::path::Path, bytes: &[u8]) -> bool {
        let Ok(file) = ElfFile::<Elf>::parse(bytes) else { return false };
        let (endian, table) = (file.endian(), file.elf_section_table());
        let ours = walk(bytes);
        assert_eq!(ours.len(), table.len(), "{}", path.display());
        for ((index, sh), section) in table.enumerate().zip(&ours) {
            let what = format!("{} section {}", path.display(), index.0);
            assert_eq!(section.index as usize, index.0, "{what}");
            assert_eq!(section.name, table.section_name(endian, sh).ok(), "{what}");
            assert_eq!(section.kind, SectionKind::Elf(sh.sh_type(endian).0), "{what}");
            assert_eq!(section.flags, sh.sh_flags(endian).0, "{what}");
            // `object` gives no range for SHT_NOBITS; ours is empty, at sh_offset.
            let (offset, size) = sh.file_range(endian).unwrap_or((sh.sh_offset(endian).into(), 0));
            assert_eq!(section.range, FileRange { offset, size }, "{what}");
        }
        true
    }

    #[test]
    fn walk_matches_object_on_the_corpus() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut compared = 0;
        for dir in ["elf", "nopayload", "obj", "malformed"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let parsed = match bytes.get(..5) {
                    Some([m @ .., ELFCLASS32]) if *m == ELFMAG => {
                        same_as_object::<elf::FileHeader32<Endianness>>(&path, &bytes)
                    }
                    Some([m @ .., ELFCLASS64]) if *m == ELFMAG => {
                        same_as_object::<elf::FileHeader64<Endianness>>(&path, &bytes)
                    }
                    _ => false,
                };
                compared += usize::from(parsed);
            }
        }
        // 21 libraries in elf/, 1 in nopayload/, 4 objects in obj/, and the 7
        // of malformed/ that object reads (not the two truncated ones).
        assert!(compared >= 33, "only {compared} files compared");
    }

    #[test]
    fn truncated_table_fails_before_any_item() {
        let bytes = read("corpus/elf/x86_64-linux-musl.so");
        let err = sections(Data::new(&bytes[..bytes.len() - 1], 0, "the file")).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF section header table", .. }), "{err}");
        let err = sections(Data::new(&read("corpus/malformed/truncated-shdr.so"), 0, "the file")).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF section header table", count: 15, .. }), "{err}");
    }

    #[test]
    fn extended_numbering_lists_the_same_sections() {
        let bytes = read("corpus/elf/powerpc64-linux-musl.so");
        let plain = walk(&bytes);
        // Move the count and the name table index into section 0 (big-endian ELF64).
        let (f, s) = (&ELF64.file, &ELF64.section);
        let field = |at: u64, len: usize| at as usize..at as usize + len;
        let shoff = u64::from_be_bytes(bytes[field(f.e_shoff, 8)].try_into().unwrap());
        let count = u16::from_be_bytes(bytes[field(f.e_shnum, 2)].try_into().unwrap());
        let names = u16::from_be_bytes(bytes[field(f.e_shstrndx, 2)].try_into().unwrap());
        let mut escaped = bytes.clone();
        escaped[field(f.e_shnum, 2)].fill(0);
        escaped[field(f.e_shstrndx, 2)].copy_from_slice(&0xffffu16.to_be_bytes());
        escaped[field(shoff + s.sh_size, 8)].copy_from_slice(&u64::from(count).to_be_bytes());
        escaped[field(shoff + s.sh_link, 4)].copy_from_slice(&u32::from(names).to_be_bytes());
        let walked = walk(&escaped);
        // Section 0 itself now has a size; every other entry is unchanged.
        assert!(plain.len() > 2 && plain.iter().all(|s| s.name.is_some()));
        assert_eq!(walked[1..], plain[1..]);
        assert_eq!(walked[0], Section { range: FileRange { size: u64::from(count), ..plain[0].range }, ..plain[0] });
    }

    #[test]
    fn unreadable_names_are_none_and_ranges_absolute() {
        let bytes = read("corpus/obj/x86_64-linux.o");
        let (f, s) = (&ELF64.file, &ELF64.section);
        let plain = walk(&bytes);
        // The name table index past the table: no name readable, every section listed.
        let mut broken = bytes.clone();
        broken[f.e_shstrndx as usize..][..2].copy_from_slice(&0xfff0u16.to_le_bytes());
        let listed: Vec<_> = sections(Data::new(&broken, 0x1000, "the slice")).unwrap().map(Result::unwrap).collect();
        assert_eq!(listed.len(), plain.len());
        for (broken, plain) in listed.iter().zip(&plain) {
            let range = FileRange { offset: plain.range.offset + 0x1000, ..plain.range };
            assert_eq!(*broken, Section { name: None, range, ..*plain });
        }
        // A name offset past its table: only that name is None.
        let shoff = u64::from_le_bytes(bytes[f.e_shoff as usize..][..8].try_into().unwrap());
        let mut one = bytes.clone();
        let at = (shoff + s.size + s.sh_name) as usize; // section 1's sh_name
        one[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let listed = walk(&one);
        assert!(plain[1].name.is_some());
        assert_eq!(listed[1], Section { name: None, ..plain[1] });
        assert_eq!((&listed[..1], &listed[2..]), (&plain[..1], &plain[2..]));
    }

    #[test]
    fn no_section_table_lists_nothing() {
        let mut bytes = read("corpus/obj/x86_64-linux.o");
        bytes[ELF64.file.e_shoff as usize..][..8].fill(0);
        assert_eq!(sections(Data::new(&bytes, 0, "the file")).unwrap().count(), 0);
    }
}
