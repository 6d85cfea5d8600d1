//! Chained fixups (`<mach-o/fixup-chains.h>`) index their per-segment table
//! by segment number, and dyld refuses an image whose `seg_count` differs
//! from its number of segments (dyld's `validChainedFixupsInfo`). A new
//! `__JULIA` segment therefore gets an entry (0: no fixups), and the blob
//! grows by [`FIXUPS_GROWTH`] bytes.

use super::parse::Parsed;
use super::place::Place;
use super::refuse;
use crate::macho::layout::{dyld_chained_fixups_header as header, dyld_chained_starts_in_image as starts_in_image};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::{Bytes, Misfit, Patch};
use crate::{Endian, Format};

/// What the blob grows by: one `seg_info_offset` entry and 4 bytes of
/// padding, so what follows keeps its 8-byte alignment.
pub(super) const FIXUPS_GROWTH: u64 = 8;
const _: () = assert!(FIXUPS_GROWTH == starts_in_image::ENTRY_LEN + 4);

/// The chained fixups' range in the slice, and the grown blob if the new
/// `__JULIA` is to be described (none when an old one is rewritten in place).
#[allow(clippy::type_complexity)]
pub(super) fn plan(
    parsed: &Parsed<'_>,
    image: Data<'_>,
    place: &Place,
) -> Result<(Option<(u64, u64)>, Option<Vec<u8>>), InjectError> {
    let Some((_, off, size)) = parsed.fixups else { return Ok((None, None)) };
    let blob = image.table("LC_DYLD_CHAINED_FIXUPS data", off, size, 1)?;
    let before = |command: usize| parsed.segments.iter().filter(|s| s.command < command).count();
    let grown = match place.old {
        None => Some(grow_fixups(blob, parsed.segments.len(), before(place.linkedit.command))?),
        Some(old) => {
            check_no_fixups(blob, before(old.command))?;
            None
        }
    };
    Ok((Some((off, off.saturating_add(size))), grown))
}

/// A field of the blob at `base` that no longer fits its 32 bits.
fn too_large(base: u64) -> impl Fn(Misfit) -> InjectError {
    move |m| refuse("Mach-O layout", base, format!("{} overflows; the output would be too large for Mach-O", m.field))
}

/// The chained-fixups blob with a zero entry for a new segment at `index` in
/// `dyld_chained_starts_in_image.seg_info_offset`, and 4 bytes of padding
/// after that array.
fn grow_fixups(blob: Data<'_>, segments: usize, index: usize) -> Result<Vec<u8>, InjectError> {
    let structure = "Mach-O chained fixups";
    let too_large = too_large(blob.base);
    let starts = u64::from(blob.u32(header::STARTS_OFFSET)?);
    let imports = u64::from(blob.u32(header::IMPORTS_OFFSET)?);
    let symbols = u64::from(blob.u32(header::SYMBOLS_OFFSET)?);
    let count = blob.u32(starts.saturating_add(starts_in_image::SEG_COUNT))?;
    if usize::try_from(count).ok() != Some(segments) {
        return Err(refuse(
            structure,
            blob.base.saturating_add(starts),
            format!("seg_count is {count}, but the image has {segments} segments; dyld would refuse it"),
        ));
    }
    let array_at = starts.saturating_add(starts_in_image::SEG_INFO_OFFSET);
    let array_end = array_at.saturating_add(u64::from(count).saturating_mul(starts_in_image::ENTRY_LEN));
    if imports < array_end || symbols < array_end || starts < header::LEN {
        return Err(refuse(structure, blob.base, "the header's tables overlap dyld_chained_starts_in_image"));
    }
    let mut out = Bytes::new(Format::MachO, Endian::Little);
    out.raw(blob.table(structure, 0, starts, 1)?.bytes);
    let mut moved = Patch::new(&mut out.bytes, Format::MachO, Endian::Little, true);
    let grown = |offset: u64| offset.saturating_add(FIXUPS_GROWTH);
    moved.u32("imports_offset", header::IMPORTS_OFFSET, grown(imports)).map_err(&too_large)?;
    moved.u32("symbols_offset", header::SYMBOLS_OFFSET, grown(symbols)).map_err(&too_large)?;
    out.u32_field("seg_count", u64::from(count).saturating_add(1)).map_err(&too_large)?;
    let array = blob.table("dyld_chained_starts_in_image", array_at, starts_in_image::ENTRY_LEN, u64::from(count))?;
    for (i, entry) in array.entries("seg_info_offset", starts_in_image::ENTRY_LEN).enumerate() {
        if i == index {
            out.u32(0);
        }
        let offset = u64::from(entry.u32(0)?);
        // Offsets are from the start of dyld_chained_starts_in_image.
        let new = match offset {
            0 => 0,
            offset if offset >= array_end.saturating_sub(starts) => grown(offset),
            _ => {
                return Err(refuse(structure, entry.base, "a seg_info_offset points inside the seg_info_offset array"))
            }
        };
        out.u32_field("seg_info_offset", new).map_err(&too_large)?;
    }
    if index >= segments {
        out.u32(0);
    }
    out.u32(0); // padding
    out.raw(blob.table(structure, array_end, blob.len().saturating_sub(array_end), 1)?.bytes);
    Ok(out.bytes)
}

/// An existing `__JULIA` (segment number `index`) must have no fixups.
fn check_no_fixups(blob: Data<'_>, index: usize) -> Result<(), InjectError> {
    let starts = u64::from(blob.u32(header::STARTS_OFFSET)?);
    let count = blob.u32(starts.saturating_add(starts_in_image::SEG_COUNT))?;
    let array_at = starts.saturating_add(starts_in_image::SEG_INFO_OFFSET);
    let entry = array_at.saturating_add((index as u64).saturating_mul(starts_in_image::ENTRY_LEN));
    if (index as u64) < u64::from(count) && blob.u32(entry)? != 0 {
        return Err(refuse(
            "Mach-O chained fixups",
            blob.base.saturating_add(entry),
            "the existing __JULIA segment has fixups; it was not made by this tool and cannot be replaced",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A `dyld_chained_fixups_header` blob written by hand from
    /// `<mach-o/fixup-chains.h>`: 4 segments, fixups in segment 1.
    fn fixups_blob() -> Vec<u8> {
        let mut b = Vec::new();
        // header: version, starts_offset, imports_offset, symbols_offset,
        // imports_count, imports_format (DYLD_CHAINED_IMPORT), symbols_format; pad to 32.
        for w in [0u32, 32, 80, 84, 1, 1, 0, 0] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        // dyld_chained_starts_in_image at 32: seg_count 4, seg_info_offset[4].
        for w in [4u32, 0, 24, 0, 0] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&[0; 4]); // to 56 = 32 + 24
                                      // dyld_chained_starts_in_segment: size, page_size, pointer_format,
                                      // segment_offset, max_valid_pointer, page_count, page_start[1].
        b.extend_from_slice(&24u32.to_le_bytes());
        b.extend_from_slice(&0x4000u16.to_le_bytes());
        b.extend_from_slice(&6u16.to_le_bytes());
        b.extend_from_slice(&0x4000u64.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(b.len(), 80);
        b.extend_from_slice(&0x200u32.to_le_bytes()); // one import: name offset 1, lib ordinal 0
        b.extend_from_slice(b"\0_printf\0\0\0\0");
        b
    }

    #[test]
    fn chained_fixups_get_an_entry_for_the_new_segment() {
        let blob = fixups_blob();
        let grown = grow_fixups(Data::new(&blob, 0x4000, "the slice"), 4, 3).unwrap();
        assert_eq!(grown.len(), blob.len() + 8);
        let word = |at: usize| u32::from_le_bytes(grown[at..at + 4].try_into().unwrap());
        assert_eq!((word(4), word(8), word(12)), (32, 88, 92), "starts, imports, symbols offsets");
        assert_eq!(word(32), 5, "seg_count");
        assert_eq!([word(36), word(40), word(44), word(48), word(52)], [0, 32, 0, 0, 0], "seg_info_offset");
        assert_eq!(&grown[64..88], &blob[56..80], "the segment's starts, unchanged, 8 bytes later");
        assert_eq!(&grown[88..], &blob[80..], "imports and symbols");
        // The count must match the image's segments, as dyld checks.
        let err = grow_fixups(Data::new(&blob, 0x4000, "the slice"), 5, 4).unwrap_err();
        assert!(err.to_string().contains("seg_count is 4, but the image has 5 segments"), "{err}");
    }
}
