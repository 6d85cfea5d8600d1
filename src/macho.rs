//! Mach-O: the container is the section `__ji` of segment `__JULIA`. Walk:
//! header → load commands → sections of each `LC_SEGMENT`/`LC_SEGMENT_64`.
//!
//! References are to Apple's `<mach-o/loader.h>`; [`layout`] has every
//! number. Universal ("fat") files are split into slices by [`fat`] before
//! this navigator sees them.

#[cfg(feature = "std")]
pub(crate) mod data_library;
pub(crate) mod dependencies;
pub(crate) mod emit;
pub(crate) mod fat;
pub(crate) mod header;
#[cfg(feature = "std")]
pub(crate) mod inject;
pub(crate) mod layout;
pub(crate) mod sections;
pub(crate) mod symbols;
#[cfg(test)]
mod test_tools;

use self::header::section_range;
use self::layout::{mach_header, CMDSIZE_READ};
use crate::error::unique;
use crate::read::{Data, Source};
use crate::{Error, Image, Lookup};

#[inline]
pub(crate) fn find_section<'a, S: Source<'a>>(
    file: Data<'a, S>,
    names: &[u8; layout::SECTION_NAMES],
) -> Result<Lookup, Error> {
    let header = header::parse(file)?;
    let (width, mut found) = (header.width, None);
    for command in header.commands(CMDSIZE_READ) {
        let command = command?;
        if command.cmd != width.segment.cmd {
            continue;
        }
        // A section header starts with sectname and segname: one compare with the key.
        let named = |raw: &[u8]| raw.first_chunk() == Some(names);
        for section in command.section_headers(width)?.matching("Mach-O section header", width.section.len, named) {
            found = unique(found, section_range(section, width)?)?;
        }
    }
    Ok(Lookup { image: header.image, section: found })
}

/// What the image is, from its magic and `cputype` alone: unlike
/// [`find_section`], it does not depend on the load commands being sound.
pub(crate) fn identify(image: Data<'_>) -> Result<Image, Error> {
    let (endian, width) = header::magic(image)?;
    // The magic and cputype: the bytes before cpusubtype.
    let identity = image.with_endian(endian).fixed::<{ mach_header::CPUSUBTYPE as usize }>("Mach-O header", 0)?;
    let cputype = identity.u32(mach_header::CPUTYPE);
    Ok(header::identity(endian, width, cputype))
}
