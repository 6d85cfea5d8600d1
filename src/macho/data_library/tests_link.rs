//! What tools that are not ours say about the data library: llvm-objdump,
//! llvm-otool, llvm-lipo (no warnings), rcodesign (every page digest),
//! `object`, goblin and LIEF (parse it, see the export, the container and
//! the dependencies), and two linkers (zig's, ld64.lld) that link code
//! libraries against it, which then record it as a dependency. There is no
//! dyld here: whether macOS loads it is not tested.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection};

use super::tests::{build, payload_bytes, spec};
use super::write_universal;
use crate::macho::dependencies::dependencies;
use crate::macho::test_tools::{
    clean, fixtures, have_zig, lief, require, run, scratch, targets, zig_cc, CODE_C, DATA_NAME,
};
use crate::read::Data;
use crate::DependencyKind;

/// Data libraries for both targets (payloads of 0, 9 and 20 000 bytes) and a
/// universal one, written into `dir`.
fn write_all(dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for (target, header) in targets() {
        for size in [0, 9, 20_000] {
            let (bytes, _) = build(&header, DATA_NAME, &payload_bytes(size, size as u64));
            let path = dir.join(format!("{target}-{size}.dylib"));
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
    }
    let payload = payload_bytes(30_000, 7);
    let mut fat = Vec::new();
    let headers = targets().map(|t| t.1);
    write_universal(&headers, &spec(DATA_NAME, &payload), &mut Cursor::new(&payload), &mut fat).unwrap();
    let path = dir.join("universal.dylib");
    std::fs::write(&path, fat).unwrap();
    paths.push(path);
    paths
}

#[test]
fn llvm_objdump_otool_and_lipo_read_it_without_a_warning() {
    let tools = ["llvm-objdump", "llvm-otool-14", "llvm-lipo-14"];
    if !tools.iter().all(|t| require(&[t, "--version"])) {
        return;
    }
    let dir = scratch("llvm");
    for path in write_all(dir.path()) {
        let mut objdump = Command::new("llvm-objdump");
        objdump.args(["--macho", "--private-headers", "--dylibs-used", "--exports-trie", "--syms", "--arch=all"]);
        let text = clean(objdump.arg(&path));
        for needle in ["__JULIA", "__ji", "__const", "_jl_pkgimg_data", DATA_NAME, "LC_CODE_SIGNATURE", "LC_UUID"] {
            assert!(text.contains(needle), "{}: llvm-objdump shows no {needle}:\n{text}", path.display());
        }
        let text = clean(Command::new("llvm-otool-14").args(["-l", "-L", "-arch", "all"]).arg(&path));
        assert!(text.contains("/usr/lib/libSystem.B.dylib") && text.contains(DATA_NAME), "{text}");
    }
    let fat = dir.path().join("universal.dylib");
    let info = clean(Command::new("llvm-lipo-14").arg("-info").arg(&fat));
    assert!(info.contains("x86_64 arm64"), "{info}");
    clean(Command::new("llvm-lipo-14").arg(&fat).args(["-verify_arch", "x86_64", "arm64"]));
}

/// What `rcodesign verify` reports beyond the absence of a CMS signature,
/// which an ad-hoc signature never has.
fn signature_problems(path: &Path) -> Vec<String> {
    let out = run(Command::new("rcodesign").arg("verify").arg(path));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.ends_with("no cryptographic signature present"))
        .filter(|l| !l.contains("verify command is known to be buggy"))
        .filter(|l| *l != "Error: problems reported during verification" && *l != "no problems detected!")
        .map(String::from)
        .collect()
}

#[test]
fn rcodesign_verifies_every_page_digest() {
    if !require(&["rcodesign", "--version"]) {
        return;
    }
    let dir = scratch("rcodesign");
    for path in write_all(dir.path()) {
        assert_eq!(signature_problems(&path), Vec::<String>::new(), "{}", path.display());
        let info = clean(Command::new("rcodesign").arg("print-signature-info").arg(&path));
        assert!(info.contains("ADHOC | LINKER_SIGNED") && info.contains("identifier: libfoo_data.dylib"), "{info}");
        // The check has teeth: one flipped byte in the last page is caught.
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() - 400;
        bytes[at] ^= 1;
        let broken = dir.path().join("broken.dylib");
        std::fs::write(&broken, bytes).unwrap();
        let problems = signature_problems(&broken);
        assert!(problems.iter().any(|p| p.contains("digest mismatch")), "{}: {problems:?}", path.display());
    }
}

#[test]
fn object_and_goblin_parse_it_and_see_the_export_the_container_and_the_names() {
    let dir = scratch("readers");
    for path in write_all(dir.path()) {
        let file = std::fs::read(&path).unwrap();
        for slice in crate::slices(&file).unwrap().map(Result::unwrap) {
            let (image, base) = (slice.bytes(), slice.range().offset);
            let label = format!("{} @{base:#x}", path.display());
            let record =
                crate::macho::symbols::find_symbol(Data::new(image, 0, "x"), b"_jl_pkgimg_data").unwrap().unwrap();
            let container = slice.find_section("__JULIA,__ji").unwrap().section.unwrap();

            let object = object::File::parse(image).unwrap();
            let exports: Vec<_> = object.exports().unwrap().map(Result::unwrap).collect();
            assert_eq!(exports.len(), 1, "{label}");
            let object::NameOrOrdinal::Name(name) = exports[0].name() else { panic!("{label}: an ordinal") };
            assert_eq!(name, b"_jl_pkgimg_data", "{label}");
            let object::ExportTarget::Address { address } = exports[0].target() else { panic!("{label}: no address") };
            assert_eq!(address, record.address, "{label}");
            let ji = object.sections().find(|s| s.name() == Ok("__ji")).unwrap();
            assert_eq!(ji.file_range(), Some((container.offset - base, container.size)), "{label}");

            let macho = goblin::mach::MachO::parse(image, 0).unwrap();
            assert_eq!((macho.name, &macho.libs[1..]), (Some(DATA_NAME), &["/usr/lib/libSystem.B.dylib"][..]));
            let exports = macho.exports().unwrap();
            assert_eq!((exports[0].name.as_str(), exports[0].offset), ("_jl_pkgimg_data", record.address));
            let prot: Vec<_> = macho.segments.iter().map(|s| (s.name().unwrap(), s.initprot, s.maxprot)).collect();
            assert_eq!(prot, [("__TEXT", 5, 5), ("__JULIA", 1, 1), ("__LINKEDIT", 1, 1)], "{label}");
        }
    }
}

#[test]
fn lief_parses_it_and_finds_its_layout_sound() {
    if !lief() {
        return;
    }
    const SCRIPT: &str = r#"
import sys, json, lief
for path in sys.argv[1:]:
    fat = lief.MachO.parse(path)
    for b in fat:
        ji = b.get_section("__JULIA", "__ji")
        print(json.dumps({"path": path, "segments": [s.name for s in b.segments], "ji": ji.size if ji else None,
                          "exports": [[s.name, s.value] for s in b.exported_symbols],
                          "libraries": [l.name for l in b.libraries], "layout": list(lief.MachO.check_layout(b)),
                          "signed": b.has_code_signature, "uuid": b.has_uuid}))
"#;
    let dir = scratch("lief");
    let paths = write_all(dir.path());
    let stdout = clean(Command::new("python3").args(["-c", SCRIPT]).args(&paths));
    let images: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(images.len(), paths.len() + 1, "the universal file has two images");
    for image in &images {
        assert_eq!(image["segments"], serde_json::json!(["__TEXT", "__JULIA", "__LINKEDIT"]), "{image}");
        assert_eq!(image["layout"][0], true, "LIEF's check_layout: {image}");
        assert_eq!((&image["signed"], &image["uuid"]), (&serde_json::json!(true), &serde_json::json!(true)));
        assert_eq!(image["exports"][0][0], "_jl_pkgimg_data", "{image}");
        assert_eq!(image["libraries"], serde_json::json!([DATA_NAME, "/usr/lib/libSystem.B.dylib"]), "{image}");
        assert!(image["ji"].as_u64().unwrap() >= 64, "{image}");
    }
}

/// Code libraries linked by zig and by ld64.lld against the data library,
/// at -O0 and -O2 with dead stripping of code and of unused dylibs: each
/// records it (as a load, weak load or re-export), binds `_jl_pkgimg_data`
/// from it, and our walk finds it and the run path.
#[test]
fn code_libraries_linked_against_it_depend_on_it() {
    let Some(fixtures) = fixtures() else { return };
    assert!(fixtures.code.len() >= 6, "zig's three ways for each target");
    let llvm = require(&["llvm-objdump", "--version"]);
    for code in &fixtures.code {
        if llvm {
            let used = clean(Command::new("llvm-objdump").args(["--macho", "--dylibs-used"]).arg(&code.path));
            assert!(used.contains(DATA_NAME), "{}: llvm-objdump --dylibs-used:\n{used}", code.how);
        }
        let file = std::fs::read(&code.path).unwrap();
        let records: Vec<_> = dependencies(Data::new(&file, 0, "the file")).unwrap().map(Result::unwrap).collect();
        let data = records.iter().find(|d| d.name == DATA_NAME.as_bytes()).unwrap();
        assert_eq!(data.kind, code.kind, "{}", code.how);
        assert!(records.iter().any(|d| d.kind == DependencyKind::Rpath && d.name == b"@loader_path"), "{}", code.how);
    }
    if !lief() {
        return;
    }
    const BINDS: &str = r#"
import sys, json, lief
for path in sys.argv[1:]:
    b = lief.MachO.parse(path).at(0)
    print(json.dumps([[x.symbol.name, x.library.name if x.has_library else None] for x in b.bindings]))
"#;
    // LIEF prints "Can't read value at offset: 0x0000000000" for zig's code
    // libraries (not for the data libraries, whose stderr is checked above).
    let out = run(Command::new("python3").args(["-c", BINDS]).args(fixtures.code.iter().map(|c| &c.path)));
    assert!(out.status.success(), "LIEF: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (code, line) in fixtures.code.iter().zip(stdout.lines()) {
        let binds: Vec<(String, Option<String>)> = serde_json::from_str(line).unwrap();
        let bind = ("_jl_pkgimg_data".to_string(), Some(DATA_NAME.to_string()));
        // A re-export needs no binding; every other way binds the record.
        if code.kind != DependencyKind::ReexportDylib {
            assert!(binds.contains(&bind), "{}: LIEF sees binds {binds:?}", code.how);
        }
    }
}

/// The control: code that does not use the record loses the dependency
/// when the linker drops unused dylibs, so the reference is what keeps it.
#[test]
fn without_a_reference_dead_strip_dylibs_drops_it() {
    let Some(fixtures) = fixtures() else { return };
    if !have_zig() {
        return;
    }
    let dir = scratch("control");
    let source = dir.path().join("none.c");
    std::fs::write(&source, "int unrelated(void) { return 1; }\n").unwrap();
    std::fs::write(dir.path().join("code.c"), CODE_C).unwrap();
    for (target, data) in &fixtures.data {
        let libdir = format!("-L{}", data.parent().unwrap().display());
        for (source, kept) in [(source.clone(), false), (dir.path().join("code.c"), true)] {
            let out = dir.path().join(format!("{target}-{kept}.dylib"));
            let args = ["-shared", "-O2", source.to_str().unwrap(), &libdir, "-lfoo_data", "-Wl,-dead_strip_dylibs"];
            zig_cc(target, &args, &out);
            let file = std::fs::read(&out).unwrap();
            let mut records = dependencies(Data::new(&file, 0, "the file")).unwrap().map(Result::unwrap);
            assert_eq!(records.any(|d| d.name == DATA_NAME.as_bytes()), kept, "{target}: referenced {kept}");
        }
    }
}
