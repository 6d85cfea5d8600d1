//! The C interface, exercised by a C program built with gcc against the static
//! library and include/pkgimg.h, on every corpus file listed in expected.json.
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

/// Builds the static library the way a C user would get it. `cargo test`
/// builds only the rlib, and the outer cargo holds the lock on its own target
/// directory, so this build gets a directory of its own.
fn static_library() -> PathBuf {
    let target = common::root().join("target/capi");
    let out = Command::new(env!("CARGO"))
        .current_dir(common::root())
        .args(["build", "--release", "--lib", "--no-default-features", "--features", "std", "--target-dir"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo build: {}", String::from_utf8_lossy(&out.stderr));
    target.join("release/libpkgimg.a")
}

/// What the C API must return for an expected.json entry: (find, offset, size, verify).
fn expectation(entry: &serde_json::Value, file: &[u8]) -> (i32, u64, u64, i32) {
    let payload = &entry["payload"];
    match entry.get("error").and_then(|e| e.as_str()) {
        None | Some("crc_mismatch") if !payload.is_null() => {
            let verify = if entry.get("error").is_some_and(|e| e == "crc_mismatch") { -13 } else { 0 };
            (0, payload["offset"].as_u64().unwrap(), payload["size"].as_u64().unwrap(), verify)
        }
        None => (-6, 0, 0, -6),
        Some("truncated") => (-3, 0, 0, -3),
        // Past the end of the file (-3), or an offset that wraps 64 bits (-4):
        // read the frame's payload_offset straight from the bytes to tell which.
        Some("payload_out_of_bounds") => {
            let at = file.windows(8).position(|w| w == b"\x89JLJI\r\n\x1a").expect("frame magic");
            let payload_offset = u64::from_le_bytes(file[at + 16..at + 24].try_into().unwrap());
            let code = if (at as u64).checked_add(payload_offset).is_none() { -4 } else { -3 };
            (code, 0, 0, code)
        }
        Some("no_frame") => (-7, 0, 0, -7),
        Some("version") => (-8, 0, 0, -8),
        Some("ambiguous") => (-10, 0, 0, -10),
        Some(other) => panic!("expected.json: unknown error class {other}"),
    }
}

#[test]
fn c_program_agrees_with_expected_json() {
    if !common::require_tool("gcc") {
        return;
    }
    let lib = static_library();
    assert!(lib.exists(), "{} not built", lib.display());
    let dir = std::env::temp_dir().join(format!("pkgimg-capi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // The C API uses the host's slice of a universal file.
    let host = pkgimg::Arch::HOST.to_string();
    let mut manifest = String::new();
    let mut count = 0;
    let entries = common::expected();
    for entry in &entries {
        let file = entry["file"].as_str().unwrap();
        let fat = entries.iter().any(|e| e["file"] == entry["file"] && !e["slice"].is_null());
        if fat && entry["arch"].as_str() != Some(host.as_str()) {
            continue;
        }
        let path = common::corpus().join(file);
        let bytes = std::fs::read(&path).unwrap();
        let (find, offset, size, verify) = expectation(entry, &bytes);
        // No corpus payload is compressed: the content is the stored bytes.
        let flags = pkgimg::find_ji_payload(&bytes).map_or(0, |p| p.frame().flags);
        assert_eq!(flags & 2, 0, "{file}");
        manifest.push_str(&format!("{}\t{find}\t{offset}\t{size}\t{verify}\t{size}\t{flags}\n", path.display()));
        count += 1;
    }
    assert!(count >= 20, "only {count} corpus entries");

    // A compressed payload (inject --compress): pkgimg_payload_info reports
    // flags 3 (CRC-32C and zstd, docs/FORMAT.md "The frame") and the
    // original's size; the other functions see the stored bytes.
    let original: Vec<u8> = (0..300_000u32).flat_map(|i| (i / 7).to_le_bytes()).collect();
    std::fs::write(dir.join("Foo.ji"), &original).unwrap();
    let compressed = dir.join("compressed.so");
    let options =
        pkgimg::InjectOptions { compress: Some(pkgimg::inject::Compression::default()), ..Default::default() };
    let library = common::corpus().join("nopayload/x86_64-linux-musl.so");
    let report = pkgimg::inject(&library, &dir.join("Foo.ji"), &compressed, options).unwrap();
    let (offset, stored) = (report.payload_offset, report.payload_size);
    assert!(stored < original.len() as u64 / 2);
    manifest.push_str(&format!("{}\t0\t{offset}\t{stored}\t0\t{}\t3\n", compressed.display(), original.len()));
    std::fs::write(dir.join("manifest.tsv"), manifest).unwrap();

    let exe = dir.join("capi_test");
    let root = common::root();
    let out = Command::new("gcc")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("tests/c/capi_test.c"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success(), "gcc: {}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).arg(dir.join("manifest.tsv")).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `pkgimg_find_data_library`, from a C program built against the static
/// library: code caches linked by gcc against data libraries, and every
/// failure code. The payload's place is found by searching the data
/// library's bytes for the payload, not by pkgimg.
#[test]
fn c_program_finds_a_code_caches_data_library() {
    if !common::require_tool("gcc") {
        return;
    }
    let lib = static_library();
    let dir = tempfile::Builder::new().prefix("capi-split-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let d = dir.path();
    let gcc = |args: &[&str]| common::run(Command::new("gcc").current_dir(d).args(args));

    let exe = d.join("split_test");
    let root = common::root();
    let include = root.join("include");
    let source = root.join("tests/c/split_test.c");
    let mut link = vec!["-Wall", "-Werror", "-I", include.to_str().unwrap(), source.to_str().unwrap()];
    link.extend([lib.to_str().unwrap(), "-lpthread", "-ldl", "-lm", "-o", exe.to_str().unwrap()]);
    gcc(&link);
    // (status as pkgimg.h names it, errno, offset, size, path) for `code` and
    // a path buffer of `path_size` bytes.
    let find = |code: &Path, path_size: usize| -> (String, i32, u64, u64, String) {
        let out = Command::new(&exe).arg(code).arg(path_size.to_string()).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        let mut fields = stdout.trim_end().splitn(5, ' ');
        let mut next = || fields.next().unwrap().to_owned();
        (next().parse().unwrap(), next().parse().unwrap(), next().parse().unwrap(), next().parse().unwrap(), next())
    };

    // Two data libraries, from pkgimg's writer, and code caches against them.
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let target = pkgimg::Target::from_triple("x86_64-linux-gnu").unwrap();
    for name in ["libfoo_data.so", "libbar_data.so"] {
        let library = target.data_library_to_vec(&pkgimg::emit::DataLibrary::new(name), &payload).unwrap();
        std::fs::write(d.join(name), library).unwrap();
    }
    std::fs::write(d.join("code.c"), include_str!("fixtures/split/code.c")).unwrap();
    std::fs::write(d.join("plain.c"), "int plain(void) { return 1; }\n").unwrap();
    let shared = ["-shared", "-fPIC", "-O2", "-Wl,-rpath,$ORIGIN", "-L."];
    gcc(&[&shared[..], &["code.c", "-lfoo_data", "-o", "libcode.so"]].concat());
    gcc(&[&shared[..], &["plain.c", "-o", "libplain.so"]].concat());
    gcc(&[&shared[..], &["code.c", "-Wl,--no-as-needed", "-lfoo_data", "-lbar_data", "-o", "libtwo.so"]].concat());
    std::fs::write(d.join("notes.txt"), "not an object file\n").unwrap();

    // Found: the path, and the payload where its bytes are in the file.
    let data = std::fs::read(d.join("libfoo_data.so")).unwrap();
    let at = data.windows(payload.len()).position(|w| w == payload).unwrap() as u64;
    let (status, _, offset, size, path) = find(&d.join("libcode.so"), 4096);
    assert_eq!((status.as_str(), offset, size), ("PKGIMG_OK", at, payload.len() as u64), "{path}");
    let canonical = |p: &Path| p.canonicalize().unwrap();
    assert_eq!(canonical(Path::new(&path)), canonical(&d.join("libfoo_data.so")));
    // The path and its NUL fit exactly; one byte less does not.
    let ok = ("PKGIMG_OK".to_owned(), 0, at, payload.len() as u64, path.clone());
    assert_eq!(find(&d.join("libcode.so"), path.len() + 1), ok);
    let failed = |status: &str, errno: i32| (status.to_owned(), errno, 7, 7, "-".to_owned());
    assert_eq!(find(&d.join("libcode.so"), path.len()), failed("PKGIMG_E_PATH_SIZE", 0));
    assert_eq!(find(&d.join("libcode.so"), 0), failed("PKGIMG_E_PATH_SIZE", 0));
    assert_eq!(find(&d.join("libplain.so"), 4096), failed("PKGIMG_E_NO_DATA_LIBRARY", 0));
    assert_eq!(find(&d.join("libtwo.so"), 4096), failed("PKGIMG_E_DATA_LIBRARIES", 0));
    // The code cache's own failures; errno ENOENT (2) for a missing one.
    assert_eq!(find(&d.join("notes.txt"), 4096), failed("PKGIMG_E_UNKNOWN_FORMAT", 0));
    assert_eq!(find(&d.join("missing.so"), 4096), failed("PKGIMG_E_IO", 2));
}
