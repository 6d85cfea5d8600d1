//! What a linked dylib says about its names: the `mach_header` flags of a
//! library, the dependency commands (`dylib_command`, `rpath_command`), the
//! symbol table (`symtab_command`, `nlist`/`nlist_64`, `<mach-o/nlist.h>`),
//! `LC_UUID` and the export trie's terminal flags (`<mach-o/loader.h>`).
//! Read by the dependency walk and the symbol lookup, written by the data
//! library writer.

use super::{structure, tiles, U32, U64, U8};

/// `char uuid[16]`.
const UUID_LEN: u64 = 16;
/// `uint16_t n_desc`.
const U16: u64 = 2;

// `mach_header.flags` of a library as ld64 and zig's linker write it.
/// No undefined references.
pub(crate) const MH_NOUNDEFS: u32 = 0x1;
/// Input for the dynamic linker.
pub(crate) const MH_DYLDLINK: u32 = 0x4;
/// Two-level namespace bindings.
pub(crate) const MH_TWOLEVEL: u32 = 0x80;
/// Re-exports no dylib (dyld need not look through it).
pub(crate) const MH_NO_REEXPORTED_DYLIBS: u32 = 0x10_0000;

/// `SECT_CONST`-style name of read-only data in `__TEXT`.
pub(crate) const SECT_CONST: &[u8] = b"__const";

structure! {
    /// `struct symtab_command`: the symbol table and the string table.
    symtab_command, 24, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        SYMOFF = 8, U32;
        NSYMS = 12, U32;
        STROFF = 16, U32;
        STRSIZE = 20, U32;
    } ;;
    /// `sizeof(struct nlist_64)` (`<mach-o/nlist.h>`), a symbol.
    pub(crate) const NLIST_64_LEN: u64 = super::nlist_64::LEN;
}

structure! {
    /// `struct nlist` (32-bit images). `n_desc` is a `short` here, the same
    /// two bytes as `nlist_64`'s `uint16_t`.
    nlist, 12, {
        STRX = 0, U32;
        TYPE = 4, U8;
        SECT = 5, U8;
        DESC = 6, U16;
        VALUE = 8, U32;
    }
}

structure! {
    /// `struct nlist_64`: as [`nlist`] with a 64-bit `n_value`.
    nlist_64, 16, {
        STRX = 0, U32;
        TYPE = 4, U8;
        SECT = 5, U8;
        DESC = 6, U16;
        VALUE = 8, U64;
    }
}

// `n_type` bits.
/// Any of these bits: a debugger (stab) entry, not a symbol.
pub(crate) const N_STAB: u8 = 0xe0;
/// Private external: was external in its object, is not exported.
pub(crate) const N_PEXT: u8 = 0x10;
/// The type bits.
pub(crate) const N_TYPE: u8 = 0x0e;
/// External: visible outside the image.
pub(crate) const N_EXT: u8 = 0x01;
/// Type: defined in section `n_sect` (1-based, over all sections in order).
pub(crate) const N_SECT: u8 = 0x0e;

structure! {
    /// `struct dylib_command`: `LC_ID_DYLIB`, `LC_LOAD_DYLIB`,
    /// `LC_LOAD_WEAK_DYLIB`, `LC_REEXPORT_DYLIB`, `LC_LOAD_UPWARD_DYLIB`.
    /// `NAME` is an `lc_str`: the offset of the NUL-terminated name from the
    /// start of the command, inside `cmdsize`.
    dylib_command, 24, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        NAME = 8, U32;
        TIMESTAMP = 12, U32;
        CURRENT_VERSION = 16, U32;
        COMPATIBILITY_VERSION = 20, U32;
    }
}

structure! {
    /// `struct rpath_command`: `PATH` is an `lc_str`, as in [`dylib_command`].
    rpath_command, 12, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        PATH = 8, U32;
    }
}

/// The `lc_str` offset field is at the same place in both commands.
pub(crate) const LC_STR_OFFSET: u64 = dylib_command::NAME;
const _: () = assert!(rpath_command::PATH == LC_STR_OFFSET);

structure! {
    /// `struct uuid_command`.
    uuid_command, 24, {
        CMD = 0, U32;
        CMDSIZE = 4, U32;
        UUID = 8, UUID_LEN;
    }
}

// Export trie (`LC_DYLD_INFO_ONLY` `export_off`, or `LC_DYLD_EXPORTS_TRIE`):
// a terminal node's flags.
/// An ordinary symbol whose address follows as a ULEB128 image offset.
pub(crate) const EXPORT_SYMBOL_FLAGS_KIND_REGULAR: u8 = 0x0;
