//! Writes the headers of an ELF relocatable object (`ET_REL`) whose `.jlji`
//! section is the container. References are to the System V gABI, chapter 4.
//!
//! Layout, every table before the container so that the payload ends the file:
//!
//! ```text
//! ELF header | section headers (6) | .symtab | .strtab | .shstrtab | pad to 64 | .jlji
//! ```

// Writers build headers in a Vec and write through std::io (see crate::emit).
#![cfg(feature = "std")]

use crate::write::error::EmitError;
use crate::write::{aligned, Bytes};
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

const ET_REL: u16 = 1;
const EV_CURRENT: u8 = 1;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
/// "Retain the section through garbage collection" (GNU extension in the
/// OS-specific flag range). Deliberately without `SHF_ALLOC`: the container is
/// not mapped by the loader (FORMAT.md, "Where the payload lives").
const SHF_GNU_RETAIN: u64 = 0x20_0000;
/// `st_info` of a section symbol: `STB_LOCAL << 4 | STT_SECTION`.
const SECTION_SYMBOL: u8 = 3;
/// The container's `sh_addralign`: linkers keep the frame 64-aligned in the
/// output, so the payload at frame + 64 is too (FORMAT.md, "Writing rules").
const CONTAINER_ALIGN: u64 = 64;

/// Section indices, in header table order.
const JLJI: u16 = 1;
const STRTAB: u32 = 4;
const SHSTRTAB: u16 = 5;
const SECTIONS: u16 = 6;

/// The bytes of the object before the container (whose data is
/// `container_size` bytes: frame and payload); their length is the
/// container's file offset, a multiple of 64.
pub(crate) fn head(h: &ElfHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    // Sizes of the ELF header, a section header, a symbol, and the word alignment.
    let (ehsize, shentsize, symentsize, word): (u16, u16, u16, u64) =
        if h.wide { (64, 64, 24, 8) } else { (52, 40, 16, 4) };

    let mut names = vec![0u8];
    let jlji_name = add_name(&mut names, b".jlji");
    // An empty `.note.GNU-stack` says "no executable stack needed": without
    // it GNU ld warns and may mark the output's stack executable.
    let stack_name = add_name(&mut names, b".note.GNU-stack");
    let symtab_name = add_name(&mut names, b".symtab");
    let strtab_name = add_name(&mut names, b".strtab");
    let shstrtab_name = add_name(&mut names, b".shstrtab");

    let shoff = u64::from(ehsize);
    let symtab_at = aligned(
        Format::Elf,
        "symtab_at",
        shoff.saturating_add(u64::from(shentsize).saturating_mul(SECTIONS.into())),
        word,
    )?;
    let symtab_size = u64::from(symentsize).saturating_mul(2);
    let strtab_at = symtab_at.saturating_add(symtab_size);
    let shstrtab_at = strtab_at.saturating_add(1);
    let names_size = names.len() as u64;
    let container_at = aligned(Format::Elf, "container_at", shstrtab_at.saturating_add(names_size), CONTAINER_ALIGN)?;

    let mut b = Bytes::new(Format::Elf, Endian::big_if(h.big), h.wide);
    // e_ident
    b.raw(b"\x7fELF").u8(if h.wide { 2 } else { 1 }).u8(if h.big { 2 } else { 1 }).u8(EV_CURRENT);
    b.u8(h.osabi).u8(0).raw(&[0; 7]);
    b.u16(ET_REL).u16(h.machine).u32(EV_CURRENT.into());
    b.word("e_entry", 0)?.word("e_phoff", 0)?.word("e_shoff", shoff)?;
    b.u32(h.flags).u16(ehsize).u16(0).u16(0).u16(shentsize).u16(SECTIONS).u16(SHSTRTAB);

    let null = Section::default();
    let jlji = Section {
        name: jlji_name,
        kind: SHT_PROGBITS,
        flags: SHF_GNU_RETAIN,
        offset: container_at,
        size: container_size,
        align: CONTAINER_ALIGN,
        ..null
    };
    let stack = Section { name: stack_name, kind: SHT_PROGBITS, offset: container_at, align: 1, ..null };
    // sh_info of a symbol table: one past the last local symbol (both are local).
    let symtab = Section {
        name: symtab_name,
        kind: SHT_SYMTAB,
        offset: symtab_at,
        size: symtab_size,
        link: STRTAB,
        info: 2,
        align: word,
        entsize: symentsize.into(),
        ..null
    };
    let strtab = Section { name: strtab_name, kind: SHT_STRTAB, offset: strtab_at, size: 1, align: 1, ..null };
    let shstrtab =
        Section { name: shstrtab_name, kind: SHT_STRTAB, offset: shstrtab_at, size: names_size, align: 1, ..null };
    for section in [null, jlji, stack, symtab, strtab, shstrtab] {
        section.write(&mut b)?;
    }

    // .symtab: the null symbol, then the section symbol of `.jlji`, which
    // assemblers always emit and which gives tools a name for the section.
    b.pad_to("padding", word)?;
    b.raw(&vec![0; usize::from(symentsize)]);
    if h.wide {
        b.u32(0).u8(SECTION_SYMBOL).u8(0).u16(JLJI).u64(0).u64(0);
    } else {
        b.u32(0).u32(0).u32(0).u8(SECTION_SYMBOL).u8(0).u16(JLJI);
    }
    b.u8(0); // .strtab: just the empty name
    b.raw(&names);
    // Now at `container_at` (tests/emit_link.rs checks every target's layout).
    b.pad_to("padding", CONTAINER_ALIGN)?;
    Ok(b.bytes)
}

/// Appends `name` and its NUL to a string table; returns its offset.
fn add_name(table: &mut Vec<u8>, name: &[u8]) -> u32 {
    let at = u32::try_from(table.len()).unwrap_or(u32::MAX);
    table.extend_from_slice(name);
    table.push(0);
    at
}

/// One section header (`Elf32_Shdr` / `Elf64_Shdr`); `sh_addr` is always 0.
#[derive(Clone, Copy, Default)]
struct Section {
    name: u32,
    kind: u32,
    flags: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

impl Section {
    fn write(&self, b: &mut Bytes) -> Result<(), EmitError> {
        b.u32(self.name).u32(self.kind);
        b.word("sh_flags", self.flags)?.word("sh_addr", 0)?.word("sh_offset", self.offset)?;
        b.word("section size (sh_size)", self.size)?;
        b.u32(self.link).u32(self.info);
        b.word("sh_addralign", self.align)?.word("sh_entsize", self.entsize)?;
        Ok(())
    }
}
