//! Writes the headers of an ELF relocatable object (`ET_REL`) whose `.jlji`
//! section is the container. References are to the System V gABI, chapter 4;
//! every offset and constant comes from [`super::layout`].
//!
//! Layout, every table before the container so that the payload ends the file:
//!
//! ```text
//! ELF header | section headers (6) | .symtab | .strtab | .shstrtab | pad to 64 | .jlji
//! ```
//!
//! The bytes start as zeros, and each structure's fields are written at
//! their offsets: a field not written is 0 (`e_entry`, `e_phoff`, `sh_addr`,
//! the null section and symbol, ...).

// Writers build headers in a Vec and write through std::io (see crate::emit).
#![cfg(feature = "std")]

use super::layout::{
    st_info, Class, EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, ELFDATA2LSB, ELFDATA2MSB, ELFMAG, ET_REL, EV_CURRENT,
    SHF_GNU_RETAIN, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB, STB_LOCAL, STT_SECTION,
};
use crate::frame::CONTAINER_ALIGN;
use crate::write::error::EmitError;
use crate::write::{aligned, Patch};
use crate::{Endian, Format};

/// ELF header values: `e_machine`, `e_flags`, `EI_OSABI`, the class (`wide`:
/// ELFCLASS64) and the byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ElfHeader {
    pub machine: u16,
    pub flags: u32,
    pub osabi: u8,
    pub wide: bool,
    pub big: bool,
}

/// Section indices, in header table order.
const JLJI: u16 = 1;
const STRTAB: u32 = 4;
const SHSTRTAB: u16 = 5;
const SECTIONS: u16 = 6;
/// The symbols: the null symbol, then the section symbol of `.jlji`.
const SYMBOLS: u32 = 2;

/// The bytes of the object before the container (whose data is
/// `container_size` bytes: frame and payload); their length is the
/// container's file offset, a multiple of 64.
pub(crate) fn head(h: &ElfHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    let class = Class::of(h.wide);
    let mut names = vec![0u8];
    let jlji_name = add_name(&mut names, b".jlji");
    // An empty `.note.GNU-stack` says "no executable stack needed": without
    // it GNU ld warns and may mark the output's stack executable.
    let stack_name = add_name(&mut names, b".note.GNU-stack");
    let symtab_name = add_name(&mut names, b".symtab");
    let strtab_name = add_name(&mut names, b".strtab");
    let shstrtab_name = add_name(&mut names, b".shstrtab");
    let at = Places::new(class, names.len() as u64)?;

    let null = Section::default();
    // The container is deliberately not SHF_ALLOC: the loader does not map it
    // (FORMAT.md, "Where the payload lives"); SHF_GNU_RETAIN keeps it through
    // --gc-sections. Its alignment keeps the frame 64-aligned in the linked
    // output, so the payload at frame + 64 is too ("Writing rules").
    let jlji = Section {
        name: jlji_name,
        kind: SHT_PROGBITS,
        flags: SHF_GNU_RETAIN,
        offset: at.container,
        size: container_size,
        align: CONTAINER_ALIGN,
        ..null
    };
    let stack = Section { name: stack_name, kind: SHT_PROGBITS, offset: at.container, align: 1, ..null };
    // sh_info of a symbol table: one past the last local symbol (both are local).
    let symtab = Section {
        name: symtab_name,
        kind: SHT_SYMTAB,
        offset: at.symtab,
        size: at.symtab_size,
        link: STRTAB,
        info: SYMBOLS,
        align: class.word,
        entsize: class.symbol.size,
        ..null
    };
    let strtab = Section { name: strtab_name, kind: SHT_STRTAB, offset: at.strtab, size: 1, align: 1, ..null };
    let shstrtab =
        Section { name: shstrtab_name, kind: SHT_STRTAB, offset: at.shstrtab, size: at.names_size, align: 1, ..null };

    let mut head = vec![0u8; usize::try_from(at.container).map_err(|_| misplaced(".jlji", at.container))?];
    file_header(&mut structure(&mut head, h, "ELF header", 0, class.file.size)?, h, class)?;
    for (index, section) in (0u64..).zip([null, jlji, stack, symtab, strtab, shstrtab]) {
        let offset = class.section.size.saturating_mul(index).saturating_add(at.shoff);
        section.write(&mut structure(&mut head, h, "section header", offset, class.section.size)?, class)?;
    }
    // .symtab: the null symbol (zeros), then the section symbol of `.jlji`,
    // which assemblers always emit and which gives tools a name for the section.
    let symbol_at = at.symtab.saturating_add(class.symbol.size);
    let mut symbol = structure(&mut head, h, "symbol", symbol_at, class.symbol.size)?;
    symbol.raw("st_info", class.symbol.st_info, &[st_info(STB_LOCAL, STT_SECTION)])?;
    symbol.u16("st_shndx", class.symbol.st_shndx, JLJI.into())?;
    // .strtab is just the empty name, a zero byte already there.
    structure(&mut head, h, ".shstrtab", at.shstrtab, at.names_size)?.raw(".shstrtab", 0, &names)?;
    // The rest up to `container` is zero padding (tests/emit_link.rs checks
    // every target's layout).
    Ok(head)
}

/// Where the parts before the container go.
struct Places {
    /// `e_shoff`: the section headers follow the ELF header.
    shoff: u64,
    symtab: u64,
    symtab_size: u64,
    strtab: u64,
    shstrtab: u64,
    names_size: u64,
    container: u64,
}

impl Places {
    fn new(class: &Class, names_size: u64) -> Result<Places, EmitError> {
        let shoff = class.file.size;
        let headers_end = class.section.size.saturating_mul(SECTIONS.into()).saturating_add(shoff);
        let symtab = aligned(Format::Elf, "sh_offset", headers_end, class.word)?;
        let symtab_size = class.symbol.size.saturating_mul(SYMBOLS.into());
        let strtab = symtab.saturating_add(symtab_size);
        let shstrtab = strtab.saturating_add(1);
        let container = aligned(Format::Elf, "sh_offset", shstrtab.saturating_add(names_size), CONTAINER_ALIGN)?;
        Ok(Places { shoff, symtab, symtab_size, strtab, shstrtab, names_size, container })
    }
}

/// The ELF header (gABI, "ELF Header" and "ELF Identification").
fn file_header(b: &mut Patch<'_>, h: &ElfHeader, class: &Class) -> Result<(), EmitError> {
    let f = &class.file;
    identification(b, h, class, ET_REL)?;
    b.word("e_shoff", f.e_shoff, class.file.size)?;
    b.u16("e_shentsize", f.e_shentsize, class.section.size)?;
    b.u16("e_shnum", f.e_shnum, SECTIONS.into())?;
    b.u16("e_shstrndx", f.e_shstrndx, SHSTRTAB.into())?;
    Ok(())
}

/// The fields of the ELF header that say what the file is, the same in
/// every file a writer of this crate makes: `e_ident`, `e_type` (`kind`),
/// `e_machine`, `e_version`, `e_flags`, `e_ehsize`.
pub(super) fn identification(b: &mut Patch<'_>, h: &ElfHeader, class: &Class, kind: u16) -> Result<(), EmitError> {
    let (f, data) = (&class.file, if h.big { ELFDATA2MSB } else { ELFDATA2LSB });
    b.raw("e_ident", 0, &ELFMAG)?;
    b.raw("EI_CLASS", EI_CLASS, &[class.ident])?;
    b.raw("EI_DATA", EI_DATA, &[data])?;
    b.raw("EI_VERSION", EI_VERSION, &[EV_CURRENT])?;
    b.raw("EI_OSABI", EI_OSABI, &[h.osabi])?;
    b.u16("e_type", f.e_type, kind.into())?;
    b.u16("e_machine", f.e_machine, h.machine.into())?;
    b.u32("e_version", f.e_version, EV_CURRENT.into())?;
    b.u32("e_flags", f.e_flags, h.flags.into())?;
    b.u16("e_ehsize", f.e_ehsize, class.file.size)?;
    Ok(())
}

/// The `size` bytes at `at` of `head`, to write the fields of the structure
/// `what` into (at offsets relative to it, as the layouts give them).
pub(super) fn structure<'b>(
    head: &'b mut [u8],
    h: &ElfHeader,
    what: &'static str,
    at: u64,
    size: u64,
) -> Result<Patch<'b>, EmitError> {
    let range = usize::try_from(at).ok().zip(usize::try_from(size).ok());
    let bytes = range.and_then(|(at, size)| head.get_mut(at..at.checked_add(size)?));
    let bytes = bytes.ok_or(misplaced(what, at))?;
    Ok(Patch::new(bytes, Format::Elf, Endian::big_if(h.big), h.wide))
}

pub(super) fn misplaced(field: &'static str, offset: u64) -> EmitError {
    EmitError::Misplaced { format: Format::Elf, field, offset }
}

/// Appends `name` and its NUL to a string table; returns its offset.
pub(super) fn add_name(table: &mut Vec<u8>, name: &[u8]) -> u32 {
    let at = u32::try_from(table.len()).unwrap_or(u32::MAX);
    table.extend_from_slice(name);
    table.push(0);
    at
}

/// One section header (`Elf32_Shdr` / `Elf64_Shdr`); `sh_addr` is 0 in a
/// relocatable object.
#[derive(Clone, Copy, Default)]
pub(super) struct Section {
    pub name: u32,
    pub kind: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
    pub align: u64,
    pub entsize: u64,
}

impl Section {
    pub(super) fn write(&self, b: &mut Patch<'_>, class: &Class) -> Result<(), EmitError> {
        let at = &class.section;
        b.u32("sh_name", at.sh_name, self.name.into())?;
        b.u32("sh_type", at.sh_type, self.kind.into())?;
        b.word("sh_flags", at.sh_flags, self.flags)?;
        b.word("sh_addr", at.sh_addr, self.addr)?;
        b.word("sh_offset", at.sh_offset, self.offset)?;
        b.word("section size (sh_size)", at.sh_size, self.size)?;
        b.u32("sh_link", at.sh_link, self.link.into())?;
        b.u32("sh_info", at.sh_info, self.info.into())?;
        b.word("sh_addralign", at.sh_addralign, self.align)?;
        b.word("sh_entsize", at.sh_entsize, self.entsize)?;
        Ok(())
    }
}
