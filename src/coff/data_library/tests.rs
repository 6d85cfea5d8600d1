#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects)]

use std::process::Command;

use object::read::pe::{PeFile32, PeFile64};
use object::{Object, ObjectSection};

use super::*;
use crate::coff::layout::{IMAGE_FILE_MACHINE_ARM64, IMAGE_FILE_MACHINE_ARMNT};
use crate::coff::testing::{self, clean, ok, require};
use crate::read::Data;

/// A deterministic payload of `len` bytes.
pub(crate) fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The data library for `machine` carrying `payload`, and its layout.
pub(crate) fn library(machine: u16, name: &str, symbol: &str, payload: &[u8]) -> (Vec<u8>, DataLibraryLayout) {
    let spec = DataLibrarySpec {
        name,
        symbol,
        payload_size: payload.len() as u64,
        payload_crc32c: crate::crc::crc32c(payload),
    };
    let mut out = Vec::new();
    let layout = write(&CoffHeader { machine }, &spec, &mut &payload[..], &mut out).unwrap();
    assert_eq!(layout.size, out.len() as u64);
    (out, layout)
}

/// The PE checksum as Microsoft's imagehlp computes it, word by word, with
/// the CheckSum field (at `at`) read as zero.
pub(crate) fn imagehlp_checksum(bytes: &[u8], at: usize) -> u32 {
    let byte = |i: usize| if (at..at + 4).contains(&i) { 0 } else { *bytes.get(i).unwrap_or(&0) };
    let mut sum: u32 = 0;
    for i in (0..bytes.len()).step_by(2) {
        sum += u32::from(byte(i)) | u32::from(byte(i + 1)) << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum.wrapping_add(bytes.len() as u32)
}

/// The CheckSum field's offset: e_lfanew + 4 + 20 + 64.
pub(crate) fn checksum_at(bytes: &[u8]) -> usize {
    u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize + 24 + 64
}

/// What every data library must be, read by this crate and the `object` and
/// goblin crates: the payload, the record behind the export, the checksum.
pub(crate) fn check(bytes: &[u8], layout: &DataLibraryLayout, payload: &[u8], symbol: &str) {
    let found = crate::find_ji_payload(bytes).unwrap();
    assert_eq!((found.offset(), found.data()), (layout.payload.offset, payload));
    found.verify().unwrap();
    assert_eq!(found.container(), layout.container);
    assert_eq!(layout.payload.offset % 4096, 0);
    let at = checksum_at(bytes);
    let checksum = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(checksum, imagehlp_checksum(bytes, at));
    let mut zeroed = tempfile::tempfile().unwrap();
    let mut copy = bytes.to_vec();
    copy[at..at + 4].fill(0);
    std::io::Write::write_all(&mut zeroed, &copy).unwrap();
    assert_eq!(crate::coff::inject::checksum(&zeroed).unwrap(), checksum);

    // The export: this crate's lookup, object's, goblin's.
    let symbol_found = crate::coff::symbols::find_symbol(Data::new(bytes, 0, "the file"), symbol.as_bytes());
    let symbol_found = symbol_found.unwrap().unwrap();
    let range = symbol_found.range.unwrap();
    assert_eq!(range.offset, layout.record.offset);
    let record: &[u8; 32] = bytes[range.offset as usize..][..32].try_into().unwrap();
    let record = DataRecord::decode(record, Endian::Little).unwrap();
    assert_eq!(record, DataRecord::new(payload.len() as u64, crate::crc::crc32c(payload)));
    let file = object::File::parse(bytes).unwrap();
    let exports: Vec<_> = file.exports().unwrap().map(Result::unwrap).collect();
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].name(), object::NameOrOrdinal::Name(symbol.as_bytes()));
    assert_eq!(exports[0].target(), object::ExportTarget::Address { address: symbol_found.address });
    let jlji = file.section_by_name(".jlji").unwrap();
    assert_eq!(jlji.file_range(), Some((layout.container.offset, 64)));
    let pe = goblin::pe::PE::parse(bytes).unwrap();
    assert_eq!(pe.exports.len(), 1);
    assert_eq!(pe.exports[0].name, Some(symbol));
    assert_eq!(pe.exports[0].offset, Some(layout.record.offset as usize));
    assert_eq!(pe.image_base + pe.exports[0].rva as u64, symbol_found.address);
    assert!(pe.is_lib && pe.libraries.is_empty() && pe.entry == 0);
    assert_eq!(pe.header.optional_header.unwrap().windows_fields.check_sum, checksum);
}

#[test]
fn x86_64_layout_is_the_documented_one() {
    let data = payload(100 * 1024, 1);
    let (bytes, layout) = library(IMAGE_FILE_MACHINE_AMD64, "foo_data.dll", record::DEFAULT_SYMBOL, &data);
    // The module docs' diagram.
    assert_eq!(layout.record, FileRange { offset: 0x200, size: 32 });
    assert_eq!(layout.container, FileRange { offset: 0xe00, size: 64 });
    assert_eq!(layout.payload, FileRange { offset: 0x1000, size: 100 * 1024 });
    assert_eq!(layout.size, 0x1000 + 100 * 1024 + 2);
    assert!(layout.size - layout.payload.size <= 8192);
    check(&bytes, &layout, &data, record::DEFAULT_SYMBOL);
    let pe = PeFile64::parse(&*bytes).unwrap();
    let export = pe.export_table().unwrap().unwrap();
    let name = export.directory().name.get(object::LittleEndian);
    assert_eq!(export.name_from_pointer(name).unwrap(), b"foo_data.dll");
    assert_eq!(pe.relative_address_base(), 0x1_8000_0000);
    let sections: Vec<_> = pe.sections().map(|s| (s.name().unwrap().to_owned(), s.address())).collect();
    assert_eq!(sections, [(".rdata".to_owned(), 0x1_8000_1000), (".jlji".to_owned(), 0x1_8000_2000)]);
    // The same bytes every time.
    assert_eq!(library(IMAGE_FILE_MACHINE_AMD64, "foo_data.dll", record::DEFAULT_SYMBOL, &data).0, bytes);
}

#[test]
fn every_machine_and_payload_length() {
    for (machine, bits) in
        [(IMAGE_FILE_MACHINE_AMD64, 64), (IMAGE_FILE_MACHINE_I386, 32), (IMAGE_FILE_MACHINE_ARM64, 64)]
    {
        for len in [0, 1, 2, 63, 4095, 4097, 100_001] {
            let data = payload(len, len as u64);
            let (bytes, layout) = library(machine, "data.dll", "pkgimg_data", &data);
            check(&bytes, &layout, &data, "pkgimg_data");
            // The payload, a zero byte if its length is odd, and the word.
            assert_eq!(layout.size, 0x1000 + len as u64 + (len as u64 % 2) + 2, "{machine:#x} {len}");
            let image = crate::find_ji_payload(&bytes).unwrap().image();
            assert_eq!((image.bits, image.format), (bits, Format::Pe));
            if bits == 32 {
                PeFile32::parse(&*bytes).unwrap();
            }
        }
    }
}

#[test]
fn long_names_move_the_jlji_section() {
    let long = "d".repeat(5000) + ".dll";
    let data = payload(10, 3);
    let (bytes, layout) = library(IMAGE_FILE_MACHINE_AMD64, &long, "s", &data);
    check(&bytes, &layout, &data, "s");
    // .rdata: 82 bytes of tables, then 5005 + 2 of names, in 0x1400 raw bytes.
    assert_eq!(layout.container.offset, 0x2000 - 0x200);
    assert_eq!(layout.payload.offset, 0x2000);
    assert_eq!(object::File::parse(&*bytes).unwrap().section_by_name(".jlji").unwrap().address(), 0x1_8000_3000);
}

#[test]
fn refusals() {
    let spec = DataLibrarySpec { name: "a.dll", symbol: "s", payload_size: 10, payload_crc32c: 0 };
    let amd64 = CoffHeader { machine: IMAGE_FILE_MACHINE_AMD64 };
    let error = write(&amd64, &spec, &mut &[0u8; 4][..], &mut Vec::new()).unwrap_err();
    assert!(matches!(error, EmitError::ShortPayload { expected: 10, got: 4 }), "{error}");
    let crc = crate::crc::crc32c(&[0; 10]);
    let error = write(&amd64, &spec, &mut &[0u8; 10][..], &mut Vec::new()).unwrap_err();
    assert!(matches!(error, EmitError::ChecksumMismatch { expected: 0, actual } if actual == crc), "{error}");
    let error = write(&CoffHeader { machine: IMAGE_FILE_MACHINE_ARMNT }, &spec, &mut &[0u8; 10][..], &mut Vec::new());
    assert_eq!(
        error.unwrap_err().to_string(),
        "no object writer for target \"PE machine 0x01c4\": the PE data-library writer knows x86_64, x86 and aarch64"
    );
    for (name, symbol) in [("", "s"), ("a\0.dll", "s"), ("a.dll", "")] {
        let spec = DataLibrarySpec { name, symbol, ..spec };
        let error = write(&amd64, &spec, &mut &[0u8; 10][..], &mut Vec::new()).unwrap_err();
        assert!(matches!(&error, EmitError::BadRequest { .. }), "{error}");
    }
}

/// llvm-readobj reads every machine's library without a warning, and lief
/// computes the same CheckSum.
#[test]
fn llvm_readobj_and_lief_accept_it() {
    if !require(&["llvm-readobj", "--version"]) || !require(&["python3", "-c", "import lief"]) {
        return;
    }
    let dir = testing::tempdir();
    let data = payload(100 * 1024, 7);
    for (machine, arch) in
        [(IMAGE_FILE_MACHINE_AMD64, "x86_64"), (IMAGE_FILE_MACHINE_I386, "x86"), (IMAGE_FILE_MACHINE_ARM64, "aarch64")]
    {
        let (bytes, layout) = library(machine, "foo_data.dll", record::DEFAULT_SYMBOL, &data);
        let path = dir.path().join(format!("foo_data-{arch}.dll"));
        std::fs::write(&path, &bytes).unwrap();
        let text = clean("llvm-readobj", &["--file-headers", "--sections", "--coff-exports", "--coff-imports"], &path);
        assert!(text.contains("Name: jl_pkgimg_data"), "{text}");
        assert!(text.contains("IMAGE_FILE_DLL"), "{text}");
        assert!(text.contains("Name: .jlji"), "{text}");
        let at = checksum_at(&bytes);
        let checksum = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let script =
            "import lief, sys\nb = lief.PE.parse(sys.argv[1])\nprint(b.optional_header.checksum, b.compute_checksum())";
        let out = ok(Command::new("python3").args(["-c", script]).arg(&path));
        assert_eq!(out.trim(), format!("{checksum} {checksum}"), "{arch}");
        assert_eq!(layout.record.offset, 0x200);
    }
}
