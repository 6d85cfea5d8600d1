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
#[cfg(feature = "std")]
pub(crate) mod platform;
pub(crate) mod sections;
pub(crate) mod symbols;
#[cfg(test)]
mod test_tools;
#[cfg(test)]
mod tests;
mod walk;

use self::layout::mach_header;
use crate::read::{Data, Source};
use crate::{Endian, Error, Image, Lookup};

/// The range of the one section named `names` (its `sectname` then
/// `segname`, NUL-padded, as a section header starts).
///
/// After the header, the walk is one of four copies of [`walk::segments`],
/// one per byte order and width: each command's `cmdsize`, which says where
/// the next command is, comes straight from one load with no run-time choice
/// of byte order or width between it and the next command's address, the
/// chain every lookup waits on.
#[inline]
pub(crate) fn find_section<'a, S: Source<'a>>(
    file: Data<'a, S>,
    names: &[u8; layout::SECTION_NAMES],
) -> Result<Lookup, Error> {
    let header = header::parse(file)?;
    let (area, ncmds) = (header.commands.bytes, header.ncmds);
    let section = match (header.image.endian, header.width.wide) {
        (Endian::Little, true) => walk::segments::<false, true, S>(file, area, ncmds, names),
        (Endian::Little, false) => walk::segments::<false, false, S>(file, area, ncmds, names),
        (Endian::Big, true) => walk::segments::<true, true, S>(file, area, ncmds, names),
        (Endian::Big, false) => walk::segments::<true, false, S>(file, area, ncmds, names),
    }?;
    Ok(Lookup { image: header.image, section })
}

/// What the image is, from its magic and `cputype` alone: unlike
/// [`find_section`], it does not depend on the load commands being sound.
pub(crate) fn identify<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Image, Error> {
    let (endian, width) = header::magic(image)?;
    // The magic and cputype: the bytes before cpusubtype.
    let identity = image.with_endian(endian).fixed::<{ mach_header::CPUSUBTYPE as usize }>("Mach-O header", 0)?;
    let cputype = identity.u32(mach_header::CPUTYPE);
    Ok(header::identity(endian, width, cputype))
}
