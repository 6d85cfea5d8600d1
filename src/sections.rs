//! Every section of an image, for tools that list them: `Slice::sections`
//! walks the same headers as the navigators, with the same checks, without
//! allocating. The lookup itself does not use it: it compares raw names in
//! one pass and makes a view only of a match (see `src/elf.rs`).

use crate::FileRange;

/// One entry of an image's section table (and, for Mach-O, of its segments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// The entry's index in its table: the ELF section index, the COFF
    /// section number minus one, or for Mach-O the position among all
    /// segments and sections in load-command order.
    pub index: u32,
    /// The name as the headers store it, without NUL padding: the ELF name
    /// table's string, the Mach-O `sectname` (or `segname` of a segment), the
    /// COFF 8-byte name, or a COFF object's long name from its string table.
    /// `None` if the name cannot be read (an ELF name outside its table).
    pub name: Option<&'a [u8]>,
    /// Mach-O: the `segname` of a section's header. `None` elsewhere, and for
    /// the segments themselves.
    pub segment: Option<&'a [u8]>,
    /// What the entry is, in the format's own terms.
    pub kind: SectionKind,
    /// The format's flags as stored: ELF `sh_flags`, Mach-O section `flags`
    /// or segment `initprot`, COFF `Characteristics`.
    pub flags: u64,
    /// The data in the file, absolute. Its size is 0 for entries with no file
    /// bytes (ELF `SHT_NOBITS`, Mach-O zero-fill, an uninitialised-data
    /// section of a COFF object), as [`crate::find_section`] reports them.
    /// The range is as the header gives it; only the navigators check that
    /// the bytes exist.
    pub range: FileRange,
}

/// What a [`Section`] is, in its format's own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SectionKind {
    /// An ELF section: its `sh_type` (`SHT_PROGBITS` is 1, `SHT_NOBITS` 8).
    Elf(u32),
    /// A Mach-O segment (`LC_SEGMENT` or `LC_SEGMENT_64`); its sections
    /// follow it.
    MachOSegment,
    /// A Mach-O section: the section type, the low byte of its `flags`
    /// (`S_REGULAR` is 0, `S_ZEROFILL` 1).
    MachO(u8),
    /// A PE or COFF section.
    Coff,
}
