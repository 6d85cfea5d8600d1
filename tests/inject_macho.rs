//! Post-link injection into Mach-O dylibs: real linker outputs (zig's Mach-O
//! linker, lld's `ld64.lld` with chained fixups), thin and universal, signed
//! and unsigned. Every output is checked by tools that are not ours:
//!
//! - `rcodesign verify`: every page digest and special-slot digest of the new
//!   ad-hoc signature matches the file (a test proves it catches a flipped byte);
//! - `llvm-objdump --macho` and `llvm-otool-14 -l`: no warning;
//! - goblin: segments ascending and disjoint in file and memory, `__LINKEDIT`
//!   last, every `__LINKEDIT` offset inside it, `__JULIA,__ji` read-only;
//! - LIEF (Python): sees `__JULIA`, decodes the same binds, rebases and
//!   exports as in the input, prints no new diagnostics, and its
//!   `check_layout` (ld64's `__LINKEDIT` order, dyld's chained-fixups
//!   `seg_count` rule) passes wherever it passed on the input;
//! - zig links a program against the injected dylib;
//! - `pkgimg::payloads` finds exactly the payload in every slice, page-aligned.
//!
//! Under `CI=true` a missing tool fails the test (tests/common).
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
use std::sync::OnceLock;

use goblin::mach::load_command::CommandVariant;
use pkgimg::inject::{inject, InjectError, InjectOptions};
use pkgimg::Arch;
use util::{ok, run, write_payload};

const LIB_C: &str = r#"
#include <stdio.h>
int counter = 3;
/* Pointers in data: rebases, and a bind to libSystem. */
const char *names[] = { "alpha", "beta" };
int (*print)(const char *, ...) = printf;
const char *greeting(void) { return names[counter & 1]; }
int add(int a, int b) { counter++; print("%d\n", a); return a + b + counter; }
"#;

const MAIN_C: &str = r#"
int add(int, int);
const char *greeting(void);
int main(void) { return add(1, 2) + (greeting()[0] == 'a'); }
"#;

/// A minimal libSystem stub for ld64.lld (zig's own .tbd uses target names
/// lld does not parse).
const LIBSYSTEM_TBD: &str = "--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1311
exports:
  - targets:     [ x86_64-macos, arm64-macos ]
    symbols:     [ _printf, dyld_stub_binder ]
...
";

// ---------------------------------------------------------------- tools

fn zig() -> bool {
    common::require(&["python3", "-m", "ziglang", "version"])
}

fn lief() -> bool {
    common::require(&["python3", "-c", "import lief"])
}

/// rcodesign, from PATH or from `cargo install apple-codesign`.
fn rcodesign() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let candidates = [PathBuf::from("rcodesign"), home.join(".cargo/bin/rcodesign")];
    for candidate in &candidates {
        let works = Command::new(candidate).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
        if works {
            return Some(candidate.clone());
        }
    }
    common::require(&["rcodesign", "--version"]).then(|| PathBuf::from("rcodesign"))
}

/// The `rust-lld` shipped with the Rust toolchain running these tests; as
/// `-flavor darwin` it is ld64.lld, which writes chained fixups.
fn rust_lld() -> Option<PathBuf> {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let found = fs::read_dir(Path::new(&sysroot).join("lib/rustlib"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/rust-lld"))
        .find(|p| p.exists());
    match found {
        Some(p) => Some(p),
        None => common::require(&["rust-lld", "-flavor", "darwin", "--version"]).then(|| PathBuf::from("rust-lld")),
    }
}

// ---------------------------------------------------------------- fixtures

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inject_macho").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The dylibs the tests inject into, built once per run.
struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn zig_cc(target: &str, args: &[&str], out: &Path) {
    ok(Command::new("python3").args(["-m", "ziglang", "cc", "-target", target]).args(args).arg("-o").arg(out));
}

/// zig dylibs: arm64 (ad-hoc "linker-signed", 16 KiB signature pages) and
/// x86_64 (unsigned), with `LC_DYLD_INFO_ONLY`; and lld dylibs with chained
/// fixups and an exports trie, ad-hoc signed with 4 KiB pages.
fn fixtures() -> Option<&'static Fixtures> {
    static FIXTURES: OnceLock<Option<Fixtures>> = OnceLock::new();
    FIXTURES
        .get_or_init(|| {
            let llvm = ["llvm-lipo-14", "llvm-otool-14", "llvm-objdump"].iter().all(|t| common::require_tool(t));
            if !zig() || !llvm {
                return None;
            }
            let lld = rust_lld()?;
            let dir = scratch("fixtures");
            fs::write(dir.join("lib.c"), LIB_C).unwrap();
            fs::write(dir.join("main.c"), MAIN_C).unwrap();
            fs::write(dir.join("libSystem.tbd"), LIBSYSTEM_TBD).unwrap();
            let src = dir.join("lib.c");
            let src = src.to_str().unwrap();
            for (target, name) in [("aarch64-macos", "arm64"), ("x86_64-macos", "x86_64")] {
                zig_cc(target, &["-Os", "-shared", src], &dir.join(format!("zig-{name}.dylib")));
                zig_cc(
                    target,
                    &["-Os", "-shared", "-Wl,-headerpad,0x20", src],
                    &dir.join(format!("zig-{name}-pad32.dylib")),
                );
                zig_cc(target, &["-Os", "-c", src], &dir.join(format!("lib-{name}.o")));
                // lld leaves only 32 bytes after the load commands by default
                // (ld64 and zig leave most of a page): "-default" shows the
                // refusal, the others get room for the new command.
                for (suffix, pad) in [("", "0x1000"), ("-default", "0x20")] {
                    let mut link = Command::new(&lld);
                    link.args([
                        "-flavor",
                        "darwin",
                        "-dylib",
                        "-arch",
                        name,
                        "-platform_version",
                        "macos",
                        "13.0",
                        "13.0",
                    ])
                    .args(["-fixup_chains", "-adhoc_codesign", "-headerpad", pad, "-o"])
                    .arg(dir.join(format!("lld-{name}{suffix}.dylib")))
                    .arg(dir.join(format!("lib-{name}.o")))
                    .arg(dir.join("libSystem.tbd"));
                    ok(&mut link);
                }
            }
            zig_cc(
                "aarch64-macos",
                &["-Os", "-shared", "-Wl,-headerpad,0x10000", src],
                &dir.join("zig-arm64-pad64k.dylib"),
            );
            // A universal file whose slices are both signed: lld x86_64 (4 KiB
            // pages, chained fixups) and zig arm64 (16 KiB pages, opcodes).
            ok(Command::new("llvm-lipo-14")
                .arg("-create")
                .arg(dir.join("lld-x86_64.dylib"))
                .arg(dir.join("zig-arm64.dylib"))
                .arg("-output")
                .arg(dir.join("universal.dylib")));
            Some(Fixtures { dir })
        })
        .as_ref()
}

fn options() -> InjectOptions {
    InjectOptions::default()
}

// ---------------------------------------------------------------- oracles

fn page_of(cputype: u32) -> u64 {
    match cputype {
        0x0100_000c => 0x4000,
        0x0100_0007 => 0x1000,
        other => panic!("unexpected cputype {other:#x}"),
    }
}

/// Each slice's payload is exactly `expected[i]`, page-aligned, with the
/// frame right before it and a matching CRC.
fn assert_payloads(path: &Path, expected: &[&[u8]]) {
    let bytes = fs::read(path).unwrap();
    let found: Vec<_> = pkgimg::payloads(&bytes).unwrap().collect();
    assert_eq!(found.len(), expected.len(), "{}: number of images", path.display());
    for (item, want) in found.into_iter().zip(expected) {
        let (slice, payload) = item.unwrap();
        let payload = payload.unwrap_or_else(|e| panic!("{} slice {:?}: {e}", path.display(), slice.index()));
        assert!(payload.data() == *want, "{} slice {:?}: payload differs", path.display(), slice.index());
        payload.verify().unwrap();
        let cputype = u32::from_le_bytes(slice.bytes()[4..8].try_into().unwrap());
        let page = page_of(cputype);
        assert_eq!(
            payload.offset() % page,
            0,
            "{}: payload at {:#x} not on a {page}-byte page",
            path.display(),
            payload.offset()
        );
        assert_eq!(payload.container().offset + 64, payload.offset(), "frame right before the payload");
        assert_eq!(payload.container().size, 64 + want.len() as u64, "__ji is the frame and the payload");
    }
}

/// One image's segments and `__LINKEDIT` offsets, read with goblin.
fn check_image(slice: &[u8], label: &str) {
    let macho = goblin::mach::MachO::parse(slice, 0).unwrap_or_else(|e| panic!("{label}: goblin: {e}"));
    let segments: Vec<_> = macho.segments.iter().collect();
    let name = |s: &goblin::mach::segment::Segment| s.name().unwrap().to_string();
    let last = segments.last().unwrap();
    assert_eq!(name(last), "__LINKEDIT", "{label}: __LINKEDIT is the last segment command");
    assert_eq!(last.fileoff + last.filesize, slice.len() as u64, "{label}: __LINKEDIT ends the file");
    for pair in segments.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(a.vmaddr + a.vmsize <= b.vmaddr, "{label}: {} and {} overlap or descend in memory", name(a), name(b));
        if a.filesize > 0 && b.filesize > 0 {
            assert!(a.fileoff + a.filesize <= b.fileoff, "{label}: {} and {} overlap in the file", name(a), name(b));
        }
    }
    let julia: Vec<_> = segments.iter().filter(|s| name(s) == "__JULIA").collect();
    assert_eq!(julia.len(), 1, "{label}: exactly one __JULIA");
    let julia = julia[0];
    assert_eq!((julia.maxprot, julia.initprot), (1, 1), "{label}: __JULIA is read-only");
    let sections = julia.sections().unwrap();
    assert_eq!(sections.len(), 1);
    let (section, _) = &sections[0];
    assert_eq!(section.name().unwrap(), "__ji");
    assert_eq!(section.flags & 0xff, 0, "S_REGULAR");
    assert!(u64::from(section.offset) >= julia.fileoff);
    assert!(u64::from(section.offset) + section.size <= julia.fileoff + julia.filesize);
    assert!(section.addr >= julia.vmaddr && section.addr + section.size <= julia.vmaddr + julia.vmsize);
    assert_eq!(section.addr - julia.vmaddr, u64::from(section.offset) - julia.fileoff);

    // Everything __LINKEDIT-relative lies inside __LINKEDIT.
    let (start, end) = (last.fileoff, last.fileoff + last.filesize);
    let mut ranges: Vec<(&str, u64, u64)> = Vec::new();
    let mut chained = None;
    let mut signature = None;
    for lc in &macho.load_commands {
        match &lc.command {
            CommandVariant::Symtab(s) => {
                ranges.push(("symoff", s.symoff.into(), u64::from(s.nsyms) * 16));
                ranges.push(("stroff", s.stroff.into(), s.strsize.into()));
            }
            CommandVariant::Dysymtab(d) => {
                ranges.push(("indirectsymoff", d.indirectsymoff.into(), u64::from(d.nindirectsyms) * 4));
            }
            CommandVariant::DyldInfo(d) | CommandVariant::DyldInfoOnly(d) => {
                ranges.push(("rebase_off", d.rebase_off.into(), d.rebase_size.into()));
                ranges.push(("bind_off", d.bind_off.into(), d.bind_size.into()));
                ranges.push(("lazy_bind_off", d.lazy_bind_off.into(), d.lazy_bind_size.into()));
                ranges.push(("export_off", d.export_off.into(), d.export_size.into()));
            }
            CommandVariant::FunctionStarts(d)
            | CommandVariant::DataInCode(d)
            | CommandVariant::DyldExportsTrie(d)
            | CommandVariant::CodeSignature(d)
            | CommandVariant::DyldChainedFixups(d) => {
                ranges.push(("linkedit data", d.dataoff.into(), d.datasize.into()));
                match lc.command {
                    CommandVariant::DyldChainedFixups(_) => chained = Some(*d),
                    CommandVariant::CodeSignature(_) => signature = Some(*d),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for (what, offset, size) in ranges {
        if offset == 0 && size == 0 {
            continue;
        }
        assert!(offset >= start && offset + size <= end, "{label}: {what} [{offset:#x}+{size:#x}] outside __LINKEDIT");
    }
    if let Some(sig) = signature {
        assert_eq!(u64::from(sig.dataoff + sig.datasize), end, "{label}: the signature ends __LINKEDIT");
    }
    if let Some(cf) = chained {
        // dyld_chained_fixups_header.starts_offset → dyld_chained_starts_in_image.seg_count
        let blob = &slice[cf.dataoff as usize..(cf.dataoff + cf.datasize) as usize];
        let starts = u32::from_le_bytes(blob[4..8].try_into().unwrap()) as usize;
        let seg_count = u32::from_le_bytes(blob[starts..starts + 4].try_into().unwrap()) as usize;
        assert_eq!(seg_count, segments.len(), "{label}: chained fixups seg_count (dyld requires it)");
    }
}

/// goblin's view of every image in the file.
fn assert_layout(path: &Path) {
    let bytes = fs::read(path).unwrap();
    let slices: Vec<_> = pkgimg::slices(&bytes).unwrap().map(|s| s.unwrap()).collect();
    if let Ok(goblin::mach::Mach::Fat(fat)) = goblin::mach::Mach::parse(&bytes) {
        // goblin's own reading of the universal header agrees.
        let arches: Vec<_> = fat.iter_arches().map(|a| a.unwrap()).collect();
        assert_eq!(arches.len(), slices.len());
        for (arch, slice) in arches.iter().zip(&slices) {
            assert_eq!(u64::from(arch.offset), slice.range().offset);
            assert_eq!(u64::from(arch.size), slice.range().size);
            assert_eq!(u64::from(arch.offset) % (1u64 << arch.align), 0, "slice keeps its alignment");
        }
    }
    for slice in &slices {
        let label = format!("{} slice {:?}", path.display(), slice.index());
        check_image(slice.bytes(), &label);
    }
}

/// llvm-objdump and llvm-otool read the file without a warning.
fn assert_llvm_clean(path: &Path) {
    let mut objdump = Command::new("llvm-objdump");
    objdump.args([
        "--macho",
        "--private-headers",
        "--exports-trie",
        "--rebase",
        "--bind",
        "--lazy-bind",
        "--weak-bind",
        "--arch=all",
    ]);
    let mut otool = Command::new("llvm-otool-14");
    otool.args(["-l", "-arch", "all"]);
    for cmd in [&mut objdump, &mut otool] {
        let out = run(cmd.arg(path));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{cmd:?}: {}\n{stderr}", out.status);
        assert!(stderr.trim().is_empty(), "{cmd:?} complains:\n{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("__JULIA"), "{cmd:?} shows no __JULIA");
    }
}

/// LIEF parses every image, sees `__JULIA,__ji`, decodes the same binds,
/// rebases and exports as in the input (so the moved opcodes, chained-fixup
/// starts and export trie still say the same), and prints nothing it did not
/// print for the input (LIEF is noisy about some zig outputs).
fn assert_lief(input: &Path, output: &Path) {
    if !lief() {
        return;
    }
    // One process for both files (importing LIEF takes seconds); a marker on
    // stderr separates what LIEF says about each.
    const SCRIPT: &str = r#"
import sys, json, lief
for i, path in enumerate(sys.argv[1:]):
    sys.stderr.write("==pkgimg: file %d==\n" % i)
    sys.stderr.flush()
    fat = lief.MachO.parse(path)  # kept alive: LIEF's images point into it
    for b in fat:
        ji = b.get_section("__JULIA", "__ji")
        fix = b.dyld_chained_fixups
        print(json.dumps({"file": i, "segments": [s.name for s in b.segments], "ji": ji.size if ji else None,
                          "starts": len(fix.chained_starts_in_segments) if fix else None,
                          "binds": sorted([x.address, x.symbol.name if x.has_symbol else ""] for x in b.bindings),
                          "rebases": sorted(r.address for r in b.relocations),
                          "exports": sorted([s.name, s.export_info.address] for s in b.exported_symbols),
                          "layout": list(lief.MachO.check_layout(b))}))
    sys.stdout.flush()
"#;
    let out = run(Command::new("python3").args(["-c", SCRIPT]).arg(input).arg(output));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "lief on {} and {}: {stderr}", input.display(), output.display());
    let (before, after) = stderr.split_once("==pkgimg: file 1==").expect("the marker");
    let new: Vec<_> = after.lines().filter(|l| !l.is_empty() && !before.contains(l)).collect();
    assert!(new.is_empty(), "LIEF reports on {}:\n{}", output.display(), new.join("\n"));
    let images: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (old, new): (Vec<_>, Vec<_>) = images.iter().partition(|i| i["file"] == 0);
    assert_eq!(old.len(), new.len(), "LIEF: number of images in {}", output.display());
    assert!(!new.is_empty(), "LIEF parsed no image in {}", output.display());
    for (before, image) in old.iter().zip(&new) {
        let segments: Vec<&str> = image["segments"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(segments.contains(&"__JULIA") && image["ji"].is_u64(), "LIEF sees no __JULIA,__ji: {image}");
        assert_eq!(segments.last(), Some(&"__LINKEDIT"), "LIEF: __LINKEDIT last: {image}");
        // With chained fixups, LIEF (like dyld) wants one starts entry per segment.
        if let Some(starts) = image["starts"].as_u64() {
            assert_eq!(starts, segments.len() as u64, "LIEF chained starts per segment: {image}");
        }
        // LIEF's layout checker encodes ld64's and dyld's rules for where
        // each __LINKEDIT table goes and for chained fixups' seg_count.
        if before["layout"][0] == true {
            assert_eq!(image["layout"][0], true, "LIEF check_layout on {}: {}", output.display(), image["layout"][1]);
        }
        for key in ["binds", "rebases", "exports"] {
            assert_eq!(before[key], image[key], "LIEF: {key} differ after injection into {}", output.display());
        }
        assert!(!image["exports"].as_array().unwrap().is_empty(), "LIEF sees the exports");
    }
}

/// LIEF's `check_layout` verdict for each image.
fn lief_layout(path: &Path) -> Vec<(bool, String)> {
    const SCRIPT: &str = r#"
import sys, json, lief
fat = lief.MachO.parse(sys.argv[1])
print(json.dumps([list(lief.MachO.check_layout(b)) for b in fat]))
"#;
    let text = ok(Command::new("python3").args(["-c", SCRIPT]).arg(path));
    serde_json::from_str(&text).unwrap()
}

/// What `rcodesign verify` finds wrong, minus the one thing every ad-hoc
/// signature lacks (a CMS signature).
///
/// rcodesign 0.29 also reports "CMS error: missing further values" for the
/// empty CMS wrapper (8 bytes) that `codesign -s -` writes (and `rcodesign
/// sign` itself, without a certificate); that line is accepted when the
/// signature's CMS blob is that empty wrapper. "Mach-O signature data not
/// found" is accepted once per image that has no LC_CODE_SIGNATURE.
fn signature_problems(rcodesign: &Path, path: &Path) -> Vec<String> {
    let out = run(Command::new(rcodesign).arg("verify").arg(path));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let info = ok(Command::new(rcodesign).arg("print-signature-info").arg(path));
    let lines: Vec<&str> = info.lines().map(str::trim).collect();
    let empty_cms = lines.windows(3).any(|w| w[0] == "- slot: CMS Signature (65536)" && w[2] == "length: 8");
    let mut unsigned = unsigned_images(path);
    text.lines()
        .filter(|l| !(empty_cms && l.ends_with("CMS error: missing further values (at position 0)")))
        .filter(|l| {
            let skip = unsigned > 0 && l.ends_with("Mach-O signature data not found");
            unsigned -= usize::from(skip);
            !skip
        })
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.contains("verify command is known to be buggy"))
        .filter(|l| !l.contains("we do not verify everything"))
        .filter(|l| !l.ends_with("no cryptographic signature present"))
        .filter(|l| *l != "Error: problems reported during verification" && *l != "no problems detected!")
        .map(String::from)
        .collect()
}

/// The signature of every signed image verifies: page digests over the new
/// file, special slots, `__LINKEDIT` last, signature last in it.
fn assert_signature_valid(path: &Path) -> String {
    let Some(rcodesign) = rcodesign() else { return String::new() };
    let bytes = fs::read(path).unwrap();
    if pkgimg::slices(&bytes).unwrap().count() == unsigned_images(path) {
        return String::new();
    }
    let problems = signature_problems(&rcodesign, path);
    assert!(problems.is_empty(), "rcodesign verify {}:\n{}", path.display(), problems.join("\n"));
    ok(Command::new(&rcodesign).arg("print-signature-info").arg(path))
}

/// zig links a program against the dylib (ld resolves its symbols through
/// the export information we moved).
fn assert_links(path: &Path, target: &str) {
    let dir = path.parent().unwrap();
    let fx = fixtures().unwrap();
    let exe = dir.join(format!("main-{target}"));
    zig_cc(target, &[fx.path("main.c").to_str().unwrap(), path.to_str().unwrap()], &exe);
    let out = fs::read(&exe).unwrap();
    assert_eq!(&out[..4], &[0xcf, 0xfa, 0xed, 0xfe]);
}

/// Everything above, for one output made from `input`.
fn assert_all(input: &Path, output: &Path, expected: &[&[u8]]) -> String {
    assert_payloads(output, expected);
    assert_layout(output);
    assert_llvm_clean(output);
    assert_lief(input, output);
    assert_signature_valid(output)
}

/// A numeric field of `rcodesign print-signature-info` ("key: 123 / 0x7b").
fn info_field(info: &str, key: &str) -> u64 {
    let line = info
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in {info}"));
    line.split(':').nth(1).unwrap().split('/').next().unwrap().trim().parse().unwrap()
}

/// The CodeDirectory hashes `page`-byte pages up to the signature.
fn assert_page_size(info: &str, page: u64) {
    let limit = info_field(info, "signed_entity_size");
    assert_eq!(info_field(info, "code_digests_count"), limit.div_ceil(page), "{page}-byte pages: {info}");
    assert_eq!(limit, info_field(info, "macho_signature_start_offset"), "codeLimit is the signature's offset");
}

/// How many images of the file have no LC_CODE_SIGNATURE.
fn unsigned_images(path: &Path) -> usize {
    let bytes = fs::read(path).unwrap();
    let slices: Vec<_> = pkgimg::slices(&bytes).unwrap().map(|s| s.unwrap()).collect();
    slices.iter().filter(|s| !has_signature_bytes(s.bytes())).count()
}

fn has_signature(path: &Path) -> bool {
    has_signature_bytes(&fs::read(path).unwrap())
}

fn has_signature_bytes(bytes: &[u8]) -> bool {
    let macho = goblin::mach::MachO::parse(bytes, 0).unwrap();
    macho.load_commands.iter().any(|lc| matches!(lc.command, CommandVariant::CodeSignature(_)))
}

// ---------------------------------------------------------------- tests

#[test]
fn zig_arm64_linker_signed() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("zig_arm64");
    let (payload, bytes) = write_payload(&dir, "p.ji", 100_003, 1);
    let input = fx.path("zig-arm64.dylib");
    let out = dir.join("out.dylib");
    let report = inject(&input, &payload, &out, options()).unwrap();
    assert_eq!(report.payload_offset % 0x4000, 0);
    let info = assert_all(&input, &out, &[&bytes]);
    if !info.is_empty() {
        // The identifier and the linker's flags are kept; 16 KiB pages too.
        assert!(info.contains("identifier: zig-arm64.dylib"), "{info}");
        assert!(info.contains("flags: CodeSignatureFlags(ADHOC | LINKER_SIGNED)"), "{info}");
        assert_page_size(&info, 0x4000);
        assert!(info.contains("cms: null"), "{info}");
    }
    assert_links(&out, "aarch64-macos");
    // The output grows by the payload, one page for the frame, and padding.
    let growth = fs::metadata(&out).unwrap().len() - fs::metadata(&input).unwrap().len();
    assert!(growth >= bytes.len() as u64 + 0x4000 && growth < bytes.len() as u64 + 3 * 0x4000, "grew by {growth}");
}

#[test]
fn zig_x86_64_unsigned_stays_unsigned() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("zig_x86_64");
    let (payload, bytes) = write_payload(&dir, "p.ji", 5000, 2);
    let input = fx.path("zig-x86_64.dylib");
    let out = dir.join("out.dylib");
    let report = inject(&input, &payload, &out, options()).unwrap();
    assert_eq!(report.payload_offset % 0x1000, 0);
    assert_all(&input, &out, &[&bytes]);
    assert!(!has_signature(&input) && !has_signature(&out), "no signature is invented");
    assert_links(&out, "x86_64-macos");
}

#[test]
fn lld_chained_fixups_arm64_and_x86_64() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("lld");
    // 3 MB: the page hashes span several read buffers.
    let (payload, bytes) = write_payload(&dir, "p.ji", 3_000_017, 3);
    for (name, target) in [("arm64", "aarch64-macos"), ("x86_64", "x86_64-macos")] {
        let input = fx.path(&format!("lld-{name}.dylib"));
        let out = dir.join(format!("out-{name}.dylib"));
        inject(&input, &payload, &out, options()).unwrap();
        let info = assert_all(&input, &out, &[&bytes]);
        if lief() {
            // The oracle knows dyld's rule: one seg_count short is an error.
            let mut broken = fs::read(&out).unwrap();
            let macho = goblin::mach::MachO::parse(&broken, 0).unwrap();
            let fixups = macho
                .load_commands
                .iter()
                .find_map(|lc| match lc.command {
                    CommandVariant::DyldChainedFixups(d) => Some(d.dataoff as usize),
                    _ => None,
                })
                .unwrap();
            let starts = fixups + u32::from_le_bytes(broken[fixups + 4..fixups + 8].try_into().unwrap()) as usize;
            let count = u32::from_le_bytes(broken[starts..starts + 4].try_into().unwrap());
            broken[starts..starts + 4].copy_from_slice(&(count - 1).to_le_bytes());
            let path = dir.join(format!("seg-count-{name}.dylib"));
            fs::write(&path, &broken).unwrap();
            let verdict = lief_layout(&path);
            assert!(!verdict[0].0 && verdict[0].1.contains("seg_count"), "{verdict:?}");
        }
        if !info.is_empty() {
            assert!(info.contains("ADHOC | LINKER_SIGNED"), "{info}");
            assert!(info.contains(&format!("identifier: lld-{name}.dylib")), "{info}");
            assert_page_size(&info, 0x1000);
        }
        assert_links(&out, target);
    }
}

#[test]
fn empty_payload() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("empty");
    let (payload, bytes) = write_payload(&dir, "p.ji", 0, 4);
    let input = fx.path("lld-arm64.dylib");
    let out = dir.join("out.dylib");
    inject(&input, &payload, &out, options()).unwrap();
    assert_all(&input, &out, &[&bytes]);
}

#[test]
fn universal_same_and_per_arch_payloads() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("universal");
    let input = fx.path("universal.dylib");
    let (payload, bytes) = write_payload(&dir, "p.ji", 70_001, 5);
    let out = dir.join("same.dylib");
    inject(&input, &payload, &out, options()).unwrap();
    assert_all(&input, &out, &[&bytes, &bytes]);
    assert_links(&out, "aarch64-macos");
    assert_links(&out, "x86_64-macos");

    // Slice 0 is x86_64: it gets its own payload, arm64 the main one.
    let (own, own_bytes) = write_payload(&dir, "x86.ji", 12_345, 6);
    let out = dir.join("per-arch.dylib");
    let opts = InjectOptions { per_arch: vec![(Arch::X86_64, own.clone())], ..options() };
    inject(&input, &payload, &out, opts).unwrap();
    assert_all(&input, &out, &[&own_bytes, &bytes]);

    // A payload for an architecture the file does not have is a mistake.
    let opts = InjectOptions { per_arch: vec![(Arch::Powerpc64, own)], ..options() };
    let err = inject(&input, &payload, &dir.join("bad.dylib"), opts).unwrap_err();
    assert!(err.to_string().contains("no powerpc64 image"), "{err}");
    assert!(!dir.join("bad.dylib").exists());
}

/// A universal header with 64-bit offsets (`FAT_MAGIC_64`), made here since
/// llvm-lipo-14 cannot write one.
#[test]
fn universal_fat64() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("fat64");
    let thin = [fs::read(fx.path("lld-x86_64.dylib")).unwrap(), fs::read(fx.path("lld-arm64.dylib")).unwrap()];
    let cpu = [(0x0100_0007u32, 3u32), (0x0100_000c, 0)];
    let mut file = Vec::new();
    file.extend_from_slice(&0xcafe_babfu32.to_be_bytes());
    file.extend_from_slice(&2u32.to_be_bytes());
    let mut at = 0x4000u64;
    let mut offsets = Vec::new();
    for (image, (cputype, subtype)) in thin.iter().zip(cpu) {
        offsets.push(at);
        for word in [cputype, subtype] {
            file.extend_from_slice(&word.to_be_bytes());
        }
        file.extend_from_slice(&at.to_be_bytes());
        file.extend_from_slice(&(image.len() as u64).to_be_bytes());
        file.extend_from_slice(&14u32.to_be_bytes());
        file.extend_from_slice(&0u32.to_be_bytes());
        at = (at + image.len() as u64).next_multiple_of(0x4000);
    }
    for (image, offset) in thin.iter().zip(&offsets) {
        file.resize(*offset as usize, 0);
        file.extend_from_slice(image);
    }
    let input = dir.join("fat64.dylib");
    fs::write(&input, &file).unwrap();
    let (payload, bytes) = write_payload(&dir, "p.ji", 40_000, 7);
    let out = dir.join("out.dylib");
    inject(&input, &payload, &out, options()).unwrap();
    let written = fs::read(&out).unwrap();
    assert_eq!(&written[..4], &[0xca, 0xfe, 0xba, 0xbf], "stays FAT_MAGIC_64");
    assert_payloads(&out, &[&bytes, &bytes]);
    assert_layout(&out);
    // rcodesign does not read FAT_MAGIC_64; a signature covers its slice
    // only, so each slice is checked as a thin file.
    for slice in pkgimg::slices(&written).unwrap() {
        let slice = slice.unwrap();
        let thin = dir.join(format!("slice{}.dylib", slice.index().unwrap()));
        fs::write(&thin, slice.bytes()).unwrap();
        let info = assert_signature_valid(&thin);
        assert!(info.is_empty() == rcodesign().is_none(), "both slices are signed");
        let name = ["lld-x86_64.dylib", "lld-arm64.dylib"][slice.index().unwrap() as usize];
        assert_lief(&fx.path(name), &thin);
    }
}

#[test]
fn replace_swaps_the_payload() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("replace");
    let input = fx.path("lld-arm64.dylib");
    let (a, _) = write_payload(&dir, "a.ji", 90_000, 8);
    let (b, b_bytes) = write_payload(&dir, "b.ji", 20_000, 9);
    let (c, c_bytes) = write_payload(&dir, "c.ji", 200_000, 10);
    let first = dir.join("first.dylib");
    inject(&input, &a, &first, options()).unwrap();

    let err = inject(&first, &b, &dir.join("refused.dylib"), options()).unwrap_err();
    assert!(matches!(err, InjectError::AlreadyHasPayload { .. }), "{err}");
    assert!(!dir.join("refused.dylib").exists());

    let fresh = dir.join("fresh.dylib");
    inject(&input, &b, &fresh, options()).unwrap();
    for (payload, expected, name) in [(&b, &b_bytes, "smaller"), (&c, &c_bytes, "larger")] {
        let out = dir.join(format!("{name}.dylib"));
        let report = inject(&first, payload, &out, InjectOptions { replace: true, ..options() }).unwrap();
        assert!(report.replaced);
        assert_all(&input, &out, &[expected]);
        if name == "smaller" {
            // Nothing of the old payload is left: the file is what a fresh
            // injection of the new payload gives, byte for byte.
            assert!(fs::read(&out).unwrap() == fs::read(&fresh).unwrap(), "replace == fresh inject");
        }
    }
}

/// The corpus: dylibs whose `__JULIA` the linker made from an object of
/// ours, and one without a payload.
#[test]
fn corpus_dylibs() {
    if fixtures().is_none() {
        return;
    }
    let corpus = common::corpus();
    let dir = scratch("corpus");
    let (payload, bytes) = write_payload(&dir, "p.ji", 33_333, 11);
    let cases: [(&str, bool, usize); 4] = [
        ("nopayload/aarch64-macos.dylib", false, 1),
        ("macho/aarch64-macos.dylib", true, 1),
        ("macho/x86_64-macos.dylib", true, 1),
        ("macho/universal.dylib", true, 2),
    ];
    for (name, replace, slices) in cases {
        let input = corpus.join(name);
        assert!(input.exists(), "{} is missing: run corpus/build.py", input.display());
        let out = dir.join(name.replace('/', "-"));
        inject(&input, &payload, &out, InjectOptions { replace, ..options() })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<&[u8]> = vec![&bytes; slices];
        assert_all(&input, &out, &expected);
    }
}

#[test]
fn headerpad_too_small_is_refused_large_is_fine() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("headerpad");
    let (payload, bytes) = write_payload(&dir, "p.ji", 1000, 12);
    for name in ["zig-arm64-pad32.dylib", "zig-x86_64-pad32.dylib", "lld-arm64-default.dylib"] {
        let out = dir.join(name);
        let err = inject(&fx.path(name), &payload, &out, options()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("needs 152 bytes") && text.contains("only 32 are free"), "{text}");
        assert!(text.contains("-Wl,-headerpad,0x1000"), "{text}");
        assert!(!out.exists());
    }
    let input = fx.path("zig-arm64-pad64k.dylib");
    let out = dir.join("pad64k.dylib");
    inject(&input, &payload, &out, options()).unwrap();
    assert_all(&input, &out, &[&bytes]);
}

/// The oracle works: one flipped byte in `__TEXT` of a signed output is a
/// digest mismatch for rcodesign.
#[test]
fn rcodesign_detects_a_broken_page() {
    let Some(fx) = fixtures() else { return };
    let Some(rcodesign) = rcodesign() else { return };
    let dir = scratch("oracle");
    let (payload, _) = write_payload(&dir, "p.ji", 10_000, 13);
    let out = dir.join("out.dylib");
    inject(&fx.path("zig-arm64.dylib"), &payload, &out, options()).unwrap();
    assert!(signature_problems(&rcodesign, &out).is_empty());
    let mut bytes = fs::read(&out).unwrap();
    let macho = goblin::mach::MachO::parse(&bytes, 0).unwrap();
    let text = macho.segments.sections().flatten().flatten().find(|(s, _)| s.name().unwrap() == "__text").unwrap().0;
    bytes[text.offset as usize + 3] ^= 0x40;
    let broken = dir.join("broken.dylib");
    fs::write(&broken, &bytes).unwrap();
    let problems = signature_problems(&rcodesign, &broken);
    assert!(problems.iter().any(|p| p.contains("code digest mismatch for entry 0")), "{problems:?}");
    // And a flipped payload byte breaks the page that holds it.
    let mut bytes = fs::read(&out).unwrap();
    let at = pkgimg::find_ji_payload(&bytes).unwrap().offset() as usize;
    bytes[at + 5000] ^= 1;
    fs::write(&broken, &bytes).unwrap();
    let entry = format!("code digest mismatch for entry {}", (at + 5000) / 0x4000);
    assert!(signature_problems(&rcodesign, &broken).iter().any(|p| p.contains(&entry)), "expected {entry}");
}

/// `codesign -s -` style: requirements blob, empty CMS wrapper, special
/// slots. rcodesign's ad-hoc signing writes exactly that.
#[test]
fn codesign_style_adhoc_signature_is_rebuilt() {
    let Some(fx) = fixtures() else { return };
    let Some(rcodesign) = rcodesign() else { return };
    let dir = scratch("adhoc");
    // Also SHA-1 with a SHA-256 alternate CodeDirectory (slot 0x1000), as
    // codesign writes for old deployment targets: the output has one SHA-256
    // CodeDirectory.
    for (case, digests) in [("sha256", &[][..]), ("sha1+sha256", &["--digest", "sha1", "--digest", "sha256"][..])] {
        let input = dir.join(format!("in-{case}.dylib"));
        fs::copy(fx.path("zig-x86_64.dylib"), &input).unwrap();
        ok(Command::new(&rcodesign)
            .args(["sign", "--binary-identifier", "org.julialang.test"])
            .args(digests)
            .arg(&input));
        let before = ok(Command::new(&rcodesign).arg("print-signature-info").arg(&input));
        assert!(before.contains("RequirementSet (2)") && before.contains("fade0b01"), "{before}");
        assert_eq!(before.contains("Alternate"), !digests.is_empty(), "{before}");
        let (payload, bytes) = write_payload(&dir, "p.ji", 50_000, 14);
        let out = dir.join(format!("out-{case}.dylib"));
        inject(&input, &payload, &out, options()).unwrap();
        let info = assert_all(&input, &out, &[&bytes]);
        assert!(info.contains("identifier: org.julialang.test"), "{info}");
        assert!(info.contains("RequirementSet (2)"), "the empty requirement set is kept: {info}");
        assert!(info.contains("flags: CodeSignatureFlags(ADHOC)"), "{info}");
        assert!(
            info.contains("digest_type: sha256") && !info.contains("digest_type: sha1") && !info.contains("Alternate"),
            "{info}"
        );
    }
}

/// A certificate signature is refused, or with `drop_signature` replaced by
/// an ad-hoc one.
#[test]
fn certificate_signature_needs_drop_signature() {
    let Some(fx) = fixtures() else { return };
    let Some(rcodesign) = rcodesign() else { return };
    let dir = scratch("cms");
    let pem = dir.join("cert.pem");
    ok(Command::new(&rcodesign)
        .args(["generate-self-signed-certificate", "--person-name", "pkgimg test", "--pem-unified-file"])
        .arg(&pem));
    let input = dir.join("in.dylib");
    fs::copy(fx.path("lld-arm64.dylib"), &input).unwrap();
    ok(Command::new(&rcodesign).args(["sign", "--timestamp-url", "none", "--pem-file"]).arg(&pem).arg(&input));
    assert!(signature_problems(&rcodesign, &input).is_empty(), "the input verifies");
    let (payload, bytes) = write_payload(&dir, "p.ji", 20_000, 15);
    let out = dir.join("out.dylib");
    let err = inject(&input, &payload, &out, options()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("signed with a certificate") && text.contains("--drop-signature"), "{text}");
    assert!(!out.exists());

    inject(&input, &payload, &out, InjectOptions { drop_signature: true, ..options() }).unwrap();
    let info = assert_all(&input, &out, &[&bytes]);
    assert!(info.contains("cms: null"), "{info}");
    assert!(info.contains("flags: CodeSignatureFlags(ADHOC)"), "{info}");
}

#[test]
fn unknown_load_command_and_32_bit_are_refused() {
    let Some(fx) = fixtures() else { return };
    let dir = scratch("refuse");
    let (payload, _) = write_payload(&dir, "p.ji", 100, 16);

    // LC_SOURCE_VERSION (0x2a) renamed to an unassigned command number.
    let mut bytes = fs::read(fx.path("zig-x86_64.dylib")).unwrap();
    let macho = goblin::mach::MachO::parse(&bytes, 0).unwrap();
    let at =
        macho.load_commands.iter().find(|lc| matches!(lc.command, CommandVariant::SourceVersion(_))).unwrap().offset;
    bytes[at..at + 4].copy_from_slice(&0x7fu32.to_le_bytes());
    let input = dir.join("unknown.dylib");
    fs::write(&input, &bytes).unwrap();
    let err = inject(&input, &payload, &dir.join("o1.dylib"), options()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown load command 0x7f") && text.contains(&format!("at {at:#x}")), "{text}");

    // A 32-bit i386 dylib header: mach_header, no load commands.
    let mut header = Vec::new();
    for word in [0xfeed_faceu32, 7, 3, 6, 0, 0, 0] {
        header.extend_from_slice(&word.to_le_bytes());
    }
    let input = dir.join("i386.dylib");
    fs::write(&input, &header).unwrap();
    let err = inject(&input, &payload, &dir.join("o2.dylib"), options()).unwrap_err();
    assert!(err.to_string().contains("32-bit Mach-O image"), "{err}");
    assert!(!dir.join("o1.dylib").exists() && !dir.join("o2.dylib").exists());
}

/// Review 18 F11: in a `FAT_MAGIC` file each slice's offset and size fit
/// 32 bits but its end may not; such output is refused (FORMAT.md §5.4)
/// before a byte is copied, whatever each field holds. A 2.5 GiB payload
/// (a hole) puts the second slice's end past 4 GiB.
#[test]
fn a_universal_slice_ending_past_4_gib_is_refused() {
    let dir = util::tempdir();
    let payload = dir.path().join("huge");
    fs::File::create(&payload).unwrap().set_len(5 << 29).unwrap();
    let lib = common::corpus().join("macho/universal.dylib");
    let out = dir.path().join("out.dylib");
    let mut replace = options();
    replace.replace = true;
    let err = inject(&lib, &payload, &out, replace).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("Mach-O universal slice entry at 0x"), "{message}");
    assert!(message.contains("beyond the 32-bit offsets of FAT_MAGIC"), "{message}");
    assert!(!out.exists());
}
