//! The four members of an import library for one data export, as
//! `lib.exe` and `llvm-dlltool` make them (byte for byte what LLVM 14's
//! `llvm-dlltool` writes, which the tests check):
//!
//! 1. the import descriptor object: `.idata$2`, the DLL's 20-byte import
//!    descriptor, whose name, lookup-table and address-table fields are
//!    relocated (`ADDR32NB`, an RVA) to `.idata$6` (the DLL name, here) and
//!    to the start of the linker's `.idata$4` and `.idata$5` groups, which
//!    the short import fills in; defines `__IMPORT_DESCRIPTOR_<stem>` and
//!    pulls in the next two by reference;
//! 2. the null import descriptor object: `.idata$3`, the all-zero descriptor
//!    that ends the table, `__NULL_IMPORT_DESCRIPTOR`;
//! 3. the null thunk object: one zero pointer in `.idata$5` and `.idata$4`,
//!    ending this DLL's address and lookup tables, `\x7f<stem>_NULL_THUNK_DATA`;
//! 4. the short import object ("Import Library Format") for the data export:
//!    type `IMPORT_OBJECT_DATA`, so the linker defines only `__imp_<symbol>`,
//!    the address-table slot the loader fills with the export's address;
//!    C code reaches it through `__declspec(dllimport)`, and MinGW's
//!    linkers through auto-import too.
//!
//! lld-link builds the import table from the short import alone. GNU ld
//! expands a short import into sections too, but for a data import it
//! references no descriptor (binutils' `pe_ILF_build_a_bfd`), and without
//! members 1-3 it links silently with the DLL missing from the import table
//! (tried with GNU ld 2.40): they are what make the library work with both.

use super::Machine;
use crate::coff::layout::{
    file_header, import_object_header, relocation, section_header, symbol, IMAGE_SCN_ALIGN_2BYTES,
    IMAGE_SCN_ALIGN_4BYTES, IMAGE_SCN_ALIGN_8BYTES, IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_READ,
    IMAGE_SCN_MEM_WRITE, IMAGE_SYM_CLASS_EXTERNAL, IMAGE_SYM_CLASS_SECTION, IMAGE_SYM_CLASS_STATIC, IMPORT_OBJECT_DATA,
    STRING_TABLE_SIZE_FIELD,
};
use crate::coff::layout::{import_descriptor, NULL_IMPORT_DESCRIPTOR};
use crate::write::error::EmitError;
use crate::write::{Bytes, Misfit};
use crate::{Endian, Format};

/// Writable initialized data, as every `.idata$N` piece is.
const IDATA: u32 = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE;

/// A section of an object being written: its data and relocations.
struct Section<'a> {
    name: &'static [u8],
    characteristics: u32,
    data: &'a [u8],
    relocations: &'a [Relocation],
}

/// A relocation at `offset` of its section against symbol `symbol` (an index).
struct Relocation {
    offset: u32,
    symbol: u32,
    kind: u16,
}

/// A symbol with value 0 in section `section` (1-based; 0: undefined).
struct Symbol<'a> {
    name: &'a [u8],
    section: u16,
    class: u8,
}

/// Member 1: the import descriptor of DLL `dll_name` (whose stem the
/// `names` use, see [`super::Names`]).
pub(super) fn import_descriptor(m: &Machine, names: &super::Names) -> Result<Vec<u8>, EmitError> {
    let descriptor = [0u8; import_descriptor::LEN];
    // The field, then the symbol (by index below) it is the RVA of.
    let fields = [
        (import_descriptor::NAME_RVA, 2),
        (import_descriptor::IMPORT_LOOKUP_TABLE_RVA, 3),
        (import_descriptor::IMPORT_ADDRESS_TABLE_RVA, 4),
    ];
    let relocations = fields.map(|(offset, symbol)| Relocation { offset: offset as u32, symbol, kind: m.addr32nb });
    let mut dll_name = names.dll.as_bytes().to_vec();
    dll_name.push(0);
    let sections = [
        Section {
            name: b".idata$2",
            characteristics: IDATA | IMAGE_SCN_ALIGN_4BYTES,
            data: &descriptor,
            relocations: &relocations,
        },
        Section {
            name: b".idata$6",
            characteristics: IDATA | IMAGE_SCN_ALIGN_2BYTES,
            data: &dll_name,
            relocations: &[],
        },
    ];
    let symbols = [
        Symbol { name: names.descriptor.as_bytes(), section: 1, class: IMAGE_SYM_CLASS_EXTERNAL },
        Symbol { name: b".idata$2", section: 1, class: IMAGE_SYM_CLASS_SECTION },
        Symbol { name: b".idata$6", section: 2, class: IMAGE_SYM_CLASS_STATIC },
        // The linker's groups: where this DLL's lookup and address tables start.
        Symbol { name: b".idata$4", section: 0, class: IMAGE_SYM_CLASS_SECTION },
        Symbol { name: b".idata$5", section: 0, class: IMAGE_SYM_CLASS_SECTION },
        Symbol { name: NULL_IMPORT_DESCRIPTOR.as_bytes(), section: 0, class: IMAGE_SYM_CLASS_EXTERNAL },
        Symbol { name: names.null_thunk.as_bytes(), section: 0, class: IMAGE_SYM_CLASS_EXTERNAL },
    ];
    object(m, &sections, &symbols)
}

/// Member 2: the all-zero descriptor that ends the import directory.
pub(super) fn null_import_descriptor(m: &Machine) -> Result<Vec<u8>, EmitError> {
    let descriptor = [0u8; import_descriptor::LEN];
    let section = Section {
        name: b".idata$3",
        characteristics: IDATA | IMAGE_SCN_ALIGN_4BYTES,
        data: &descriptor,
        relocations: &[],
    };
    let symbol = Symbol { name: NULL_IMPORT_DESCRIPTOR.as_bytes(), section: 1, class: IMAGE_SYM_CLASS_EXTERNAL };
    object(m, &[section], &[symbol])
}

/// Member 3: the null pointers that end this DLL's address and lookup tables.
pub(super) fn null_thunk(m: &Machine, names: &super::Names) -> Result<Vec<u8>, EmitError> {
    let zero = [0u8; 8];
    let pointer = zero.get(..m.pointer).unwrap_or(&zero);
    let align = if m.pointer == 8 { IMAGE_SCN_ALIGN_8BYTES } else { IMAGE_SCN_ALIGN_4BYTES };
    let thunk = |name| Section { name, characteristics: IDATA | align, data: pointer, relocations: &[] };
    let symbol = Symbol { name: names.null_thunk.as_bytes(), section: 1, class: IMAGE_SYM_CLASS_EXTERNAL };
    object(m, &[thunk(b".idata$5"), thunk(b".idata$4")], &[symbol])
}

/// Member 4: the short import object of the data export `names.symbol`
/// (decorated as the machine's C compiler names it).
pub(super) fn short_import(m: &Machine, names: &super::Names) -> Result<Vec<u8>, EmitError> {
    let strings = [names.symbol.as_bytes(), &[0], names.dll.as_bytes(), &[0]].concat();
    let mut b = Bytes::new(Format::Coff, Endian::Little);
    // Sig1, Sig2, Version, Machine, TimeDateStamp (0: reproducible), SizeOfData,
    // Ordinal/Hint (a hint of 0: the name is looked up), then type and name type.
    b.u16(import_object_header::SIG1).u16(import_object_header::SIG2).u16(0).u16(m.machine).u32(0);
    b.u32_field("import SizeOfData", strings.len() as u64)?;
    b.u16(0).u16(IMPORT_OBJECT_DATA | (m.name_type << import_object_header::NAME_TYPE_SHIFT));
    debug_assert_eq!(b.at(), import_object_header::SIZE);
    b.raw(&strings);
    Ok(b.bytes)
}

/// A COFF object with `sections` and `symbols`: file header, section
/// headers, each section's data followed by its relocations, the symbol
/// table, the string table (names longer than 8 bytes).
fn object(m: &Machine, sections: &[Section<'_>], symbols: &[Symbol<'_>]) -> Result<Vec<u8>, EmitError> {
    let misfit = |field, at| {
        EmitError::from(Misfit { format: Format::Coff, field, at, problem: crate::write::Problem::Overflow })
    };
    let count = sections.len() as u64;
    let mut at = file_header::SIZE.saturating_add(section_header::SIZE.saturating_mul(count));
    let mut places = Vec::with_capacity(sections.len());
    for s in sections {
        let relocations_at = at.checked_add(s.data.len() as u64).ok_or(misfit("section data", at))?;
        let relocations_size = relocation::SIZE.saturating_mul(s.relocations.len() as u64);
        places.push((at, relocations_at));
        at = relocations_at.checked_add(relocations_size).ok_or(misfit("relocations", relocations_at))?;
    }
    let mut b = Bytes::new(Format::Coff, Endian::Little);
    // Machine, NumberOfSections, TimeDateStamp, PointerToSymbolTable,
    // NumberOfSymbols, SizeOfOptionalHeader, Characteristics.
    b.u16(m.machine).u16(count as u16).u32(0).u32_field("PointerToSymbolTable", at)?;
    b.u32_field("NumberOfSymbols", symbols.len() as u64)?.u16(0).u16(m.object_characteristics);
    for (s, (data_at, relocations_at)) in sections.iter().zip(&places) {
        // Name, VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData,
        // PointerToRelocations (0 without any), PointerToLinenumbers,
        // NumberOfRelocations, NumberOfLinenumbers, Characteristics.
        b.name::<{ section_header::NAME_LEN }>(s.name).u32(0).u32(0);
        b.u32_field("SizeOfRawData", s.data.len() as u64)?.u32_field("PointerToRawData", *data_at)?;
        b.u32_field("PointerToRelocations", if s.relocations.is_empty() { 0 } else { *relocations_at })?;
        b.u32(0).u16(s.relocations.len() as u16).u16(0).u32(s.characteristics);
    }
    for s in sections {
        b.raw(s.data);
        for r in s.relocations {
            b.u32(r.offset).u32(r.symbol).u16(r.kind);
        }
    }
    debug_assert_eq!(b.at(), at);
    // The string table's contents after its size field.
    let mut strings = Vec::new();
    for s in symbols {
        if s.name.len() > symbol::NAME_LEN {
            // Four zero bytes, then the name's offset in the string table.
            let offset = STRING_TABLE_SIZE_FIELD.saturating_add(strings.len() as u64);
            b.u32(0).u32_field("symbol name offset", offset)?;
            strings.extend_from_slice(s.name);
            strings.push(0);
        } else {
            b.name::<{ symbol::NAME_LEN }>(s.name);
        }
        // Value, SectionNumber, Type, StorageClass, NumberOfAuxSymbols.
        b.u32(0).u16(s.section).u16(0).u8(s.class).u8(0);
    }
    b.u32_field("string table size", STRING_TABLE_SIZE_FIELD.saturating_add(strings.len() as u64))?;
    b.raw(&strings);
    Ok(b.bytes)
}
