//! The `jiscan` binary, run as a user runs it: its output, exit status and
//! files, checked against the corpus's expected.json and against files built
//! here by hand from FORMAT.md.
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
#[path = "common/ji_samples.rs"]
mod ji_samples;
#[path = "common/ji_writer.rs"]
mod ji_writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, model, stderr};
use serde_json::Value;

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");

/// The exact keys of a `scan --json` line, in order.
const SCAN_KEYS: [&str; 9] = ["path", "slice", "format", "bits", "endian", "arch", "payload", "data_library", "error"];
/// The exact keys of its `payload` object (and of `data_library.payload`), in
/// order: `compressed` and `uncompressed_size` came with zstd-compressed
/// payloads (issue 15 item 4).
const PAYLOAD_KEYS: [&str; 6] = ["offset", "size", "crc32c", "crc_ok", "compressed", "uncompressed_size"];

fn jiscan(args: &[&str]) -> Output {
    Command::new(JISCAN).args(args).output().expect("run jiscan")
}

fn jiscan_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(JISCAN).args(args).current_dir(dir).output().expect("run jiscan")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// Parses JSON Lines, checking each has exactly the contract's keys in order.
fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let obj = v.as_object().unwrap_or_else(|| panic!("not an object: {line}"));
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            let mut sorted_contract = SCAN_KEYS.to_vec();
            sorted_contract.sort();
            assert_eq!(keys, sorted_contract, "keys of {line}");
            // serde_json sorts keys; the raw line must have them in contract order.
            let positions: Vec<usize> =
                SCAN_KEYS.iter().map(|k| line.find(&format!("\"{k}\":")).expect("key present")).collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "key order in {line}");
            for payload in [&v["payload"], &v["data_library"]["payload"]] {
                if let Some(payload) = payload.as_object() {
                    let keys: Vec<&str> = payload.keys().map(String::as_str).collect();
                    let mut sorted_contract = PAYLOAD_KEYS.to_vec();
                    sorted_contract.sort();
                    assert_eq!(keys, sorted_contract, "payload keys of {line}");
                }
            }
            v
        })
        .collect()
}

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jiscan-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

// ---------------------------------------------------------------------------
// Hand-made payloads, written from FORMAT.md without the crate's code.

/// CRC-32C, bit by bit from the definition (reflected polynomial 0x82F63B78).
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

/// FORMAT.md "The frame": 64 little-endian bytes, payload right after it.
fn frame_and_payload(payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&[0x89, 0x4a, 0x4c, 0x4a, 0x49, 0x0d, 0x0a, 0x1a]); // magic
    f.extend_from_slice(&1u16.to_le_bytes()); // version
    f.extend_from_slice(&64u16.to_le_bytes()); // header_size
    f.extend_from_slice(&1u32.to_le_bytes()); // flags: CRC present
    f.extend_from_slice(&64u64.to_le_bytes()); // payload_offset
    f.extend_from_slice(&(payload.len() as u64).to_le_bytes()); // payload_size
    f.extend_from_slice(&crc32c(payload).to_le_bytes()); // payload_crc32c
    f.extend_from_slice(&[0; 28]); // reserved
    assert_eq!(f.len(), 64);
    f.extend_from_slice(payload);
    f
}

/// The library CRC-32C the test `.ji`'s trailer records.
const SO_CRC: u32 = 0xdead_beef;

/// A `.ji` as Julia 1.11.5 writes it for a package image (clone targets, the
/// heap in the library), from tests/common/ji_writer.rs, which follows
/// Julia's writers field by field; with what was written, and the offset of
/// its git branch string.
fn julia_ji() -> (Vec<u8>, usize, ji_writer::Cache, ji_writer::Written) {
    let cache = ji_samples::realistic(ji_writer::Release::V1_11, true);
    let written = cache.write();
    let ji = written.ji(SO_CRC, false);
    let branch_at = written.fields.iter().find(|f| f.0 == "git branch string").unwrap().1 as usize;
    (ji, branch_at, cache, written)
}

/// The bytes of a Julia `.ji` (see [`julia_ji`]).
fn hand_made_ji() -> (Vec<u8>, usize) {
    let (ji, branch_at, ..) = julia_ji();
    (ji, branch_at)
}

/// Builds `name.so` in `dir` with gcc and puts `container` in its `.jlji`
/// section with llvm-objcopy. `None` (after a loud skip) if the tools are
/// missing outside CI.
fn library_with(dir: &Path, name: &str, container: Option<&[u8]>) -> Option<PathBuf> {
    if !common::require_tool("gcc") || !common::require_tool("llvm-objcopy") {
        return None;
    }
    let c = dir.join("lib.c");
    std::fs::write(&c, "int answer(void) { return 42; }\n").unwrap();
    let plain = dir.join(format!("{name}.plain.so"));
    run_ok(Command::new("gcc").args(["-shared", "-fPIC", "-o"]).arg(&plain).arg(&c));
    std::fs::remove_file(&c).unwrap();
    let out = dir.join(format!("{name}.so"));
    match container {
        None => std::fs::rename(&plain, &out).unwrap(),
        Some(bytes) => {
            let blob = dir.join(format!("{name}.blob"));
            std::fs::write(&blob, bytes).unwrap();
            let add = format!(".jlji={}", blob.display());
            run_ok(
                Command::new("llvm-objcopy")
                    .args(["--add-section", &add, "--set-section-flags", ".jlji=noload,readonly"])
                    .arg(&plain)
                    .arg(&out),
            );
            std::fs::remove_file(&blob).unwrap();
            std::fs::remove_file(&plain).unwrap();
        }
    }
    Some(out)
}

/// Where `needle` is in `haystack` (a payload in a built file).
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("payload bytes in the file")
}

// ---------------------------------------------------------------------------
// Usage and help.

#[test]
fn help_teaches_commands_examples_and_exit_codes() {
    let out = jiscan(&["--help"]);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for needle in ["scan", "extract", "show", "Examples:", "Exit status:", "0 ", "1 ", "2 ", ".jlji", "__JULIA"] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
    let scan = stdout(&jiscan(&["scan", "--help"]));
    for key in SCAN_KEYS.iter().chain(&["--verify", "--json", "crc_ok", "compressed", "uncompressed_size"]) {
        assert!(scan.contains(key), "scan --help lacks {key}:\n{scan}");
    }
    let extract = stdout(&jiscan(&["help", "extract"]));
    for needle in ["--slice", "--arch", "--no-verify", "--raw", "zstd", "-o", "temporary", "Examples:"] {
        assert!(extract.contains(needle), "extract --help lacks {needle}:\n{extract}");
    }
    let show = stdout(&jiscan(&["show", "--help"]));
    for needle in ["--hex", "--json", "worklist", "Examples:"] {
        assert!(show.contains(needle), "show --help lacks {needle}:\n{show}");
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &[][..],
        &["scan"],
        &["frobnicate"],
        &["scan", "--no-such-flag", "x"],
        &["extract", "file.so"],
        &["extract", "file.so", "-o", "out", "--slice", "1", "--arch", "x86_64"],
        &["extract", "file.so", "-o", "out", "--slice", "minus-one"],
        &["show", "file.so", "--hex", "lots"],
    ] {
        let out = jiscan(args);
        assert_eq!(code(&out), 2, "jiscan {args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
}

// ---------------------------------------------------------------------------
// scan, on files made here.

#[test]
fn scan_reports_every_file_and_exit_status() {
    let dir = temp_dir("scan");
    let (ji, _) = hand_made_ji();
    let Some(good) = library_with(&dir, "good", Some(&frame_and_payload(&ji))) else { return };
    let Some(_plain) = library_with(&dir, "plain", None) else { return };
    let bytes = std::fs::read(&good).unwrap();
    let payload_at = find(&bytes, &ji) as u64;
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/notes.txt"), "not an object file\n").unwrap();
    std::fs::write(dir.join("sub/empty.so"), b"").unwrap();

    // Only the good library: exit 0, one line.
    let out = jiscan_in(&dir, &["scan", "--json", "--verify", "good.so"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let expected = serde_json::json!({
        "path": "good.so", "slice": null, "format": "elf", "bits": 64, "endian": "little", "arch": "x86_64",
        "payload": {
            "offset": payload_at, "size": ji.len(), "crc32c": crc32c(&ji), "crc_ok": true,
            "compressed": false, "uncompressed_size": null,
        },
        "data_library": null, "error": null,
    });
    assert_eq!(lines[0], expected);
    // Without --verify, crc_ok is null.
    let lines = json_lines(&jiscan_in(&dir, &["scan", "--json", "good.so"]));
    assert_eq!(lines[0]["payload"]["crc_ok"], Value::Null);

    // The whole directory (and a path that does not exist): every object file
    // and every problem is a line, errors name their file, exit 1. Files in
    // the directory that are not object files at all (sub/notes.txt,
    // sub/empty.so) are counted as other files, not reported as errors (issue
    // 14: this test listed them as errors before).
    let out = jiscan_in(&dir, &["scan", "--json", ".", "missing.so"]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out);
    let by_path: BTreeMap<String, &Value> =
        lines.iter().map(|l| (l["path"].as_str().unwrap().trim_start_matches("./").to_owned(), l)).collect();
    let names: Vec<&str> = by_path.keys().map(String::as_str).collect();
    assert_eq!(names, ["good.so", "missing.so", "plain.so"]);
    for (path, line) in &by_path {
        if path != "good.so" {
            let error = line["error"].as_str().unwrap_or_else(|| panic!("{path} has no error"));
            assert!(error.contains(path.as_str()) && error.contains(": "), "{error}");
            assert_eq!(line["payload"], Value::Null);
        }
    }
    let plain = by_path["plain.so"];
    assert_eq!((&plain["format"], &plain["bits"], &plain["arch"]), (&"elf".into(), &64.into(), &"x86_64".into()));
    assert!(plain["error"].as_str().unwrap().contains("no payload"));
    // Named on the command line, they are errors.
    let out = jiscan_in(&dir, &["scan", "--json", "sub/empty.so", "sub/notes.txt"]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out);
    assert!(lines[0]["error"].as_str().unwrap().ends_with("empty file"), "{lines:?}");
    assert_eq!(lines[1]["format"], Value::Null);
    assert!(lines[1]["error"].as_str().unwrap().contains("not an ELF, Mach-O, PE or COFF file"), "{lines:?}");

    // The table: a header, one line per object file or problem, a summary.
    let out = jiscan_in(&dir, &["scan", ".", "missing.so"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + 3 + 1, "{text}");
    assert!(rows[0].starts_with("PATH") && rows[0].contains("OFFSET") && rows[0].contains("CRC"));
    assert_eq!(rows[4], "5 files, 1 with payload, 1 without, 1 errors, 2 other files");
    let good_row = rows.iter().find(|r| r.starts_with("./good.so")).unwrap();
    assert!(good_row.contains(&format!("{payload_at:#x}")) && good_row.contains(&ji.len().to_string()));
    assert!(good_row.contains("unchecked"), "{good_row}");
    // Columns are aligned: FORMAT starts at the same place in every row.
    let col = rows[0].find("FORMAT").unwrap();
    for row in &rows[1..4] {
        let cell = &row[col..];
        assert!(cell.starts_with("elf ") || cell.starts_with("- "), "{row}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_catches_a_flipped_payload_byte() {
    let dir = temp_dir("verify");
    let (ji, _) = hand_made_ji();
    let Some(good) = library_with(&dir, "good", Some(&frame_and_payload(&ji))) else { return };
    let mut bytes = std::fs::read(&good).unwrap();
    let at = find(&bytes, &ji) + 100;
    bytes[at] ^= 0x40;
    std::fs::write(dir.join("flipped.so"), &bytes).unwrap();
    std::fs::remove_file(&good).unwrap();

    // Locating reads headers only: without --verify the damage is not seen.
    assert_eq!(code(&jiscan_in(&dir, &["scan", "flipped.so"])), 0);
    let out = jiscan_in(&dir, &["scan", "--json", "--verify", "flipped.so"]);
    assert_eq!(code(&out), 1);
    let line = &json_lines(&out)[0];
    assert_eq!(line["payload"]["crc_ok"], false);
    assert_eq!(line["payload"]["crc32c"], crc32c(&ji));
    let error = line["error"].as_str().unwrap();
    assert!(error.starts_with("flipped.so: ") && error.contains("CRC-32C"), "{error}");
    let text = stdout(&jiscan_in(&dir, &["scan", "--verify", "flipped.so"]));
    assert!(text.contains("MISMATCH") && text.contains("0 with payload") && text.contains("1 errors"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn scan_survives_a_symlink_loop() {
    let dir = temp_dir("loop");
    std::fs::create_dir(dir.join("a")).unwrap();
    std::fs::write(dir.join("a/file.txt"), "text").unwrap();
    std::fs::write(dir.join("a/bad.so"), b"\x7fELF").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", dir.join("a/up")).unwrap();
    // Issue 14: links to directories are not followed by default (this test
    // followed a/up before); a/file.txt is an other file, not an error.
    let out = jiscan_in(&dir, &["scan", "--json", "a"]);
    assert_eq!(code(&out), 1);
    let lines = json_lines(&out);
    let errors: Vec<&str> = lines.iter().map(|l| l["error"].as_str().unwrap()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("a/bad.so: "), "{errors:?}");
    let table = stdout(&jiscan_in(&dir, &["scan", "a"]));
    assert!(
        table.lines().last().unwrap().ends_with("1 other file; 1 link to a directory not followed (--follow)"),
        "{table}"
    );
    #[cfg(unix)]
    {
        // --follow: a/up → dir; dir/a is being scanned: the walk stops there with an error.
        let out = jiscan_in(&dir, &["scan", "--json", "--follow", "a"]);
        assert_eq!(code(&out), 1);
        let lines = json_lines(&out);
        let errors: Vec<&str> = lines.iter().map(|l| l["error"].as_str().unwrap()).collect();
        assert!(errors.iter().any(|e| e.starts_with("a/up/a: directory loop: this is a,")), "{errors:?}");
        assert_eq!(lines.len(), 2, "{errors:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F1: `scan` started --jobs threads at once, even for one file,
/// and panicked ("failed to spawn thread") when the system refused one: a
/// process limit (`RLIMIT_NPROC`, a container's `pids.max`) within twice
/// the processors. Now it starts a thread per batch of 32 files, goes on
/// with those it has when one is refused, or looks the files up itself,
/// and prints what an unlimited run prints.
#[test]
fn scan_goes_on_when_the_system_refuses_a_thread() {
    /// This test's own user (common::with_nproc).
    const UID: u32 = 47101;
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("nproc");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let library = common::corpus().join("elf/x86_64-linux-musl-ji.so");
    for i in 0..100 {
        let file = dir.join(format!("f{i:03}.so"));
        std::fs::copy(&library, &file).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let limited = |nproc: Option<u32>, jobs: &str, path: &Path| {
        let command =
            common::with_nproc(UID, nproc, JISCAN).map(|mut c| c.args(["scan", "-j", jobs]).arg(path).output());
        command.map(Result::unwrap)
    };
    let Some(reach) = limited(None, "4", &dir) else { return };

    if !reach.status.success() {
        assert!(std::env::var("CI").is_err(), "uid {UID} cannot run {JISCAN} on {}: {}", dir.display(), stderr(&reach));
        return;
    }
    let unlimited = jiscan(&["scan", "-j", "4", dir.to_str().unwrap()]);
    assert_eq!(code(&unlimited), 0);
    assert_eq!(reach.stdout, unlimited.stdout);
    // 1: the main thread only; 2 and 3: one and two threads of the four.
    for (more, going_on) in [
        (1, "looking the files up on the main thread alone"),
        (2, "going on with 1 of the 4 wanted"),
        (3, "going on with 2 of the 4 wanted"),
    ] {
        let out = limited(Some(more), "4", &dir).unwrap();
        assert_eq!(code(&out), 0, "{more} more tasks: {}", stderr(&out));
        assert_eq!(stdout(&out), stdout(&unlimited), "{more} more tasks");
        let said = stderr(&out);
        assert!(said.starts_with("jiscan: cannot start another lookup thread (") && said.contains(going_on), "{said}");
        assert_eq!(said.lines().count(), 1, "said once: {said}");
    }
    // One file needs one thread, whatever --jobs says.
    let out = limited(Some(2), "1024", &dir.join("f000.so")).unwrap();
    assert_eq!((code(&out), stderr(&out).as_str()), (0, ""));
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F10: the summary counted other files (not object files) among
/// the images: "2 files (3 images)" for a universal file of two slices and
/// a README. Images are the rows, one per object file or slice.
#[test]
fn scan_counts_only_object_files_and_slices_as_images() {
    let dir = temp_dir("images");
    let (bytes, _) = universal(b"first payload", b"second payload");
    std::fs::write(dir.join("universal.dylib"), bytes).unwrap();
    std::fs::write(dir.join("README"), "not an object file").unwrap();
    let out = jiscan(&["scan", dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().last().unwrap(), "2 files (2 images), 2 with payload, 0 without, 0 errors, 1 other file");
    // Audit 24 F9: a directory without object files exits 0, as --help now
    // says; check exits 1 there ("no cache was found").
    std::fs::remove_file(dir.join("universal.dylib")).unwrap();
    let out = jiscan(&["scan", dir.to_str().unwrap()]);
    assert_eq!(
        (code(&out), stdout(&out).lines().last()),
        (0, Some("1 files, 0 with payload, 0 without, 0 errors, 1 other file"))
    );
    assert_eq!(code(&jiscan(&["check", dir.to_str().unwrap()])), 1);
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F4: `deps` printed its error line unescaped, so a file name
/// with a newline and an ESC sequence split the report and could drive the
/// terminal; every other line escaped it as `ls -b` does.
#[test]
fn deps_escapes_the_names_in_its_error_lines() {
    let dir = temp_dir("deps-escape");
    let name = dir.join("evil\n\x1b[31mred.so");
    std::fs::copy(common::corpus().join("nopayload/x86_64-linux-musl.so"), &name).unwrap();
    let out = jiscan(&["deps", name.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "a raw ESC: {text:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with("evil\\n\\033[31mred.so"), "{text:?}");
    let error = lines.iter().find(|l| l.starts_with("  error: ")).unwrap_or_else(|| panic!("{text:?}"));
    assert!(error.contains("evil\\n\\033[31mred.so: "), "{text:?}");
    assert!(lines[1..].iter().all(|l| l.starts_with("  ")), "{text:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A universal file of two thin Mach-O images (built by the test model from
/// `<mach-o/loader.h>`): slice 0 x86_64 with `payload0`, slice 1 arm64
/// with `payload1`, and where each payload is.
fn universal(payload0: &[u8], payload1: &[u8]) -> (Vec<u8>, [u64; 2]) {
    let (c0, c1) = (frame_and_payload(payload0), frame_and_payload(payload1));
    let text = [0xc3u8; 16];
    let thin = |cputype: u32, container: &[u8]| {
        model::macho(
            true,
            false,
            cputype,
            &[
                model::MachSection { segment: "__TEXT", section: "__text", data: &text },
                model::MachSection { segment: "__JULIA", section: "__ji", data: container },
            ],
        )
    };
    let (x86, arm) = (thin(0x0100_0007, &c0), thin(0x0100_000c, &c1));
    let (bytes, offsets) = model::fat(false, &[(0x0100_0007, &x86.bytes), (0x0100_000c, &arm.bytes)]);
    (bytes, [offsets[0] + x86.data_at[1] + 64, offsets[1] + arm.data_at[1] + 64])
}

#[test]
fn universal_files_get_a_line_per_slice_and_extract_picks_slices() {
    let dir = temp_dir("fat");
    let (p0, p1) = (b"payload of the x86_64 slice".to_vec(), b"payload of the arm64 slice!!".to_vec());
    let (bytes, at) = universal(&p0, &p1);
    std::fs::write(dir.join("fat.dylib"), &bytes).unwrap();

    let out = jiscan_in(&dir, &["scan", "--json", "--verify", "fat.dylib"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for (i, (arch, p)) in [("x86_64", &p0), ("aarch64", &p1)].iter().enumerate() {
        let l = &lines[i];
        assert_eq!((&l["slice"], &l["format"], &l["arch"]), (&i.into(), &"macho".into(), &(*arch).into()));
        assert_eq!((&l["bits"], &l["endian"]), (&64.into(), &"little".into()));
        assert_eq!(l["payload"]["offset"], at[i]);
        assert_eq!(l["payload"]["size"], p.len());
        assert_eq!(l["payload"]["crc_ok"], true);
    }
    let text = stdout(&jiscan_in(&dir, &["scan", "fat.dylib"]));
    assert_eq!(text.lines().count(), 1 + 2 + 1, "{text}");
    assert!(text.lines().next().unwrap().contains("SLICE"));
    assert!(text.ends_with("1 files (2 images), 2 with payload, 0 without, 0 errors\n"), "{text}");

    // extract: by index, by name (and Apple's name), and the host's slice by default.
    for (args, want) in [
        (&["--slice", "1"][..], &p1),
        (&["--arch", "x86_64"], &p0),
        (&["--arch", "arm64"], &p1),
        (&["--arch", "aarch64"], &p1),
    ] {
        let out = jiscan_in(&dir, &[&["extract", "fat.dylib", "-o", "-"][..], args].concat());
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_eq!(&out.stdout, want, "{args:?}");
    }
    let host = jiscan_in(&dir, &["extract", "fat.dylib", "-o", "-"]);
    match pkgimg::Arch::HOST.to_string().as_str() {
        "x86_64" => assert_eq!(host.stdout, p0),
        "aarch64" => assert_eq!(host.stdout, p1),
        _ => assert_eq!(code(&host), 1),
    }
    for (args, needle) in [(&["--slice", "2"][..], "2 slices"), (&["--arch", "powerpc"], "no such slice")] {
        let out = jiscan_in(&dir, &[&["extract", "fat.dylib", "-o", "x"][..], args].concat());
        assert_eq!(code(&out), 1);
        let err = stderr(&out);
        assert!(err.contains("fat.dylib: ") && err.contains(needle) && err.contains("x86_64"), "{err}");
        assert!(!dir.join("x").exists());
    }
    // A universal file without this machine's slice: the error lists the slices.
    let ppc = model::macho(false, true, 18, &[]);
    let (only_ppc, _) = model::fat(false, &[(18, &ppc.bytes)]);
    std::fs::write(dir.join("ppc.dylib"), only_ppc).unwrap();
    let out = jiscan_in(&dir, &["extract", "ppc.dylib", "-o", "x"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("ppc.dylib: ") && stderr(&out).contains("powerpc"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------
// extract.

#[test]
fn extract_writes_the_payload_or_nothing() {
    let dir = temp_dir("extract");
    let (ji, _) = hand_made_ji();
    let Some(good) = library_with(&dir, "good", Some(&frame_and_payload(&ji))) else { return };
    let out = jiscan_in(&dir, &["extract", "good.so", "-o", "out/../good.ji"]);
    assert_eq!(code(&out), 1, "the directory out/ does not exist");
    let out = jiscan_in(&dir, &["extract", "good.so", "-o", "good.ji"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.join("good.ji")).unwrap(), ji);
    let out = jiscan_in(&dir, &["extract", "good.so", "-o", "-"]);
    assert_eq!(out.stdout, ji);

    // A flipped payload byte: nothing is written, not even a temporary file.
    let mut bytes = std::fs::read(&good).unwrap();
    let at = find(&bytes, &ji) + 7;
    bytes[at] ^= 1;
    std::fs::write(dir.join("bad.so"), &bytes).unwrap();
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    };
    let before = listing();
    let out = jiscan_in(&dir, &["extract", "bad.so", "-o", "bad.ji"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("bad.so: ") && stderr(&out).contains("CRC-32C"), "{}", stderr(&out));
    assert_eq!(before, listing());
    let out = jiscan_in(&dir, &["extract", "bad.so", "-o", "-"]);
    assert!(out.stdout.is_empty() && code(&out) == 1);
    // --no-verify writes the bytes as they are.
    let out = jiscan_in(&dir, &["extract", "--no-verify", "bad.so", "-o", "bad.ji"]);
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read(dir.join("bad.ji")).unwrap()[7], ji[7] ^ 1);
    // An existing OUT is replaced only by a good payload.
    let out = jiscan_in(&dir, &["extract", "bad.so", "-o", "good.ji"]);
    assert_eq!(code(&out), 1);
    assert_eq!(std::fs::read(dir.join("good.ji")).unwrap(), ji);
    // No payload, no file, not an object file.
    for (file, needle) in [("missing.so", "missing.so: "), ("good.ji", "good.ji: not an ELF")] {
        let out = jiscan_in(&dir, &["extract", file, "-o", "x"]);
        assert_eq!(code(&out), 1);
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------
// show.

#[test]
fn show_decodes_a_hand_made_ji_header() {
    let dir = temp_dir("show");
    let (ji, _) = hand_made_ji();
    let Some(lib) = library_with(&dir, "lib", Some(&frame_and_payload(&ji))) else { return };
    let payload_at = find(&std::fs::read(&lib).unwrap(), &ji) as u64;
    let out = jiscan_in(&dir, &["show", "--json", "lib.so"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["path"], "lib.so");
    assert_eq!(doc["universal"], false);
    let image = &doc["images"][0];
    assert_eq!((&image["format"], &image["bits"], &image["endian"]), (&"elf".into(), &64.into(), &"little".into()));
    assert_eq!(image["arch"], "x86_64");
    // The section table has the usual sections, and .jlji marked as the container.
    let sections = image["sections"].as_array().unwrap();
    let marked: Vec<&str> =
        sections.iter().filter(|s| s["container"] == true).map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(marked, [".jlji"]);
    let jlji = sections.iter().find(|s| s["name"] == ".jlji").unwrap();
    assert_eq!(
        (jlji["offset"].as_u64().unwrap() + 64, jlji["size"].as_u64().unwrap()),
        (payload_at, 64 + ji.len() as u64)
    );
    assert!(sections.iter().any(|s| s["name"] == ".text" && s["flags"] == "AX"), "{sections:?}");

    let p = &image["payload"];
    assert_eq!((&p["offset"], &p["size"]), (&payload_at.into(), &ji.len().into()));
    assert_eq!((&p["crc32c"], &p["crc_ok"], &p["content"]), (&crc32c(&ji).into(), &true.into(), &"ji".into()));
    let f = &p["frame"];
    assert_eq!((&f["version"], &f["header_size"], &f["flags"]), (&1.into(), &64.into(), &1.into()));
    assert_eq!((&f["payload_offset"], &f["payload_size"]), (&64.into(), &ji.len().into()));

    // The .ji as Julia 1.11 writes it (tests/ji_show_check.rs checks every key
    // of every release): pkgimage 0 and the worklist after the cache flags.
    let (_, _, cache, written) = julia_ji();
    let h = &p["ji"];
    assert_eq!((&h["format_version"], &h["byte_order"], &h["pointer_size"]), (&12.into(), &"little".into(), &8.into()));
    for (key, value) in [
        ("uname", "Linux"),
        ("arch", "x86_64"),
        ("julia_version", "1.11.5"),
        ("branch", cache.branch.as_str()),
        ("commit", cache.commit.as_str()),
        ("kind", "cache"),
    ] {
        assert_eq!(h[key], value, "{key}");
    }
    assert_eq!((&h["pkgimage"], &h["flags"], &h["gc_abi"]), (&0.into(), &Value::Null, &Value::Null));
    assert_eq!((&h["checksum"], &h["data_start"], &h["data_end"]), (&written.checksum.into(), &0.into(), &0.into()));
    let flags = &h["cache_flags"];
    assert_eq!(
        (&flags["raw"], &flags["use_pkgimages"], &flags["debug_level"]),
        (&0xa3.into(), &true.into(), &1.into())
    );
    assert_eq!((&flags["check_bounds"], &flags["inline"], &flags["opt_level"]), (&0.into(), &true.into(), &2.into()));
    assert_eq!(h["syntax_version"], Value::Null, "version 12 has no syntax version");
    let worklist = h["worklist"].as_array().unwrap();
    assert_eq!(worklist.len(), 3);
    assert_eq!(worklist[0]["name"], "Example");
    assert_eq!(worklist[0]["uuid"], "7876af07-990d-54b4-ab0a-72352aee6b3a");
    // The loader's build id: the checksum, then the stored low half.
    assert_eq!(worklist[0]["build_id"], format!("0x{:016x}{:016x}", written.checksum, cache.worklist[0].build_lo));
    assert_eq!((&h["complete"], &h["stopped"]), (&true.into(), &Value::Null));
    let t = &h["trailer"];
    assert_eq!((&t["library_crc32c"], &t["ji_crc_ok"]), (&SO_CRC.into(), &true.into()));
    assert_eq!(t["ji_crc32c"], crc32c(&ji[..ji.len() - 4]));
    assert_eq!(t["offset"], payload_at + ji.len() as u64 - 8);

    // The text form says the same things.
    let text = stdout(&jiscan_in(&dir, &["show", "lib.so"]));
    for needle in
        ["ELF 64-bit little-endian x86_64", "* .jlji", "Example", "7876af07-990d-54b4-ab0a-72352aee6b3a", "1.11.5"]
    {
        assert!(text.contains(needle), "lacks {needle}:\n{text}");
    }
    assert!(text.contains("opt_level=2") && text.contains("matches"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn show_says_where_a_truncated_ji_stops() {
    let dir = temp_dir("truncated");
    let (ji, branch_at) = hand_made_ji();
    // Cut in the middle of the git branch string "master".
    let cut = &ji[..branch_at + 3];
    let Some(_) = library_with(&dir, "lib", Some(&frame_and_payload(cut))) else { return };
    let out = jiscan_in(&dir, &["show", "--json", "lib.so"]);
    // The payload itself is intact (its CRC matches): the command succeeds.
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let p = &doc["images"][0]["payload"];
    let h = &p["ji"];
    assert_eq!((&h["julia_version"], &h["branch"], &h["commit"]), (&"1.11.5".into(), &Value::Null, &Value::Null));
    assert_eq!(h["complete"], false);
    let stopped_at = &h["stopped_at"];
    let file_offset = p["offset"].as_u64().unwrap() + branch_at as u64;
    assert_eq!(stopped_at["ji_offset"], branch_at);
    assert_eq!(stopped_at["offset"], file_offset);
    assert!(stopped_at["field"].as_str().unwrap().contains("branch"), "{stopped_at}");
    let message = h["stopped"].as_str().unwrap();
    assert!(message.contains("NUL") && message.contains(&format!("file offset {file_offset:#x}")), "{message}");
    assert_eq!(h["trailer"], Value::Null);
    let text = stdout(&jiscan_in(&dir, &["show", "lib.so"]));
    assert!(text.contains("STOPPED: git branch string"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn show_dumps_an_opaque_payload_and_flags_a_bad_crc() {
    let dir = temp_dir("opaque");
    let payload: Vec<u8> = (0..200u8).collect();
    let model = model::coff(Some(true), 0x8664, &[(".text", &[0xc3; 32]), (".jlji", &frame_and_payload(&payload))]);
    std::fs::write(dir.join("data.dll"), &model.bytes).unwrap();
    let out = jiscan_in(&dir, &["show", "--json", "--hex", "20", "data.dll"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let image = &doc["images"][0];
    assert_eq!((&image["format"], &image["arch"], &image["bits"]), (&"pe".into(), &"x86_64".into(), &64.into()));
    let p = &image["payload"];
    assert_eq!((&p["content"], &p["ji"]), (&"opaque".into(), &Value::Null));
    assert_eq!(p["hex"], "000102030405060708090a0b0c0d0e0f10111213");
    let names: Vec<&str> = image["sections"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, [".text", ".jlji"]);
    let text = stdout(&jiscan_in(&dir, &["show", "data.dll"]));
    assert!(text.contains("opaque payload") && text.contains("00 01 02 03"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.trim_start().starts_with(&format!("{:08x}", model.data_at[1] + 64))).count(),
        1
    );

    let mut bad = model.bytes.clone();
    bad[model.data_at[1] as usize + 64 + 5] ^= 0xff;
    std::fs::write(dir.join("bad.dll"), &bad).unwrap();
    let out = jiscan_in(&dir, &["show", "--json", "bad.dll"]);
    assert_eq!(code(&out), 1);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["images"][0]["payload"]["crc_ok"], false);
    assert!(doc["images"][0]["error"].as_str().unwrap().starts_with("bad.dll: "));

    let out = jiscan_in(&dir, &["show", "nothing-here.so"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("nothing-here.so: "), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------
// The corpus of real linker outputs.

/// The corpus's expected.json, or `None` (loudly, and a failure under CI)
/// when the corpus is not there.
fn corpus_entries() -> Option<Vec<Value>> {
    if common::corpus().join("expected.json").exists() {
        return Some(common::expected());
    }
    assert!(!common::in_ci(), "corpus/expected.json is missing under CI=true");
    eprintln!("SKIPPED: corpus/expected.json is missing");
    None
}

/// Whether an expected.json entry should have a payload that `scan` accepts
/// without --verify, and with it.
fn expect_valid(entry: &Value) -> (bool, bool) {
    let error = entry.get("error").and_then(Value::as_str);
    let has = !entry["payload"].is_null();
    (has && matches!(error, None | Some("crc_mismatch")), has && error.is_none())
}

fn key(path: &str, slice: &Value) -> (String, Option<u64>) {
    (path.to_owned(), slice.as_u64())
}

/// Checks `scan --json` lines against expected.json; returns whether every
/// entry should count as a valid payload (exit status 0).
fn compare_scan(entries: &[Value], lines: &[Value], verify: bool) -> bool {
    let got: BTreeMap<_, &Value> =
        lines.iter().map(|l| (key(l["path"].as_str().unwrap().trim_start_matches("./"), &l["slice"]), l)).collect();
    assert_eq!(got.len(), lines.len(), "duplicate lines");
    let mut all_valid = true;
    for entry in entries {
        let k = key(entry["file"].as_str().unwrap(), &entry["slice"]);
        let line = got.get(&k).unwrap_or_else(|| panic!("no line for {k:?}"));
        let ctx = format!("{k:?} (verify {verify}): {line}");
        for field in ["format", "bits", "endian", "arch"] {
            if let Some(want) = entry.get(field) {
                assert_eq!(&line[field], want, "{ctx}: {field}");
            }
        }
        let (located, verified) = expect_valid(entry);
        let valid = if verify { verified } else { located };
        all_valid &= valid;
        if !located {
            assert_eq!(line["payload"], Value::Null, "{ctx}");
        } else {
            for field in ["offset", "size"] {
                assert_eq!(line["payload"][field], entry["payload"][field], "{ctx}: {field}");
            }
            if let Some(crc) = entry["payload"].get("crc32c") {
                assert_eq!(&line["payload"]["crc32c"], crc, "{ctx}");
            }
            let crc_ok = if verify { Value::Bool(verified) } else { Value::Null };
            assert_eq!(line["payload"]["crc_ok"], crc_ok, "{ctx}");
        }
        assert_eq!(line["error"].is_null(), valid, "{ctx}");
        if let Some(error) = line["error"].as_str() {
            assert!(error.contains(entry["file"].as_str().unwrap()), "{ctx}");
        }
    }
    all_valid
}

#[test]
fn scan_of_the_corpus_matches_expected_json() {
    let Some(entries) = corpus_entries() else { return };
    let corpus = common::corpus();
    let mut files: Vec<&str> = entries.iter().map(|e| e["file"].as_str().unwrap()).collect();
    files.dedup();
    for verify in [false, true] {
        let flags: &[&str] = if verify { &["scan", "--json", "--verify"] } else { &["scan", "--json"] };
        // Exactly the listed files: one line per entry, and the exit status.
        let out = jiscan_in(&corpus, &[flags, &files[..]].concat());
        let lines = json_lines(&out);
        assert_eq!(lines.len(), entries.len());
        let all_valid = compare_scan(&entries, &lines, verify);
        assert_eq!(code(&out), if all_valid { 0 } else { 1 }, "verify {verify}");
        // The whole directory, recursively: the same lines among the others.
        let out = jiscan_in(&corpus, &[flags, &["."]].concat());
        compare_scan(&entries, &json_lines(&out), verify);
    }
    // The table: a header, a line per JSON line, a summary.
    let json = jiscan_in(&corpus, &[&["scan", "--json"], &files[..]].concat());
    let table = jiscan_in(&corpus, &[&["scan"], &files[..]].concat());
    assert_eq!(stdout(&table).lines().count(), entries.len() + 2);
    assert_eq!(code(&table), code(&json));
    let summary = stdout(&table).lines().last().unwrap().to_owned();
    let valid = entries.iter().filter(|e| expect_valid(e).0).count();
    assert!(summary.starts_with(&format!("{} files", files.len())), "{summary}");
    assert!(summary.contains(&format!(", {valid} with payload,")), "{summary}");
}

#[test]
fn extract_from_the_corpus_matches_expected_json() {
    let Some(entries) = corpus_entries() else { return };
    let corpus = common::corpus();
    let mut checked = 0;
    for entry in entries.iter().filter(|e| expect_valid(e).1) {
        let file = entry["file"].as_str().unwrap();
        let mut args = vec!["extract", file, "-o", "-"];
        let slice = entry["slice"].as_u64().map(|s| s.to_string());
        if let Some(s) = &slice {
            args.extend(["--slice", s]);
        }
        let out = jiscan_in(&corpus, &args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let bytes = std::fs::read(corpus.join(file)).unwrap();
        let (offset, size) = (entry["payload"]["offset"].as_u64().unwrap(), entry["payload"]["size"].as_u64().unwrap());
        assert_eq!(out.stdout, bytes[offset as usize..(offset + size) as usize], "{args:?}");
        checked += 1;
    }
    assert!(checked > 0, "no valid payload in the corpus");
    // A corpus file whose CRC does not match: nothing is written.
    let dir = temp_dir("corpus-extract");
    for entry in entries.iter().filter(|e| e.get("error").and_then(Value::as_str) == Some("crc_mismatch")) {
        let file = corpus.join(entry["file"].as_str().unwrap());
        let mut args = vec!["extract".to_owned(), file.display().to_string(), "-o".to_owned(), "out".to_owned()];
        if let Some(s) = entry["slice"].as_u64() {
            args.extend(["--slice".to_owned(), s.to_string()]);
        }
        let out = Command::new(JISCAN).args(&args).current_dir(&dir).output().unwrap();
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(!dir.join("out").exists() && std::fs::read_dir(&dir).unwrap().count() == 0);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_catches_a_flipped_byte_in_a_corpus_file() {
    let Some(entries) = corpus_entries() else { return };
    let Some(entry) =
        entries.iter().find(|e| e["slice"].is_null() && expect_valid(e).1 && e["payload"]["size"].as_u64() > Some(0))
    else {
        panic!("no thin corpus file with a valid payload");
    };
    let dir = temp_dir("corpus-flip");
    let mut bytes = std::fs::read(common::corpus().join(entry["file"].as_str().unwrap())).unwrap();
    let at = entry["payload"]["offset"].as_u64().unwrap() + entry["payload"]["size"].as_u64().unwrap() / 2;
    bytes[at as usize] ^= 0x01;
    std::fs::write(dir.join("copy"), &bytes).unwrap();
    assert_eq!(code(&jiscan_in(&dir, &["scan", "copy"])), 0);
    let out = jiscan_in(&dir, &["scan", "--json", "--verify", "copy"]);
    assert_eq!(code(&out), 1);
    let line = &json_lines(&out)[0];
    assert_eq!(line["payload"]["crc_ok"], false);
    assert!(line["error"].as_str().unwrap().starts_with("copy: "));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn show_never_fails_to_report_on_a_corpus_file() {
    let Some(entries) = corpus_entries() else { return };
    let corpus = common::corpus();
    let mut files: Vec<&str> = entries.iter().map(|e| e["file"].as_str().unwrap()).collect();
    files.dedup();
    for file in files {
        let out = jiscan_in(&corpus, &["show", "--json", file]);
        assert!(matches!(code(&out), 0 | 1), "{file}: {}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (entry, image) in entries.iter().filter(|e| e["file"] == file).zip(doc["images"].as_array().unwrap()) {
            if let Some(arch) = entry.get("arch") {
                assert_eq!(&image["arch"], arch, "{file}");
            }
            if expect_valid(entry).1 {
                assert_eq!(image["payload"]["offset"], entry["payload"]["offset"], "{file}");
                assert_eq!(image["payload"]["crc_ok"], true, "{file}");
                let marked = image["sections"].as_array().unwrap().iter().filter(|s| s["container"] == true).count();
                assert_eq!(marked, 1, "{file}: the container is marked once");
            }
        }
    }
}

/// The corpus's two realistic `.ji` payloads (corpus/ji/, from the test-side
/// writer): every key of the writer's expected `ji` object, which build.py
/// copies verbatim into expected.json, as `show --json` prints it for the
/// library that carries the payload.
#[test]
fn show_decodes_the_corpus_ji_payloads_as_expected_json_says() {
    let Some(entries) = corpus_entries() else { return };
    let with_ji: Vec<&Value> = entries.iter().filter(|e| e.get("ji").is_some()).collect();
    let versions: Vec<&Value> = with_ji.iter().map(|e| &e["ji"]["format_version"]).collect();
    assert_eq!(versions, [12, 15], "expected.json should list a v12 and a v15 .ji payload");
    for entry in with_ji {
        let file = entry["file"].as_str().unwrap();
        let want = entry["ji"].as_object().unwrap();
        let out = jiscan_in(&common::corpus(), &["show", "--json", file]);
        assert_eq!(code(&out), 0, "{file}: {}", stderr(&out));
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let got = &doc["images"][0]["payload"]["ji"];
        for (key, value) in want {
            if key == "trailer" {
                // The writer's trailer offset counts from the .ji's first
                // byte; show gives file offsets, so the payload's is added.
                let mut value = value.clone();
                let offset = value["offset"].as_u64().unwrap() + entry["payload"]["offset"].as_u64().unwrap();
                value["offset"] = offset.into();
                assert_eq!(&got[key], &value, "{file}: key {key}");
            } else {
                assert_eq!(&got[key], value, "{file}: key {key}");
            }
        }
    }
}

/// `show`'s section table against the `object` crate's, on every thin,
/// undamaged corpus file: the same names at the same file ranges.
#[test]
fn show_lists_the_sections_object_lists() {
    use object::{Object, ObjectSection};
    let Some(entries) = corpus_entries() else { return };
    let mut files: Vec<&str> = entries
        .iter()
        .filter(|e| e["slice"].is_null() && !e["file"].as_str().unwrap().starts_with("malformed/"))
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    files.dedup();
    for file in files {
        let bytes = std::fs::read(common::corpus().join(file)).unwrap();
        let oracle = object::File::parse(&*bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut want: Vec<(String, u64, u64)> = oracle
            .sections()
            .filter_map(|s| {
                let (offset, size) = s.file_range()?;
                let name = s.name().ok()?;
                let name = match s.segment_name().ok().flatten() {
                    Some(segment) if oracle.format() == object::BinaryFormat::MachO => format!("{segment},{name}"),
                    _ => name.to_owned(),
                };
                (size > 0).then_some((name, offset, size))
            })
            .collect();
        want.sort();
        let out = jiscan_in(&common::corpus(), &["show", "--json", file]);
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let image = &doc["images"][0];
        assert_eq!(image["sections_error"], Value::Null, "{file}");
        let mut got: Vec<(String, u64, u64)> = image["sections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] != "segment" && s["kind"] != "overlay" && s["size"].as_u64() > Some(0))
            .map(|s| {
                (s["name"].as_str().unwrap().to_owned(), s["offset"].as_u64().unwrap(), s["size"].as_u64().unwrap())
            })
            .collect();
        got.sort();
        if oracle.format() == object::BinaryFormat::Pe {
            // object gives a PE section's data as min(SizeOfRawData, VirtualSize);
            // show gives its file range, SizeOfRawData (rounded to FileAlignment).
            assert_eq!(got.len(), want.len(), "{file}: {got:?} {want:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!(g.0 == w.0 && g.1 == w.1 && g.2 >= w.2, "{file}: {g:?} {w:?}");
            }
        } else {
            assert_eq!(got, want, "{file}");
        }
    }
}
