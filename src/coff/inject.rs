//! Post-link injection into a PE image (PE32 or PE32+ `.dll`/`.exe`).
//!
//! A new section header `.jlji` goes into the free 40 bytes after the section
//! table (they must lie before `SizeOfHeaders` and before the first section's
//! data, and be all zero). The output is:
//!
//! ```text
//! input (headers patched) | padding | .jlji raw data: frame, zeros | payload (overlay)
//!                                     ^ FileAlignment·k             ^ 4096·m
//! ```
//!
//! - `.jlji`: `VirtualSize` 64, `VirtualAddress` after the last section
//!   (rounded to `SectionAlignment`), `SizeOfRawData` = 64 rounded up to
//!   `FileAlignment`, `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ`.
//!   The loader maps the 64-byte frame; the payload is in the overlay, which
//!   it never maps. The raw data is placed so that it ends on a page boundary,
//!   where the payload starts (FORMAT.md, "Writing rules").
//! - An existing overlay (a COFF symbol and string table left by MinGW, found
//!   through `PointerToSymbolTable`; installer data) is kept where it is, byte
//!   for byte, since readers locate it by absolute offset; `.jlji` comes after
//!   it. Section data need not be contiguous or in section order in the file.
//! - `NumberOfSections`, `SizeOfImage` and `SizeOfInitializedData` are
//!   updated, and `CheckSum` is recomputed over the finished file
//!   ([`checksum`]).
//! - An Authenticode signature (data directory 4, whose address is a file
//!   offset) covers every byte but the checksum, that directory entry and the
//!   certificate table itself, so any injection breaks it: such a file is
//!   refused, or with `drop_signature` the entry is cleared and the
//!   certificate bytes are dropped (cut off at the end of the file, where
//!   signing tools put them, or zeroed elsewhere).
//!
//! Replacing (`replace`): the existing `.jlji` section is reused in place, its
//! raw data rewritten as the new frame followed by zeros. An old payload in
//! the overlay at the end of the file is dropped (the new one takes its
//! place); one inside the section is zeroed; anywhere else, replacing is
//! refused rather than leave it or damage what is around it.

mod checksum;

use std::fs::File;

pub(crate) use checksum::checksum;

use crate::frame::Frame;
use crate::read::Data;
use crate::write::align_up;
use crate::write::error::InjectError;
use crate::write::plan::{copy_with_holes, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::{Error, FileRange};

const PAGE: u64 = 4096;
const NAME: &[u8; 8] = b".jlji\0\0\0";
/// `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ`.
const CHARACTERISTICS: u32 = 0x0000_0040 | 0x4000_0000;
/// `IMAGE_DIRECTORY_ENTRY_SECURITY`.
const SECURITY: u64 = 4;

/// One section header, as read.
struct Section {
    /// File offset of the 40-byte header.
    at: u64,
    virtual_size: u64,
    virtual_address: u64,
    raw_size: u64,
    raw_pointer: u64,
    is_jlji: bool,
}

fn overflow(what: &'static str, offset: u64) -> InjectError {
    InjectError::from(Error::Overflow { what, offset, size: 0, count: 1 })
}

fn add(a: u64, b: u64, what: &'static str) -> Result<u64, InjectError> {
    a.checked_add(b).ok_or_else(|| overflow(what, a))
}

fn sub(a: u64, b: u64, what: &'static str) -> Result<u64, InjectError> {
    a.checked_sub(b).ok_or_else(|| overflow(what, b))
}

/// A 32-bit PE field holding `value`, or a refusal naming it.
fn u32_field(value: u64, what: &'static str, at: u64) -> Result<[u8; 4], InjectError> {
    u32::try_from(value)
        .map(u32::to_le_bytes)
        .map_err(|_| InjectError::refused(what, at, format!("{value:#x} does not fit the 32-bit field")))
}

/// Overwrites `bytes[at..]` (`at` an absolute offset; `bytes` starts at 0).
fn patch(bytes: &mut [u8], at: u64, value: &[u8]) -> Result<(), InjectError> {
    usize::try_from(at)
        .ok()
        .and_then(|at| bytes.get_mut(at..at.checked_add(value.len())?))
        .ok_or_else(|| InjectError::refused("PE header field", at, "outside the headers (internal error)"))?
        .copy_from_slice(value);
    Ok(())
}

fn power_of_two(value: u64, what: &'static str, at: u64) -> Result<u64, InjectError> {
    if value.is_power_of_two() {
        Ok(value)
    } else {
        Err(Error::invalid(what, at, value, "a power of two").into())
    }
}

/// The output layout for `library` with `payload` added. See the module docs.
pub(crate) fn layout(library: &[u8], payload: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    let file = Data::new(library, 0, "the file");
    if !library.starts_with(b"MZ") {
        let reason = "this is a COFF object (.obj), not a PE image; inject into the linked DLL instead";
        return Err(InjectError::refused("COFF file header", 0, reason));
    }
    let signature = u64::from(file.u32(0x3c)?);
    let magic = file.table("PE signature", signature, 4, 1)?;
    if magic.bytes != b"PE\0\0" {
        return Err(Error::invalid("PE signature", signature, magic.u32(0)?, "\"PE\\0\\0\"").into());
    }
    let coff_at = add(signature, 4, "COFF file header")?;
    let coff = file.table("COFF file header", coff_at, 20, 1)?;
    let count = coff.u16(2)?;
    let optional_size = u64::from(coff.u16(16)?);
    let optional_at = add(coff_at, 20, "PE optional header")?;
    let optional = file.table("PE optional header", optional_at, optional_size, 1)?;
    let dirs: u64 = match optional.u16(0)? {
        0x10b => 96,
        0x20b => 112,
        v => return Err(Error::invalid("PE optional header magic", optional_at, v, "0x10b or 0x20b").into()),
    };
    let field = |rel: u64| optional_at.saturating_add(rel);
    let section_alignment = power_of_two(u64::from(optional.u32(32)?), "PE SectionAlignment", field(32))?;
    let file_alignment = power_of_two(u64::from(optional.u32(36)?), "PE FileAlignment", field(36))?;
    let size_of_image = u64::from(optional.u32(56)?);
    let size_of_headers = u64::from(optional.u32(60)?);
    let checksum_at = field(64);
    // Only the directory entries that lie inside the optional header count.
    let listed = u64::from(optional.u32(dirs.saturating_sub(4))?);
    let dir_count = listed.min(optional_size.saturating_sub(dirs) / 8);
    let directory = |i: u64| -> Result<(u64, u64), Error> {
        let at = dirs.saturating_add(i.saturating_mul(8));
        Ok((u64::from(optional.u32(at)?), u64::from(optional.u32(at.saturating_add(4))?)))
    };

    let table_at = add(optional_at, optional_size, "COFF section table")?;
    let table = file.table("COFF section table", table_at, 40, u64::from(count))?;
    let mut sections = Vec::new();
    for sh in table.entries("COFF section header", 40) {
        sections.push(Section {
            at: sh.base,
            virtual_size: u64::from(sh.u32(8)?),
            virtual_address: u64::from(sh.u32(12)?),
            raw_size: u64::from(sh.u32(16)?),
            raw_pointer: u64::from(sh.u32(20)?),
            is_jlji: sh.padded_is::<8>(0, b".jlji")?,
        });
    }
    let table_end = table.base.saturating_add(table.len());

    // The signature: refused, or dropped from the output.
    let mut end = file.len();
    let mut holes = Vec::new();
    let mut headers_edit: Vec<(u64, Vec<u8>)> = Vec::new();
    if dir_count > SECURITY {
        let (offset, size) = directory(SECURITY)?;
        if offset != 0 || size != 0 {
            if !options.drop_signature {
                return Err(InjectError::Signed { path: Default::default(), offset, size });
            }
            let cert = file.table("PE certificate table", offset, size, 1)?;
            let cert_end = cert.base.saturating_add(cert.len());
            // Signing tools append the table, padded to 8 bytes, at the very end.
            if align_up(cert_end, 8).is_some_and(|e| e >= end) {
                end = offset;
            } else {
                holes.push((offset, cert_end));
            }
            headers_edit.push((field(dirs.saturating_add(SECURITY * 8)), vec![0; 8]));
        }
    }

    let mut existing = sections.iter().filter(|s| s.is_jlji);
    let (first, second) = (existing.next(), existing.next());
    if let (Some(a), Some(b)) = (first, second) {
        return Err(Error::Ambiguous { first: a.raw_pointer, second: b.raw_pointer }.into());
    }
    let frame_len = 64u64;
    let (pieces_after_headers, headers_end, frame_at, payload_at) = match first {
        Some(old) if !options.replace => {
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset: old.raw_pointer })
        }
        Some(old) => {
            let (at, size) = (old.raw_pointer, old.raw_size);
            if size < frame_len {
                let reason = format!(
                    "the existing .jlji section has {size} bytes of raw data, too few for the 64-byte frame, \
                     so it cannot be reused"
                );
                return Err(InjectError::refused("PE .jlji section header", old.at, reason));
            }
            let raw = file.table("PE .jlji section data", at, size, 1)?;
            let raw_end = raw.base.saturating_add(raw.len());
            if at < table_end {
                let reason = "the .jlji section's data overlaps the headers";
                return Err(InjectError::refused("PE .jlji section header", old.at, reason));
            }
            let data_end = sections.iter().map(|s| s.raw_pointer.saturating_add(s.raw_size)).max().unwrap_or(0);
            if let Ok((_, p)) = Frame::decode(file, FileRange { offset: at, size }) {
                let p_end = p.base.saturating_add(p.len());
                let inside = p.base >= at && p_end <= raw_end;
                if !inside {
                    if p.base >= data_end && p_end == end {
                        end = p.base;
                    } else {
                        let reason = "the old payload lies neither inside the .jlji section nor at the end of the \
                                      file, so it cannot be removed without touching other data";
                        return Err(InjectError::refused("payload", p.base, reason));
                    }
                }
            }
            let tail_end = end.max(raw_end);
            let payload_at = align_up(tail_end, PAGE).ok_or_else(|| overflow("payload", tail_end))?;
            let mut pieces = copy_with_holes(table_end, at, &holes);
            pieces.push(Piece::Bytes(frame(payload, sub(payload_at, at, "payload")?).to_vec()));
            pieces.push(Piece::Zeros(size.saturating_sub(frame_len)));
            pieces.extend(copy_with_holes(raw_end, end, &holes));
            pieces.push(Piece::Zeros(payload_at.saturating_sub(tail_end)));
            (pieces, table_end, at, payload_at)
        }
        None => {
            let slot_end = add(table_end, 40, "COFF section table")?;
            let first_data = sections
                .iter()
                .filter(|s| s.raw_size > 0 && s.raw_pointer > 0)
                .map(|s| s.raw_pointer)
                .min()
                .unwrap_or(u64::MAX);
            let no_room = |why: String| {
                InjectError::refused(
                    "PE section table",
                    table_at,
                    format!("no room for one more section header at {table_end:#x}: {why}; relink leaving room"),
                )
            };
            if slot_end > size_of_headers {
                return Err(no_room(format!("the headers end at {size_of_headers:#x} (SizeOfHeaders)")));
            }
            if slot_end > first_data {
                return Err(no_room(format!("the first section's data starts at {first_data:#x}")));
            }
            let slot = file.table("free section header slot", table_end, 40, 1)?;
            if slot.bytes.iter().any(|&b| b != 0) {
                return Err(no_room("those 40 bytes are not zero, so something else uses them".into()));
            }
            for i in (0..dir_count).filter(|&i| i != SECURITY) {
                let (rva, size) = directory(i)?;
                if size > 0 && rva < slot_end && table_end < rva.saturating_add(size) {
                    return Err(no_room(format!("data directory {i} points into them")));
                }
            }
            let raw_size = align_up(frame_len, file_alignment).ok_or_else(|| overflow("PE .jlji raw data", 0))?;
            // The raw data starts on FileAlignment and ends on a page, where the payload starts.
            let step = file_alignment.max(PAGE);
            let raw_end = align_up(add(end, raw_size, "PE .jlji raw data")?, step)
                .ok_or_else(|| overflow("PE .jlji raw data", end))?;
            let raw_at = sub(raw_end, raw_size, "PE .jlji raw data")?;
            let next = sections
                .iter()
                .map(|s| {
                    let size = if s.virtual_size == 0 { s.raw_size } else { s.virtual_size };
                    s.virtual_address.saturating_add(size)
                })
                .fold(size_of_image, u64::max);
            let va = align_up(next, section_alignment).ok_or_else(|| overflow("PE .jlji VirtualAddress", next))?;
            let image_end = add(va, align_up(frame_len, section_alignment).unwrap_or(u64::MAX), "PE SizeOfImage")?;
            let initialized = u64::from(optional.u32(8)?).saturating_add(raw_size);
            let count = u64::from(count).saturating_add(1);
            if count > u64::from(u16::MAX) {
                return Err(no_room("the COFF header cannot count more sections".into()));
            }

            let mut header = NAME.to_vec();
            header.extend_from_slice(&u32_field(frame_len, "PE .jlji VirtualSize", table_end)?);
            header.extend_from_slice(&u32_field(va, "PE .jlji VirtualAddress", table_end)?);
            header.extend_from_slice(&u32_field(raw_size, "PE .jlji SizeOfRawData", table_end)?);
            header.extend_from_slice(&u32_field(raw_at, "PE .jlji PointerToRawData", table_end)?);
            header.extend_from_slice(&[0; 12]); // relocations and line numbers: none
            header.extend_from_slice(&CHARACTERISTICS.to_le_bytes());
            headers_edit.push((table_end, header));
            headers_edit.push((coff_at.saturating_add(2), (count as u16).to_le_bytes().to_vec()));
            headers_edit.push((field(56), u32_field(image_end, "PE SizeOfImage", field(56))?.to_vec()));
            let initialized = u32::try_from(initialized).unwrap_or(u32::MAX);
            headers_edit.push((field(8), initialized.to_le_bytes().to_vec()));

            let mut pieces = copy_with_holes(slot_end, end, &holes);
            pieces.push(Piece::Zeros(raw_at.saturating_sub(end)));
            pieces.push(Piece::Bytes(frame(payload, raw_size).to_vec()));
            pieces.push(Piece::Zeros(raw_size.saturating_sub(frame_len)));
            (pieces, slot_end, raw_at, raw_end)
        }
    };
    if frame_at > u64::from(u32::MAX) {
        let reason = "the library is too large: the .jlji section's data would start past 4 GiB";
        return Err(InjectError::refused("PE .jlji section header", table_end, reason));
    }

    // The headers, patched, with the checksum left to be computed last.
    let mut headers = file.table("PE headers", 0, headers_end, 1)?.bytes.to_vec();
    patch(&mut headers, checksum_at, &[0; 4])?;
    for (at, bytes) in &headers_edit {
        patch(&mut headers, *at, bytes)?;
    }
    let split = usize::try_from(checksum_at).map_err(|_| overflow("PE CheckSum", checksum_at))?;
    let after = split.checked_add(4).ok_or_else(|| overflow("PE CheckSum", checksum_at))?;
    let (before, rest) = (headers.get(..split), headers.get(after..));
    let (Some(before), Some(rest)) = (before, rest) else {
        return Err(InjectError::refused("PE CheckSum", checksum_at, "outside the headers"));
    };
    let mut pieces = vec![
        Piece::Bytes(before.to_vec()),
        Piece::Deferred { len: 4, fill: Box::new(|out: &File| checksum(out).map(|sum| sum.to_le_bytes().to_vec())) },
        Piece::Bytes(rest.to_vec()),
    ];
    pieces.extend(pieces_after_headers);
    pieces.push(Piece::Payload);
    Ok(Plan { pieces, payload_offset: payload_at })
}

/// The 64-byte frame for a payload `payload_offset` bytes after it.
fn frame(payload: PayloadInfo, payload_offset: u64) -> [u8; 64] {
    Frame::new(payload_offset, payload.size, UNSEALED).to_bytes()
}
