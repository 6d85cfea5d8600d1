//! Split images with universal Mach-O files: a code cache (thin or
//! universal) takes, of a universal data library, the slice that dyld would
//! map with it, the one of its own architecture, not the host's; and a thin
//! data library of another architecture is no data library of it. Each
//! slice of the data library here carries its own payload, as
//! `jiscan inject --arch NAME=PAYLOAD` makes them, so that taking the wrong
//! one shows.
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

use common::run;

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use pkgimg::emit::{DataLibrary, Target};
use pkgimg::split::{find_data_library, find_data_library_in, Resolver, SplitError};
use pkgimg::Arch;

/// A code cache's source (tests/split.rs's): it reads the data record
/// through the exported symbol, so the linker keeps the dependency.
const CODE: &str = include_str!("fixtures/split/code.c");

const NAME: &str = "@rpath/libFoo_data.dylib";

/// A payload of `len` bytes that differs with `seed`.
fn payload(len: usize, seed: u32) -> Vec<u8> {
    (0..len).map(|i| ((i as u32).wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

fn tools() -> bool {
    common::require(&["python3", "-m", "ziglang", "version"]) && common::require(&["llvm-lipo-14", "-version"])
}

fn lipo(dir: &Path, inputs: &[&str], output: &str) -> PathBuf {
    run(Command::new("llvm-lipo-14").current_dir(dir).arg("-create").args(inputs).args(["-output", output]));
    dir.join(output)
}

/// The files of the audit's reproduction (cli-audit.md F4, F5), each data
/// library slice with its own payload.
struct Fixture {
    dir: tempfile::TempDir,
    arm_payload: Vec<u8>,
    x86_payload: Vec<u8>,
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The payload written into the slice of `arch`.
    fn payload(&self, arch: Arch) -> &[u8] {
        match arch {
            Arch::Aarch64 => &self.arm_payload,
            Arch::X86_64 => &self.x86_payload,
            other => panic!("no {other} slice here"),
        }
    }
}

/// `libFoo_data.dylib`: universal, arm64 and x86_64 slices with different
/// payloads (`d_arm.dylib`, `d_x86.dylib` are the thin ones); `c_arm.dylib`,
/// `c_x86.dylib`: thin code caches linked against it through
/// `@rpath` and `@loader_path`; `libFoo.dylib`: the two in one universal
/// code cache.
fn fixture() -> Fixture {
    let dir = tempfile::Builder::new().prefix("split-slices-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (arm_payload, x86_payload) = (payload(5000, 1), payload(7000, 2));
    for (triple, file, bytes) in
        [("arm64-apple-macos", "d_arm.dylib", &arm_payload), ("x86_64-apple-macos", "d_x86.dylib", &x86_payload)]
    {
        let target = Target::from_triple(triple).unwrap();
        let library = target.data_library_to_vec(&DataLibrary::new(NAME), bytes).unwrap();
        std::fs::write(dir.path().join(file), library).unwrap();
    }
    lipo(dir.path(), &["d_arm.dylib", "d_x86.dylib"], "libFoo_data.dylib");
    std::fs::write(dir.path().join("foo.c"), CODE).unwrap();
    for (target, out) in [("aarch64-macos", "c_arm.dylib"), ("x86_64-macos", "c_x86.dylib")] {
        run(Command::new("python3")
            .current_dir(dir.path())
            .args(["-m", "ziglang", "cc", "-target", target, "-shared", "foo.c", "-L.", "-lFoo_data"])
            .args(["-Wl,-rpath,@loader_path", "-o", out]));
    }
    lipo(dir.path(), &["c_arm.dylib", "c_x86.dylib"], "libFoo.dylib");
    Fixture { dir, arm_payload, x86_payload }
}

/// The slice of `arch` in the universal file at `path`: its index, and its
/// payload's offset and size, as the bytes say.
fn slice_payload(path: &Path, arch: Arch) -> (u32, u64, u64) {
    let bytes = std::fs::read(path).unwrap();
    for slice in pkgimg::slices(&bytes).unwrap() {
        let slice = slice.unwrap();
        if slice.fat_arch() == Some(arch) {
            let payload = slice.find_ji_payload().unwrap();
            return (slice.index().unwrap(), payload.offset(), payload.size());
        }
    }
    panic!("{}: no {arch} slice", path.display());
}

/// `found` is `data`'s slice of `arch`, with that slice's payload: where the
/// headers put it, what the file holds there, and what `payload` verifies.
fn assert_slice(fixture: &Fixture, found: &pkgimg::split::FoundDataLibrary, arch: Arch, what: &str) {
    let data = fixture.path("libFoo_data.dylib");
    assert_eq!(found.path.canonicalize().unwrap(), data.canonicalize().unwrap(), "{what}");
    let (index, offset, size) = slice_payload(&data, arch);
    let located = found.located();
    assert_eq!((located.slice(), located.offset(), located.size()), (Some(index), offset, size), "{what}");
    assert_eq!(located.image().arch, arch, "{what}");
    let mut bytes = vec![0; size as usize];
    found.file().read_exact_at(&mut bytes, located.offset()).unwrap();
    assert!(bytes == fixture.payload(arch), "{what}: the payload read at the located offset is not the {arch} one");
    let map = found.map().unwrap();
    let payload = found.payload(&map).unwrap();
    assert_eq!((payload.offset(), payload.data()), (offset, fixture.payload(arch)), "{what}");
    payload.verify().unwrap();
}

/// F5: dyld maps a universal data library's arm64 slice into the process
/// that loads the arm64 code cache, whatever the CPU this test runs on; and
/// the x86_64 slice for the x86_64 one. From the path (pread) and from the
/// bytes both.
#[test]
fn thin_code_cache_takes_the_data_library_slice_of_its_own_architecture() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    for (code, arch) in [("c_arm.dylib", Arch::Aarch64), ("c_x86.dylib", Arch::X86_64)] {
        let path = fixture.path(code);
        let found = find_data_library(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_slice(&fixture, &found, arch, code);
        assert_eq!(found.name, NAME);
        let bytes = std::fs::read(&path).unwrap();
        let found = find_data_library_in(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_slice(&fixture, &found, arch, &format!("{code} in memory"));
    }
}

/// A code cache past the first 16 KiB `find_data_library` reads is walked
/// from the file (`dependencies_of`); its image's architecture picks the
/// slice there too.
#[test]
fn large_code_cache_takes_the_data_library_slice_of_its_own_architecture() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    // Padding appended after the image: the headers are unchanged, and the
    // file is larger than the first read.
    let large = fixture.path("c_arm_large.dylib");
    let mut bytes = std::fs::read(fixture.path("c_arm.dylib")).unwrap();
    bytes.resize(bytes.len() + (64 << 10), 0);
    std::fs::write(&large, &bytes).unwrap();
    let found = find_data_library(&large).unwrap_or_else(|e| panic!("{e}"));
    assert_slice(&fixture, &found, Arch::Aarch64, "c_arm_large.dylib");
}

/// A universal code cache: `find_data_library` follows the host's slice, and
/// takes the data library's slice of that architecture; `find_in_slice`
/// follows any slice, and takes the data library's slice of its
/// architecture.
#[test]
fn universal_code_cache_resolves_each_slice_to_the_matching_data_library_slice() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    let code = fixture.path("libFoo.dylib");
    let found = find_data_library(&code).unwrap_or_else(|e| panic!("{e}"));
    assert_slice(&fixture, &found, Arch::HOST, "libFoo.dylib, host slice");
    let bytes = std::fs::read(&code).unwrap();
    let mut resolver = Resolver::default();
    let host = resolver.find_in(&code, &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_slice(&fixture, &host, Arch::HOST, "libFoo.dylib, host slice in memory");
    let mut seen = Vec::new();
    for slice in pkgimg::slices(&bytes).unwrap() {
        let slice = slice.unwrap();
        let arch = slice.fat_arch().unwrap();
        // One resolver for both slices, as `jiscan scan` uses it: what it
        // remembers for one architecture must not answer for the other.
        let found = resolver.find_in_slice(&code, slice).unwrap_or_else(|e| panic!("{e}"));
        assert_slice(&fixture, &found, arch, &format!("libFoo.dylib slice {:?}", slice.index()));
        seen.push(arch);
    }
    seen.sort_by_key(|arch| arch.to_string());
    assert_eq!(seen, [Arch::Aarch64, Arch::X86_64]);
}

/// A thin data library of another architecture is not the code cache's
/// data library (dyld refuses to load it): it is skipped, and says why.
#[test]
fn thin_data_library_of_another_architecture_is_skipped_with_the_reason() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    let dir = fixture.path("wrong");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(fixture.path("c_arm.dylib"), dir.join("c_arm.dylib")).unwrap();
    std::fs::copy(fixture.path("d_x86.dylib"), dir.join("libFoo_data.dylib")).unwrap();
    let code = dir.join("c_arm.dylib");
    let bytes = std::fs::read(&code).unwrap();
    for result in [find_data_library(&code), find_data_library_in(&code, &bytes)] {
        match result {
            Err(SplitError::NoDataLibrary { candidates, .. }) => {
                let skipped = candidates.iter().find(|s| s.name == NAME).expect("the data library is listed");
                assert!(
                    skipped.reason.ends_with("not a data library for aarch64: its only image is x86_64"),
                    "{}",
                    skipped.reason
                );
            }
            other => panic!("expected NoDataLibrary, got {other:?}"),
        }
    }
    // And the x86_64 code cache beside it does take it.
    std::fs::copy(fixture.path("c_x86.dylib"), dir.join("c_x86.dylib")).unwrap();
    let found = find_data_library(&dir.join("c_x86.dylib")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.located().slice(), None);
    assert_eq!(found.located().image().arch, Arch::X86_64);
}

/// `jiscan ARGS` in `dir`: its exit status, and the JSON values it printed,
/// one a line (`scan --json` prints one line per image).
fn jiscan(args: &[&str], dir: &Path) -> (i32, Vec<serde_json::Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_jiscan")).current_dir(dir).args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let values = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("jiscan {args:?}: {e}: {text}")))
        .collect();
    (out.status.code().unwrap(), values)
}

/// F4: `jiscan scan` follows each slice of a universal code cache to its
/// data library, and reports the payload of the matching slice; F5 for a
/// thin code cache, and `jiscan deps`.
#[test]
fn jiscan_scan_reports_each_slice_of_a_universal_code_cache_with_its_data_library() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    let dir = fixture.dir.path();
    let data = fixture.path("libFoo_data.dylib");
    for verify in [false, true] {
        let mut args = vec!["scan", "--json"];
        if verify {
            args.push("--verify");
        }
        args.push("libFoo.dylib");
        let (status, records) = jiscan(&args, dir);
        let json = serde_json::Value::from(records.clone());
        assert_eq!((status, records.len()), (0, 2), "{json}");
        for record in &records {
            let arch = match record["arch"].as_str() {
                Some("aarch64") => Arch::Aarch64,
                Some("x86_64") => Arch::X86_64,
                other => panic!("{other:?} in {json}"),
            };
            assert!(record["slice"].is_u64(), "{record}");
            assert!(record["payload"].is_null(), "{record}");
            assert!(record["error"].is_null(), "{record}");
            let library = &record["data_library"];
            assert_eq!(library["path"], "./libFoo_data.dylib", "{record}");
            let (_, offset, size) = slice_payload(&data, arch);
            assert_eq!(
                (library["payload"]["offset"].as_u64(), library["payload"]["size"].as_u64()),
                (Some(offset), Some(size)),
                "{record}"
            );
            if verify {
                assert_eq!(library["payload"]["crc_ok"], true, "{record}");
            }
        }
    }
    // The thin arm64 code cache: the arm64 slice, by scan and deps.
    let (_, arm_offset, arm_size) = slice_payload(&data, Arch::Aarch64);
    let (status, records) = jiscan(&["scan", "--json", "c_arm.dylib"], dir);
    assert_eq!((status, records.len()), (0, 1), "{records:?}");
    assert_eq!(records[0]["data_library"]["payload"]["offset"].as_u64(), Some(arm_offset), "{records:?}");
    let (status, report) = jiscan(&["deps", "--json", "--verify", "c_arm.dylib"], dir);
    assert_eq!((status, report.len()), (0, 1), "{report:?}");
    let payload = &report[0]["data_library"]["payload"];
    assert_eq!(
        (payload["offset"].as_u64(), payload["size"].as_u64()),
        (Some(arm_offset), Some(arm_size)),
        "{report:?}"
    );
    assert_eq!(payload["crc_ok"], true, "{report:?}");
}

/// `jiscan extract` of a thin code cache has no payload to give, and names
/// the command that gives its data library's: of the universal data
/// library, the slice of the code cache's architecture (`--slice N`), not
/// the host's. The command runs and gives that slice's payload.
#[test]
fn extract_of_a_code_cache_suggests_its_data_library_slice() {
    if !tools() {
        return;
    }
    let fixture = fixture();
    let dir = fixture.dir.path();
    let jiscan = env!("CARGO_BIN_EXE_jiscan");
    for (code, arch) in [("c_arm.dylib", Arch::Aarch64), ("c_x86.dylib", Arch::X86_64)] {
        let out = Command::new(jiscan).current_dir(dir).args(["extract", code, "-o", "out.ji"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{code}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let (index, ..) = slice_payload(&fixture.path("libFoo_data.dylib"), arch);
        let expected = format!("jiscan extract --slice {index} ./libFoo_data.dylib -o out.ji");
        assert!(stderr.trim_end().ends_with(&expected), "{code}: {stderr}");
        let suggested = stderr.trim_end().rsplit_once(": jiscan ").unwrap().1;
        let out =
            Command::new("sh").current_dir(dir).arg("-c").arg(format!("'{jiscan}' {suggested}")).output().unwrap();
        assert!(out.status.success(), "{code}: {suggested}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::read(dir.join("out.ji")).unwrap() == fixture.payload(arch), "{code}: not the {arch} payload");
        std::fs::remove_file(dir.join("out.ji")).unwrap();
    }
}
