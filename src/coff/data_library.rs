//! Writes a PE data library: a DLL with no code, written directly (no
//! linker), whose one export points at the data record and whose `.jlji`
//! section holds the frame of a payload kept in the overlay. x86_64 and
//! aarch64 get PE32+, x86 PE32. For x86_64, names `foo_data.dll` and
//! `jl_pkgimg_data`:
//!
//! ```text
//! 0x000  MS-DOS header (64) and program (56)      e_lfanew 0x78
//! 0x078  "PE\0\0", file header (20)                DLL | EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
//! 0x090  optional header (PE32+: 112 + 16 data directories × 8), only the export directory set
//! 0x180  section headers .rdata, .jlji; zeros to SizeOfHeaders 0x200
//! 0x200  .rdata   RVA 0x1000, raw 0x200: data record (32) | export directory (40) |
//!                 address table (4) | name pointers (4) | ordinals (2) | DLL name | symbol name
//! 0x400  zeros
//! 0xe00  .jlji    RVA 0x2000, VirtualSize 64, raw 0x200: the frame (payload_offset 0x200), zeros
//! 0x1000 payload (overlay: never mapped), then the CheckSum word (below)
//! ```
//!
//! As `inject` places them (FORMAT.md, "inject"): `.jlji`'s raw data ends on
//! a page, where the payload starts. `SizeOfImage` 0x3000; the file is 4 KiB
//! plus the payload plus 2 or 3 bytes (longer names move the second half).
//!
//! - **No code, no entry point** (`AddressOfEntryPoint` 0: no `DllMain`),
//!   no imports, no base relocations. `IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE`
//!   is set and `IMAGE_FILE_RELOCS_STRIPPED` is not: the image holds no
//!   absolute address (every table stores RVAs), so it is position
//!   independent with no `.reloc` at all, and the loader, finding no
//!   relocation directory in an image not marked as stripped, has nothing to
//!   fix up wherever it maps it. This is what lld-link writes for a DLL that
//!   needs no relocations (corpus/pe/x86_64-overlay.dll) and what resource-only
//!   DLLs are; Windows on ARM requires `DYNAMIC_BASE`. Also `NX_COMPAT`,
//!   `HIGH_ENTROPY_VA` for 64-bit images, and on x86 `NO_SEH` (no handler
//!   can be in an image without code, so SafeSEH has nothing to check).
//! - **CheckSum** covers every byte, the payload too, but the headers are
//!   written first to a plain `Write`, with the payload not yet read. So the
//!   file ends with a 16-bit word (after a zero byte if the payload's length
//!   is odd) that is the one's complement of the payload's word sum: the
//!   payload and that word add nothing to the checksum, which is therefore
//!   the headers' sum plus the file's length, known in advance. The word is
//!   outside the payload (the frame's `payload_size` does not count it).
//! - Deterministic: `TimeDateStamp`s are 0, and nothing depends on the clock.
//!
//! Offsets and constants are [`super::layout`]'s, written with [`Patch`].

use std::io::{self, Read, Write};

use super::emit::CoffHeader;
use super::inject::WordSum;
use super::layout::{
    data_directory, dos_header, export_directory as ed, file_header, optional_header, section_header, DOS_MAGIC,
    DOS_PROGRAM, E_LFANEW, IMAGE_DIRECTORY_ENTRY_EXPORT, IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE,
    IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA, IMAGE_DLLCHARACTERISTICS_NO_SEH, IMAGE_DLLCHARACTERISTICS_NX_COMPAT,
    IMAGE_FILE_32BIT_MACHINE, IMAGE_FILE_DLL, IMAGE_FILE_EXECUTABLE_IMAGE, IMAGE_FILE_LARGE_ADDRESS_AWARE,
    IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64, IMAGE_FILE_MACHINE_I386, IMAGE_FILE_RELOCS_STRIPPED,
    IMAGE_NT_OPTIONAL_HDR32_MAGIC, IMAGE_NT_OPTIONAL_HDR64_MAGIC, IMAGE_NUMBEROF_DIRECTORY_ENTRIES,
    IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_READ, IMAGE_SUBSYSTEM_WINDOWS_GUI, PE_SIGNATURE,
};
use crate::frame::{self, Frame};
use crate::record::{self, DataRecord};
use crate::write::data_library::{DataLibraryLayout, DataLibrarySpec};
use crate::write::error::EmitError;
use crate::write::{aligned, Misfit, Patch, Problem};
use crate::{Endian, FileRange, Format};

/// The payload starts on a page (FORMAT.md, "Writing rules"), which is
/// also `SectionAlignment`: 4 KiB on every Windows machine.
const PAGE: u64 = 4096;
/// `FileAlignment`: the spec's default, and the sector size it is meant for.
const FILE_ALIGNMENT: u64 = 512;
/// Sections: readable initialized data.
const CHARACTERISTICS: u32 = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ;
/// `ImageBase`: the linkers' defaults for DLLs.
const IMAGE_BASE_64: u64 = 0x1_8000_0000;
const IMAGE_BASE_32: u64 = 0x1000_0000;
/// `Major{OperatingSystem,Subsystem}Version`: Windows Vista (6.0), as
/// lld-link writes for every machine here.
const WINDOWS_VERSION: u64 = 6;
/// Stack and heap reserve and commit (lld-link's and link.exe's defaults;
/// a DLL's are not used, but a loader may check them for sense).
const STACK_AND_HEAP: [u64; 4] = [1 << 20, 1 << 12, 1 << 20, 1 << 12];
// IMAGE_FILE_RELOCS_STRIPPED stays clear: the image can be mapped anywhere,
// having nothing to relocate (module docs).
const _: () = assert!((IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_DLL) & IMAGE_FILE_RELOCS_STRIPPED == 0);
/// The two sections' names.
const RDATA: &[u8] = b".rdata";
const JLJI: &[u8] = b".jlji";

/// The machine's header values.
struct Machine {
    machine: u16,
    pe32_plus: bool,
    image_base: u64,
    characteristics: u16,
    dll_characteristics: u16,
}

/// A section's place in memory and in the file.
#[derive(Clone, Copy)]
struct Section {
    rva: u64,
    virtual_size: u64,
    raw_at: u64,
    raw_size: u64,
}

/// Where everything goes; it depends on the names' lengths only.
struct Plan {
    machine: Machine,
    /// `SizeOfOptionalHeader`, and where the section table starts.
    optional_size: u64,
    table_at: u64,
    size_of_headers: u64,
    rdata: Section,
    jlji: Section,
    /// Offsets in `.rdata` (the record is at 0): the export directory, its
    /// three tables, the two names, and the directory's end.
    export: Export,
    size_of_image: u64,
}

/// Offsets in `.rdata` of the export directory and what it points at.
struct Export {
    directory: u64,
    addresses: u64,
    names: u64,
    ordinals: u64,
    dll_name: u64,
    symbol_name: u64,
    end: u64,
}

/// Writes a data library for `header`'s machine carrying `spec.payload_size`
/// bytes read from `payload` (streamed, never buffered) to `out`.
/// Whether a data library can be written for `header`'s machine: the
/// refusal [`write()`] would give, before anything is read or written.
pub(crate) fn supports(header: &CoffHeader) -> Result<(), EmitError> {
    machine(header).map(drop)
}

pub(crate) fn write(
    header: &CoffHeader,
    spec: &DataLibrarySpec<'_>,
    payload: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<DataLibraryLayout, EmitError> {
    let plan = plan(machine(header)?, spec)?;
    let payload_at = plan.jlji.raw_at.saturating_add(plan.jlji.raw_size); // a page: see plan()
    let mut head = vec![0u8; usize::try_from(payload_at).unwrap_or(usize::MAX)];
    let mut patch = Patch::new(&mut head, Format::Pe, Endian::Little, plan.machine.pe32_plus);
    headers(&plan, &mut patch)?;
    rdata(&plan, spec, &mut patch)?;
    let frame = Frame::new(plan.jlji.raw_size, spec.payload_size, spec.payload_crc32c).to_bytes();
    patch.raw("frame", plan.jlji.raw_at, &frame)?;
    // The file: the head, the payload, a zero byte if its length is odd, the word.
    let odd = spec.payload_size % 2;
    let size = [spec.payload_size, odd, TRAILER].into_iter().try_fold(payload_at, u64::checked_add);
    let size =
        size.ok_or(Misfit { format: Format::Pe, field: "file size", at: payload_at, problem: Problem::Overflow })?;
    let mut sum = WordSum::default();
    sum.add(patch.bytes());
    // The payload and the trailer add nothing (module docs); the field counts as zero.
    let checksum = u32::from(sum.folded()).wrapping_add(size as u32);
    let checksum_at = plan.table_at.saturating_sub(plan.optional_size).saturating_add(optional_header::CHECK_SUM);
    patch.u32("CheckSum", checksum_at, checksum.into())?;
    out.write_all(&head)?;
    let payload_sum = stream(payload, out, spec)?;
    // The one's complement of the payload's sum: together they add 0xffff,
    // which is zero in one's-complement arithmetic (0 and 0xffff alike).
    let word = 0xffff_u16.saturating_sub(payload_sum.folded() % 0xffff);
    if odd == 1 {
        out.write_all(&[0])?;
    }
    out.write_all(&word.to_le_bytes())?;
    let record = plan.rdata.raw_at;
    Ok(DataLibraryLayout {
        container: FileRange { offset: plan.jlji.raw_at, size: u64::from(frame::SIZE) },
        payload: FileRange { offset: payload_at, size: spec.payload_size },
        record: FileRange { offset: record, size: u64::from(record::SIZE) },
        size,
    })
}

/// The size of the word that balances the checksum.
const TRAILER: u64 = 2;

/// The header values of `header`'s machine: x86_64, x86 or aarch64.
fn machine(header: &CoffHeader) -> Result<Machine, EmitError> {
    let base = IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_DLL;
    let aslr = IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE | IMAGE_DLLCHARACTERISTICS_NX_COMPAT;
    let (pe32_plus, image_base, characteristics, dll_characteristics) = match header.machine {
        IMAGE_FILE_MACHINE_AMD64 | IMAGE_FILE_MACHINE_ARM64 => (
            true,
            IMAGE_BASE_64,
            base | IMAGE_FILE_LARGE_ADDRESS_AWARE,
            aslr | IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA,
        ),
        IMAGE_FILE_MACHINE_I386 => {
            (false, IMAGE_BASE_32, base | IMAGE_FILE_32BIT_MACHINE, aslr | IMAGE_DLLCHARACTERISTICS_NO_SEH)
        }
        other => {
            return Err(EmitError::Unsupported {
                triple: format!("PE machine {other:#06x}"),
                reason: "the PE data-library writer knows x86_64, x86 and aarch64",
            })
        }
    };
    Ok(Machine { machine: header.machine, pe32_plus, image_base, characteristics, dll_characteristics })
}

/// Checks the names and places everything.
fn plan(machine: Machine, spec: &DataLibrarySpec<'_>) -> Result<Plan, EmitError> {
    for (what, name) in [("DLL name", spec.name), ("symbol name", spec.symbol)] {
        if name.is_empty() || name.contains('\0') {
            let message = format!("data library {what} {name:?} must be non-empty and hold no NUL");
            return Err(EmitError::BadRequest { format: crate::Format::Pe, reason: message });
        }
    }
    let misfit = |field, at| Misfit { format: Format::Pe, field, at, problem: Problem::Overflow };
    let optional_size = optional_header::data_directories(machine.pe32_plus)
        .saturating_add(IMAGE_NUMBEROF_DIRECTORY_ENTRIES.saturating_mul(data_directory::SIZE));
    // The MS-DOS header and program, the signature, the file and optional headers.
    let table_at = [dos_header::SIZE, DOS_PROGRAM.len() as u64, PE_SIGNATURE.len() as u64, file_header::SIZE]
        .into_iter()
        .fold(optional_size, u64::saturating_add);
    let table_end = table_at.saturating_add(section_header::SIZE.saturating_mul(2));
    let size_of_headers = aligned(Format::Pe, "SizeOfHeaders", table_end, FILE_ALIGNMENT)?;
    // .rdata: the record, then the export directory and its tables, then the names.
    let directory = u64::from(record::SIZE);
    let addresses = directory.saturating_add(ed::SIZE);
    let names = addresses.saturating_add(ed::ADDRESS_SIZE);
    let ordinals = names.saturating_add(ed::ADDRESS_SIZE);
    let dll_name = ordinals.saturating_add(ed::ORDINAL_SIZE);
    let symbol_name =
        dll_name.checked_add((spec.name.len() as u64).saturating_add(1)).ok_or(misfit("export names", dll_name))?;
    let end = symbol_name
        .checked_add((spec.symbol.len() as u64).saturating_add(1))
        .ok_or(misfit("export names", symbol_name))?;
    let export = Export { directory, addresses, names, ordinals, dll_name, symbol_name, end };
    let rdata_rva = aligned(Format::Pe, ".rdata VirtualAddress", size_of_headers, PAGE)?;
    let rdata_raw = aligned(Format::Pe, ".rdata SizeOfRawData", end, FILE_ALIGNMENT)?;
    let rdata = Section { rva: rdata_rva, virtual_size: end, raw_at: size_of_headers, raw_size: rdata_raw };
    // .jlji: after .rdata in memory; in the file, ending on the page where the payload starts.
    let rdata_end = rdata_rva.checked_add(end).ok_or(misfit(".jlji VirtualAddress", rdata_rva))?;
    let jlji_rva = aligned(Format::Pe, ".jlji VirtualAddress", rdata_end, PAGE)?;
    let jlji_raw = aligned(Format::Pe, ".jlji SizeOfRawData", frame::SIZE.into(), FILE_ALIGNMENT)?;
    let raw_end = [rdata_raw, jlji_raw].into_iter().try_fold(size_of_headers, u64::checked_add);
    let payload_at = aligned(Format::Pe, "payload", raw_end.ok_or(misfit("payload", size_of_headers))?, PAGE)?;
    let jlji = Section {
        rva: jlji_rva,
        virtual_size: frame::SIZE.into(),
        raw_at: payload_at.saturating_sub(jlji_raw),
        raw_size: jlji_raw,
    };
    let size_of_image = aligned(Format::Pe, "SizeOfImage", jlji_rva.saturating_add(jlji.virtual_size), PAGE)?;
    Ok(Plan { machine, optional_size, table_at, size_of_headers, rdata, jlji, export, size_of_image })
}

/// The MS-DOS header and program, the PE signature, the file and optional
/// headers and the section table (CheckSum left 0).
fn headers(plan: &Plan, p: &mut Patch<'_>) -> Result<(), Misfit> {
    let m = &plan.machine;
    let pe_at = dos_header::SIZE.saturating_add(DOS_PROGRAM.len() as u64);
    // The MS-DOS image: header and program, in 512-byte pages and 16-byte paragraphs.
    p.raw("e_magic", dos_header::E_MAGIC, &DOS_MAGIC)?;
    p.u16("e_cblp", dos_header::E_CBLP, pe_at % dos_header::PAGE)?;
    p.u16("e_cp", dos_header::E_CP, pe_at.div_ceil(dos_header::PAGE))?;
    p.u16("e_cparhdr", dos_header::E_CPARHDR, dos_header::SIZE / dos_header::PARAGRAPH)?;
    p.u16("e_lfarlc", dos_header::E_LFARLC, dos_header::SIZE)?;
    p.u32("e_lfanew", E_LFANEW, pe_at)?;
    p.raw("MS-DOS program", dos_header::SIZE, &DOS_PROGRAM)?;
    p.raw("PE signature", pe_at, &PE_SIGNATURE)?;
    let fh = pe_at.saturating_add(PE_SIGNATURE.len() as u64);
    let field = |base: u64, offset: u64| base.saturating_add(offset);
    p.u16("Machine", field(fh, file_header::MACHINE), m.machine.into())?;
    p.u16("NumberOfSections", field(fh, file_header::NUMBER_OF_SECTIONS), 2)?;
    p.u16("SizeOfOptionalHeader", field(fh, file_header::SIZE_OF_OPTIONAL_HEADER), plan.optional_size)?;
    p.u16("Characteristics", field(fh, file_header::CHARACTERISTICS), m.characteristics.into())?;
    let oh = fh.saturating_add(file_header::SIZE);
    let magic = if m.pe32_plus { IMAGE_NT_OPTIONAL_HDR64_MAGIC } else { IMAGE_NT_OPTIONAL_HDR32_MAGIC };
    p.u16("Magic", field(oh, optional_header::MAGIC), magic.into())?;
    let data = plan.rdata.raw_size.saturating_add(plan.jlji.raw_size);
    p.u32("SizeOfInitializedData", field(oh, optional_header::SIZE_OF_INITIALIZED_DATA), data)?;
    if !m.pe32_plus {
        p.u32("BaseOfData", field(oh, optional_header::BASE_OF_DATA), plan.rdata.rva)?;
    }
    p.word("ImageBase", field(oh, optional_header::image_base(m.pe32_plus)), m.image_base)?;
    p.u32("SectionAlignment", field(oh, optional_header::SECTION_ALIGNMENT), PAGE)?;
    p.u32("FileAlignment", field(oh, optional_header::FILE_ALIGNMENT), FILE_ALIGNMENT)?;
    let os = optional_header::MAJOR_OPERATING_SYSTEM_VERSION;
    p.u16("MajorOperatingSystemVersion", field(oh, os), WINDOWS_VERSION)?;
    p.u16("MajorSubsystemVersion", field(oh, optional_header::MAJOR_SUBSYSTEM_VERSION), WINDOWS_VERSION)?;
    p.u32("SizeOfImage", field(oh, optional_header::SIZE_OF_IMAGE), plan.size_of_image)?;
    p.u32("SizeOfHeaders", field(oh, optional_header::SIZE_OF_HEADERS), plan.size_of_headers)?;
    p.u16("Subsystem", field(oh, optional_header::SUBSYSTEM), IMAGE_SUBSYSTEM_WINDOWS_GUI.into())?;
    p.u16("DllCharacteristics", field(oh, optional_header::DLL_CHARACTERISTICS), m.dll_characteristics.into())?;
    let word = if m.pe32_plus { 8 } else { 4 };
    for (i, value) in (0u64..).zip(STACK_AND_HEAP) {
        let at = field(oh, optional_header::SIZE_OF_STACK_RESERVE.saturating_add(i.saturating_mul(word)));
        p.word("stack and heap sizes", at, value)?;
    }
    let count = IMAGE_NUMBEROF_DIRECTORY_ENTRIES;
    p.u32("NumberOfRvaAndSizes", field(oh, optional_header::number_of_rva_and_sizes(m.pe32_plus)), count)?;
    let export = IMAGE_DIRECTORY_ENTRY_EXPORT.saturating_mul(data_directory::SIZE);
    let export = field(oh, optional_header::data_directories(m.pe32_plus).saturating_add(export));
    let (directory, end) = (plan.export.directory, plan.export.end);
    p.u32(
        "export table RVA",
        field(export, data_directory::VIRTUAL_ADDRESS),
        plan.rdata.rva.saturating_add(directory),
    )?;
    p.u32("export table size", field(export, data_directory::LENGTH), end.saturating_sub(directory))?;
    for (i, (name, s)) in (0u64..).zip([(RDATA, &plan.rdata), (JLJI, &plan.jlji)]) {
        section(p, plan.table_at.saturating_add(i.saturating_mul(section_header::SIZE)), name, s)?;
    }
    Ok(())
}

/// The section header at `at`.
fn section(p: &mut Patch<'_>, at: u64, name: &[u8], s: &Section) -> Result<(), Misfit> {
    let field = |offset: u64| at.saturating_add(offset);
    let padded = crate::read::pad::<{ section_header::NAME_LEN }>(name).unwrap_or_default();
    p.raw("section Name", field(section_header::NAME), &padded)?;
    p.u32("VirtualSize", field(section_header::VIRTUAL_SIZE), s.virtual_size)?;
    p.u32("VirtualAddress", field(section_header::VIRTUAL_ADDRESS), s.rva)?;
    p.u32("SizeOfRawData", field(section_header::SIZE_OF_RAW_DATA), s.raw_size)?;
    p.u32("PointerToRawData", field(section_header::POINTER_TO_RAW_DATA), s.raw_at)?;
    p.u32("section Characteristics", field(section_header::CHARACTERISTICS), CHARACTERISTICS.into())
}

/// `.rdata`'s contents: the record, the export directory, its tables and names.
fn rdata(plan: &Plan, spec: &DataLibrarySpec<'_>, p: &mut Patch<'_>) -> Result<(), Misfit> {
    let (e, raw, rva) = (&plan.export, plan.rdata.raw_at, plan.rdata.rva);
    let at = |offset: u64| raw.saturating_add(offset);
    let rva_of = |offset: u64| rva.saturating_add(offset);
    let record = DataRecord::new(spec.payload_size, spec.payload_crc32c).to_bytes(Endian::Little);
    p.raw("data record", at(0), &record)?;
    let directory = |field: u64| at(e.directory.saturating_add(field));
    p.u32("export Name", directory(ed::NAME_RVA), rva_of(e.dll_name))?;
    p.u32("export ordinal base", directory(ed::ORDINAL_BASE), 1)?;
    p.u32("export address table entries", directory(ed::ADDRESS_TABLE_ENTRIES), 1)?;
    p.u32("export name pointers", directory(ed::NUMBER_OF_NAME_POINTERS), 1)?;
    p.u32("export address table RVA", directory(ed::EXPORT_ADDRESS_TABLE_RVA), rva_of(e.addresses))?;
    p.u32("export name pointer RVA", directory(ed::NAME_POINTER_RVA), rva_of(e.names))?;
    p.u32("export ordinal table RVA", directory(ed::ORDINAL_TABLE_RVA), rva_of(e.ordinals))?;
    // The one export: the record, at the start of the section; its ordinal index 0 (already zero).
    p.u32("export address", at(e.addresses), rva_of(0))?;
    p.u32("export name pointer", at(e.names), rva_of(e.symbol_name))?;
    p.raw("DLL name", at(e.dll_name), spec.name.as_bytes())?;
    p.raw("export name", at(e.symbol_name), spec.symbol.as_bytes())
}

/// Copies exactly `spec.payload_size` bytes from `payload` to `out`,
/// checking their CRC-32C against the spec's; their word sum.
fn stream(payload: &mut dyn Read, out: &mut dyn Write, spec: &DataLibrarySpec<'_>) -> Result<WordSum, EmitError> {
    let mut sink = Summing { inner: out, crc: 0, sum: WordSum::default() };
    let got = io::copy(&mut payload.take(spec.payload_size), &mut sink)?;
    if got != spec.payload_size {
        return Err(EmitError::ShortPayload { expected: spec.payload_size, got });
    }
    if sink.crc != spec.payload_crc32c {
        return Err(EmitError::ChecksumMismatch { expected: spec.payload_crc32c, actual: sink.crc });
    }
    Ok(sink.sum)
}

/// Passes bytes through, keeping their CRC-32C and word sum.
struct Summing<'a> {
    inner: &'a mut dyn Write,
    crc: u32,
    sum: WordSum,
}

impl Write for Summing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.crc = crc32c::crc32c_append(self.crc, written);
        self.sum.add(written);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
#[path = "data_library/tests.rs"]
pub(crate) mod tests;
