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
//!   ([`checksum()`]).
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
//!
//! The headers are read by [`super::header`], as the navigator reads them;
//! field offsets come from [`super::layout`].

mod checksum;
mod image;

use std::fs::File;

pub(crate) use checksum::{checksum, WordSum};
use image::{PeImage, Section};

use super::layout::{
    data_directory, file_header, optional_header, section_header, CERTIFICATE_ALIGN, IMAGE_DIRECTORY_ENTRY_SECURITY,
    IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_READ,
};
use crate::frame::{self, Frame};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::{copy_with_holes, Fill, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::write::{add, align_up, aligned, Patch};
use crate::{Endian, Error, FileRange, Format};

const PAGE: u64 = 4096;
/// The section's `Name`, NUL-padded as the header stores it.
const NAME: [u8; section_header::NAME_LEN] = *b".jlji\0\0\0";
/// The section's `Characteristics`: data, readable.
const CHARACTERISTICS: u32 = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ;
/// The `.jlji` section maps the frame only.
const FRAME_LEN: u64 = frame::SIZE as u64;

/// What comes after the (patched) headers, and where the frame and payload go.
struct Tail {
    /// The output after the headers.
    pieces: Vec<Piece>,
    /// Where the headers that are copied and patched end.
    headers_end: u64,
    /// A new section header to write, if no `.jlji` section is reused.
    new_section: Option<NewSection>,
    payload_at: u64,
}

/// What of the input is kept: the bytes up to `end`, with `holes` zeroed;
/// and the certificate table entry to clear, if a signature is dropped.
struct Kept {
    end: u64,
    holes: Vec<(u64, u64)>,
    certificate_entry: Option<u64>,
}

/// The `.jlji` section header added to the table, and the header fields it changes.
struct NewSection {
    /// Where its 40 bytes go: the free slot after the section table.
    at: u64,
    virtual_address: u64,
    raw_size: u64,
    raw_at: u64,
    size_of_image: u64,
    size_of_initialized_data: u64,
    number_of_sections: u64,
}

/// The output layout for `library` with `payload` added. See the module docs.
pub(crate) fn layout(library: &[u8], payload: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    let pe = PeImage::read(Data::new(library, 0, "the file"))?;
    let kept = signature(&pe, options)?;
    let mut existing = pe.sections.iter().filter(|s| s.name == NAME);
    let (first, second) = (existing.next(), existing.next());
    if let (Some(a), Some(b)) = (first, second) {
        return Err(Error::Ambiguous { first: a.raw_pointer, second: b.raw_pointer }.into());
    }
    let tail = match first {
        Some(old) if !options.replace => {
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset: old.raw_pointer })
        }
        Some(old) => reuse_section(&pe, old, payload, &kept)?,
        None => add_section(&pe, payload, &kept)?,
    };
    let headers = patched_headers(&pe, &tail, kept.certificate_entry)?;
    let mut pieces = with_deferred_checksum(headers, pe.optional_field_at(optional_header::CHECK_SUM))?;
    pieces.extend(tail.pieces);
    pieces.push(Piece::Payload);
    Ok(Plan { pieces, payload_offset: tail.payload_at })
}

/// The patched `headers` as pieces, their CheckSum field at `at` left to be
/// computed over the finished file, after every other piece is written.
fn with_deferred_checksum(headers: Vec<u8>, at: u64) -> Result<Vec<Piece>, InjectError> {
    let len = optional_header::CHECK_SUM_SIZE;
    let before = usize::try_from(at).ok().and_then(|at| headers.split_at_checked(at));
    let Some((before, rest)) = before.and_then(|(before, rest)| Some((before, rest.get(len as usize..)?))) else {
        return Err(InjectError::refused("PE CheckSum", at, "outside the headers"));
    };
    let fill: Fill = Box::new(|out: &File| checksum(out).map(|sum| sum.to_le_bytes().to_vec()));
    Ok(vec![Piece::Bytes(before.to_vec()), Piece::Deferred { len, fill }, Piece::Bytes(rest.to_vec())])
}

/// The Authenticode signature, refused, or dropped from what is kept.
fn signature(pe: &PeImage<'_>, options: &InjectOptions) -> Result<Kept, InjectError> {
    let mut kept = Kept { end: pe.file.len(), holes: Vec::new(), certificate_entry: None };
    if pe.directories <= IMAGE_DIRECTORY_ENTRY_SECURITY {
        return Ok(kept);
    }
    let (offset, size) = pe.directory(IMAGE_DIRECTORY_ENTRY_SECURITY)?;
    if offset == 0 && size == 0 {
        return Ok(kept);
    }
    if !options.drop_signature {
        return Err(InjectError::Signed { path: Default::default(), offset, size });
    }
    let certificates = pe.file.table("PE certificate table", offset, size, 1)?;
    let certificates_end = certificates.base.saturating_add(certificates.len());
    // Signing tools append the table, padded to 8 bytes, at the very end.
    if align_up(certificates_end, CERTIFICATE_ALIGN).is_some_and(|e| e >= kept.end) {
        kept.end = offset;
    } else {
        kept.holes.push((offset, certificates_end));
    }
    kept.certificate_entry = Some(pe.directory_at(IMAGE_DIRECTORY_ENTRY_SECURITY));
    Ok(kept)
}

/// Replacing: the existing `.jlji` section `old` gets the new frame; an old
/// payload at the end of the file is cut off, one inside the section zeroed.
fn reuse_section(pe: &PeImage<'_>, old: &Section, payload: PayloadInfo, kept: &Kept) -> Result<Tail, InjectError> {
    let (mut end, holes) = (kept.end, &kept.holes);
    let (at, size) = (old.raw_pointer, old.raw_size);
    if size < FRAME_LEN {
        let reason = format!(
            "the existing .jlji section has {size} bytes of raw data, too few for the 64-byte frame, \
             so it cannot be reused"
        );
        return Err(InjectError::refused("PE .jlji section header", old.at, reason));
    }
    let raw = pe.file.table("PE .jlji section data", at, size, 1)?;
    let raw_end = raw.base.saturating_add(raw.len());
    if at < pe.table_end {
        let reason = "the .jlji section's data overlaps the headers";
        return Err(InjectError::refused("PE .jlji section header", old.at, reason));
    }
    let data_end = pe.sections.iter().map(|s| s.raw_pointer.saturating_add(s.raw_size)).max().unwrap_or(0);
    if let Ok((_, p)) = Frame::decode(pe.file, FileRange { offset: at, size }) {
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
    let payload_at = aligned(Format::Pe, "payload", tail_end, PAGE)?;
    let mut pieces = copy_with_holes(pe.table_end, at, holes);
    // Cannot underflow: the payload starts after the section's data.
    pieces.push(Piece::Bytes(frame(payload, payload_at.saturating_sub(at)).to_vec()));
    pieces.push(Piece::Zeros(size.saturating_sub(FRAME_LEN)));
    pieces.extend(copy_with_holes(raw_end, end, holes));
    pieces.push(Piece::Zeros(payload_at.saturating_sub(tail_end)));
    Ok(Tail { pieces, headers_end: pe.table_end, new_section: None, payload_at })
}

/// A new `.jlji` section: its header in the free slot after the section
/// table, its raw data after everything kept, ending where the payload starts.
fn add_section(pe: &PeImage<'_>, payload: PayloadInfo, kept: &Kept) -> Result<Tail, InjectError> {
    let (end, holes) = (kept.end, &kept.holes);
    let slot_end = add("COFF section table", pe.table_end, section_header::SIZE)?;
    check_free_slot(pe, slot_end)?;
    let raw_size = aligned(Format::Pe, ".jlji SizeOfRawData", FRAME_LEN, pe.file_alignment)?;
    // The raw data starts on FileAlignment and ends on a page, where the payload starts.
    let step = pe.file_alignment.max(PAGE);
    let raw_end = aligned(Format::Pe, "payload", add("PE .jlji raw data", end, raw_size)?, step)?;
    let raw_at = raw_end.saturating_sub(raw_size); // cannot underflow: raw_end >= end + raw_size
    if raw_at > u64::from(u32::MAX) {
        let reason = "the library is too large: the .jlji section's data would start past 4 GiB";
        return Err(InjectError::refused("PE .jlji section header", pe.table_end, reason));
    }
    // The section's memory follows every other section's, and what SizeOfImage already counts.
    let next = pe.sections.iter().map(Section::memory_end).fold(pe.size_of_image, u64::max);
    let virtual_address = aligned(Format::Pe, ".jlji VirtualAddress", next, pe.section_alignment)?;
    let memory_size = aligned(Format::Pe, ".jlji VirtualSize", FRAME_LEN, pe.section_alignment)?;
    let size_of_image = add("PE SizeOfImage", virtual_address, memory_size)?;
    let number_of_sections = u64::from(pe.header.number_of_sections).saturating_add(1);
    if number_of_sections > u64::from(u16::MAX) {
        return Err(no_room(pe, "the COFF header cannot count more sections".into()));
    }
    let new_section = NewSection {
        at: pe.table_end,
        virtual_address,
        raw_size,
        raw_at,
        size_of_image,
        size_of_initialized_data: pe.size_of_initialized_data.saturating_add(raw_size),
        number_of_sections,
    };
    let mut pieces = copy_with_holes(slot_end, end, holes);
    pieces.push(Piece::Zeros(raw_at.saturating_sub(end)));
    pieces.push(Piece::Bytes(frame(payload, raw_size).to_vec()));
    pieces.push(Piece::Zeros(raw_size.saturating_sub(FRAME_LEN)));
    Ok(Tail { pieces, headers_end: slot_end, new_section: Some(new_section), payload_at: raw_end })
}

/// Refuses the image unless the 40 bytes after the section table, up to
/// `slot_end`, are free for one more section header.
fn check_free_slot(pe: &PeImage<'_>, slot_end: u64) -> Result<(), InjectError> {
    let first_data = pe.sections.iter().filter(|s| s.raw_size > 0 && s.raw_pointer > 0).map(|s| s.raw_pointer).min();
    let first_data = first_data.unwrap_or(u64::MAX);
    if slot_end > pe.size_of_headers {
        return Err(no_room(pe, format!("the headers end at {:#x} (SizeOfHeaders)", pe.size_of_headers)));
    }
    if slot_end > first_data {
        return Err(no_room(pe, format!("the first section's data starts at {first_data:#x}")));
    }
    let slot = pe.file.table("free section header slot", pe.table_end, section_header::SIZE, 1)?;
    if slot.bytes.iter().any(|&b| b != 0) {
        return Err(no_room(pe, "those 40 bytes are not zero, so something else uses them".into()));
    }
    for i in (0..pe.directories).filter(|&i| i != IMAGE_DIRECTORY_ENTRY_SECURITY) {
        let (rva, size) = pe.directory(i)?;
        if size > 0 && rva < slot_end && pe.table_end < rva.saturating_add(size) {
            return Err(no_room(pe, format!("data directory {i} points into them")));
        }
    }
    Ok(())
}

/// The refusal for an image without room for one more section header.
fn no_room(pe: &PeImage<'_>, why: String) -> InjectError {
    let reason = format!("no room for one more section header at {:#x}: {why}; relink leaving room", pe.table_end);
    InjectError::refused("PE section table", pe.header.section_table_at, reason)
}

/// The input's headers up to `tail.headers_end`, with CheckSum zeroed (it is
/// computed last), the certificate table entry cleared, and the new section
/// header and the fields it changes written.
fn patched_headers(pe: &PeImage<'_>, tail: &Tail, certificate_entry: Option<u64>) -> Result<Vec<u8>, InjectError> {
    let mut headers = pe.file.table("PE headers", 0, tail.headers_end, 1)?.bytes.to_vec();
    let mut patch = Patch::new(&mut headers, Format::Pe, Endian::Little, pe.pe32_plus());
    patch.u32("CheckSum", pe.optional_field_at(optional_header::CHECK_SUM), 0)?;
    if let Some(entry) = certificate_entry {
        patch.raw("certificate table entry", entry, &[0; data_directory::SIZE as usize])?;
    }
    let Some(new) = &tail.new_section else { return Ok(headers) };
    // The slot is all zeros: the fields left out (relocations, line numbers) stay 0.
    let field = |offset: u64| new.at.saturating_add(offset);
    patch.raw(".jlji Name", field(section_header::NAME), &NAME)?;
    patch.u32(".jlji VirtualSize", field(section_header::VIRTUAL_SIZE), FRAME_LEN)?;
    patch.u32(".jlji VirtualAddress", field(section_header::VIRTUAL_ADDRESS), new.virtual_address)?;
    patch.u32(".jlji SizeOfRawData", field(section_header::SIZE_OF_RAW_DATA), new.raw_size)?;
    patch.u32(".jlji PointerToRawData", field(section_header::POINTER_TO_RAW_DATA), new.raw_at)?;
    patch.u32(".jlji Characteristics", field(section_header::CHARACTERISTICS), u64::from(CHARACTERISTICS))?;
    let count_at = pe.header.file_header_at.saturating_add(file_header::NUMBER_OF_SECTIONS);
    patch.u16("NumberOfSections", count_at, new.number_of_sections)?;
    patch.u32("SizeOfImage", pe.optional_field_at(optional_header::SIZE_OF_IMAGE), new.size_of_image)?;
    // An informational total: saturate rather than refuse.
    let initialized = new.size_of_initialized_data.min(u64::from(u32::MAX));
    patch.u32("SizeOfInitializedData", pe.optional_field_at(optional_header::SIZE_OF_INITIALIZED_DATA), initialized)?;
    Ok(headers)
}

/// The 64-byte frame for a payload `payload_offset` bytes after it.
fn frame(payload: PayloadInfo, payload_offset: u64) -> [u8; 64] {
    Frame::new(payload_offset, payload.size, UNSEALED).to_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    /// A DLL, and where its optional header is (e_lfanew + 4 + 20).
    fn dll() -> (Vec<u8>, usize) {
        let bytes = std::fs::read(format!("{}/corpus/nopayload/x86_64-windows-gnu.dll", env!("CARGO_MANIFEST_DIR")));
        let bytes = bytes.unwrap();
        let optional = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize + 24;
        (bytes, optional)
    }

    fn refusal(library: &[u8]) -> String {
        let options = InjectOptions::default();
        layout(library, PayloadInfo { size: 10 }, &options).unwrap_err().to_string()
    }

    #[test]
    fn the_optional_header_must_hold_its_magic() {
        // SizeOfOptionalHeader (file header offset 16) 1 leaves no room for
        // the magic, which the navigator reads anyway.
        let (mut bytes, optional) = dll();
        bytes[optional - 4..optional - 2].copy_from_slice(&1u16.to_le_bytes());
        assert_eq!(
            refusal(&bytes),
            format!(
                ": PE optional header at {optional:#x} (2 bytes) runs past the end of PE optional header (0x1 bytes)"
            )
        );
    }

    #[test]
    fn alignments_must_be_powers_of_two() {
        // FileAlignment is at offset 36 of the optional header.
        let (mut bytes, optional) = dll();
        bytes[optional + 36..optional + 40].copy_from_slice(&0x300u32.to_le_bytes());
        let at = optional + 36;
        assert_eq!(refusal(&bytes), format!(": PE FileAlignment at {at:#x} is 0x300, expected a power of two"));
    }

    #[test]
    fn a_coff_object_is_refused() {
        let obj = std::fs::read(format!("{}/corpus/obj/x86_64-windows.obj", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(
            refusal(&obj),
            ": COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead"
        );
    }
}
