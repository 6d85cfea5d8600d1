//! `jiscan emit --shared --implib IMPLIB`: the import library is a second
//! output under the write-path policy (README.md, "Writing files safely"),
//! checked with OBJECT before any work and never the same file as PAYLOAD or
//! OBJECT. Each test here failed before that (notes/cli-audit.md F1, F2, F3
//! and F11): `--implib` replaced the payload or the data library just
//! written with exit status 0, a bad IMPLIB was found only after the data
//! library was in place, `-o -` silently wrote no import library, and the
//! summary called a PE data library "COFF".
// Test code may index, unwrap and panic: the crate's no-panic lints
// (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/mod.rs"]
mod common;

use common::{code, stderr, stdout};

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pkgimg::emit::{DataLibrary, Target};

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");
const TRIPLE: &str = "x86_64-windows-gnu";
const SONAME: &str = "Foo_data.dll";

/// `jiscan emit --shared` for a Windows target with `--implib implib`,
/// run in `dir`.
fn emit(dir: &Path, implib: &dyn AsRef<OsStr>, payload: &dyn AsRef<OsStr>, out: &dyn AsRef<OsStr>) -> Output {
    Command::new(JISCAN)
        .current_dir(dir)
        .args(["emit", "--shared", "--soname", SONAME, "--target", TRIPLE, "--implib"])
        .arg(implib)
        .arg(payload)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run jiscan")
}

/// Payload bytes, different for each seed; only compared, never parsed.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64).map(|i| (i.wrapping_mul(131) ^ seed.wrapping_mul(0x9e37)) as u8).collect()
}

/// A directory with `pay.bin` (100 random bytes) in it.
fn with_payload(seed: u64) -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let payload = bytes(100, seed);
    fs::write(dir.path().join("pay.bin"), &payload).unwrap();
    (dir, payload)
}

/// The names in `dir`, sorted (temporary files included: they start with a dot).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// What `jiscan emit --shared` should write: the data library and its import library.
fn expected(payload: &[u8], triple: &str) -> (Vec<u8>, Vec<u8>) {
    let target = Target::from_triple(triple).unwrap();
    let library = DataLibrary::new(SONAME);
    let mut implib = Vec::new();
    target.write_import_library(&library, &mut implib).unwrap();
    (target.data_library_to_vec(&library, payload).unwrap(), implib)
}

/// A refused run: status 1, the message names `named` and says `why`,
/// nothing written, no temporary file left, and the payload unchanged.
fn assert_refused(out: &Output, dir: &Path, before: &[String], payload: &[u8], named: &str, why: &str) {
    let message = stderr(out);
    assert_eq!(code(out), 1, "{named}: {message}");
    assert!(message.contains(named) && message.contains(why), "{named}: the message says why: {message}");
    assert!(stdout(out).is_empty(), "{named}: no summary line: {}", stdout(out));
    assert_eq!(names(dir), before, "{named}: nothing created, no temporary file left");
    assert!(fs::read(dir.join("pay.bin")).unwrap() == payload, "{named}: the payload is unchanged");
}

#[test]
fn an_implib_that_is_the_payload_is_refused() {
    // By its own path, by a hard link and by a symbolic link to it.
    for how in ["path", "hard link", "symbolic link"] {
        let (dir, payload) = with_payload(1);
        let implib = match how {
            "path" => "pay.bin",
            "hard link" => {
                fs::hard_link(dir.path().join("pay.bin"), dir.path().join("hard.a")).unwrap();
                "hard.a"
            }
            _ => {
                std::os::unix::fs::symlink("pay.bin", dir.path().join("soft.a")).unwrap();
                "soft.a"
            }
        };
        let before = names(dir.path());
        let out = emit(dir.path(), &implib, &"pay.bin", &"Foo_data.dll");
        assert_refused(&out, dir.path(), &before, &payload, implib, "same file as the payload");
        assert!(!dir.path().join("Foo_data.dll").exists(), "{how}: -o not created");
    }
}

#[test]
fn an_implib_that_is_the_data_library_is_refused() {
    let old = b"the previous data library".to_vec();
    // (IMPLIB, whether OBJECT exists before): the same new path, spelled
    // differently; an existing OBJECT by its path and through a link.
    let cases = [("Foo_data.dll", false), ("./Foo_data.dll", false), ("Foo_data.dll", true), ("link.a", true)];
    for (implib, exists) in cases {
        let (dir, payload) = with_payload(2);
        let object = dir.path().join("Foo_data.dll");
        if exists {
            fs::write(&object, &old).unwrap();
            std::os::unix::fs::symlink("Foo_data.dll", dir.path().join("link.a")).unwrap();
        }
        let before = names(dir.path());
        let out = emit(dir.path(), &implib, &"pay.bin", &"Foo_data.dll");
        assert_refused(&out, dir.path(), &before, &payload, implib, "same file as the data library");
        if exists {
            assert_eq!(fs::read(&object).unwrap(), old, "{implib}: the old data library is untouched");
        } else {
            assert!(!object.exists(), "{implib}: -o not created");
        }
    }
}

#[test]
fn a_bad_implib_destination_is_refused_before_anything_is_written() {
    let (dir, payload) = with_payload(3);
    fs::create_dir(dir.path().join("sub")).unwrap();
    let cases: [(PathBuf, &str); 3] = [
        (dir.path().join("missing/libFoo_data.dll.a"), "does not exist"),
        (dir.path().join("sub"), "it is a directory"),
        (PathBuf::from("/dev/null"), "character device"),
    ];
    for (implib, why) in cases {
        let before = names(dir.path());
        let out = emit(dir.path(), &implib, &"pay.bin", &"Foo_data.dll");
        assert_refused(&out, dir.path(), &before, &payload, &implib.display().to_string(), why);
        assert!(!dir.path().join("Foo_data.dll").exists(), "{}: -o not created", implib.display());
        assert!(names(&dir.path().join("sub")).is_empty(), "nothing written into the directory");
    }
}

#[test]
fn both_files_are_written_and_the_summary_names_them() {
    for triple in ["x86_64-windows-gnu", "i686-windows-gnu", "aarch64-windows-gnu"] {
        let (dir, payload) = with_payload(4);
        fs::set_permissions(dir.path().join("pay.bin"), fs::Permissions::from_mode(0o600)).unwrap();
        // An existing import library behind a symbolic link: the file it
        // points to is replaced, the link kept.
        fs::write(dir.path().join("old.a"), b"an old import library").unwrap();
        std::os::unix::fs::symlink("old.a", dir.path().join("libFoo_data.dll.a")).unwrap();
        let out = Command::new(JISCAN)
            .current_dir(dir.path())
            .args(["emit", "--shared", "--soname", SONAME, "--target", triple])
            .args(["--implib", "libFoo_data.dll.a", "pay.bin", "-o", "Foo_data.dll"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{triple}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{triple}: no warning: {}", stderr(&out));
        let (dll, implib) = expected(&payload, triple);
        assert!(fs::read(dir.path().join("Foo_data.dll")).unwrap() == dll, "{triple}: the data library");
        assert!(fs::read(dir.path().join("old.a")).unwrap() == implib, "{triple}: the import library");
        assert!(fs::symlink_metadata(dir.path().join("libFoo_data.dll.a")).unwrap().file_type().is_symlink());
        assert_eq!(names(dir.path()), ["Foo_data.dll", "libFoo_data.dll.a", "old.a", "pay.bin"], "{triple}");
        // OBJECT's mode policy: the payload's read and write bits.
        for name in ["Foo_data.dll", "old.a"] {
            let mode = fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, 0o600, "{triple}: {name}");
        }
        let summary = stdout(&out);
        assert_eq!(summary.lines().count(), 1, "{triple}: {summary}");
        assert!(summary.starts_with("Foo_data.dll: PE "), "{triple}: {summary}");
        let tail = format!("; import library libFoo_data.dll.a, {} bytes\n", implib.len());
        assert!(summary.ends_with(&tail), "{triple}: the summary names the import library: {summary}");
    }
}

#[test]
fn implib_with_standard_output_is_refused() {
    let (dir, payload) = with_payload(5);
    let before = names(dir.path());
    let out = emit(dir.path(), &"libFoo_data.dll.a", &"pay.bin", &"-");
    assert!(out.stdout.is_empty(), "no data library on standard output");
    assert_refused(&out, dir.path(), &before, &payload, "libFoo_data.dll.a", "--implib needs -o");
}

#[test]
fn the_summary_calls_a_data_dll_pe_and_an_object_coff() {
    let (dir, _) = with_payload(6);
    let run = |args: &[&str]| {
        let out = Command::new(JISCAN).current_dir(dir.path()).args(args).output().unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    for triple in ["x86_64-windows-gnu", "i686-pc-windows-msvc", "aarch64-windows-gnu"] {
        let dll = run(&["emit", "--shared", "--soname", SONAME, "--target", triple, "pay.bin", "-o", "d.dll"]);
        assert!(dll.starts_with("d.dll: PE ") && dll.contains(" data library, "), "{triple}: {dll}");
        let object = run(&["emit", "--target", triple, "pay.bin", "-o", "o.obj"]);
        assert!(object.starts_with("o.obj: COFF ") && object.contains(" object, "), "{triple}: {object}");
    }
}

/// An IMPLIB that another process is writing (holding its lock) is not
/// waited for while this process holds OBJECT's: two runs writing each
/// other's files (`-o X --implib Y` and `-o Y --implib X`) would each wait
/// for the other for ever. The run stops at once with status 1, nothing
/// written; the test gives it 20 seconds before calling it a hang.
#[test]
fn an_implib_another_process_is_writing_is_not_waited_for() {
    let (dir, payload) = with_payload(7);
    fs::write(dir.path().join("x.a"), b"old").unwrap();
    let before = names(dir.path());
    // The lock a writer holds: flock(2), exclusive, on the existing file.
    let held = fs::File::open(dir.path().join("x.a")).unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(std::os::unix::io::AsRawFd::as_raw_fd(&held), libc::LOCK_EX) }, 0);
    let mut child = Command::new(JISCAN)
        .current_dir(dir.path())
        .args(["emit", "--shared", "--soname", SONAME, "--target", TRIPLE, "--implib", "x.a", "pay.bin", "-o"])
        .arg("X.dll")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("jiscan emit waited for the import library's lock while holding the data library's");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    drop(held);
    assert_refused(&out, dir.path(), &before, &payload, "x.a", "another process is writing it");
    assert_eq!(fs::read(dir.path().join("x.a")).unwrap(), b"old");
}
