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
//!   4 KiB for x86_64; FORMAT.md "Writing rules") and the section is exactly
//!   the frame plus the payload. Starting the frame on the page instead
//!   would need `payload_offset` = one page for the same padding.
//! - The new `LC_SEGMENT_64` (72 + 80 bytes) takes the zero padding the linker
//!   left between the load commands and the first section (`-headerpad`). It
//!   is inserted just before `__LINKEDIT`'s command, so segments stay in
//!   address order and every existing section keeps its ordinal (symbols'
//!   `n_sect`).
//! - Every load command that holds a file offset into `__LINKEDIT` is
//!   updated; a command this module does not know is refused, since it could
//!   hold an offset that would go stale.
//! - Chained fixups (`LC_DYLD_CHAINED_FIXUPS`) index their per-segment table
//!   by segment number, and dyld refuses an image whose `seg_count` differs
//!   from the number of segments (dyld's `validChainedFixupsInfo`; only a
//!   trailing `__CTF` is excused). The table gets an entry (0: no fixups) for
//!   `__JULIA`; the blob grows by 8 bytes, keeping the 8-byte alignment of
//!   everything after it in `__LINKEDIT`.
//! - A code signature covers every page, so it is rebuilt: see [`super::sign`].
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

mod sign;

use self::sign::{Kind, Template};
use crate::frame::Frame;
use crate::read::Data;
use crate::write::align_up;
use crate::write::error::InjectError;
use crate::write::plan::{payload_info, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::{Arch, Error};

const MH_MAGIC_64: u32 = 0xfeed_facf;
const MH_DYLIB: u32 = 6;
const MH_BUNDLE: u32 = 8;
const CPU_TYPE_X86_64: u32 = 0x0100_0007;
const CPU_TYPE_ARM64: u32 = 0x0100_000c;
const HEADER_LEN: u64 = 32;

const LC_SEGMENT: u32 = 0x1;
const LC_SYMTAB: u32 = 0x2;
const LC_SYMSEG: u32 = 0x3;
const LC_DYSYMTAB: u32 = 0xb;
const LC_TWOLEVEL_HINTS: u32 = 0x16;
const LC_SEGMENT_64: u32 = 0x19;
const LC_CODE_SIGNATURE: u32 = 0x1d;
const LC_DYLD_INFO: u32 = 0x22;
const LC_DYLD_INFO_ONLY: u32 = 0x8000_0022;
const LC_NOTE: u32 = 0x31;
const LC_DYLD_CHAINED_FIXUPS: u32 = 0x8000_0034;
const LC_FILESET_ENTRY: u32 = 0x8000_0035;

/// `linkedit_data_command`s: `dataoff`/`datasize` at 8/12, into `__LINKEDIT`.
/// LC_CODE_SIGNATURE, LC_SEGMENT_SPLIT_INFO, LC_FUNCTION_STARTS,
/// LC_DATA_IN_CODE, LC_DYLIB_CODE_SIGN_DRS, LC_LINKER_OPTIMIZATION_HINT,
/// LC_DYLD_EXPORTS_TRIE, LC_DYLD_CHAINED_FIXUPS, LC_ATOM_INFO,
/// LC_FUNCTION_VARIANTS, LC_FUNCTION_VARIANT_FIXUPS, LC_LAZY_LOAD_DYLIB_INFO.
const LINKEDIT_DATA: [u32; 12] = [0x1d, 0x1e, 0x26, 0x29, 0x2b, 0x2e, 0x8000_0033, 0x8000_0034, 0x36, 0x37, 0x38, 0x3a];

/// Commands with no file offset into what moves: LC_THREAD, LC_UNIXTHREAD,
/// LC_LOADFVMLIB, LC_IDFVMLIB, LC_IDENT, LC_FVMFILE, LC_PREPAGE,
/// LC_LOAD_DYLIB, LC_ID_DYLIB, LC_LOAD_DYLINKER, LC_ID_DYLINKER,
/// LC_PREBOUND_DYLIB, LC_ROUTINES, LC_SUB_FRAMEWORK, LC_SUB_UMBRELLA,
/// LC_SUB_CLIENT, LC_SUB_LIBRARY, LC_PREBIND_CKSUM, LC_LOAD_WEAK_DYLIB,
/// LC_ROUTINES_64, LC_UUID, LC_RPATH, LC_REEXPORT_DYLIB, LC_LAZY_LOAD_DYLIB,
/// LC_ENCRYPTION_INFO (its `cryptoff` is into `__TEXT`, which stays),
/// LC_LOAD_UPWARD_DYLIB, LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS,
/// LC_DYLD_ENVIRONMENT, LC_MAIN (`entryoff` is into `__TEXT`),
/// LC_SOURCE_VERSION, LC_ENCRYPTION_INFO_64, LC_LINKER_OPTION,
/// LC_VERSION_MIN_TVOS, LC_VERSION_MIN_WATCHOS, LC_BUILD_VERSION,
/// LC_TARGET_TRIPLE.
const PASS_THROUGH: [u32; 37] = [
    0x4,
    0x5,
    0x6,
    0x7,
    0x8,
    0x9,
    0xa,
    0xc,
    0xd,
    0xe,
    0xf,
    0x10,
    0x11,
    0x12,
    0x13,
    0x14,
    0x15,
    0x17,
    0x8000_0018,
    0x1a,
    0x1b,
    0x8000_001c,
    0x8000_001f,
    0x20,
    0x21,
    0x8000_0023,
    0x24,
    0x25,
    0x27,
    0x8000_0028,
    0x2a,
    0x2c,
    0x2d,
    0x2f,
    0x30,
    0x32,
    0x39,
];

/// Section types without file bytes (`S_ZEROFILL`, `S_GB_ZEROFILL`,
/// `S_THREAD_LOCAL_ZEROFILL`).
const ZEROFILL: [u32; 3] = [0x1, 0xc, 0x12];
const VM_PROT_READ: u32 = 1;
const SEGMENT_LEN: u64 = 72;
const SECTION_LEN: u64 = 80;
/// The new `LC_SEGMENT_64` with its one `section_64`.
const NEW_COMMAND_LEN: u64 = SEGMENT_LEN + SECTION_LEN;
const SEGMENT: &[u8] = b"__JULIA";
const SECTION: &[u8] = b"__ji";
const LINKEDIT: &[u8] = b"__LINKEDIT";
const TEXT: &[u8] = b"__TEXT";
const FRAME_LEN: u64 = crate::frame::SIZE as u64;
/// `__ji`'s alignment, 2^6: the frame's; the payload after it is page-aligned.
const SECTION_ALIGN: u32 = 6;
/// What the chained-fixups blob grows by: one `seg_info_offset` entry and 4
/// bytes of padding, so what follows keeps its 8-byte alignment.
const FIXUPS_GROWTH: u64 = 8;
/// ld64, lld and codesign start the signature on a 16-byte boundary.
const SIGNATURE_ALIGN: u64 = 16;

fn refuse(structure: &'static str, offset: u64, reason: impl Into<String>) -> InjectError {
    InjectError::refused(structure, offset, reason)
}

fn too_large(offset: u64, what: &str) -> InjectError {
    refuse("Mach-O layout", offset, format!("{what} overflows; the output would be too large for Mach-O"))
}

/// The page size the kernel maps the slice with: 16 KiB for arm64, 4 KiB for x86_64.
fn page_size(cputype: u32) -> Option<u64> {
    match cputype {
        CPU_TYPE_ARM64 => Some(0x4000),
        CPU_TYPE_X86_64 => Some(0x1000),
        _ => None,
    }
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
    if super::fat::is_fat(library) {
        return universal(library, main, options);
    }
    let image = Data::new(library, 0, "the file");
    let arch = Arch::from_macho(image.u32(4)?);
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

/// A load command as found in the input.
struct Command {
    /// Offset of the command in the slice.
    at: u64,
    size: u64,
}

/// An `LC_SEGMENT_64`.
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// Index in the list of load commands.
    command: usize,
    name: [u8; 16],
    vmaddr: u64,
    vmsize: u64,
    fileoff: u64,
    filesize: u64,
    nsects: u32,
}

impl Segment {
    fn is(&self, name: &[u8]) -> bool {
        let (head, tail) = self.name.split_at(name.len().min(16));
        head == name && tail.iter().all(|&b| b == 0)
    }

    fn file_end(&self) -> Option<u64> {
        self.fileoff.checked_add(self.filesize)
    }

    fn vm_end(&self) -> Option<u64> {
        self.vmaddr.checked_add(self.vmsize)
    }
}

/// A file-offset field of a load command, with the extent of what it points at.
struct Field {
    /// Index of the command.
    command: usize,
    /// Offset of the field inside the command.
    rel: u64,
    /// A 64-bit field (LC_NOTE) rather than 32-bit.
    wide: bool,
    value: u64,
    extent: u64,
    name: &'static str,
}

/// Everything read from one slice's header and load commands.
struct Parsed {
    page: u64,
    ncmds: u32,
    sizeofcmds: u64,
    commands: Vec<Command>,
    segments: Vec<Segment>,
    fields: Vec<Field>,
    /// `(command index, dataoff, datasize)` of LC_CODE_SIGNATURE.
    signature: Option<(usize, u64, u64)>,
    /// `(command index, dataoff, datasize)` of LC_DYLD_CHAINED_FIXUPS.
    fixups: Option<(usize, u64, u64)>,
    /// Lowest file offset of section or segment data after the header.
    first_data: u64,
}

fn parse(image: Data<'_>) -> Result<Parsed, InjectError> {
    let at = image.base;
    let magic = image.u32(0)?;
    if magic != MH_MAGIC_64 {
        let reason = match magic {
            0xfeed_face => "this is a 32-bit Mach-O image; injection supports 64-bit images (x86_64, arm64) only",
            0xcefa_edfe | 0xcffa_edfe => {
                "this is a big-endian Mach-O image; injection supports little-endian x86_64 and arm64 only"
            }
            _ => "not a Mach-O image",
        };
        return Err(refuse("Mach-O header", at, reason));
    }
    let cputype = image.u32(4)?;
    let page = page_size(cputype).ok_or_else(|| {
        refuse(
            "Mach-O header",
            at.saturating_add(4),
            format!("CPU type {cputype:#x} ({}); injection supports x86_64 and arm64", Arch::from_macho(cputype)),
        )
    })?;
    let filetype = image.u32(12)?;
    if filetype != MH_DYLIB && filetype != MH_BUNDLE {
        return Err(refuse(
            "Mach-O header",
            at.saturating_add(12),
            format!("file type {filetype}; injection supports dylibs (MH_DYLIB) and bundles (MH_BUNDLE)"),
        ));
    }
    let ncmds = image.u32(16)?;
    let sizeofcmds = u64::from(image.u32(20)?);
    let region = image.table("Mach-O load commands", HEADER_LEN, sizeofcmds, 1)?;
    if u64::from(ncmds) > sizeofcmds / 8 {
        return Err(Error::invalid("Mach-O ncmds", at.saturating_add(16), ncmds, "at most sizeofcmds / 8").into());
    }

    let mut parsed = Parsed {
        page,
        ncmds,
        sizeofcmds,
        commands: Vec::new(),
        segments: Vec::new(),
        fields: Vec::new(),
        signature: None,
        fixups: None,
        first_data: image.len(),
    };
    let mut rel = 0u64;
    for index in 0..ncmds {
        let index = usize::try_from(index).map_err(|_| too_large(at, "load command count"))?;
        let head = region.table("Mach-O load command", rel, 8, 1)?;
        let (cmd, size) = (head.u32(0)?, u64::from(head.u32(4)?));
        let command_at = HEADER_LEN.saturating_add(rel);
        if size < 8 || size % 8 != 0 {
            let offset = region.base.saturating_add(rel).saturating_add(4);
            return Err(Error::invalid("Mach-O cmdsize", offset, size, "a multiple of 8, at least 8").into());
        }
        let body = region.table("Mach-O load command", rel, size, 1)?;
        rel = rel.saturating_add(size); // bounded by sizeofcmds
        classify(&mut parsed, index, body, cmd)?;
        parsed.commands.push(Command { at: command_at, size });
    }
    Ok(parsed)
}

/// Records what `body` (load command number `index`) holds.
fn classify(parsed: &mut Parsed, index: usize, body: Data<'_>, cmd: u32) -> Result<(), InjectError> {
    let short = |need: u64| -> Result<(), InjectError> {
        match body.len() >= need {
            true => Ok(()),
            false => {
                Err(Error::invalid("Mach-O cmdsize", body.base.saturating_add(4), body.len(), "the command's size")
                    .into())
            }
        }
    };
    let mut field = |rel: u64, extent: u64, name: &'static str| -> Result<(), InjectError> {
        let value = u64::from(body.u32(rel)?);
        parsed.fields.push(Field { command: index, rel, wide: false, value, extent, name });
        Ok(())
    };
    match cmd {
        LC_SEGMENT_64 => {
            short(SEGMENT_LEN)?;
            let mut name = [0u8; 16];
            name.copy_from_slice(body.table("Mach-O segment name", 8, 16, 1)?.bytes);
            let nsects = body.u32(64)?;
            let sections = body.table("Mach-O section headers", SEGMENT_LEN, SECTION_LEN, u64::from(nsects))?;
            if SEGMENT_LEN.checked_add(sections.len()) != Some(body.len()) {
                return Err(Error::invalid(
                    "Mach-O LC_SEGMENT_64 cmdsize",
                    body.base.saturating_add(4),
                    body.len(),
                    "72 + 80 × nsects",
                )
                .into());
            }
            for section in sections.entries("Mach-O section header", SECTION_LEN) {
                let zerofill = ZEROFILL.contains(&(section.u32(64)? & 0xff));
                let (size, offset) = (section.u64(40)?, u64::from(section.u32(48)?));
                if !zerofill && size > 0 && offset > 0 {
                    parsed.first_data = parsed.first_data.min(offset);
                }
            }
            let segment = Segment {
                command: index,
                name,
                vmaddr: body.u64(24)?,
                vmsize: body.u64(32)?,
                fileoff: body.u64(40)?,
                filesize: body.u64(48)?,
                nsects,
            };
            if segment.fileoff > 0 && segment.filesize > 0 {
                parsed.first_data = parsed.first_data.min(segment.fileoff);
            }
            parsed.segments.push(segment);
        }
        LC_SYMTAB => {
            short(24)?;
            let nsyms = u64::from(body.u32(12)?);
            field(8, nsyms.saturating_mul(16), "LC_SYMTAB symoff")?;
            field(16, u64::from(body.u32(20)?), "LC_SYMTAB stroff")?;
        }
        LC_DYSYMTAB => {
            short(80)?;
            // (offset field, count field, entry size): the table of contents,
            // module table (dylib_module_64), external references, indirect
            // symbols, external and local relocations.
            let tables: [(u64, u64, u64, &'static str); 6] = [
                (32, 36, 8, "LC_DYSYMTAB tocoff"),
                (40, 44, 56, "LC_DYSYMTAB modtaboff"),
                (48, 52, 4, "LC_DYSYMTAB extrefsymoff"),
                (56, 60, 4, "LC_DYSYMTAB indirectsymoff"),
                (64, 68, 8, "LC_DYSYMTAB extreloff"),
                (72, 76, 8, "LC_DYSYMTAB locreloff"),
            ];
            for (offset, count, size, name) in tables {
                field(offset, u64::from(body.u32(count)?).saturating_mul(size), name)?;
            }
        }
        LC_DYLD_INFO | LC_DYLD_INFO_ONLY => {
            short(48)?;
            let names = ["rebase_off", "bind_off", "weak_bind_off", "lazy_bind_off", "export_off"];
            for (i, name) in (0u64..).zip(names) {
                let rel = 8u64.saturating_add(i.saturating_mul(8));
                field(rel, u64::from(body.u32(rel.saturating_add(4))?), name)?;
            }
        }
        LC_TWOLEVEL_HINTS => {
            short(16)?;
            field(8, u64::from(body.u32(12)?).saturating_mul(4), "LC_TWOLEVEL_HINTS offset")?;
        }
        LC_NOTE => {
            short(40)?;
            let (value, extent) = (body.u64(24)?, body.u64(32)?);
            parsed.fields.push(Field { command: index, rel: 24, wide: true, value, extent, name: "LC_NOTE offset" });
        }
        cmd if LINKEDIT_DATA.contains(&cmd) => {
            short(16)?;
            let (dataoff, datasize) = (u64::from(body.u32(8)?), u64::from(body.u32(12)?));
            match cmd {
                LC_CODE_SIGNATURE => parsed.signature = Some((index, dataoff, datasize)),
                LC_DYLD_CHAINED_FIXUPS => {
                    parsed.fixups = Some((index, dataoff, datasize));
                    field(8, datasize, "LC_DYLD_CHAINED_FIXUPS dataoff")?;
                }
                _ => field(8, datasize, "linkedit_data_command dataoff")?,
            }
        }
        cmd if PASS_THROUGH.contains(&cmd) => {}
        LC_SEGMENT => {
            return Err(refuse("Mach-O load command", body.base, "a 32-bit LC_SEGMENT in a 64-bit image"));
        }
        LC_SYMSEG | LC_FILESET_ENTRY => {
            return Err(refuse(
                "Mach-O load command",
                body.base,
                format!("load command {cmd:#x} (LC_SYMSEG or LC_FILESET_ENTRY) is not supported in a dylib"),
            ));
        }
        other => {
            return Err(refuse(
                "Mach-O load command",
                body.base,
                format!(
                    "unknown load command {other:#x}: it may hold file offsets that moving __LINKEDIT would break, \
                     so the image is not modified"
                ),
            ));
        }
    }
    Ok(())
}

/// Where things go: the bytes from `cut` on are rebuilt, `__LINKEDIT` moves
/// from `linkedit` to `new_linkedit`, and the chained-fixups blob at
/// `[fixups.0, fixups.1)` may grow by `growth` bytes.
struct Move {
    cut: u64,
    linkedit: u64,
    linkedit_end: u64,
    new_linkedit: u64,
    fixups: Option<(u64, u64)>,
    growth: u64,
}

impl Move {
    /// The new value of a file offset `value` that points at `extent` bytes,
    /// or why it cannot be moved.
    fn map(&self, value: u64, extent: u64) -> Result<u64, String> {
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

/// Little-endian writes into a copy of a command.
fn put(bytes: &mut [u8], rel: u64, value: &[u8]) -> Option<()> {
    let start = usize::try_from(rel).ok()?;
    bytes.get_mut(start..start.checked_add(value.len())?)?.copy_from_slice(value);
    Some(())
}

fn put32(bytes: &mut [u8], rel: u64, value: u64, what: &str, at: u64) -> Result<(), InjectError> {
    let value = u32::try_from(value).map_err(|_| {
        refuse(
            "Mach-O load command",
            at,
            format!("{what} would be {value:#x}, beyond the 32-bit field: the output exceeds 4 GiB, Mach-O's limit"),
        )
    })?;
    put(bytes, rel, &value.to_le_bytes())
        .ok_or_else(|| refuse("Mach-O load command", at, format!("{what} is outside its command")))
}

fn put64(bytes: &mut [u8], rel: u64, value: u64, at: u64) -> Result<(), InjectError> {
    put(bytes, rel, &value.to_le_bytes()).ok_or_else(|| refuse("Mach-O load command", at, "field outside its command"))
}

/// Where the rebuilt part of a slice starts, and what it replaces.
struct Place {
    linkedit: Segment,
    linkedit_end: u64,
    /// An existing `__JULIA` (replace), rewritten in place.
    old: Option<Segment>,
    /// File offset and address from which everything is rebuilt: the old
    /// `__JULIA`, or `__LINKEDIT`.
    cut: u64,
    cut_vm: u64,
}

/// Finds `__LINKEDIT` (and an old `__JULIA`) and checks that nothing else
/// lies at or after them, so that only they move.
fn place(parsed: &Parsed, image: Data<'_>, options: &InjectOptions) -> Result<Place, InjectError> {
    let abs = |rel: u64| image.base.saturating_add(rel);
    let at = |segment: &Segment| abs(parsed.commands.get(segment.command).map_or(0, |c| c.at));
    let unique = |name: &'static [u8], what: &'static str| -> Result<Option<Segment>, InjectError> {
        let mut found = parsed.segments.iter().filter(|s| s.is(name)).copied();
        let first = found.next();
        match found.next() {
            Some(second) => Err(refuse("Mach-O segment", at(&second), format!("a second {what} segment"))),
            None => Ok(first),
        }
    };
    let linkedit = unique(LINKEDIT, "__LINKEDIT")?
        .ok_or_else(|| refuse("Mach-O load commands", abs(HEADER_LEN), "no __LINKEDIT segment"))?;
    let linkedit_end = linkedit.file_end().ok_or_else(|| too_large(at(&linkedit), "__LINKEDIT's end"))?;
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
    let old = unique(SEGMENT, "__JULIA")?;
    if let Some(old) = old {
        if !options.replace {
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset: abs(old.fileoff) });
        }
        check_old_container(parsed, old, &linkedit, image)?;
    }
    let (cut, cut_vm) = old.map_or((linkedit.fileoff, linkedit.vmaddr), |o| (o.fileoff, o.vmaddr));
    for segment in &parsed.segments {
        if segment.command == linkedit.command || old.is_some_and(|o| o.command == segment.command) {
            continue;
        }
        let file_end = segment.file_end().ok_or_else(|| too_large(at(segment), "segment end"))?;
        let vm_end = segment.vm_end().ok_or_else(|| too_large(at(segment), "segment end"))?;
        if (segment.filesize > 0 && file_end > cut) || (segment.vmsize > 0 && vm_end > cut_vm) {
            let name = String::from_utf8_lossy(&segment.name).trim_end_matches('\0').to_string();
            let what = if old.is_some() { "the existing __JULIA" } else { "__LINKEDIT" };
            let reason = format!(
                "segment {name} lies after the start of {what}; \
                 only images whose last segment is __LINKEDIT are supported"
            );
            return Err(refuse("Mach-O segment", at(segment), reason));
        }
    }
    if old.is_none() {
        // The new command goes just before __LINKEDIT's: a segment with
        // sections after it would see its section ordinals (n_sect) shift.
        if let Some(s) = parsed.segments.iter().find(|s| s.command > linkedit.command && s.nsects > 0) {
            return Err(refuse("Mach-O segment", at(s), "a segment with sections follows __LINKEDIT's load command"));
        }
        check_headerpad(parsed, image)?;
    }
    Ok(Place { linkedit, linkedit_end, old, cut, cut_vm })
}

/// The template for the new signature, if the slice is signed. The old
/// signature must be the last thing in `__LINKEDIT`, as codesign requires.
fn signature_template(
    parsed: &Parsed,
    image: Data<'_>,
    place: &Place,
    options: &InjectOptions,
) -> Result<Option<(u64, Template)>, InjectError> {
    let Some((_, off, size)) = parsed.signature else { return Ok(None) };
    let at = image.base.saturating_add(off);
    let end = off.checked_add(size).ok_or_else(|| too_large(at, "LC_CODE_SIGNATURE"))?;
    if off < place.linkedit.fileoff || end != place.linkedit_end {
        let reason = format!(
            "the signature [{off:#x}, {end:#x}) is not at the end of __LINKEDIT (which ends at {:#x})",
            place.linkedit_end
        );
        return Err(refuse("Mach-O LC_CODE_SIGNATURE", at, reason));
    }
    let bytes = image.table("code signature", off, size, 1)?;
    let (kind, template) = sign::read(bytes.bytes, bytes.base)?;
    let mut template = match (kind, options.drop_signature) {
        (Kind::AdHoc, _) => template,
        (Kind::Certificate, true) => template.ad_hoc_replacement(),
        (Kind::Certificate, false) => {
            return Err(refuse(
                "Mach-O code signature",
                at,
                "the library is signed with a certificate (CMS signature); adding a payload changes signed pages, \
                 so that signature would no longer verify. Use drop_signature to replace it with an ad-hoc \
                 signature, then sign the result again (codesign -f -s IDENTITY)",
            ))
        }
    };
    let text = parsed.segments.iter().find(|s| s.is(TEXT));
    template.default_exec_seg([text.map_or(0, |t| t.fileoff), text.map_or(0, |t| t.filesize), 0]);
    Ok(Some((off, template)))
}

/// Rebuilds one thin slice: `image` is its bytes (at `image.base` in the
/// input), `out_base` its offset in the output.
fn plan_slice(
    image: Data<'_>,
    out_base: u64,
    payload: SlicePayload,
    options: &InjectOptions,
) -> Result<SlicePlan, InjectError> {
    let abs = |rel: u64| image.base.saturating_add(rel);
    let big = |what: &str| too_large(image.base, what);
    let parsed = parse(image)?;
    let page = parsed.page;
    let place = place(&parsed, image, options)?;
    let linkedit = place.linkedit;

    // __JULIA where the rebuilt part starts, __LINKEDIT after it.
    let julia_off = align_up(place.cut, page).ok_or_else(|| big("__JULIA offset"))?;
    let julia_vm = align_up(place.cut_vm, page).ok_or_else(|| big("__JULIA address"))?;
    let payload_pages = align_up(payload.info.size, page).ok_or_else(|| big("payload size"))?;
    let julia = JuliaSegment {
        vmaddr: julia_vm,
        fileoff: julia_off,
        size: page.checked_add(payload_pages).ok_or_else(|| big("__JULIA size"))?,
        frame_at: julia_off.checked_add(page.saturating_sub(FRAME_LEN)).ok_or_else(|| big("frame offset"))?,
        payload_size: payload.info.size,
    };
    let new_linkedit = julia_off.checked_add(julia.size).ok_or_else(|| big("__LINKEDIT offset"))?;
    let new_linkedit_vm = julia_vm.checked_add(julia.size).ok_or_else(|| big("__LINKEDIT address"))?;

    // Chained fixups: one more segment to describe, unless __JULIA existed.
    let mut fixups = None;
    let mut grown = None;
    if let Some((_, off, size)) = parsed.fixups {
        let blob = image.table("LC_DYLD_CHAINED_FIXUPS data", off, size, 1)?;
        let before = |command: usize| parsed.segments.iter().filter(|s| s.command < command).count();
        match place.old {
            None => grown = Some(grow_fixups(blob, parsed.segments.len(), before(linkedit.command))?),
            Some(old) => check_no_fixups(blob, before(old.command))?,
        }
        fixups = Some((off, off.saturating_add(size)));
    }
    let growth = if grown.is_some() { FIXUPS_GROWTH } else { 0 };
    let moved = Move {
        cut: place.cut,
        linkedit: linkedit.fileoff,
        linkedit_end: place.linkedit_end,
        new_linkedit,
        fixups,
        growth,
    };

    // __LINKEDIT's new bytes: [start, fixups) | grown fixups | [fixups end,
    // data end) | pad | signature. As ld64 lays it out, the signature starts
    // at the first 16-byte boundary after the last data (the old padding
    // before it may no longer fit after the fixups grew).
    let signature = signature_template(&parsed, image, &place, options)?;
    let copy_end = match &signature {
        Some((off, _)) => {
            let data_end = linkedit_data_end(&parsed, &place);
            if data_end > *off {
                let reason = format!("__LINKEDIT data runs to {data_end:#x}, into the code signature at {off:#x}");
                return Err(refuse("Mach-O __LINKEDIT", abs(*off), reason));
            }
            data_end
        }
        None => place.linkedit_end,
    };
    let mut linkedit_pieces = Vec::new();
    let mut from = linkedit.fileoff;
    if let (Some(bytes), Some((start, stop))) = (grown, fixups) {
        linkedit_pieces.push(Piece::Input { offset: abs(from), len: start.saturating_sub(from) });
        linkedit_pieces.push(Piece::Bytes(bytes));
        from = stop;
    }
    linkedit_pieces.push(Piece::Input { offset: abs(from), len: copy_end.saturating_sub(from) });
    let copied_end = moved.map(copy_end, 0).map_err(|e| refuse("Mach-O __LINKEDIT", abs(copy_end), e))?;
    let mut new_signature = None;
    let mut linkedit_end = copied_end;
    if let Some((_, template)) = signature {
        let sig_off = align_up(copied_end, SIGNATURE_ALIGN).ok_or_else(|| big("signature offset"))?;
        let code_limit = u32::try_from(sig_off).map_err(|_| {
            let reason = format!("the signature would start at {sig_off:#x}, beyond 4 GiB: too large to sign");
            refuse("Mach-O code signature", image.base, reason)
        })?;
        let len = template.len(u64::from(code_limit)).ok_or_else(|| big("signature size"))?;
        let datasize = align_up(len, SIGNATURE_ALIGN).ok_or_else(|| big("signature size"))?;
        linkedit_pieces.push(Piece::Zeros(sig_off.saturating_sub(copied_end)));
        linkedit_pieces.push(deferred_signature(template, out_base, code_limit, datasize));
        linkedit_end = sig_off.checked_add(datasize).ok_or_else(|| big("signature end"))?;
        new_signature = Some((sig_off, datasize));
    }
    let linkedit_size = linkedit_end.saturating_sub(new_linkedit);
    let new_segment = Segment {
        vmaddr: new_linkedit_vm,
        vmsize: align_up(linkedit_size, page).ok_or_else(|| big("__LINKEDIT size"))?,
        fileoff: new_linkedit,
        filesize: linkedit_size,
        ..linkedit
    };

    let rewrite =
        Rewrite { moved: &moved, julia: &julia, page, linkedit: new_segment, signature: new_signature, growth };
    let (header, commands) = rewrite_commands(&parsed, image, &place, &rewrite)?;
    let head_len = HEADER_LEN.saturating_add(commands.len() as u64);
    let mut pieces = vec![Piece::Bytes(header), Piece::Bytes(commands)];
    pieces.push(Piece::Input { offset: abs(head_len), len: place.cut.saturating_sub(head_len) });
    pieces.push(Piece::Zeros(julia.frame_at.saturating_sub(place.cut)));
    let frame = Frame::new(FRAME_LEN, payload.info.size, UNSEALED);
    pieces.push(Piece::Bytes(frame.to_bytes().to_vec()));
    pieces.push(payload.piece());
    pieces.push(Piece::Zeros(payload_pages.saturating_sub(payload.info.size)));
    pieces.extend(linkedit_pieces);

    let payload_at = out_base.checked_add(julia_off).and_then(|v| v.checked_add(page)).ok_or_else(|| big("offset"))?;
    let pieces = pieces.into_iter().filter(|p| !is_empty(p)).collect();
    Ok(SlicePlan { pieces, len: linkedit_end, payload_at })
}

/// The end of the last `__LINKEDIT` data a load command points at (other
/// than the signature), or `__LINKEDIT`'s start if there is none.
fn linkedit_data_end(parsed: &Parsed, place: &Place) -> u64 {
    let start = place.linkedit.fileoff;
    parsed
        .fields
        .iter()
        .filter(|f| f.value >= start && f.value < place.linkedit_end)
        .map(|f| f.value.saturating_add(f.extent))
        .fold(start, u64::max)
}

/// What changes in the load commands.
struct Rewrite<'a> {
    moved: &'a Move,
    julia: &'a JuliaSegment,
    page: u64,
    /// `__LINKEDIT`'s new placement.
    linkedit: Segment,
    /// LC_CODE_SIGNATURE's new `dataoff` and `datasize`.
    signature: Option<(u64, u64)>,
    /// What LC_DYLD_CHAINED_FIXUPS's `datasize` grows by.
    growth: u64,
}

/// The new mach header and load commands: every file offset moved, the
/// `__JULIA` command inserted before `__LINKEDIT`'s (or rewritten in place).
fn rewrite_commands(
    parsed: &Parsed,
    image: Data<'_>,
    place: &Place,
    change: &Rewrite<'_>,
) -> Result<(Vec<u8>, Vec<u8>), InjectError> {
    let abs = |rel: u64| image.base.saturating_add(rel);
    let capacity = parsed.sizeofcmds.saturating_add(NEW_COMMAND_LEN);
    let mut commands = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    for (index, command) in parsed.commands.iter().enumerate() {
        let at = abs(command.at);
        if place.old.is_none() && index == place.linkedit.command {
            commands.extend_from_slice(&change.julia.command(change.page, at)?);
        }
        if place.old.is_some_and(|old| old.command == index) {
            commands.extend_from_slice(&change.julia.command(change.page, at)?);
            continue;
        }
        let mut bytes = image.table("Mach-O load command", command.at, command.size, 1)?.bytes.to_vec();
        for field in parsed.fields.iter().filter(|f| f.command == index) {
            let value = change.moved.map(field.value, field.extent).map_err(|e| {
                let reason = format!("{} ({:#x}): {e}", field.name, field.value);
                refuse("Mach-O load command", at.saturating_add(field.rel), reason)
            })?;
            match field.wide {
                true => put64(&mut bytes, field.rel, value, at)?,
                false => put32(&mut bytes, field.rel, value, field.name, at)?,
            }
        }
        if let Some((fixups, _, size)) = parsed.fixups {
            if fixups == index && change.growth > 0 {
                put32(&mut bytes, 12, size.saturating_add(change.growth), "LC_DYLD_CHAINED_FIXUPS datasize", at)?;
            }
        }
        if let (Some((signature, _, _)), Some((off, size))) = (parsed.signature, change.signature) {
            if signature == index {
                put32(&mut bytes, 8, off, "LC_CODE_SIGNATURE dataoff", at)?;
                put32(&mut bytes, 12, size, "LC_CODE_SIGNATURE datasize", at)?;
            }
        }
        if index == place.linkedit.command {
            let l = &change.linkedit;
            for (rel, value) in [(24, l.vmaddr), (32, l.vmsize), (40, l.fileoff), (48, l.filesize)] {
                put64(&mut bytes, rel, value, at)?;
            }
        }
        commands.extend_from_slice(&bytes);
    }
    // The header: one more command, unless __JULIA was rewritten in place.
    let mut header = image.table("Mach-O header", 0, HEADER_LEN, 1)?.bytes.to_vec();
    if place.old.is_none() {
        put32(&mut header, 16, u64::from(parsed.ncmds).saturating_add(1), "ncmds", abs(16))?;
        put32(&mut header, 20, commands.len() as u64, "sizeofcmds", abs(20))?;
    }
    Ok((header, commands))
}

fn is_empty(piece: &Piece) -> bool {
    matches!(piece, Piece::Input { len: 0, .. } | Piece::Zeros(0)) || matches!(piece, Piece::Bytes(b) if b.is_empty())
}

/// The new `__JULIA` segment.
struct JuliaSegment {
    vmaddr: u64,
    fileoff: u64,
    size: u64,
    frame_at: u64,
    payload_size: u64,
}

impl JuliaSegment {
    /// Its `LC_SEGMENT_64` and `section_64` (`<mach-o/loader.h>`).
    fn command(&self, page: u64, at: u64) -> Result<Vec<u8>, InjectError> {
        let section_size = FRAME_LEN.checked_add(self.payload_size).ok_or_else(|| too_large(at, "section size"))?;
        let section_addr = self.vmaddr.saturating_add(page).saturating_sub(FRAME_LEN);
        let offset = u32::try_from(self.frame_at).map_err(|_| {
            refuse(
                "Mach-O layout",
                at,
                format!("__ji would start at {:#x}, beyond the 32-bit section offset", self.frame_at),
            )
        })?;
        let mut out = Vec::with_capacity(152);
        let name = |out: &mut Vec<u8>, name: &[u8]| {
            let mut field = [0u8; 16];
            for (f, b) in field.iter_mut().zip(name) {
                *f = *b;
            }
            out.extend_from_slice(&field);
        };
        out.extend_from_slice(&LC_SEGMENT_64.to_le_bytes());
        out.extend_from_slice(&(NEW_COMMAND_LEN as u32).to_le_bytes());
        name(&mut out, SEGMENT);
        for word in [self.vmaddr, self.size, self.fileoff, self.size] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        for word in [VM_PROT_READ, VM_PROT_READ, 1 /* nsects */, 0 /* flags */] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        name(&mut out, SECTION);
        name(&mut out, SEGMENT);
        out.extend_from_slice(&section_addr.to_le_bytes());
        out.extend_from_slice(&section_size.to_le_bytes());
        // offset, align, reloff, nreloc, flags (S_REGULAR), reserved1-3.
        for word in [offset, SECTION_ALIGN, 0, 0, 0, 0, 0, 0] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        Ok(out)
    }
}

/// Checks that an existing `__JULIA` can be rebuilt in place: one section
/// `__ji`, before `__LINKEDIT` in the commands, the file and memory.
fn check_old_container(parsed: &Parsed, old: Segment, linkedit: &Segment, image: Data<'_>) -> Result<(), InjectError> {
    let command =
        parsed.commands.get(old.command).ok_or_else(|| refuse("Mach-O load commands", image.base, "index"))?;
    let at = image.base.saturating_add(command.at);
    let structure = "Mach-O __JULIA segment";
    if old.nsects != 1 || command.size != NEW_COMMAND_LEN {
        let reason =
            format!("the existing __JULIA segment has {} sections; only one (__ji) can be replaced", old.nsects);
        return Err(refuse(structure, at, reason));
    }
    let section = image.table("Mach-O section header", command.at.saturating_add(SEGMENT_LEN), SECTION_LEN, 1)?;
    if !section.padded_is::<16>(0, SECTION)? {
        return Err(refuse(structure, at, "the existing __JULIA segment's section is not __ji"));
    }
    let before = old.command < linkedit.command
        && old.file_end().is_some_and(|end| end <= linkedit.fileoff)
        && old.vm_end().is_some_and(|end| end <= linkedit.vmaddr);
    if !before {
        return Err(refuse(structure, at, "the existing __JULIA segment does not come before __LINKEDIT"));
    }
    Ok(())
}

/// The new command needs 152 bytes of zeros after the load commands.
fn check_headerpad(parsed: &Parsed, image: Data<'_>) -> Result<(), InjectError> {
    let end = HEADER_LEN.saturating_add(parsed.sizeofcmds);
    let available = parsed.first_data.saturating_sub(end);
    if available < NEW_COMMAND_LEN {
        return Err(refuse(
            "Mach-O load commands",
            image.base.saturating_add(end),
            format!(
                "the new __JULIA load command needs {NEW_COMMAND_LEN} bytes between the load commands and the first \
                 section data at {:#x}, but only {available} are free; relink with more header padding, \
                 e.g. -Wl,-headerpad,0x1000",
                parsed.first_data
            ),
        ));
    }
    let pad = image.table("Mach-O header padding", end, NEW_COMMAND_LEN, 1)?;
    if let Some(i) = pad.bytes.iter().position(|&b| b != 0) {
        return Err(refuse(
            "Mach-O header padding",
            pad.base.saturating_add(i as u64),
            "the space after the load commands is not zero: something else uses it",
        ));
    }
    Ok(())
}

/// The chained-fixups blob (`<mach-o/fixup-chains.h>`) with a zero entry for
/// a new segment at `index` in `dyld_chained_starts_in_image.seg_info_offset`,
/// and 4 bytes of padding after that array.
fn grow_fixups(blob: Data<'_>, segments: usize, index: usize) -> Result<Vec<u8>, InjectError> {
    let structure = "Mach-O chained fixups";
    let starts = u64::from(blob.u32(4)?);
    let imports = u64::from(blob.u32(8)?);
    let symbols = u64::from(blob.u32(12)?);
    let count = blob.u32(starts)?;
    if usize::try_from(count).ok() != Some(segments) {
        return Err(refuse(
            structure,
            blob.base.saturating_add(starts),
            format!("seg_count is {count}, but the image has {segments} segments; dyld would refuse it"),
        ));
    }
    let array_end = starts.saturating_add(4).saturating_add(u64::from(count).saturating_mul(4));
    if imports < array_end || symbols < array_end || starts < 28 {
        return Err(refuse(structure, blob.base, "the header's tables overlap dyld_chained_starts_in_image"));
    }
    let moved = |offset: u64| offset.checked_add(FIXUPS_GROWTH).and_then(|v| u32::try_from(v).ok());
    let mut out = blob.table(structure, 0, starts, 1)?.bytes.to_vec();
    put(&mut out, 8, &moved(imports).ok_or_else(|| too_large(blob.base, "imports_offset"))?.to_le_bytes());
    put(&mut out, 12, &moved(symbols).ok_or_else(|| too_large(blob.base, "symbols_offset"))?.to_le_bytes());
    let new_count = count.checked_add(1).ok_or_else(|| too_large(blob.base, "seg_count"))?;
    out.extend_from_slice(&new_count.to_le_bytes());
    let array = blob.table("dyld_chained_starts_in_image", starts.saturating_add(4), 4, u64::from(count))?;
    for (i, entry) in array.entries("seg_info_offset", 4).enumerate() {
        if i == index {
            out.extend_from_slice(&0u32.to_le_bytes());
        }
        let offset = u64::from(entry.u32(0)?);
        // Offsets are from the start of dyld_chained_starts_in_image.
        let new = match offset {
            0 => 0,
            offset if offset >= array_end.saturating_sub(starts) => {
                moved(offset).ok_or_else(|| too_large(entry.base, "seg_info_offset"))?
            }
            _ => {
                return Err(refuse(structure, entry.base, "a seg_info_offset points inside the seg_info_offset array"))
            }
        };
        out.extend_from_slice(&new.to_le_bytes());
    }
    if index >= segments {
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(blob.table(structure, array_end, blob.len().saturating_sub(array_end), 1)?.bytes);
    Ok(out)
}

/// An existing `__JULIA` (segment number `index`) must have no fixups.
fn check_no_fixups(blob: Data<'_>, index: usize) -> Result<(), InjectError> {
    let starts = u64::from(blob.u32(4)?);
    let count = blob.u32(starts)?;
    let entry = starts.saturating_add(4).saturating_add((index as u64).saturating_mul(4));
    if (index as u64) < u64::from(count) && blob.u32(entry)? != 0 {
        return Err(refuse(
            "Mach-O chained fixups",
            blob.base.saturating_add(entry),
            "the existing __JULIA segment has fixups; it was not made by this tool and cannot be replaced",
        ));
    }
    Ok(())
}

/// The signature piece: page hashes over the slice as written.
fn deferred_signature(template: Template, out_base: u64, code_limit: u32, datasize: u64) -> Piece {
    let fill = move |file: &std::fs::File| -> std::io::Result<Vec<u8>> {
        let hashes = sign::hash_pages(file, out_base, u64::from(code_limit), template.page_size())?;
        let mut blob = template
            .encode(code_limit, &hashes)
            .ok_or_else(|| std::io::Error::other("code signature: the encoded size differs from the planned size"))?;
        let len = usize::try_from(datasize).map_err(std::io::Error::other)?;
        if blob.len() > len {
            return Err(std::io::Error::other("code signature: larger than the space reserved for it"));
        }
        blob.resize(len, 0);
        Ok(blob)
    };
    Piece::Deferred { len: datasize, fill: Box::new(fill) }
}

/// A universal file: every slice rebuilt, the `fat_arch` table rewritten.
fn universal(file: &[u8], main: SlicePayload, options: &InjectOptions) -> Result<Plan, InjectError> {
    let data = Data::new(file, 0, "the file").with_endian(crate::Endian::Big);
    let wide = data.u32(0)? == 0xcafe_babf;
    let count = data.u32(4)?;
    let entry_len: u64 = if wide { 32 } else { 20 };
    let table = data.table("Mach-O universal slice table", 8, entry_len, u64::from(count))?;
    struct Entry {
        at: u64,
        cputype: u32,
        offset: u64,
        size: u64,
        align: u32,
    }
    let mut entries = Vec::new();
    for entry in table.entries("Mach-O universal slice entry", entry_len) {
        let (offset, size, align) = if wide {
            (entry.u64(8)?, entry.u64(16)?, entry.u32(24)?)
        } else {
            (u64::from(entry.u32(8)?), u64::from(entry.u32(12)?), entry.u32(16)?)
        };
        if align > 16 {
            return Err(refuse(
                "Mach-O universal slice entry",
                entry.base,
                format!("alignment 2^{align} is implausible"),
            ));
        }
        entries.push(Entry { at: entry.base, cputype: entry.u32(0)?, offset, size, align });
    }
    // Slices are written in file order; they must not overlap.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| entries.get(i).map_or(0, |e| e.offset));
    let header_len = 8u64.saturating_add(entry_len.saturating_mul(u64::from(count)));
    let mut end = header_len;
    for &i in &order {
        let Some(e) = entries.get(i) else { continue };
        if e.offset < end {
            return Err(refuse(
                "Mach-O universal slice entry",
                e.at,
                format!("slice at {:#x} overlaps the header or the previous slice", e.offset),
            ));
        }
        end = e.offset.saturating_add(e.size);
    }

    let archs: Vec<Arch> = entries.iter().map(|e| Arch::from_macho(e.cputype)).collect();
    check_per_arch(options, &archs)?;
    let mut measured = Vec::new();
    let mut new_entries: Vec<(u64, u64)> = vec![(0, 0); entries.len()];
    let mut pieces = Vec::new();
    let mut at = header_len;
    let mut payload_offset = None;
    for &i in &order {
        let Some(e) = entries.get(i) else { continue };
        let page = page_size(e.cputype).ok_or_else(|| {
            refuse(
                "Mach-O universal slice entry",
                e.at,
                format!(
                    "slice {i} is {}; injection supports 64-bit x86_64 and arm64 slices only",
                    Arch::from_macho(e.cputype)
                ),
            )
        })?;
        let align = (1u64 << e.align).max(page);
        let start = align_up(at, align).ok_or_else(|| too_large(e.at, "slice offset"))?;
        pieces.push(Piece::Zeros(start.saturating_sub(at)));
        let slice = data.table("Mach-O universal slice", e.offset, e.size, 1)?.with_endian(crate::Endian::Little);
        let slice = Data { what: "the slice", ..slice };
        let payload = choose(options, Arch::from_macho(e.cputype), main, &mut measured)?;
        let plan = plan_slice(slice, start, payload, options)?;
        pieces.extend(plan.pieces);
        if let Some(entry) = new_entries.get_mut(i) {
            *entry = (start, plan.len);
        }
        if i == 0 {
            payload_offset = Some(plan.payload_at);
        }
        at = start.checked_add(plan.len).ok_or_else(|| too_large(e.at, "file size"))?;
    }

    // The header: same entries, new offsets and sizes (`fat_arch` holds
    // 32-bit ones, `fat_arch_64` 64-bit ones at 8 and 16).
    let mut header = data.table("Mach-O universal header", 0, header_len, 1)?.bytes.to_vec();
    for ((e, &(offset, size)), i) in entries.iter().zip(&new_entries).zip(0u64..) {
        let rel = 8u64.saturating_add(i.saturating_mul(entry_len));
        let written = if wide {
            put(&mut header, rel.saturating_add(8), &offset.to_be_bytes()).and(put(
                &mut header,
                rel.saturating_add(16),
                &size.to_be_bytes(),
            ))
        } else {
            let (Ok(offset), Ok(size)) = (u32::try_from(offset), u32::try_from(size)) else {
                let end = offset.saturating_add(size);
                let reason = format!(
                    "the slice would end at {end:#x}, beyond the 32-bit offsets of FAT_MAGIC; inject into thin files"
                );
                return Err(refuse("Mach-O universal slice entry", e.at, reason));
            };
            put(&mut header, rel.saturating_add(8), &offset.to_be_bytes()).and(put(
                &mut header,
                rel.saturating_add(12),
                &size.to_be_bytes(),
            ))
        };
        written.ok_or_else(|| refuse("Mach-O universal slice entry", e.at, "entry outside the header"))?;
    }
    let mut all = vec![Piece::Bytes(header)];
    all.extend(pieces.into_iter().filter(|p| !is_empty(p)));
    let payload_offset =
        payload_offset.ok_or_else(|| refuse("Mach-O universal header", 0, "the file has no slices"))?;
    Ok(Plan { pieces: all, payload_offset })
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

    #[test]
    fn julia_command_fields() {
        let julia =
            JuliaSegment { vmaddr: 0x1_0000, fileoff: 0x8000, size: 0x8000, frame_at: 0xbfc0, payload_size: 100 };
        let c = julia.command(0x4000, 0).unwrap();
        assert_eq!(c.len(), 152);
        let w32 = |at: usize| u32::from_le_bytes(c[at..at + 4].try_into().unwrap());
        let w64 = |at: usize| u64::from_le_bytes(c[at..at + 8].try_into().unwrap());
        assert_eq!((w32(0), w32(4)), (0x19, 152));
        assert_eq!(&c[8..24], b"__JULIA\0\0\0\0\0\0\0\0\0");
        assert_eq!((w64(24), w64(32), w64(40), w64(48)), (0x1_0000, 0x8000, 0x8000, 0x8000));
        assert_eq!((w32(56), w32(60), w32(64), w32(68)), (1, 1, 1, 0), "maxprot, initprot, nsects, flags");
        assert_eq!(&c[72..88], b"__ji\0\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(&c[88..104], b"__JULIA\0\0\0\0\0\0\0\0\0");
        assert_eq!((w64(104), w64(112)), (0x1_3fc0, 164), "addr, size = frame + payload");
        assert_eq!((w32(120), w32(124), w32(136)), (0xbfc0, 6, 0), "offset, align 2^6, S_REGULAR");
    }
}
