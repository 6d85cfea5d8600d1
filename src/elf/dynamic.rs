//! The dynamic table (gABI chapter 5, "Dynamic Section"), found as the
//! loader finds it: through `PT_DYNAMIC`, not through section headers, which
//! a loaded image need not have. Addresses in it (`DT_STRTAB`, `DT_SYMTAB`,
//! the hash tables) are virtual; [`Segments::map`] turns them into file bytes
//! through the `PT_LOAD` segment that maps them.
//!
//! The entries are `PT_DYNAMIC`'s file bytes (`p_offset`, `p_filesz`), as
//! `object` and `goblin` read them, up to the first `DT_NULL`.

use super::header::Header;
use super::layout::{DT_NULL, DT_STRSZ, DT_STRTAB, PT_DYNAMIC};
use super::segments::Segments;
use crate::read::{Data, Source, Whole};
use crate::{Endian, Error};

/// An image's dynamic table, with the program headers that map its addresses.
/// Generic over the image's [`Source`] like [`Header`]: the table and what
/// [`Dynamic::bytes_at`] and [`Dynamic::strings`] return are sub-views,
/// which hold all of their bytes even when the image is read in parts, so
/// that [`Entries`] reads a complete table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dynamic<'a, S = Whole> {
    /// Whole entries of the class's `Elf_Dyn` size, checked to lie in the file.
    entries: Data<'a>,
    wide: bool,
    pub segments: Segments<'a>,
    pub file: Data<'a, S>,
}

/// One entry before `DT_NULL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub tag: u64,
    /// `d_un`: `d_val` or `d_ptr`.
    pub value: u64,
    /// The absolute file offset of `d_un`, for errors about the value.
    pub at: u64,
}

impl<'a, S: Source<'a>> Header<'a, S> {
    /// The dynamic table, or `None` if the file has no program headers or
    /// no `PT_DYNAMIC` (an object, a static executable). Two `PT_DYNAMIC`
    /// segments are [`Error::Ambiguous`].
    pub(crate) fn dynamic(&self) -> Result<Option<Dynamic<'a, S>>, Error> {
        let Some(segments) = self.segments()? else { return Ok(None) };
        let Some(segment) = segments.unique(PT_DYNAMIC)? else { return Ok(None) };
        let entsize = self.class().dynamic.size;
        // A trailing partial entry is not an entry.
        let count = segment.p_filesz.checked_div(entsize).unwrap_or(0);
        let entries = self.file.table("ELF dynamic table", segment.p_offset, entsize, count)?;
        Ok(Some(Dynamic { entries, wide: self.wide, segments, file: self.file }))
    }
}

impl<'a, S: Source<'a>> Dynamic<'a, S> {
    /// The entries before `DT_NULL`, in table order.
    pub(crate) fn entries(&self) -> Entries<'a> {
        let (table, at) = (self.entries.bytes, self.entries.base);
        Entries { rest: table, at, wide: self.wide, endian: self.entries.endian }
    }

    /// The last entry tagged `tag`: ld.so stores every entry in its
    /// `l_info[tag]` (glibc elf/get-dynamic-info.h), so the last one is what
    /// it uses, and so do goblin and llvm-readobj (review 19 F6).
    pub(crate) fn find(&self, tag: u64) -> Option<Entry> {
        self.entries().filter(|entry| entry.tag == tag).last()
    }

    /// The file bytes of `size` bytes at the address `entry` holds, as a
    /// view named `what`; an address outside every `PT_LOAD`'s file bytes
    /// is an error naming `name` (the entry) at its offset.
    pub(crate) fn bytes_at(
        &self,
        name: &'static str,
        what: &'static str,
        entry: Entry,
        size: u64,
    ) -> Result<Data<'a>, Error> {
        let range = self.segments.map(name, entry.at, entry.value, size)?;
        self.file.table(what, range.offset, range.size, 1)
    }

    /// The dynamic string table: `DT_STRSZ` bytes at `DT_STRTAB`, or, without
    /// `DT_STRSZ`, the rest of the segment's file bytes. Empty if there is no
    /// `DT_STRTAB` (every name is then unreadable, and reported as such).
    pub(crate) fn strings(&self) -> Result<Data<'a>, Error> {
        // Both entries in one pass over the table: the walk to a code
        // cache's data library reads this table once more, for its records.
        let (mut strtab, mut strsz) = (None, None);
        for entry in self.entries() {
            match entry.tag {
                // The last of each, as ld.so keeps it (see `find`).
                DT_STRTAB => strtab = Some(entry),
                DT_STRSZ => strsz = Some(entry),
                _ => {}
            }
        }
        let Some(strtab) = strtab else {
            return self.file.table("ELF dynamic string table", 0, 0, 1);
        };
        let rest = self.segments.map_rest("ELF DT_STRTAB", strtab.at, strtab.value)?;
        let size = match strsz {
            Some(strsz) if strsz.value > rest.size => {
                let expected = "at most the file bytes after DT_STRTAB in its PT_LOAD segment";
                return Err(Error::invalid("ELF DT_STRSZ", strsz.at, strsz.value, expected));
            }
            Some(strsz) => strsz.value,
            None => rest.size,
        };
        self.file.table("ELF dynamic string table", rest.offset, size, 1)
    }
}

/// The iterator [`Dynamic::entries`] returns: `Elf_Dyn` entries read
/// straight from the table's bytes, which were checked to hold whole entries
/// when the table was found, so that no entry can fail.
#[derive(Clone, Debug)]
pub(crate) struct Entries<'a> {
    /// The entries not yet read.
    rest: &'a [u8],
    /// The absolute file offset of the first of them.
    at: u64,
    wide: bool,
    endian: Endian,
}

impl Iterator for Entries<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        // An entry is `d_tag` then `d_un`, each one word of the class.
        let (tag, value, word, rest) = if self.wide {
            let (tag, rest) = self.rest.split_first_chunk::<8>()?;
            let (value, rest) = rest.split_first_chunk::<8>()?;
            (self.endian.u64(*tag), self.endian.u64(*value), 8, rest)
        } else {
            let (tag, rest) = self.rest.split_first_chunk::<4>()?;
            let (value, rest) = rest.split_first_chunk::<4>()?;
            (u64::from(self.endian.u32(*tag)), u64::from(self.endian.u32(*value)), 4, rest)
        };
        let entry = Entry { tag, value, at: self.at.saturating_add(word) };
        (self.rest, self.at) = (rest, self.at.saturating_add(word).saturating_add(word));
        if tag == DT_NULL {
            self.rest = &[];
            return None;
        }
        Some(entry)
    }
}

/// The NUL-terminated string at `offset` in the string table `strings`,
/// without its NUL. One that starts outside the table or runs off its end is
/// an [`Error::Invalid`] naming `what` (the field holding `offset`) at `at`.
pub(crate) fn string<'a>(strings: Data<'a>, what: &'static str, at: u64, offset: u64) -> Result<&'a [u8], Error> {
    let tail = usize::try_from(offset).ok().and_then(|start| strings.bytes.get(start..));
    let name = tail.and_then(|tail| tail.get(..tail.iter().position(|&b| b == 0)?));
    name.ok_or(Error::invalid(what, at, offset, "the offset of a NUL-terminated string inside the string table"))
}
