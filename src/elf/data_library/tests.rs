//! The data library against this crate's readers, `object`, `goblin`,
//! readelf and llvm-readobj on every ELF target `emit` knows; linked against
//! by code caches (GNU ld through gcc, lld through zig) and loaded by glibc.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]

use std::path::Path;

use super::*;
use crate::elf::dependencies::tests::{same_as_peers, walk};
use crate::elf::symbols::find_symbol;
use crate::elf::testutil::{elf_header, have_zig, require, run, scratch};
use crate::read::Data;
use crate::record::DEFAULT_SYMBOL;
use crate::DependencyKind;

/// Every ELF triple of tests/emit_link.rs, with the zig target that links
/// C code for it (`None`: zig has none).
pub(crate) const TARGETS: &[(&str, Option<&str>)] = &[
    ("x86_64-unknown-linux-gnu", Some("x86_64-linux-gnu")),
    ("aarch64-unknown-linux-gnu", Some("aarch64-linux-gnu")),
    ("i686-unknown-linux-gnu", Some("x86-linux-gnu")),
    ("armv7-unknown-linux-gnueabihf", Some("arm-linux-gnueabihf")),
    ("arm-unknown-linux-gnueabi", Some("arm-linux-gnueabi")),
    ("armeb-unknown-linux-gnueabi", Some("armeb-linux-gnueabi")),
    ("riscv64gc-unknown-linux-gnu", Some("riscv64-linux-gnu")),
    ("riscv32imac-unknown-none-elf", None),
    ("powerpc64le-unknown-linux-gnu", Some("powerpc64le-linux-gnu")),
    ("powerpc64-unknown-linux-gnu", Some("powerpc64-linux-gnu")),
    ("powerpc64-unknown-linux-musl", Some("powerpc64-linux-musl")),
    ("powerpc-unknown-linux-gnu", Some("powerpc-linux-gnu")),
    ("s390x-unknown-linux-gnu", Some("s390x-linux-gnu")),
    ("mips-unknown-linux-gnu", Some("mips-linux-gnueabi")),
    ("mipsel-unknown-linux-musl", Some("mipsel-linux-musleabi")),
    ("mips64-unknown-linux-gnuabi64", Some("mips64-linux-gnuabi64")),
    ("mips64el-unknown-linux-gnuabi64", Some("mips64el-linux-gnuabi64")),
    ("mips64-unknown-linux-gnuabin32", Some("mips64-linux-gnuabin32")),
    ("mipsisa32r6el-unknown-linux-gnu", None),
    ("sparc64-unknown-linux-gnu", Some("sparc64-linux-gnu")),
    ("loongarch64-unknown-linux-gnu", Some("loongarch64-linux-gnu")),
    ("x86_64-unknown-linux-gnux32", Some("x86_64-linux-gnux32")),
    ("aarch64-linux-android", Some("aarch64-linux-android")),
    ("x86_64-unknown-freebsd", Some("x86_64-freebsd")),
    ("sparcv9-sun-solaris", None),
    ("x86_64-pc-solaris2.11", None),
    ("x86_64-unknown-netbsd", Some("x86_64-netbsd")),
];

/// A payload of `len` bytes that is not all one value.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn spec<'a>(name: &'a str, data: &[u8]) -> DataLibrarySpec<'a> {
    DataLibrarySpec {
        name,
        symbol: DEFAULT_SYMBOL,
        payload_size: data.len() as u64,
        payload_crc32c: crate::crc::crc32c(data),
    }
}

/// The data library `triple` gets for `data`, named `name`.
pub(crate) fn library(triple: &str, name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let layout = write(&elf_header(triple), &spec(name, data), &mut &data[..], &mut out).unwrap();
    assert_eq!(layout.size, out.len() as u64);
    out
}

/// What every data library must be, read by this crate: the layout it
/// reported, the payload and its frame, the symbol and its record, its name.
fn check_with_pkgimg(triple: &str, file: &[u8], layout: &DataLibraryLayout, data: &[u8]) {
    assert_eq!(layout.size, file.len() as u64, "{triple}");
    assert_eq!(layout.payload, FileRange { offset: 4096, size: data.len() as u64 }, "{triple}: payload on a page");
    assert_eq!(layout.container, FileRange { offset: 4096 - 64, size: 64 + data.len() as u64 }, "{triple}");
    assert!(layout.size - layout.payload.size <= 8192, "{triple}: {} bytes besides the payload", layout.size);
    assert_eq!((layout.record.offset % 8, layout.record.size), (0, 32), "{triple}");

    let found = crate::find_ji_payload(file).unwrap_or_else(|e| panic!("{triple}: {e}"));
    assert_eq!((found.offset(), found.data()), (layout.payload.offset, data), "{triple}");
    assert_eq!(found.container(), layout.container, "{triple}");
    found.verify().unwrap_or_else(|e| panic!("{triple}: {e}"));

    let image = Data::new(file, 0, "the file");
    let symbol = find_symbol(image, DEFAULT_SYMBOL.as_bytes()).unwrap().unwrap();
    assert_eq!(symbol.range, Some(layout.record), "{triple}");
    assert_eq!(symbol.address, layout.record.offset, "{triple}: the read-only segment maps offset = address");
    let record: &[u8; 32] = file[layout.record.offset as usize..][..32].try_into().unwrap();
    let endian = found.image().endian;
    let decoded = DataRecord::decode(record, endian).unwrap();
    assert_eq!(decoded, DataRecord::new(data.len() as u64, crate::crc::crc32c(data)), "{triple}");
    assert_eq!(find_symbol(image, b"jl_pkgimg_dat").unwrap(), None, "{triple}");
    assert_eq!(walk(file).unwrap(), vec![(DependencyKind::SoName, b"libfoo_data.so".to_vec())], "{triple}");
}

/// The same file as `object` and `goblin` read it.
fn check_with_peers(triple: &str, file: &[u8], layout: &DataLibraryLayout) {
    use object::{Object, ObjectSection, ObjectSymbol};
    let parsed = object::File::parse(file).unwrap_or_else(|e| panic!("{triple}: object: {e}"));
    assert_eq!(parsed.kind(), object::ObjectKind::Dynamic, "{triple}");
    let symbols: Vec<_> = parsed.dynamic_symbols().filter(|s| s.name() == Ok(DEFAULT_SYMBOL)).collect();
    assert_eq!(symbols.len(), 1, "{triple}: object finds the symbol");
    assert_eq!((symbols[0].address(), symbols[0].size()), (layout.record.offset, 32), "{triple}");
    assert!(symbols[0].is_global() && symbols[0].is_definition(), "{triple}");
    let jlji = parsed.section_by_name(".jlji").unwrap();
    assert_eq!(jlji.file_range(), Some((layout.container.offset, layout.container.size)), "{triple}");
    assert_eq!(jlji.address(), 0, "{triple}: the container is not allocated");
    assert_eq!(same_as_peers(Path::new(triple), file), 2, "{triple}: object and goblin read the dependencies");

    let elf = goblin::elf::Elf::parse(file).unwrap_or_else(|e| panic!("{triple}: goblin: {e}"));
    assert_eq!(elf.header.e_type, goblin::elf::header::ET_DYN, "{triple}");
    assert_eq!(elf.soname, Some("libfoo_data.so"), "{triple}");
    // goblin reads .dynsym through the dynamic table and the hash table.
    let named: Vec<_> =
        elf.dynsyms.iter().filter(|s| elf.dynstrtab.get_at(s.st_name) == Some(DEFAULT_SYMBOL)).collect();
    assert_eq!(elf.dynsyms.len(), 2, "{triple}: goblin counts the symbols through the hash table");
    assert_eq!(named.len(), 1, "{triple}");
    assert_eq!((named[0].st_value, named[0].st_size, named[0].st_shndx), (layout.record.offset, 32, 4), "{triple}");
    assert!(
        elf.program_headers.iter().all(|ph| ph.p_type != goblin::elf::program_header::PT_LOAD
            || ph.p_offset + ph.p_filesz <= layout.container.offset),
        "{triple}: no segment maps the container"
    );
}

#[test]
fn every_target_reads_back_in_pkgimg_object_and_goblin() {
    let data = payload(100 * 1024 + 3);
    for (triple, _) in TARGETS {
        let header = elf_header(triple);
        let mut file = Vec::new();
        let layout = write(&header, &spec("libfoo_data.so", &data), &mut &data[..], &mut file).unwrap();
        check_with_pkgimg(triple, &file, &layout, &data);
        check_with_peers(triple, &file, &layout);
        let mut again = Vec::new();
        write(&header, &spec("libfoo_data.so", &data), &mut &data[..], &mut again).unwrap();
        assert!(again == file, "{triple}: not deterministic");
    }
}

#[test]
fn mips_libraries_have_the_got_and_tags_the_loader_reads() {
    use crate::elf::header::Header;
    use crate::elf::layout::{DT_MIPS_GOTSYM, DT_MIPS_LOCAL_GOTNO, DT_MIPS_SYMTABNO, DT_PLTGOT};
    for (triple, bits) in
        [("mips64el-unknown-linux-gnuabi64", 64), ("mips-unknown-linux-gnu", 32), ("x86_64-linux-gnu", 0)]
    {
        let file = library(triple, "libfoo_data.so", b"data");
        let header = Header::parse(Data::new(&file, 0, "the file")).unwrap();
        let dynamic = header.dynamic().unwrap().unwrap();
        let value = |tag| dynamic.find(tag).map(|e| e.value);
        if bits == 0 {
            assert_eq!(value(DT_PLTGOT), None, "{triple}: only MIPS has a GOT");
            continue;
        }
        assert_eq!(
            (value(DT_MIPS_LOCAL_GOTNO), value(DT_MIPS_GOTSYM), value(DT_MIPS_SYMTABNO)),
            (Some(2), Some(2), Some(2))
        );
        // DT_PLTGOT is the .got section's address, in the writable segment.
        let got = object::File::parse(&*file).unwrap();
        use object::{Object, ObjectSection};
        let section = got.section_by_name(".got").unwrap();
        assert_eq!(value(DT_PLTGOT), Some(section.address()), "{triple}");
        let words = section.data().unwrap();
        let mark = if bits == 64 { 0x8000_0000_0000_0000 } else { 0x8000_0000 };
        let entry1 = match (bits, header.image.endian) {
            (64, Endian::Little) => u64::from_le_bytes(words[8..16].try_into().unwrap()),
            (_, Endian::Big) => u64::from(u32::from_be_bytes(words[4..8].try_into().unwrap())),
            _ => unreachable!(),
        };
        assert_eq!(entry1, mark, "{triple}: GOT[1] marks a GNU object");
        assert!(words[..bits / 8].iter().all(|&b| b == 0), "{triple}: GOT[0] is the loader's");
    }
}

#[test]
fn long_names_move_the_payload_to_a_later_page() {
    let data = payload(10);
    let name = "x".repeat(5000);
    let mut file = Vec::new();
    let layout = write(&elf_header("x86_64-linux-gnu"), &spec(&name, &data), &mut &data[..], &mut file).unwrap();
    // About 6 KiB of headers and the frame: the payload on the second page.
    assert_eq!(layout.payload.offset, 2 * 4096);
    assert_eq!(crate::find_ji_payload(&file).unwrap().data(), &data[..]);
    let names = walk(&file).unwrap();
    assert_eq!(names, vec![(DependencyKind::SoName, name.into_bytes())]);
}

#[test]
fn the_payload_is_streamed_and_checked() {
    let data = payload(70_000);
    let header = elf_header("aarch64-linux-gnu");
    // A reader that gives a few bytes at a time.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut trickled = Vec::new();
    write(&header, &spec("libd.so", &data), &mut Trickle(&data), &mut trickled).unwrap();
    assert!(trickled == library("aarch64-linux-gnu", "libd.so", &data));
    let err = write(&header, &spec("libd.so", &data), &mut &data[..100], &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EmitError::ShortPayload { expected: 70_000, got: 100 }), "{err}");
    let wrong = DataLibrarySpec { payload_crc32c: 1, ..spec("libd.so", &data) };
    let err = write(&header, &wrong, &mut &data[..], &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EmitError::ChecksumMismatch { expected: 1, .. }), "{err}");
    for bad in ["", "lib\0.so"] {
        let err = write(&header, &spec(bad, &data), &mut &data[..], &mut Vec::new()).unwrap_err();
        assert!(matches!(err, EmitError::BadRequest { .. }), "{err}");
    }
    // A 32-bit file cannot hold a payload past 4 GiB: the size field says so.
    let huge = DataLibrarySpec { payload_size: 1 << 32, ..spec("libd.so", &data) };
    let err = write(&elf_header("x86-linux-gnu"), &huge, &mut &data[..], &mut Vec::new()).unwrap_err();
    assert!(matches!(err, EmitError::TooLarge { .. }), "{err}");
}

/// `llvm-readobj` and `readelf` read `path` without a warning.
fn no_warnings(path: &Path) {
    let path = path.to_str().unwrap();
    for (tool, args) in [
        ("llvm-readobj", &["--dynamic-table", "--dyn-syms", "--program-headers", "--sections"][..]),
        ("readelf", &["-a", "-W"][..]),
    ] {
        let out = run(tool, &[args, &[path]].concat());
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(stderr.trim().is_empty(), "{tool} {path}: {stderr}");
        assert!(!stdout.to_lowercase().contains("warning"), "{tool} {path}: {stdout}");
    }
}

/// The code cache's C source: a function returning a field of the record.
const CACHE: &str = r#"#include <stdint.h>
struct pkgimg_data_record {
    unsigned char magic[8]; uint16_t version; uint16_t record_size; uint32_t flags;
    uint64_t payload_size; uint32_t payload_crc32c; uint32_t reserved;
};
extern const struct pkgimg_data_record jl_pkgimg_data;
uint64_t cache_payload_size(void) { return jl_pkgimg_data.payload_size; }
"#;

mod tools;
