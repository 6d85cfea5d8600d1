//! The full table of an image's sections (and Mach-O segments, and a PE
//! overlay), for `jiscan show`. The library finds one section by name; this
//! lists them all, with the same bounds checks, and keeps the rows it could
//! read when a later header is broken.

use pkgimg::Format;

use crate::reader::{padded_name, Reader};

/// At most this many rows are listed; a table can claim millions of entries.
pub const MAX_ROWS: u64 = 10_000;

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

/// Lists the sections of the image `bytes`, which starts at file offset `base`.
pub fn list(format: Format, bytes: &[u8], base: u64) -> Listing {
    let r = Reader::new(bytes, base);
    let mut listing = Listing::default();
    let result = match format {
        Format::Elf => elf(r, &mut listing.rows),
        Format::MachO => macho(r, &mut listing.rows),
        Format::Pe | Format::Coff => coff(r, &mut listing.rows),
    };
    listing.error = result.err();
    listing
}

fn too_many(what: &str, count: u64) -> String {
    format!("{what}: only the first {MAX_ROWS} of {count} entries are listed")
}

/// ELF section headers (System V gABI, "Sections").
fn elf(r: Reader<'_>, rows: &mut Vec<Row>) -> Result<(), String> {
    let wide = match r.u8("ELF EI_CLASS", 4)? {
        1 => false,
        2 => true,
        v => return Err(format!("ELF EI_CLASS at 0x4 is {v}, expected 1 or 2")),
    };
    let r = r.big_endian(r.u8("ELF EI_DATA", 5)? == 2);
    let (shoff_at, tail) = if wide { (40, 58) } else { (32, 46) };
    let shoff = r.word("ELF e_shoff", shoff_at, wide)?;
    let entsize = u64::from(r.u16("ELF e_shentsize", tail)?);
    let shnum = r.u16("ELF e_shnum", tail.saturating_add(2))?;
    let shstrndx = r.u16("ELF e_shstrndx", tail.saturating_add(4))?;
    if shoff == 0 {
        return Err("no section header table (e_shoff is 0)".to_owned());
    }
    let (min, flags_at, offset_at, size_at, link_at) = if wide { (64, 8, 24, 32, 40) } else { (40, 8, 16, 20, 24) };
    if entsize < min {
        return Err(format!("ELF e_shentsize at {:#x} is {entsize}, expected at least {min}", r.abs(tail)));
    }
    let header = |i: u64| i.checked_mul(entsize).and_then(|o| o.checked_add(shoff)).unwrap_or(u64::MAX);
    // Extended numbering: counts that overflow 16 bits live in section 0.
    let count = if shnum == 0 {
        r.word("ELF section header 0 sh_size", shoff.saturating_add(size_at), wide)?
    } else {
        u64::from(shnum)
    };
    let strndx = if shstrndx == 0xffff {
        u64::from(r.u32("ELF section header 0 sh_link", shoff.saturating_add(link_at))?)
    } else {
        u64::from(shstrndx)
    };
    // Entries are read one by one, so a table cut short still lists its first rows.
    // Without the name table the rows are still listed, with unreadable names.
    let names_at = header(strndx);
    let names = r.word("ELF section name table sh_offset", names_at.saturating_add(offset_at), wide).and_then(|at| {
        let size = r.word("ELF section name table sh_size", names_at.saturating_add(size_at), wide)?;
        r.bytes("ELF section name table", at, size)
    });
    for i in 0..count.min(MAX_ROWS) {
        let at = header(i);
        let name_offset = r.u32("ELF sh_name", at)?;
        let kind = r.u32("ELF sh_type", at.saturating_add(4))?;
        let flags = r.word("ELF sh_flags", at.saturating_add(flags_at), wide)?;
        let offset = r.word("ELF sh_offset", at.saturating_add(offset_at), wide)?;
        let size = if kind == 8 { 0 } else { r.word("ELF sh_size", at.saturating_add(size_at), wide)? };
        let name = match &names {
            Ok(names) => r.cstr(names, u64::from(name_offset)).map(|n| String::from_utf8_lossy(n).into_owned()),
            Err(_) => None,
        };
        rows.push(Row {
            name: name.unwrap_or_else(|| format!("<name at {name_offset:#x} unreadable>")),
            kind: elf_type(kind),
            offset: r.abs(offset),
            size,
            flags: elf_flags(flags),
        });
    }
    if count > MAX_ROWS {
        return Err(too_many("ELF section headers", count));
    }
    names.map(|_| ())
}

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

/// Mach-O segments and their sections (`<mach-o/loader.h>`).
fn macho(r: Reader<'_>, rows: &mut Vec<Row>) -> Result<(), String> {
    let (big, wide) = match r.bytes("Mach-O magic", 0, 4)? {
        [0xce, 0xfa, 0xed, 0xfe] => (false, false),
        [0xcf, 0xfa, 0xed, 0xfe] => (false, true),
        [0xfe, 0xed, 0xfa, 0xce] => (true, false),
        [0xfe, 0xed, 0xfa, 0xcf] => (true, true),
        _ => return Err("not a thin Mach-O image".to_owned()),
    };
    let r = r.big_endian(big);
    let (header, segment_cmd, command_size, section_size) = if wide { (32, 0x19, 72, 80) } else { (28, 0x1, 56, 68) };
    let ncmds = r.u32("Mach-O ncmds", 16)?;
    let sizeofcmds = u64::from(r.u32("Mach-O sizeofcmds", 20)?);
    r.bytes("Mach-O load commands", header, sizeofcmds)?;
    let end = header.saturating_add(sizeofcmds);
    let mut at = header;
    for _ in 0..ncmds {
        let cmd = r.u32("Mach-O load command", at)?;
        let cmdsize = u64::from(r.u32("Mach-O cmdsize", at.saturating_add(4))?);
        let next = at.saturating_add(cmdsize);
        if cmdsize < 8 || next > end {
            return Err(format!(
                "Mach-O cmdsize at {:#x} is {cmdsize}, expected at least 8 and within sizeofcmds",
                r.abs(at.saturating_add(4))
            ));
        }
        if cmd == segment_cmd {
            segment(r, at, wide, command_size, section_size, rows)?;
            if rows.len() as u64 > MAX_ROWS {
                return Err(too_many("Mach-O segments and sections", rows.len() as u64));
            }
        }
        at = next;
    }
    Ok(())
}

fn segment(
    r: Reader<'_>,
    at: u64,
    wide: bool,
    size: u64,
    section_size: u64,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let field = |offset: u64| at.saturating_add(offset);
    let segname = padded_name(r.bytes("Mach-O segname", field(8), 16)?);
    let (fileoff, filesize, prot_at, nsects_at) = if wide {
        (r.u64("Mach-O fileoff", field(40))?, r.u64("Mach-O filesize", field(48))?, 60, 64)
    } else {
        (u64::from(r.u32("Mach-O fileoff", field(32))?), u64::from(r.u32("Mach-O filesize", field(36))?), 44, 48)
    };
    let initprot = r.u32("Mach-O initprot", field(prot_at))?;
    let nsects = u64::from(r.u32("Mach-O nsects", field(nsects_at))?);
    rows.push(Row {
        name: segname,
        kind: "segment".to_owned(),
        offset: r.abs(fileoff),
        size: filesize,
        flags: prot(initprot),
    });
    let sections = field(size);
    let (size_at, offset_at, flags_at) = if wide { (40, 48, 64) } else { (36, 40, 56) };
    for i in 0..nsects.min(MAX_ROWS) {
        let s = sections.saturating_add(i.saturating_mul(section_size));
        let sect = padded_name(r.bytes("Mach-O sectname", s, 16)?);
        let seg = padded_name(r.bytes("Mach-O section segname", s.saturating_add(16), 16)?);
        let flags = r.u32("Mach-O section flags", s.saturating_add(flags_at))?;
        // Zero-fill sections (S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL) have no file bytes.
        let zerofill = matches!(flags & 0xff, 0x1 | 0xc | 0x12);
        let size = if zerofill { 0 } else { r.word("Mach-O section size", s.saturating_add(size_at), wide)? };
        let offset = u64::from(r.u32("Mach-O section offset", s.saturating_add(offset_at))?);
        rows.push(Row {
            name: format!("{seg},{sect}"),
            kind: "section".to_owned(),
            offset: r.abs(offset),
            size,
            flags: format!("{flags:#010x}"),
        });
    }
    Ok(())
}

/// VM_PROT_READ 1, VM_PROT_WRITE 2, VM_PROT_EXECUTE 4, as `ls` spells them.
fn prot(p: u32) -> String {
    let bit = |mask: u32, c: char| if p & mask != 0 { c } else { '-' };
    [bit(1, 'r'), bit(2, 'w'), bit(4, 'x')].iter().collect()
}

/// PE/COFF section table (Microsoft "PE Format", "Section Table").
fn coff(r: Reader<'_>, rows: &mut Vec<Row>) -> Result<(), String> {
    let (pe, header) = if r.bytes("MS-DOS magic", 0, 2)? == b"MZ" {
        let signature = u64::from(r.u32("PE e_lfanew", 0x3c)?);
        if r.bytes("PE signature", signature, 4)? != b"PE\0\0" {
            return Err(format!("PE signature at {:#x} is not \"PE\\0\\0\"", r.abs(signature)));
        }
        (true, signature.saturating_add(4))
    } else {
        (false, 0)
    };
    let count = u64::from(r.u16("COFF NumberOfSections", header.saturating_add(2))?);
    let symbols = u64::from(r.u32("COFF PointerToSymbolTable", header.saturating_add(8))?);
    let nsyms = u64::from(r.u32("COFF NumberOfSymbols", header.saturating_add(12))?);
    let optional = u64::from(r.u16("COFF SizeOfOptionalHeader", header.saturating_add(16))?);
    let table = header.saturating_add(20).saturating_add(optional);
    // Long names are "/offset" into the string table after the symbol table.
    let strings_at = symbols.checked_add(nsyms.saturating_mul(18));
    let strings = strings_at.and_then(|at| r.bytes("COFF string table", at, r.len().saturating_sub(at)).ok());
    let mut end_of_sections = 0u64;
    for i in 0..count {
        let s = table.saturating_add(i.saturating_mul(40));
        let raw = r.bytes("COFF section name", s, 8)?;
        let mut name = padded_name(raw);
        if let (Some(digits), Some(strings), true) = (name.strip_prefix('/'), strings, symbols != 0) {
            if let Some(long) = digits.parse::<u64>().ok().and_then(|at| r.cstr(strings, at)) {
                name = String::from_utf8_lossy(long).into_owned();
            }
        }
        let raw_size = u64::from(r.u32("COFF SizeOfRawData", s.saturating_add(16))?);
        let raw_at = u64::from(r.u32("COFF PointerToRawData", s.saturating_add(20))?);
        let flags = r.u32("COFF Characteristics", s.saturating_add(36))?;
        let bss = flags & 0x80 != 0;
        let kind = if flags & 0x20 != 0 {
            "code"
        } else if bss {
            "bss"
        } else if flags & 0x40 != 0 {
            "data"
        } else {
            "section"
        };
        let size = if bss { 0 } else { raw_size };
        end_of_sections = end_of_sections.max(raw_at.saturating_add(size));
        // IMAGE_SCN_MEM_READ 0x40000000, _WRITE 0x80000000, _EXECUTE 0x20000000.
        let rwx = [(0x4000_0000, 'r'), (0x8000_0000, 'w'), (0x2000_0000, 'x')]
            .iter()
            .map(|&(mask, c)| if flags & mask != 0 { c } else { '-' })
            .collect::<String>();
        rows.push(Row {
            name,
            kind: kind.to_owned(),
            offset: r.abs(raw_at),
            size,
            flags: format!("{rwx} {flags:#010x}"),
        });
    }
    // An image's loader maps sections only; bytes after the last one (the
    // "overlay": signatures, or a payload placed there) are listed as such.
    if pe && r.len() > end_of_sections {
        rows.push(Row {
            name: "(overlay)".to_owned(),
            kind: "overlay".to_owned(),
            offset: r.abs(end_of_sections),
            size: r.len().saturating_sub(end_of_sections),
            flags: String::new(),
        });
    }
    Ok(())
}
