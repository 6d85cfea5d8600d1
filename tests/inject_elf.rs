//! Post-link injection into ELF files: the result still loads (dlopen in a
//! child process), peer tools read it without a warning, and the payload is
//! found exactly; replacing, refusing, the section-count escape, `strip`, and
//! what a failure or a kill leaves behind.
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
#[path = "fixtures/inject/util.rs"]
mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pkgimg::inject::{inject, inject_in_place, InjectError, InjectOptions};
use util::{assert_clean, assert_payload, fixture, inject_plain, names_in, ok, options, write_payload};

/// Builds tests/fixtures/inject/answer.c as a shared object with gcc.
fn gcc_answer(dir: &Path) -> PathBuf {
    let out = dir.join("libanswer.so");
    util::compile(&["gcc"], &["-shared", "-fPIC", "-O1", fixture("answer.c").to_str().unwrap()], &out);
    out
}

/// Builds the dlopen loader.
fn loader(dir: &Path) -> PathBuf {
    let out = dir.join("dlopen_call");
    util::compile(&["gcc"], &[fixture("dlopen_call.c").to_str().unwrap(), "-ldl"], &out);
    out
}

/// dlopen + dlsym + call in a child process; returns what it printed.
fn call(loader: &Path, lib: &Path, symbol: &str, kind: &str) -> String {
    ok(Command::new(loader).arg(lib).arg(symbol).arg(kind))
}

/// Both peer readers accept the file without a warning.
fn assert_readers_clean(path: &Path, full: bool) {
    if full {
        assert_clean("readelf", &["-a", "-W"], path);
        assert_clean("llvm-readobj", &["--all"], path);
    } else {
        assert_clean("readelf", &["-h", "-l", "-S", "-W"], path);
        assert_clean("llvm-readobj", &["--file-headers", "--program-headers", "--sections"], path);
    }
}

/// goblin and object parse the file and see `.jlji` (not allocated) holding
/// the frame and the payload at `payload_at`.
fn assert_parsers_agree(path: &Path, payload_at: u64, payload_len: usize) {
    use object::{Object, ObjectSection};
    let bytes = fs::read(path).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap_or_else(|e| panic!("goblin: {}: {e}", path.display()));
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".jlji"))
        .unwrap_or_else(|| panic!("goblin finds no .jlji in {}", path.display()));
    assert_eq!(sh.sh_flags, 0, "no SHF_ALLOC");
    assert_eq!(sh.sh_type, goblin::elf::section_header::SHT_PROGBITS);
    assert_eq!(sh.sh_offset + 64, payload_at);
    assert_eq!(sh.sh_size, 64 + payload_len as u64);
    let file = object::File::parse(&*bytes).unwrap_or_else(|e| panic!("object: {}: {e}", path.display()));
    let section = file.section_by_name(".jlji").expect("object finds .jlji");
    assert_eq!(section.file_range(), Some((payload_at - 64, 64 + payload_len as u64)));
    assert_eq!(&section.data().unwrap()[..8], b"\x89JLJI\r\n\x1a");
}

/// Where `pkgimg::inject` puts things (src/elf/inject.rs; a writer's choice,
/// which readers must not rely on): the name table ends where the section
/// header table starts, the header table ends less than a word below the
/// frame, and the page-aligned payload ends the file, so that a lookup reads
/// page 0 and one run of bytes just below the payload.
fn assert_placement(path: &Path, payload_at: u64, payload_len: usize) {
    let bytes = fs::read(path).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let (shoff, entsize) = (elf.header.e_shoff, u64::from(elf.header.e_shentsize));
    let table_end = shoff + entsize * elf.section_headers.len() as u64;
    let frame = payload_at - 64;
    let word = if elf.is_64 { 8 } else { 4 };
    assert_eq!(shoff % word, 0, "{}: e_shoff {shoff:#x} is aligned", path.display());
    assert!(table_end <= frame && frame - table_end < word, "{}: table ends at {table_end:#x}", path.display());
    let names = &elf.section_headers[usize::from(elf.header.e_shstrndx)];
    assert_eq!(names.sh_offset + names.sh_size, shoff, "{}: the name table precedes the header table", path.display());
    assert_eq!(bytes.len() as u64, payload_at + payload_len as u64, "{}: the payload ends the file", path.display());
}

/// ELF header byte ranges injection may change: e_shoff, e_shentsize..e_shstrndx.
fn elf_header_fields(bytes: &[u8]) -> Vec<(usize, usize)> {
    if bytes[4] == 2 {
        vec![(40, 48), (58, 64)]
    } else {
        vec![(32, 36), (46, 52)]
    }
}

/// Injects into a copy of `lib`, and checks everything that does not need to run it.
fn inject_and_check(dir: &Path, lib: &Path, payload_len: usize, full_readers: bool) -> PathBuf {
    let name = lib.file_name().unwrap().to_string_lossy().into_owned();
    let input = dir.join(format!("in-{name}"));
    fs::copy(lib, &input).unwrap();
    let before = fs::read(&input).unwrap();
    let replace = pkgimg::find_section(&before, ".jlji").map(|l| l.section.is_some()).unwrap_or(false);
    let (payload, expected) = write_payload(dir, &format!("{name}.payload"), payload_len, payload_len as u64);
    let out = dir.join(format!("out-{name}"));
    let report = inject(&input, &payload, &out, options(replace)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fs::read(&input).unwrap(), before, "the input is untouched");
    let at = assert_payload(&out, &expected);
    assert_eq!((report.payload_offset, report.payload_size), (at, payload_len as u64));
    assert_eq!(report.output_size, fs::metadata(&out).unwrap().len());
    let after = fs::read(&out).unwrap();
    if !replace {
        util::assert_prefix_except(&before, &after, &elf_header_fields(&before));
        // The output is the input, less than a page of padding, the frame, the
        // payload and the two tables: the payload is in it once.
        assert!(after.len() < before.len() + 4096 + payload_len + 64 + before.len().min(1 << 20) + 8192);
    }
    assert_readers_clean(&out, full_readers);
    assert_parsers_agree(&out, at, payload_len);
    assert_placement(&out, at, payload_len);
    out
}

#[test]
fn gcc_shared_object_still_loads() {
    if !common::require_tool("gcc") || !common::require_tool("readelf") || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    let dl = loader(dir.path());
    let before = call(&dl, &lib, "pkgimg_answer", "int");
    assert_eq!(before, "40\n");
    let out = inject_and_check(dir.path(), &lib, 100_000, true);
    assert_eq!(call(&dl, &out, "pkgimg_answer", "int"), before);
    // The loader sees the same program headers: same bytes at the same place.
    let (a, b) = (fs::read(&lib).unwrap(), fs::read(&out).unwrap());
    let a = goblin::elf::Elf::parse(&a).unwrap();
    let b = goblin::elf::Elf::parse(&b).unwrap();
    assert_eq!(a.program_headers, b.program_headers);
}

#[test]
fn system_libraries_still_load() {
    if !common::require_tool("gcc") || !common::require_tool("readelf") || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dl = loader(dir.path());
    let libs = [
        ("/usr/lib/x86_64-linux-gnu/libz.so.1", "zlibVersion", "str", true),
        ("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", "LLVMIsMultithreaded", "int", false),
    ];
    for (lib, symbol, kind, full) in libs {
        let lib = Path::new(lib);
        if !lib.exists() {
            assert!(!common::in_ci(), "{} is missing; .ci/run should install it", lib.display());
            eprintln!("SKIPPED: {} is not installed", lib.display());
            continue;
        }
        let before = call(&dl, lib, symbol, kind);
        let out = inject_and_check(dir.path(), lib, 3 << 20, full);
        assert_eq!(call(&dl, &out, symbol, kind), before, "{}", lib.display());
    }
}

/// The shared objects and relocatable objects of the corpus (most already
/// carry a payload, which is replaced): each reads cleanly and carries the new
/// payload, and the x86_64 shared objects still load and answer.
#[test]
fn corpus_elf_files() {
    let corpus = common::corpus();
    if !corpus.exists() {
        eprintln!("SKIPPED: no corpus/ yet");
        return;
    }
    if !common::require_tool("readelf") || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dl = loader(dir.path());
    let (mut seen, mut loaded) = (0, 0);
    for path in common::files_under(&corpus) {
        let Ok(bytes) = fs::read(&path) else { continue };
        let ok = bytes.starts_with(b"\x7fELF")
            && path.extension().is_some_and(|e| e == "so" || e == "o")
            && !path.components().any(|c| c.as_os_str() == "malformed");
        if !ok {
            continue;
        }
        let out = inject_and_check(dir.path(), &path, 10_000, false);
        // Every x86_64 library of the corpus exports `int pkgimg_answer(void)`.
        if bytes[4] == 2 && bytes[5] == 1 && bytes[16..20] == [3, 0, 62, 0] {
            let before = call(&dl, &path, "pkgimg_answer", "int");
            assert_eq!(call(&dl, &out, "pkgimg_answer", "int"), before, "{}", path.display());
            loaded += 1;
        }
        seen += 1;
    }
    eprintln!("injected into {seen} corpus ELF files, {loaded} of them loaded before and after");
    assert!(loaded > 0, "the corpus has x86_64 shared objects");
}

/// Big-endian and 32-bit shared objects built by zig's clang and lld.
#[test]
fn big_endian_and_32_bit() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let targets = [
        ("s390x-linux-musl", 64, pkgimg::Endian::Big),
        ("powerpc64-linux-musl", 64, pkgimg::Endian::Big),
        ("mips-linux-musl", 32, pkgimg::Endian::Big),
        ("x86-linux-musl", 32, pkgimg::Endian::Little),
        ("arm-linux-musleabihf", 32, pkgimg::Endian::Little),
    ];
    for (target, bits, endian) in targets {
        let lib = dir.path().join(format!("libanswer-{target}.so"));
        let zig = ["python3", "-m", "ziglang", "cc", "-target", target];
        util::compile(&zig, &["-shared", "-fPIC", "-nostdlib", "-O1", fixture("answer.c").to_str().unwrap()], &lib);
        let out = inject_and_check(dir.path(), &lib, 5000, false);
        assert_clean("llvm-readobj", &["--all"], &out);
        let bytes = fs::read(&out).unwrap();
        let p = pkgimg::find_ji_payload(&bytes).unwrap();
        assert_eq!((p.bits(), p.endian()), (bits, endian), "{target}");
    }
}

/// Relocatable objects from gcc and from clang (zig cc) take a payload, the
/// linker accepts them, and the linked library still answers; GNU ld copies
/// the non-allocated `.jlji` into it whole, so the payload is found there too
/// (the frame's offset is relative), though no longer page-aligned.
#[test]
fn relocatable_objects_link_after_injection() {
    if !common::require_tool("gcc") || !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = util::tempdir();
    let dl = loader(dir.path());
    let source = fixture("answer.c");
    let zig = ["python3", "-m", "ziglang", "cc", "-target", "x86_64-linux-gnu"];
    for (name, compiler) in [("gcc", &["gcc"][..]), ("clang", &zig[..])] {
        let object = dir.path().join(format!("{name}.o"));
        util::compile(compiler, &["-c", "-fPIC", "-O1", source.to_str().unwrap()], &object);
        let (payload, expected) = write_payload(dir.path(), "p", 12_345, 21);
        let injected = dir.path().join(format!("{name}-injected.o"));
        inject_plain(&object, &payload, &injected).unwrap();
        assert_payload(&injected, &expected);
        assert_readers_clean(&injected, true);
        let linked = dir.path().join(format!("lib{name}.so"));
        util::compile(&["gcc"], &["-shared", injected.to_str().unwrap()], &linked);
        assert_eq!(call(&dl, &linked, "pkgimg_answer", "int"), "40\n");
        let bytes = fs::read(&linked).unwrap();
        let p = pkgimg::find_ji_payload(&bytes).unwrap();
        assert_eq!(p.data(), &expected[..]);
        p.verify().unwrap();
    }
}

/// Compiles an assembly file with `count` one-byte sections into an object.
fn many_sections(dir: &Path, count: usize) -> PathBuf {
    let mut asm = String::with_capacity(count * 40);
    for i in 0..count {
        asm.push_str(&format!(".section .s{i},\"a\",@progbits\n.byte {}\n", i % 256));
    }
    let source = dir.join(format!("many{count}.s"));
    fs::write(&source, asm).unwrap();
    let out = dir.join(format!("many{count}.o"));
    util::compile(&["gcc"], &["-c", source.to_str().unwrap()], &out);
    out
}

/// Section counts at and past SHN_LORESERVE (0xff00) move into section 0.
#[test]
fn section_count_extension() {
    if !common::require_tool("gcc") || !common::require_tool("llvm-readobj") || !common::require_tool("readelf") {
        return;
    }
    use object::{Object, ObjectSection};
    let dir = util::tempdir();
    // 0xff00 - 4 user sections: with the null section, .text/.data/.bss,
    // .symtab, .strtab and .shstrtab the input stays below 0xff00, and adding
    // .jlji crosses it. 65300 sections: escaped before and after.
    for user in [0xff00 - 8, 65300] {
        let input = many_sections(dir.path(), user);
        let before = fs::read(&input).unwrap();
        let shnum_before = u16::from_le_bytes([before[60], before[61]]);
        let (payload, expected) = write_payload(dir.path(), "p", 777, 7);
        let out = dir.path().join(format!("out{user}.o"));
        inject_plain(&input, &payload, &out).unwrap();
        let bytes = fs::read(&out).unwrap();
        let count_before = object::File::parse(&*before).unwrap().sections().count();
        let file = object::File::parse(&*bytes).unwrap();
        assert_eq!(file.sections().count(), count_before + 1);
        let jlji = file.section_by_name(".jlji").unwrap();
        assert_eq!(jlji.index().0, count_before + 1, "appended last (object skips the null section)");
        let total = count_before + 2;
        let (shnum, shstrndx) =
            (u16::from_le_bytes([bytes[60], bytes[61]]), u16::from_le_bytes([bytes[62], bytes[63]]));
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        if total >= 0xff00 {
            assert_eq!(shnum, 0, "e_shnum escaped");
            assert_eq!(elf.section_headers[0].sh_size, total as u64);
        } else {
            assert_eq!(usize::from(shnum), total);
        }
        if user == 65300 {
            assert_eq!((shnum_before, shstrndx), (0, 0xffff), "both escaped in the input and the output");
        } else {
            assert_ne!(shnum_before, 0, "the input did not need the escape");
        }
        let headers = assert_clean("llvm-readobj", &["--file-headers"], &out);
        assert!(headers.contains(&format!("SectionHeaderCount: {}", if total >= 0xff00 { 0 } else { total })));
        assert_clean("readelf", &["-h", "-S", "-W"], &out);
        assert_payload(&out, &expected);
    }
}

/// What `strip` does to an injected file (documented in src/elf/inject.rs):
/// the payload is found intact, or not at all; never garbage.
#[test]
fn strip_keeps_or_removes_but_never_corrupts() {
    if !common::require_tool("gcc") || !common::require_tool("strip") || !common::require_tool("llvm-strip") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    let dl = loader(dir.path());
    let (payload, expected) = write_payload(dir.path(), "p", 50_000, 3);
    let out = dir.path().join("injected.so");
    inject_plain(&lib, &payload, &out).unwrap();
    let stripped = |tool: &str, args: &[&str]| -> Result<Vec<u8>, pkgimg::Error> {
        let dest = dir.path().join(format!("{tool}{}.so", args.len()));
        ok(Command::new(tool).args(args).arg("-o").arg(&dest).arg(&out));
        assert_eq!(call(&dl, &dest, "pkgimg_answer", "int"), "40\n");
        let bytes = fs::read(&dest).unwrap();
        pkgimg::find_ji_payload(&bytes).map(|p| p.data().to_vec())
    };
    // GNU strip keeps unknown non-allocated sections; the frame moves with it.
    assert_eq!(stripped("strip", &[]).unwrap(), expected);
    assert!(matches!(stripped("strip", &["--remove-section=.jlji"]), Err(pkgimg::Error::NoContainer { .. })));
    // llvm-strip drops non-allocated sections it does not know, unless told.
    assert!(matches!(stripped("llvm-strip", &[]), Err(pkgimg::Error::NoContainer { .. })));
    assert_eq!(stripped("llvm-strip", &["--keep-section=.jlji"]).unwrap(), expected);
}

#[test]
fn replacing_keeps_one_payload_and_refusing_writes_nothing() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    let dl = loader(dir.path());
    let (first, first_bytes) = write_payload(dir.path(), "first", 300_000, 1);
    let (second, second_bytes) = write_payload(dir.path(), "second", 300_000, 2);
    let once = dir.path().join("once.so");
    inject_plain(&lib, &first, &once).unwrap();

    let twice = dir.path().join("twice.so");
    let err = inject_plain(&once, &second, &twice).unwrap_err();
    assert!(matches!(err, InjectError::AlreadyHasPayload { .. }), "{err}");
    assert!(err.to_string().contains("once.so: already carries a payload"), "{err}");
    assert!(!twice.exists());

    let report = inject(&once, &second, &twice, options(true)).unwrap();
    assert!(report.replaced);
    assert_payload(&twice, &second_bytes);
    // The old tables and container are dropped and the new ones land where
    // they were: the same size, for a payload of the same size.
    let (a, b) = (fs::metadata(&once).unwrap().len(), fs::metadata(&twice).unwrap().len());
    assert_eq!(a, b, "once {a} bytes, twice {b} bytes");
    assert_placement(&twice, report.payload_offset, 300_000);
    let bytes = fs::read(&twice).unwrap();
    assert!(!util::contains(&bytes, &first_bytes[..64]), "the old payload is gone");
    assert_eq!(call(&dl, &twice, "pkgimg_answer", "int"), "40\n");
    assert_clean("readelf", &["-a", "-W"], &twice);

    // A smaller and a larger payload replace it too, and a third round keeps the size.
    for (len, seed) in [(10, 4), (2_000_000, 5), (2_000_000, 6)] {
        let (p, expected) = write_payload(dir.path(), "next", len, seed);
        inject_in_place(&twice, &p, options(true)).unwrap();
        assert_payload(&twice, &expected);
        assert_clean("llvm-readobj", &["--all"], &twice);
    }
    let (len_once, len_now) = (fs::metadata(&once).unwrap().len(), fs::metadata(&twice).unwrap().len());
    assert_eq!(len_now - 2_000_000, len_once - 300_000, "only the payload's size changed the file's");
}

/// tests/fixtures/inject/old-layout.so was written by pkgimg before the
/// tables moved in front of the container (see old-layout.md beside it): zero padding,
/// frame, payload, then the name and section header tables. Replacing its
/// payload drops all of that, the old tables included, and gives exactly
/// what injecting into the library it was made from gives; replacing again
/// changes nothing.
#[test]
fn replacing_into_the_old_layout() {
    if !common::require_tool("gcc") || !common::require_tool("readelf") || !common::require_tool("llvm-readobj") {
        return;
    }
    use object::{Object, ObjectSection};
    let dir = util::tempdir();
    let dl = loader(dir.path());
    let old = fixture("old-layout.so");
    let old_bytes = fs::read(&old).unwrap();
    // It is what old-layout.md says: the tables after the payload.
    let file = object::File::parse(&*old_bytes).unwrap();
    let (frame, len) = file.section_by_name(".jlji").unwrap().file_range().unwrap();
    let shoff = u64::from_le_bytes(old_bytes[40..48].try_into().unwrap());
    assert!(shoff >= frame + len, "the fixture's section header table follows its container");
    let old_payload = pkgimg::find_ji_payload(&old_bytes).unwrap().data().to_vec();
    assert_eq!(old_payload.len(), 5000);

    let (payload, expected) = write_payload(dir.path(), "p", 5000, 8);
    let replaced = dir.path().join("replaced.so");
    let report = inject(&old, &payload, &replaced, options(true)).unwrap();
    assert!(report.replaced);
    let at = assert_payload(&replaced, &expected);
    assert_readers_clean(&replaced, true);
    assert_parsers_agree(&replaced, at, 5000);
    assert_placement(&replaced, at, 5000);
    let bytes = fs::read(&replaced).unwrap();
    assert!(!util::contains(&bytes, &old_payload[..64]), "the old payload is gone");
    let original = common::corpus().join("nopayload/x86_64-linux-musl.so");
    let answer = call(&dl, &original, "pkgimg_answer", "int");
    assert_eq!(call(&dl, &old, "pkgimg_answer", "int"), answer);
    assert_eq!(call(&dl, &replaced, "pkgimg_answer", "int"), answer);
    // The old container's page of padding went with it: not one byte more
    // than injecting into the original library.
    let fresh = dir.path().join("fresh.so");
    inject_plain(&original, &payload, &fresh).unwrap();
    assert_eq!(bytes, fs::read(&fresh).unwrap(), "the same bytes as a first injection into the original");
    assert!(bytes.len() < old_bytes.len());

    let again = dir.path().join("again.so");
    inject(&replaced, &payload, &again, options(true)).unwrap();
    assert_eq!(fs::read(&again).unwrap(), bytes, "replacing again changes nothing");

    // Review 18 F6: bytes appended after the tables are no part of what
    // --replace drops; they were cut silently. Zeros there are padding.
    for (trailer, refused) in [(vec![0u8; 999], false), ([vec![0u8; 10], vec![7u8; 989]].concat(), true)] {
        let appended = dir.path().join("appended.so");
        fs::write(&appended, [bytes.clone(), trailer].concat()).unwrap();
        let result = inject(&appended, &payload, &dir.path().join("out.so"), options(true));
        match (result, refused) {
            (Err(e), true) => {
                let at = bytes.len() + 10;
                assert!(e.to_string().contains(&format!("bytes from {at:#x} on are not the old payload")), "{e}");
            }
            (Ok(_), false) => assert_eq!(fs::read(dir.path().join("out.so")).unwrap(), bytes),
            (other, _) => panic!("refused {refused}: {other:?}"),
        }
    }
}

/// A 32-bit ELF file cannot address past 4 GiB: a payload that would end
/// there is refused before a byte is copied (the payload here is a hole).
#[test]
fn elf32_output_past_4_gib_is_refused() {
    let dir = util::tempdir();
    let payload = dir.path().join("huge");
    fs::File::create(&payload).unwrap().set_len(1 << 32).unwrap();
    let lib = common::corpus().join("elf/x86-linux-musl.so");
    let out = dir.path().join("out.so");
    let err = inject(&lib, &payload, &out, options(true)).unwrap_err();
    assert!(matches!(err, InjectError::Refused { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("ELF .jlji section at 0x"), "{message}");
    assert!(message.ends_with("the output would pass 4 GiB, which a 32-bit ELF file cannot address"), "{message}");
    assert!(!out.exists());
}

/// A library whose section headers were removed (as `sstrip` does) gets a
/// fresh table: null section, `.jlji`, `.shstrtab`.
#[test]
fn no_section_headers() {
    if !common::require_tool("gcc") || !common::require_tool("readelf") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    let dl = loader(dir.path());
    let mut bytes = fs::read(&lib).unwrap();
    bytes[40..48].fill(0); // e_shoff
    bytes[60..64].fill(0); // e_shnum, e_shstrndx
    let bare = dir.path().join("bare.so");
    fs::write(&bare, &bytes).unwrap();
    let (payload, expected) = write_payload(dir.path(), "p", 1000, 9);
    let out = dir.path().join("out.so");
    inject_plain(&bare, &payload, &out).unwrap();
    let at = assert_payload(&out, &expected);
    assert_placement(&out, at, 1000);
    let sections = assert_clean("readelf", &["-S", "-W"], &out);
    assert!(sections.contains(".jlji") && sections.contains(".shstrtab"), "{sections}");
    assert_eq!(call(&dl, &out, "pkgimg_answer", "int"), "40\n");
}

#[test]
fn in_place_keeps_mode_and_symlink() {
    if !common::require_tool("gcc") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    fs::set_permissions(&lib, fs::Permissions::from_mode(0o751)).unwrap();
    let link = dir.path().join("libanswer.so.1");
    std::os::unix::fs::symlink("libanswer.so", &link).unwrap();
    let (payload, expected) = write_payload(dir.path(), "p", 4096 * 3, 11);
    let report = inject_in_place(&link, &payload, InjectOptions::default()).unwrap();
    assert_eq!(report.output, fs::canonicalize(&lib).unwrap());
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::metadata(&lib).unwrap().permissions().mode() & 0o7777, 0o751);
    assert_payload(&link, &expected);
    assert_eq!(names_in(dir.path()), ["libanswer.so", "libanswer.so.1", "p"]);
}

/// Errors part-way through: the destination is not created (or not touched),
/// the input is unchanged, and no temporary file is left.
#[test]
fn failure_midway_leaves_nothing() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    let input = fs::read(&lib).unwrap();
    let payload = dir.path().join("big");
    // 150 MiB, mostly a hole: the copy takes three steps.
    let file = fs::File::create(&payload).unwrap();
    file.set_len(150 << 20).unwrap();
    drop(file);
    let out = dir.path().join("out.so");
    fs::write(&out, b"previous contents").unwrap();

    // The payload shrinks after the first step: the copy comes up short.
    let shrink = payload.clone();
    let options = InjectOptions {
        progress: Some(Box::new(move |done, _| {
            if done > 0 {
                fs::OpenOptions::new().write(true).open(&shrink).unwrap().set_len(1 << 20).unwrap();
            }
        })),
        ..InjectOptions::default()
    };
    let err = inject(&lib, &payload, &out, options).unwrap_err();
    assert!(err.to_string().contains("big: payload at"), "{err}");
    assert_eq!(fs::read(&out).unwrap(), b"previous contents");
    assert_eq!(fs::read(&lib).unwrap(), input);
    assert_eq!(names_in(dir.path()), ["big", "libanswer.so", "out.so"]);

    // The payload changes during the copy: refused, rather than an output
    // whose payload mixes old and new bytes (under a CRC that matches them).
    let fresh = dir.path().join("fresh.so");
    let file = fs::File::create(&payload).unwrap();
    file.set_len(150 << 20).unwrap();
    drop(file);
    let scribble = payload.clone();
    let options = InjectOptions {
        progress: Some(Box::new(move |done, _| {
            if done > 0 {
                use std::os::unix::fs::FileExt;
                fs::OpenOptions::new()
                    .write(true)
                    .open(&scribble)
                    .unwrap()
                    .write_all_at(b"changed", 100 << 20)
                    .unwrap();
            }
        })),
        ..InjectOptions::default()
    };
    let err = inject(&lib, &payload, &fresh, options).unwrap_err();
    assert!(matches!(err, InjectError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("big: payload at 0x0: the file changed while it was copied"), "{err}");
    assert!(!fresh.exists());
    assert_eq!(fs::read(&lib).unwrap(), input);
    assert_eq!(names_in(dir.path()), ["big", "libanswer.so", "out.so"]);
}

const CHILD_ENV: &str = "PKGIMG_TEST_KILL_DIR";

/// Not a test by itself: the body of the child process that
/// `killed_mid_copy_leaves_nothing` starts and kills.
#[test]
#[ignore = "run by killed_mid_copy_leaves_nothing in a child process"]
fn child_injects_slowly() {
    let dir = PathBuf::from(std::env::var_os(CHILD_ENV).expect("run by killed_mid_copy_leaves_nothing"));
    let marker = dir.join("copying");
    let options = InjectOptions {
        progress: Some(Box::new(move |done, _| {
            if done > 0 {
                fs::write(&marker, done.to_string()).unwrap();
                std::thread::sleep(Duration::from_millis(300));
            }
        })),
        ..InjectOptions::default()
    };
    inject(&dir.join("lib.so"), &dir.join("payload"), &dir.join("out.so"), options).unwrap();
    panic!("the parent should have killed this process before the copy finished");
}

/// SIGKILL in the middle of the payload copy (512 MiB): the destination does
/// not exist, the input is unchanged, and only a `.pkgimg-` temporary is left.
#[test]
fn killed_mid_copy_leaves_nothing() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = util::tempdir();
    let lib = gcc_answer(dir.path());
    fs::rename(&lib, dir.path().join("lib.so")).unwrap();
    let input = fs::read(dir.path().join("lib.so")).unwrap();
    // 512 MiB with data every 8 MiB, holes between: real reads, little disk.
    let payload = fs::File::create(dir.path().join("payload")).unwrap();
    payload.set_len(512 << 20).unwrap();
    for i in 0..64u64 {
        use std::os::unix::fs::FileExt;
        payload.write_all_at(&util::payload_bytes(4096, i), i << 23).unwrap();
    }
    drop(payload);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_injects_slowly", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !dir.path().join("copying").exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "the child never started copying");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended before copying: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let copied: u64 = fs::read_to_string(dir.path().join("copying")).unwrap().parse().unwrap();
    assert!(copied < 512 << 20, "killed mid-copy");
    assert!(!dir.path().join("out.so").exists());
    assert_eq!(fs::read(dir.path().join("lib.so")).unwrap(), input);
    let names = names_in(dir.path());
    let leftovers: Vec<&String> =
        names.iter().filter(|n| !["copying", "lib.so", "payload"].contains(&n.as_str())).collect();
    assert!(leftovers.iter().all(|n| n.starts_with(".out.so.pkgimg-")), "{names:?}");
    assert_eq!(leftovers.len(), 1, "the temporary file of the killed run: {names:?}");
}

const RSS_ENV: &str = "PKGIMG_TEST_RSS_DIR";

/// Not a test by itself: the child process of `memory_does_not_grow_with_the_payload`.
#[test]
#[ignore = "run by memory_does_not_grow_with_the_payload in a child process"]
fn child_injects_and_reports_peak_memory() {
    let dir = PathBuf::from(std::env::var_os(RSS_ENV).expect("run by memory_does_not_grow_with_the_payload"));
    let report = inject_plain(&dir.join("lib.so"), &dir.join("payload"), &dir.join("out.so")).unwrap();
    assert_eq!(report.payload_size, 256 << 20);
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let peak = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    println!("PEAK {}", peak.trim_start_matches("VmHWM:").trim());
}

/// A 256 MiB payload (every page written, so it is really read and copied)
/// goes through a process whose peak resident memory stays far below it.
#[test]
fn memory_does_not_grow_with_the_payload() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = util::tempdir();
    fs::rename(gcc_answer(dir.path()), dir.path().join("lib.so")).unwrap();
    let block = util::payload_bytes(1 << 20, 99);
    let mut payload = Vec::new();
    for _ in 0..256 {
        payload.extend_from_slice(&block);
    }
    fs::write(dir.path().join("payload"), &payload).unwrap();
    drop(payload);
    let out = ok(Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_injects_and_reports_peak_memory", "--ignored", "--nocapture", "--test-threads=1"])
        .env(RSS_ENV, dir.path()));
    // The harness prints "test NAME ... " on the same line before the child's output.
    let line = out.split("PEAK ").nth(1).and_then(|l| l.lines().next()).unwrap_or_else(|| panic!("no PEAK in {out}"));
    let kb: u64 = line.trim_end_matches(" kB").trim().parse().unwrap();
    assert!(kb < 64 << 10, "peak resident memory {kb} kB for a 256 MiB payload");
    eprintln!("peak resident memory of the injecting process: {kb} kB");
    let bytes = fs::read(dir.path().join("out.so")).unwrap();
    let p = pkgimg::find_ji_payload(&bytes).unwrap();
    assert!(p.data().chunks(1 << 20).all(|c| c == &block[..]));
}

/// Bad inputs are refused with the file and the structure named.
#[test]
fn refusals_name_file_and_structure() {
    let dir = util::tempdir();
    let (payload, _) = write_payload(dir.path(), "p", 10, 1);
    let text = dir.path().join("text.so");
    fs::write(&text, b"not a library at all").unwrap();
    let err = inject_plain(&text, &payload, &dir.path().join("o")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: not an ELF, Mach-O, PE or COFF file (first bytes 6e 6f 74 20)", text.display())
    );
    let empty = dir.path().join("empty.so");
    fs::write(&empty, b"").unwrap();
    let err = inject_plain(&empty, &payload, &dir.path().join("o")).unwrap_err();
    // Issue 14: an empty library is "empty file", as scan says, not "first bytes 00 00 00 00".
    assert_eq!(err.to_string(), format!("{}: cannot use it as the library: empty file", empty.display()));
    let so = dir.path().join("lib.so");
    fs::write(&so, pkgimg::emit_object_to_vec("x86_64-unknown-linux-gnu", b"example payload").unwrap()).unwrap();
    let per_arch =
        InjectOptions { per_arch: vec![(pkgimg::Arch::X86_64, payload.clone())], ..InjectOptions::default() };
    let err = inject(&so, &payload, &dir.path().join("o"), per_arch).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: file header at 0x0: per-architecture payloads apply to universal Mach-O files only, not to ELF files",
            so.display()
        )
    );
    fs::remove_file(&so).unwrap();
    let missing = dir.path().join("missing.so");
    let err = inject_plain(&missing, &payload, &dir.path().join("o")).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{}: cannot open the library: ", missing.display())), "{err}");
    // An ELF header whose section table runs past the end of the file.
    let mut elf = vec![0u8; 64];
    elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
    elf[40..48].copy_from_slice(&0x1000u64.to_le_bytes());
    elf[58..60].copy_from_slice(&64u16.to_le_bytes());
    elf[60..62].copy_from_slice(&3u16.to_le_bytes());
    let bad = dir.path().join("bad.so");
    fs::write(&bad, &elf).unwrap();
    let err = inject_plain(&bad, &payload, &dir.path().join("o")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: ELF section header 0 at 0x1000 (64 bytes) runs past the end of the file (0x40 bytes)",
            bad.display()
        )
    );
    assert_eq!(names_in(dir.path()), ["bad.so", "empty.so", "p", "text.so"]);
}
