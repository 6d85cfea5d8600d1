//! The PE/COFF format as Microsoft's "PE Format" specification defines it:
//! its magic numbers and flags, and its raw structures transcribed field by
//! field, from which every field offset and size the navigator, the section
//! walk and the writers use is derived. Nothing here reads or writes.
//!
//! Each structure is a `#[repr(C)]` struct of byte arrays, so it has no
//! padding and its layout is the spec's table: `offset_of!` gives a field's
//! place, `size_of` the structure's size, and a field listed in the wrong
//! order or with the wrong width moves every offset after it, which the
//! `const` assertions against the spec's numbers turn into a compile error.
//! The structs are never built; only their offsets are used, as `u64`
//! constants that fold into the code that uses them.

// Without `std` there are no writers, which use most of what is here.
#![cfg_attr(not(feature = "std"), allow(dead_code, unused_imports))]

use core::mem::{offset_of, size_of};

// Fields of 1, 2, 4 and 8 bytes. Every PE/COFF field is little-endian.
type U8 = [u8; 1];
type U16 = [u8; 2];
type U32 = [u8; 4];
type U64 = [u8; 8];

/// The offset of `field` in the raw structure `S`, as the readers count offsets.
macro_rules! offset {
    ($s:ty, $field:ident) => {
        offset_of!($s, $field) as u64
    };
}

// ---------------------------------------------------------------------------
// "MS-DOS Stub (Image Only)" and "Signature (Image Only)".

/// The MS-DOS header's `e_magic`: an image starts with it; an object file
/// starts with its COFF file header instead.
pub(crate) const DOS_MAGIC: [u8; 2] = *b"MZ";
/// "At location 0x3c, the stub has the file offset to the PE signature"
/// (`e_lfanew`, a `u32`).
pub(crate) const E_LFANEW: u64 = 0x3c;
/// The PE signature; the COFF file header follows it.
pub(crate) const PE_SIGNATURE: [u8; 4] = *b"PE\0\0";

/// The MS-DOS header (`IMAGE_DOS_HEADER` in `winnt.h`; the spec only names
/// its `e_lfanew`). Sizes count 512-byte pages and 16-byte paragraphs.
#[repr(C)]
struct DosHeader {
    e_magic: U16,
    /// Bytes in the last page.
    e_cblp: U16,
    /// Pages in the file.
    e_cp: U16,
    e_crlc: U16,
    /// The header's size in paragraphs.
    e_cparhdr: U16,
    e_minalloc: U16,
    e_maxalloc: U16,
    e_ss: U16,
    e_sp: U16,
    e_csum: U16,
    e_ip: U16,
    e_cs: U16,
    /// Where the (empty) relocation table is.
    e_lfarlc: U16,
    e_ovno: U16,
    e_res: [U16; 4],
    e_oemid: U16,
    e_oeminfo: U16,
    e_res2: [U16; 10],
    e_lfanew: U32,
}

/// Field offsets of the MS-DOS header, for the data-library writer.
pub(crate) mod dos_header {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<DosHeader>() as u64;
    pub(crate) const E_MAGIC: u64 = offset!(DosHeader, e_magic);
    pub(crate) const E_CBLP: u64 = offset!(DosHeader, e_cblp);
    pub(crate) const E_CP: u64 = offset!(DosHeader, e_cp);
    pub(crate) const E_CPARHDR: u64 = offset!(DosHeader, e_cparhdr);
    pub(crate) const E_LFARLC: u64 = offset!(DosHeader, e_lfarlc);
    pub(crate) const E_LFANEW: u64 = offset!(DosHeader, e_lfanew);
    /// A page and a paragraph of the MS-DOS executable format.
    pub(crate) const PAGE: u64 = 512;
    pub(crate) const PARAGRAPH: u64 = 16;
}

const _: () = assert!(dos_header::SIZE == 64 && dos_header::E_LFANEW == E_LFANEW && dos_header::E_LFARLC == 24);

/// The MS-DOS program after the header, as linkers write it (this is
/// lld-link's): print "This program cannot be run in DOS mode." and exit.
/// `push cs; pop ds; mov dx, 0xe; mov ah, 9; int 0x21; mov ax, 0x4c01; int 0x21`.
pub(crate) const DOS_PROGRAM: [u8; 56] = *b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21\
This program cannot be run in DOS mode.$\0\0";

// ---------------------------------------------------------------------------
// "COFF File Header (Object and Image)".

#[repr(C)]
struct FileHeader {
    machine: U16,
    number_of_sections: U16,
    time_date_stamp: U32,
    pointer_to_symbol_table: U32,
    number_of_symbols: U32,
    size_of_optional_header: U16,
    characteristics: U16,
}

/// Field offsets of the COFF file header.
pub(crate) mod file_header {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<FileHeader>() as u64;
    /// [`SIZE`] as an array length, for `Data::fixed`.
    pub(crate) const LEN: usize = size_of::<FileHeader>();
    pub(crate) const MACHINE: u64 = offset!(FileHeader, machine);
    pub(crate) const NUMBER_OF_SECTIONS: u64 = offset!(FileHeader, number_of_sections);
    pub(crate) const POINTER_TO_SYMBOL_TABLE: u64 = offset!(FileHeader, pointer_to_symbol_table);
    pub(crate) const NUMBER_OF_SYMBOLS: u64 = offset!(FileHeader, number_of_symbols);
    pub(crate) const SIZE_OF_OPTIONAL_HEADER: u64 = offset!(FileHeader, size_of_optional_header);
    pub(crate) const CHARACTERISTICS: u64 = offset!(FileHeader, characteristics);
}

// The spec's offsets, checked against the transcription.
const _: () = {
    use file_header as f;
    assert!(f::SIZE == 20 && f::MACHINE == 0 && f::NUMBER_OF_SECTIONS == 2);
    assert!(f::POINTER_TO_SYMBOL_TABLE == 8 && f::NUMBER_OF_SYMBOLS == 12 && f::SIZE_OF_OPTIONAL_HEADER == 16);
    assert!(f::CHARACTERISTICS == 18);
};

// "Characteristics" (of the file header).

/// The file has no base relocations and must be loaded at its preferred
/// base. A data library does not set it: it has no relocations because it
/// holds no absolute address, so it loads anywhere.
pub(crate) const IMAGE_FILE_RELOCS_STRIPPED: u16 = 0x0001;
/// The image is valid and can be run (set in every linked image).
pub(crate) const IMAGE_FILE_EXECUTABLE_IMAGE: u16 = 0x0002;
/// The application can handle addresses above 2 GB (every 64-bit image).
pub(crate) const IMAGE_FILE_LARGE_ADDRESS_AWARE: u16 = 0x0020;
/// The machine is based on a 32-bit-word architecture.
pub(crate) const IMAGE_FILE_32BIT_MACHINE: u16 = 0x0100;
/// The image file is a dynamic-link library.
pub(crate) const IMAGE_FILE_DLL: u16 = 0x2000;

// ---------------------------------------------------------------------------
// "Optional Header (Image Only)": standard fields, Windows-specific fields,
// then the data directories. PE32+ drops BaseOfData and widens ImageBase and
// the four stack and heap sizes to 8 bytes, so only the fields from
// SizeOfStackReserve on move.

/// `Magic` of a PE32 optional header (32-bit images).
pub(crate) const IMAGE_NT_OPTIONAL_HDR32_MAGIC: u16 = 0x10b;
/// `Magic` of a PE32+ optional header (64-bit images).
pub(crate) const IMAGE_NT_OPTIONAL_HDR64_MAGIC: u16 = 0x20b;

#[repr(C)]
struct OptionalHeader32 {
    magic: U16,
    major_linker_version: U8,
    minor_linker_version: U8,
    size_of_code: U32,
    size_of_initialized_data: U32,
    size_of_uninitialized_data: U32,
    address_of_entry_point: U32,
    base_of_code: U32,
    base_of_data: U32,
    image_base: U32,
    section_alignment: U32,
    file_alignment: U32,
    major_operating_system_version: U16,
    minor_operating_system_version: U16,
    major_image_version: U16,
    minor_image_version: U16,
    major_subsystem_version: U16,
    minor_subsystem_version: U16,
    win32_version_value: U32,
    size_of_image: U32,
    size_of_headers: U32,
    check_sum: U32,
    subsystem: U16,
    dll_characteristics: U16,
    size_of_stack_reserve: U32,
    size_of_stack_commit: U32,
    size_of_heap_reserve: U32,
    size_of_heap_commit: U32,
    loader_flags: U32,
    number_of_rva_and_sizes: U32,
}

#[repr(C)]
struct OptionalHeader64 {
    magic: U16,
    major_linker_version: U8,
    minor_linker_version: U8,
    size_of_code: U32,
    size_of_initialized_data: U32,
    size_of_uninitialized_data: U32,
    address_of_entry_point: U32,
    base_of_code: U32,
    image_base: U64,
    section_alignment: U32,
    file_alignment: U32,
    major_operating_system_version: U16,
    minor_operating_system_version: U16,
    major_image_version: U16,
    minor_image_version: U16,
    major_subsystem_version: U16,
    minor_subsystem_version: U16,
    win32_version_value: U32,
    size_of_image: U32,
    size_of_headers: U32,
    check_sum: U32,
    subsystem: U16,
    dll_characteristics: U16,
    size_of_stack_reserve: U64,
    size_of_stack_commit: U64,
    size_of_heap_reserve: U64,
    size_of_heap_commit: U64,
    loader_flags: U32,
    number_of_rva_and_sizes: U32,
}

/// An entry of the optional header's data directories: an address (an RVA,
/// except for the certificate table, whose address is a file offset) and a size.
#[repr(C)]
struct DataDirectory {
    virtual_address: U32,
    size: U32,
}

/// Field offsets of the optional header: those at the same place in PE32 and
/// PE32+ as constants, the two that move as functions of `pe32_plus`.
pub(crate) mod optional_header {
    use super::*;

    pub(crate) const MAGIC: u64 = offset!(OptionalHeader32, magic);
    /// `Magic` is a `u16`: what must be read to tell PE32 from PE32+.
    pub(crate) const MAGIC_SIZE: u64 = size_of::<U16>() as u64;
    pub(crate) const SIZE_OF_INITIALIZED_DATA: u64 = offset!(OptionalHeader32, size_of_initialized_data);
    pub(crate) const SECTION_ALIGNMENT: u64 = offset!(OptionalHeader32, section_alignment);
    pub(crate) const FILE_ALIGNMENT: u64 = offset!(OptionalHeader32, file_alignment);
    pub(crate) const MAJOR_OPERATING_SYSTEM_VERSION: u64 = offset!(OptionalHeader32, major_operating_system_version);
    pub(crate) const MAJOR_SUBSYSTEM_VERSION: u64 = offset!(OptionalHeader32, major_subsystem_version);
    pub(crate) const SIZE_OF_IMAGE: u64 = offset!(OptionalHeader32, size_of_image);
    pub(crate) const SIZE_OF_HEADERS: u64 = offset!(OptionalHeader32, size_of_headers);
    pub(crate) const CHECK_SUM: u64 = offset!(OptionalHeader32, check_sum);
    /// `CheckSum` is a `u32`.
    pub(crate) const CHECK_SUM_SIZE: u64 = size_of::<U32>() as u64;
    pub(crate) const SUBSYSTEM: u64 = offset!(OptionalHeader32, subsystem);
    pub(crate) const DLL_CHARACTERISTICS: u64 = offset!(OptionalHeader32, dll_characteristics);
    /// `SizeOfStackReserve`, the first of the four stack and heap sizes
    /// (reserve and commit, `u32` in PE32, `u64` in PE32+).
    pub(crate) const SIZE_OF_STACK_RESERVE: u64 = offset!(OptionalHeader32, size_of_stack_reserve);
    /// `BaseOfData`: in PE32 only.
    pub(crate) const BASE_OF_DATA: u64 = offset!(OptionalHeader32, base_of_data);

    /// `ImageBase`: a `u32` in PE32, a `u64` in PE32+.
    pub(crate) const fn image_base(pe32_plus: bool) -> u64 {
        if pe32_plus {
            offset!(OptionalHeader64, image_base)
        } else {
            offset!(OptionalHeader32, image_base)
        }
    }

    /// `NumberOfRvaAndSizes`: how many data directories follow.
    pub(crate) const fn number_of_rva_and_sizes(pe32_plus: bool) -> u64 {
        if pe32_plus {
            offset!(OptionalHeader64, number_of_rva_and_sizes)
        } else {
            offset!(OptionalHeader32, number_of_rva_and_sizes)
        }
    }

    /// Where the data directories start: right after the fixed fields.
    pub(crate) const fn data_directories(pe32_plus: bool) -> u64 {
        if pe32_plus {
            size_of::<OptionalHeader64>() as u64
        } else {
            size_of::<OptionalHeader32>() as u64
        }
    }
}

/// Field offsets of a data directory entry.
pub(crate) mod data_directory {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<DataDirectory>() as u64;
    /// [`SIZE`] as an array length, for `Data::fixed`.
    pub(crate) const LEN: usize = size_of::<DataDirectory>();
    pub(crate) const VIRTUAL_ADDRESS: u64 = offset!(DataDirectory, virtual_address);
    /// The entry's `Size` field (`SIZE` is the entry's own size).
    pub(crate) const LENGTH: u64 = offset!(DataDirectory, size);
}

// The constants above stand for both layouts: check that they are at the
// same place in both, and against the spec's offsets.
const _: () = {
    use optional_header as o;
    assert!(o::MAGIC + o::MAGIC_SIZE == offset!(OptionalHeader32, major_linker_version));
    assert!(o::MAGIC == 0 && o::MAGIC == offset!(OptionalHeader64, magic));
    assert!(o::SIZE_OF_INITIALIZED_DATA == 8);
    assert!(o::SIZE_OF_INITIALIZED_DATA == offset!(OptionalHeader64, size_of_initialized_data));
    assert!(o::SECTION_ALIGNMENT == 32 && o::SECTION_ALIGNMENT == offset!(OptionalHeader64, section_alignment));
    assert!(o::FILE_ALIGNMENT == 36 && o::FILE_ALIGNMENT == offset!(OptionalHeader64, file_alignment));
    assert!(o::SIZE_OF_IMAGE == 56 && o::SIZE_OF_IMAGE == offset!(OptionalHeader64, size_of_image));
    assert!(o::SIZE_OF_HEADERS == 60 && o::SIZE_OF_HEADERS == offset!(OptionalHeader64, size_of_headers));
    assert!(o::CHECK_SUM == 64 && o::CHECK_SUM == offset!(OptionalHeader64, check_sum));
    assert!(o::CHECK_SUM + o::CHECK_SUM_SIZE == offset!(OptionalHeader32, subsystem));
    assert!(o::MAJOR_OPERATING_SYSTEM_VERSION == 40 && o::MAJOR_SUBSYSTEM_VERSION == 48);
    assert!(o::MAJOR_OPERATING_SYSTEM_VERSION == offset!(OptionalHeader64, major_operating_system_version));
    assert!(o::MAJOR_SUBSYSTEM_VERSION == offset!(OptionalHeader64, major_subsystem_version));
    assert!(o::SUBSYSTEM == 68 && o::SUBSYSTEM == offset!(OptionalHeader64, subsystem));
    assert!(o::DLL_CHARACTERISTICS == 70 && o::DLL_CHARACTERISTICS == offset!(OptionalHeader64, dll_characteristics));
    assert!(
        o::SIZE_OF_STACK_RESERVE == 72 && o::SIZE_OF_STACK_RESERVE == offset!(OptionalHeader64, size_of_stack_reserve)
    );
    assert!(o::BASE_OF_DATA == 24 && o::image_base(false) == 28 && o::image_base(true) == 24);
    // The four stack and heap sizes are consecutive words, then LoaderFlags.
    assert!(offset!(OptionalHeader32, loader_flags) == o::SIZE_OF_STACK_RESERVE + 4 * 4);
    assert!(offset!(OptionalHeader64, loader_flags) == o::SIZE_OF_STACK_RESERVE + 4 * 8);
    assert!(o::number_of_rva_and_sizes(false) == 92 && o::number_of_rva_and_sizes(true) == 108);
    // "Optional Header Data Directories": the export table entry is at 96 (PE32) or 112 (PE32+).
    assert!(o::data_directories(false) == 96 && o::data_directories(true) == 112);
    assert!(data_directory::SIZE == 8 && data_directory::VIRTUAL_ADDRESS == 0 && data_directory::LENGTH == 4);
};

/// "Windows Subsystem": a GUI program or DLL, as linkers mark DLLs.
pub(crate) const IMAGE_SUBSYSTEM_WINDOWS_GUI: u16 = 2;

// "DLL Characteristics".

/// The image can handle a high-entropy 64-bit virtual address space.
pub(crate) const IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA: u16 = 0x0020;
/// The DLL can be relocated at load time (ASLR).
pub(crate) const IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE: u16 = 0x0040;
/// The image is compatible with data execution prevention.
pub(crate) const IMAGE_DLLCHARACTERISTICS_NX_COMPAT: u16 = 0x0100;
/// "Does not use structured exception (SE) handling. No SE handler may be
/// called in this image."
pub(crate) const IMAGE_DLLCHARACTERISTICS_NO_SEH: u16 = 0x0400;

/// Data directory 0, the export table (".edata").
pub(crate) const IMAGE_DIRECTORY_ENTRY_EXPORT: u64 = 0;
/// Data directory 1, the import table (".idata").
pub(crate) const IMAGE_DIRECTORY_ENTRY_IMPORT: u64 = 1;
/// Data directory 4, the certificate table ("The Attribute Certificate
/// Table"): the Authenticode signature. Its address is a file offset.
pub(crate) const IMAGE_DIRECTORY_ENTRY_SECURITY: u64 = 4;
/// Data directory 13, the delay-load import descriptors ("Delay-Load Import Tables").
pub(crate) const IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT: u64 = 13;
/// How many data directories linkers write (the spec lists 16).
pub(crate) const IMAGE_NUMBEROF_DIRECTORY_ENTRIES: u64 = 16;
/// Attribute certificates are quadword-aligned: a signed file's table ends
/// padded to 8 bytes.
pub(crate) const CERTIFICATE_ALIGN: u64 = 8;

// ---------------------------------------------------------------------------
// "Section Table (Section Headers)".

#[repr(C)]
struct SectionHeader {
    name: [u8; 8],
    virtual_size: U32,
    virtual_address: U32,
    size_of_raw_data: U32,
    pointer_to_raw_data: U32,
    pointer_to_relocations: U32,
    pointer_to_linenumbers: U32,
    number_of_relocations: U16,
    number_of_linenumbers: U16,
    characteristics: U32,
}

/// Field offsets of a section header.
pub(crate) mod section_header {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<SectionHeader>() as u64;
    /// [`SIZE`] as an array length, for `Data::fixed`.
    pub(crate) const LEN: usize = size_of::<SectionHeader>();
    /// 8 bytes, NUL-padded; no NUL if all 8 are used.
    pub(crate) const NAME: u64 = offset!(SectionHeader, name);
    pub(crate) const NAME_LEN: usize = 8;
    pub(crate) const VIRTUAL_SIZE: u64 = offset!(SectionHeader, virtual_size);
    pub(crate) const VIRTUAL_ADDRESS: u64 = offset!(SectionHeader, virtual_address);
    pub(crate) const SIZE_OF_RAW_DATA: u64 = offset!(SectionHeader, size_of_raw_data);
    pub(crate) const POINTER_TO_RAW_DATA: u64 = offset!(SectionHeader, pointer_to_raw_data);
    pub(crate) const CHARACTERISTICS: u64 = offset!(SectionHeader, characteristics);
}

const _: () = {
    use section_header as s;
    assert!(s::SIZE == 40 && s::VIRTUAL_SIZE == 8 && s::VIRTUAL_ADDRESS == 12 && s::SIZE_OF_RAW_DATA == 16);
    assert!(s::POINTER_TO_RAW_DATA == 20 && s::CHARACTERISTICS == 36);
};
const _: () = assert!(section_header::NAME == 0 && offset_of!(SectionHeader, virtual_size) == section_header::NAME_LEN);

/// "Section Data": a section name that starts with `/` is a long name: `/`
/// and the decimal offset of the name in the string table (in object files;
/// MinGW's linkers also write them into images that keep a symbol table).
/// LLVM writes offsets above 9,999,999 as `//` and six base-64 digits.
pub(crate) const LONG_NAME_PREFIX: u8 = b'/';

// "Section Flags".

/// The section contains initialized data.
pub(crate) const IMAGE_SCN_CNT_INITIALIZED_DATA: u32 = 0x0000_0040;
/// The section contains uninitialized data. In an object its SizeOfRawData
/// is its size in memory, and it has no bytes in the file.
pub(crate) const IMAGE_SCN_CNT_UNINITIALIZED_DATA: u32 = 0x0000_0080;
/// Align data on a 2-, 4-, 8- or 64-byte boundary (objects only).
pub(crate) const IMAGE_SCN_ALIGN_2BYTES: u32 = 0x0020_0000;
pub(crate) const IMAGE_SCN_ALIGN_4BYTES: u32 = 0x0030_0000;
pub(crate) const IMAGE_SCN_ALIGN_8BYTES: u32 = 0x0040_0000;
pub(crate) const IMAGE_SCN_ALIGN_64BYTES: u32 = 0x0070_0000;
/// The section can be read.
pub(crate) const IMAGE_SCN_MEM_READ: u32 = 0x4000_0000;
/// The section can be written to.
pub(crate) const IMAGE_SCN_MEM_WRITE: u32 = 0x8000_0000;

// ---------------------------------------------------------------------------
// "COFF Relocations (Object Only)".

#[repr(C)]
struct Relocation {
    virtual_address: U32,
    symbol_table_index: U32,
    r#type: U16,
}

/// A relocation record: its size (records are packed, 10 bytes each).
pub(crate) mod relocation {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<Relocation>() as u64;
}

const _: () = assert!(relocation::SIZE == 10 && offset_of!(Relocation, r#type) == 8);

/// "Type Indicators": the 32-bit address relative to the image base (an
/// RVA), for each machine that has one.
pub(crate) const IMAGE_REL_AMD64_ADDR32NB: u16 = 0x0003;
pub(crate) const IMAGE_REL_I386_DIR32NB: u16 = 0x0007;
pub(crate) const IMAGE_REL_ARM64_ADDR32NB: u16 = 0x0002;

// ---------------------------------------------------------------------------
// "COFF Symbol Table", "Auxiliary Format 5: Section Definitions" and "COFF
// String Table".

#[repr(C)]
struct Symbol {
    name: [u8; 8],
    value: U32,
    section_number: U16,
    r#type: U16,
    storage_class: U8,
    number_of_aux_symbols: U8,
}

#[repr(C)]
struct AuxSectionDefinition {
    length: U32,
    number_of_relocations: U16,
    number_of_linenumbers: U16,
    check_sum: U32,
    number: U16,
    selection: U8,
    unused: [u8; 3],
}

/// The symbol table's records: symbols, each followed by its auxiliary records.
pub(crate) mod symbol {
    use super::*;

    /// The size of a record, a symbol or an auxiliary record alike.
    pub(crate) const SIZE: u64 = size_of::<Symbol>() as u64;
    /// [`SIZE`] as an array length, for `Data::fixed`.
    pub(crate) const LEN: usize = size_of::<Symbol>();
    /// A symbol's `Name`: 8 bytes, NUL-padded (or a string table reference).
    pub(crate) const NAME_LEN: usize = 8;
    /// A long name is stored as four zero bytes, then its `u32` offset in
    /// the string table ("Symbol Name Representation").
    pub(crate) const NAME_OFFSET: u64 = 4;
    pub(crate) const VALUE: u64 = offset!(Symbol, value);
    /// The 1-based section number (a `u16`; 0 undefined, 0xffff absolute,
    /// 0xfffe debug).
    pub(crate) const SECTION_NUMBER: u64 = offset!(Symbol, section_number);
    pub(crate) const STORAGE_CLASS: u64 = offset!(Symbol, storage_class);
    pub(crate) const NUMBER_OF_AUX_SYMBOLS: u64 = offset!(Symbol, number_of_aux_symbols);
}

const _: () = assert!(symbol::SIZE == 18 && size_of::<AuxSectionDefinition>() as u64 == symbol::SIZE);
const _: () = assert!(offset_of!(Symbol, value) == symbol::NAME_LEN);
const _: () = assert!(symbol::VALUE == 8 && symbol::SECTION_NUMBER == 12 && symbol::STORAGE_CLASS == 16);
const _: () = assert!(symbol::NUMBER_OF_AUX_SYMBOLS == 17);

/// The string table follows the symbol table; it starts with its own size
/// in bytes, a `u32` that counts itself, so an empty table is those 4 bytes.
pub(crate) const STRING_TABLE_SIZE_FIELD: u64 = 4;

/// "Storage Class": an external symbol (defined if its section number is
/// positive).
pub(crate) const IMAGE_SYM_CLASS_EXTERNAL: u8 = 2;
/// Storage class of a section symbol ("Storage Class").
pub(crate) const IMAGE_SYM_CLASS_STATIC: u8 = 3;
/// "Definition of a section (Microsoft tools use STATIC storage class
/// instead)": what import libraries use for the `.idata$N` group symbols.
pub(crate) const IMAGE_SYM_CLASS_SECTION: u8 = 0x68;
/// `IMAGE_SYM_ABSOLUTE` (-1) as the 16-bit `SectionNumber` stores it: the
/// symbol is a constant, not an address in a section.
pub(crate) const IMAGE_SYM_ABSOLUTE: u16 = 0xffff;

// ---------------------------------------------------------------------------
// "Machine Types": the COFF file header's `Machine`.

pub(crate) use machine_types::*;

// `Arch::from_coff` and `Arch::is_coff_machine` (src/arch.rs) name them all;
// the object writer's header policy (src/emit/abi.rs) uses four.
mod machine_types {
    pub(crate) const IMAGE_FILE_MACHINE_I386: u16 = 0x014c;
    pub(crate) const IMAGE_FILE_MACHINE_AMD64: u16 = 0x8664;
    pub(crate) const IMAGE_FILE_MACHINE_ARM: u16 = 0x01c0;
    pub(crate) const IMAGE_FILE_MACHINE_THUMB: u16 = 0x01c2;
    pub(crate) const IMAGE_FILE_MACHINE_ARMNT: u16 = 0x01c4;
    pub(crate) const IMAGE_FILE_MACHINE_ARM64: u16 = 0xaa64;
    pub(crate) const IMAGE_FILE_MACHINE_ARM64EC: u16 = 0xa641;
    pub(crate) const IMAGE_FILE_MACHINE_ARM64X: u16 = 0xa64e;
    pub(crate) const IMAGE_FILE_MACHINE_RISCV32: u16 = 0x5032;
    pub(crate) const IMAGE_FILE_MACHINE_RISCV64: u16 = 0x5064;
    pub(crate) const IMAGE_FILE_MACHINE_RISCV128: u16 = 0x5128;
    pub(crate) const IMAGE_FILE_MACHINE_POWERPC: u16 = 0x01f0;
    pub(crate) const IMAGE_FILE_MACHINE_POWERPCFP: u16 = 0x01f1;
    pub(crate) const IMAGE_FILE_MACHINE_R3000: u16 = 0x0162;
    pub(crate) const IMAGE_FILE_MACHINE_R4000: u16 = 0x0166;
    pub(crate) const IMAGE_FILE_MACHINE_R10000: u16 = 0x0168;
    pub(crate) const IMAGE_FILE_MACHINE_WCEMIPSV2: u16 = 0x0169;
    pub(crate) const IMAGE_FILE_MACHINE_MIPS16: u16 = 0x0266;
    pub(crate) const IMAGE_FILE_MACHINE_MIPSFPU: u16 = 0x0366;
    pub(crate) const IMAGE_FILE_MACHINE_MIPSFPU16: u16 = 0x0466;
    pub(crate) const IMAGE_FILE_MACHINE_LOONGARCH32: u16 = 0x6232;
    pub(crate) const IMAGE_FILE_MACHINE_LOONGARCH64: u16 = 0x6264;
    pub(crate) const IMAGE_FILE_MACHINE_IA64: u16 = 0x0200;
    pub(crate) const IMAGE_FILE_MACHINE_ALPHA: u16 = 0x0184;
    pub(crate) const IMAGE_FILE_MACHINE_ALPHA64: u16 = 0x0284;
    pub(crate) const IMAGE_FILE_MACHINE_SH3: u16 = 0x01a2;
    pub(crate) const IMAGE_FILE_MACHINE_SH3DSP: u16 = 0x01a3;
    pub(crate) const IMAGE_FILE_MACHINE_SH4: u16 = 0x01a6;
    pub(crate) const IMAGE_FILE_MACHINE_SH5: u16 = 0x01a8;
    pub(crate) const IMAGE_FILE_MACHINE_EBC: u16 = 0x0ebc;
    pub(crate) const IMAGE_FILE_MACHINE_M32R: u16 = 0x9041;
    pub(crate) const IMAGE_FILE_MACHINE_AM33: u16 = 0x01d3;
    /// Not in the PE spec; `winnt.h` names 0x0520 TRICORE and 0xc0ee CEE.
    pub(crate) const IMAGE_FILE_MACHINE_TRICORE: u16 = 0x0520;
    pub(crate) const IMAGE_FILE_MACHINE_CEE: u16 = 0xc0ee;
}

// ---------------------------------------------------------------------------
// The tables the data directories point at, and the import library's
// archive format, each in its own file.

mod archive;
mod directories;

pub(crate) use archive::*;
pub(crate) use directories::*;
