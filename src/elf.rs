//! ELF: the container is the section whose name in the section name table is
//! `.jlji`. Walk: ELF header → section header table → name table → names.
//!
//! References are to the System V gABI, chapter 4 ("ELF Header", "Sections");
//! [`layout`] holds its constants and structure layouts, [`header`] reads them.

#[cfg(feature = "std")]
pub(crate) mod data_library;
pub(crate) mod dependencies;
mod dynamic;
pub(crate) mod emit;
mod header;
#[cfg(feature = "std")]
pub(crate) mod inject;
pub(crate) mod layout;
pub(crate) mod sections;
mod segments;
pub(crate) mod symbols;
#[cfg(test)]
pub(crate) mod testutil;

use header::Header;

use crate::read::{Data, Source};
use crate::{Error, Image, Lookup};

#[inline]
pub(crate) fn find_section<'a, S: Source<'a>>(image: Data<'a, S>, name: &[u8]) -> Result<Lookup, Error> {
    let header = Header::parse(image)?;
    // A file without a section header table (e_shoff 0) has no sections to find.
    let Some(table) = header.section_table()? else {
        return Ok(Lookup { image: header.image, section: None });
    };
    let section = table.find(table.names()?, name)?;
    Ok(Lookup { image: header.image, section })
}

/// What `image` is, from its identification and `e_machine` alone: unlike
/// [`find_section`], it does not fail on a broken section table.
pub(crate) fn identify<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Image, Error> {
    Header::parse(image).map(|header| header.image)
}

/// [`identify`], with `e_flags`: the processor flags (float ABI, ISA, ABI
/// version) that glibc matches against the running process's where the
/// machine alone does not tell (`elf_machine_matches_host`).
#[cfg(feature = "std")]
#[inline(always)]
pub(crate) fn identify_with_flags<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<(Image, u32), Error> {
    let header = Header::parse(image)?;
    Ok((header.image, header.fields.u32(header.class().file.e_flags)?))
}
