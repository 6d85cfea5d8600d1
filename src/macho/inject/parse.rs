//! What the injector reads from a thin slice before it changes anything:
//! the header's checks, the segments, and every load-command field that
//! holds a file offset (`<mach-o/loader.h>`). The header and the load
//! commands come from the navigator's reader ([`crate::macho::header`]),
//! with loader.h's strict `cmdsize` rule for the 64-bit images written here.

use super::refuse;
use crate::macho::header::{self, LoadCommand};
use crate::macho::layout::{
    dyld_info_command as dyld_info, dysymtab_command as dysymtab, is_zerofill, linkedit_data_command, load_command,
    mach_header, note_command, symtab_command as symtab, twolevel_hints_command as twolevel, CMDSIZE_WRITE_64,
    CPU_TYPE_ARM64, CPU_TYPE_X86_64, LC_ATOM_INFO, LC_BUILD_VERSION, LC_CODE_SIGNATURE, LC_DATA_IN_CODE,
    LC_DYLD_CHAINED_FIXUPS, LC_DYLD_ENVIRONMENT, LC_DYLD_EXPORTS_TRIE, LC_DYLD_INFO, LC_DYLD_INFO_ONLY,
    LC_DYLIB_CODE_SIGN_DRS, LC_DYSYMTAB, LC_ENCRYPTION_INFO, LC_ENCRYPTION_INFO_64, LC_FILESET_ENTRY,
    LC_FUNCTION_STARTS, LC_FUNCTION_VARIANTS, LC_FUNCTION_VARIANT_FIXUPS, LC_FVMFILE, LC_IDENT, LC_IDFVMLIB,
    LC_ID_DYLIB, LC_ID_DYLINKER, LC_LAZY_LOAD_DYLIB, LC_LAZY_LOAD_DYLIB_INFO, LC_LINKER_OPTIMIZATION_HINT,
    LC_LINKER_OPTION, LC_LOADFVMLIB, LC_LOAD_DYLIB, LC_LOAD_DYLINKER, LC_LOAD_UPWARD_DYLIB, LC_LOAD_WEAK_DYLIB,
    LC_MAIN, LC_NOTE, LC_PREBIND_CKSUM, LC_PREBOUND_DYLIB, LC_PREPAGE, LC_REEXPORT_DYLIB, LC_ROUTINES, LC_ROUTINES_64,
    LC_RPATH, LC_SEGMENT, LC_SEGMENT_64, LC_SEGMENT_SPLIT_INFO, LC_SOURCE_VERSION, LC_SUB_CLIENT, LC_SUB_FRAMEWORK,
    LC_SUB_LIBRARY, LC_SUB_UMBRELLA, LC_SYMSEG, LC_SYMTAB, LC_TARGET_TRIPLE, LC_THREAD, LC_TWOLEVEL_HINTS,
    LC_UNIXTHREAD, LC_UUID, LC_VERSION_MIN_IPHONEOS, LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_TVOS,
    LC_VERSION_MIN_WATCHOS, MH_BUNDLE, MH_CIGAM, MH_CIGAM_64, MH_DYLIB, MH_MAGIC, MH_MAGIC_64, NAME_LEN,
    PAGE_SHIFT_ARM64, PAGE_SHIFT_X86_64, WIDTH_64,
};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::{Arch, Error};

/// `linkedit_data_command`s: a blob in `__LINKEDIT` at `dataoff`.
const LINKEDIT_DATA: [u32; 12] = [
    LC_CODE_SIGNATURE,
    LC_SEGMENT_SPLIT_INFO,
    LC_FUNCTION_STARTS,
    LC_DATA_IN_CODE,
    LC_DYLIB_CODE_SIGN_DRS,
    LC_LINKER_OPTIMIZATION_HINT,
    LC_DYLD_EXPORTS_TRIE,
    LC_DYLD_CHAINED_FIXUPS,
    LC_ATOM_INFO,
    LC_FUNCTION_VARIANTS,
    LC_FUNCTION_VARIANT_FIXUPS,
    LC_LAZY_LOAD_DYLIB_INFO,
];

/// Commands with no file offset into what moves. `LC_ENCRYPTION_INFO(_64)`'s
/// `cryptoff` and `LC_MAIN`'s `entryoff` point into `__TEXT`, which stays.
const PASS_THROUGH: [u32; 37] = [
    LC_THREAD,
    LC_UNIXTHREAD,
    LC_LOADFVMLIB,
    LC_IDFVMLIB,
    LC_IDENT,
    LC_FVMFILE,
    LC_PREPAGE,
    LC_LOAD_DYLIB,
    LC_ID_DYLIB,
    LC_LOAD_DYLINKER,
    LC_ID_DYLINKER,
    LC_PREBOUND_DYLIB,
    LC_ROUTINES,
    LC_SUB_FRAMEWORK,
    LC_SUB_UMBRELLA,
    LC_SUB_CLIENT,
    LC_SUB_LIBRARY,
    LC_PREBIND_CKSUM,
    LC_LOAD_WEAK_DYLIB,
    LC_ROUTINES_64,
    LC_UUID,
    LC_RPATH,
    LC_REEXPORT_DYLIB,
    LC_LAZY_LOAD_DYLIB,
    LC_ENCRYPTION_INFO,
    LC_LOAD_UPWARD_DYLIB,
    LC_VERSION_MIN_MACOSX,
    LC_VERSION_MIN_IPHONEOS,
    LC_DYLD_ENVIRONMENT,
    LC_MAIN,
    LC_SOURCE_VERSION,
    LC_ENCRYPTION_INFO_64,
    LC_LINKER_OPTION,
    LC_VERSION_MIN_TVOS,
    LC_VERSION_MIN_WATCHOS,
    LC_BUILD_VERSION,
    LC_TARGET_TRIPLE,
];

/// A `u32` file-offset field of a load command: where it is, where the size
/// of what it points at comes from, and its name in errors.
struct OffsetField {
    at: u64,
    /// The `u32` field holding a byte size, or a count of `entry`-byte entries.
    extent: u64,
    entry: u64,
    name: &'static str,
}

/// An offset whose extent is a byte size.
const fn sized(at: u64, size: u64, name: &'static str) -> OffsetField {
    OffsetField { at, extent: size, entry: 1, name }
}

/// An offset whose extent is `count` entries of `entry` bytes.
const fn counted(at: u64, count: u64, entry: u64, name: &'static str) -> OffsetField {
    OffsetField { at, extent: count, entry, name }
}

const SYMTAB: [OffsetField; 2] = [
    counted(symtab::SYMOFF, symtab::NSYMS, symtab::NLIST_64_LEN, "LC_SYMTAB symoff"),
    sized(symtab::STROFF, symtab::STRSIZE, "LC_SYMTAB stroff"),
];

/// The table of contents, module table, external references, indirect
/// symbols, external and local relocations.
const DYSYMTAB: [OffsetField; 6] = [
    counted(dysymtab::TOCOFF, dysymtab::NTOC, dysymtab::TOC_ENTRY_LEN, "LC_DYSYMTAB tocoff"),
    counted(dysymtab::MODTABOFF, dysymtab::NMODTAB, dysymtab::MODULE_64_LEN, "LC_DYSYMTAB modtaboff"),
    counted(dysymtab::EXTREFSYMOFF, dysymtab::NEXTREFSYMS, dysymtab::REFERENCE_LEN, "LC_DYSYMTAB extrefsymoff"),
    counted(
        dysymtab::INDIRECTSYMOFF,
        dysymtab::NINDIRECTSYMS,
        dysymtab::INDIRECT_SYMBOL_LEN,
        "LC_DYSYMTAB indirectsymoff",
    ),
    counted(dysymtab::EXTRELOFF, dysymtab::NEXTREL, dysymtab::RELOCATION_INFO_LEN, "LC_DYSYMTAB extreloff"),
    counted(dysymtab::LOCRELOFF, dysymtab::NLOCREL, dysymtab::RELOCATION_INFO_LEN, "LC_DYSYMTAB locreloff"),
];

const DYLD_INFO: [OffsetField; 5] = [
    sized(dyld_info::REBASE_OFF, dyld_info::REBASE_SIZE, "rebase_off"),
    sized(dyld_info::BIND_OFF, dyld_info::BIND_SIZE, "bind_off"),
    sized(dyld_info::WEAK_BIND_OFF, dyld_info::WEAK_BIND_SIZE, "weak_bind_off"),
    sized(dyld_info::LAZY_BIND_OFF, dyld_info::LAZY_BIND_SIZE, "lazy_bind_off"),
    sized(dyld_info::EXPORT_OFF, dyld_info::EXPORT_SIZE, "export_off"),
];

const TWOLEVEL_HINTS: [OffsetField; 1] =
    [counted(twolevel::OFFSET, twolevel::NHINTS, twolevel::HINT_LEN, "LC_TWOLEVEL_HINTS offset")];

const LINKEDIT_DATA_FIELD: [OffsetField; 1] =
    [sized(linkedit_data_command::DATAOFF, linkedit_data_command::DATASIZE, "linkedit_data_command dataoff")];
const CHAINED_FIXUPS_FIELD: [OffsetField; 1] =
    [sized(linkedit_data_command::DATAOFF, linkedit_data_command::DATASIZE, "LC_DYLD_CHAINED_FIXUPS dataoff")];

/// The page size the kernel maps the slice with: 16 KiB for arm64, 4 KiB for x86_64.
pub(super) fn page_size(cputype: u32) -> Option<u64> {
    match cputype {
        CPU_TYPE_ARM64 => Some(1 << PAGE_SHIFT_ARM64),
        CPU_TYPE_X86_64 => Some(1 << PAGE_SHIFT_X86_64),
        _ => None,
    }
}

/// An `LC_SEGMENT_64`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Segment {
    /// Index in the list of load commands.
    pub command: usize,
    pub name: [u8; NAME_LEN],
    pub vmaddr: u64,
    pub vmsize: u64,
    pub fileoff: u64,
    pub filesize: u64,
    pub nsects: u32,
}

impl Segment {
    pub fn is(&self, name: &[u8]) -> bool {
        let (head, tail) = self.name.split_at(name.len().min(NAME_LEN));
        head == name && tail.iter().all(|&b| b == 0)
    }

    pub fn file_end(&self) -> Option<u64> {
        self.fileoff.checked_add(self.filesize)
    }

    pub fn vm_end(&self) -> Option<u64> {
        self.vmaddr.checked_add(self.vmsize)
    }
}

/// A file-offset field of a load command, with the extent of what it points at.
pub(super) struct Field {
    /// Index of the command.
    pub command: usize,
    /// Offset of the field inside the command.
    pub rel: u64,
    /// A 64-bit field (LC_NOTE) rather than 32-bit.
    pub wide: bool,
    pub value: u64,
    pub extent: u64,
    pub name: &'static str,
}

/// Everything read from one slice's header and load commands.
pub(super) struct Parsed<'a> {
    pub page: u64,
    pub ncmds: u32,
    pub sizeofcmds: u64,
    pub commands: Vec<LoadCommand<'a>>,
    pub segments: Vec<Segment>,
    pub fields: Vec<Field>,
    /// `(command index, dataoff, datasize)` of LC_CODE_SIGNATURE.
    pub signature: Option<(usize, u64, u64)>,
    /// `(command index, dataoff, datasize)` of LC_DYLD_CHAINED_FIXUPS.
    pub fixups: Option<(usize, u64, u64)>,
    /// Lowest file offset of section or segment data after the header.
    pub first_data: u64,
}

impl Parsed<'_> {
    /// The absolute offset of load command `index`.
    pub fn command_at(&self, index: usize) -> u64 {
        self.commands.get(index).map_or(0, |c| c.data.base)
    }
}

/// Reads a thin slice that injection supports: a 64-bit little-endian
/// x86_64 or arm64 dylib or bundle.
pub(super) fn parse(image: Data<'_>) -> Result<Parsed<'_>, InjectError> {
    let page = check_header(image)?;
    let header = header::parse(image)?;
    let mut parsed = Parsed {
        page,
        ncmds: header.ncmds,
        sizeofcmds: header.commands.len(),
        commands: Vec::new(),
        segments: Vec::new(),
        fields: Vec::new(),
        signature: None,
        fixups: None,
        first_data: image.len(),
    };
    for (index, command) in header.commands(CMDSIZE_WRITE_64).enumerate() {
        let command = command?;
        classify(&mut parsed, index, command)?;
        parsed.commands.push(command);
    }
    Ok(parsed)
}

/// The magic, CPU and file type, each refused with what injection supports;
/// the slice's page size.
fn check_header(image: Data<'_>) -> Result<u64, InjectError> {
    let at = image.base;
    let magic = image.u32(mach_header::MAGIC)?;
    if magic != MH_MAGIC_64 {
        let reason = match magic {
            MH_MAGIC => "this is a 32-bit Mach-O image; injection supports 64-bit images (x86_64, arm64) only",
            MH_CIGAM | MH_CIGAM_64 => {
                "this is a big-endian Mach-O image; injection supports little-endian x86_64 and arm64 only"
            }
            _ => "not a Mach-O image",
        };
        return Err(refuse("Mach-O header", at, reason));
    }
    let cputype = image.u32(mach_header::CPUTYPE)?;
    let page = page_size(cputype).ok_or_else(|| {
        refuse(
            "Mach-O header",
            at.saturating_add(mach_header::CPUTYPE),
            format!("CPU type {cputype:#x} ({}); injection supports x86_64 and arm64", Arch::from_macho(cputype)),
        )
    })?;
    let filetype = image.u32(mach_header::FILETYPE)?;
    if filetype != MH_DYLIB && filetype != MH_BUNDLE {
        return Err(refuse(
            "Mach-O header",
            at.saturating_add(mach_header::FILETYPE),
            format!("file type {filetype}; injection supports dylibs (MH_DYLIB) and bundles (MH_BUNDLE)"),
        ));
    }
    Ok(page)
}

/// Records what `command` (load command number `index`) holds.
fn classify(parsed: &mut Parsed<'_>, index: usize, command: LoadCommand<'_>) -> Result<(), InjectError> {
    let body = command.data;
    match command.cmd {
        LC_SEGMENT_64 => segment(parsed, index, command),
        LC_SYMTAB => offsets(parsed, index, body, symtab::LEN, &SYMTAB),
        LC_DYSYMTAB => offsets(parsed, index, body, dysymtab::LEN, &DYSYMTAB),
        LC_DYLD_INFO | LC_DYLD_INFO_ONLY => offsets(parsed, index, body, dyld_info::LEN, &DYLD_INFO),
        LC_TWOLEVEL_HINTS => offsets(parsed, index, body, twolevel::LEN, &TWOLEVEL_HINTS),
        LC_NOTE => {
            at_least(body, note_command::LEN)?;
            let (value, extent) = (body.u64(note_command::OFFSET)?, body.u64(note_command::SIZE)?);
            let (rel, name) = (note_command::OFFSET, "LC_NOTE offset");
            parsed.fields.push(Field { command: index, rel, wide: true, value, extent, name });
            Ok(())
        }
        cmd if LINKEDIT_DATA.contains(&cmd) => linkedit_data(parsed, index, body, cmd),
        cmd if PASS_THROUGH.contains(&cmd) => Ok(()),
        LC_SEGMENT => Err(refuse("Mach-O load command", body.base, "a 32-bit LC_SEGMENT in a 64-bit image")),
        LC_SYMSEG | LC_FILESET_ENTRY => Err(refuse(
            "Mach-O load command",
            body.base,
            format!("load command {:#x} (LC_SYMSEG or LC_FILESET_ENTRY) is not supported in a dylib", command.cmd),
        )),
        other => Err(refuse(
            "Mach-O load command",
            body.base,
            format!(
                "unknown load command {other:#x}: it may hold file offsets that moving __LINKEDIT would break, \
                 so the image is not modified"
            ),
        )),
    }
}

/// A command must be at least as long as its structure.
fn at_least(body: Data<'_>, len: u64) -> Result<(), InjectError> {
    if body.len() >= len {
        return Ok(());
    }
    let at = body.base.saturating_add(load_command::CMDSIZE);
    Err(Error::invalid("Mach-O cmdsize", at, body.len(), "the command's size").into())
}

/// Records the `u32` file-offset fields `fields` of a command of at least `len` bytes.
fn offsets(
    parsed: &mut Parsed<'_>,
    index: usize,
    body: Data<'_>,
    len: u64,
    fields: &[OffsetField],
) -> Result<(), InjectError> {
    at_least(body, len)?;
    for field in fields {
        let extent = u64::from(body.u32(field.extent)?).saturating_mul(field.entry);
        let value = u64::from(body.u32(field.at)?);
        parsed.fields.push(Field { command: index, rel: field.at, wide: false, value, extent, name: field.name });
    }
    Ok(())
}

/// A `linkedit_data_command`. The signature is rebuilt rather than moved, so
/// its offset is not a field to map; the chained fixups may grow.
fn linkedit_data(parsed: &mut Parsed<'_>, index: usize, body: Data<'_>, cmd: u32) -> Result<(), InjectError> {
    at_least(body, linkedit_data_command::LEN)?;
    let dataoff = u64::from(body.u32(linkedit_data_command::DATAOFF)?);
    let datasize = u64::from(body.u32(linkedit_data_command::DATASIZE)?);
    match cmd {
        LC_CODE_SIGNATURE => {
            parsed.signature = Some((index, dataoff, datasize));
            Ok(())
        }
        LC_DYLD_CHAINED_FIXUPS => {
            parsed.fixups = Some((index, dataoff, datasize));
            offsets(parsed, index, body, linkedit_data_command::LEN, &CHAINED_FIXUPS_FIELD)
        }
        _ => offsets(parsed, index, body, linkedit_data_command::LEN, &LINKEDIT_DATA_FIELD),
    }
}

/// An `LC_SEGMENT_64`: its placement, and the lowest file offset of its data.
fn segment(parsed: &mut Parsed<'_>, index: usize, command: LoadCommand<'_>) -> Result<(), InjectError> {
    let (body, layout) = (command.data, WIDTH_64.segment);
    at_least(body, layout.len)?;
    let mut name = [0u8; NAME_LEN];
    name.copy_from_slice(body.table("Mach-O segment name", layout.segname, NAME_LEN as u64, 1)?.bytes);
    let nsects = body.u32(layout.nsects)?;
    let sections = command.section_headers(WIDTH_64)?;
    if layout.len.checked_add(sections.len()) != Some(body.len()) {
        let at = body.base.saturating_add(load_command::CMDSIZE);
        return Err(Error::invalid("Mach-O LC_SEGMENT_64 cmdsize", at, body.len(), "72 + 80 × nsects").into());
    }
    let section = WIDTH_64.section;
    for header in sections.entries("Mach-O section header", section.len) {
        let zerofill = is_zerofill(header.u32(section.flags)?);
        let (size, offset) = (header.u64(section.size)?, u64::from(header.u32(section.offset)?));
        if !zerofill && size > 0 && offset > 0 {
            parsed.first_data = parsed.first_data.min(offset);
        }
    }
    let segment = Segment {
        command: index,
        name,
        vmaddr: body.u64(layout.vmaddr)?,
        vmsize: body.u64(layout.vmsize)?,
        fileoff: body.u64(layout.fileoff)?,
        filesize: body.u64(layout.filesize)?,
        nsects,
    };
    if segment.fileoff > 0 && segment.filesize > 0 {
        parsed.first_data = parsed.first_data.min(segment.fileoff);
    }
    parsed.segments.push(segment);
    Ok(())
}
