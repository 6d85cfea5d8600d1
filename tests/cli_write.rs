//! `jiscan inject` and `jiscan emit`, run as a user runs them: exit status,
//! files written (and not written), and the results read back by `jiscan
//! extract`, by the crate's reader, and by goblin and object as outside oracles.
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

use common::{code, stderr, stdout};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");

/// FORMAT.md, "The frame": the first 8 bytes of every container.
const FRAME_MAGIC: [u8; 8] = [0x89, 0x4a, 0x4c, 0x4a, 0x49, 0x0d, 0x0a, 0x1a];

/// The corpus libraries without a payload: (file, page size the payload must
/// start on per FORMAT.md "Writing rules").
const NOPAYLOAD: [(&str, u64); 3] =
    [("x86_64-linux-musl.so", 4096), ("x86_64-windows-gnu.dll", 4096), ("aarch64-macos.dylib", 16384)];

fn jiscan(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(JISCAN).args(args.iter().map(|a| a.as_ref())).output().expect("run jiscan")
}

fn nopayload(name: &str) -> PathBuf {
    common::corpus().join("nopayload").join(name)
}

/// Deterministic, non-repeating payload bytes (a xorshift stream), distinct per `seed`.
fn payload_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write_payload(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let bytes = payload_bytes(len, seed);
    let path = dir.join(name);
    fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// The names in `dir`, sorted: to show that no temporary file was left behind.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `jiscan extract FILE -o -` (with extra arguments), which must succeed.
fn extract(file: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"extract", &file, &"-o", &"-"];
    for a in extra {
        args.push(a);
    }
    let out = jiscan(&args);
    assert_eq!(code(&out), 0, "extract {}: {}", file.display(), stderr(&out));
    out.stdout
}

/// goblin and object both accept the file as an object of its kind.
fn outside_parsers_accept(bytes: &[u8], what: &str) {
    goblin::Object::parse(bytes).unwrap_or_else(|e| panic!("goblin rejects {what}: {e}"));
    if goblin::mach::Mach::parse(bytes).is_ok_and(|m| matches!(m, goblin::mach::Mach::Fat(_))) {
        let fat = object::read::macho::MachOFatFile32::parse(bytes)
            .unwrap_or_else(|e| panic!("object rejects the universal header of {what}: {e}"));
        for arch in fat.arches() {
            let slice = object::read::macho::FatArch::data(arch, bytes).unwrap();
            object::File::parse(slice).unwrap_or_else(|e| panic!("object rejects a slice of {what}: {e}"));
        }
    } else {
        object::File::parse(bytes).unwrap_or_else(|e| panic!("object rejects {what}: {e}"));
    }
}

/// The container section's data, as the object crate finds it by name
/// (FORMAT.md "Where the payload lives").
fn container_by_object(bytes: &[u8]) -> Vec<u8> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(bytes).unwrap();
    let section = match file.format() {
        object::BinaryFormat::MachO => {
            file.sections().find(|s| s.name() == Ok("__ji") && s.segment_name() == Ok(Some("__JULIA")))
        }
        _ => file.section_by_name(".jlji"),
    };
    section.expect("the object crate finds the container").data().unwrap().to_vec()
}

// ---------------------------------------------------------------------------
// emit

#[test]
fn emit_writes_objects_that_carry_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, bytes) = write_payload(dir.path(), "p.ji", 70_001, 1);
    // (triple, format word in the summary, object crate's idea of the format)
    let cases = [
        ("x86_64-unknown-linux-gnu", "ELF", object::BinaryFormat::Elf),
        ("powerpc64-linux-gnu", "ELF", object::BinaryFormat::Elf),
        ("arm64-apple-macos", "Mach-O", object::BinaryFormat::MachO),
        ("x86_64-pc-windows-msvc", "COFF", object::BinaryFormat::Coff),
    ];
    for (triple, word, format) in cases {
        let out_path = dir.path().join(format!("{triple}.o"));
        let out = jiscan(&[&"emit", &"--target", &triple, &payload, &"-o", &out_path]);
        assert_eq!(code(&out), 0, "{triple}: {}", stderr(&out));
        let summary = stdout(&out);
        assert_eq!(summary.lines().count(), 1, "{triple}: one summary line: {summary}");
        assert!(summary.contains(&out_path.display().to_string()) && summary.contains(word), "{triple}: {summary}");

        let object_bytes = fs::read(&out_path).unwrap();
        let found = pkgimg::find_ji_payload(&object_bytes).unwrap();
        assert_eq!(found.data(), &bytes[..], "{triple}: payload bytes");
        found.verify().unwrap();
        assert_eq!(found.offset() % 64, 0, "{triple}: FORMAT.md wants the payload 64-byte aligned");

        outside_parsers_accept(&object_bytes, triple);
        let file = object::File::parse(&*object_bytes).unwrap().format();
        assert_eq!(file, format, "{triple}");
        let container = container_by_object(&object_bytes);
        assert_eq!(container.get(..8), Some(&FRAME_MAGIC[..]), "{triple}: frame first in the container");
        assert_eq!(container.get(64..), Some(&bytes[..]), "{triple}: payload right after the frame");
        assert_eq!(extract(&out_path, &[]), bytes, "{triple}: extract gives the payload back");
    }
    let mut names = names_in(dir.path());
    names.retain(|n| n.starts_with('.'));
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

#[test]
fn emit_to_standard_output_gives_the_same_object() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, bytes) = write_payload(dir.path(), "p.ji", 3000, 2);
    let out_path = dir.path().join("x.o");
    let to_file = jiscan(&[&"emit", &"--target", &"aarch64-linux-musl", &payload, &"-o", &out_path]);
    assert_eq!(code(&to_file), 0, "{}", stderr(&to_file));
    let to_stdout = jiscan(&[&"emit", &"--target", &"aarch64-linux-musl", &payload, &"-o", &"-"]);
    assert_eq!(code(&to_stdout), 0, "{}", stderr(&to_stdout));
    assert_eq!(to_stdout.stdout, fs::read(&out_path).unwrap());
    assert_eq!(pkgimg::find_ji_payload(&to_stdout.stdout).unwrap().data(), &bytes[..]);
}

/// Review 18 F10: `emit` verified its output by opening the temporary file
/// again by its path, which a umask of 0477 forbids its own (non-root)
/// owner; it reads the open file now. As root the test drops to uid 65534,
/// whose permissions are checked.
#[test]
fn emit_verifies_an_output_its_owner_cannot_read_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d, fs::Permissions::from_mode(0o777)).unwrap();
    let (payload, _) = write_payload(d, "p.ji", 3000, 11);
    fs::set_permissions(&payload, fs::Permissions::from_mode(0o644)).unwrap();
    // SAFETY: getuid(2) has no preconditions.
    let root = unsafe { libc::getuid() } == 0;
    if root && !common::require_tool("setpriv") {
        return;
    }
    let run = |script: &str| {
        let mut c = Command::new(if root { "setpriv" } else { "sh" });
        if root {
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh"]);
        }
        c.args(["-c", script]).current_dir(d).output().unwrap()
    };
    // The directories above the test's, and jiscan, may be closed to uid 65534.
    let reach = run(&format!("test -r p.ji && test -x {JISCAN}"));
    if !reach.status.success() {
        assert!(std::env::var("CI").is_err(), "uid 65534 cannot reach {} or {JISCAN}", d.display());
        return;
    }
    let out = run(&format!("umask 0477 && exec {JISCAN} emit --target x86_64-linux-gnu p.ji -o o.o"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(fs::metadata(d.join("o.o")).unwrap().permissions().mode() & 0o777, 0o200);
}

#[test]
fn emit_errors_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, _) = write_payload(dir.path(), "p.ji", 1000, 3);
    let existing = dir.path().join("existing.o");
    fs::write(&existing, b"previous contents").unwrap();
    let fresh = dir.path().join("fresh.o");
    let before = names_in(dir.path());

    for out_path in [&existing, &fresh] {
        let out = jiscan(&[&"emit", &"--target", &"x86_64-unknown-nosuchos", &payload, &"-o", out_path]);
        assert_eq!(code(&out), 1, "unknown triple: {}", stderr(&out));
        assert!(stderr(&out).contains("x86_64-unknown-nosuchos"), "the error names the triple: {}", stderr(&out));

        let missing = dir.path().join("missing.ji");
        let out = jiscan(&[&"emit", &"--target", &"x86_64-linux-gnu", &missing, &"-o", out_path]);
        assert_eq!(code(&out), 1);
        assert!(stderr(&out).contains("missing.ji"), "the error names the payload: {}", stderr(&out));

        // A payload that is not a regular file cannot be read twice.
        let out = jiscan(&[&"emit", &"--target", &"x86_64-linux-gnu", &dir.path(), &"-o", out_path]);
        assert_eq!(code(&out), 1);
    }
    assert_eq!(fs::read(&existing).unwrap(), b"previous contents");
    assert!(!fresh.exists());
    assert_eq!(names_in(dir.path()), before, "no file created or left behind");

    // Usage errors are status 2.
    let out = jiscan(&[&"emit", &payload, &"-o", &fresh]);
    assert_eq!(code(&out), 2, "missing --target");
    assert!(!fresh.exists());
}

// ---------------------------------------------------------------------------
// inject

#[test]
fn inject_then_extract_gives_the_payload_back() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, bytes) = write_payload(dir.path(), "p.ji", 50_000, 4);
    for (name, page) in NOPAYLOAD {
        let library = nopayload(name);
        let original = fs::read(&library).unwrap();
        let out_path = dir.path().join(name);
        let out = jiscan(&[&"inject", &library, &payload, &"-o", &out_path]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(fs::read(&library).unwrap(), original, "{name}: the input is not modified");

        let written = fs::read(&out_path).unwrap();
        let found = pkgimg::find_ji_payload(&written).unwrap();
        assert_eq!(found.data(), &bytes[..], "{name}");
        assert_eq!(found.offset() % page, 0, "{name}: FORMAT.md wants the payload on a {page}-byte page");
        outside_parsers_accept(&written, name);
        assert_eq!(container_by_object(&written).get(..8), Some(&FRAME_MAGIC[..]), "{name}: the container");
        assert_eq!(extract(&out_path, &[]), bytes, "{name}");

        // The summary: one line with the path, the offset and the size.
        let summary = stdout(&out);
        assert_eq!(summary.lines().count(), 1, "{name}: {summary}");
        for part in [out_path.display().to_string(), format!("{:#x}", found.offset()), bytes.len().to_string()] {
            assert!(summary.contains(&part), "{name}: summary lacks {part}: {summary}");
        }
    }
}

#[test]
fn inject_twice_needs_replace() {
    let dir = tempfile::tempdir().unwrap();
    let len = 100_000;
    let (first, _) = write_payload(dir.path(), "first.ji", len, 5);
    let (second, second_bytes) = write_payload(dir.path(), "second.ji", len, 6);
    for (name, page) in NOPAYLOAD {
        let once = dir.path().join(format!("once-{name}"));
        let out = jiscan(&[&"inject", &nopayload(name), &first, &"-o", &once]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        let once_bytes = fs::read(&once).unwrap();

        // Into an existing output, without --replace: refused, nothing changes.
        let twice = dir.path().join(format!("twice-{name}"));
        fs::copy(&once, &twice).unwrap();
        let before = names_in(dir.path());
        let out = jiscan(&[&"inject", &once, &second, &"-o", &twice]);
        assert_eq!(code(&out), 1, "{name}: {}", stdout(&out));
        let message = stderr(&out);
        assert!(message.contains(&once.display().to_string()) && message.contains("--replace"), "{name}: {message}");
        assert_eq!(fs::read(&twice).unwrap(), once_bytes, "{name}: OUT untouched");
        assert_eq!(fs::read(&once).unwrap(), once_bytes, "{name}: input untouched");
        assert_eq!(names_in(dir.path()), before, "{name}: no temporary file left");

        // With --replace: the new payload, and the old one is not kept.
        let out = jiscan(&[&"inject", &"--replace", &once, &second, &"-o", &twice]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert_eq!(extract(&twice, &[]), second_bytes, "{name}");
        let (size_once, size_twice) = (once_bytes.len() as u64, fs::metadata(&twice).unwrap().len());
        assert!(
            size_twice.abs_diff(size_once) <= page,
            "{name}: replacing gives {size_twice} bytes, injecting once {size_once}"
        );
        outside_parsers_accept(&fs::read(&twice).unwrap(), name);
    }
}

#[test]
fn inject_in_place_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, bytes) = write_payload(dir.path(), "p.ji", 20_000, 7);
    for (name, _) in NOPAYLOAD {
        let library = dir.path().join(name);
        fs::copy(nopayload(name), &library).unwrap();
        // Through a symbolic link: the file it points to is replaced, the link kept.
        let link = dir.path().join(format!("link-{name}"));
        std::os::unix::fs::symlink(&library, &link).unwrap();
        let before = names_in(dir.path());

        let out = jiscan(&[&"inject", &"--in-place", &link, &payload]);
        assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "{name}: the link stays a link");
        let written = fs::read(&library).unwrap();
        assert_eq!(pkgimg::find_ji_payload(&written).unwrap().data(), &bytes[..], "{name}");
        outside_parsers_accept(&written, name);
        assert_eq!(extract(&library, &[]), bytes, "{name}");
        assert_eq!(names_in(dir.path()), before, "{name}: no file added or left behind");

        // A second in-place injection without --replace leaves the file as it is.
        let out = jiscan(&[&"inject", &"--in-place", &library, &payload]);
        assert_eq!(code(&out), 1, "{name}");
        assert_eq!(fs::read(&library).unwrap(), written, "{name}: untouched after the refusal");
    }
}

/// Review 18 F4: the temporary file of an in-place write inherits the
/// directory's default ACL; the result must not keep an access ACL its
/// source lacked (here one that let uid 65534 read a 0640 library).
#[test]
fn in_place_inject_does_not_take_the_directorys_default_acl() {
    let dir = tempfile::tempdir().unwrap();
    let acl_dir = dir.path().join("acl");
    fs::create_dir(&acl_dir).unwrap();
    // system.posix_acl_default (acl/acl_xattr.h): version 2, then entries
    // {tag, perm, id}: USER_OBJ rwx, USER 65534 rw-, GROUP_OBJ r-x, MASK rwx, OTHER r-x.
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in
        [(1u16, 7u16, u32::MAX), (2, 6, 65534), (4, 5, u32::MAX), (0x10, 7, u32::MAX), (0x20, 5, u32::MAX)]
    {
        acl.extend_from_slice(&tag.to_le_bytes());
        acl.extend_from_slice(&perm.to_le_bytes());
        acl.extend_from_slice(&id.to_le_bytes());
    }
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    let name = c"system.posix_acl_default";
    // SAFETY: NUL-terminated strings and a live buffer of acl.len() bytes.
    let set = unsafe { libc::setxattr(c(&acl_dir).as_ptr(), name.as_ptr(), acl.as_ptr().cast(), acl.len(), 0) };
    if set != 0 {
        eprintln!("no default ACLs on this file system: {}", std::io::Error::last_os_error());
        assert!(std::env::var("CI").is_err(), "CI needs a file system with POSIX ACLs for this test");
        return;
    }
    let (payload, _) = write_payload(dir.path(), "p.ji", 1000, 9);
    let (name0, _) = NOPAYLOAD[0];
    let library = dir.path().join(name0);
    fs::copy(nopayload(name0), &library).unwrap();
    fs::set_permissions(&library, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let target = acl_dir.join(name0);
    fs::copy(&library, &target).unwrap();
    fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    // fs::copy of a file into the directory makes a new file, which took the ACL;
    // drop it, so the source has none, as a file moved in would.
    // SAFETY: a NUL-terminated path and name.
    unsafe { libc::removexattr(c(&target).as_ptr(), c"system.posix_acl_access".as_ptr()) };
    let out = jiscan(&[&"inject", &"--in-place", &target, &payload]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut value = [0u8; 256];
    // SAFETY: as above, and a live buffer of 256 bytes.
    let got = unsafe {
        libc::getxattr(c(&target).as_ptr(), c"system.posix_acl_access".as_ptr(), value.as_mut_ptr().cast(), value.len())
    };
    assert_eq!(got, -1, "the result has an access ACL its source lacked");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o7777, 0o640);
}

#[test]
fn inject_per_arch_payloads_into_a_universal_file() {
    let dir = tempfile::tempdir().unwrap();
    let (main, main_bytes) = write_payload(dir.path(), "main.ji", 10_000, 8);
    let (arm, arm_bytes) = write_payload(dir.path(), "arm.ji", 12_345, 9);
    let out_path = dir.path().join("u.dylib");
    let library = common::corpus().join("macho/universal.dylib");
    let arch_arg = format!("arm64={}", arm.display());
    let out = jiscan(&[&"inject", &"--replace", &library, &main, &"--arch", &arch_arg, &"-o", &out_path]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(extract(&out_path, &["--arch", "x86_64"]), main_bytes);
    assert_eq!(extract(&out_path, &["--arch", "aarch64"]), arm_bytes);
    outside_parsers_accept(&fs::read(&out_path).unwrap(), "universal.dylib");
    let summary = stdout(&out);
    assert!(summary.contains("x86_64") && summary.contains("aarch64"), "one entry per slice: {summary}");

    // --arch on a thin ELF file is refused by the library: status 1, nothing written.
    let elf_out = dir.path().join("e.so");
    let out = jiscan(&[&"inject", &nopayload("x86_64-linux-musl.so"), &main, &"--arch", &arch_arg, &"-o", &elf_out]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!elf_out.exists());
    // An architecture name jiscan does not know is bad usage.
    let bad = format!("vax={}", arm.display());
    let out = jiscan(&[&"inject", &library, &main, &"--arch", &bad, &"-o", &elf_out]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!elf_out.exists());
}

#[test]
fn inject_destination_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, _) = write_payload(dir.path(), "p.ji", 100, 10);
    let library = dir.path().join("lib.so");
    fs::copy(nopayload("x86_64-linux-musl.so"), &library).unwrap();
    let original = fs::read(&library).unwrap();
    let out_path = dir.path().join("out.so");
    let before = names_in(dir.path());

    let both = jiscan(&[&"inject", &library, &payload, &"-o", &out_path, &"--in-place"]);
    let neither = jiscan(&[&"inject", &library, &payload]);
    let to_stdout = jiscan(&[&"inject", &library, &payload, &"-o", &"-"]);
    for (what, out) in [("-o with --in-place", both), ("neither", neither), ("-o -", to_stdout)] {
        assert_eq!(code(&out), 2, "{what}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{what}");
    }
    assert_eq!(fs::read(&library).unwrap(), original);
    assert_eq!(names_in(dir.path()), before);
}

#[test]
fn failed_injection_leaves_everything_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, _) = write_payload(dir.path(), "p.ji", 5000, 11);
    // A section header table that runs past the end of the file.
    let library = common::corpus().join("malformed/truncated-shdr.so");
    let original = fs::read(&library).unwrap();
    let out_path = dir.path().join("out.so");
    fs::write(&out_path, b"keep me").unwrap();
    let before = names_in(dir.path());

    let out = jiscan(&[&"inject", &library, &payload, &"-o", &out_path]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let message = stderr(&out);
    assert!(message.contains("truncated-shdr.so"), "the error names the file: {message}");
    assert!(message.contains("0x"), "the error gives an offset: {message}");
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read(&library).unwrap(), original, "input byte-identical");
    assert_eq!(fs::read(&out_path).unwrap(), b"keep me", "OUT untouched");
    assert_eq!(names_in(dir.path()), before, "no temporary file left");

    // A missing payload: named, and nothing written either.
    let missing = dir.path().join("missing.ji");
    let out = jiscan(&[&"inject", &nopayload("x86_64-linux-musl.so"), &missing, &"-o", &out_path]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("missing.ji"), "{}", stderr(&out));
    assert_eq!(fs::read(&out_path).unwrap(), b"keep me");
    assert_eq!(names_in(dir.path()), before);
}

/// Audit 24 F6, review 24 F4: `-o NEW/` and `-o NEW/.` (a path that does
/// not exist, ending in a slash or a dot) were taken as a new file: the
/// payload was written, synced and verified, and the rename failed at the
/// end (ENOTDIR, ENOENT). They are refused before any work, as a directory
/// is.
#[test]
fn an_output_ending_in_a_slash_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, _) = write_payload(dir.path(), "p.ji", 5000, 3);
    let before = names_in(dir.path());
    let library = nopayload("x86_64-linux-musl.so");
    let d = dir.path().display();
    for out_path in [format!("{d}/new.so/"), format!("{d}/new.so/."), format!("{d}/new/..")] {
        for args in [
            vec!["inject", library.to_str().unwrap(), payload.to_str().unwrap(), "-o", &out_path],
            vec!["emit", "--target", "x86_64-linux-gnu", payload.to_str().unwrap(), "-o", &out_path],
            vec!["extract", "corpus/elf/x86_64-linux-musl-ji.so", "-o", &out_path],
        ] {
            let args: Vec<&dyn AsRef<std::ffi::OsStr>> =
                args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>).collect();
            let out = jiscan(&args);
            assert_eq!(code(&out), 1, "{}", stdout(&out));
            let said = stderr(&out);
            let reason = "cannot write the result there: a path ending in '/', '.' or '..' names a directory";
            assert!(said.contains(&format!("{out_path}: {reason}")), "{said}");
            assert_eq!(names_in(dir.path()), before);
        }
    }
}

/// Audit 24 F9: what the help rules out is refused as it says. A symbol
/// name no C source can spell ("as C spells it") was written; two
/// `--arch` payloads for one architecture were a failure (1), where an
/// unknown name is a usage error (2); a too long install name was
/// reported as "payload too large".
#[test]
fn what_the_help_rules_out_is_refused_as_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let (payload, _) = write_payload(dir.path(), "p.ji", 3000, 5);
    let p = payload.to_str().unwrap();
    let out_path = dir.path().join("out");
    let o = out_path.to_str().unwrap();
    let emit = |symbol: &str| {
        let args =
            ["emit", "--shared", "--soname", "libd.so", "--symbol", symbol, "--target", "x86_64-linux-gnu", p, "-o", o];
        jiscan(&args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>).collect::<Vec<_>>())
    };
    for symbol in ["a b", "1abc", "x$y", ""] {
        let out = emit(symbol);
        assert_eq!(code(&out), 2, "--symbol {symbol:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("expected a C identifier"), "{}", stderr(&out));
    }
    let out = emit("_pkg_data1");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    fs::remove_file(&out_path).unwrap();

    let dylib = nopayload("aarch64-macos.dylib");
    let (arm64, aarch64) = (format!("arm64={p}"), format!("aarch64={p}"));
    let out = jiscan(&[&"inject", &"--arch", &arm64, &"--arch", &aarch64, &dylib, &payload, &"-o", &o]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).starts_with("error: --arch gives two payloads for aarch64"), "{}", stderr(&out));

    let name = "n".repeat(70_000);
    let out = jiscan(&[&"emit", &"--shared", &"--soname", &name, &"--target", &"arm64-apple-macos", &p, &"-o", &o]);
    assert_eq!(code(&out), 1);
    let said = stderr(&out);
    assert!(
        said.contains("its install name (70000 bytes) makes the header and load commands")
            && !said.contains("payload too large"),
        "{said}"
    );
    assert!(!out_path.exists());
}

/// A file under /proc is a regular file whose size is 0 but which holds
/// bytes: `inject` (plain and --compress) and `emit --compress` took the
/// size from `stat` and wrote an empty payload, reporting success. Plain
/// `emit` reads to the end (its CRC pass) and carries the whole file.
#[test]
fn a_payload_larger_than_its_size_is_refused_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    let proc_file = Path::new("/proc/version");
    let text = fs::read(proc_file).unwrap();
    assert!(!text.is_empty() && fs::metadata(proc_file).unwrap().len() == 0, "the premise");
    let out_path = dir.path().join("out.so");
    fs::write(&out_path, b"keep me").unwrap();
    let before = names_in(dir.path());
    let library = nopayload("x86_64-linux-musl.so");
    for extra in [None, Some("--compress")] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"inject", &library, &proc_file, &"-o", &out_path];
        args.extend(extra.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        let out = jiscan(&args);
        assert_eq!(code(&out), 1, "inject {extra:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("/proc/version: payload at 0x0: the file holds more than the 0 bytes its size says"),
            "inject {extra:?}: {}",
            stderr(&out)
        );
        assert_eq!(fs::read(&out_path).unwrap(), b"keep me", "inject {extra:?}: OUT untouched");
        assert_eq!(names_in(dir.path()), before, "inject {extra:?}: no temporary file left");
    }
    let object = dir.path().join("o.o");
    let out = jiscan(&[&"emit", &"--compress", &"--target", &"x86_64-linux-gnu", &proc_file, &"-o", &object]);
    assert_eq!(code(&out), 1, "emit --compress: {}", stdout(&out));
    assert!(stderr(&out).contains("holds more than the 0 bytes its size says"), "{}", stderr(&out));
    assert!(!object.exists());
    let out = jiscan(&[&"emit", &"--target", &"x86_64-linux-gnu", &proc_file, &"-o", &object]);
    assert_eq!(code(&out), 0, "plain emit: {}", stderr(&out));
    assert_eq!(extract(&object, &[]), text);
}

/// A payload just above the 64 MiB progress threshold, as a sparse file (no
/// disk blocks, and fast to read).
fn large_payload(dir: &Path) -> PathBuf {
    let path = dir.join("large.ji");
    fs::File::create(&path).unwrap().set_len((64 << 20) + 1).unwrap();
    path
}

#[test]
fn no_progress_bar_when_stderr_is_piped() {
    let dir = tempfile::tempdir().unwrap();
    let payload = large_payload(dir.path());
    let out_path = dir.path().join("out.so");
    let out = jiscan(&[&"inject", &nopayload("x86_64-linux-musl.so"), &payload, &"-o", &out_path]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!out.stderr.contains(&b'\r'), "carriage return on a piped stderr: {:?}", stderr(&out));
    assert!(out.stderr.is_empty(), "nothing on stderr on success: {:?}", stderr(&out));
    assert_eq!(pkgimg::find_ji_payload(&fs::read(&out_path).unwrap()).unwrap().size(), (64 << 20) + 1);
}

/// The positive control for the test above: on a terminal (a pty made by
/// util-linux `script`), the same command draws the bar.
#[test]
fn progress_bar_on_a_terminal() {
    if !common::require(&["script", "--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let payload = large_payload(dir.path());
    let out_path = dir.path().join("out.so");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let command = format!(
        "{} inject {} {} -o {}",
        quote(Path::new(JISCAN)),
        quote(&nopayload("x86_64-linux-musl.so")),
        quote(&payload),
        quote(&out_path)
    );
    let out = Command::new("script").args(["-qec", &command, "/dev/null"]).output().expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text} {}", stderr(&out));
    assert!(text.contains("\rcopying payload ["), "no progress bar on a terminal: {text:?}");
    assert!(out_path.exists());
}

#[test]
fn help_teaches_the_commands() {
    for (command, needles) in [
        ("inject", &["ELF", "PE", "Mach-O", "Examples", "Exit status", "temporary file", "--in-place"][..]),
        ("emit", &["ELF", "Mach-O", "COFF", "Examples", "Exit status", "temporary file", "-o -"][..]),
    ] {
        let out = jiscan(&[&command, &"--help"]);
        assert_eq!(code(&out), 0);
        let text = stdout(&out);
        for needle in needles {
            assert!(text.contains(needle), "jiscan {command} --help lacks {needle:?}");
        }
    }
}
