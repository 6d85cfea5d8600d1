//! The blobs in `__LINKEDIT` that the injector reads and rewrites: chained
//! fixups (`<mach-o/fixup-chains.h>`, little-endian like the image) and code
//! signatures (xnu `osfmk/kern/cs_blobs.h`, always big-endian).

use super::{structure, tiles, U32, U64, U8};

// ---------------------------------------------------------------------------
// Chained fixups: the blob LC_DYLD_CHAINED_FIXUPS points at.

structure! {
    /// `struct dyld_chained_fixups_header`.
    dyld_chained_fixups_header, 28, {
        FIXUPS_VERSION = 0, U32;
        /// Offset of `dyld_chained_starts_in_image` in the blob.
        STARTS_OFFSET = 4, U32;
        IMPORTS_OFFSET = 8, U32;
        SYMBOLS_OFFSET = 12, U32;
        IMPORTS_COUNT = 16, U32;
        IMPORTS_FORMAT = 20, U32;
        SYMBOLS_FORMAT = 24, U32;
    }
}

structure! {
    /// `struct dyld_chained_starts_in_image` up to its array: `seg_count`,
    /// then one `u32` `seg_info_offset` per segment (0: no fixups in that
    /// segment), each from the start of this structure.
    dyld_chained_starts_in_image, 4, {
        SEG_COUNT = 0, U32;
    } ;;
    /// Where `seg_info_offset[0]` is.
    pub(crate) const SEG_INFO_OFFSET: u64 = LEN;
    /// The size of one `seg_info_offset` entry.
    pub(crate) const ENTRY_LEN: u64 = 4;
}

// ---------------------------------------------------------------------------
// Code signatures: big-endian blobs where LC_CODE_SIGNATURE points.

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

structure! {
    /// `CS_SuperBlob`: `count` `CS_BlobIndex` entries follow it.
    super_blob, 12, {
        MAGIC = 0, U32;
        LENGTH = 4, U32;
        COUNT = 8, U32;
    }
}

structure! {
    /// `CS_BlobIndex`: a blob's slot type and its offset from the SuperBlob.
    blob_index, 8, {
        TYPE = 0, U32;
        OFFSET = 4, U32;
    }
}

structure! {
    /// `CS_GenericBlob`: the header of every blob.
    generic_blob, 8, {
        MAGIC = 0, U32;
        LENGTH = 4, U32;
    }
}

structure! {
    /// `CS_CodeDirectory` up to version `CS_SUPPORTSEXECSEG`. The identifier,
    /// team identifier, special-slot hashes (slot `n` at `hashOffset - n *
    /// hashSize`) and page hashes (from `hashOffset`) follow it.
    code_directory, 88, {
        MAGIC = 0, U32;
        LENGTH = 4, U32;
        VERSION = 8, U32;
        FLAGS = 12, U32;
        HASH_OFFSET = 16, U32;
        IDENT_OFFSET = 20, U32;
        N_SPECIAL_SLOTS = 24, U32;
        N_CODE_SLOTS = 28, U32;
        CODE_LIMIT = 32, U32;
        HASH_SIZE = 36, U8;
        HASH_TYPE = 37, U8;
        PLATFORM = 38, U8;
        /// log2 of the page size.
        PAGE_SIZE = 39, U8;
        SPARE2 = 40, U32;
        SCATTER_OFFSET = 44, U32;
        TEAM_OFFSET = 48, U32;
        SPARE3 = 52, U32;
        CODE_LIMIT_64 = 56, U64;
        EXEC_SEG_BASE = 64, U64;
        EXEC_SEG_LIMIT = 72, U64;
        EXEC_SEG_FLAGS = 80, U64;
    }
}
