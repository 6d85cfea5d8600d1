//! Differential tests: on every file we can lay hands on — the corpus, system
//! libraries, the Rust toolchain's libraries, GNU ld and `llvm-objcopy
//! --add-section` output — pkgimg must agree with goblin and with object on
//! the image's identity and on the file range of every section it is asked
//! for, and on the container in particular.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection};
use pkgimg::{FileRange, Format, Lookup};

/// What object says: (format, bits, arch name if it has one of ours).
fn object_identity(file: &object::File<'_>) -> (Format, u8, Option<&'static str>) {
    use object::{Architecture as A, BinaryFormat as B};
    let format = match (file.format(), file.kind()) {
        (B::Elf, _) => Format::Elf,
        (B::MachO, _) => Format::MachO,
        (B::Pe, _) => Format::Pe,
        (B::Coff, _) => Format::Coff,
        (other, _) => panic!("unexpected format {other:?}"),
    };
    let arch = match file.architecture() {
        A::I386 => Some("x86"),
        A::X86_64 | A::X86_64_X32 => Some("x86_64"),
        A::Arm => Some("arm"),
        A::Aarch64 | A::Aarch64_Ilp32 => Some("aarch64"),
        A::Riscv32 => Some("riscv32"),
        A::Riscv64 => Some("riscv64"),
        A::PowerPc => Some("powerpc"),
        A::PowerPc64 => Some("powerpc64"),
        A::Mips => Some("mips"),
        A::Mips64 => Some("mips64"),
        A::S390x => Some("s390x"),
        A::Sparc64 => Some("sparc64"),
        A::LoongArch64 => Some("loongarch64"),
        _ => None,
    };
    // object calls every COFF object 32-bit ("Windows COFF is always 32-bit"):
    // its is_64 is about the file's fields, pkgimg's bits about pointers.
    let bits = match (format, arch) {
        (Format::Coff, Some("x86_64" | "aarch64")) => 64,
        _ if file.is_64() => 64,
        _ => 32,
    };
    (format, bits, arch)
}

/// The name pkgimg's `find_section` takes for one of object's sections.
fn section_name(format: Format, section: &object::Section<'_, '_>) -> Option<String> {
    let name = section.name().ok()?.to_string();
    match format {
        Format::MachO => Some(format!("{},{}", section.segment_name().ok()??, name)),
        Format::Pe | Format::Coff if name.len() > 8 => None,
        _ => Some(name),
    }
}

/// Checks one thin image (whole file or slice) against object and goblin.
/// Returns how many sections were compared.
fn check_image(path: &Path, slice: &pkgimg::Slice<'_>) -> usize {
    let bytes = slice.bytes();
    let base = slice.range().offset;
    let ctx = format!("{} slice {:?}", path.display(), slice.index());
    let Ok(obj) = object::File::parse(bytes) else {
        // No reference answer: pkgimg must still not panic.
        let _ = slice.find_ji_payload();
        return 0;
    };
    let (format, bits, arch) = object_identity(&obj);
    let ours = match slice.find_section(pkgimg::container_name(format)) {
        Ok(lookup) => Some(lookup),
        // Malformed corpus files: two containers, or one whose data is outside
        // the file. object reads lazily and accepts both; the per-section
        // comparison below checks that pkgimg's refusal is the right one.
        Err(pkgimg::Error::Ambiguous { .. } | pkgimg::Error::Truncated { .. }) => None,
        Err(e) => panic!("{ctx}: {e}"),
    };
    // Identity from any successful lookup (a name no image has).
    let ours_image = slice.find_section(if format == Format::MachO { "__NONE,__none" } else { ".none" }).unwrap();
    let ours_section = ours.and_then(|l| l.section);
    let ours = Lookup { image: ours_image.image, section: ours_section };
    let found_container = ours_section.is_some();
    assert_eq!((ours.image.format, ours.image.bits), (format, bits), "{ctx}: identity");
    if let Some(arch) = arch {
        assert_eq!(ours.image.arch.to_string(), arch, "{ctx}: architecture");
    }
    let le = obj.is_little_endian();
    assert_eq!(ours.image.endian == pkgimg::Endian::Little, le, "{ctx}: byte order");

    // Every section whose name is unique: same range as object gives.
    let mut names: Vec<(String, Option<(u64, u64)>)> = Vec::new();
    for section in obj.sections() {
        if let Some(name) = section_name(format, &section) {
            names.push((name, section.file_range()));
        }
    }
    let mut compared = 0;
    for (name, range) in &names {
        if names.iter().filter(|(n, _)| n == name).count() > 1 {
            let err = slice.find_section(name).unwrap_err();
            assert!(matches!(err, pkgimg::Error::Ambiguous { .. }), "{ctx}: {name}: {err}");
            continue;
        }
        let expected = range.map(|(o, s)| FileRange { offset: base + o, size: s });
        match slice.find_section(name) {
            Ok(Lookup { section, .. }) => {
                // object reports no range for NOBITS/zero-fill; pkgimg reports size 0 there.
                let got = section.filter(|r| r.size != 0 || expected.is_some());
                let expected = expected.filter(|r| r.size != 0 || got.is_some());
                assert_eq!(got, expected, "{ctx}: section {name}")
            }
            // object does not check that data lies in the file; pkgimg does.
            Err(pkgimg::Error::Truncated { .. }) => assert!(range.is_some_and(|(o, s)| o + s > bytes.len() as u64)),
            Err(e) => panic!("{ctx}: section {name}: {e}"),
        }
        compared += 1;
    }
    let container = names.iter().find(|(n, _)| n == pkgimg::container_name(format));
    if container.is_none() {
        assert_eq!(ours.section, None, "{ctx}: object sees no container");
    }
    if found_container || container.is_none() {
        check_goblin(&ctx, bytes, base, format, ours);
    }
    compared
}

/// goblin's view of the container: same range, or both absent.
fn check_goblin(ctx: &str, bytes: &[u8], base: u64, format: Format, ours: Lookup) {
    let Ok(parsed) = goblin::Object::parse(bytes) else { return };
    let theirs: Option<(u64, u64)> = match parsed {
        goblin::Object::Elf(elf) => {
            let mut found = elf.section_headers.iter().filter(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".jlji"));
            let sh = found.next();
            assert!(found.next().is_none() || ours.section.is_none());
            sh.map(|sh| {
                (sh.sh_offset, if sh.sh_type == goblin::elf::section_header::SHT_NOBITS { 0 } else { sh.sh_size })
            })
        }
        goblin::Object::Mach(goblin::mach::Mach::Binary(macho)) => macho
            .segments
            .sections()
            .flatten()
            .filter_map(Result::ok)
            .find(|(s, _)| s.segname().ok() == Some("__JULIA") && s.name().ok() == Some("__ji"))
            .map(|(s, _)| (u64::from(s.offset), s.size)),
        // The PE spec: raw data is padded to FileAlignment, VirtualSize is the real length.
        goblin::Object::PE(pe) => pe
            .sections
            .iter()
            .find(|s| &s.name == b".jlji\0\0\0")
            .map(|s| (u64::from(s.pointer_to_raw_data), u64::from(s.virtual_size.min(s.size_of_raw_data)))),
        goblin::Object::COFF(coff) => coff
            .sections
            .iter()
            .find(|s| &s.name == b".jlji\0\0\0")
            .map(|s| (u64::from(s.pointer_to_raw_data), u64::from(s.size_of_raw_data))),
        _ => return,
    };
    let theirs = theirs.map(|(o, s)| FileRange { offset: base + o, size: s });
    assert_eq!(ours.section, theirs, "{ctx}: goblin's {format} container");
}

fn check_file(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Ok(slices) = pkgimg::slices(&bytes) else { return 0 };
    slices.filter_map(Result::ok).map(|slice| check_image(path, &slice)).sum()
}

#[test]
fn corpus_agrees_with_goblin_and_object() {
    let files = common::files_under(&common::corpus());
    let objects: Vec<_> = files
        .iter()
        .filter(|p| !p.extension().is_some_and(|e| e == "json" || e == "md" || e == "py" || e == "c" || e == "s"))
        .collect();
    assert!(objects.len() >= 20, "corpus has {} files; run python3 corpus/build.py", objects.len());
    let compared: usize = objects.iter().map(|p| check_file(p)).sum();
    assert!(compared > 100, "only {compared} sections compared");
}

/// Shared libraries that ship with this machine and its Rust toolchain:
/// layouts by other linkers and other build systems than the corpus's.
fn system_libraries() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(".so")))
            .collect();
        libs.sort();
        out.extend(libs.into_iter().step_by(7).take(60));
    }
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().expect("rustc");
    let lib = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim()).join("lib");
    if let Ok(entries) = std::fs::read_dir(&lib) {
        out.extend(
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "so")),
        );
    }
    out
}

#[test]
fn system_libraries_agree_with_goblin_and_object() {
    let libs = system_libraries();
    assert!(libs.len() >= 10, "expected system libraries, found {}", libs.len());
    let compared: usize = libs.iter().map(|p| check_file(p)).sum();
    assert!(compared > 1000, "only {compared} sections compared");
    // librustc_driver carries rustc's own metadata section.
    let driver = libs.iter().find(|p| p.to_string_lossy().contains("librustc_driver")).expect("librustc_driver");
    let bytes = std::fs::read(driver).unwrap();
    let rustc = pkgimg::find_section(&bytes, ".rustc").unwrap();
    assert!(rustc.section.is_some_and(|r| r.size > 1000), "{rustc:?}");
}

/// `llvm-objcopy --add-section` and GNU ld lay the container out their own way.
#[test]
fn objcopy_and_gnu_ld_outputs() {
    if !common::require_tool("llvm-objcopy") || !common::require_tool("gcc") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("pkgimg-oracles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let payload: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let container = common::model::container(128, &payload);
    std::fs::write(dir.join("c.bin"), &container).unwrap();
    std::fs::write(dir.join("lib.c"), "int pkgimg_answer(void) { return 42; }\n").unwrap();
    let run = |cmd: &mut Command| {
        let out = cmd.current_dir(&dir).output().unwrap();
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(Command::new("gcc").args(["-shared", "-fPIC", "-o", "lib.so", "lib.c"]));
    run(Command::new("gcc").args(["-c", "-o", "lib.o", "lib.c"]));
    for (input, output) in [("lib.so", "added.so"), ("lib.o", "added.o")] {
        run(Command::new("llvm-objcopy").args([
            "--add-section",
            ".jlji=c.bin",
            "--set-section-alignment",
            ".jlji=64",
            input,
            output,
        ]));
        let bytes = std::fs::read(dir.join(output)).unwrap();
        let p = pkgimg::find_ji_payload(&bytes).unwrap_or_else(|e| panic!("{output}: {e}"));
        assert_eq!(p.data(), &payload[..]);
        p.verify().unwrap();
        assert!(check_file(&dir.join(output)) > 5);
        // Twice is ambiguous.
        run(Command::new("llvm-objcopy").args(["--add-section", ".jlji=c.bin", output, "twice"]));
        let twice = std::fs::read(dir.join("twice")).unwrap();
        assert!(matches!(pkgimg::find_ji_payload(&twice), Err(pkgimg::Error::Ambiguous { .. })));
    }
    std::fs::remove_dir_all(&dir).ok();
}
