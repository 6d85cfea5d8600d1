//! scroll as its users write it (goblin's ELF reader is built the same way):
//! `#[derive(Pread)]` structs for both classes, each read whole with
//! `pread_with(offset, endian)`, then widened to one class-independent view;
//! names read with `pread::<&str>`.

use scroll::{Endian, Pread};

use crate::{fits, Error, Found, Range, SHN_XINDEX, SHT_NOBITS};

// loc: structs (loc.py counts the code between these markers)
#[derive(Pread, Clone, Copy)]
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

#[derive(Pread, Clone, Copy)]
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

#[derive(Pread, Clone, Copy)]
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

#[derive(Pread, Clone, Copy)]
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
/// The fields the walk needs, whatever the class.
pub(crate) struct Header {
    pub shoff: u64,
    pub shentsize: u64,
    pub shnum: u16,
    pub shstrndx: u16,
}

pub(crate) struct Section {
    pub name: u32,
    pub ty: u32,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
}

impl Section {
    pub fn range(&self) -> Range {
        Range { offset: self.offset, size: if self.ty == SHT_NOBITS { 0 } else { self.size } }
    }
}

pub(crate) fn header(file: &[u8], wide: bool, endian: Endian) -> Result<Header, scroll::Error> {
    Ok(if wide {
        let h: Elf64Ehdr = file.pread_with(0, endian)?;
        Header { shoff: h.e_shoff, shentsize: h.e_shentsize.into(), shnum: h.e_shnum, shstrndx: h.e_shstrndx }
    } else {
        let h: Elf32Ehdr = file.pread_with(0, endian)?;
        Header { shoff: h.e_shoff.into(), shentsize: h.e_shentsize.into(), shnum: h.e_shnum, shstrndx: h.e_shstrndx }
    })
}

pub(crate) fn section(bytes: &[u8], at: usize, wide: bool, endian: Endian) -> Result<Section, scroll::Error> {
    Ok(if wide {
        let s: Elf64Shdr = bytes.pread_with(at, endian)?;
        Section { name: s.sh_name, ty: s.sh_type, offset: s.sh_offset, size: s.sh_size, link: s.sh_link }
    } else {
        let s: Elf32Shdr = bytes.pread_with(at, endian)?;
        let (offset, size) = (s.sh_offset.into(), s.sh_size.into());
        Section { name: s.sh_name, ty: s.sh_type, offset, size, link: s.sh_link }
    })
}

// loc: walk
pub fn find_section(file: &[u8], name: &str) -> Found {
    let name = name.as_bytes();
    let ident: [u8; 16] = file.pread(0).map_err(|_| Error("ident"))?;
    if ident[..4] != *b"\x7fELF" {
        return Err(Error("magic"));
    }
    let wide = match ident[4] {
        1 => false,
        2 => true,
        _ => return Err(Error("class")),
    };
    let endian = match ident[5] {
        1 => Endian::Little,
        2 => Endian::Big,
        _ => return Err(Error("data")),
    };
    let h = header(file, wide, endian).map_err(|_| Error("header"))?;
    if h.shoff == 0 {
        return Ok(None);
    }
    if h.shentsize < if wide { 64 } else { 40 } {
        return Err(Error("e_shentsize"));
    }
    let shoff = usize::try_from(h.shoff).map_err(|_| Error("e_shoff"))?;
    if !fits(file.len(), h.shoff, h.shentsize, 1) {
        return Err(Error("section 0"));
    }
    let zero = section(file, shoff, wide, endian).map_err(|_| Error("section 0"))?;
    let count = if h.shnum == 0 { zero.size } else { h.shnum.into() };
    let strndx = if h.shstrndx == SHN_XINDEX { zero.link.into() } else { u64::from(h.shstrndx) };
    if !fits(file.len(), h.shoff, h.shentsize, count) {
        return Err(Error("table"));
    }
    let (entsize, count) = (h.shentsize as usize, count as usize);
    let table = &file[shoff..shoff + entsize * count];
    if strndx >= count as u64 {
        return Err(Error("e_shstrndx"));
    }
    let names = section(table, strndx as usize * entsize, wide, endian).map_err(|_| Error("names"))?.range();
    if !fits(file.len(), names.offset, names.size, 1) {
        return Err(Error("name table"));
    }
    let names = &file[names.offset as usize..(names.offset + names.size) as usize];
    let mut found = None;
    for i in 0..count {
        let sh = section(table, i * entsize, wide, endian).map_err(|_| Error("section"))?;
        let matches = match names.pread::<&str>(sh.name as usize) {
            // The string must end with a NUL inside the table.
            Ok(s) => s.as_bytes() == name && (sh.name as usize) + s.len() < names.len(),
            Err(_) => false,
        };
        if matches {
            if found.is_some() {
                return Err(Error("ambiguous"));
            }
            found = Some(sh.range());
        }
    }
    match found {
        Some(r) if !fits(file.len(), r.offset, r.size, 1) => Err(Error("section data")),
        found => Ok(found),
    }
}
// loc: end
