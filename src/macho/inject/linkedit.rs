//! `__LINKEDIT` moves: where the rebuilt part of a slice starts, the new
//! value of every file offset into what moves, and `__LINKEDIT`'s new bytes.

use super::commands::{check_headerpad, check_old_container};
use super::parse::{Parsed, Segment};
use super::refuse;
use super::resign;
use super::sign::Template;
use crate::macho::layout::{mach_header, CONTAINER_SEGMENT, SEG_LINKEDIT};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::{InjectOptions, Piece};
use crate::write::{add, aligned};
use crate::Format;

/// Where the rebuilt part of a slice starts, and what it replaces.
pub(super) struct Place {
    pub linkedit: Segment,
    pub linkedit_end: u64,
    /// An existing `__JULIA` (replace), rewritten in place.
    pub old: Option<Segment>,
    /// File offset and address from which everything is rebuilt: the old
    /// `__JULIA`, or `__LINKEDIT`.
    pub cut: u64,
    pub cut_vm: u64,
}

/// The segment named `name`, if there is one; a second one is refused.
fn unique(parsed: &Parsed<'_>, name: &[u8], what: &str) -> Result<Option<Segment>, InjectError> {
    let mut found = parsed.segments.iter().filter(|s| s.is(name)).copied();
    let first = found.next();
    match found.next() {
        Some(second) => {
            Err(refuse("Mach-O segment", parsed.command_at(second.command), format!("a second {what} segment")))
        }
        None => Ok(first),
    }
}

/// Finds `__LINKEDIT` (and an old `__JULIA`) and checks that nothing else
/// lies at or after them, so that only they move.
pub(super) fn place(parsed: &Parsed<'_>, image: Data<'_>, options: &InjectOptions) -> Result<Place, InjectError> {
    let at = |segment: &Segment| parsed.command_at(segment.command);
    let first_command = image.base.saturating_add(mach_header::LEN_64);
    let linkedit = unique(parsed, SEG_LINKEDIT, "__LINKEDIT")?
        .ok_or_else(|| refuse("Mach-O load commands", first_command, "no __LINKEDIT segment"))?;
    let linkedit_end = add("__LINKEDIT", linkedit.fileoff, linkedit.filesize)?;
    if linkedit.nsects != 0 {
        return Err(refuse("Mach-O __LINKEDIT segment", at(&linkedit), "__LINKEDIT has sections"));
    }
    if linkedit_end != image.len() {
        let reason = format!(
            "__LINKEDIT ends at {linkedit_end:#x} but the image is {:#x} bytes: it must be the end of the file",
            image.len()
        );
        return Err(refuse("Mach-O __LINKEDIT segment", at(&linkedit), reason));
    }
    let old = unique(parsed, CONTAINER_SEGMENT, "__JULIA")?;
    if let Some(old) = old {
        if !options.replace {
            let offset = image.base.saturating_add(old.fileoff);
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset });
        }
        check_old_container(parsed, old, &linkedit)?;
    }
    let (cut, cut_vm) = old.map_or((linkedit.fileoff, linkedit.vmaddr), |o| (o.fileoff, o.vmaddr));
    let place = Place { linkedit, linkedit_end, old, cut, cut_vm };
    check_nothing_after(parsed, &place)?;
    if old.is_none() {
        // The new command goes just before __LINKEDIT's: a segment with
        // sections after it would see its section ordinals (n_sect) shift.
        if let Some(s) = parsed.segments.iter().find(|s| s.command > linkedit.command && s.nsects > 0) {
            return Err(refuse("Mach-O segment", at(s), "a segment with sections follows __LINKEDIT's load command"));
        }
        check_headerpad(parsed, image)?;
    }
    Ok(place)
}

/// Every other segment ends, in the file and in memory, before the cut.
fn check_nothing_after(parsed: &Parsed<'_>, place: &Place) -> Result<(), InjectError> {
    let moving = |s: &Segment| s.command == place.linkedit.command || place.old.is_some_and(|o| o.command == s.command);
    for segment in parsed.segments.iter().filter(|s| !moving(s)) {
        let file_end = add("segment", segment.fileoff, segment.filesize)?;
        let vm_end = add("segment address range", segment.vmaddr, segment.vmsize)?;
        if (segment.filesize > 0 && file_end > place.cut) || (segment.vmsize > 0 && vm_end > place.cut_vm) {
            let name = String::from_utf8_lossy(&segment.name).trim_end_matches('\0').to_string();
            let what = if place.old.is_some() { "the existing __JULIA" } else { "__LINKEDIT" };
            let reason = format!(
                "segment {name} lies after the start of {what}; \
                 only images whose last segment is __LINKEDIT are supported"
            );
            return Err(refuse("Mach-O segment", parsed.command_at(segment.command), reason));
        }
    }
    Ok(())
}

/// Where things go: the bytes from `cut` on are rebuilt, `__LINKEDIT` moves
/// from `linkedit` to `new_linkedit`, and the chained-fixups blob at
/// `[fixups.0, fixups.1)` may grow by `growth` bytes.
pub(super) struct Move {
    pub cut: u64,
    pub linkedit: u64,
    pub linkedit_end: u64,
    pub new_linkedit: u64,
    pub fixups: Option<(u64, u64)>,
    pub growth: u64,
}

impl Move {
    /// The new value of a file offset `value` that points at `extent` bytes,
    /// or why it cannot be moved.
    pub fn map(&self, value: u64, extent: u64) -> Result<u64, String> {
        let end = value.checked_add(extent).ok_or("offset plus size overflows")?;
        if value >= self.linkedit && end <= self.linkedit_end {
            let mut extra = 0;
            if let Some((start, stop)) = self.fixups {
                if self.growth > 0 && value >= stop {
                    extra = self.growth;
                } else if (value > start && value < stop) || (value < start && end > start) {
                    return Err(format!("it overlaps the chained fixups at [{start:#x}, {stop:#x})"));
                }
            }
            return self
                .new_linkedit
                .checked_add(value.saturating_sub(self.linkedit))
                .and_then(|v| v.checked_add(extra))
                .ok_or_else(|| "the new offset overflows".to_string());
        }
        if end <= self.cut {
            return Ok(value);
        }
        Err(format!(
            "it points at [{value:#x}, {end:#x}), which is neither before {:#x} nor inside __LINKEDIT [{:#x}, {:#x})",
            self.cut, self.linkedit, self.linkedit_end
        ))
    }
}

/// `__LINKEDIT` rebuilt: its pieces, where it ends in the slice, and the new
/// signature's `dataoff` and `datasize`.
pub(super) struct Linkedit {
    pub pieces: Vec<Piece>,
    pub end: u64,
    pub signature: Option<(u64, u64)>,
}

/// `__LINKEDIT`'s new bytes: `[start, fixups)` | grown fixups | `[fixups end,
/// data end)` | pad | signature. As ld64 lays it out, the signature starts at
/// the first 16-byte boundary after the last data (the old padding before it
/// may no longer fit after the fixups grew).
pub(super) fn rebuild(
    parsed: &Parsed<'_>,
    image: Data<'_>,
    moved: &Move,
    grown: Option<Vec<u8>>,
    signature: Option<(u64, Template)>,
    out_base: u64,
) -> Result<Linkedit, InjectError> {
    let abs = |rel: u64| image.base.saturating_add(rel);
    let copy_end = match &signature {
        Some((off, _)) => {
            let data_end = data_end(parsed, moved);
            if data_end > *off {
                let reason = format!("__LINKEDIT data runs to {data_end:#x}, into the code signature at {off:#x}");
                return Err(refuse("Mach-O __LINKEDIT", abs(*off), reason));
            }
            data_end
        }
        None => moved.linkedit_end,
    };
    let mut pieces = Vec::new();
    let mut from = moved.linkedit;
    if let (Some(bytes), Some((start, stop))) = (grown, moved.fixups) {
        pieces.push(Piece::Input { offset: abs(from), len: start.saturating_sub(from) });
        pieces.push(Piece::Bytes(bytes));
        from = stop;
    }
    pieces.push(Piece::Input { offset: abs(from), len: copy_end.saturating_sub(from) });
    let copied_end = moved.map(copy_end, 0).map_err(|e| refuse("Mach-O __LINKEDIT", abs(copy_end), e))?;
    let Some((_, template)) = signature else {
        return Ok(Linkedit { pieces, end: copied_end, signature: None });
    };
    let (dataoff, datasize) = resign::append(template, copied_end, image.base, out_base, &mut pieces)?;
    let end = add("the code signature", dataoff, datasize)?;
    Ok(Linkedit { pieces, end, signature: Some((dataoff, datasize)) })
}

impl Linkedit {
    /// `__LINKEDIT`'s new segment: at `fileoff` and `vmaddr`, up to `self.end`.
    pub fn segment(&self, old: Segment, fileoff: u64, vmaddr: u64, page: u64) -> Result<Segment, InjectError> {
        let filesize = self.end.saturating_sub(fileoff);
        let vmsize = aligned(Format::MachO, "__LINKEDIT vmsize", filesize, page)?;
        Ok(Segment { vmaddr, vmsize, fileoff, filesize, ..old })
    }
}

/// The end of the last `__LINKEDIT` data a load command points at (other
/// than the signature), or `__LINKEDIT`'s start if there is none.
fn data_end(parsed: &Parsed<'_>, moved: &Move) -> u64 {
    let start = moved.linkedit;
    parsed
        .fields
        .iter()
        .filter(|f| f.value >= start && f.value < moved.linkedit_end)
        .map(|f| f.value.saturating_add(f.extent))
        .fold(start, u64::max)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn linkedit_offsets_move_and_others_stay() {
        // __LINKEDIT [0x4000, 0x5000) moves to 0x20000; its chained fixups
        // [0x4000, 0x4060) grow by 8, so what follows them moves 8 more.
        let m = Move {
            cut: 0x4000,
            linkedit: 0x4000,
            linkedit_end: 0x5000,
            new_linkedit: 0x20000,
            fixups: Some((0x4000, 0x4060)),
            growth: 8,
        };
        assert_eq!(m.map(0x4000, 0x60), Ok(0x20000), "the fixups themselves");
        assert_eq!(m.map(0x4060, 0x10), Ok(0x20068), "after the fixups");
        assert_eq!(m.map(0x5000, 0), Ok(0x21008), "empty, at the end");
        assert_eq!(m.map(0x100, 0x10), Ok(0x100), "before __LINKEDIT: into __TEXT");
        assert_eq!(m.map(0, 0), Ok(0), "absent");
        assert!(m.map(0x4010, 4).is_err(), "inside the fixups");
        assert!(m.map(0x3ff0, 0x20).is_err(), "straddles the start of __LINKEDIT");
        assert!(m.map(0x4ff0, 0x20).is_err(), "runs past __LINKEDIT");
        assert!(m.map(u64::MAX, 1).is_err(), "overflow");
    }

    #[test]
    fn replaced_segment_bytes_may_not_be_referenced() {
        // Replacing: the old __JULIA [0x8000, 0xc000) is rebuilt.
        let m =
            Move { cut: 0x8000, linkedit: 0xc000, linkedit_end: 0xd000, new_linkedit: 0x9000, fixups: None, growth: 0 };
        assert_eq!(m.map(0xc100, 0x10), Ok(0x9100), "__LINKEDIT moves down when the new payload is smaller");
        assert!(m.map(0x8100, 0x10).is_err(), "points into the old payload");
    }
}
