//! The split image end to end, with real tools: a data DLL and its import
//! library written by this crate, a code DLL linked against them by zig's
//! lld-link (and by GNU ld for MinGW), loaded by Wine on x86_64; on x86
//! and aarch64 (no Wine for them here) linked and read only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects)]

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::coff::data_library::tests::{check, library as data_library, payload};
use crate::coff::dependencies::tests::agree;
use crate::coff::testing::{self, clean, have_zig, ok, require, zig};
use crate::{Dependency, DependencyKind};

/// Code that imports the record: `pkgimg_payload_kib` returns the payload's
/// size in KiB if the record's magic is right, else -1.
const CODE: &str = r#"#include <stdint.h>
struct pkgimg_data_record {
    unsigned char magic[8];
    uint16_t version;
    uint16_t record_size;
    uint32_t flags;
    uint64_t payload_size;
    uint32_t payload_crc32c;
    uint32_t reserved;
};
__declspec(dllimport) extern const struct pkgimg_data_record jl_pkgimg_data;
__declspec(dllexport) int pkgimg_payload_kib(void) {
    if (jl_pkgimg_data.magic[1] != 'J' || jl_pkgimg_data.magic[3] != 'D') return -1;
    return (int)(jl_pkgimg_data.payload_size / 1024);
}
"#;

/// Loads code.dll, calls pkgimg_payload_kib, and says where the data DLL was mapped.
const LOADER: &str = r#"#include <stdio.h>
#include <windows.h>
int main(void) {
    HMODULE code = LoadLibraryA("code.dll");
    if (!code) { printf("LoadLibrary failed: %lu\n", GetLastError()); return 1; }
    int (*kib)(void) = (int (*)(void))GetProcAddress(code, "pkgimg_payload_kib");
    if (!kib) { printf("GetProcAddress failed: %lu\n", GetLastError()); return 1; }
    HMODULE data = GetModuleHandleA(__argc > 1 ? __argv[1] : "foo_data.dll");
    char code_path[MAX_PATH] = "", data_path[MAX_PATH] = "";
    GetModuleFileNameA(code, code_path, MAX_PATH);
    if (data) GetModuleFileNameA(data, data_path, MAX_PATH);
    printf("%d %s %p %p %s %s\n", kib(), data ? "mapped" : "absent", (void *)code, (void *)data, code_path, data_path);
    return 0;
}
"#;

/// foo_data.dll (a 100 KiB payload) and libfoo_data.dll.a for `machine` in `dir`.
fn data_and_import_library(dir: &Path, machine: u16) -> (PathBuf, PathBuf) {
    let data = payload(100 * 1024, 11);
    let (bytes, layout) = data_library(machine, "foo_data.dll", "jl_pkgimg_data", &data);
    check(&bytes, &layout, &data, "jl_pkgimg_data");
    let dll = dir.join("foo_data.dll");
    std::fs::write(&dll, &bytes).unwrap();
    let implib = dir.join("libfoo_data.dll.a");
    std::fs::write(&implib, super::tests::library(machine, "foo_data.dll", "jl_pkgimg_data")).unwrap();
    (dll, implib)
}

/// Checks that `code` imports jl_pkgimg_data from foo_data.dll, by
/// llvm-readobj, object, goblin and this crate's walk.
fn imports_the_record(code: &Path) {
    let text = clean("llvm-readobj", &["--coff-imports"], code);
    let at = text.find("Name: foo_data.dll").unwrap_or_else(|| panic!("{text}"));
    let block = &text[at..text[at..].find('}').map_or(text.len(), |end| at + end)];
    assert!(block.contains("Symbol: jl_pkgimg_data"), "{block}");
    let rows = agree(&std::fs::read(code).unwrap(), &code.display().to_string());
    assert!(rows.contains(&(DependencyKind::Import, b"foo_data.dll".to_vec())), "{rows:?}");
    let bytes = std::fs::read(code).unwrap();
    let walk = crate::coff::dependencies::dependencies(crate::read::Data::new(&bytes, 0, "the file")).unwrap();
    let first: Vec<Dependency<'_>> = walk.map(Result::unwrap).collect();
    assert!(first.iter().any(|d| d.name == b"foo_data.dll"));
    let imports =
        crate::coff::symbols::imports_symbol(crate::read::Data::new(&bytes, 0, "the file"), b"jl_pkgimg_data");
    assert!(imports.unwrap(), "{}: jl_pkgimg_data", code.display());
}

/// zig cc for `target`: `args`, then `-o out`.
fn zig_cc(target: &str, args: &[&Path], out: &Path) {
    ok(zig("cc").args(["-target", target, "-O1"]).args(args).arg("-o").arg(out));
}

#[test]
fn x86_64_code_dll_imports_and_loads_the_data_dll() {
    if !have_zig() || !require(&["llvm-readobj", "--version"]) {
        return;
    }
    let dir = testing::tempdir();
    let (_, implib) = data_and_import_library(dir.path(), IMAGE_FILE_MACHINE_AMD64);
    let source = dir.path().join("code.c");
    std::fs::write(&source, CODE).unwrap();
    let code = dir.path().join("code.dll");
    zig_cc("x86_64-windows-gnu", &[Path::new("-shared"), &source, &implib], &code);
    imports_the_record(&code);
    if !require(&["wine", "--version"]) {
        return;
    }
    let loader_c = dir.path().join("loader.c");
    std::fs::write(&loader_c, LOADER).unwrap();
    let loader = dir.path().join("loader.exe");
    zig_cc("x86_64-windows-gnu", &[&loader_c], &loader);
    let run = |dir: &Path| {
        // The loader beside the DLLs: Windows looks for a DLL first in the
        // program's directory.
        let out = testing::wine(&dir.join("loader.exe"), &[], dir);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{}: {stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        stdout
    };
    let stdout = run(dir.path());
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields[..2], ["100", "mapped"], "{stdout}");
    // Both DLLs prefer 0x180000000; the data DLL, loaded second, was
    // relocated without a .reloc section, and its record still reads right.
    eprintln!("code.dll at {}, foo_data.dll at {}", fields[2], fields[3]);
    assert_ne!(fields[2], fields[3]);

    // Windows matches DLL names whatever their case, and so do Wine and
    // find_data_library: the data DLL renamed FOO_DATA.DLL still loads.
    let found = crate::split::find_data_library(&code).unwrap();
    assert_eq!(found.path, dir.path().join("foo_data.dll"));
    let cased = dir.path().join("cased");
    std::fs::create_dir(&cased).unwrap();
    for (from, to) in [("foo_data.dll", "FOO_DATA.DLL"), ("loader.exe", "loader.exe"), ("code.dll", "code.dll")] {
        std::fs::copy(dir.path().join(from), cased.join(to)).unwrap();
    }
    let stdout = run(&cased);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields[..2], ["100", "mapped"], "{stdout}");
    // Both from cased\ (Wine names the data DLL as it was asked for).
    assert!(fields[4].ends_with("\\cased\\code.dll"), "{stdout}");
    assert!(fields[5].to_ascii_lowercase().ends_with("\\cased\\foo_data.dll"), "{stdout}");
    let found = crate::split::find_data_library(&cased.join("code.dll")).unwrap();
    assert_eq!(found.path, cased.join("FOO_DATA.DLL"));
    // A directory of that name is no match.
    let dirs = dir.path().join("dirs");
    std::fs::create_dir_all(dirs.join("Foo_Data.Dll")).unwrap();
    std::fs::copy(dir.path().join("code.dll"), dirs.join("code.dll")).unwrap();
    std::fs::copy(dir.path().join("foo_data.dll"), dirs.join("FOO_DATA.dll")).unwrap();
    let found = crate::split::find_data_library(&dirs.join("code.dll")).unwrap();
    assert_eq!(found.path, dirs.join("FOO_DATA.dll"));
    // Two files that match only ignoring case: no answer, and both named.
    std::fs::copy(dir.path().join("foo_data.dll"), cased.join("Foo_Data.dll")).unwrap();
    let err = crate::split::find_data_library(&cased.join("code.dll")).unwrap_err().to_string();
    assert!(err.contains("several files match ignoring case") && err.contains("Foo_Data.dll"), "{err}");

    // GNU ld for MinGW links against the same import library.
    if !require(&["x86_64-w64-mingw32-gcc", "--version"]) {
        return;
    }
    let gnu = dir.path().join("gnu");
    std::fs::create_dir(&gnu).unwrap();
    for file in ["foo_data.dll", "loader.exe"] {
        std::fs::copy(dir.path().join(file), gnu.join(file)).unwrap();
    }
    let code = gnu.join("code.dll");
    ok(Command::new("x86_64-w64-mingw32-gcc").args(["-shared", "-O1", "-o"]).arg(&code).arg(&source).arg(&implib));
    imports_the_record(&code);
    let stdout = run(&gnu);
    assert!(stdout.starts_with("100 mapped "), "{stdout}");
    assert!(stdout.contains("\\gnu\\code.dll "), "GNU ld's code.dll: {stdout}");
}

/// The name an import gives and the file the loader opens (review 20 F4):
/// ".dll" is appended only to a name whose last component has no dot
/// (Wine's find_dll_file; LoadLibrary), so ".hidden" is opened as it is,
/// and a trailing dot is dropped by the path rules (LoadLibrary's way to
/// name a file with no extension), so "foo_data." opens "foo_data".
/// Wine loads each, and find_data_library finds the same file.
#[test]
fn the_dll_name_rules_are_the_loaders() {
    if !have_zig() || !require(&["wine", "--version"]) {
        return;
    }
    let dir = testing::tempdir();
    let source = dir.path().join("code.c");
    std::fs::write(&source, CODE).unwrap();
    let loader_c = dir.path().join("loader.c");
    std::fs::write(&loader_c, LOADER).unwrap();
    let loader = dir.path().join("loader.exe");
    zig_cc("x86_64-windows-gnu", &[&loader_c], &loader);
    let data = payload(100 * 1024, 11);
    for (case, (import, file)) in [
        ("foo_data.", "foo_data"),
        (".hidden", ".hidden"),
        ("foo_data", "foo_data.dll"),
        // Review 21 F4: a backslash separates directories, as "/" does.
        ("sub\\foo_data.dll", "sub/foo_data.dll"),
        // Review 22 F8: a directory is matched ignoring case, as the file is.
        ("SUB\\foo_data.dll", "sub/foo_data.dll"),
        // Wine does not load this one, and find_data_library does not follow it.
        ("sub/./x/..\\foo_data", "sub/foo_data.dll"),
        // Review 23 F2: "sub" there as written, but a file: Wine takes it and
        // fails, though "SUB/" holds the DLL; so does find_data_library.
        ("sub\\foo_data.dll", "SUB/foo_data.dll"),
    ]
    .into_iter()
    .enumerate()
    {
        let case_dir = dir.path().join(case.to_string());
        let sub_is_a_file = file.starts_with("SUB/");
        if sub_is_a_file {
            std::fs::create_dir_all(case_dir.join("SUB")).unwrap();
            std::fs::write(case_dir.join("sub"), b"a file named like the directory").unwrap();
        } else {
            std::fs::create_dir_all(case_dir.join("sub/x")).unwrap();
        }
        let base = file.rsplit('/').next().unwrap();
        let (bytes, _) = data_library(IMAGE_FILE_MACHINE_AMD64, base, "jl_pkgimg_data", &data);
        std::fs::write(case_dir.join(file), &bytes).unwrap();
        let implib = case_dir.join("libdata.dll.a");
        // The import library writer takes a file name only: a name with a
        // directory is written over a placeholder of its length after the link.
        let placeholder = "q".repeat(import.len());
        let written = if import.contains(['/', '\\']) { placeholder.as_str() } else { import };
        std::fs::write(&implib, super::tests::library(IMAGE_FILE_MACHINE_AMD64, written, "jl_pkgimg_data")).unwrap();
        let code = case_dir.join("code.dll");
        zig_cc("x86_64-windows-gnu", &[Path::new("-shared"), &source, &implib], &code);
        if written != import {
            let mut bytes = std::fs::read(&code).unwrap();
            let at: Vec<usize> = bytes
                .windows(written.len())
                .enumerate()
                .filter(|(_, w)| *w == written.as_bytes())
                .map(|(i, _)| i)
                .collect();
            assert_eq!(at.len(), 1, "{import}");
            bytes[at[0]..at[0] + import.len()].copy_from_slice(import.as_bytes());
            std::fs::write(&code, bytes).unwrap();
        }
        std::fs::copy(&loader, case_dir.join("loader.exe")).unwrap();
        // GetModuleHandle names the loaded module by its file name.
        let module = if import.contains(['/', '\\']) { base } else { import };
        let out = testing::wine(&case_dir.join("loader.exe"), &[module], &case_dir);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if import.contains("/./") || sub_is_a_file {
            assert!(stdout.starts_with("LoadLibrary failed: 126"), "{import}: {stdout}");
            let error = crate::split::find_data_library(&code).unwrap_err().to_string();
            let why = match sub_is_a_file {
                true => "not in the code cache's directory",
                false => "a path with a \".\" component, which pkgimg does not follow",
            };
            assert!(error.contains(&format!("{import} ({why}")), "{error}");
            continue;
        }
        assert!(out.status.success(), "{import}: {}: {stdout}", out.status);
        let fields: Vec<&str> = stdout.split_whitespace().collect();
        assert_eq!(fields[..2], ["100", "mapped"], "{import}: {stdout}");
        // Wine names the module as it was asked for: compared ignoring case.
        let mapped = fields[5].to_ascii_lowercase();
        assert!(mapped.ends_with(&format!("\\{case}\\{}", file.replace('/', "\\"))), "{import}: {stdout}");
        let found = crate::split::find_data_library(&code).unwrap_or_else(|e| panic!("{import}: {e}"));
        assert_eq!(found.path, case_dir.join(file), "{import}");
    }
}

/// x86 (PE32) and aarch64: zig links a code DLL against the import library
/// and the readers accept both DLLs; so does GNU ld for x86. Wine here runs
/// neither (no 32-bit or arm64 Wine).
#[test]
fn x86_and_aarch64_code_dlls_link() {
    if !have_zig() || !require(&["llvm-readobj", "--version"]) {
        return;
    }
    for (machine, target) in
        [(IMAGE_FILE_MACHINE_I386, "x86-windows-gnu"), (IMAGE_FILE_MACHINE_ARM64, "aarch64-windows-gnu")]
    {
        let dir = testing::tempdir();
        let (data, implib) = data_and_import_library(dir.path(), machine);
        clean("llvm-readobj", &["--file-headers", "--coff-exports"], &data);
        let source = dir.path().join("code.c");
        std::fs::write(&source, CODE).unwrap();
        let code = dir.path().join("code.dll");
        zig_cc(target, &[Path::new("-shared"), &source, &implib], &code);
        imports_the_record(&code);
        if machine == IMAGE_FILE_MACHINE_I386 && require(&["i686-w64-mingw32-ld", "--version"]) {
            // GNU ld, given zig's object: no C runtime, no entry point.
            let object = dir.path().join("code.o");
            zig_cc(target, &[Path::new("-c"), &source], &object);
            let gnu = dir.path().join("code-gnu.dll");
            ok(Command::new("i686-w64-mingw32-ld")
                .args(["--shared", "-e", "0", "-o"])
                .arg(&gnu)
                .arg(&object)
                .arg(&implib));
            imports_the_record(&gnu);
        }
    }
}
