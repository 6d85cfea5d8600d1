//! The lookup against `object` (section headers, `.dynsym`, segments) and
//! `goblin` (the dynamic table and its hash table) on the corpus, this
//! machine's libraries and libraries built here; the same lookups again with
//! the section headers removed (the dynamic-table route, and the symbol
//! count from `DT_HASH` or `DT_GNU_HASH`); and broken files.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]

use std::path::Path;

use object::read::elf::{ElfFile, FileHeader, ProgramHeader as _, Sym as _};
use object::{elf, Endianness};

use super::super::layout::{ELF32, ELF64, ELFCLASS64, ELFDATA2MSB};
use super::super::testutil::{corpus_elf, have_zig, require, run, scratch, system_libraries};
use super::*;

fn lookup(bytes: &[u8], name: &[u8]) -> Result<Option<Symbol>, Error> {
    find_symbol(Data::new(bytes, 0, "the file"), name)
}

/// The exported `.dynsym` symbols as `object` reads them, first of each
/// name, with the symbol this crate must return for it.
fn by_object<Elf: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Option<Vec<(Vec<u8>, Symbol)>> {
    let file = ElfFile::<Elf>::parse(bytes).ok()?;
    let endian = file.endian();
    let table = file.elf_dynamic_symbol_table();
    let loads: Vec<_> = file.elf_program_headers().iter().filter(|ph| ph.p_type(endian) == elf::PT_LOAD).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for sym in table.iter() {
        let bind = sym.st_bind();
        let exported =
            matches!(bind, elf::STB_GLOBAL | elf::STB_WEAK | elf::STB_GNU_UNIQUE) && !sym.is_undefined(endian);
        let name = table.symbol_name(endian, sym).ok()?;
        if !exported || name.is_empty() || !seen.insert(name) {
            continue;
        }
        let value: u64 = sym.st_value(endian).into();
        let size: u64 = sym.st_size(endian).into();
        let not_an_address = sym.st_type() == elf::STT_TLS || sym.st_shndx(endian) == elf::SHN_ABS;
        let load = loads.iter().find(|ph| {
            let (vaddr, memsz): (u64, u64) = (ph.p_vaddr(endian).into(), ph.p_memsz(endian).into());
            value >= vaddr && value - vaddr < memsz
        });
        let range = load.filter(|_| !not_an_address).and_then(|ph| {
            let (offset, filesz) = ph.file_range(endian);
            let delta = value - Into::<u64>::into(ph.p_vaddr(endian));
            (delta < filesz).then(|| FileRange { offset: offset + delta, size: size.min(filesz - delta) })
        });
        out.push((name.to_vec(), Symbol { address: value, range }));
    }
    Some(out)
}

fn by_object_any(bytes: &[u8]) -> Option<Vec<(Vec<u8>, Symbol)>> {
    match bytes.get(4) {
        Some(&ELFCLASS64) => by_object::<elf::FileHeader64<Endianness>>(bytes),
        _ => by_object::<elf::FileHeader32<Endianness>>(bytes),
    }
}

/// `bytes` without section headers (`e_shoff`, `e_shnum`, `e_shstrndx` 0):
/// the lookup must take the dynamic table's route.
fn without_sections(bytes: &[u8]) -> Vec<u8> {
    let mut stripped = bytes.to_vec();
    let f = if bytes[4] == ELFCLASS64 { &ELF64.file } else { &ELF32.file };
    let width = if bytes[4] == ELFCLASS64 { 8 } else { 4 };
    stripped[f.e_shoff as usize..][..width].fill(0);
    stripped[f.e_shnum as usize..][..2].fill(0);
    stripped[f.e_shstrndx as usize..][..2].fill(0);
    stripped
}

/// Compares the lookup of up to `limit` names (spread over the table) with
/// `object` and `goblin`, with and without section headers. Returns how
/// many names were compared.
fn same_as_peers(path: &Path, bytes: &[u8], limit: usize) -> usize {
    let what = path.display();
    let Some(expected) = by_object_any(bytes) else { return 0 };
    let goblin = goblin::elf::Elf::parse(bytes).ok();
    let stripped = without_sections(bytes);
    let step = (expected.len() / limit.max(1)).max(1);
    let mut compared = 0;
    for (name, symbol) in expected.iter().step_by(step) {
        let shown = String::from_utf8_lossy(name);
        assert_eq!(lookup(bytes, name).unwrap(), Some(*symbol), "{what}: {shown}");
        // Without section headers, through DT_SYMTAB and the hash table's count.
        assert_eq!(lookup(&stripped, name).unwrap(), Some(*symbol), "{what}: {shown} (dynamic table)");
        if let Some(elf) = &goblin {
            // The first exported one: a library may also import a name it defines (libattr's fgetxattr).
            let exported = |s: &goblin::elf::Sym| s.st_shndx != 0 && matches!(s.st_bind(), 1 | 2 | 10);
            let named = |s: &goblin::elf::Sym| elf.dynstrtab.get_at(s.st_name).map(str::as_bytes) == Some(name);
            let theirs = elf.dynsyms.iter().find(|s| exported(s) && named(s));
            assert_eq!(theirs.map(|s| s.st_value), Some(symbol.address), "{what}: {shown} (goblin)");
        }
        compared += 1;
    }
    compared
}

#[test]
fn matches_object_and_goblin_on_the_corpus() {
    let mut compared = 0;
    for (path, bytes) in corpus_elf() {
        compared += same_as_peers(&path, &bytes, usize::MAX);
        // Objects have no .dynsym and no dynamic table.
        if path.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/obj")) {
            assert_eq!(lookup(&bytes, b"main").unwrap(), None);
        }
    }
    assert!(compared >= 20, "only {compared} symbols compared");
}

#[test]
fn matches_object_and_goblin_on_this_machines_libraries() {
    let libraries = system_libraries(200, 100);
    let (mut compared, mut files) = (0, 0);
    for (path, bytes) in &libraries {
        let n = same_as_peers(path, bytes, 24);
        compared += n;
        files += usize::from(n > 0);
    }
    if !libraries.is_empty() {
        assert!(files >= 100 && compared >= 1500, "{compared} symbols in {files} libraries");
        eprintln!("{compared} symbols in {files} libraries");
    }
}

/// A library exporting what `jiscan check` looks for, and symbols whose
/// bytes are not in the file.
const CHECKSUM: &str = r#"#include <stdint.h>
const uint32_t jl_system_image_checksum = 0x12345678;
uint32_t jl_bss_counter;
__thread int jl_tls_value = 3;
__attribute__((weak)) const uint64_t jl_weak_value = 7;
__attribute__((visibility("hidden"))) const int jl_hidden_value = 2;
const int *jl_hidden_address(void) { return &jl_hidden_value; }
"#;

/// Checks the checksum library at `path` (built for a target of byte order `big`).
fn check_checksum_library(path: &Path) {
    let what = path.display();
    let bytes = std::fs::read(path).unwrap();
    let big = bytes[5] == ELFDATA2MSB;
    for file in [bytes.clone(), without_sections(&bytes)] {
        let found = lookup(&file, b"jl_system_image_checksum").unwrap().unwrap();
        let range = found.range.unwrap();
        assert_eq!(range.size, 4, "{what}");
        let word: [u8; 4] = file[range.offset as usize..][..4].try_into().unwrap();
        let value = if big { u32::from_be_bytes(word) } else { u32::from_le_bytes(word) };
        assert_eq!(value, 0x1234_5678, "{what}: the checksum's bytes");
        // .bss and TLS have no file bytes; a weak symbol is exported; a hidden one is not.
        assert_eq!(lookup(&file, b"jl_bss_counter").unwrap().unwrap().range, None, "{what}");
        assert_eq!(lookup(&file, b"jl_tls_value").unwrap().unwrap().range, None, "{what}");
        assert_eq!(lookup(&file, b"jl_weak_value").unwrap().unwrap().range.map(|r| r.size), Some(8), "{what}");
        assert_eq!(lookup(&file, b"jl_hidden_value").unwrap(), None, "{what}");
        assert_eq!(lookup(&file, b"jl_system_image_checksu").unwrap(), None, "{what}");
    }
    assert!(same_as_peers(path, &bytes, usize::MAX) >= 5, "{what}");
}

#[test]
fn checksum_libraries_built_by_gcc_and_zig() {
    let dir = scratch("checksum-libraries");
    let source = dir.join("checksum.c");
    std::fs::write(&source, CHECKSUM).unwrap();
    let source = source.to_str().unwrap();
    if require(&["gcc", "--version"]) {
        for hash in ["gnu", "sysv", "both"] {
            let out = dir.join(format!("gcc-{hash}.so"));
            let hash_style = format!("-Wl,--hash-style={hash}");
            run("gcc", &["-shared", "-fPIC", "-O2", &hash_style, "-o", out.to_str().unwrap(), source]);
            check_checksum_library(&out);
        }
    }
    if !have_zig() {
        return;
    }
    // (zig target, hash styles lld writes there)
    let targets: &[(&str, &[&str])] = &[
        ("x86_64-linux-gnu", &["gnu", "sysv"]),
        ("aarch64-linux-gnu", &["gnu", "sysv"]),
        ("x86-linux-gnu", &["gnu", "sysv"]),
        ("powerpc64-linux-musl", &["gnu", "sysv"]),
        ("arm-linux-gnueabihf", &["gnu", "sysv"]),
        ("riscv64-linux-gnu", &["gnu", "sysv"]),
        // lld's s390x .hash has 4-byte entries; the ABI's have 8 (see the module docs).
        ("s390x-linux-gnu", &["gnu", "both"]),
        ("mips64-linux-gnuabi64", &["sysv"]),
    ];
    for (target, styles) in targets {
        for hash in *styles {
            let out = dir.join(format!("zig-{target}-{hash}.so"));
            let hash_style = format!("-Wl,--hash-style={hash}");
            let args =
                ["-m", "ziglang", "cc", "-target", target, "-shared", "-fPIC", "-nostdlib", "-fno-sanitize=undefined"];
            run("python3", &[&args[..], &[&hash_style, "-o", out.to_str().unwrap(), source]].concat());
            check_checksum_library(&out);
        }
    }
}

#[test]
fn broken_tables_are_errors_naming_the_structure_and_offset() {
    let bytes = crate::elf::data_library::tests::library("x86_64-linux-gnu", "libd.so", b"data");
    let name = crate::record::DEFAULT_SYMBOL.as_bytes();
    assert!(lookup(&bytes, name).unwrap().is_some());
    let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
    let dynamic = header.dynamic().unwrap().unwrap();
    let symtab = dynamic.find(DT_SYMTAB).unwrap();
    let hash = dynamic.find(DT_HASH).unwrap();

    // .dynsym's section header says it runs past the end of the file.
    let sections = header.section_table().unwrap().unwrap();
    let dynsym = sections.header("test", 2).unwrap().base + ELF64.section.sh_size;
    let mut long = bytes.clone();
    long[dynsym as usize..][..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let err = lookup(&long, name).unwrap_err();
    assert!(matches!(err, Error::Truncated { what: "ELF dynamic symbol table", .. }), "{err}");

    // Without section headers: DT_SYMTAB outside every PT_LOAD ...
    let mut moved = without_sections(&bytes);
    moved[symtab.at as usize..][..8].copy_from_slice(&0xdead_0000u64.to_le_bytes());
    let expected = "an address inside the file bytes of a PT_LOAD segment";
    assert_eq!(lookup(&moved, name).unwrap_err(), Error::invalid("ELF DT_SYMTAB", symtab.at, 0xdead_0000u64, expected));
    // ... nchain larger than the segment ...
    let mut counted = without_sections(&bytes);
    let range = header.segments().unwrap().unwrap().map("test", 0, hash.value, 8).unwrap();
    counted[range.offset as usize + 4..][..4].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert!(matches!(lookup(&counted, name).unwrap_err(), Error::Invalid { what: "ELF DT_SYMTAB", .. }));
    // ... and no hash table to count the symbols with.
    let mut uncounted = without_sections(&bytes);
    uncounted[hash.at as usize - 8..][..8].copy_from_slice(&0x7000_0000u64.to_le_bytes()); // the tag
    assert!(matches!(lookup(&uncounted, name).unwrap_err(), Error::Invalid { what: "ELF DT_SYMTAB", .. }));
}

#[test]
fn gnu_hash_chains_that_never_end_are_errors() {
    let bytes = crate::elf::data_library::tests::library("s390x-linux-gnu", "libd.so", b"data");
    let name = crate::record::DEFAULT_SYMBOL.as_bytes();
    let stripped = without_sections(&bytes);
    assert!(lookup(&stripped, name).unwrap().is_some());
    let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
    let dynamic = header.dynamic().unwrap().unwrap();
    let gnu = dynamic.find(DT_GNU_HASH).unwrap();
    let table = header.segments().unwrap().unwrap().map("test", 0, gnu.value, 32).unwrap();
    // The one chain entry (after the 16-byte header, one Bloom word, one
    // bucket) without its end bit, in a read-only segment cut right after it.
    let mut endless = stripped.clone();
    endless[table.offset as usize + 28..][..4].fill(0);
    let filesz = ELF64.file.size + ELF64.program.p_filesz;
    endless[filesz as usize..][..8].copy_from_slice(&(table.offset + 32).to_be_bytes());
    let err = lookup(&endless, name).unwrap_err();
    assert!(matches!(err, Error::Invalid { what: "ELF GNU hash chain", .. }), "{err}");
    // A bucket below symoffset.
    let mut low = stripped;
    low[table.offset as usize + 4..][..4].copy_from_slice(&5u32.to_be_bytes());
    let err = lookup(&low, name).unwrap_err();
    assert!(matches!(err, Error::Invalid { what: "ELF GNU hash bucket", .. }), "{err}");
}

#[test]
fn no_input_panics() {
    let name = crate::record::DEFAULT_SYMBOL.as_bytes();
    for triple in ["x86_64-linux-gnu", "powerpc-linux-gnu", "s390x-linux-gnu"] {
        let bytes = crate::elf::data_library::tests::library(triple, "libd.so", b"data");
        for file in [bytes.clone(), without_sections(&bytes)] {
            for len in 0..1024.min(file.len()) {
                let _ = lookup(&file[..len], name);
                let _ = imports(&file[..len], name);
            }
            for at in 0..1024 {
                for bit in [0x01, 0x80] {
                    let mut flipped = file.clone();
                    flipped[at] ^= bit;
                    let _ = lookup(&flipped, name);
                    let _ = imports(&flipped, name);
                }
            }
        }
    }
}

fn imports(bytes: &[u8], name: &[u8]) -> Result<bool, Error> {
    imports_symbol(Data::new(bytes, 0, "the file"), name)
}

/// The names `object` reads as imported (undefined, global or weak) and as
/// only exported (defined, and not also imported), in table order.
fn imports_by_object<Elf: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Option<[Vec<Vec<u8>>; 2]> {
    let file = ElfFile::<Elf>::parse(bytes).ok()?;
    let endian = file.endian();
    let table = file.elf_dynamic_symbol_table();
    let (mut imported, mut defined) = (Vec::new(), Vec::new());
    for sym in table.iter() {
        let name = table.symbol_name(endian, sym).ok()?.to_vec();
        if name.is_empty() || !matches!(sym.st_bind(), elf::STB_GLOBAL | elf::STB_WEAK | elf::STB_GNU_UNIQUE) {
            continue;
        }
        if sym.is_undefined(endian) { &mut imported } else { &mut defined }.push(name);
    }
    defined.retain(|name| !imported.contains(name));
    Some([imported, defined])
}

/// Compares [`imports_symbol`] with `object` on up to `limit` imported and
/// `limit` exported names (spread over the table), with and without section
/// headers. Returns how many imported names were compared.
fn imports_same_as_object(path: &Path, bytes: &[u8], limit: usize) -> usize {
    let what = path.display();
    let by_object = match bytes.get(4) {
        Some(&ELFCLASS64) => imports_by_object::<elf::FileHeader64<Endianness>>(bytes),
        _ => imports_by_object::<elf::FileHeader32<Endianness>>(bytes),
    };
    let Some([imported, defined]) = by_object else { return 0 };
    let stripped = without_sections(bytes);
    for (names, expected) in [(&imported, true), (&defined, false)] {
        let step = (names.len() / limit.max(1)).max(1);
        for name in names.iter().step_by(step) {
            let shown = String::from_utf8_lossy(name);
            assert_eq!(imports(bytes, name).unwrap(), expected, "{what}: {shown}");
            assert_eq!(imports(&stripped, name).unwrap(), expected, "{what}: {shown} (dynamic table)");
        }
    }
    imported.len().min(limit)
}

#[test]
fn imports_match_object_on_the_corpus_and_this_machines_libraries() {
    let (mut compared, mut files) = (0, 0);
    for (path, bytes) in corpus_elf() {
        compared += imports_same_as_object(&path, &bytes, usize::MAX);
        if path.starts_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/obj")) {
            // A relocatable object has no dynamic symbol table: it imports nothing.
            assert!(!imports(&bytes, b"printf").unwrap(), "{}", path.display());
        }
    }
    assert!(compared >= 5, "only {compared} imports compared in the corpus");
    let libraries = system_libraries(200, 100);
    for (path, bytes) in &libraries {
        let n = imports_same_as_object(path, bytes, 16);
        compared += n;
        files += usize::from(n > 0);
    }
    if !libraries.is_empty() {
        assert!(files >= 100 && compared >= 1000, "{compared} imports in {files} libraries");
    }
}

/// A code cache's reference to its data library's symbol, strong and weak.
const IMPORTER: &str = r#"extern const char jl_pkgimg_data[];
extern const char jl_weak_import[] __attribute__((weak));
const char jl_defined_here[] = "x";
const char *jl_code(void) { return jl_weak_import ? jl_weak_import : jl_pkgimg_data; }
"#;

#[test]
fn imports_of_libraries_built_by_gcc_and_zig() {
    let dir = scratch("importing-libraries");
    let source = dir.join("importer.c");
    std::fs::write(&source, IMPORTER).unwrap();
    let source = source.to_str().unwrap();
    let mut outputs = Vec::new();
    if require(&["gcc", "--version"]) {
        for hash in ["gnu", "sysv"] {
            let out = dir.join(format!("gcc-{hash}.so"));
            let hash_style = format!("-Wl,--hash-style={hash}");
            run("gcc", &["-shared", "-fPIC", "-O2", &hash_style, "-o", out.to_str().unwrap(), source]);
            outputs.push(out);
        }
    }
    if have_zig() {
        for target in ["aarch64-linux-gnu", "x86-linux-gnu", "powerpc64-linux-musl", "s390x-linux-gnu"] {
            let out = dir.join(format!("zig-{target}.so"));
            let args = ["-m", "ziglang", "cc", "-target", target, "-shared", "-fPIC", "-nostdlib"];
            run("python3", &[&args[..], &["-fno-sanitize=undefined", "-o", out.to_str().unwrap(), source]].concat());
            outputs.push(out);
        }
    }
    for out in &outputs {
        let what = out.display();
        let bytes = std::fs::read(out).unwrap();
        for file in [bytes.clone(), without_sections(&bytes)] {
            assert!(imports(&file, b"jl_pkgimg_data").unwrap(), "{what}");
            assert!(imports(&file, b"jl_weak_import").unwrap(), "{what}: a weak reference");
            assert!(!imports(&file, b"jl_defined_here").unwrap(), "{what}: a definition");
            assert!(!imports(&file, b"jl_pkgimg_dat").unwrap(), "{what}: a prefix");
        }
        assert!(imports_same_as_object(out, &bytes, usize::MAX) >= 2, "{what}");
    }
}
