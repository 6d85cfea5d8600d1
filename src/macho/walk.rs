//! The Mach-O navigator's load-command walk ([`super::find_section`]) on raw
//! bytes, one copy per byte order and width, with the rules of
//! [`LoadCommands`](super::header::LoadCommands): the lookup's hot loop, kept
//! apart so that the navigator reads as the walk it is.

use super::header::command_error;
use super::layout::{self, load_command, CMDSIZE_READ, SECTION, SECTION_64, WIDTH_32, WIDTH_64};
use crate::error::unique;
use crate::read::{Data, Fixed, Source};
use crate::{Endian, Error, FileRange};

/// The range of the one section named `names` in the `ncmds` load commands
/// `area` of the image `file`, of byte order `BIG` and width `WIDE`.
///
/// The rules are [`LoadCommands`](super::header::LoadCommands)' and
/// [`LoadCommand::section_headers`](super::header::LoadCommand::section_headers)',
/// checked on raw bytes: the commands are split off a slice, a command that
/// is not a segment costs one comparison of `cmd`, and the error of a broken
/// rule is what those report ([`command_error`]). The loop keeps only the
/// rest of the area, the commands left and the matching header in
/// registers: the error is rebuilt from `file` and the rest's length, the
/// match's range read once the walk is done.
#[inline(always)]
pub(super) fn segments<'a, const BIG: bool, const WIDE: bool, S: Source<'a>>(
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

/// [`header::section_range`](super::header::section_range) of the first [`SECTION_FIELDS`] bytes of a
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
