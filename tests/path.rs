//! `find_ji_payload_path` (pread, no mapping) against `find_ji_payload` on
//! the whole file's bytes: the same answer, or the same error, on every
//! corpus file, every malformed file and every prefix of a few; and the
//! number of reads it makes, counted by strace.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use pkgimg::inject::{inject, InjectOptions};

/// What the in-memory lookup says about `bytes`, in the terms both report.
fn in_memory(bytes: &[u8]) -> Result<(u64, u64, u64, Option<u32>, pkgimg::FileRange), String> {
    pkgimg::find_ji_payload(bytes)
        .map(|p| (p.offset(), p.size(), u64::from(p.frame().payload_crc32c), p.slice(), p.container()))
        .map_err(|e| e.to_string())
}

fn from_path(path: &Path) -> Result<(u64, u64, u64, Option<u32>, pkgimg::FileRange), String> {
    match pkgimg::find_ji_payload_path(path) {
        Ok(l) => Ok((l.offset(), l.size(), u64::from(l.frame().payload_crc32c), l.slice(), l.container())),
        Err(pkgimg::LocateError::Format { source, .. }) => Err(source.to_string()),
        Err(other) => panic!("{}: {other}", path.display()),
    }
}

#[test]
fn agrees_with_the_lookup_in_memory_on_every_corpus_file() {
    let files = common::files_under(&common::corpus());
    let mut found = 0;
    for path in files.iter().filter(|p| !p.extension().is_some_and(|e| e == "json" || e == "md" || e == "py")) {
        let bytes = fs::read(path).unwrap();
        let expected = in_memory(&bytes);
        found += usize::from(expected.is_ok());
        assert_eq!(from_path(path), expected, "{}", path.display());
    }
    // corpus/expected.json lists the files with a payload; most of the corpus has one.
    assert!(found >= 30, "only {found} corpus files have a payload");
}

/// Every prefix of a file is a file whose structures end at every possible
/// place, in or out of the first block: the answers (mostly errors naming
/// what runs past the end) must still be the same.
#[test]
fn agrees_on_every_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut");
    for name in ["elf/x86_64-linux-musl.so", "macho/universal.dylib", "pe/x86_64-windows-gnu.dll", "obj/x86_64-linux.o"]
    {
        let bytes = fs::read(common::corpus().join(name)).unwrap();
        let step = (bytes.len() / 400).max(1);
        for len in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
            fs::write(&cut, &bytes[..len]).unwrap();
            assert_eq!(from_path(&cut), in_memory(&bytes[..len]), "{name} cut to {len} bytes");
        }
    }
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.so");
    let error = pkgimg::find_ji_payload_path(&missing).unwrap_err();
    assert!(matches!(error, pkgimg::LocateError::Io { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&format!("{}: cannot read: ", missing.display())), "{error}");
    // A directory is not a regular file: reading it fails (EISDIR).
    let error = pkgimg::find_ji_payload_path(dir.path()).unwrap_err();
    assert!(matches!(&error, pkgimg::LocateError::Io { source, .. } if source.raw_os_error() == Some(libc::EISDIR)));
    // Nor is a FIFO, which must not block the open (ESPIPE at the seek).
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let error = pkgimg::find_ji_payload_path(&fifo).unwrap_err();
    assert!(matches!(&error, pkgimg::LocateError::Io { source, .. } if source.raw_os_error() == Some(libc::ESPIPE)));
    // A character device has length 0: an empty file, not a library.
    let error = pkgimg::find_ji_payload_path("/dev/zero").unwrap_err();
    assert!(matches!(error, pkgimg::LocateError::Format { .. }), "{error:?}");
}

/// Not a test on its own: run by [`reads`] under strace, with the file in
/// `PKGIMG_LOCATE`, so that the log holds one lookup.
#[test]
fn locate_child() {
    if let Some(path) = std::env::var_os("PKGIMG_LOCATE") {
        pkgimg::find_ji_payload_path(&path).unwrap();
    }
}

/// The reads a lookup makes: `pread64` calls, and the bytes they return,
/// from strace's log of this test binary running [`locate_child`].
fn reads(file: &Path) -> Option<(usize, u64)> {
    let probe = Command::new("strace").args(["-f", "-o", "/dev/null", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(!common::in_ci(), "strace is required under CI=true (.ci/run installs it)");
        eprintln!("SKIPPED: strace is not available (or ptrace is not permitted)");
        return None;
    }
    let log = file.with_extension("trace");
    let run = Command::new("strace")
        .args(["-f", "-e", "trace=pread64,mmap,openat,close", "-o"])
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "locate_child", "--test-threads=1"])
        .env("PKGIMG_LOCATE", file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let trace = fs::read_to_string(&log).unwrap();
    let name = format!("\"{}\"", file.display());
    // With -f each line starts with the thread id.
    let lines: Vec<&str> = trace.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest.trim_start())).collect();
    let open = lines.iter().position(|l| l.starts_with("openat(") && l.contains(&name)).expect("the file is opened");
    let fd = lines[open].rsplit("= ").next().unwrap().trim().to_owned();
    // From the open to the close: the descriptor's number is reused afterwards.
    let close = format!("close({fd})");
    let ours: Vec<&str> = lines[open..]
        .iter()
        .take_while(|l| !l.starts_with(&close))
        .filter(|l| l.contains(&format!("({fd}, ")))
        .copied()
        .collect();
    assert!(!ours.iter().any(|l| l.starts_with("mmap(")), "the file is mapped:\n{trace}");
    let preads: Vec<u64> = ours
        .iter()
        .filter(|l| l.starts_with("pread64("))
        .map(|l| l.rsplit("= ").next().unwrap().trim().parse().unwrap())
        .collect();
    Some((preads.len(), preads.iter().sum()))
}

/// A library with a large payload: the lookup reads the first block and, for
/// the tables and frame `inject` writes elsewhere, a few blocks more, never
/// the payload.
#[test]
fn an_injected_library_costs_a_few_block_reads_whatever_its_payload() {
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload");
    fs::File::create(&payload).unwrap().set_len(64 << 20).unwrap();
    // The plain libraries of the corpus, and a larger one (90 KiB, whose
    // payload is replaced): its tables and frame are far from its first block.
    let inputs =
        ["nopayload/x86_64-linux-musl.so", "nopayload/aarch64-macos.dylib", "nopayload/x86_64-windows-gnu.dll"];
    for name in inputs.into_iter().chain(["elf/sparc64-linux-gnu.so"]) {
        let out = dir.path().join(Path::new(name).file_name().unwrap());
        let options = InjectOptions { replace: true, ..InjectOptions::default() };
        inject(&common::corpus().join(name), &payload, &out, options).unwrap();
        let bytes = fs::read(&out).unwrap();
        assert_eq!(from_path(&out), in_memory(&bytes), "{name}");
        assert_eq!(from_path(&out).unwrap().1, 64 << 20);
        let Some((count, bytes_read)) = reads(&out) else { return };
        // The first block, then one more: ELF's section name table, section
        // header table and frame lie together before the payload (FORMAT.md
        // §5.4); Mach-O's load commands and PE's section table are in the
        // first block, and the frame is just before the payload.
        assert!((1..=2).contains(&count), "{name}: {count} reads");
        assert!(bytes_read <= 3 * 4096, "{name}: {bytes_read} bytes read");
    }
}
