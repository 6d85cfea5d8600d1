#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects)]

use std::process::Command;

use object::read::archive::ArchiveFile;
use object::read::coff::{CoffFile, ImportFile, ImportType};
use object::{Object, ObjectSymbol};

use super::*;
use crate::coff::testing::{self, clean, ok, require, require_program};

const MACHINES: [(u16, &str); 3] =
    [(IMAGE_FILE_MACHINE_AMD64, "i386:x86-64"), (IMAGE_FILE_MACHINE_I386, "i386"), (IMAGE_FILE_MACHINE_ARM64, "arm64")];

pub(crate) fn library(machine: u16, dll: &str, symbol: &str) -> Vec<u8> {
    let mut out = Vec::new();
    write(&CoffHeader { machine }, dll, symbol, &mut out).unwrap();
    out
}

#[test]
fn object_reads_the_archive_and_its_members() {
    for (machine, _) in MACHINES {
        for dll in ["foo_data.dll", "a_rather_long_data_library_name.dll"] {
            let bytes = library(machine, dll, "jl_pkgimg_data");
            let archive = ArchiveFile::parse(&*bytes).unwrap();
            let members: Vec<_> = archive.members().map(Result::unwrap).collect();
            assert_eq!(members.len(), 4);
            assert!(members.iter().all(|m| m.name() == dll.as_bytes()), "{dll}");
            let stem = dll.strip_suffix(".dll").unwrap();
            let x86 = machine == IMAGE_FILE_MACHINE_I386;
            let import = if x86 { "__imp__jl_pkgimg_data" } else { "__imp_jl_pkgimg_data" };
            let want = [
                format!("__IMPORT_DESCRIPTOR_{stem}"),
                "__NULL_IMPORT_DESCRIPTOR".into(),
                format!("\x7f{stem}_NULL_THUNK_DATA"),
                import.into(),
            ];
            let symbols: Vec<_> = archive
                .symbols()
                .unwrap()
                .unwrap()
                .map(|s| String::from_utf8(s.unwrap().name().to_vec()).unwrap())
                .collect();
            assert_eq!(symbols, want);
            for (i, member) in members.iter().enumerate().take(3) {
                let object = CoffFile::<&[u8]>::parse(member.data(&*bytes).unwrap()).unwrap();
                let defined: Vec<_> = object
                    .symbols()
                    .filter(|s| s.is_definition() && s.is_global())
                    .map(|s| s.name().unwrap().to_owned())
                    .collect();
                assert_eq!(defined, [want[i].clone()]);
            }
            let short = ImportFile::parse(members[3].data(&*bytes).unwrap()).unwrap();
            assert_eq!((short.dll(), short.import_type()), (dll.as_bytes(), ImportType::Data));
            assert_eq!(short.symbol(), import.strip_prefix("__imp_").unwrap().as_bytes());
            assert_eq!(short.import(), object::read::coff::ImportName::Name(b"jl_pkgimg_data"));
        }
    }
}

/// The same bytes as LLVM 14's llvm-dlltool, for every machine, with a DLL
/// name that fits a member header and one that needs the long names member.
#[test]
fn the_same_bytes_as_llvm_dlltool() {
    if !require_program("llvm-dlltool") {
        return;
    }
    let dir = testing::tempdir();
    for (machine, target) in MACHINES {
        // 15 bytes and a '/' fit the member header's name; 16 do not. (A
        // name without a '.' is not tried: a .def file's LIBRARY gets ".dll".)
        let names = ["foo_data.dll", "a_rather_long_data_library_name.dll", "x.dll", "foo.data.dll"];
        for dll in names.into_iter().chain(["fifteen_chr.dll", "sixteen_char.dll"]) {
            let def = dir.path().join("lib.def");
            std::fs::write(&def, format!("LIBRARY {dll}\nEXPORTS\n  jl_pkgimg_data DATA\n")).unwrap();
            let lib = dir.path().join("lib.a");
            ok(Command::new("llvm-dlltool").args(["-m", target, "-d"]).arg(&def).arg("-l").arg(&lib));
            let want = std::fs::read(&lib).unwrap();
            assert!(library(machine, dll, "jl_pkgimg_data") == want, "{target} {dll}");
        }
    }
}

#[test]
fn llvm_tools_list_it_without_a_warning() {
    if !require(&["llvm-nm", "--version"]) || !require(&["llvm-ar", "--version"]) {
        return;
    }
    let dir = testing::tempdir();
    let path = dir.path().join("libfoo_data.dll.a");
    std::fs::write(&path, library(IMAGE_FILE_MACHINE_AMD64, "foo_data.dll", "jl_pkgimg_data")).unwrap();
    let members = clean("llvm-ar", &["t"], &path);
    assert_eq!(members, "foo_data.dll\n".repeat(4));
    let symbols = clean("llvm-nm", &["--print-armap"], &path);
    assert!(symbols.contains("__imp_jl_pkgimg_data in foo_data.dll"), "{symbols}");
    assert!(symbols.contains("I __IMPORT_DESCRIPTOR_foo_data"), "{symbols}");
}

#[test]
fn refusals() {
    let amd64 = CoffHeader { machine: IMAGE_FILE_MACHINE_AMD64 };
    for (dll, symbol) in [("", "s"), ("dir/a.dll", "s"), ("a\0.dll", "s"), ("a.dll", ""), ("a.dll", "s\0")] {
        let error = write(&amd64, dll, symbol, &mut Vec::new()).unwrap_err();
        assert!(matches!(&error, EmitError::BadRequest { .. }), "{error}");
    }
    let error =
        write(&CoffHeader { machine: crate::coff::layout::IMAGE_FILE_MACHINE_ARMNT }, "a.dll", "s", &mut Vec::new());
    assert_eq!(
        error.unwrap_err().to_string(),
        "no object writer for target \"PE machine 0x01c4\": the import-library writer knows x86_64, x86 and aarch64"
    );
}
