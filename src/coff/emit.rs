//! Writes the headers of a COFF object (`.obj`) whose section `.jlji` is the
//! container. References are to Microsoft's "PE Format" specification, whose
//! structures [`super::layout`] transcribes.
//!
//! Layout: the symbol and string tables come before the section data (their
//! places are given by `PointerToSymbolTable`, not by order), so that the
//! payload ends the file:
//!
//! ```text
//! file header | section header | symbol table | string table | pad to 64 | .jlji
//! ```

// Writers build headers in a Vec and write through std::io (see crate::emit).
#![cfg(feature = "std")]

use super::layout::{
    file_header, section_header, symbol, IMAGE_FILE_MACHINE_I386, IMAGE_SCN_ALIGN_64BYTES,
    IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_READ, IMAGE_SYM_ABSOLUTE, IMAGE_SYM_CLASS_STATIC,
    STRING_TABLE_SIZE_FIELD,
};
use crate::frame::CONTAINER_ALIGN;
use crate::write::error::EmitError;
use crate::write::{aligned, Bytes};
use crate::{Endian, Format};

/// COFF file header `Machine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CoffHeader {
    pub machine: u16,
}

/// The section's flags. Not `IMAGE_SCN_LNK_COMDAT`: a non-COMDAT section is
/// kept by `/OPT:REF` without any reference (FORMAT.md, "Writing rules").
const CHARACTERISTICS: u32 = IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_ALIGN_64BYTES | IMAGE_SCN_MEM_READ;
// The linker keeps the section's data at the alignment the container needs.
const _: () = assert!(CONTAINER_ALIGN == 64);

/// The bytes of the object before the container (`container_size` bytes:
/// frame and payload); their length is the container's offset, a multiple of 64.
pub(crate) fn head(h: &CoffHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    // The section symbol `.jlji` and its auxiliary section-definition record,
    // as every compiler writes for each section; on x86 also `@feat.00` with
    // bit 0 set ("this object is SAFESEH-compatible": it has no code), without
    // which `link /SAFESEH` and lld-link `/safeseh` reject the object.
    let x86 = h.machine == IMAGE_FILE_MACHINE_I386;
    let symbols: u32 = if x86 { 3 } else { 2 };
    // One section header follows the file header; no optional header.
    let symtab_at = file_header::SIZE.saturating_add(section_header::SIZE);
    let strtab_at = symtab_at.saturating_add(symbol::SIZE.saturating_mul(symbols.into()));
    let strtab_end = strtab_at.saturating_add(STRING_TABLE_SIZE_FIELD);
    let container_at = aligned(Format::Coff, "PointerToRawData", strtab_end, CONTAINER_ALIGN)?;

    let mut b = Bytes::new(Format::Coff, Endian::Little);
    // File header: Machine, NumberOfSections, TimeDateStamp (0 keeps builds
    // reproducible), PointerToSymbolTable, NumberOfSymbols,
    // SizeOfOptionalHeader, Characteristics (none apply to an object).
    b.u16(h.machine).u16(1).u32(0).u32_field("PointerToSymbolTable", symtab_at)?;
    b.u32(symbols).u16(0).u16(0);

    // Section header: Name, VirtualSize (0 in objects), VirtualAddress,
    // SizeOfRawData, PointerToRawData, relocations and line numbers (none),
    // Characteristics.
    b.name::<{ section_header::NAME_LEN }>(b".jlji").u32(0).u32(0);
    b.u32_field("section size (SizeOfRawData)", container_size)?;
    b.u32_field("PointerToRawData", container_at)?;
    b.u32(0).u32(0).u16(0).u16(0).u32(CHARACTERISTICS);

    // Symbol: Name, Value, SectionNumber (1-based), Type, StorageClass,
    // NumberOfAuxSymbols; then the aux record: Length, NumberOfRelocations,
    // NumberOfLinenumbers, CheckSum (only checked for COMDATs), Number,
    // Selection, 3 unused bytes.
    b.name::<{ symbol::NAME_LEN }>(b".jlji").u32(0).u16(1).u16(0).u8(IMAGE_SYM_CLASS_STATIC).u8(1);
    b.u32_field("section size (aux Length)", container_size)?;
    b.u16(0).u16(0).u32(0).u16(0).u8(0).raw(&[0; 3]);
    if x86 {
        b.name::<{ symbol::NAME_LEN }>(b"@feat.00")
            .u32(1)
            .u16(IMAGE_SYM_ABSOLUTE)
            .u16(0)
            .u8(IMAGE_SYM_CLASS_STATIC)
            .u8(0);
    }
    // The string table: just its own size field.
    b.u32(STRING_TABLE_SIZE_FIELD as u32);

    b.pad_to("padding", CONTAINER_ALIGN)?;
    Ok(b.bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use object::read::coff::CoffFile;
    use object::{Object, ObjectSection, ObjectSymbol};

    use super::*;
    use crate::coff::layout::IMAGE_FILE_MACHINE_AMD64;
    use crate::coff::sections::sections;
    use crate::read::Data;
    use crate::FileRange;

    #[test]
    fn the_head_reads_back_as_written() {
        // Symbol records: .jlji and its aux record, and on x86 @feat.00.
        let x86 = (IMAGE_FILE_MACHINE_I386, vec![".jlji", "@feat.00"], 3);
        for (machine, symbols, records) in [(IMAGE_FILE_MACHINE_AMD64, vec![".jlji"], 2), x86] {
            let size = 100;
            let mut object = head(&CoffHeader { machine }, size).unwrap();
            let container_at = object.len() as u64;
            object.resize(object.len() + size as usize, 0xaa);
            // The spec's sizes: file header 20, one section header 40, symbol
            // records of 18 bytes, then the string table's 4-byte size; padding to 64.
            let strings_at = 20 + 40 + 18 * records;
            assert_eq!(u32::from_le_bytes(object[strings_at..strings_at + 4].try_into().unwrap()), 4);
            assert_eq!(container_at, (strings_at as u64 + 4).next_multiple_of(64));

            // As this crate's walk reads it.
            let ours: Vec<_> = sections(Data::new(&object, 0, "the file")).unwrap().map(Result::unwrap).collect();
            assert_eq!(ours.len(), 1);
            assert_eq!((ours[0].name, ours[0].flags), (Some(&b".jlji"[..]), 0x4070_0040));
            assert_eq!(ours[0].range, FileRange { offset: container_at, size });

            // As object reads it.
            let file = CoffFile::<&[u8]>::parse(&object[..]).unwrap();
            let section = file.sections().next().unwrap();
            assert_eq!((section.name().unwrap(), section.file_range()), (".jlji", Some((container_at, size))));
            assert_eq!(section.align(), 64);
            let names: Vec<_> = file.symbols().map(|s| s.name().unwrap().to_owned()).collect();
            assert_eq!(names, symbols);
        }
    }

    #[test]
    fn a_container_too_large_for_size_of_raw_data_is_refused() {
        let error = head(&CoffHeader { machine: IMAGE_FILE_MACHINE_AMD64 }, 1 << 32).unwrap_err();
        assert_eq!(
            error.to_string(),
            "COFF section size (SizeOfRawData) would be 0x100000000, above its limit 0xffffffff: payload too large"
        );
    }
}
