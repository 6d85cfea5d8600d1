//! `__LINKEDIT` moves: where the rebuilt part of a slice starts, the new
//! value of every file offset into what moves, and `__LINKEDIT`'s new bytes.

use super::parse::{Parsed, Segment};
use super::place::Move;
use super::refuse;
use super::resign;
use super::sign::Template;
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::Piece;
use crate::write::{add, aligned};
use crate::Format;

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
