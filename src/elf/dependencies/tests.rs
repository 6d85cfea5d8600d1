//! The walk against `object` (its section-header route to the dynamic table
//! and string table) and `goblin` (`libraries`, `soname`, `rpaths`,
//! `runpaths`, read through `PT_DYNAMIC`), on the corpus, on this machine's
//! libraries and (in `data_library`'s tests) on data libraries and code
//! caches; and on broken files.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]

use std::path::Path;

use object::read::elf::{ElfFile, FileHeader};
use object::{elf, Endianness};

use super::super::layout::{Class, DT_STRSZ, DT_STRTAB, DT_SYMENT, ELF64, ELFCLASS64, PT_DYNAMIC};
use super::super::testutil::{corpus_elf, system_libraries};
use super::*;

type Names = Vec<(DependencyKind, Vec<u8>)>;

/// Our walk, collected; the first error if any item fails.
pub(crate) fn walk(bytes: &[u8]) -> Result<Names, Error> {
    dependencies(Data::new(bytes, 0, "the file"))?.map(|d| d.map(|d| (d.kind, d.name.to_vec()))).collect()
}

fn kind_of(tag: i64) -> Option<DependencyKind> {
    match tag {
        1 => Some(DependencyKind::Needed),
        29 => Some(DependencyKind::RunPath),
        15 => Some(DependencyKind::RPath),
        14 => Some(DependencyKind::SoName),
        _ => None,
    }
}

/// `object`'s view: the first `SHT_DYNAMIC` section and its `sh_link`
/// strings. `None` if it cannot say (no such section, or a parse error).
fn by_object<Elf: FileHeader<Endian = Endianness>>(bytes: &[u8]) -> Option<Names> {
    let file = ElfFile::<Elf>::parse(bytes).ok()?;
    let table = file.elf_dynamic_table().ok()?;
    if table.is_empty() {
        return None;
    }
    let mut names = Vec::new();
    for entry in table.iter() {
        if let Some(kind) = kind_of(entry.tag.0) {
            names.push((kind, table.string(entry).ok()?.to_vec()));
        }
    }
    Some(names)
}

/// Compares our walk with `object` and `goblin` on `bytes`; returns how many
/// of the two could say something.
pub(crate) fn same_as_peers(path: &Path, bytes: &[u8]) -> usize {
    let what = path.display();
    let Ok(ours) = walk(bytes) else {
        // A file we refuse must be one the peers cannot read either.
        assert!(goblin::elf::Elf::parse(bytes).is_err() || by_object_any(bytes).is_none(), "{what}: {:?}", walk(bytes));
        return 0;
    };
    let mut compared = 0;
    if let Some(theirs) = by_object_any(bytes) {
        assert_eq!(ours, theirs, "{what}: object");
        compared += 1;
    }
    if let Ok(elf) = goblin::elf::Elf::parse(bytes) {
        let of = |kind| ours.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n.as_slice()).collect::<Vec<_>>();
        fn bytes_of<'a>(v: &[&'a str]) -> Vec<&'a [u8]> {
            v.iter().map(|s| s.as_bytes()).collect()
        }
        assert_eq!(of(DependencyKind::Needed), bytes_of(&elf.libraries), "{what}: goblin libraries");
        assert_eq!(of(DependencyKind::RPath), bytes_of(&elf.rpaths), "{what}: goblin rpaths");
        assert_eq!(of(DependencyKind::RunPath), bytes_of(&elf.runpaths), "{what}: goblin runpaths");
        // goblin keeps the last DT_SONAME.
        assert_eq!(of(DependencyKind::SoName).last().copied(), elf.soname.map(str::as_bytes), "{what}: goblin soname");
        compared += 1;
    }
    compared
}

fn by_object_any(bytes: &[u8]) -> Option<Names> {
    match bytes.get(4) {
        Some(&ELFCLASS64) => by_object::<elf::FileHeader64<Endianness>>(bytes),
        _ => by_object::<elf::FileHeader32<Endianness>>(bytes),
    }
}

#[test]
fn matches_object_and_goblin_on_the_corpus() {
    let mut compared = 0;
    for (path, bytes) in corpus_elf() {
        compared += same_as_peers(&path, &bytes);
    }
    // 21 libraries in elf/, 1 in nopayload/ (the objects have no dynamic table).
    assert!(compared >= 40, "only {compared} comparisons");
}

#[test]
fn matches_object_and_goblin_on_this_machines_libraries() {
    let libraries = system_libraries(400, 100);
    let (mut compared, mut needed) = (0, 0);
    for (path, bytes) in &libraries {
        compared += same_as_peers(path, bytes);
        needed += walk(bytes).map_or(0, |names| names.iter().filter(|(k, _)| k.is_library()).count());
    }
    if !libraries.is_empty() {
        assert!(compared >= 2 * 100, "only {compared} comparisons over {} libraries", libraries.len());
        assert!(needed >= 100, "only {needed} DT_NEEDED entries seen");
        eprintln!("{} libraries, {compared} comparisons, {needed} DT_NEEDED", libraries.len());
    }
}

#[test]
fn objects_and_files_without_program_headers_depend_on_nothing() {
    let object = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/obj/x86_64-linux.o")).unwrap();
    assert_eq!(walk(&object).unwrap(), vec![]);
    let mut library =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/elf/x86_64-linux-musl.so")).unwrap();
    library[ELF64.file.e_phoff as usize..][..8].fill(0);
    assert_eq!(walk(&library).unwrap(), vec![]);
}

/// A data library (whose only name entry is `DT_SONAME`), with the dynamic
/// table's offset, the class and the offsets of its `DT_STRTAB` and
/// `DT_STRSZ` values.
fn library(triple: &str) -> (Vec<u8>, &'static Class, u64, u64) {
    let bytes = crate::elf::data_library::tests::library(triple, "libfoo_data.so", b"payload");
    let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
    let dynamic = header.dynamic().unwrap().unwrap();
    let (strtab, strsz) = (dynamic.find(DT_STRTAB).unwrap(), dynamic.find(DT_STRSZ).unwrap());
    (bytes.clone(), header.class(), strtab.at, strsz.at)
}

fn put_word(bytes: &mut [u8], at: u64, class: &Class, big: bool, value: u64) {
    let at = at as usize;
    match (class.wide, big) {
        (true, false) => bytes[at..at + 8].copy_from_slice(&value.to_le_bytes()),
        (true, true) => bytes[at..at + 8].copy_from_slice(&value.to_be_bytes()),
        (false, false) => bytes[at..at + 4].copy_from_slice(&(value as u32).to_le_bytes()),
        (false, true) => bytes[at..at + 4].copy_from_slice(&(value as u32).to_be_bytes()),
    }
}

#[test]
fn broken_tables_are_errors_naming_the_structure_and_offset() {
    for (triple, big) in [("x86_64-linux-gnu", false), ("powerpc-linux-gnu", true)] {
        let (bytes, class, strtab, strsz) = library(triple);
        assert_eq!(walk(&bytes).unwrap(), vec![(DependencyKind::SoName, b"libfoo_data.so".to_vec())], "{triple}");
        let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        let segment = header.segments().unwrap().unwrap().unique(PT_DYNAMIC).unwrap().unwrap();

        // The file cut inside the dynamic table.
        let cut = &bytes[..(segment.p_offset + segment.p_filesz / 2) as usize];
        let err = walk(cut).unwrap_err();
        let expected = (segment.p_offset, class.dynamic.size, segment.p_filesz / class.dynamic.size);
        assert!(
            matches!(err, Error::Truncated { what: "ELF dynamic table", offset, size, count, .. } if (offset, size, count) == expected),
            "{triple}: {err}"
        );

        // DT_STRTAB outside every PT_LOAD.
        let mut moved = bytes.clone();
        put_word(&mut moved, strtab, class, big, 0x0dea_d000);
        let err = walk(&moved).unwrap_err();
        let expected = "an address inside the file bytes of a PT_LOAD segment";
        assert_eq!(err, Error::invalid("ELF DT_STRTAB", strtab, 0x0dea_d000u64, expected), "{triple}");
        assert!(err.to_string().starts_with(&format!("ELF DT_STRTAB at {strtab:#x} is 0xdead000")), "{err}");

        // DT_STRSZ past the segment, then a name running off the table.
        let mut long = bytes.clone();
        put_word(&mut long, strsz, class, big, 1 << 20);
        assert!(
            matches!(walk(&long).unwrap_err(), Error::Invalid { what: "ELF DT_STRSZ", offset, .. } if offset == strsz)
        );
        let mut short = bytes.clone();
        put_word(&mut short, strsz, class, big, 5); // "\0libf": no NUL after the name starts
        let mut items = dependencies(Data::new(&short, 0, "the file")).unwrap();
        let err = items.next().unwrap().unwrap_err();
        assert!(matches!(err, Error::Invalid { what: "ELF DT_SONAME", value: 1, .. }), "{triple}: {err}");
        assert!(items.next().is_none(), "{triple}: the walk goes on after a bad name");
    }
}

/// Review 19 F6: of two entries of one tag, ld.so uses the last (it stores
/// each in `l_info[tag]`, glibc elf/get-dynamic-info.h), and so do goblin
/// and llvm-readobj. `DT_SYMENT` becomes a second `DT_STRSZ`; one of the
/// two is past the segment, the other right: only the last one counts.
#[test]
fn the_last_entry_of_a_tag_is_the_one_used() {
    let (bytes, class, _, strsz) = library("x86_64-linux-gnu");
    let header = Header::parse(Data::new(&bytes, 0, "the file")).unwrap();
    let syment = header.dynamic().unwrap().unwrap().find(DT_SYMENT).unwrap().at;
    let good = u64::from_le_bytes(bytes[strsz as usize..strsz as usize + 8].try_into().unwrap());
    let expected = vec![(DependencyKind::SoName, b"libfoo_data.so".to_vec())];
    for (bad, fine) in [(syment, strsz), (strsz, syment)] {
        let mut twice = bytes.clone();
        put_word(&mut twice, syment - 8, class, false, DT_STRSZ);
        put_word(&mut twice, bad, class, false, 1 << 20);
        put_word(&mut twice, fine, class, false, good);
        match walk(&twice) {
            Ok(names) => assert!(bad < fine && names == expected, "{names:?}"),
            Err(Error::Invalid { what: "ELF DT_STRSZ", offset, .. }) => assert!(bad > fine && offset == bad),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn two_dynamic_segments_are_ambiguous() {
    let (mut bytes, class, _, _) = library("x86_64-linux-gnu");
    let p = &class.program;
    // Program header 1 (the writable PT_LOAD) becomes a second PT_DYNAMIC.
    let at = (ELF64.file.size + p.size + p.p_type) as usize;
    bytes[at..at + 4].copy_from_slice(&PT_DYNAMIC.to_le_bytes());
    assert!(matches!(walk(&bytes).unwrap_err(), Error::Ambiguous { .. }));
}

#[test]
fn no_input_panics() {
    // Every prefix, and every byte of the headers flipped, of two libraries.
    for triple in ["x86_64-linux-gnu", "powerpc-linux-gnu"] {
        let (bytes, ..) = library(triple);
        for len in 0..1024.min(bytes.len()) {
            let _ = walk(&bytes[..len]);
        }
        for at in 0..1024 {
            for bit in [0x01, 0x80] {
                let mut flipped = bytes.clone();
                flipped[at] ^= bit;
                let _ = walk(&flipped);
            }
        }
    }
}
