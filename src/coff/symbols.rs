//! One symbol by name, from the headers alone: in a PE image, an export
//! (data directory 0); in a COFF object, an external symbol defined in a
//! section of its symbol table.
//!
//! Exports: the name pointer table is scanned in order, one 4-byte-prefix
//! comparison per name ([`Data::cstr_is`]), and the first match counts. The
//! spec requires the table sorted (the loader's `GetProcAddress` searches it
//! by halves), but a binary search would trust a file that may not be:
//! proving it sorted costs a comparison per name, as much as the scan, and
//! a search on an unsorted table could answer differently from every other
//! reader. Like the `object` crate, the names must lie in the section that
//! holds the export directory (where every linker puts them), so each name
//! costs no section-table walk and a hostile count costs at most one
//! comparison per 4 bytes of that section.
//!
//! A forwarder (an export whose RVA lies inside the export directory: the
//! name of another DLL's export, which the loader resolves instead) is
//! reported as not found: this image has no bytes for it.
//!
//! Imports: each import descriptor's lookup table (`OriginalFirstThunk`, or
//! the import address table if a linker left that 0, as the loader then
//! does), then each delay-load descriptor's name table, is read to its zero
//! entry, and each entry imported by name is compared with its hint/name
//! entry. As the `object` crate reads them, the lookup tables must lie in
//! the section that holds their directory, and so must a delay-load
//! directory's names; an import directory's names must lie in the section
//! that holds its first DLL name (the same section, `.idata` or `.rdata`, in
//! every linker's output). So each costs no section-table walk; and since descriptors may share a
//! lookup table, all the tables of a directory together may read at most as
//! many entries as that section holds. So a hostile file costs time linear
//! in its size. A COFF object imports nothing.

use super::header::{self, DirectorySection, Header};
use super::layout::IMAGE_SYM_CLASS_EXTERNAL;
use super::layout::{delay_load_descriptor as delay, import_descriptor, import_lookup};
use super::layout::{export_directory as ed, file_header, section_header, symbol};
use super::layout::{IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT, IMAGE_DIRECTORY_ENTRY_EXPORT, IMAGE_DIRECTORY_ENTRY_IMPORT};
use crate::read::{pad, Data, Fixed};
use crate::{Endian, Error, FileRange, Format, Symbol};

/// The symbol `name` of `image`: its address (`ImageBase` + RVA in an
/// image, the offset in its section in an object) and its bytes in the file
/// to the end of its section's file bytes, if it has any. `Ok(None)` if no
/// export or external definition has that name, or it is a forwarder.
pub(crate) fn find_symbol(image: Data<'_>, name: &[u8]) -> Result<Option<Symbol>, Error> {
    let image = image.with_endian(Endian::Little);
    let header = header::parse(image)?;
    match header.format {
        Format::Pe => export(image, &header, name),
        _ => defined(image, &header, name),
    }
}

/// One kind of import directory, as [`imports_symbol`] reads it.
struct ImportTables {
    directory: u64,
    descriptor: (&'static str, u64),
    /// The descriptor field holding the DLL's name's RVA, if the names may
    /// be in the section of the first one (see [`Header::import_sections`]).
    name: Option<u64>,
    /// The descriptor field holding the lookup table's RVA, and the one
    /// read instead if it is 0.
    lookup: (u64, Option<u64>),
    what: &'static str,
}

const IMPORT_TABLES: [ImportTables; 2] = [
    ImportTables {
        directory: IMAGE_DIRECTORY_ENTRY_IMPORT,
        descriptor: ("PE import descriptor", import_descriptor::SIZE),
        name: Some(import_descriptor::NAME_RVA),
        lookup: (import_descriptor::IMPORT_LOOKUP_TABLE_RVA, Some(import_descriptor::IMPORT_ADDRESS_TABLE_RVA)),
        what: "PE import lookup table",
    },
    ImportTables {
        directory: IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT,
        descriptor: ("PE delay-load descriptor", delay::SIZE),
        name: None,
        lookup: (delay::NAME_TABLE, None),
        what: "PE delay-load name table",
    },
];

/// Whether the PE image `image` imports `name` by name (see the module
/// docs). A directory that cannot be read does not hide an import the
/// other one holds: its error is returned only if neither holds `name`.
pub(crate) fn imports_symbol(image: Data<'_>, name: &[u8]) -> Result<bool, Error> {
    let image = image.with_endian(Endian::Little);
    let header = header::parse(image)?;
    let mut failed = None;
    for tables in &IMPORT_TABLES {
        match imports_in(image, &header, tables, name) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(false), Err)
}

/// Whether the directory `tables` of `image` imports `name` by name.
fn imports_in(image: Data<'_>, header: &Header, tables: &ImportTables, name: &[u8]) -> Result<bool, Error> {
    let wide = header.bits == 64;
    let (width, by_ordinal) =
        if wide { (8, import_lookup::ORDINAL_FLAG_64) } else { (4, import_lookup::ORDINAL_FLAG_32) };
    let Some(directory) = header.directory(image, tables.directory)? else { return Ok(false) };
    // Tables in the directory's section, names in the first name's (see the module docs).
    let [section, names] = header.import_sections(image, "PE import directory", &directory, tables.name)?;
    let descriptors = section.at("PE import directory", directory.rva, directory.at)?;
    // Lookup tables may overlap (descriptors may share one): all of them
    // together may read at most as many entries as the section holds.
    let mut budget = section.bytes.len().checked_div(width).unwrap_or(0);
    // Each descriptor and each lookup entry lies in the section's bytes:
    // `entry` fails past the end, so both loops are bounded by them.
    for index in 0u64.. {
        let (what, size) = tables.descriptor;
        let descriptor = descriptors.entry(what, index, size)?;
        if descriptor.bytes.iter().all(|&b| b == 0) {
            break;
        }
        let (mut field, instead) = tables.lookup;
        let mut rva = descriptor.u32(field)?;
        if let (0, Some(other)) = (rva, instead) {
            (field, rva) = (other, descriptor.u32(other)?);
        }
        if rva == 0 {
            continue;
        }
        let lookups = section.at(tables.what, rva, descriptor.base.saturating_add(field))?;
        for index in 0u64.. {
            let Some(left) = budget.checked_sub(1) else {
                let expected = "lookup tables that fit in their section together (these overlap)";
                return Err(Error::invalid(tables.what, descriptor.base.saturating_add(field), rva, expected));
            };
            budget = left;
            let entry = lookups.entry(tables.what, index, width)?;
            let value = entry.word(0, wide)?;
            if value == 0 {
                break;
            }
            if value & by_ordinal != 0 {
                continue;
            }
            // Fits: the mask keeps 31 bits.
            let hint_name = u32::try_from(value & import_lookup::NAME_RVA).unwrap_or(u32::MAX);
            if names.at("PE hint/name entry", hint_name, entry.base)?.cstr_is(import_lookup::NAME, name) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The export `name` of a PE image.
fn export(image: Data<'_>, header: &Header, name: &[u8]) -> Result<Option<Symbol>, Error> {
    let Some(directory) = header.directory(image, IMAGE_DIRECTORY_ENTRY_EXPORT)? else { return Ok(None) };
    let DirectorySection { bytes: section, start: section_rva, .. } =
        header.directory_section(image, "PE export directory", &directory)?;
    let at = u64::from(directory.rva.saturating_sub(section_rva)); // the section holds the directory
    let fields = section.fixed::<{ ed::LEN }>("PE export directory", at)?;
    // A table the directory points at: `count` entries of `size` bytes, checked to lie in its section.
    let table = |what, field: u64, size, count: u32| {
        let field_at = section.base.saturating_add(at).saturating_add(field);
        header.at_rva(image, what, fields.u32(field), field_at)?.table(what, 0, size, u64::from(count))
    };
    let count = fields.u32(ed::NUMBER_OF_NAME_POINTERS);
    let names = table("PE export name pointer table", ed::NAME_POINTER_RVA, ed::ADDRESS_SIZE, count)?;
    let ordinals = table("PE export ordinal table", ed::ORDINAL_TABLE_RVA, ed::ORDINAL_SIZE, count)?;
    let functions = fields.u32(ed::ADDRESS_TABLE_ENTRIES);
    let addresses = table("PE export address table", ed::EXPORT_ADDRESS_TABLE_RVA, ed::ADDRESS_SIZE, functions)?;
    let Some(index) = position(names, (section, section_rva), name)? else { return Ok(None) };
    // An unbiased index into the export address table.
    let ordinal_at = index.saturating_mul(ed::ORDINAL_SIZE);
    let ordinal = ordinals.u16(ordinal_at)?;
    if u32::from(ordinal) >= functions {
        let at = ordinals.base.saturating_add(ordinal_at);
        return Err(Error::invalid("PE export ordinal", at, ordinal, "an index into the export address table"));
    }
    let rva = addresses.u32(u64::from(ordinal).saturating_mul(ed::ADDRESS_SIZE))?;
    if directory.contains(rva) {
        return Ok(None); // a forwarder
    }
    let address = header.image_base(image)?.saturating_add(u64::from(rva)); // below 2^64: a u64 and a u32
                                                                            // The section holds the RVA: `rva - start` is inside it.
    let range = header.section_at(image, rva)?.map(|(section, start)| tail(section, rva.saturating_sub(start).into()));
    Ok(Some(Symbol { address, range }))
}

/// The index of the first name pointer in `names` whose name is `name`. The
/// names must lie in `section` (the export directory's, starting at RVA `start`).
fn position(names: Data<'_>, (section, start): (Data<'_>, u32), name: &[u8]) -> Result<Option<u64>, Error> {
    let size = ed::ADDRESS_SIZE as usize;
    for (pointer, index) in names.bytes.chunks_exact(size).zip(0u64..) {
        let rva = u32::from_le_bytes(pointer.first_chunk().copied().unwrap_or_default());
        let Some(at) = rva.checked_sub(start).map(u64::from).filter(|&at| at < section.len()) else {
            let at = names.base.saturating_add(index.saturating_mul(ed::ADDRESS_SIZE));
            return Err(Error::invalid("PE export name pointer", at, rva, "an RVA in the export directory's section"));
        };
        if section.cstr_is(at, name) {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// The bytes of `section` from `at` (inside it) to its end, as a range.
fn tail(section: Data<'_>, at: u64) -> FileRange {
    FileRange { offset: section.base.saturating_add(at), size: section.len().saturating_sub(at) }
}

/// The external symbol `name` defined in a section of a COFF object's symbol table.
fn defined(image: Data<'_>, header: &Header, name: &[u8]) -> Result<Option<Symbol>, Error> {
    let fh = image.fixed::<{ file_header::LEN }>("COFF file header", header.file_header_at)?;
    let (at, count) = (fh.u32(file_header::POINTER_TO_SYMBOL_TABLE), fh.u32(file_header::NUMBER_OF_SYMBOLS));
    if at == 0 {
        return Ok(None);
    }
    // The count is checked against the bytes before the loop; the string
    // table after it, if it is there, holds the long names.
    let records = image.table("COFF symbol table", at.into(), symbol::SIZE, count.into())?;
    let strings_at = records.base.saturating_sub(image.base).saturating_add(records.len());
    let strings =
        image.u32(strings_at).and_then(|size| image.table("COFF string table", strings_at, size.into(), 1)).ok();
    let short = pad::<{ symbol::NAME_LEN }>(name);
    let mut rest = records.bytes;
    while let Some((record, tail)) = rest.split_first_chunk::<{ symbol::LEN }>() {
        let aux = usize::from(record.get(symbol::NUMBER_OF_AUX_SYMBOLS as usize).copied().unwrap_or(0));
        rest = tail.get(aux.saturating_mul(symbol::LEN)..).unwrap_or_default();
        let s = Fixed { bytes: record, endian: Endian::Little };
        let class = record.get(symbol::STORAGE_CLASS as usize).copied();
        let section = s.u16(symbol::SECTION_NUMBER);
        if class != Some(IMAGE_SYM_CLASS_EXTERNAL) || section == 0 || section > header.number_of_sections {
            continue;
        }
        let matches = match record.first_chunk::<4>() {
            Some([0, 0, 0, 0]) => strings.is_some_and(|t| t.cstr_is(s.u32(symbol::NAME_OFFSET).into(), name)),
            _ => short.is_some_and(|short| record.first_chunk() == Some(&short)),
        };
        if matches {
            return in_section(image, header, section, s.u32(symbol::VALUE)).map(Some);
        }
    }
    Ok(None)
}

/// A symbol at offset `value` of section `number` (1-based) of an object.
fn in_section(image: Data<'_>, header: &Header, number: u16, value: u32) -> Result<Symbol, Error> {
    let table = header.section_table(image)?;
    let sh = table.fixed::<{ section_header::LEN }>(
        "COFF section header",
        u64::from(number.saturating_sub(1)).saturating_mul(section_header::SIZE),
    )?;
    let range = super::data_range(&sh, header.format);
    let value = u64::from(value);
    let range = if value < range.size {
        let bytes = image.table("COFF section data", range.offset, range.size, 1)?;
        Some(tail(bytes, value))
    } else {
        None
    };
    Ok(Symbol { address: value, range })
}

#[cfg(test)]
#[path = "symbols/tests.rs"]
mod tests;
