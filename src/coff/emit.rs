//! Writes the headers of a COFF object (`.obj`) whose section `.jlji` is the
//! container. References are to Microsoft's "PE Format" specification.
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

use crate::write::error::EmitError;
use crate::write::{aligned, Bytes};
use crate::{Endian, Format};

/// COFF file header `Machine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CoffHeader {
    pub machine: u16,
}

/// `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_ALIGN_64BYTES |
/// IMAGE_SCN_MEM_READ`. Not `IMAGE_SCN_LNK_COMDAT`: a non-COMDAT section is
/// kept by `/OPT:REF` without any reference (FORMAT.md, "Writing rules").
const CHARACTERISTICS: u32 = 0x4070_0040;
const FILE_HEADER_SIZE: u64 = 20;
const SECTION_HEADER_SIZE: u64 = 40;
const SYMBOL_SIZE: u64 = 18;
const IMAGE_FILE_MACHINE_I386: u16 = 0x014c;
const IMAGE_SYM_CLASS_STATIC: u8 = 3;
/// `IMAGE_SYM_ABSOLUTE` as the 16-bit section number.
const IMAGE_SYM_ABSOLUTE: u16 = 0xffff;
const CONTAINER_ALIGN: u64 = 64;

/// The bytes of the object before the container (`container_size` bytes:
/// frame and payload); their length is the container's offset, a multiple of 64.
pub(crate) fn head(h: &CoffHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    // The section symbol `.jlji` and its auxiliary section-definition record,
    // as every compiler writes for each section; on x86 also `@feat.00` with
    // bit 0 set ("this object is SAFESEH-compatible": it has no code), without
    // which `link /SAFESEH` and lld-link `/safeseh` reject the object.
    let x86 = h.machine == IMAGE_FILE_MACHINE_I386;
    let symbols: u32 = if x86 { 3 } else { 2 };
    let symtab_at = FILE_HEADER_SIZE.saturating_add(SECTION_HEADER_SIZE);
    let strtab_at = symtab_at.saturating_add(SYMBOL_SIZE.saturating_mul(symbols.into()));
    let container_at = aligned(Format::Coff, "container_at", strtab_at.saturating_add(4), CONTAINER_ALIGN)?;

    let mut b = Bytes::new(Format::Coff, Endian::Little, false);
    // IMAGE_FILE_HEADER: Machine, NumberOfSections, TimeDateStamp (0 keeps
    // builds reproducible), PointerToSymbolTable, NumberOfSymbols,
    // SizeOfOptionalHeader, Characteristics.
    b.u16(h.machine).u16(1).u32(0).u32_field("PointerToSymbolTable", symtab_at)?;
    b.u32(symbols).u16(0).u16(0);

    // IMAGE_SECTION_HEADER: Name, VirtualSize (0 in objects), VirtualAddress,
    // SizeOfRawData, PointerToRawData, relocations and line numbers (none).
    b.name::<8>(b".jlji").u32(0).u32(0);
    b.u32_field("section size (SizeOfRawData)", container_size)?;
    b.u32_field("PointerToRawData", container_at)?;
    b.u32(0).u32(0).u16(0).u16(0).u32(CHARACTERISTICS);

    // Symbol: Name, Value, SectionNumber (1-based), Type, StorageClass,
    // NumberOfAuxSymbols; then the aux record: Length, NumberOfRelocations,
    // NumberOfLinenumbers, CheckSum (only checked for COMDATs), Number,
    // Selection, 3 unused bytes.
    b.name::<8>(b".jlji").u32(0).u16(1).u16(0).u8(IMAGE_SYM_CLASS_STATIC).u8(1);
    b.u32_field("section size (aux Length)", container_size)?;
    b.u16(0).u16(0).u32(0).u16(0).u8(0).raw(&[0; 3]);
    if x86 {
        b.name::<8>(b"@feat.00").u32(1).u16(IMAGE_SYM_ABSOLUTE).u16(0).u8(IMAGE_SYM_CLASS_STATIC).u8(0);
    }
    // The string table: just its own 4-byte size.
    b.u32(4);

    b.pad_to("padding", CONTAINER_ALIGN)?;
    Ok(b.bytes)
}
