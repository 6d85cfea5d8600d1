//! A Mach-O data library: an `MH_DYLIB` with no code, written directly (no
//! linker), whose `__JULIA,__ji` holds the frame and the payload and which
//! exports `_` + `spec.symbol` pointing at the 32-byte data record, so that
//! code dylibs linked against it record it as a real `LC_LOAD_DYLIB`.
//!
//! Layout of one image, page = 4096 (x86_64) or 16384 (arm64); file offsets
//! equal addresses (`__TEXT` at 0), the numbers are for arm64:
//!
//! ```text
//! 0x0000  __TEXT r-x  mach_header_64, 11 load commands, zeros
//! 0x3fe0              __TEXT,__const: the data record (32 bytes)
//! 0x4000  __JULIA r-- zeros
//! 0x7fc0              __JULIA,__ji: frame (64)
//! 0x8000              payload, zeros to a page
//! L       __LINKEDIT r-- export trie, nlist_64, strings, zeros to 16,
//!                     code signature (SuperBlob, CodeDirectory: one SHA-256
//!                     per page of everything before it)
//! ```
//!
//! Load commands: `LC_SEGMENT_64` × 3, `LC_DYLD_INFO_ONLY` (the export trie;
//! nothing to rebase or bind), `LC_SYMTAB`, `LC_DYSYMTAB`, `LC_ID_DYLIB`
//! (`spec.name`), `LC_UUID`, `LC_BUILD_VERSION`, `LC_LOAD_DYLIB`
//! libSystem, `LC_CODE_SIGNATURE`. What dyld checks and why each is there:
//! [`commands`].
//!
//! - `LC_DYLD_INFO_ONLY`, not `LC_DYLD_EXPORTS_TRIE`: every dyld since
//!   macOS 10.6 reads it, and zig's linker writes and reads it; the newer
//!   command carries `LC_REQ_DYLD`, so a dyld older than macOS 12 would
//!   refuse the library.
//! - The frame sits in the 64 bytes below a page and the payload starts on
//!   the next one, as [`crate::macho::inject`] places it: a segment starts on
//!   a page, so the page before the payload is `__JULIA`'s, and zeros but
//!   for the frame.
//! - The ad-hoc signature is a linker's (`CS_ADHOC | CS_LINKER_SIGNED`,
//!   identifier = the install name's file name, the target's page size),
//!   hashed while the bytes stream out ([`stream`]).
//! - Deterministic: the `LC_UUID` is a hash of the request ([`plan::uuid`]).

mod commands;
mod plan;
mod stream;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_link;

use std::io::{Read, Seek, SeekFrom, Write};

use self::plan::{invalid, Plan};
use self::stream::{copy_payload, Hashed};
use super::emit::MachOHeader;
use super::layout::{fat_header, FAT_ARCH, FAT_MAGIC};
use crate::frame::Frame;
use crate::write::data_library::{DataLibraryLayout, DataLibrarySpec};
use crate::write::error::EmitError;
use crate::write::{aligned, Bytes};
use crate::{Endian, Format};

/// log2 of the alignment of slices in a universal data library: 16 KiB,
/// the larger page, as lipo aligns arm64 slices.
const SLICE_ALIGN_LOG2: u32 = 14;

/// Writes a thin data library for the target of `header` to `out`,
/// streaming `spec.payload_size` bytes from `payload` once. The payload's
/// CRC-32C must be `spec.payload_crc32c` ([`EmitError::ChecksumMismatch`]
/// otherwise; [`EmitError::ShortPayload`] if it ends early: the bytes
/// written are then no library).
/// Whether a data library can be written for `header`'s machine: the
/// refusal [`write()`] would give, before anything is read or written.
pub(crate) fn supports(header: &MachOHeader) -> Result<(), EmitError> {
    plan::page_shift(header).map(drop)
}

pub(crate) fn write(
    header: &MachOHeader,
    spec: &DataLibrarySpec<'_>,
    payload: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<DataLibraryLayout, EmitError> {
    let plan = Plan::new(header, spec)?;
    write_planned(header, spec, &plan, payload, out)?;
    Ok(plan.layout(0))
}

fn write_planned(
    header: &MachOHeader,
    spec: &DataLibrarySpec<'_>,
    plan: &Plan,
    payload: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<(), EmitError> {
    let first = commands::first_page(header, spec, plan)?;
    let mut file = Hashed::new(out, plan.page);
    file.put(&first)?;
    file.zeros_to(plan.frame_at)?;
    file.put(&Frame::new(u64::from(crate::frame::SIZE), spec.payload_size, spec.payload_crc32c).to_bytes())?;
    copy_payload(payload, spec.payload_size, spec.payload_crc32c, &mut file)?;
    file.zeros_to(plan.linkedit.offset)?;
    file.put(&plan.tables.trie)?;
    file.put(&plan.tables.symbol)?;
    file.put(&plan.tables.strings)?;
    file.zeros_to(plan.signature.offset)?;
    if file.written() != plan.signature.offset {
        return Err(EmitError::Misplaced { format: Format::MachO, field: "code signature", offset: file.written() });
    }
    let (hashes, out) = file.finish();
    let code_limit = u32::try_from(plan.signature.offset).map_err(|_| too_large("codeLimit", plan.signature.offset))?;
    let mut signature = plan.template.encode(code_limit, &hashes).ok_or(EmitError::Misplaced {
        format: Format::MachO,
        field: "code signature",
        offset: plan.signature.offset,
    })?;
    let len = usize::try_from(plan.signature.size).map_err(|_| too_large("code signature", plan.signature.size))?;
    if signature.len() > len {
        return Err(EmitError::Misplaced {
            format: Format::MachO,
            field: "code signature",
            offset: plan.signature.offset,
        });
    }
    signature.resize(len, 0);
    out.write_all(&signature)?;
    Ok(())
}

fn too_large(field: &'static str, value: u64) -> EmitError {
    EmitError::TooLarge { format: Format::MachO, field, value, limit: u64::from(u32::MAX) }
}

/// A payload that can be read again from where it started: each slice of a
/// universal library carries its own copy. A `File` or a `Cursor` is one.
pub(crate) trait PayloadSource: Read + Seek {}
impl<T: Read + Seek + ?Sized> PayloadSource for T {}

/// Writes a universal (`FAT_MAGIC`) data library with one slice per header,
/// in the order given, each a complete data library with its own copy of the
/// payload, read again from `payload`'s current position for each slice.
/// Slices start at multiples of 2^14. The layouts' offsets are absolute
/// (from the start of the universal file) and their `size` is the file's.
pub(crate) fn write_universal(
    headers: &[MachOHeader],
    spec: &DataLibrarySpec<'_>,
    payload: &mut dyn PayloadSource,
    out: &mut dyn Write,
) -> Result<Vec<DataLibraryLayout>, EmitError> {
    let plans = universal_plans(headers, spec)?;
    let mut fat = Bytes::new(Format::MachO, Endian::Big);
    fat.u32(FAT_MAGIC).u32_field("nfat_arch", plans.len() as u64)?;
    for (header, (at, plan)) in headers.iter().zip(&plans) {
        fat.u32(header.cputype).u32(header.cpusubtype);
        fat.u32_field("fat_arch offset", *at)?.u32_field("fat_arch size", plan.size())?;
        fat.u32(SLICE_ALIGN_LOG2);
    }
    out.write_all(&fat.bytes)?;
    let (start, mut written) = (payload.stream_position()?, fat.at());
    let total = plans.last().map_or(written, |(at, plan)| at.saturating_add(plan.size()));
    let mut layouts = Vec::with_capacity(plans.len());
    for (header, (at, plan)) in headers.iter().zip(&plans) {
        io_zeros(out, at.saturating_sub(written))?;
        payload.seek(SeekFrom::Start(start))?;
        write_planned(header, spec, plan, payload, out)?;
        written = at.saturating_add(plan.size());
        layouts.push(DataLibraryLayout { size: total, ..plan.layout(*at) });
    }
    Ok(layouts)
}

/// Each slice's offset and plan; the offsets and sizes must fit `fat_arch`.
fn universal_plans(headers: &[MachOHeader], spec: &DataLibrarySpec<'_>) -> Result<Vec<(u64, Plan)>, EmitError> {
    if headers.is_empty() {
        return Err(invalid("a universal data library needs at least one architecture".to_string()));
    }
    for (i, h) in headers.iter().enumerate() {
        if headers.iter().take(i).any(|o| (o.cputype, o.cpusubtype) == (h.cputype, h.cpusubtype)) {
            let (cputype, cpusubtype) = (h.cputype, h.cpusubtype);
            return Err(invalid(format!("cputype {cputype:#x} subtype {cpusubtype:#x} is given twice")));
        }
    }
    let table = (headers.len() as u64).saturating_mul(FAT_ARCH.len).saturating_add(fat_header::LEN);
    let mut at = table;
    let mut plans = Vec::with_capacity(headers.len());
    for header in headers {
        let plan = Plan::new(header, spec)?;
        at = aligned(Format::MachO, "fat_arch offset", at, 1 << SLICE_ALIGN_LOG2)?;
        let end = at.checked_add(plan.size()).ok_or(too_large("fat_arch size", plan.size()))?;
        if end > u64::from(u32::MAX) {
            // FAT_MAGIC's offsets and sizes are 32-bit.
            return Err(too_large("fat_arch offset + size (FAT_MAGIC)", end));
        }
        plans.push((at, plan));
        at = end;
    }
    Ok(plans)
}

fn io_zeros(out: &mut dyn Write, count: u64) -> std::io::Result<()> {
    std::io::copy(&mut std::io::repeat(0).take(count), out).map(drop)
}
