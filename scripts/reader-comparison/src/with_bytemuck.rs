//! bytemuck: `#[repr(C)]` Pod structs of native integers, one pair per
//! class. A file's bytes have no alignment guarantee (a header at any
//! offset, in a `Vec<u8>` or a mapping), so each struct is read with
//! `pod_read_unaligned` (a copy; `from_bytes` would panic and `try_from_bytes`
//! fail on a misaligned header). bytemuck knows no byte order: each field is
//! converted from the file's order by hand. The walk is written once, generic
//! over the class.

use bytemuck::{pod_read_unaligned, Pod, Zeroable};

use crate::{cstr_is, fits, Error, Found, Range, SHN_XINDEX, SHT_NOBITS};

// loc: structs (loc.py counts the code between these markers)
#[derive(Pod, Zeroable, Clone, Copy)]
#[repr(C)]
pub struct Elf32Ehdr {
    pub e_ident: [u8; 16],
    pub e_type: u16,
    pub e_machine: u16,
    pub e_version: u32,
    pub e_entry: u32,
    pub e_phoff: u32,
    pub e_shoff: u32,
    pub e_flags: u32,
    pub e_ehsize: u16,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub e_shentsize: u16,
    pub e_shnum: u16,
    pub e_shstrndx: u16,
}

#[derive(Pod, Zeroable, Clone, Copy)]
#[repr(C)]
pub struct Elf64Ehdr {
    pub e_ident: [u8; 16],
    pub e_type: u16,
    pub e_machine: u16,
    pub e_version: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
    pub e_flags: u32,
    pub e_ehsize: u16,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub e_shentsize: u16,
    pub e_shnum: u16,
    pub e_shstrndx: u16,
}

#[derive(Pod, Zeroable, Clone, Copy)]
#[repr(C)]
pub struct Elf32Shdr {
    pub sh_name: u32,
    pub sh_type: u32,
    pub sh_flags: u32,
    pub sh_addr: u32,
    pub sh_offset: u32,
    pub sh_size: u32,
    pub sh_link: u32,
    pub sh_info: u32,
    pub sh_addralign: u32,
    pub sh_entsize: u32,
}

#[derive(Pod, Zeroable, Clone, Copy)]
#[repr(C)]
pub struct Elf64Shdr {
    pub sh_name: u32,
    pub sh_type: u32,
    pub sh_flags: u64,
    pub sh_addr: u64,
    pub sh_offset: u64,
    pub sh_size: u64,
    pub sh_link: u32,
    pub sh_info: u32,
    pub sh_addralign: u64,
    pub sh_entsize: u64,
}

// loc: glue
/// Native integers read from a file of byte order `big`.
trait Swap: Copy {
    fn native(self, big: bool) -> Self;
}

macro_rules! swap {
    ($($t:ty),*) => {$(
        impl Swap for $t {
            #[inline(always)]
            fn native(self, big: bool) -> Self {
                if big { <$t>::from_be(self) } else { <$t>::from_le(self) }
            }
        }
    )*};
}
swap!(u16, u32, u64);

/// One ELF class: its structs and how to read the walk's fields from them.
trait Class {
    type Ehdr: Pod;
    type Shdr: Pod;
    const MIN_SHENTSIZE: u64;
    /// `e_shoff`, `e_shentsize`, `e_shnum`, `e_shstrndx`.
    fn header(h: &Self::Ehdr, big: bool) -> (u64, u64, u16, u16);
    /// `sh_name`, `sh_type`, `sh_offset`, `sh_size`, `sh_link`.
    fn section(s: &Self::Shdr, big: bool) -> (u32, u32, u64, u64, u32);
}

struct Elf32;
struct Elf64;

impl Class for Elf32 {
    type Ehdr = Elf32Ehdr;
    type Shdr = Elf32Shdr;
    const MIN_SHENTSIZE: u64 = 40;
    #[inline(always)]
    fn header(h: &Elf32Ehdr, big: bool) -> (u64, u64, u16, u16) {
        let shoff = h.e_shoff.native(big).into();
        (shoff, h.e_shentsize.native(big).into(), h.e_shnum.native(big), h.e_shstrndx.native(big))
    }
    #[inline(always)]
    fn section(s: &Elf32Shdr, big: bool) -> (u32, u32, u64, u64, u32) {
        let (offset, size) = (s.sh_offset.native(big).into(), s.sh_size.native(big).into());
        (s.sh_name.native(big), s.sh_type.native(big), offset, size, s.sh_link.native(big))
    }
}

impl Class for Elf64 {
    type Ehdr = Elf64Ehdr;
    type Shdr = Elf64Shdr;
    const MIN_SHENTSIZE: u64 = 64;
    #[inline(always)]
    fn header(h: &Elf64Ehdr, big: bool) -> (u64, u64, u16, u16) {
        let shoff = h.e_shoff.native(big);
        (shoff, h.e_shentsize.native(big).into(), h.e_shnum.native(big), h.e_shstrndx.native(big))
    }
    #[inline(always)]
    fn section(s: &Elf64Shdr, big: bool) -> (u32, u32, u64, u64, u32) {
        let (offset, size) = (s.sh_offset.native(big), s.sh_size.native(big));
        (s.sh_name.native(big), s.sh_type.native(big), offset, size, s.sh_link.native(big))
    }
}

/// The `T` at `at` in `bytes`, copied out whatever the alignment.
#[inline(always)]
fn read<T: Pod>(bytes: &[u8], at: usize) -> Option<T> {
    let end = at.checked_add(size_of::<T>())?;
    bytes.get(at..end).map(pod_read_unaligned)
}

#[inline(always)]
fn range<C: Class>(s: &C::Shdr, big: bool) -> Range {
    let (_, ty, offset, size, _) = C::section(s, big);
    Range { offset, size: if ty == SHT_NOBITS { 0 } else { size } }
}

// loc: walk
fn walk<C: Class>(file: &[u8], big: bool, name: &[u8]) -> Found {
    let h: C::Ehdr = read(file, 0).ok_or(Error("header"))?;
    let (shoff, entsize, shnum, shstrndx) = C::header(&h, big);
    if shoff == 0 {
        return Ok(None);
    }
    if entsize < C::MIN_SHENTSIZE {
        return Err(Error("e_shentsize"));
    }
    if !fits(file.len(), shoff, entsize, 1) {
        return Err(Error("section 0"));
    }
    let zero: C::Shdr = read(file, shoff as usize).ok_or(Error("section 0"))?;
    let (_, _, _, zero_size, zero_link) = C::section(&zero, big);
    let count = if shnum == 0 { zero_size } else { shnum.into() };
    let strndx = if shstrndx == SHN_XINDEX { zero_link.into() } else { u64::from(shstrndx) };
    if !fits(file.len(), shoff, entsize, count) {
        return Err(Error("table"));
    }
    let (shoff, entsize, count) = (shoff as usize, entsize as usize, count as usize);
    let table = &file[shoff..shoff + entsize * count];
    if strndx >= count as u64 {
        return Err(Error("e_shstrndx"));
    }
    let names: C::Shdr = read(table, strndx as usize * entsize).ok_or(Error("names"))?;
    let names = range::<C>(&names, big);
    if !fits(file.len(), names.offset, names.size, 1) {
        return Err(Error("name table"));
    }
    let names = &file[names.offset as usize..(names.offset + names.size) as usize];
    let mut found = None;
    for entry in table.chunks_exact(entsize) {
        let sh: C::Shdr = read(entry, 0).ok_or(Error("section"))?;
        if cstr_is(names, C::section(&sh, big).0, name) {
            if found.is_some() {
                return Err(Error("ambiguous"));
            }
            found = Some(range::<C>(&sh, big));
        }
    }
    match found {
        Some(r) if !fits(file.len(), r.offset, r.size, 1) => Err(Error("section data")),
        found => Ok(found),
    }
}

pub fn find_section(file: &[u8], name: &str) -> Found {
    let ident: [u8; 16] = read(file, 0).ok_or(Error("ident"))?;
    if ident[..4] != *b"\x7fELF" {
        return Err(Error("magic"));
    }
    let wide = match ident[4] {
        1 => false,
        2 => true,
        _ => return Err(Error("class")),
    };
    let big = match ident[5] {
        1 => false,
        2 => true,
        _ => return Err(Error("data")),
    };
    if wide {
        walk::<Elf64>(file, big, name.as_bytes())
    } else {
        walk::<Elf32>(file, big, name.as_bytes())
    }
}
// loc: end
