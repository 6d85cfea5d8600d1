//! Post-link injection into a 64-bit Mach-O dylib or bundle, thin or universal.
//!
//! A Mach-O image has no unmapped sections, so the payload gets a segment of
//! its own: `__JULIA` (read-only, `maxprot = initprot = VM_PROT_READ`, mapped
//! lazily), with one section `__ji` (`S_REGULAR`) that holds the frame and the
//! payload. It goes where `__LINKEDIT` began, and `__LINKEDIT` moves up in the
//! file and in memory, so it stays the last segment (dyld and `codesign` both
//! require that) and nothing the code addresses moves:
//!
//! ```text
//! before: header+commands | pad | __TEXT … __DATA | __LINKEDIT (… signature)
//! after:  header+commands+1 | pad | __TEXT … __DATA | __JULIA | __LINKEDIT' (… new signature)
//! __JULIA: zeros | frame (64) | payload | zeros to a page
//!          ^ page  ^ page + page − 64     ^ page-aligned
//! ```
//!
//! - The frame sits in the 64 bytes below a page boundary and says
//!   `payload_offset = 64`, so the payload starts on a page (16 KiB for arm64,
//!   4 KiB for x86_64; docs/FORMAT.md "Writing rules") and the section is exactly
//!   the frame plus the payload. Starting the frame on the page instead
//!   would need `payload_offset` = one page for the same padding.
//! - The new `LC_SEGMENT_64` (72 + 80 bytes) takes the zero padding the linker
//!   left between the load commands and the first section (`-headerpad`). It
//!   is inserted just before `__LINKEDIT`'s command, so segments stay in
//!   address order and every existing section keeps its ordinal (symbols'
//!   `n_sect`).
//! - Every load command that holds a file offset into `__LINKEDIT` is
//!   updated ([`linkedit`]); a command this module does not know is refused
//!   ([`parse`](mod@parse)), since it could hold an offset that would go stale.
//! - Chained fixups (`LC_DYLD_CHAINED_FIXUPS`) index their per-segment table
//!   by segment number, and dyld refuses an image whose `seg_count` differs
//!   from the number of segments (dyld's `validChainedFixupsInfo`; only a
//!   trailing `__CTF` is excused). The table gets an entry (0: no fixups) for
//!   `__JULIA`; the blob grows by 8 bytes, keeping the 8-byte alignment of
//!   everything after it in `__LINKEDIT` ([`fixups`]).
//! - A code signature covers every page, so it is rebuilt: see [`resign`]
//!   and [`sign`].
//!   An ad-hoc or linker signature becomes a fresh ad-hoc signature with the
//!   same identifier, flags and page size. `CS_LINKER_SIGNED` stays set if it
//!   was: the signature is still one a build tool made automatically, which
//!   `codesign -s IDENTITY` replaces without `--force`, as after llvm-objcopy
//!   or install_name_tool. A certificate (CMS) signature is
//!   refused unless `drop_signature`, which replaces it with an ad-hoc one (an
//!   arm64 image must carry a signature to load at all); the library must
//!   then be signed again with its identity.
//!
//! Universal files: every slice gets the payload (or its own, from
//! `per_arch`); slices keep their order and their `2^align`, raised to the
//! slice's page size if smaller so the payload's absolute offset is
//! page-aligned. 32-bit and big-endian images are refused.
//!
//! Replacing (`replace`): an existing `__JULIA` segment must be the last one
//! before `__LINKEDIT`; its command is rewritten in place and everything from
//! its old file offset on is rebuilt, so the old payload is not kept.
//!
//! This file has the entry point and the universal table; [`commands`] the
//! new and rewritten load commands.

mod commands;
mod fixups;
mod linkedit;
mod parse;
mod place;
mod resign;
/// Also the data library writer's signer (`super::data_library`).
pub(super) mod sign;

use self::commands::{rewrite_commands, JuliaSegment, Rewrite};
use self::fixups::FIXUPS_GROWTH;
use self::parse::{page_size, parse};
use self::place::{Move, Place};
use super::fat::{self, Entry, Table};
use super::layout::{fat_header, mach_header};
use crate::frame::Frame;
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::{payload_info, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::write::{add, aligned, Misfit, Patch, Problem};
use crate::{Arch, Endian, Format};

const FRAME_LEN: u64 = crate::frame::SIZE as u64;
/// The largest slice alignment believed: 2^16, well above any page size.
const MAX_SLICE_ALIGN: u32 = 16;

fn refuse(structure: &'static str, offset: u64, reason: impl Into<String>) -> InjectError {
    InjectError::refused(structure, offset, reason)
}

/// Where the payload of one slice comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// The main payload file.
    Main,
    /// `options.per_arch[index]`.
    Arch(usize),
}

#[derive(Clone, Copy, Debug)]
struct SlicePayload {
    info: PayloadInfo,
    source: Source,
}

impl SlicePayload {
    fn piece(&self) -> Piece {
        match self.source {
            Source::Main => Piece::Payload,
            Source::Arch(index) => Piece::ArchPayload { index, info: self.info },
        }
    }
}

/// The layout of `library` (a thin 64-bit Mach-O or a universal file) with
/// `payload` added to every image.
pub(crate) fn layout(library: &[u8], payload: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    let main = SlicePayload { info: payload, source: Source::Main };
    if fat::is_fat(library) {
        return universal(library, main, options);
    }
    let image = Data::new(library, 0, "the file");
    let arch = Arch::from_macho(image.u32(mach_header::CPUTYPE)?);
    check_per_arch(options, &[arch])?;
    let payload = choose(options, arch, main, &mut Vec::new())?;
    let plan = plan_slice(image, 0, payload, options)?;
    Ok(Plan { pieces: plan.pieces, payload_offset: plan.payload_at })
}

/// The payload for a slice of architecture `arch`: its `per_arch` file if
/// there is one (measured once, cached in `measured`), else the main one.
fn choose(
    options: &InjectOptions,
    arch: Arch,
    main: SlicePayload,
    measured: &mut Vec<(usize, PayloadInfo)>,
) -> Result<SlicePayload, InjectError> {
    let Some(index) = options.per_arch.iter().position(|(a, _)| *a == arch) else {
        return Ok(main);
    };
    if let Some((_, info)) = measured.iter().find(|(i, _)| *i == index) {
        return Ok(SlicePayload { info: *info, source: Source::Arch(index) });
    }
    let path = options.per_arch.get(index).map(|(_, p)| p.as_path()).unwrap_or(std::path::Path::new(""));
    let info = payload_info(path)?;
    measured.push((index, info));
    Ok(SlicePayload { info, source: Source::Arch(index) })
}

/// Each `per_arch` entry must name an architecture the file has, once:
/// anything else is a mistake worth reporting before any payload is read.
fn check_per_arch(options: &InjectOptions, archs: &[Arch]) -> Result<(), InjectError> {
    for (i, (arch, path)) in options.per_arch.iter().enumerate() {
        if !archs.contains(arch) {
            let reason =
                format!("a payload is given for {arch} ({}), but the file has no {arch} image", path.display());
            return Err(refuse("Mach-O header", 0, reason));
        }
        if options.per_arch.iter().take(i).any(|(a, _)| a == arch) {
            return Err(refuse("Mach-O header", 0, format!("two payloads are given for {arch}")));
        }
    }
    Ok(())
}

/// One rebuilt slice.
struct SlicePlan {
    pieces: Vec<Piece>,
    /// Length of the new slice.
    len: u64,
    /// Absolute offset of the payload in the output.
    payload_at: u64,
}

/// Rebuilds one thin slice: `image` is its bytes (at `image.base` in the
/// input), `out_base` its offset in the output.
fn plan_slice(
    image: Data<'_>,
    out_base: u64,
    payload: SlicePayload,
    options: &InjectOptions,
) -> Result<SlicePlan, InjectError> {
    let parsed = parse(image)?;
    let page = parsed.page;
    let place = place::place(&parsed, image, options)?;
    // __JULIA where the rebuilt part starts, __LINKEDIT after it.
    let julia = JuliaSegment::new(&place, page, payload.info.size)?;
    let new_linkedit = add("__LINKEDIT", julia.fileoff, julia.size)?;
    let new_linkedit_vm = add("__LINKEDIT address", julia.vmaddr, julia.size)?;
    // Chained fixups: one more segment to describe, unless __JULIA existed.
    let (fixups, grown) = fixups::plan(&parsed, image, &place)?;
    let growth = if grown.is_some() { FIXUPS_GROWTH } else { 0 };
    let moved = Move {
        cut: place.cut,
        linkedit: place.linkedit.fileoff,
        linkedit_end: place.linkedit_end,
        new_linkedit,
        fixups,
        growth,
    };
    let signature = resign::template(&parsed, image, &place, options)?;
    let linkedit = linkedit::rebuild(&parsed, image, &moved, grown, signature, out_base)?;
    let new_segment = linkedit.segment(place.linkedit, new_linkedit, new_linkedit_vm, page)?;
    let rewrite =
        Rewrite { moved: &moved, julia: &julia, page, linkedit: new_segment, signature: linkedit.signature, growth };
    let (header, commands) = rewrite_commands(&parsed, image, &place, &rewrite)?;

    let head_len = header.len().saturating_add(commands.len()) as u64;
    let mut pieces = vec![Piece::Bytes(header), Piece::Bytes(commands)];
    pieces.push(Piece::Input { offset: image.base.saturating_add(head_len), len: place.cut.saturating_sub(head_len) });
    pieces.extend(julia_pieces(&julia, &place, page, payload));
    pieces.extend(linkedit.pieces);
    let payload_at = add("the payload", out_base, julia.fileoff).and_then(|at| add("the payload", at, page))?;
    let pieces = pieces.into_iter().filter(|p| !is_empty(p)).collect();
    Ok(SlicePlan { pieces, len: linkedit.end, payload_at })
}

/// `__JULIA`'s bytes: zeros to the frame, which ends on a page, the payload,
/// zeros to the next page.
fn julia_pieces(julia: &JuliaSegment, place: &Place, page: u64, payload: SlicePayload) -> [Piece; 4] {
    let frame = Frame::new(FRAME_LEN, payload.info.size, UNSEALED);
    [
        Piece::Zeros(julia.frame_at.saturating_sub(place.cut)),
        Piece::Bytes(frame.to_bytes().to_vec()),
        payload.piece(),
        Piece::Zeros(julia.payload_padding(page)),
    ]
}

fn is_empty(piece: &Piece) -> bool {
    matches!(piece, Piece::Input { len: 0, .. } | Piece::Zeros(0)) || matches!(piece, Piece::Bytes(b) if b.is_empty())
}

/// A universal file: every slice rebuilt, the `fat_arch` table rewritten.
fn universal(file: &[u8], main: SlicePayload, options: &InjectOptions) -> Result<Plan, InjectError> {
    let data = Data::new(file, 0, "the file");
    let table = fat::table(data)?;
    let entries = slice_entries(&table)?;
    let archs: Vec<Arch> = entries.iter().map(|e| Arch::from_macho(e.cputype)).collect();
    check_per_arch(options, &archs)?;
    let mut measured = Vec::new();
    let mut new_entries: Vec<(u64, u64)> = vec![(0, 0); entries.len()];
    let mut pieces = Vec::new();
    let mut at = table.header_len();
    let mut payload_offset = None;
    // Slices are written in file order.
    for (i, e) in slice_order(&entries) {
        let page = page_size(e.cputype).ok_or_else(|| {
            let arch = Arch::from_macho(e.cputype);
            let reason = format!("slice {i} is {arch}; injection supports 64-bit x86_64 and arm64 slices only");
            refuse("Mach-O universal slice entry", e.at, reason)
        })?;
        let start = aligned(Format::MachO, "fat_arch offset", at, (1u64 << e.align).max(page))?;
        pieces.push(Piece::Zeros(start.saturating_sub(at)));
        let slice = data.table("Mach-O universal slice", e.offset, e.size, 1)?;
        let payload = choose(options, Arch::from_macho(e.cputype), main, &mut measured)?;
        let plan = plan_slice(Data { what: "the slice", ..slice }, start, payload, options)?;
        pieces.extend(plan.pieces);
        if let Some(entry) = new_entries.get_mut(i) {
            *entry = (start, plan.len);
        }
        if i == 0 {
            payload_offset = Some(plan.payload_at);
        }
        at = add("the universal file", start, plan.len)?;
    }
    let header = fat_header(data, &table, &entries, &new_entries)?;
    let mut all = vec![Piece::Bytes(header)];
    all.extend(pieces.into_iter().filter(|p| !is_empty(p)));
    let payload_offset =
        payload_offset.ok_or_else(|| refuse("Mach-O universal header", 0, "the file has no slices"))?;
    Ok(Plan { pieces: all, payload_offset })
}

/// The slice table's entries, with alignments that make sense and slices
/// that overlap neither the header nor each other.
fn slice_entries(table: &Table<'_>) -> Result<Vec<Entry>, InjectError> {
    let mut entries = Vec::new();
    for index in 0..table.count {
        let entry = table.entry(index)?;
        if entry.align > MAX_SLICE_ALIGN {
            let reason = format!("alignment 2^{} is implausible", entry.align);
            return Err(refuse("Mach-O universal slice entry", entry.at, reason));
        }
        entries.push(entry);
    }
    let mut end = table.header_len();
    for (_, e) in slice_order(&entries) {
        if e.offset < end {
            let reason = format!("slice at {:#x} overlaps the header or the previous slice", e.offset);
            return Err(refuse("Mach-O universal slice entry", e.at, reason));
        }
        end = e.offset.saturating_add(e.size);
    }
    Ok(entries)
}

/// The entries with their indices, in file order.
fn slice_order(entries: &[Entry]) -> Vec<(usize, Entry)> {
    let mut order: Vec<(usize, Entry)> = entries.iter().copied().enumerate().collect();
    order.sort_by_key(|(_, e)| e.offset);
    order
}

/// The universal header: the same entries with the slices' new offsets and
/// sizes (`fat_arch` holds 32-bit ones, `fat_arch_64` 64-bit ones).
fn fat_header(
    data: Data<'_>,
    table: &Table<'_>,
    entries: &[Entry],
    new_entries: &[(u64, u64)],
) -> Result<Vec<u8>, InjectError> {
    let layout = table.layout();
    let mut header = data.table("Mach-O universal header", 0, table.header_len(), 1)?.bytes.to_vec();
    let mut patch = Patch::new(&mut header, Format::MachO, Endian::Big, layout.wide);
    for ((e, &(offset, size)), i) in entries.iter().zip(new_entries).zip(0u64..) {
        let refused = |m: Misfit| match m.problem {
            Problem::TooLarge { .. } => {
                let end = offset.saturating_add(size);
                let reason = format!(
                    "the slice would end at {end:#x}, beyond the 32-bit offsets of FAT_MAGIC; inject into thin files"
                );
                refuse("Mach-O universal slice entry", e.at, reason)
            }
            Problem::Outside { .. } | Problem::Overflow => {
                refuse("Mach-O universal slice entry", e.at, "entry outside the header")
            }
        };
        let at = fat_header::LEN.saturating_add(i.saturating_mul(layout.len));
        // Each field fitting is not enough: a slice must also end within
        // 32 bits, or readers that add them in 32 bits wrap (FORMAT §5.4;
        // review 18 F11: a slice ending at 0x140051230 was written).
        let end = offset.saturating_add(size);
        if !layout.wide && end > u64::from(u32::MAX) {
            let reason = format!(
                "the slice would end at {end:#x}, beyond the 32-bit offsets of FAT_MAGIC; inject into thin files"
            );
            return Err(refuse("Mach-O universal slice entry", e.at, reason));
        }
        patch.word("fat_arch offset", at.saturating_add(layout.offset), offset).map_err(refused)?;
        patch.word("fat_arch size", at.saturating_add(layout.size), size).map_err(refused)?;
    }
    Ok(header)
}
