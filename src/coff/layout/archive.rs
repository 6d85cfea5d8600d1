//! "Archive (Library) File Format" and "Import Library Format": what an
//! import library is made of. Fields of the archive member header are
//! ASCII text, space-padded; the first linker member's numbers are
//! big-endian, everything else little-endian.

use core::mem::{offset_of, size_of};

use super::{U16, U32};

/// "Archive File Signature".
pub(crate) const ARCHIVE_MAGIC: [u8; 8] = *b"!<arch>\n";

#[repr(C)]
struct MemberHeader {
    name: [u8; 16],
    date: [u8; 12],
    user_id: [u8; 6],
    group_id: [u8; 6],
    mode: [u8; 8],
    size: [u8; 10],
    end_of_header: [u8; 2],
}

/// "Archive Member Headers": each field's offset and width (ASCII, decimal
/// except `Mode`, which is octal; padded with spaces).
pub(crate) mod member_header {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<MemberHeader>() as u64;
    pub(crate) const NAME: (usize, usize) = (offset_of!(MemberHeader, name), 16);
    pub(crate) const DATE: (usize, usize) = (offset_of!(MemberHeader, date), 12);
    pub(crate) const USER_ID: (usize, usize) = (offset_of!(MemberHeader, user_id), 6);
    pub(crate) const GROUP_ID: (usize, usize) = (offset_of!(MemberHeader, group_id), 6);
    pub(crate) const MODE: (usize, usize) = (offset_of!(MemberHeader, mode), 8);
    pub(crate) const SIZE_FIELD: (usize, usize) = (offset_of!(MemberHeader, size), 10);
    pub(crate) const END_OF_HEADER: (usize, usize) = (offset_of!(MemberHeader, end_of_header), 2);
    /// "The C string \"`\n\"".
    pub(crate) const END: [u8; 2] = *b"`\n";
    /// Members start on an even offset; the padding byte.
    pub(crate) const ALIGN: u64 = 2;
    pub(crate) const PAD: u8 = b'\n';
}

const _: () = {
    use member_header as m;
    assert!(m::SIZE == 60 && m::NAME.0 == 0 && m::DATE.0 == 16 && m::USER_ID.0 == 28 && m::GROUP_ID.0 == 34);
    assert!(m::MODE.0 == 40 && m::SIZE_FIELD.0 == 48 && m::END_OF_HEADER.0 == 58);
};

/// The linker members' name: "/" (the first one's symbol numbers and
/// offsets are big-endian `u32`s, then the names, NUL-terminated).
pub(crate) const LINKER_MEMBER_NAME: &[u8] = b"/";
/// The longnames member's name. A member name longer than 15 bytes is
/// stored there and named `/` and its decimal offset. In an archive with
/// one linker member (GNU's layout, which lld-link and GNU ld read) each
/// long name ends with `/\n`, as short names end with `/`.
pub(crate) const LONGNAMES_MEMBER_NAME: &[u8] = b"//";
pub(crate) const MEMBER_NAME_END: u8 = b'/';
pub(crate) const LONG_NAME_END: &[u8] = b"/\n";

#[repr(C)]
struct ImportObjectHeader {
    sig1: U16,
    sig2: U16,
    version: U16,
    machine: U16,
    time_date_stamp: U32,
    size_of_data: U32,
    ordinal_hint: U16,
    /// Type (bits 0-1), name type (bits 2-4), reserved.
    types: U16,
}

/// "Import Header": a short import object, which the linker expands into
/// the import table's pieces for one symbol.
pub(crate) mod import_object_header {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<ImportObjectHeader>() as u64;
    pub(crate) const TYPES: u64 = offset_of!(ImportObjectHeader, types) as u64;
    /// `Sig1`: `IMAGE_FILE_MACHINE_UNKNOWN`; `Sig2`: 0xFFFF.
    pub(crate) const SIG1: u16 = 0;
    pub(crate) const SIG2: u16 = 0xffff;
    /// The name type is bits 2-4 of the `types` field.
    pub(crate) const NAME_TYPE_SHIFT: u16 = 2;
}

const _: () = assert!(import_object_header::SIZE == 20 && import_object_header::TYPES == 18);

/// "Import Type": the import is of data (only `__imp_` + name is defined).
pub(crate) const IMPORT_OBJECT_DATA: u16 = 1;
/// "Import Name Type": import by the public symbol's name.
pub(crate) const IMPORT_OBJECT_NAME: u16 = 1;
/// ... by the public symbol's name without its first `?`, `@` or `_`: how
/// an i386 C symbol (`_name`) imports the export `name`.
pub(crate) const IMPORT_OBJECT_NAME_NOPREFIX: u16 = 2;

/// The names an import library defines and the linker joins, besides the
/// spec's `__imp_` prefix: not in the spec, but what `lib.exe` and
/// `llvm-dlltool` write (LLVM's `COFFImportFile.cpp`), and what GNU ld looks
/// for from a short import object (the import descriptor of DLL `name` is
/// `__IMPORT_DESCRIPTOR_` + `name` without its extension).
pub(crate) const IMPORT_PREFIX: &str = "__imp_";
pub(crate) const IMPORT_DESCRIPTOR_PREFIX: &str = "__IMPORT_DESCRIPTOR_";
pub(crate) const NULL_IMPORT_DESCRIPTOR: &str = "__NULL_IMPORT_DESCRIPTOR";
pub(crate) const NULL_THUNK_DATA_PREFIX: &str = "\x7f";
pub(crate) const NULL_THUNK_DATA_SUFFIX: &str = "_NULL_THUNK_DATA";
