//! scroll written the way pkgimg's walk is: the same derived structs as
//! `with_scroll` for the ELF header, section 0 and the name table's header,
//! but the loop reads only each entry's `sh_name` (`pread_with::<u32>`) and
//! compares bytes (`cstr_is`), reading a whole header only for a match.
//! Not how scroll is usually used: it separates the cost of scroll's reads
//! from the cost of reading whole structs.

use scroll::{Endian, Pread};

use crate::with_scroll::{header, section};
use crate::{cstr_is, fits, Error, Found, SHN_XINDEX};

// loc: walk (plus with_scroll's structs and glue)
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
        let at: u32 = table.pread_with(i * entsize, endian).map_err(|_| Error("sh_name"))?;
        if cstr_is(names, at, name) {
            if found.is_some() {
                return Err(Error("ambiguous"));
            }
            found = Some(section(table, i * entsize, wide, endian).map_err(|_| Error("section"))?.range());
        }
    }
    match found {
        Some(r) if !fits(file.len(), r.offset, r.size, 1) => Err(Error("section data")),
        found => Ok(found),
    }
}
// loc: end
