//! The Mach-O format as this crate reads and writes it: every constant and
//! every raw structure's field offsets, written down once. The navigator, the
//! section walk, the universal table, the writers and the code signer all
//! read their numbers from here; none of them spells an offset itself.
//!
//! Sources: Apple's `<mach-o/loader.h>` (headers, load commands, sections),
//! `<mach-o/fat.h>` (universal files), `<mach/machine.h>` (CPU types),
//! `<mach/vm_prot.h>`, `<mach-o/fixup-chains.h>` (chained fixups) and xnu's
//! `osfmk/kern/cs_blobs.h` (code signatures).
//!
//! Offsets are `u64`, the type [`crate::read::Data`] and [`crate::write`]
//! take them in; `LEN` is a structure's size (`sizeof`), so that it does not
//! clash with fields named `size`. Every structure is checked at compile time:
//! its fields, in order, must tile it exactly ([`tiles`]), so a mistyped
//! offset fails the build. All of these are constants: the lookup pays
//! nothing for the names.

// ---------------------------------------------------------------------------
// Magic numbers. A reader takes the first four bytes as a little-endian
// `u32`: `MH_MAGIC*` means a little-endian image, its byte swap `MH_CIGAM*`
// a big-endian one. Universal headers are always big-endian.

/// `mach_header.magic` of a 32-bit image.
pub(crate) const MH_MAGIC: u32 = 0xfeed_face;
/// [`MH_MAGIC`] byte-swapped: a 32-bit image of the other byte order.
pub(crate) const MH_CIGAM: u32 = 0xcefa_edfe;
/// `mach_header_64.magic` of a 64-bit image.
pub(crate) const MH_MAGIC_64: u32 = 0xfeed_facf;
/// [`MH_MAGIC_64`] byte-swapped.
pub(crate) const MH_CIGAM_64: u32 = 0xcffa_edfe;
/// `fat_header.magic` with 32-bit `fat_arch` entries.
pub(crate) const FAT_MAGIC: u32 = 0xcafe_babe;
/// `fat_header.magic` with 64-bit `fat_arch_64` entries.
pub(crate) const FAT_MAGIC_64: u32 = 0xcafe_babf;

// `mach_header.filetype`.
/// A relocatable object (`.o`).
pub(crate) const MH_OBJECT: u32 = 0x1;
/// A dynamically bound shared library.
pub(crate) const MH_DYLIB: u32 = 0x6;
/// A dynamically bound bundle (`dlopen`ed plugin).
pub(crate) const MH_BUNDLE: u32 = 0x8;

// ---------------------------------------------------------------------------
// Load command types (`load_command.cmd`). Commands dyld must understand to
// load the image carry `LC_REQ_DYLD`.

/// The bit of commands an older dyld must refuse rather than ignore.
pub(crate) const LC_REQ_DYLD: u32 = 0x8000_0000;
pub(crate) const LC_SEGMENT: u32 = 0x1;
pub(crate) const LC_SYMTAB: u32 = 0x2;
pub(crate) const LC_SYMSEG: u32 = 0x3;
pub(crate) const LC_THREAD: u32 = 0x4;
pub(crate) const LC_UNIXTHREAD: u32 = 0x5;
pub(crate) const LC_LOADFVMLIB: u32 = 0x6;
pub(crate) const LC_IDFVMLIB: u32 = 0x7;
pub(crate) const LC_IDENT: u32 = 0x8;
pub(crate) const LC_FVMFILE: u32 = 0x9;
pub(crate) const LC_PREPAGE: u32 = 0xa;
pub(crate) const LC_DYSYMTAB: u32 = 0xb;
pub(crate) const LC_LOAD_DYLIB: u32 = 0xc;
pub(crate) const LC_ID_DYLIB: u32 = 0xd;
pub(crate) const LC_LOAD_DYLINKER: u32 = 0xe;
pub(crate) const LC_ID_DYLINKER: u32 = 0xf;
pub(crate) const LC_PREBOUND_DYLIB: u32 = 0x10;
pub(crate) const LC_ROUTINES: u32 = 0x11;
pub(crate) const LC_SUB_FRAMEWORK: u32 = 0x12;
pub(crate) const LC_SUB_UMBRELLA: u32 = 0x13;
pub(crate) const LC_SUB_CLIENT: u32 = 0x14;
pub(crate) const LC_SUB_LIBRARY: u32 = 0x15;
pub(crate) const LC_TWOLEVEL_HINTS: u32 = 0x16;
pub(crate) const LC_PREBIND_CKSUM: u32 = 0x17;
pub(crate) const LC_LOAD_WEAK_DYLIB: u32 = 0x18 | LC_REQ_DYLD;
pub(crate) const LC_SEGMENT_64: u32 = 0x19;
pub(crate) const LC_ROUTINES_64: u32 = 0x1a;
pub(crate) const LC_UUID: u32 = 0x1b;
pub(crate) const LC_RPATH: u32 = 0x1c | LC_REQ_DYLD;
pub(crate) const LC_CODE_SIGNATURE: u32 = 0x1d;
pub(crate) const LC_SEGMENT_SPLIT_INFO: u32 = 0x1e;
pub(crate) const LC_REEXPORT_DYLIB: u32 = 0x1f | LC_REQ_DYLD;
pub(crate) const LC_LAZY_LOAD_DYLIB: u32 = 0x20;
pub(crate) const LC_ENCRYPTION_INFO: u32 = 0x21;
pub(crate) const LC_DYLD_INFO: u32 = 0x22;
pub(crate) const LC_DYLD_INFO_ONLY: u32 = 0x22 | LC_REQ_DYLD;
pub(crate) const LC_LOAD_UPWARD_DYLIB: u32 = 0x23 | LC_REQ_DYLD;
pub(crate) const LC_VERSION_MIN_MACOSX: u32 = 0x24;
pub(crate) const LC_VERSION_MIN_IPHONEOS: u32 = 0x25;
pub(crate) const LC_FUNCTION_STARTS: u32 = 0x26;
pub(crate) const LC_DYLD_ENVIRONMENT: u32 = 0x27;
pub(crate) const LC_MAIN: u32 = 0x28 | LC_REQ_DYLD;
pub(crate) const LC_DATA_IN_CODE: u32 = 0x29;
pub(crate) const LC_SOURCE_VERSION: u32 = 0x2a;
pub(crate) const LC_DYLIB_CODE_SIGN_DRS: u32 = 0x2b;
pub(crate) const LC_ENCRYPTION_INFO_64: u32 = 0x2c;
pub(crate) const LC_LINKER_OPTION: u32 = 0x2d;
pub(crate) const LC_LINKER_OPTIMIZATION_HINT: u32 = 0x2e;
pub(crate) const LC_VERSION_MIN_TVOS: u32 = 0x2f;
pub(crate) const LC_VERSION_MIN_WATCHOS: u32 = 0x30;
pub(crate) const LC_NOTE: u32 = 0x31;
pub(crate) const LC_BUILD_VERSION: u32 = 0x32;
pub(crate) const LC_DYLD_EXPORTS_TRIE: u32 = 0x33 | LC_REQ_DYLD;
pub(crate) const LC_DYLD_CHAINED_FIXUPS: u32 = 0x34 | LC_REQ_DYLD;
pub(crate) const LC_FILESET_ENTRY: u32 = 0x35 | LC_REQ_DYLD;
pub(crate) const LC_ATOM_INFO: u32 = 0x36;
pub(crate) const LC_FUNCTION_VARIANTS: u32 = 0x37;
pub(crate) const LC_FUNCTION_VARIANT_FIXUPS: u32 = 0x38;
pub(crate) const LC_TARGET_TRIPLE: u32 = 0x39;
pub(crate) const LC_LAZY_LOAD_DYLIB_INFO: u32 = 0x3a;

/// How strictly `cmdsize` is checked: at least a `load_command`, and a
/// multiple of `multiple` (a power of two), so the next command stays aligned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CmdsizeRule {
    /// `cmdsize & (multiple - 1)` must be 0.
    pub multiple: u32,
    /// What `Error::Invalid` says was expected.
    pub expected: &'static str,
}

/// loader.h: "The cmdsize field ... must be a multiple of 4 bytes for 32-bit
/// architectures and 8 bytes for 64-bit". Readers are more lenient than that,
/// and so are the two that matter: dyld (`MachOFile::forEachLoadCommand`)
/// refuses only a `cmdsize` that is not a multiple of 4, in either width
/// ("FIXME: on 64-bit mach-o, should be 8-byte aligned, (might reveal
/// bin-compat issues)"). The navigator and the section walk follow dyld: an
/// image dyld loads is one whose container they find. Their field reads are
/// bounds-checked, so alignment is no safety matter for them.
pub(crate) const CMDSIZE_READ: CmdsizeRule = CmdsizeRule { multiple: 4, expected: "a multiple of 4, at least 8" };

/// The injector writes a 64-bit image, so it holds the commands it copies to
/// loader.h's rule for 64-bit images: the `segment_command_64` it inserts
/// (and the 64-bit fields of every command after it) stay 8-byte aligned.
pub(crate) const CMDSIZE_WRITE_64: CmdsizeRule = CmdsizeRule { multiple: 8, expected: "a multiple of 8, at least 8" };

// ---------------------------------------------------------------------------
// Sections (`section.flags`: the low byte is the type, the rest attributes).

/// The section type's bits of `flags`.
pub(crate) const SECTION_TYPE: u32 = 0xff;
/// An ordinary section.
pub(crate) const S_REGULAR: u32 = 0x0;
/// Zero-fill on demand: no bytes in the file, `offset` meaningless.
pub(crate) const S_ZEROFILL: u32 = 0x1;
/// Zero-fill on demand, may exceed 4 GiB.
pub(crate) const S_GB_ZEROFILL: u32 = 0xc;
/// Thread-local zero-fill (`__thread_bss`).
pub(crate) const S_THREAD_LOCAL_ZEROFILL: u32 = 0x12;
/// Not to be dead-stripped by the static linker.
pub(crate) const S_ATTR_NO_DEAD_STRIP: u32 = 0x1000_0000;

/// Whether a section's `flags` give a type with no bytes in the file
/// (`S_ZEROFILL`, `S_GB_ZEROFILL`, `S_THREAD_LOCAL_ZEROFILL`).
#[inline(always)]
pub(crate) fn is_zerofill(flags: u32) -> bool {
    matches!(flags & SECTION_TYPE, S_ZEROFILL | S_GB_ZEROFILL | S_THREAD_LOCAL_ZEROFILL)
}

// `<mach/vm_prot.h>`: a segment's `maxprot` and `initprot`.
pub(crate) const VM_PROT_READ: u32 = 0x1;
pub(crate) const VM_PROT_WRITE: u32 = 0x2;
pub(crate) const VM_PROT_EXECUTE: u32 = 0x4;
/// `VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE`.
pub(crate) const VM_PROT_ALL: u32 = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE;

// ---------------------------------------------------------------------------
// CPU types (`<mach/machine.h>`) and `LC_BUILD_VERSION` platforms (loader.h).

pub(crate) use target::*;

// `Arch::from_macho` (src/arch.rs) and the object writer's triple parser
// (src/emit.rs) spell these as literals today; they are to read them from here.
#[allow(dead_code)]
mod target {
    /// The bit of 64-bit CPU types.
    pub(crate) const CPU_ARCH_ABI64: u32 = 0x0100_0000;
    /// The bit of ILP32 ABIs on 64-bit CPUs (arm64_32).
    pub(crate) const CPU_ARCH_ABI64_32: u32 = 0x0200_0000;
    pub(crate) const CPU_TYPE_X86: u32 = 7;
    pub(crate) const CPU_TYPE_X86_64: u32 = CPU_TYPE_X86 | CPU_ARCH_ABI64;
    pub(crate) const CPU_TYPE_ARM: u32 = 12;
    pub(crate) const CPU_TYPE_ARM64: u32 = CPU_TYPE_ARM | CPU_ARCH_ABI64;
    pub(crate) const CPU_TYPE_ARM64_32: u32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32;
    pub(crate) const CPU_TYPE_POWERPC: u32 = 18;
    pub(crate) const CPU_TYPE_POWERPC64: u32 = CPU_TYPE_POWERPC | CPU_ARCH_ABI64;
    pub(crate) const CPU_SUBTYPE_X86_64_ALL: u32 = 3;
    /// Haswell and later (`x86_64h`).
    pub(crate) const CPU_SUBTYPE_X86_64_H: u32 = 8;
    pub(crate) const CPU_SUBTYPE_ARM64_ALL: u32 = 0;

    pub(crate) const PLATFORM_MACOS: u32 = 1;
    pub(crate) const PLATFORM_IOS: u32 = 2;
    pub(crate) const PLATFORM_TVOS: u32 = 3;
    pub(crate) const PLATFORM_WATCHOS: u32 = 4;
    pub(crate) const PLATFORM_MACCATALYST: u32 = 6;
    pub(crate) const PLATFORM_IOSSIMULATOR: u32 = 7;
    pub(crate) const PLATFORM_TVOSSIMULATOR: u32 = 8;
    pub(crate) const PLATFORM_WATCHOSSIMULATOR: u32 = 9;
    pub(crate) const PLATFORM_XROS: u32 = 11;
    pub(crate) const PLATFORM_XROS_SIMULATOR: u32 = 12;
}

/// log2 of the page size the kernel maps x86_64 images with (4 KiB).
pub(crate) const PAGE_SHIFT_X86_64: u8 = 12;
/// log2 of the page size of arm64 user space (16 KiB).
pub(crate) const PAGE_SHIFT_ARM64: u8 = 14;

// ---------------------------------------------------------------------------
// Raw structures: field offsets. Widths of the C types, for the checks.

const U8: u64 = 1;
const U32: u64 = 4;
const U64: u64 = 8;
/// `char segname[16]`, `char sectname[16]`, `char data_owner[16]`.
const NAME: u64 = 16;

/// Whether `fields` (offset, width), in order, cover `0..len` with no gap and
/// no overlap: the compile-time check of every layout below.
const fn tiles(fields: &[(u64, u64)], len: u64) -> bool {
    let (mut at, mut rest) = (0u64, fields);
    while let [(offset, width), tail @ ..] = rest {
        match at.checked_add(*width) {
            Some(end) if *offset == at => at = end,
            _ => return false,
        }
        rest = tail;
    }
    at == len
}

/// `struct mach_header` (32-bit) and `struct mach_header_64`, which only adds
/// `reserved` at the end.
pub(crate) mod mach_header {
    pub(crate) const MAGIC: u64 = 0;
    pub(crate) const CPUTYPE: u64 = 4;
    pub(crate) const CPUSUBTYPE: u64 = 8;
    pub(crate) const FILETYPE: u64 = 12;
    pub(crate) const NCMDS: u64 = 16;
    pub(crate) const SIZEOFCMDS: u64 = 20;
    pub(crate) const FLAGS: u64 = 24;
    /// `sizeof(struct mach_header)`.
    pub(crate) const LEN: u64 = 28;
    /// `mach_header_64.reserved`.
    pub(crate) const RESERVED: u64 = 28;
    /// `sizeof(struct mach_header_64)`.
    pub(crate) const LEN_64: u64 = 32;
}
const _: () = {
    use mach_header::*;
    assert!(tiles(
        &[(MAGIC, U32), (CPUTYPE, U32), (CPUSUBTYPE, U32), (FILETYPE, U32), (NCMDS, U32), (SIZEOFCMDS, U32), (FLAGS, U32)],
        LEN
    ));
    assert!(RESERVED == LEN && tiles(&[(0, LEN), (RESERVED, U32)], LEN_64));
};

/// `struct load_command`: the start of every command.
pub(crate) mod load_command {
    pub(crate) const CMD: u64 = 0;
    pub(crate) const CMDSIZE: u64 = 4;
    pub(crate) const LEN: u64 = 8;
}
const _: () = assert!(tiles(&[(load_command::CMD, U32), (load_command::CMDSIZE, U32)], load_command::LEN));

/// `struct segment_command` / `segment_command_64`: the same fields, with
/// `vmaddr`, `vmsize`, `fileoff` and `filesize` 32 or 64 bits wide.
/// `cmd` and `cmdsize` are at [`load_command`]'s offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SegmentCommand {
    /// The `cmd` value: `LC_SEGMENT` or `LC_SEGMENT_64`.
    pub cmd: u32,
    pub segname: u64,
    pub vmaddr: u64,
    pub vmsize: u64,
    pub fileoff: u64,
    pub filesize: u64,
    pub maxprot: u64,
    pub initprot: u64,
    pub nsects: u64,
    pub flags: u64,
    /// `sizeof`; the command's `section`/`section_64` headers follow it.
    pub len: u64,
}

pub(crate) const SEGMENT_COMMAND: SegmentCommand = SegmentCommand {
    cmd: LC_SEGMENT,
    segname: 8,
    vmaddr: 24,
    vmsize: 28,
    fileoff: 32,
    filesize: 36,
    maxprot: 40,
    initprot: 44,
    nsects: 48,
    flags: 52,
    len: 56,
};

pub(crate) const SEGMENT_COMMAND_64: SegmentCommand = SegmentCommand {
    cmd: LC_SEGMENT_64,
    segname: 8,
    vmaddr: 24,
    vmsize: 32,
    fileoff: 40,
    filesize: 48,
    maxprot: 56,
    initprot: 60,
    nsects: 64,
    flags: 68,
    len: 72,
};

impl SegmentCommand {
    const fn tiles(&self, word: u64) -> bool {
        let fields = [
            (load_command::CMD, U32),
            (load_command::CMDSIZE, U32),
            (self.segname, NAME),
            (self.vmaddr, word),
            (self.vmsize, word),
            (self.fileoff, word),
            (self.filesize, word),
            (self.maxprot, U32),
            (self.initprot, U32),
            (self.nsects, U32),
            (self.flags, U32),
        ];
        tiles(&fields, self.len)
    }
}
const _: () = assert!(SEGMENT_COMMAND.tiles(U32) && SEGMENT_COMMAND_64.tiles(U64));

/// `struct section` / `section_64`: `addr` and `size` are 32 or 64 bits
/// wide, and `section_64` ends with `reserved3`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Section {
    pub sectname: u64,
    pub segname: u64,
    pub addr: u64,
    pub size: u64,
    pub offset: u64,
    pub align: u64,
    pub reloff: u64,
    pub nreloc: u64,
    pub flags: u64,
    pub reserved1: u64,
    pub reserved2: u64,
    /// `sizeof`.
    pub len: u64,
}

pub(crate) const SECTION: Section = Section {
    sectname: 0,
    segname: 16,
    addr: 32,
    size: 36,
    offset: 40,
    align: 44,
    reloff: 48,
    nreloc: 52,
    flags: 56,
    reserved1: 60,
    reserved2: 64,
    len: 68,
};

pub(crate) const SECTION_64: Section = Section {
    sectname: 0,
    segname: 16,
    addr: 32,
    size: 40,
    offset: 48,
    align: 52,
    reloff: 56,
    nreloc: 60,
    flags: 64,
    reserved1: 68,
    reserved2: 72,
    len: 80,
};

/// `section_64.reserved3`.
pub(crate) const SECTION_64_RESERVED3: u64 = 76;

impl Section {
    /// Whether the common fields tile the structure up to `end`.
    const fn tiles(&self, word: u64, end: u64) -> bool {
        let fields = [
            (self.sectname, NAME),
            (self.segname, NAME),
            (self.addr, word),
            (self.size, word),
            (self.offset, U32),
            (self.align, U32),
            (self.reloff, U32),
            (self.nreloc, U32),
            (self.flags, U32),
            (self.reserved1, U32),
            (self.reserved2, U32),
        ];
        tiles(&fields, end)
    }
}
const _: () = assert!(SECTION.tiles(U32, SECTION.len));
const _: () = assert!(SECTION_64.tiles(U64, SECTION_64_RESERVED3) && SECTION_64_RESERVED3 + U32 == SECTION_64.len);

/// `sectname` and `segname`, the first 32 bytes of a section header: what
/// the lookup compares in one go.
pub(crate) const SECTION_NAMES: usize = 32;
const _: () = assert!(SECTION.segname + NAME == SECTION_NAMES as u64 && SECTION_64.segname == SECTION.segname);

/// The structures whose layout depends on the image's width, chosen once
/// from the magic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Width {
    /// 64-bit (`MH_MAGIC_64`): address fields are `u64`.
    pub wide: bool,
    /// `sizeof(mach_header)` or `sizeof(mach_header_64)`.
    pub header_len: u64,
    pub segment: SegmentCommand,
    pub section: Section,
}

pub(crate) const WIDTH_32: Width =
    Width { wide: false, header_len: mach_header::LEN, segment: SEGMENT_COMMAND, section: SECTION };
pub(crate) const WIDTH_64: Width =
    Width { wide: true, header_len: mach_header::LEN_64, segment: SEGMENT_COMMAND_64, section: SECTION_64 };

/// `struct symtab_command`: the symbol table (`nlist_64` entries) and the
/// string table.
pub(crate) mod symtab_command {
    pub(crate) const SYMOFF: u64 = 8;
    pub(crate) const NSYMS: u64 = 12;
    pub(crate) const STROFF: u64 = 16;
    pub(crate) const STRSIZE: u64 = 20;
    pub(crate) const LEN: u64 = 24;
    /// `sizeof(struct nlist_64)` (`<mach-o/nlist.h>`).
    pub(crate) const NLIST_64_LEN: u64 = 16;
}
const _: () = {
    use symtab_command::*;
    assert!(tiles(&[(0, load_command::LEN), (SYMOFF, U32), (NSYMS, U32), (STROFF, U32), (STRSIZE, U32)], LEN));
};

/// `struct dysymtab_command`: after six index/count pairs into the symbol
/// table, six (file offset, count) pairs of tables in `__LINKEDIT`.
pub(crate) mod dysymtab_command {
    /// `ilocalsym`, the first of the symbol-table index/count pairs.
    pub(crate) const ILOCALSYM: u64 = 8;
    pub(crate) const TOCOFF: u64 = 32;
    pub(crate) const NTOC: u64 = 36;
    pub(crate) const MODTABOFF: u64 = 40;
    pub(crate) const NMODTAB: u64 = 44;
    pub(crate) const EXTREFSYMOFF: u64 = 48;
    pub(crate) const NEXTREFSYMS: u64 = 52;
    pub(crate) const INDIRECTSYMOFF: u64 = 56;
    pub(crate) const NINDIRECTSYMS: u64 = 60;
    pub(crate) const EXTRELOFF: u64 = 64;
    pub(crate) const NEXTREL: u64 = 68;
    pub(crate) const LOCRELOFF: u64 = 72;
    pub(crate) const NLOCREL: u64 = 76;
    pub(crate) const LEN: u64 = 80;
    /// Entry sizes of those tables: `dylib_table_of_contents`,
    /// `dylib_module_64`, `dylib_reference`, an indirect symbol index (`u32`),
    /// `relocation_info`.
    pub(crate) const TOC_ENTRY_LEN: u64 = 8;
    pub(crate) const MODULE_64_LEN: u64 = 56;
    pub(crate) const REFERENCE_LEN: u64 = 4;
    pub(crate) const INDIRECT_SYMBOL_LEN: u64 = 4;
    pub(crate) const RELOCATION_INFO_LEN: u64 = 8;
}
const _: () = {
    use dysymtab_command::*;
    let fields = [
        (0, load_command::LEN),
        (ILOCALSYM, 6 * U32), // ilocalsym .. nundefsym: three index/count pairs
        (TOCOFF, U32),
        (NTOC, U32),
        (MODTABOFF, U32),
        (NMODTAB, U32),
        (EXTREFSYMOFF, U32),
        (NEXTREFSYMS, U32),
        (INDIRECTSYMOFF, U32),
        (NINDIRECTSYMS, U32),
        (EXTRELOFF, U32),
        (NEXTREL, U32),
        (LOCRELOFF, U32),
        (NLOCREL, U32),
    ];
    assert!(tiles(&fields, LEN));
};

/// `struct linkedit_data_command`: a blob in `__LINKEDIT` (code signature,
/// function starts, chained fixups, ...).
pub(crate) mod linkedit_data_command {
    pub(crate) const DATAOFF: u64 = 8;
    pub(crate) const DATASIZE: u64 = 12;
    pub(crate) const LEN: u64 = 16;
}
const _: () = {
    use linkedit_data_command::*;
    assert!(tiles(&[(0, load_command::LEN), (DATAOFF, U32), (DATASIZE, U32)], LEN));
};

/// `struct dyld_info_command`: five (offset, size) pairs into `__LINKEDIT`,
/// in this order: rebase, bind, weak bind, lazy bind, export.
pub(crate) mod dyld_info_command {
    pub(crate) const REBASE_OFF: u64 = 8;
    pub(crate) const REBASE_SIZE: u64 = 12;
    pub(crate) const BIND_OFF: u64 = 16;
    pub(crate) const BIND_SIZE: u64 = 20;
    pub(crate) const WEAK_BIND_OFF: u64 = 24;
    pub(crate) const WEAK_BIND_SIZE: u64 = 28;
    pub(crate) const LAZY_BIND_OFF: u64 = 32;
    pub(crate) const LAZY_BIND_SIZE: u64 = 36;
    pub(crate) const EXPORT_OFF: u64 = 40;
    pub(crate) const EXPORT_SIZE: u64 = 44;
    pub(crate) const LEN: u64 = 48;
}
const _: () = {
    use dyld_info_command::*;
    let fields = [
        (0, load_command::LEN),
        (REBASE_OFF, U32),
        (REBASE_SIZE, U32),
        (BIND_OFF, U32),
        (BIND_SIZE, U32),
        (WEAK_BIND_OFF, U32),
        (WEAK_BIND_SIZE, U32),
        (LAZY_BIND_OFF, U32),
        (LAZY_BIND_SIZE, U32),
        (EXPORT_OFF, U32),
        (EXPORT_SIZE, U32),
    ];
    assert!(tiles(&fields, LEN));
};

/// `struct twolevel_hints_command`: `nhints` 4-byte `twolevel_hint`s.
pub(crate) mod twolevel_hints_command {
    pub(crate) const OFFSET: u64 = 8;
    pub(crate) const NHINTS: u64 = 12;
    pub(crate) const LEN: u64 = 16;
    /// `sizeof(struct twolevel_hint)`.
    pub(crate) const HINT_LEN: u64 = 4;
}
const _: () = {
    use twolevel_hints_command::*;
    assert!(tiles(&[(0, load_command::LEN), (OFFSET, U32), (NHINTS, U32)], LEN));
};

/// `struct note_command`: arbitrary data, with a 64-bit file offset and size.
pub(crate) mod note_command {
    pub(crate) const DATA_OWNER: u64 = 8;
    pub(crate) const OFFSET: u64 = 24;
    pub(crate) const SIZE: u64 = 32;
    pub(crate) const LEN: u64 = 40;
}
const _: () = {
    use note_command::*;
    assert!(tiles(&[(0, load_command::LEN), (DATA_OWNER, NAME), (OFFSET, U64), (SIZE, U64)], LEN));
};

/// `struct build_version_command` without its `ntools` tool entries.
pub(crate) mod build_version_command {
    pub(crate) const PLATFORM: u64 = 8;
    pub(crate) const MINOS: u64 = 12;
    pub(crate) const SDK: u64 = 16;
    pub(crate) const NTOOLS: u64 = 20;
    pub(crate) const LEN: u64 = 24;
}
const _: () = {
    use build_version_command::*;
    assert!(tiles(&[(0, load_command::LEN), (PLATFORM, U32), (MINOS, U32), (SDK, U32), (NTOOLS, U32)], LEN));
};

// ---------------------------------------------------------------------------
// Universal files (`<mach-o/fat.h>`), always big-endian.

/// `struct fat_header`; `nfat_arch` entries follow it.
pub(crate) mod fat_header {
    pub(crate) const MAGIC: u64 = 0;
    pub(crate) const NFAT_ARCH: u64 = 4;
    pub(crate) const LEN: u64 = 8;
}
const _: () = assert!(tiles(&[(fat_header::MAGIC, U32), (fat_header::NFAT_ARCH, U32)], fat_header::LEN));

/// `struct fat_arch` / `fat_arch_64`: `offset` and `size` are 32 or 64 bits
/// wide, and `fat_arch_64` ends with `reserved`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FatArch {
    pub wide: bool,
    pub cputype: u64,
    pub cpusubtype: u64,
    pub offset: u64,
    pub size: u64,
    /// log2 of the slice's alignment in the file.
    pub align: u64,
    pub len: u64,
}

pub(crate) const FAT_ARCH: FatArch =
    FatArch { wide: false, cputype: 0, cpusubtype: 4, offset: 8, size: 12, align: 16, len: 20 };
pub(crate) const FAT_ARCH_64: FatArch =
    FatArch { wide: true, cputype: 0, cpusubtype: 4, offset: 8, size: 16, align: 24, len: 32 };
/// `fat_arch_64.reserved`.
pub(crate) const FAT_ARCH_64_RESERVED: u64 = 28;

impl FatArch {
    /// Whether the common fields tile the structure up to `end`.
    const fn tiles(&self, word: u64, end: u64) -> bool {
        let fields =
            [(self.cputype, U32), (self.cpusubtype, U32), (self.offset, word), (self.size, word), (self.align, U32)];
        tiles(&fields, end)
    }
}
const _: () = assert!(FAT_ARCH.tiles(U32, FAT_ARCH.len));
const _: () = assert!(FAT_ARCH_64.tiles(U64, FAT_ARCH_64_RESERVED) && FAT_ARCH_64_RESERVED + U32 == FAT_ARCH_64.len);

// ---------------------------------------------------------------------------
// Chained fixups (`<mach-o/fixup-chains.h>`), the blob LC_DYLD_CHAINED_FIXUPS
// points at; little-endian like the image.

/// `struct dyld_chained_fixups_header`.
pub(crate) mod dyld_chained_fixups_header {
    pub(crate) const FIXUPS_VERSION: u64 = 0;
    /// Offset of `dyld_chained_starts_in_image` in the blob.
    pub(crate) const STARTS_OFFSET: u64 = 4;
    pub(crate) const IMPORTS_OFFSET: u64 = 8;
    pub(crate) const SYMBOLS_OFFSET: u64 = 12;
    pub(crate) const IMPORTS_COUNT: u64 = 16;
    pub(crate) const IMPORTS_FORMAT: u64 = 20;
    pub(crate) const SYMBOLS_FORMAT: u64 = 24;
    pub(crate) const LEN: u64 = 28;
}
const _: () = {
    use dyld_chained_fixups_header::*;
    let fields = [
        (FIXUPS_VERSION, U32),
        (STARTS_OFFSET, U32),
        (IMPORTS_OFFSET, U32),
        (SYMBOLS_OFFSET, U32),
        (IMPORTS_COUNT, U32),
        (IMPORTS_FORMAT, U32),
        (SYMBOLS_FORMAT, U32),
    ];
    assert!(tiles(&fields, LEN));
};

/// `struct dyld_chained_starts_in_image`: `seg_count`, then one `u32`
/// `seg_info_offset` per segment (0: no fixups in that segment), each from
/// the start of this structure.
pub(crate) mod dyld_chained_starts_in_image {
    pub(crate) const SEG_COUNT: u64 = 0;
    pub(crate) const SEG_INFO_OFFSET: u64 = 4;
    /// The size of one `seg_info_offset` entry.
    pub(crate) const ENTRY_LEN: u64 = 4;
}
const _: () = {
    use dyld_chained_starts_in_image::*;
    assert!(tiles(&[(SEG_COUNT, U32)], SEG_INFO_OFFSET));
};

// ---------------------------------------------------------------------------
// Code signatures (xnu `osfmk/kern/cs_blobs.h`): big-endian blobs in
// `__LINKEDIT`, where LC_CODE_SIGNATURE points.

/// `CSMAGIC_EMBEDDED_SIGNATURE`: the SuperBlob of an embedded signature.
pub(crate) const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
pub(crate) const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
/// A requirement set.
pub(crate) const CSMAGIC_REQUIREMENTS: u32 = 0xfade_0c01;
/// The CMS signature's wrapper.
pub(crate) const CSMAGIC_BLOBWRAPPER: u32 = 0xfade_0b01;

// Slot types in the SuperBlob's index (`CSSLOT_*`); 1 to 11 are also the
// CodeDirectory's special slots, holding the hash of that slot's blob.
pub(crate) const CSSLOT_CODEDIRECTORY: u32 = 0;
/// Info.plist.
pub(crate) const CSSLOT_INFOSLOT: u32 = 1;
pub(crate) const CSSLOT_REQUIREMENTS: u32 = 2;
pub(crate) const CSSLOT_RESOURCEDIR: u32 = 3;
pub(crate) const CSSLOT_APPLICATION: u32 = 4;
pub(crate) const CSSLOT_ENTITLEMENTS: u32 = 5;
pub(crate) const CSSLOT_REP_SPECIFIC: u32 = 6;
pub(crate) const CSSLOT_DER_ENTITLEMENTS: u32 = 7;
pub(crate) const CSSLOT_LAUNCH_CONSTRAINT_SELF: u32 = 8;
pub(crate) const CSSLOT_LAUNCH_CONSTRAINT_PARENT: u32 = 9;
pub(crate) const CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE: u32 = 10;
pub(crate) const CSSLOT_LIBRARY_CONSTRAINT: u32 = 11;
/// The first alternate CodeDirectory (other hash types).
pub(crate) const CSSLOT_ALTERNATE_CODEDIRECTORIES: u32 = 0x1000;
/// `CSSLOT_ALTERNATE_CODEDIRECTORY_MAX` (5) of them, so this is the last.
pub(crate) const CSSLOT_ALTERNATE_CODEDIRECTORY_LAST: u32 = 0x1004;
/// The CMS signature.
pub(crate) const CSSLOT_SIGNATURESLOT: u32 = 0x10000;
/// A notarization ticket.
pub(crate) const CSSLOT_TICKETSLOT: u32 = 0x10002;

/// `CS_HASHTYPE_SHA256` and the length of its hashes (`CS_SHA256_LEN`).
pub(crate) const CS_HASHTYPE_SHA256: u8 = 2;
pub(crate) const CS_SHA256_LEN: u8 = 32;
// CodeDirectory versions that added fields.
/// `scatterOffset`.
pub(crate) const CS_SUPPORTSSCATTER: u32 = 0x20100;
/// `teamOffset`.
pub(crate) const CS_SUPPORTSTEAMID: u32 = 0x20200;
/// `execSegBase`, `execSegLimit`, `execSegFlags`.
pub(crate) const CS_SUPPORTSEXECSEG: u32 = 0x20400;
// CodeDirectory flags.
/// Ad-hoc signed: no certificate.
pub(crate) const CS_ADHOC: u32 = 0x2;
/// Signed automatically by a linker.
pub(crate) const CS_LINKER_SIGNED: u32 = 0x2_0000;

/// `CS_SuperBlob`: magic, total length, blob count; `count` `CS_BlobIndex`
/// entries follow.
pub(crate) mod super_blob {
    pub(crate) const MAGIC: u64 = 0;
    pub(crate) const LENGTH: u64 = 4;
    pub(crate) const COUNT: u64 = 8;
    pub(crate) const LEN: u64 = 12;
}
/// `CS_BlobIndex`: a blob's slot type and its offset from the SuperBlob.
pub(crate) mod blob_index {
    pub(crate) const TYPE: u64 = 0;
    pub(crate) const OFFSET: u64 = 4;
    pub(crate) const LEN: u64 = 8;
}
/// `CS_GenericBlob`: the header of every blob.
pub(crate) mod generic_blob {
    pub(crate) const MAGIC: u64 = 0;
    pub(crate) const LENGTH: u64 = 4;
    pub(crate) const LEN: u64 = 8;
}
const _: () = {
    assert!(tiles(&[(super_blob::MAGIC, U32), (super_blob::LENGTH, U32), (super_blob::COUNT, U32)], super_blob::LEN));
    assert!(tiles(&[(blob_index::TYPE, U32), (blob_index::OFFSET, U32)], blob_index::LEN));
    assert!(tiles(&[(generic_blob::MAGIC, U32), (generic_blob::LENGTH, U32)], generic_blob::LEN));
};

/// `CS_CodeDirectory` up to version [`CS_SUPPORTSEXECSEG`]. The identifier,
/// team identifier, special-slot hashes (slot `n` at `hashOffset - n *
/// hashSize`) and page hashes (from `hashOffset`) follow the header.
pub(crate) mod code_directory {
    pub(crate) const MAGIC: u64 = 0;
    pub(crate) const LENGTH: u64 = 4;
    pub(crate) const VERSION: u64 = 8;
    pub(crate) const FLAGS: u64 = 12;
    pub(crate) const HASH_OFFSET: u64 = 16;
    pub(crate) const IDENT_OFFSET: u64 = 20;
    pub(crate) const N_SPECIAL_SLOTS: u64 = 24;
    pub(crate) const N_CODE_SLOTS: u64 = 28;
    pub(crate) const CODE_LIMIT: u64 = 32;
    /// The four `u8` fields: `hashSize`, `hashType`, `platform`, `pageSize`
    /// (log2).
    pub(crate) const HASH_SIZE: u64 = 36;
    pub(crate) const HASH_TYPE: u64 = 37;
    pub(crate) const PLATFORM: u64 = 38;
    pub(crate) const PAGE_SIZE: u64 = 39;
    pub(crate) const SPARE2: u64 = 40;
    pub(crate) const SCATTER_OFFSET: u64 = 44;
    pub(crate) const TEAM_OFFSET: u64 = 48;
    pub(crate) const SPARE3: u64 = 52;
    pub(crate) const CODE_LIMIT_64: u64 = 56;
    pub(crate) const EXEC_SEG_BASE: u64 = 64;
    pub(crate) const EXEC_SEG_LIMIT: u64 = 72;
    pub(crate) const EXEC_SEG_FLAGS: u64 = 80;
    /// The header's size at version `CS_SUPPORTSEXECSEG`.
    pub(crate) const LEN: u64 = 88;
}
const _: () = {
    use code_directory::*;
    let fields = [
        (MAGIC, U32),
        (LENGTH, U32),
        (VERSION, U32),
        (FLAGS, U32),
        (HASH_OFFSET, U32),
        (IDENT_OFFSET, U32),
        (N_SPECIAL_SLOTS, U32),
        (N_CODE_SLOTS, U32),
        (CODE_LIMIT, U32),
        (HASH_SIZE, U8),
        (HASH_TYPE, U8),
        (PLATFORM, U8),
        (PAGE_SIZE, U8),
        (SPARE2, U32),
        (SCATTER_OFFSET, U32),
        (TEAM_OFFSET, U32),
        (SPARE3, U32),
        (CODE_LIMIT_64, U64),
        (EXEC_SEG_BASE, U64),
        (EXEC_SEG_LIMIT, U64),
        (EXEC_SEG_FLAGS, U64),
    ];
    assert!(tiles(&fields, LEN));
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_refuses_gaps_overlaps_and_a_wrong_length() {
        assert!(tiles(&[(0, 4), (4, 8)], 12));
        assert!(!tiles(&[(0, 4), (8, 4)], 12), "gap");
        assert!(!tiles(&[(0, 8), (4, 4)], 8), "overlap");
        assert!(!tiles(&[(0, 4), (4, 4)], 12), "short of the length");
        assert!(!tiles(&[(0, u64::MAX), (u64::MAX, 2)], 0), "overflow");
    }

    #[test]
    fn zerofill_types_are_the_three_of_loader_h() {
        // The attribute bits do not change the type.
        for flags in [0x1, 0xc, 0x12, 0x8000_0001] {
            assert!(is_zerofill(flags), "{flags:#x}");
        }
        for flags in [0x0, 0x2, 0x11, 0x8000_0000, 0x100] {
            assert!(!is_zerofill(flags), "{flags:#x}");
        }
    }
}
