//! The table of an image's sections (and Mach-O segments, and a PE overlay)
//! for `jiscan show`, spelled as each format's usual tools spell it. The
//! walking is the library's ([`pkgimg::Slice::sections`]); this module only
//! turns its items into rows, keeping the rows read before a broken entry.

use pkgimg::{Section, SectionKind, Slice};

/// At most this many rows are listed; a table can claim millions of entries.
pub const MAX_ROWS: usize = 10_000;

/// One section, segment or region of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The name: `.text`; Mach-O sections as `SEGMENT,section`.
    pub name: String,
    /// "segment", "section", an ELF section type ("PROGBITS"), "code"/"data"/"bss"
    /// for COFF sections, "overlay" for bytes after a PE image's last section.
    pub kind: String,
    /// Absolute file offset of the data.
    pub offset: u64,
    /// Bytes in the file (0 for sections that occupy none, like `.bss`).
    pub size: u64,
    /// The format's flags, spelled as its usual tools spell them.
    pub flags: String,
}

/// The rows that could be read, and why listing stopped early, if it did.
#[derive(Debug, Default)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub error: Option<String>,
}

/// Lists the sections of `slice`.
pub fn list(slice: &Slice<'_>) -> Listing {
    let mut listing = Listing::default();
    let sections = match slice.sections() {
        Ok(sections) => sections,
        Err(e) => {
            listing.error = Some(e.to_string());
            return listing;
        }
    };
    for item in sections {
        if listing.rows.len() >= MAX_ROWS {
            listing.error = Some(format!("only the first {MAX_ROWS} entries are listed"));
            return listing;
        }
        match item {
            Ok(section) => listing.rows.push(row(&section)),
            Err(e) => {
                listing.error = Some(e.to_string());
                return listing;
            }
        }
    }
    // An image's loader maps sections only; bytes after the last one (the
    // "overlay": signatures, or a payload placed there) are listed as such.
    match slice.overlay() {
        Ok(Some(overlay)) => listing.rows.push(Row {
            name: "(overlay)".to_owned(),
            kind: "overlay".to_owned(),
            offset: overlay.offset,
            size: overlay.size,
            flags: String::new(),
        }),
        Ok(None) => {}
        Err(e) => listing.error = Some(e.to_string()),
    }
    listing
}

fn row(section: &Section<'_>) -> Row {
    let name = match (section.name, section.segment) {
        (Some(name), Some(segment)) => format!("{},{}", text(segment), text(name)),
        (Some(name), None) => text(name),
        (None, _) => format!("<name of section {} unreadable>", section.index),
    };
    let (kind, flags) = match section.kind {
        SectionKind::Elf(kind) => (elf_type(kind), elf_flags(section.flags)),
        SectionKind::MachOSegment => ("segment".to_owned(), prot(section.flags)),
        SectionKind::MachO(_) => ("section".to_owned(), format!("{:#010x}", section.flags)),
        SectionKind::Coff => coff(section.flags),
        _ => ("section".to_owned(), format!("{:#x}", section.flags)),
    };
    Row { name, kind, offset: section.range.offset, size: section.range.size, flags }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `readelf`'s names of the section types (System V gABI, "Sections").
fn elf_type(kind: u32) -> String {
    let name = match kind {
        0 => "NULL",
        1 => "PROGBITS",
        2 => "SYMTAB",
        3 => "STRTAB",
        4 => "RELA",
        5 => "HASH",
        6 => "DYNAMIC",
        7 => "NOTE",
        8 => "NOBITS",
        9 => "REL",
        11 => "DYNSYM",
        14 => "INIT_ARRAY",
        15 => "FINI_ARRAY",
        16 => "PREINIT_ARRAY",
        17 => "GROUP",
        18 => "SYMTAB_SHNDX",
        0x6fff_fff6 => "GNU_HASH",
        0x6fff_fffd => "VERDEF",
        0x6fff_fffe => "VERNEED",
        0x6fff_ffff => "VERSYM",
        other => return format!("{other:#x}"),
    };
    name.to_owned()
}

/// `readelf`'s letters: W write, A alloc, X exec, M merge, S strings, I info,
/// L link order, O OS-specific handling, G group, T TLS, C compressed,
/// R retain (`SHF_GNU_RETAIN`), E exclude.
fn elf_flags(flags: u64) -> String {
    const LETTERS: [(u64, char); 13] = [
        (0x1, 'W'),
        (0x2, 'A'),
        (0x4, 'X'),
        (0x10, 'M'),
        (0x20, 'S'),
        (0x40, 'I'),
        (0x80, 'L'),
        (0x100, 'O'),
        (0x200, 'G'),
        (0x400, 'T'),
        (0x800, 'C'),
        (0x20_0000, 'R'),
        (0x8000_0000, 'E'),
    ];
    LETTERS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, c)| *c).collect()
}

/// VM_PROT_READ 1, VM_PROT_WRITE 2, VM_PROT_EXECUTE 4, as `ls` spells them.
fn prot(p: u64) -> String {
    let bit = |mask: u64, c: char| if p & mask != 0 { c } else { '-' };
    [bit(1, 'r'), bit(2, 'w'), bit(4, 'x')].iter().collect()
}

/// A COFF section's kind from its contents flags, and `rwx` plus the raw
/// Characteristics (Microsoft "PE Format", "Section Flags").
fn coff(flags: u64) -> (String, String) {
    let kind = if flags & 0x20 != 0 {
        "code"
    } else if flags & 0x80 != 0 {
        "bss"
    } else if flags & 0x40 != 0 {
        "data"
    } else {
        "section"
    };
    // IMAGE_SCN_MEM_READ 0x40000000, _WRITE 0x80000000, _EXECUTE 0x20000000.
    let rwx: String = [(0x4000_0000, 'r'), (0x8000_0000, 'w'), (0x2000_0000, 'x')]
        .iter()
        .map(|&(mask, c)| if flags & mask != 0 { c } else { '-' })
        .collect();
    (kind.to_owned(), format!("{rwx} {flags:#010x}"))
}
