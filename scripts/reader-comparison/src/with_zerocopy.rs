//! zerocopy: `#[repr(C)]` structs of its byte-order-aware integers
//! (`U16<O>`, `U32<O>`, `U64<O>`: byte arrays with alignment 1), cast in place
//! with `ref_from_prefix` (no copy, no alignment requirement, one length
//! check) and read with `.get()`. The byte order is a type parameter, so the
//! walk is written once, generic over order and class, and instantiated four
//! times; the file's `EI_CLASS`/`EI_DATA` pick one at run time.

use zerocopy::byteorder::{BigEndian, ByteOrder, LittleEndian, U16, U32, U64};
use zerocopy::{FromBytes, Immutable, KnownLayout, Unaligned};

use crate::{cstr_is, fits, Error, Found, Range, SHN_XINDEX, SHT_NOBITS};

// loc: structs (loc.py counts the code between these markers)
#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Elf32Ehdr<O: ByteOrder> {
    pub e_ident: [u8; 16],
    pub e_type: U16<O>,
    pub e_machine: U16<O>,
    pub e_version: U32<O>,
    pub e_entry: U32<O>,
    pub e_phoff: U32<O>,
    pub e_shoff: U32<O>,
    pub e_flags: U32<O>,
    pub e_ehsize: U16<O>,
    pub e_phentsize: U16<O>,
    pub e_phnum: U16<O>,
    pub e_shentsize: U16<O>,
    pub e_shnum: U16<O>,
    pub e_shstrndx: U16<O>,
}

#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Elf64Ehdr<O: ByteOrder> {
    pub e_ident: [u8; 16],
    pub e_type: U16<O>,
    pub e_machine: U16<O>,
    pub e_version: U32<O>,
    pub e_entry: U64<O>,
    pub e_phoff: U64<O>,
    pub e_shoff: U64<O>,
    pub e_flags: U32<O>,
    pub e_ehsize: U16<O>,
    pub e_phentsize: U16<O>,
    pub e_phnum: U16<O>,
    pub e_shentsize: U16<O>,
    pub e_shnum: U16<O>,
    pub e_shstrndx: U16<O>,
}

#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Elf32Shdr<O: ByteOrder> {
    pub sh_name: U32<O>,
    pub sh_type: U32<O>,
    pub sh_flags: U32<O>,
    pub sh_addr: U32<O>,
    pub sh_offset: U32<O>,
    pub sh_size: U32<O>,
    pub sh_link: U32<O>,
    pub sh_info: U32<O>,
    pub sh_addralign: U32<O>,
    pub sh_entsize: U32<O>,
}

#[derive(FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Elf64Shdr<O: ByteOrder> {
    pub sh_name: U32<O>,
    pub sh_type: U32<O>,
    pub sh_flags: U64<O>,
    pub sh_addr: U64<O>,
    pub sh_offset: U64<O>,
    pub sh_size: U64<O>,
    pub sh_link: U32<O>,
    pub sh_info: U32<O>,
    pub sh_addralign: U64<O>,
    pub sh_entsize: U64<O>,
}

// loc: glue
/// One ELF class in byte order `O`: its structs and the walk's fields.
trait Class<O: ByteOrder> {
    type Ehdr: FromBytes + KnownLayout + Immutable;
    type Shdr: FromBytes + KnownLayout + Immutable;
    const MIN_SHENTSIZE: u64;
    /// `e_shoff`, `e_shentsize`, `e_shnum`, `e_shstrndx`.
    fn header(h: &Self::Ehdr) -> (u64, u64, u16, u16);
    /// `sh_name`, `sh_type`, `sh_offset`, `sh_size`, `sh_link`.
    fn section(s: &Self::Shdr) -> (u32, u32, u64, u64, u32);
}

struct Elf32;
struct Elf64;

impl<O: ByteOrder> Class<O> for Elf32 {
    type Ehdr = Elf32Ehdr<O>;
    type Shdr = Elf32Shdr<O>;
    const MIN_SHENTSIZE: u64 = 40;
    #[inline(always)]
    fn header(h: &Elf32Ehdr<O>) -> (u64, u64, u16, u16) {
        (h.e_shoff.get().into(), h.e_shentsize.get().into(), h.e_shnum.get(), h.e_shstrndx.get())
    }
    #[inline(always)]
    fn section(s: &Elf32Shdr<O>) -> (u32, u32, u64, u64, u32) {
        let (offset, size) = (s.sh_offset.get().into(), s.sh_size.get().into());
        (s.sh_name.get(), s.sh_type.get(), offset, size, s.sh_link.get())
    }
}

impl<O: ByteOrder> Class<O> for Elf64 {
    type Ehdr = Elf64Ehdr<O>;
    type Shdr = Elf64Shdr<O>;
    const MIN_SHENTSIZE: u64 = 64;
    #[inline(always)]
    fn header(h: &Elf64Ehdr<O>) -> (u64, u64, u16, u16) {
        (h.e_shoff.get(), h.e_shentsize.get().into(), h.e_shnum.get(), h.e_shstrndx.get())
    }
    #[inline(always)]
    fn section(s: &Elf64Shdr<O>) -> (u32, u32, u64, u64, u32) {
        (s.sh_name.get(), s.sh_type.get(), s.sh_offset.get(), s.sh_size.get(), s.sh_link.get())
    }
}

#[inline(always)]
fn range<O: ByteOrder, C: Class<O>>(s: &C::Shdr) -> Range {
    let (_, ty, offset, size, _) = C::section(s);
    Range { offset, size: if ty == SHT_NOBITS { 0 } else { size } }
}

// loc: walk
fn walk<O: ByteOrder, C: Class<O>>(file: &[u8], name: &[u8]) -> Found {
    let (h, _) = C::Ehdr::ref_from_prefix(file).map_err(|_| Error("header"))?;
    let (shoff, entsize, shnum, shstrndx) = C::header(h);
    if shoff == 0 {
        return Ok(None);
    }
    if entsize < C::MIN_SHENTSIZE {
        return Err(Error("e_shentsize"));
    }
    if !fits(file.len(), shoff, entsize, 1) {
        return Err(Error("section 0"));
    }
    let (shoff, entsize) = (shoff as usize, entsize as usize);
    let (zero, _) = C::Shdr::ref_from_prefix(&file[shoff..]).map_err(|_| Error("section 0"))?;
    let (_, _, _, zero_size, zero_link) = C::section(zero);
    let count = if shnum == 0 { zero_size } else { shnum.into() };
    let strndx = if shstrndx == SHN_XINDEX { zero_link.into() } else { u64::from(shstrndx) };
    if !fits(file.len(), shoff as u64, entsize as u64, count) {
        return Err(Error("table"));
    }
    let count = count as usize;
    let table = &file[shoff..shoff + entsize * count];
    if strndx >= count as u64 {
        return Err(Error("e_shstrndx"));
    }
    let (names, _) = C::Shdr::ref_from_prefix(&table[strndx as usize * entsize..]).map_err(|_| Error("names"))?;
    let names = range::<O, C>(names);
    if !fits(file.len(), names.offset, names.size, 1) {
        return Err(Error("name table"));
    }
    let names = &file[names.offset as usize..(names.offset + names.size) as usize];
    let mut found = None;
    for entry in table.chunks_exact(entsize) {
        let (sh, _) = C::Shdr::ref_from_prefix(entry).map_err(|_| Error("section"))?;
        if cstr_is(names, C::section(sh).0, name) {
            if found.is_some() {
                return Err(Error("ambiguous"));
            }
            found = Some(range::<O, C>(sh));
        }
    }
    match found {
        Some(r) if !fits(file.len(), r.offset, r.size, 1) => Err(Error("section data")),
        found => Ok(found),
    }
}

pub fn find_section(file: &[u8], name: &str) -> Found {
    let (ident, _) = <[u8; 16]>::ref_from_prefix(file).map_err(|_| Error("ident"))?;
    if ident[..4] != *b"\x7fELF" {
        return Err(Error("magic"));
    }
    let name = name.as_bytes();
    match (ident[4], ident[5]) {
        (1 | 2, 1 | 2) => {}
        (1 | 2, _) => return Err(Error("data")),
        _ => return Err(Error("class")),
    }
    match (ident[4], ident[5]) {
        (1, 1) => walk::<LittleEndian, Elf32>(file, name),
        (1, _) => walk::<BigEndian, Elf32>(file, name),
        (_, 1) => walk::<LittleEndian, Elf64>(file, name),
        _ => walk::<BigEndian, Elf64>(file, name),
    }
}
// loc: end
