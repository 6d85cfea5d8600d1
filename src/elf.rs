//! ELF: the container is the section whose name in the section name table is
//! `.jlji`. Walk: ELF header → section header table → name table → names.
//!
//! References are to the System V gABI, chapter 4 ("ELF Header", "Sections").

pub(crate) mod emit;
#[cfg(feature = "std")]
pub(crate) mod inject;

use crate::error::unique;
use crate::read::{first_u32, Data};
use crate::{Arch, Endian, Error, FileRange, Format, Image, Lookup};

/// `e_shstrndx` escape: the real index is in section 0's `sh_link`.
const SHN_XINDEX: u16 = 0xffff;
/// A section that occupies no file bytes (`.bss`); its `sh_offset` is nominal.
const SHT_NOBITS: u32 = 8;

#[inline]
pub(crate) fn find_section(file: Data<'_>, name: &[u8]) -> Result<Lookup, Error> {
    let ident = file.table("ELF identification", 0, 16, 1)?;
    let wide = match ident.u8(4)? {
        1 => false,
        2 => true,
        v => return Err(Error::invalid("ELF EI_CLASS", 4, v, "1 (32-bit) or 2 (64-bit)")),
    };
    let endian = match ident.u8(5)? {
        1 => Endian::Little,
        2 => Endian::Big,
        v => return Err(Error::invalid("ELF EI_DATA", 5, v, "1 (little) or 2 (big endian)")),
    };
    let file = file.with_endian(endian);
    // The 32- and 64-bit headers differ only in the width of e_entry, e_phoff, e_shoff.
    let (size, shoff, tail) = if wide { (64, 40, 58) } else { (52, 32, 46) };
    let header = file.table("ELF header", 0, size, 1)?;
    let arch = Arch::from_elf(header.u16(18)?, wide);
    let image = Image { format: Format::Elf, arch, bits: if wide { 64 } else { 32 }, endian };
    let (shoff, entsize) = (header.word(shoff, wide)?, u64::from(header.u16(tail)?));
    let (shnum, shstrndx) = (header.u16(tail.saturating_add(2))?, header.u16(tail.saturating_add(4))?);
    if shoff == 0 {
        return Ok(Lookup { image, section: None });
    }
    // Section header field offsets: sh_name 0, sh_type 4, sh_offset, sh_size, sh_link.
    let (min, offset_at, size_at, link_at) = if wide { (64, 24, 32, 40) } else { (40, 16, 20, 24) };
    if entsize < min {
        return Err(Error::invalid("ELF e_shentsize", tail, entsize, "at least 40 (32-bit) or 64 (64-bit)"));
    }
    // "Extended Section Numbering": counts that overflow 16 bits live in section 0.
    let zero = file.table("ELF section header 0", shoff, entsize, 1)?;
    let count = if shnum == 0 { zero.word(size_at, wide)? } else { u64::from(shnum) };
    let strndx = if shstrndx == SHN_XINDEX { u64::from(zero.u32(link_at)?) } else { u64::from(shstrndx) };
    let table = file.table("ELF section header table", shoff, entsize, count)?;
    // sh_type, sh_offset and sh_size are in the first 40 bytes of either header.
    let range = |sh: Data<'_>| -> Result<FileRange, Error> {
        let sh = sh.fixed::<40>("ELF section header", 0)?;
        let size = if sh.u32(4) == SHT_NOBITS { 0 } else { sh.word(size_at, wide) };
        Ok(FileRange { offset: sh.word(offset_at, wide), size })
    };
    let names = range(table.entry("ELF section name table header", strndx, entsize)?)?;
    let names = file.table("ELF section name table", names.offset, names.size, 1)?;
    let (mut found, endian) = (None, file.endian);
    let named = |sh: &[u8]| first_u32(sh, endian).is_some_and(|at| names.cstr_is(u64::from(at), name));
    for sh in table.matching("ELF section header", entsize, named) {
        found = unique(found, range(sh)?)?;
    }
    Ok(Lookup { image, section: found })
}
