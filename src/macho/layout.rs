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
//! nothing for the names. The blobs `__LINKEDIT` holds for the injector
//! (chained fixups, code signatures) are in [`linkedit`]; what a linked
//! dylib's dependency, symbol and export records look like, in [`dylib`].

// Most of the format is for the writers and the code signer, which exist only
// with `std`; the lookup reads a few of these items.
#![cfg_attr(not(feature = "std"), allow(dead_code))]

mod dylib;
mod linkedit;

pub(crate) use dylib::*;
#[cfg_attr(not(feature = "std"), allow(unused_imports))] // only the injector reads these
pub(crate) use linkedit::*;

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
/// A program.
pub(crate) const MH_EXECUTE: u32 = 0x2;
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
/// architectures and 8 bytes for 64-bit". The loader is more lenient: dyld
/// (`MachOFile::forEachLoadCommand`) refuses only a `cmdsize` that is not a
/// multiple of 4, in either width ("FIXME: on 64-bit mach-o, should be 8-byte
/// aligned, (might reveal bin-compat issues)"). The navigator and the section
/// walk follow dyld, so that they find the container of every image dyld
/// loads; their field reads are bounds-checked, so alignment is no safety
/// matter for them.
pub(crate) const CMDSIZE_READ: CmdsizeRule = CmdsizeRule { multiple: 4, expected: "a multiple of 4, at least 8" };

/// The injector writes a 64-bit image, so it holds the commands it copies to
/// loader.h's rule for 64-bit images: the `segment_command_64` it inserts
/// (and the 64-bit fields of every command after it) stay 8-byte aligned.
pub(crate) const CMDSIZE_WRITE_64: CmdsizeRule = CmdsizeRule { multiple: 8, expected: "a multiple of 8, at least 8" };

// ---------------------------------------------------------------------------
// Segment and section names: NUL-padded to `NAME_LEN` bytes.

/// The length of `segname`, `sectname` and `note_command.data_owner`.
pub(crate) const NAME_LEN: usize = 16;
/// `SEG_TEXT`: code and read-only data.
pub(crate) const SEG_TEXT: &[u8] = b"__TEXT";
/// `SEG_LINKEDIT`: what dyld and codesign read (symbols, fixups, signature);
/// the last segment of a linked image.
pub(crate) const SEG_LINKEDIT: &[u8] = b"__LINKEDIT";
/// The container (docs/FORMAT.md): section `__ji` of segment `__JULIA`.
pub(crate) const CONTAINER_SEGMENT: &[u8] = b"__JULIA";
pub(crate) const CONTAINER_SECTION: &[u8] = b"__ji";

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

// `Arch::from_macho` (src/arch.rs) reads the CPU types; the object writer's
// header policy (src/emit/abi.rs), which needs `std`, the subtypes and platforms.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
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
    /// arm64 spelt as ARMv8 (dyld's `arm64_alt`).
    pub(crate) const CPU_SUBTYPE_ARM64_V8: u32 = 1;
    /// Pointer authentication (`arm64e`).
    pub(crate) const CPU_SUBTYPE_ARM64E: u32 = 2;

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
const NAME: u64 = NAME_LEN as u64;

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

/// A structure of fixed layout as a module of field offsets (`FIELD = offset,
/// width;` in the order of the C declaration) and its size `LEN`, with the
/// compile-time check that the fields tile it. Items after `;;` go into the
/// module too.
macro_rules! structure {
    ($(#[$doc:meta])* $name:ident, $len:expr, {
        $($(#[$field_doc:meta])* $field:ident = $at:expr, $width:expr;)*
    } $(;; $($item:item)*)?) => {
        $(#[$doc])*
        pub(crate) mod $name {
            $($(#[$field_doc])* pub(crate) const $field: u64 = $at;)*
            /// `sizeof`.
            pub(crate) const LEN: u64 = $len;
            $($($item)*)?
        }
        const _: () = assert!(tiles(&[$(($name::$field, $width)),*], $name::LEN));
    };
}
pub(crate) use structure;

structure! {
    /// `struct mach_header` (32-bit); `mach_header_64` adds `reserved`.
    mach_header, 28, {
        MAGIC = 0, U32;
        CPUTYPE = 4, U32;
        CPUSUBTYPE = 8, U32;
        FILETYPE = 12, U32;
        NCMDS = 16, U32;
        SIZEOFCMDS = 20, U32;
        FLAGS = 24, U32;
    } ;;
    /// `mach_header_64.reserved`.
    pub(crate) const RESERVED: u64 = 28;
    /// `sizeof(struct mach_header_64)`.
    pub(crate) const LEN_64: u64 = 32;
}
const _: () = assert!(tiles(&[(0, mach_header::LEN), (mach_header::RESERVED, U32)], mach_header::LEN_64));

structure! {
    /// `struct load_command`: the start of every command.
    load_command, 8, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
    }
}

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

#[rustfmt::skip] // one structure per line, as the two are compared
pub(crate) const SEGMENT_COMMAND: SegmentCommand = SegmentCommand { cmd: LC_SEGMENT,
    segname: 8, vmaddr: 24, vmsize: 28, fileoff: 32, filesize: 36, maxprot: 40, initprot: 44, nsects: 48, flags: 52, len: 56 };
#[rustfmt::skip]
pub(crate) const SEGMENT_COMMAND_64: SegmentCommand = SegmentCommand { cmd: LC_SEGMENT_64,
    segname: 8, vmaddr: 24, vmsize: 32, fileoff: 40, filesize: 48, maxprot: 56, initprot: 60, nsects: 64, flags: 68, len: 72 };

impl SegmentCommand {
    /// Whether the fields, with address fields `word` bytes wide, tile the structure.
    const fn tiles(&self, word: u64) -> bool {
        let fields = [
            (0, load_command::LEN),
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

#[rustfmt::skip] // one structure per line, as the two are compared
pub(crate) const SECTION: Section = Section { sectname: 0, segname: 16,
    addr: 32, size: 36, offset: 40, align: 44, reloff: 48, nreloc: 52, flags: 56, reserved1: 60, reserved2: 64, len: 68 };
#[rustfmt::skip]
pub(crate) const SECTION_64: Section = Section { sectname: 0, segname: 16,
    addr: 32, size: 40, offset: 48, align: 52, reloff: 56, nreloc: 60, flags: 64, reserved1: 68, reserved2: 72, len: 80 };
/// `section_64.reserved3`.
pub(crate) const SECTION_64_RESERVED3: u64 = 76;

impl Section {
    /// Whether the fields, with `addr` and `size` `word` bytes wide, tile the
    /// structure up to `end`.
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

structure! {
    /// `struct dysymtab_command`: three index/count pairs into the symbol
    /// table, then six (file offset, count) pairs of tables in `__LINKEDIT`.
    dysymtab_command, 80, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        /// `ilocalsym` .. `nundefsym`.
        SYMBOL_RANGES = 8, 6 * U32;
        TOCOFF = 32, U32;
        NTOC = 36, U32;
        MODTABOFF = 40, U32;
        NMODTAB = 44, U32;
        EXTREFSYMOFF = 48, U32;
        NEXTREFSYMS = 52, U32;
        INDIRECTSYMOFF = 56, U32;
        NINDIRECTSYMS = 60, U32;
        EXTRELOFF = 64, U32;
        NEXTREL = 68, U32;
        LOCRELOFF = 72, U32;
        NLOCREL = 76, U32;
    } ;;
    // Entry sizes of those tables.
    /// `struct dylib_table_of_contents`.
    pub(crate) const TOC_ENTRY_LEN: u64 = 8;
    /// `struct dylib_module_64`.
    pub(crate) const MODULE_64_LEN: u64 = 56;
    /// `struct dylib_reference`.
    pub(crate) const REFERENCE_LEN: u64 = 4;
    /// An indirect symbol: a `u32` symbol index.
    pub(crate) const INDIRECT_SYMBOL_LEN: u64 = 4;
    /// `struct relocation_info`.
    pub(crate) const RELOCATION_INFO_LEN: u64 = 8;
}

structure! {
    /// `struct linkedit_data_command`: a blob in `__LINKEDIT` (code signature,
    /// function starts, chained fixups, ...).
    linkedit_data_command, 16, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        DATAOFF = 8, U32;
        DATASIZE = 12, U32;
    }
}

structure! {
    /// `struct dyld_info_command`: (offset, size) pairs into `__LINKEDIT`.
    dyld_info_command, 48, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        REBASE_OFF = 8, U32;
        REBASE_SIZE = 12, U32;
        BIND_OFF = 16, U32;
        BIND_SIZE = 20, U32;
        WEAK_BIND_OFF = 24, U32;
        WEAK_BIND_SIZE = 28, U32;
        LAZY_BIND_OFF = 32, U32;
        LAZY_BIND_SIZE = 36, U32;
        EXPORT_OFF = 40, U32;
        EXPORT_SIZE = 44, U32;
    }
}

structure! {
    /// `struct twolevel_hints_command`: `nhints` hints at `offset`.
    twolevel_hints_command, 16, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        OFFSET = 8, U32;
        NHINTS = 12, U32;
    } ;;
    /// `sizeof(struct twolevel_hint)`.
    pub(crate) const HINT_LEN: u64 = 4;
}

structure! {
    /// `struct note_command`: arbitrary data, with a 64-bit file offset and size.
    note_command, 40, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        DATA_OWNER = 8, NAME;
        OFFSET = 24, U64;
        SIZE = 32, U64;
    }
}

structure! {
    /// `struct build_version_command`, without its `ntools` tool entries.
    build_version_command, 24, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        PLATFORM = 8, U32;
        MINOS = 12, U32;
        SDK = 16, U32;
        NTOOLS = 20, U32;
    }
}

// ---------------------------------------------------------------------------
// Universal files (`<mach-o/fat.h>`), always big-endian.

structure! {
    /// `struct fat_header`; `nfat_arch` entries follow it.
    fat_header, 8, {
        MAGIC = 0, U32;
        NFAT_ARCH = 4, U32;
    }
}

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
    /// Whether the fields, with `offset` and `size` `word` bytes wide, tile
    /// the structure up to `end`.
    const fn tiles(&self, word: u64, end: u64) -> bool {
        let fields =
            [(self.cputype, U32), (self.cpusubtype, U32), (self.offset, word), (self.size, word), (self.align, U32)];
        tiles(&fields, end)
    }
}
const _: () = assert!(FAT_ARCH.tiles(U32, FAT_ARCH.len));
const _: () = assert!(FAT_ARCH_64.tiles(U64, FAT_ARCH_64_RESERVED) && FAT_ARCH_64_RESERVED + U32 == FAT_ARCH_64.len);

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
