//! Every section of an image, for tools that list them: [`Slice::sections`]
//! walks the same headers as the navigators, with the same checks, without
//! allocating. The lookup itself does not use it: it compares raw names in
//! one pass and makes a view only of a match (see `src/elf.rs`).

use crate::walk::Walk;
use crate::{Error, FileRange, Slice};

/// One entry of an image's section table (and, for Mach-O, of its segments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// The entry's index in its table: the ELF section index, the COFF
    /// section number minus one, or for Mach-O the position among all
    /// segments and sections in load-command order.
    pub index: u32,
    /// The name as the headers store it, without NUL padding: the ELF name
    /// table's string, the Mach-O `sectname` (or `segname` of a segment), the
    /// COFF 8-byte name, or a long name (`/123`, or LLVM's `//` base-64 form)
    /// from the string table after the COFF symbol table: in objects, and in
    /// images whose linker kept one (MinGW keeps it for `.debug_*`).
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

/// The sections of one image, in table order. Made by [`Slice::sections`].
///
/// The table's size is checked against the bytes before the first item, so
/// a claimed count cannot make the walk long. An item is an `Err` when an
/// entry cannot be read; the iterator ends after it.
#[derive(Clone, Debug)]
pub struct Sections<'a> {
    walk: Walk<
        crate::elf::sections::Sections<'a>,
        crate::macho::sections::Sections<'a>,
        crate::coff::sections::Sections<'a>,
    >,
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Section<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.walk.next()
    }
}

impl<'a> Slice<'a> {
    /// Every section of this slice, in table order, with names, kinds,
    /// flags and file ranges (see [`Section`]). Fails if the fixed header or
    /// the table's bounds are malformed.
    ///
    /// ```
    /// // llvm-readobj --sections: section 11 of this library is `.jlji`, a
    /// // PROGBITS section with no flags, at 0x3c0, 1128 bytes.
    /// use pkgimg::{FileRange, SectionKind};
    /// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
    /// let slice = pkgimg::host_slice(&file)?;
    /// let jlji = slice.sections()?.find(|s| matches!(s, Ok(s) if s.name == Some(&b".jlji"[..]))).unwrap()?;
    /// assert_eq!((jlji.index, jlji.kind, jlji.flags), (11, SectionKind::Elf(1), 0));
    /// assert_eq!(jlji.range, FileRange { offset: 0x3c0, size: 1128 });
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn sections(&self) -> Result<Sections<'a>, Error> {
        let image = self.image;
        let walk = match crate::lookup::format_of(image.bytes)? {
            crate::Format::Elf => Walk::Elf(crate::elf::sections::sections(image)?),
            crate::Format::MachO => Walk::MachO(crate::macho::sections::sections(image)?),
            crate::Format::Pe | crate::Format::Coff => Walk::Coff(crate::coff::sections::sections(image)?),
        };
        Ok(Sections { walk })
    }

    /// A PE image's overlay: the bytes after every section's raw data,
    /// which the Windows loader never maps (a signature, or a payload placed
    /// there, as in `corpus/pe/x86_64-overlay.dll`). `None` for other formats,
    /// for a COFF object, and when nothing follows the sections.
    ///
    /// ```
    /// use pkgimg::FileRange;
    /// // llvm-readobj --sections: the last section, `.jlji`, has its raw data
    /// // at 0xc00, 0x200 bytes; the file is 0x3b67 bytes long.
    /// let file = std::fs::read("corpus/pe/x86_64-overlay.dll").unwrap();
    /// let overlay = pkgimg::host_slice(&file)?.overlay()?;
    /// assert_eq!(overlay, Some(FileRange { offset: 0xe00, size: file.len() as u64 - 0xe00 }));
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn overlay(&self) -> Result<Option<FileRange>, Error> {
        match crate::lookup::format_of(self.image.bytes)? {
            crate::Format::Pe => crate::coff::sections::overlay(self.image),
            _ => Ok(None),
        }
    }
}
