//! The tables data directories point at that the dependency walk, the
//! export lookup and the data-library writer use: "The .edata Section
//! (Image Only)", "The .idata Section" and "Delay-Load Import Tables
//! (Image Only)". Every address in them is an RVA.

use core::mem::{offset_of, size_of};

use super::{U16, U32};

#[repr(C)]
struct ExportDirectory {
    export_flags: U32,
    time_date_stamp: U32,
    major_version: U16,
    minor_version: U16,
    name_rva: U32,
    ordinal_base: U32,
    address_table_entries: U32,
    number_of_name_pointers: U32,
    export_address_table_rva: U32,
    name_pointer_rva: U32,
    ordinal_table_rva: U32,
}

/// "Export Directory Table": field offsets. `AddressOfFunctions`,
/// `AddressOfNames` and `AddressOfNameOrdinals` in `winnt.h`.
pub(crate) mod export_directory {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<ExportDirectory>() as u64;
    /// [`SIZE`] as an array length, for `Data::fixed`.
    pub(crate) const LEN: usize = size_of::<ExportDirectory>();
    /// The DLL's own name.
    pub(crate) const NAME_RVA: u64 = offset!(ExportDirectory, name_rva);
    /// The ordinal of the first export address table entry.
    pub(crate) const ORDINAL_BASE: u64 = offset!(ExportDirectory, ordinal_base);
    pub(crate) const ADDRESS_TABLE_ENTRIES: u64 = offset!(ExportDirectory, address_table_entries);
    pub(crate) const NUMBER_OF_NAME_POINTERS: u64 = offset!(ExportDirectory, number_of_name_pointers);
    pub(crate) const EXPORT_ADDRESS_TABLE_RVA: u64 = offset!(ExportDirectory, export_address_table_rva);
    pub(crate) const NAME_POINTER_RVA: u64 = offset!(ExportDirectory, name_pointer_rva);
    pub(crate) const ORDINAL_TABLE_RVA: u64 = offset!(ExportDirectory, ordinal_table_rva);
    /// An export address table entry and a name pointer: an RVA, `u32`.
    pub(crate) const ADDRESS_SIZE: u64 = size_of::<U32>() as u64;
    /// An export ordinal table entry: a `u16` index into the export address table.
    pub(crate) const ORDINAL_SIZE: u64 = size_of::<U16>() as u64;
}

const _: () = {
    use export_directory as e;
    assert!(e::SIZE == 40 && e::NAME_RVA == 12 && e::ORDINAL_BASE == 16 && e::ADDRESS_TABLE_ENTRIES == 20);
    assert!(e::NUMBER_OF_NAME_POINTERS == 24 && e::EXPORT_ADDRESS_TABLE_RVA == 28);
    assert!(e::NAME_POINTER_RVA == 32 && e::ORDINAL_TABLE_RVA == 36);
};

#[repr(C)]
struct ImportDescriptor {
    import_lookup_table_rva: U32,
    time_date_stamp: U32,
    forwarder_chain: U32,
    name_rva: U32,
    import_address_table_rva: U32,
}

/// "Import Directory Table": one entry per DLL, ended by an all-zero one.
pub(crate) mod import_descriptor {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<ImportDescriptor>() as u64;
    /// [`SIZE`] as an array length.
    pub(crate) const LEN: usize = size_of::<ImportDescriptor>();
    /// `OriginalFirstThunk` in `winnt.h`.
    pub(crate) const IMPORT_LOOKUP_TABLE_RVA: u64 = offset!(ImportDescriptor, import_lookup_table_rva);
    /// The DLL's name, an ASCII string.
    pub(crate) const NAME_RVA: u64 = offset!(ImportDescriptor, name_rva);
    /// `FirstThunk` in `winnt.h`.
    pub(crate) const IMPORT_ADDRESS_TABLE_RVA: u64 = offset!(ImportDescriptor, import_address_table_rva);
}

const _: () = {
    use import_descriptor as i;
    assert!(i::SIZE == 20 && i::IMPORT_LOOKUP_TABLE_RVA == 0 && i::NAME_RVA == 12 && i::IMPORT_ADDRESS_TABLE_RVA == 16);
};

/// "Import Lookup Table" and "Hint/Name Table": what an import descriptor's
/// `OriginalFirstThunk` points at. One entry per imported symbol, 32 bits in
/// PE32 and 64 in PE32+, ended by a zero entry.
pub(crate) mod import_lookup {
    /// Set (bit 31 in PE32, bit 63 in PE32+): imported by ordinal, no name.
    pub(crate) const ORDINAL_FLAG_32: u64 = 1 << 31;
    pub(crate) const ORDINAL_FLAG_64: u64 = 1 << 63;
    /// Imported by name: bits 30–0 are the RVA of a hint/name entry.
    pub(crate) const NAME_RVA: u64 = 0x7fff_ffff;
    /// A hint/name entry: a `u16` hint (the export name pointer table index
    /// to try first), then the NUL-terminated name.
    pub(crate) const NAME: u64 = 2;
}

#[repr(C)]
struct DelayLoadDescriptor {
    attributes: U32,
    name: U32,
    module_handle: U32,
    delay_import_address_table: U32,
    delay_import_name_table: U32,
    bound_delay_import_table: U32,
    unload_delay_import_table: U32,
    time_stamp: U32,
}

/// "The Delay-Load Directory Table": one entry per DLL, ended by an all-zero one.
pub(crate) mod delay_load_descriptor {
    use super::*;

    pub(crate) const SIZE: u64 = size_of::<DelayLoadDescriptor>() as u64;
    /// The DLL's name. The spec has RVAs only ("Attributes: must be zero");
    /// Visual C++ 6 wrote addresses (VAs) here with `Attributes` bit 0
    /// clear, which this crate does not read.
    pub(crate) const NAME: u64 = offset!(DelayLoadDescriptor, name);
    /// The delay import name table: laid out as an import lookup table.
    pub(crate) const NAME_TABLE: u64 = offset!(DelayLoadDescriptor, delay_import_name_table);
}

const _: () = {
    use delay_load_descriptor as d;
    assert!(d::SIZE == 32 && d::NAME == 4 && d::NAME_TABLE == 16);
};
