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

use self::header::command_error;
use self::layout::{load_command, mach_header, CMDSIZE_READ, SECTION, SECTION_64, WIDTH_32, WIDTH_64};
use crate::error::unique;
use crate::read::{Data, Fixed, Source};
use crate::{Endian, Error, FileRange, Image, Lookup};

/// The range of the one section named `names` (its `sectname` then
/// `segname`, NUL-padded, as a section header starts).
///
/// After the header, the walk is one of four copies, one per byte order and
/// width: each command's `cmdsize`, which says where the next command is,
/// comes straight from one load with no run-time choice of byte order or
/// width between it and the next command's address, the chain every lookup
/// waits on.
#[inline]
pub(crate) fn find_section<'a, S: Source<'a>>(
    file: Data<'a, S>,
    names: &[u8; layout::SECTION_NAMES],
) -> Result<Lookup, Error> {
    let header = header::parse(file)?;
    let (area, ncmds) = (header.commands.bytes, header.ncmds);
    let section = match (header.image.endian, header.width.wide) {
        (Endian::Little, true) => segments::<false, true, S>(file, area, ncmds, names),
        (Endian::Little, false) => segments::<false, false, S>(file, area, ncmds, names),
        (Endian::Big, true) => segments::<true, true, S>(file, area, ncmds, names),
        (Endian::Big, false) => segments::<true, false, S>(file, area, ncmds, names),
    }?;
    Ok(Lookup { image: header.image, section })
}

/// The range of the one section named `names` in the `ncmds` load commands
/// `area` of the image `file`, of byte order `BIG` and width `WIDE`.
///
/// The rules are [`LoadCommands`](header::LoadCommands)' and
/// [`LoadCommand::section_headers`](header::LoadCommand::section_headers)',
/// checked on raw bytes: the commands are split off a slice, a command that
/// is not a segment costs one comparison of `cmd`, and the error of a broken
/// rule is what those report ([`command_error`]). The loop keeps only the
/// rest of the area, the commands left and the matching header in
/// registers: the error is rebuilt from `file` and the rest's length, the
/// match's range read once the walk is done.
#[inline(always)]
fn segments<'a, const BIG: bool, const WIDE: bool, S: Source<'a>>(
    file: Data<'a, S>,
    area: &[u8],
    ncmds: u32,
    names: &[u8; layout::SECTION_NAMES],
) -> Result<Option<FileRange>, Error> {
    let endian = if BIG { Endian::Big } else { Endian::Little };
    let width = if WIDE { WIDTH_64 } else { WIDTH_32 };
    let (segment, section) = (width.segment, width.section);
    let fail = |rest: &[u8]| command_error(file.bytes, file.base, file.what, file.source, rest.len());
    let (mut rest, mut left, mut found) = (area, ncmds, None);
    while let Some(fewer) = left.checked_sub(1) {
        left = fewer;
        // `parse` checked room for 8 bytes per command, but larger commands before may have used it.
        let Some((&cmd, &cmdsize)) = fields(rest) else {
            return Err(fail(rest));
        };
        let (cmd, cmdsize) = (endian.u32(cmd), endian.u32(cmdsize));
        if u64::from(cmdsize) < load_command::LEN || cmdsize & CMDSIZE_READ.multiple.wrapping_sub(1) != 0 {
            return Err(fail(rest));
        }
        let Some((command, next)) = usize::try_from(cmdsize).ok().and_then(|len| rest.split_at_checked(len)) else {
            return Err(fail(rest));
        };
        if cmd == segment.cmd {
            // The segment command, then nsects section headers inside cmdsize.
            let Some((fixed, headers)) = command.split_at_checked(usize_of(segment.len)) else {
                return Err(fail(rest));
            };
            let nsects = fixed.get(usize_of(segment.nsects)..).and_then(|field| field.first_chunk::<4>());
            let len = nsects.and_then(|&n| usize::try_from(u64::from(endian.u32(n)).checked_mul(section.len)?).ok());
            let Some(mut headers) = len.and_then(|len| headers.get(..len)) else {
                return Err(fail(rest));
            };
            while let Some((header, after)) = headers.split_at_checked(usize_of(section.len)) {
                headers = after;
                // A whole header: its first bytes are always there.
                let Some(fields) = header.first_chunk::<SECTION_FIELDS>() else { continue };
                // Most names differ in their first 8 bytes: one load rejects them.
                if fields.first_chunk::<8>() != names.first_chunk::<8>() {
                    continue;
                }
                if fields.first_chunk() == Some(names) {
                    // Exactly one: the second match is an error naming both.
                    if let Some(first) = found {
                        let first = section_range::<WIDE>(first, endian);
                        return unique(Some(first), section_range::<WIDE>(fields, endian)).map(|_| None);
                    }
                    found = Some(fields);
                }
            }
        }
        rest = next;
    }
    Ok(found.map(|header| section_range::<WIDE>(header, endian)))
}

/// A load command's `cmd` and `cmdsize` fields, raw: one bounds check, and
/// two loads, so that `cmdsize` is used as soon as it is loaded.
#[inline(always)]
fn fields(command: &[u8]) -> Option<(&[u8; 4], &[u8; 4])> {
    let (cmd, cmdsize) = command.first_chunk::<{ load_command::LEN as usize }>()?.split_first_chunk::<4>()?;
    Some((cmd, cmdsize.first_chunk::<4>()?))
}

/// `n`, an offset or size from [`layout`], as an index (a constant).
#[inline(always)]
fn usize_of(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// [`header::section_range`] of the first [`SECTION_FIELDS`] bytes of a
/// section header of width `WIDE`, which hold every field it reads.
#[inline(always)]
fn section_range<const WIDE: bool>(bytes: &[u8; SECTION_FIELDS], endian: Endian) -> FileRange {
    let (fields, section) = (Fixed { bytes, endian }, if WIDE { SECTION_64 } else { SECTION });
    let size = match layout::is_zerofill(fields.u32(section.flags)) {
        true => 0,
        false => fields.word(section.size, WIDE),
    };
    FileRange { offset: u64::from(fields.u32(section.offset)), size }
}

/// The bytes of a section header up to the end of `flags`, the last field
/// the lookup reads: all of a `section`, the start of a `section_64`.
const SECTION_FIELDS: usize = 68;
const _: () = assert!(
    SECTION.len == SECTION_FIELDS as u64
        && SECTION.flags + 4 <= SECTION_FIELDS as u64
        && SECTION.offset + 4 <= SECTION_FIELDS as u64
        && SECTION.size + 4 <= SECTION_FIELDS as u64
        && SECTION_64.flags + 4 <= SECTION_FIELDS as u64
        && SECTION_64.offset + 4 <= SECTION_FIELDS as u64
        && SECTION_64.size + 8 <= SECTION_FIELDS as u64
);

/// What the image is, from its magic and `cputype` alone: unlike
/// [`find_section`], it does not depend on the load commands being sound.
pub(crate) fn identify<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Image, Error> {
    let (endian, width) = header::magic(image)?;
    // The magic and cputype: the bytes before cpusubtype.
    let identity = image.with_endian(endian).fixed::<{ mach_header::CPUSUBTYPE as usize }>("Mach-O header", 0)?;
    let cputype = identity.u32(mach_header::CPUTYPE);
    Ok(header::identity(endian, width, cputype))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::header::section_range;
    use super::layout::{Width, SECTION_NAMES};
    use super::test_tools::{images, machos};
    use super::*;

    /// The walk as it was before [`segments`]: the load-command iterator, a
    /// view per command and per matching section header. The reference the
    /// navigator must agree with, result for result and error for error.
    fn reference(file: Data<'_>, names: &[u8; SECTION_NAMES]) -> Result<Lookup, Error> {
        let header = header::parse(file)?;
        let (width, mut found) = (header.width, None);
        for command in header.commands(CMDSIZE_READ) {
            let command = command?;
            if command.cmd != width.segment.cmd {
                continue;
            }
            let named = |raw: &[u8]| raw.first_chunk() == Some(names);
            for section in command.section_headers(width)?.matching("Mach-O section header", width.section.len, named) {
                found = unique(found, section_range(section, width)?)?;
            }
        }
        Ok(Lookup { image: header.image, section: found })
    }

    fn key(segment: &[u8], section: &[u8]) -> [u8; SECTION_NAMES] {
        let mut key = [0u8; SECTION_NAMES];
        key[..section.len()].copy_from_slice(section);
        key[16..16 + segment.len()].copy_from_slice(segment);
        key
    }

    /// The header's width and end of the load commands, if the header is sound.
    fn extent(image: &[u8]) -> Option<(Width, usize)> {
        let header = header::parse(Data::new(image, 0, "the slice")).ok()?;
        Some((header.width, (header.width.header_len + header.commands.len()) as usize))
    }

    /// `image` (a sound little-endian one) with every field the navigator
    /// reads byte-swapped: the same walk in a big-endian image.
    fn big_endian(image: &[u8]) -> Vec<u8> {
        let (width, end) = extent(image).unwrap();
        let mut out = image.to_vec();
        let swap = |out: &mut Vec<u8>, at: usize, len: usize| out[at..at + len].reverse();
        for word in 0..7 {
            swap(&mut out, word * 4, 4);
        }
        let mut at = width.header_len as usize;
        while at + 8 <= end {
            let cmd = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
            let cmdsize = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
            swap(&mut out, at, 4);
            swap(&mut out, at + 4, 4);
            if cmd == width.segment.cmd {
                let nsects_at = at + width.segment.nsects as usize;
                let nsects = u32::from_le_bytes(image[nsects_at..nsects_at + 4].try_into().unwrap()) as usize;
                swap(&mut out, nsects_at, 4);
                for i in 0..nsects {
                    let s = at + width.segment.len as usize + i * width.section.len as usize;
                    swap(&mut out, s + width.section.size as usize, if width.wide { 8 } else { 4 });
                    swap(&mut out, s + width.section.offset as usize, 4);
                    swap(&mut out, s + width.section.flags as usize, 4);
                }
            }
            at += cmdsize.max(8);
        }
        out
    }

    /// `image` with the first section header not named `names` renamed to
    /// it, if it has one: two sections of that name.
    fn twice(image: &[u8], names: &[u8; SECTION_NAMES]) -> Option<Vec<u8>> {
        let (width, end) = extent(image)?;
        let mut at = width.header_len as usize;
        while at + 8 <= end {
            let cmd = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
            let cmdsize = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
            if cmd == width.segment.cmd {
                let nsects_at = at + width.segment.nsects as usize;
                let nsects = u32::from_le_bytes(image[nsects_at..nsects_at + 4].try_into().unwrap()) as usize;
                for i in 0..nsects {
                    let s = at + width.segment.len as usize + i * width.section.len as usize;
                    if &image[s..s + SECTION_NAMES] != names {
                        let mut out = image.to_vec();
                        out[s..s + SECTION_NAMES].copy_from_slice(names);
                        return Some(out);
                    }
                }
            }
            at += cmdsize.max(8);
        }
        None
    }

    /// Which of the walk's checks `error` comes from.
    fn kind(error: &Error) -> &'static str {
        match error {
            Error::Truncated { scope: "Mach-O load command", size: 4, .. } => "nsects",
            Error::Truncated { what: "Mach-O load command", .. } => "command",
            Error::Truncated { what: "Mach-O load commands", .. } => "commands",
            Error::Truncated { what: "Mach-O section headers", .. } => "section headers",
            Error::Invalid { what: "Mach-O cmdsize", .. } => "cmdsize",
            Error::Invalid { what: "Mach-O ncmds", .. } => "ncmds",
            Error::Ambiguous { .. } => "ambiguous",
            _ => "other",
        }
    }

    /// The navigator and the reference agree on `image` at `base`, for each name.
    fn agree(image: &[u8], base: u64, names: &[[u8; SECTION_NAMES]]) -> usize {
        let view = Data::new(image, base, "the slice");
        for names in names {
            assert_eq!(find_section(view, names), reference(view, names), "{image:02x?}");
        }
        names.len()
    }

    /// The four copies of the walk against the load-command iterator on every
    /// Mach-O image at hand, little- and big-endian, 32- and 64-bit: as they
    /// are, with two sections of one name, cut at every length up to the end
    /// of the load commands, and with every byte up to there set to values
    /// that break counts, sizes and names.
    #[test]
    fn the_walk_agrees_with_the_load_command_iterator() {
        let container = key(b"__JULIA", b"__ji");
        let names = [container, key(b"__TEXT", b"__text"), key(b"__DATA", b"__bss"), [0; SECTION_NAMES]];
        let (mut checked, mut widths, mut seen) = (0, [false; 2], std::collections::BTreeSet::new());
        for (path, file) in machos() {
            for (base, image) in images(&file) {
                let Some((width, end)) = extent(image) else { continue };
                widths[usize::from(width.wide)] = true;
                let mut variants = vec![image.to_vec(), big_endian(image)];
                variants.extend(twice(image, &container));
                variants.extend(twice(image, &names[1]));
                for bytes in &variants {
                    let end = end.min(bytes.len());
                    checked += agree(bytes, base, &names);
                    for len in 0..end {
                        checked += agree(&bytes[..len], base, &names);
                    }
                    let mut damaged = bytes.clone();
                    for at in 0..end {
                        for value in [0x00, 0x01, 0x04, 0x7f, 0x80, 0xff, bytes[at] ^ 0x01, bytes[at] ^ 0x04] {
                            damaged[at] = value;
                            checked += agree(&damaged, base, &names);
                            if let Err(error) = find_section(Data::new(&damaged, base, "the slice"), &container) {
                                seen.insert(kind(&error));
                            }
                        }
                        damaged[at] = bytes[at];
                    }
                }
                eprintln!("{}: slice at {base} agrees", path.display());
            }
        }
        assert_eq!(widths, [true, true], "both widths compared");
        assert!(checked > 1_000_000, "{checked} lookups");
        // Every rule the walk checks was broken somewhere, and reported alike.
        let every = ["ambiguous", "cmdsize", "command", "commands", "ncmds", "nsects", "section headers"];
        assert!(every.iter().all(|k| seen.contains(k)), "errors seen: {seen:?}");
    }
}
