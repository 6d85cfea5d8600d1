//! The first page of a data library: `mach_header_64`, the load commands,
//! zeros, and the data record in the page's last 32 bytes (`__TEXT,__const`),
//! written field by field in the order of `<mach-o/loader.h>`'s structures.

use super::plan::{invalid, uuid, Plan, RECORD_ALIGN_LOG2};
use crate::frame::CONTAINER_ALIGN;
use crate::macho::emit::MachOHeader;
use crate::macho::layout::{build_version_command, dyld_info_command, dylib_command, dysymtab_command};
use crate::macho::layout::{
    linkedit_data_command, symtab_command, uuid_command, NAME_LEN, SECTION_64, SEGMENT_COMMAND_64,
};
use crate::macho::layout::{CONTAINER_SECTION, CONTAINER_SEGMENT, SECT_CONST, SEG_LINKEDIT, SEG_TEXT};
use crate::macho::layout::{LC_BUILD_VERSION, LC_CODE_SIGNATURE, LC_DYLD_INFO_ONLY, LC_DYSYMTAB, LC_ID_DYLIB};
use crate::macho::layout::{LC_LOAD_DYLIB, LC_SEGMENT_64, LC_SYMTAB, LC_UUID, MH_DYLIB, MH_MAGIC_64};
use crate::macho::layout::{MH_DYLDLINK, MH_NOUNDEFS, MH_NO_REEXPORTED_DYLIBS, MH_TWOLEVEL, S_REGULAR};
use crate::macho::layout::{VM_PROT_EXECUTE, VM_PROT_READ};
use crate::record::DataRecord;
use crate::write::data_library::DataLibrarySpec;
use crate::write::error::EmitError;
use crate::write::{Bytes, Misfit};
use crate::{Endian, FileRange, Format};

/// Every process loads libSystem; dyld refuses a dylib built for macOS 12
/// or later that links nothing ("missing LC_LOAD_DYLIB (must link with at
/// least libSystem.dylib)", `MachOAnalyzer::validEmbeddedPaths`).
pub(super) const LIBSYSTEM: &[u8] = b"/usr/lib/libSystem.B.dylib";
/// `mach_header.flags` as linkers set them for a dylib with no imports.
const FLAGS: u32 = MH_NOUNDEFS | MH_DYLDLINK | MH_TWOLEVEL | MH_NO_REEXPORTED_DYLIBS;
/// Three segments, dyld info, symtab, dysymtab, id, uuid, build version,
/// libSystem, code signature.
const NCMDS: u32 = 11;
/// `__TEXT` maps the header and commands: dyld requires `r-x` there
/// (`validSegments`: "__TEXT segment permissions is not 'r-x'"; dyld2:
/// "load commands found in segment __TEXT with wrong permissions").
const TEXT_PROT: u32 = VM_PROT_READ | VM_PROT_EXECUTE;
/// `__JULIA` and `__LINKEDIT` are read-only (dyld requires it of `__LINKEDIT`).
const DATA_PROT: u32 = VM_PROT_READ;
/// Version 1.0.0 (`xxxx.yy.zz` nibbles) for the library and for libSystem:
/// a data library links against no particular libSystem.
const VERSION_1: u32 = 0x1_0000;
/// `dylib.timestamp` as ld64 writes it for the id (1) and a dependency (2).
const ID_TIMESTAMP: u32 = 1;
const LOAD_TIMESTAMP: u32 = 2;

/// The library's first page, `plan.page` bytes, ending with the record.
pub(super) fn first_page(h: &MachOHeader, spec: &DataLibrarySpec<'_>, plan: &Plan) -> Result<Vec<u8>, EmitError> {
    let mut cmds = Bytes::new(Format::MachO, Endian::Little);
    segments(&mut cmds, plan)?;
    linkedit_commands(&mut cmds, plan)?;
    identity(&mut cmds, h, spec, plan)?;

    let mut b = Bytes::new(Format::MachO, Endian::Little);
    b.u32(MH_MAGIC_64).u32(h.cputype).u32(h.cpusubtype).u32(MH_DYLIB);
    b.u32(NCMDS).u32_field("sizeofcmds", cmds.at())?.u32(FLAGS).u32(0); // reserved
    b.raw(&cmds.bytes);
    // Only the names grow the load commands: a too long one is the
    // caller's request, not the payload's size (audit 24 F9).
    if b.at() > plan.record_at {
        let reason = format!(
            "its install name ({} bytes) makes the header and load commands {:#x} bytes, above the {:#x} \
             that fit before the data record in the first page",
            spec.name.len(),
            b.at(),
            plan.record_at
        );
        return Err(EmitError::BadRequest { format: Format::MachO, reason });
    }
    b.bytes.resize(usize::try_from(plan.record_at).map_err(|_| misplaced("data record", plan.record_at))?, 0);
    b.raw(&DataRecord::new(spec.payload_size, spec.payload_crc32c).to_bytes(Endian::Little));
    Ok(b.bytes)
}

fn misplaced(field: &'static str, offset: u64) -> EmitError {
    EmitError::Misplaced { format: Format::MachO, field, offset }
}

/// A `segment_command_64` for `nsects` sections mapping `file` at the same
/// address, with `vmsize` `vmsize`.
fn segment(b: &mut Bytes, name: &[u8], file: FileRange, vmsize: u64, prot: u32, nsects: u32) -> Result<(), Misfit> {
    let cmdsize = SEGMENT_COMMAND_64.len.saturating_add(SECTION_64.len.saturating_mul(u64::from(nsects)));
    b.u32(LC_SEGMENT_64).u32_field("cmdsize", cmdsize)?.name::<NAME_LEN>(name);
    b.u64(file.offset).u64(vmsize).u64(file.offset).u64(file.size); // vmaddr, vmsize, fileoff, filesize
    b.u32(prot).u32(prot).u32(nsects).u32(0); // maxprot, initprot, nsects, flags
    Ok(())
}

/// A `section_64` at `file` (address = offset), aligned to 2^`align`.
fn section(b: &mut Bytes, names: (&[u8], &[u8]), file: FileRange, align: u32) -> Result<(), Misfit> {
    b.name::<NAME_LEN>(names.0).name::<NAME_LEN>(names.1).u64(file.offset).u64(file.size); // addr, size
    b.u32_field("section_64 offset", file.offset)?;
    b.u32(align).u32(0).u32(0).u32(S_REGULAR); // align, reloff, nreloc, flags
    b.u32(0).u32(0).u32(0); // reserved1..3
    Ok(())
}

/// `__TEXT` (header page, the record), `__JULIA` (frame, payload),
/// `__LINKEDIT`, in file and address order.
fn segments(b: &mut Bytes, plan: &Plan) -> Result<(), Misfit> {
    let text = FileRange { offset: 0, size: plan.page };
    segment(b, SEG_TEXT, text, plan.page, TEXT_PROT, 1)?;
    let record = FileRange { offset: plan.record_at, size: u64::from(crate::record::SIZE) };
    section(b, (SECT_CONST, SEG_TEXT), record, RECORD_ALIGN_LOG2)?;

    segment(b, CONTAINER_SEGMENT, plan.julia, plan.julia.size, DATA_PROT, 1)?;
    let container = FileRange { offset: plan.frame_at, size: plan.payload.size.saturating_add(64) };
    section(b, (CONTAINER_SECTION, CONTAINER_SEGMENT), container, CONTAINER_ALIGN.trailing_zeros())?;

    let vmsize = plan.linkedit.size.next_multiple_of(plan.page);
    segment(b, SEG_LINKEDIT, plan.linkedit, vmsize, DATA_PROT, 0)
}

/// `LC_DYLD_INFO_ONLY` (the export trie only: nothing to rebase or bind),
/// `LC_SYMTAB` (one symbol), `LC_DYSYMTAB` (it is the one external definition).
fn linkedit_commands(b: &mut Bytes, plan: &Plan) -> Result<(), Misfit> {
    b.u32(LC_DYLD_INFO_ONLY).u32_field("cmdsize", dyld_info_command::LEN)?;
    b.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0); // rebase, bind, weak bind, lazy bind: none
    b.u32_field("export_off", plan.trie.offset)?.u32_field("export_size", plan.trie.size)?;

    b.u32(LC_SYMTAB).u32_field("cmdsize", symtab_command::LEN)?;
    b.u32_field("symoff", plan.symtab_at)?.u32(1); // nsyms
    b.u32_field("stroff", plan.strings.offset)?.u32_field("strsize", plan.strings.size)?;

    b.u32(LC_DYSYMTAB).u32_field("cmdsize", dysymtab_command::LEN)?;
    b.u32(0).u32(0).u32(0).u32(1).u32(1).u32(0); // locals: none; external definitions: 0..1; undefined: none
    for _ in 0..12 {
        b.u32(0); // no TOC, modules, references, indirect symbols, relocations
    }
    Ok(())
}

/// `dylib_command` with its name, padded to 8 bytes.
fn dylib(b: &mut Bytes, cmd: u32, name: &[u8], timestamp: u32) -> Result<(), EmitError> {
    if name.contains(&0) {
        return Err(invalid(format!("the install name {:?} holds a NUL byte", String::from_utf8_lossy(name))));
    }
    let cmdsize = (dylib_command::LEN.saturating_add(name.len() as u64).saturating_add(1)).next_multiple_of(8);
    b.u32(cmd).u32_field("cmdsize", cmdsize)?;
    b.u32_field("dylib name offset", dylib_command::LEN)?.u32(timestamp).u32(VERSION_1).u32(VERSION_1);
    b.raw(name).u8(0).pad_to("dylib name", 8)?;
    Ok(())
}

/// `LC_ID_DYLIB`, `LC_UUID`, `LC_BUILD_VERSION`, libSystem, `LC_CODE_SIGNATURE`.
fn identity(b: &mut Bytes, h: &MachOHeader, spec: &DataLibrarySpec<'_>, plan: &Plan) -> Result<(), EmitError> {
    dylib(b, LC_ID_DYLIB, spec.name.as_bytes(), ID_TIMESTAMP)?;
    b.u32(LC_UUID).u32_field("cmdsize", uuid_command::LEN)?.raw(&uuid(h, spec));
    // platform, minos, sdk, ntools. No SDK is used; `sdk` = `minos` says the
    // file follows the rules of that release (notarization refuses sdk 0).
    b.u32(LC_BUILD_VERSION).u32_field("cmdsize", build_version_command::LEN)?;
    b.u32(h.platform).u32(h.minos).u32(h.minos).u32(0);
    dylib(b, LC_LOAD_DYLIB, LIBSYSTEM, LOAD_TIMESTAMP)?;
    b.u32(LC_CODE_SIGNATURE).u32_field("cmdsize", linkedit_data_command::LEN)?;
    b.u32_field("LC_CODE_SIGNATURE dataoff", plan.signature.offset)?;
    b.u32_field("LC_CODE_SIGNATURE datasize", plan.signature.size)?;
    Ok(())
}
