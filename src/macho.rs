//! Mach-O: the container is the section `__ji` of segment `__JULIA`. Walk:
//! header → load commands → sections of each `LC_SEGMENT`/`LC_SEGMENT_64`.
//!
//! References are to Apple's `<mach-o/loader.h>`. Universal ("fat") files are
//! split into slices by [`fat`] before this navigator sees them.

pub(crate) mod emit;
pub(crate) mod fat;
#[cfg(feature = "std")]
pub(crate) mod inject;

use crate::error::unique;
use crate::read::Data;
use crate::{Arch, Endian, Error, FileRange, Format, Image, Lookup};

/// Section types whose bytes are not in the file (`S_ZEROFILL`,
/// `S_GB_ZEROFILL`, `S_THREAD_LOCAL_ZEROFILL`): their `offset` is meaningless.
const ZEROFILL: [u32; 3] = [0x1, 0xc, 0x12];

#[inline]
pub(crate) fn find_section(file: Data<'_>, names: &[u8; 32]) -> Result<Lookup, Error> {
    // MH_MAGIC / MH_MAGIC_64 in the file's own byte order.
    let (endian, wide) = match file.table("Mach-O header", 0, 4, 1)?.bytes {
        [0xce, 0xfa, 0xed, 0xfe] => (Endian::Little, false),
        [0xcf, 0xfa, 0xed, 0xfe] => (Endian::Little, true),
        [0xfe, 0xed, 0xfa, 0xce] => (Endian::Big, false),
        [0xfe, 0xed, 0xfa, 0xcf] => (Endian::Big, true),
        _ => return Err(Error::unknown_format(file.bytes)),
    };
    let file = file.with_endian(endian);
    // Sizes of mach_header(_64) and segment_command(_64), where nsects is, and
    // the size of the section(_64) headers that follow a segment command.
    let (size, segment_cmd, segment_size, nsects_at, section_size) =
        if wide { (32, 0x19, 72, 64, 80) } else { (28, 0x1, 56, 48, 68) };
    let header = file.table("Mach-O header", 0, size, 1)?;
    let arch = Arch::from_macho(header.u32(4)?);
    let image = Image { format: Format::MachO, arch, bits: if wide { 64 } else { 32 }, endian };
    let (ncmds, sizeofcmds) = (header.u32(16)?, header.u32(20)?);
    let commands = file.table("Mach-O load commands", size, u64::from(sizeofcmds), 1)?;
    // Every command is at least 8 bytes, so the count is checked before any loop.
    if u64::from(ncmds) > commands.len() / 8 {
        return Err(Error::invalid("Mach-O ncmds", 16, ncmds, "at most sizeofcmds / 8"));
    }
    let (mut at, mut found) = (0u64, None);
    for _ in 0..ncmds {
        let [cmd, cmdsize] = commands.u32_pair("Mach-O load command", at)?;
        if cmdsize < 8 || cmdsize % 4 != 0 {
            let offset = commands.base.saturating_add(at).saturating_add(4);
            return Err(Error::invalid("Mach-O cmdsize", offset, cmdsize, "a multiple of 4, at least 8"));
        }
        let command = commands.table("Mach-O load command", at, u64::from(cmdsize), 1)?;
        at = at.saturating_add(u64::from(cmdsize)); // cannot saturate: bounded by sizeofcmds
        if cmd != segment_cmd {
            continue;
        }
        let nsects = command.u32(nsects_at)?;
        let sections = command.table("Mach-O section headers", segment_size, section_size, u64::from(nsects))?;
        let named = |header: &[u8]| header.first_chunk::<32>() == Some(names);
        for header in sections.matching("Mach-O section header", section_size, named) {
            let (size_at, offset_at, flags_at) = if wide { (40, 48, 64) } else { (36, 40, 56) };
            let zerofill = ZEROFILL.contains(&(header.u32(flags_at)? & 0xff));
            let size = if zerofill { 0 } else { header.word(size_at, wide)? };
            found = unique(found, FileRange { offset: u64::from(header.u32(offset_at)?), size })?;
        }
    }
    Ok(Lookup { image, section: found })
}
