//! `pkgimg::dependencies` against goblin, object and `llvm-readobj
//! --needed-libs`, on every corpus file and on this machine's shared
//! libraries: the same names, in the same order.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use pkgimg::DependencyKind as K;

/// Every record of `kind` in `slice`, as text.
fn ours(slice: &pkgimg::Slice<'_>, kinds: &[K]) -> Vec<String> {
    slice
        .dependencies()
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|d| d.unwrap_or_else(|e| panic!("{e}")))
        .filter(|d| kinds.contains(&d.kind))
        .map(|d| String::from_utf8_lossy(d.name).into_owned())
        .collect()
}

/// Compares one image with goblin (and ELF with llvm-readobj); returns how
/// many names were compared.
fn check_image(path: &Path, bytes: &[u8], slice: &pkgimg::Slice<'_>, readobj: bool) -> usize {
    let at = |what: &str| format!("{}: {what}", path.display());
    match goblin::Object::parse(slice.bytes()).unwrap_or_else(|e| panic!("{}: goblin: {e}", path.display())) {
        goblin::Object::Elf(elf) => {
            let needed = ours(slice, &[K::Needed]);
            assert_eq!(needed, elf.libraries, "{}", at("DT_NEEDED"));
            assert_eq!(ours(slice, &[K::RunPath]), elf.runpaths, "{}", at("DT_RUNPATH"));
            assert_eq!(ours(slice, &[K::RPath]), elf.rpaths, "{}", at("DT_RPATH"));
            assert_eq!(ours(slice, &[K::SoName]), elf.soname.into_iter().collect::<Vec<_>>(), "{}", at("DT_SONAME"));
            if readobj {
                let out = Command::new("llvm-readobj").arg("--needed-libs").arg(path).output().unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                // "NeededLibraries [\n  libc.so.6\n]"; llvm-readobj sorts them.
                let mut listed: Vec<String> = text
                    .lines()
                    .skip_while(|l| !l.starts_with("NeededLibraries"))
                    .skip(1)
                    .take_while(|l| !l.starts_with(']'))
                    .map(|l| l.trim().to_owned())
                    .collect();
                let mut sorted = needed.clone();
                sorted.sort();
                listed.sort();
                assert_eq!(sorted, listed, "{}", at("llvm-readobj --needed-libs"));
            }
            needed.len() + elf.runpaths.len() + elf.rpaths.len()
        }
        goblin::Object::Mach(goblin::mach::Mach::Binary(macho)) => {
            // goblin's `libs` starts with "self", then every dylib command in order.
            let libs = ours(slice, &[K::LoadDylib, K::LoadWeakDylib, K::ReexportDylib, K::LoadUpwardDylib]);
            assert_eq!(libs, macho.libs[1..], "{}", at("dylib commands"));
            assert_eq!(ours(slice, &[K::Rpath]), macho.rpaths, "{}", at("LC_RPATH"));
            assert_eq!(ours(slice, &[K::IdDylib]), macho.name.into_iter().collect::<Vec<_>>(), "{}", at("LC_ID_DYLIB"));
            libs.len() + macho.rpaths.len()
        }
        goblin::Object::PE(pe) => {
            // goblin lists the import directory's DLLs sorted; object in
            // directory order, once per imported symbol.
            let imports = ours(slice, &[K::Import]);
            let mut sorted = imports.clone();
            sorted.sort();
            let mut goblins: Vec<String> = pe.libraries.iter().map(|s| s.to_string()).collect();
            goblins.sort();
            assert_eq!(sorted, goblins, "{}", at("import directory, against goblin"));
            let file = object::read::File::parse(bytes).unwrap();
            let mut in_order: Vec<String> = Vec::new();
            for import in object::Object::imports(&file).unwrap() {
                let library = String::from_utf8_lossy(import.unwrap().library()).into_owned();
                if in_order.last() != Some(&library) && !in_order.contains(&library) {
                    in_order.push(library);
                }
            }
            assert_eq!(imports, in_order, "{}", at("import directory, against object"));
            imports.len()
        }
        goblin::Object::COFF(_) => {
            assert!(ours(slice, &[K::Import, K::DelayImport]).is_empty(), "{}", at("an object has no imports"));
            0
        }
        other => panic!("{}: goblin sees {other:?}", path.display()),
    }
}

fn check_file(path: &Path, readobj: bool) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut compared = 0;
    for slice in pkgimg::slices(&bytes).unwrap() {
        compared += check_image(path, &bytes, &slice.unwrap(), readobj);
    }
    compared
}

#[test]
fn corpus_dependencies_agree_with_goblin_and_llvm_readobj() {
    let readobj = common::require_tool("llvm-readobj");
    let corpus = common::corpus();
    let mut compared = 0;
    for dir in ["elf", "macho", "pe", "obj", "nopayload"] {
        for path in common::files_under(&corpus.join(dir)) {
            compared += check_file(&path, readobj);
        }
    }
    // Most corpus libraries are linked -nostdlib; the GNU ld, glibc and
    // mingw-w64 ones carry 9 names between them.
    assert!(compared >= 9, "only {compared} names compared");
}

/// At least 100 of this machine's shared libraries.
fn system_libraries() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(".so")))
            .collect();
        libs.sort();
        out.extend(libs.into_iter().step_by(3).take(120));
    }
    out
}

#[test]
fn system_libraries_dependencies_agree() {
    let readobj = common::require_tool("llvm-readobj");
    let libs: Vec<PathBuf> =
        system_libraries().into_iter().filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x7fELF"))).collect();
    assert!(libs.len() >= 100, "expected at least 100 system libraries, found {}", libs.len());
    let compared: usize = libs.iter().map(|p| check_file(p, readobj)).sum();
    assert!(compared >= 200, "only {compared} names compared");
}
