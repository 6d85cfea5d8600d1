//! `jiscan show` and `jiscan check` on `.ji` files from the test-side writer
//! (tests/common/ji_writer.rs follows Julia's writers field by field): every
//! JSON key against what the writer put in, and `check`'s verdicts and exit
//! codes on a depot-shaped directory.
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
#[path = "common/ji_expected.rs"]
mod ji_expected;
#[path = "common/ji_samples.rs"]
mod ji_samples;
#[path = "common/ji_writer.rs"]
mod ji_writer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, model};
use ji_expected::expected_json;
use ji_samples::{realistic, RELEASES};
use ji_writer::{Cache, Dep, Release};
use serde_json::{json, Value};

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");

fn jiscan(args: &[&str]) -> Output {
    Command::new(JISCAN).args(args).output().expect("run jiscan")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pkgimg-ji-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn show_json_has_every_key_as_written_for_every_release() {
    let dir = temp_dir("show");
    for release in RELEASES {
        for native in [true, false] {
            let cache = realistic(release, native);
            let crc = if native { 0x0bad_f00d } else { 0 };
            let path = dir.join(format!("{release:?}-{native}.ji"));
            std::fs::write(&path, cache.write().ji(crc, false)).unwrap();
            let out = jiscan(&["show", "--json", path.to_str().unwrap()]);
            assert_eq!(code(&out), 0, "{release:?}");
            let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
            let got = &doc["ji"];
            let want = expected_json(&cache, crc);
            for (key, value) in want.as_object().unwrap() {
                assert_eq!(&got[key], value, "{release:?} native={native}: key {key}");
            }
            assert_eq!(got["byte_order"], "little");
            let layout = got["layout"].as_str().unwrap();
            let want_layout = match release {
                Release::V1_9 | Release::V1_10 => "Julia 1.9-1.10",
                Release::V1_11 | Release::V1_12 | Release::Master13 => "Julia 1.11-1.12",
                _ => "Julia 1.13+",
            };
            assert!(layout.starts_with(want_layout), "{release:?}: {layout}");
            let sources: Vec<&str> =
                got["source_text"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
            assert_eq!(sources, cache.sources.iter().map(|s| s.0.as_str()).collect::<Vec<_>>());
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 21 F5: in a directory, only the library a `.ji` is checked with
/// (its build OS's extension, as Julia looks for it) is that `.ji`'s
/// companion; a `.dylib` beside a Linux `.ji` is classified as any other
/// file: here counted among the other files, where it was left out.
#[test]
fn check_a_directory_counts_a_library_of_another_os_beside_a_ji() {
    let dir = temp_dir("other-os");
    let w = realistic(Release::V1_11, false).write();
    std::fs::write(dir.join("Foo_abc.ji"), w.ji(0, false)).unwrap();
    std::fs::write(dir.join("Foo_abc.so"), b"the Linux library, a companion").unwrap();
    std::fs::write(dir.join("Foo_abc.dylib"), b"not for this .ji").unwrap();
    let text = stdout(&jiscan(&["check", dir.to_str().unwrap()]));
    assert!(text.contains("1 caches: 1 ok, 0 unchecked, 0 rejected, 0 unreadable; 1 other files ignored"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A `.ji` cut inside its version fails at `format_version`, one cut inside
/// its byte-order mark at `byte_order`: Julia's isvalid_cache_header reads
/// the version first (1.11.5 base/loading.jl; `read(f, UInt16)` twice).
#[test]
fn check_names_the_field_a_cut_header_stops_in() {
    let dir = temp_dir("cut-header");
    let ji = realistic(Release::V1_11, false).write().ji(0, false);
    // Review 22 F10: a version no byte order makes known fails first, on any
    // machine, whatever the mark after it (here: none, half, or wrong).
    let mut unknown = ji[..8].to_vec();
    unknown.extend_from_slice(&[0x63, 0x00, 0x00, 0x00]);
    let cases: [(&[u8], &str); 6] = [
        (&ji[..9], "format_version"),
        (&ji[..11], "byte_order"),
        (&ji[..10], "byte_order"),
        (&unknown[..10], "format_version"),
        (&unknown[..11], "format_version"),
        (&unknown[..12], "format_version"),
    ];
    for (cut, (bytes, name)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("cut{cut}.ji"));
        std::fs::write(&path, bytes).unwrap();
        let (status, lines) = check(&[&path], &[]);
        assert_eq!(status, 1);
        let failed: Vec<&str> = lines[0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "failed")
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(failed, [name], "{cut}: {}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A clone-targets blob that stops decoding (its count raised by one, so
/// the last target runs off the blob): `show --json` keeps the targets that
/// decode and says where the blob stops, as the text output does.
#[test]
fn show_json_reports_a_clone_targets_blob_that_does_not_decode() {
    let dir = temp_dir("targets");
    for release in [Release::V1_11, Release::Master15] {
        let w = realistic(release, true).write();
        let at = w.header_end as usize - w.clone_targets.len();
        assert_eq!(w.body[at..w.header_end as usize], w.clone_targets[..], "{release:?}");
        let count = i32::from_le_bytes(w.body[at..at + 4].try_into().unwrap());
        let mut body = w.body.clone();
        body[at..at + 4].copy_from_slice(&(count + 1).to_le_bytes());
        let path = dir.join(format!("{release:?}.ji"));
        std::fs::write(&path, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let doc: Value = serde_json::from_str(&stdout(&jiscan(&["show", "--json", path.to_str().unwrap()]))).unwrap();
        let ji = &doc["ji"];
        assert_eq!(ji["clone_targets"].as_array().unwrap().len(), count as usize, "{release:?}: {ji}");
        let error = ji["clone_targets_error"].as_str().unwrap_or_else(|| panic!("{release:?}: {ji}"));
        assert!(error.contains("file offset 0x"), "{release:?}: {error}");
        let text = stdout(&jiscan(&["show", path.to_str().unwrap()]));
        assert!(text.contains("blob does not decode: "), "{release:?}:\n{text}");
        // A blob that decodes has none.
        let path = dir.join(format!("{release:?}-whole.ji"));
        std::fs::write(&path, w.ji(0, false)).unwrap();
        let doc: Value = serde_json::from_str(&stdout(&jiscan(&["show", "--json", path.to_str().unwrap()]))).unwrap();
        assert_eq!(doc["ji"]["clone_targets_error"], Value::Null, "{release:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn show_text_fits_a_screen_and_full_lists_everything() {
    let dir = temp_dir("text");
    let mut cache = realistic(Release::Master15, true);
    for i in 0..12 {
        let path = format!("@depot/packages/Example/kQpQ3/src/part{i:02}.jl");
        cache.deps.push(Dep::Include { path, fsize: 10, hash: i, mtime: -1.0, module: 1, sub_path: vec![] });
    }
    let path = dir.join("Example_abc.ji");
    std::fs::write(&path, cache.write().ji(0, false)).unwrap();
    let short = stdout(&jiscan(&["show", path.to_str().unwrap()]));
    let full = stdout(&jiscan(&["show", "--full", path.to_str().unwrap()]));
    for needle in [
        "format version  15",
        "GC ABI          stock",
        "flags           0x3 (JI_FLAG_PKGIMAGE | JI_FLAG_SPLIT)",
        "CacheFlags(; use_pkgimages=true, debug_level=1, check_bounds=0, inline=true, opt_level=2)",
        "Example  7876af07-990d-54b4-ab0a-72352aee6b3a  build id 0x",
        "LinearAlgebra  37e2e46d-f89d-539d-b4ee-838fcccc9c8e  (by Example)",
        "in Example.Sub",
        "2024-05-06 12:55:23.500 UTC",
        // Format 15 (master base/loading.jl:1994-2007): count 4, then per
        // target flags, base, word count (12), 2 x 8 bytes per u64 word,
        // name and extras with their lengths: generic 12+32+11+4,
        // sandybridge 12+32+15+13, haswell 12+32+11+10.
        "clone targets   200 bytes: generic, sandybridge, haswell",
        "decoding        complete",
    ] {
        assert!(full.contains(needle), "--full lacks {needle:?}:\n{full}");
    }
    assert!(short.contains("includes        16 files") && short.contains("... and 11 more (--full lists them all)"));
    assert!(!short.contains("part11.jl") && full.contains("part11.jl") && !full.contains("more (--full"));
    assert!(short.lines().count() < 60, "{} lines:\n{short}", short.lines().count());
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F5: the strings of a `.ji` come from the file. `show` escaped
/// its text line by line, after the lines were made, so a newline in a
/// module name became a line break: a forged line of the report (ESC and
/// BEL were escaped). Each string is escaped as `ls -b` does now, once: a
/// backslash shows as two, not four.
#[test]
fn show_escapes_a_newline_in_a_ji_name() {
    let dir = temp_dir("escape");
    let mut cache = realistic(Release::V1_11, true);
    cache.worklist[0].name = "\nxample".into();
    cache.worklist[2].name = "A\\x\x1b[31m".into();
    let path = dir.join("Example_abc.ji");
    std::fs::write(&path, cache.write().ji(0, false)).unwrap();
    let full = stdout(&jiscan(&["show", "--full", path.to_str().unwrap()]));
    let lines: Vec<&str> = full.lines().collect();
    assert!(
        lines.iter().all(|l| l.starts_with(' ') || *l == path.to_str().unwrap()),
        "a line escaped its indent:\n{full}"
    );
    for needle in [
        "      \\nxample  7876af07-990d-54b4-ab0a-72352aee6b3a  build id 0x",
        "  in \\nxample\n",
        "(by \\nxample)",
        "      A\\\\x\\033[31m  00000000-0000-0000-0000-000000000000  build id 0x",
        "(by A\\\\x\\033[31m)",
    ] {
        assert!(full.contains(needle), "lacks {needle:?}:\n{full}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F3: `check LIB.so` with `LIB.ji` beside it printed no line
/// ("0 caches", exit 1): a `.ji`'s library was taken for the companion of
/// a cache checked elsewhere, even when named alone. The user means the
/// cache: its `.ji` is checked, once, however the two are named.
#[test]
fn check_of_a_library_named_alone_checks_its_ji() {
    let dir = temp_dir("companion");
    let (ji, so) = pair(&dir, "Example_a1", &realistic(Release::V1_11, true));
    let so = so.unwrap();
    let ji_path = ji.to_str().unwrap();
    for named in [
        vec![so.as_path()],
        vec![so.as_path(), ji.as_path()],
        vec![ji.as_path(), so.as_path()],
        vec![dir.as_path(), so.as_path()],
    ] {
        let (status, lines) = check(&named, &[]);
        assert_eq!(lines.len(), 1, "{named:?}: {lines:?}");
        assert_eq!(
            (status, lines[0]["path"].as_str(), lines[0]["verdict"].as_str()),
            (0, Some(ji_path), Some("ok")),
            "{named:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Audit 24 F11: a FIFO or a dangling link where a `.ji`'s library goes
/// was reported twice: as "no library" on the `.ji`'s line, which is
/// wrong (something is there, and Julia would open it), and as a cache of
/// its own, "unreadable". The `.ji`'s line now says what is there, and it
/// is the only line.
#[test]
fn check_reports_a_non_file_library_on_its_jis_line_only() {
    let dir = temp_dir("fifo-library");
    let (fifo_ji, fifo_so) = pair(&dir, "Fifo_a1", &realistic(Release::V1_11, true));
    let (dangling_ji, dangling_so) = pair(&dir, "Dangling_b2", &realistic(Release::V1_11, true));
    let (good_ji, _) = pair(&dir, "Good_c3", &realistic(Release::V1_11, true));
    let (fifo_so, dangling_so) = (fifo_so.unwrap(), dangling_so.unwrap());
    std::fs::remove_file(&fifo_so).unwrap();
    let fifo = std::ffi::CString::new(fifo_so.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::fs::remove_file(&dangling_so).unwrap();
    std::os::unix::fs::symlink(dir.join("missing.so"), &dangling_so).unwrap();

    let (status, lines) = check(&[&dir], &[]);
    assert_eq!(status, 1);
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    for (ji, so, what) in [(&fifo_ji, &fifo_so, "FIFO"), (&dangling_ji, &dangling_so, "No such file")] {
        let line = lines.iter().find(|l| l["path"] == ji.to_str().unwrap()).unwrap();
        assert_eq!(line["verdict"], "rejected");
        let detail = point(line, "library_crc")["detail"].as_str().unwrap();
        assert!(detail.starts_with(&format!("{}: ", so.display())) && detail.contains(what), "{detail}");
    }
    let good = lines.iter().find(|l| l["path"] == good_ji.to_str().unwrap()).unwrap();
    assert_eq!(good["verdict"], "ok");
    std::fs::remove_dir_all(&dir).ok();
}

/// A little-endian x86_64 ELF carrying `data` in a `.rodata` section: a
/// stand-in for a package image's code library.
fn library(data: &[u8]) -> Vec<u8> {
    model::elf(true, false, 62, &[model::progbits(".text", &[0xc3; 16]), model::progbits(".rodata", data)]).bytes
}

/// Writes `stem.ji` and (with native code) `stem.so` into `dir`, the `.ji`
/// recording the library's CRC-32C as `compilecache` does.
fn pair(dir: &Path, stem: &str, cache: &Cache) -> (PathBuf, Option<PathBuf>) {
    let w = cache.write();
    let lib = cache.native.as_ref().map(|_| {
        let bytes = library(w.library_data.as_deref().unwrap_or(b"native code"));
        let path = dir.join(format!("{stem}.so"));
        std::fs::write(&path, &bytes).unwrap();
        (path, ji_writer::crc32c(&bytes))
    });
    let ji = dir.join(format!("{stem}.ji"));
    std::fs::write(&ji, w.ji(lib.as_ref().map_or(0, |l| l.1), false)).unwrap();
    (ji, lib.map(|l| l.0))
}

fn check(paths: &[&Path], extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["check", "--json"];
    args.extend_from_slice(extra);
    let paths: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend_from_slice(&paths);
    let out = jiscan(&args);
    let lines = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (code(&out), lines)
}

fn point<'a>(line: &'a Value, name: &str) -> &'a Value {
    line["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name}: {line}"))
}

/// The files of [`check_a_depot_directory`]'s depot.
struct Depot {
    depot: PathBuf,
    good: PathBuf,
    good_so: Option<PathBuf>,
    stale: PathBuf,
    trunc: PathBuf,
    combined: PathBuf,
    combined_elf: model::Built,
    ji_only: PathBuf,
    split15: PathBuf,
}

/// A depot's compiled/v1.11/Example under `dir`.
fn build_depot(dir: &Path) -> Depot {
    let depot = dir.join("compiled/v1.11/Example");
    std::fs::create_dir_all(&depot).unwrap();
    let (good, good_so) = pair(&depot, "Good_a1", &realistic(Release::V1_11, true));
    let (stale, stale_so) = pair(&depot, "Stale_b2", &realistic(Release::V1_11, true));
    let mut so = std::fs::read(stale_so.as_ref().unwrap()).unwrap();
    so[200] ^= 0x5a; // rebuilt after the .ji recorded its CRC
    std::fs::write(stale_so.as_ref().unwrap(), &so).unwrap();
    let (trunc, _) = pair(&depot, "Trunc_c3", &realistic(Release::V1_12, false));
    let bytes = std::fs::read(&trunc).unwrap();
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
    let combined = depot.join("Combined_d4.so");
    let payload = realistic(Release::V1_11, true).write().ji(0, false);
    let container = model::container(64, &payload);
    std::fs::write(&combined, library(&[])).unwrap();
    let elf =
        model::elf(true, false, 62, &[model::progbits(".text", &[0xc3; 16]), model::progbits(".jlji", &container)]);
    std::fs::write(&combined, &elf.bytes).unwrap();
    let (ji_only, _) = pair(&depot, "JiOnly_e5", &realistic(Release::Master15, false));
    let (split15, _) = pair(&depot, "Split15_f6", &realistic(Release::Master15, true));
    std::fs::write(depot.join("Example.pidfile"), b"1234").unwrap();

    Depot { depot, good, good_so, stale, trunc, combined, combined_elf: elf, ji_only, split15 }
}

/// A depot's compiled/v1.11/Example: a good pair, a stale library, a
/// truncated `.ji`, a combined file, a `.ji` without native code, a v15 split
/// pair (its symbol check waits for find_symbol), and an unrelated file.
#[test]
fn check_a_depot_directory() {
    let dir = temp_dir("depot");
    let Depot { depot, good, good_so, stale, trunc, combined, combined_elf: elf, ji_only, split15 } = build_depot(&dir);
    let verdict = |lines: &[Value], path: &Path| -> (String, Option<String>) {
        let line = lines.iter().find(|l| l["path"] == path.to_str().unwrap()).unwrap_or_else(|| panic!("{path:?}"));
        (line["verdict"].as_str().unwrap().to_owned(), line["reason"].as_str().map(str::to_owned))
    };
    let (status, lines) = check(&[&dir], &[]);
    assert_eq!(status, 1, "{lines:?}");
    assert_eq!(lines.len(), 6, "one line per cache: {lines:#?}");
    assert_eq!(verdict(&lines, &good), ("ok".into(), None));
    let (v, why) = verdict(&lines, &stale);
    assert_eq!(v, "rejected");
    assert!(why.as_deref().unwrap().starts_with("library_crc: ") && why.unwrap().contains("changed after"));
    // Cut in half: the header decodes, its source text would start past
    // the new end, which srctext_files passes over; isvalid_file_crc is
    // what refuses it.
    let (v, why) = verdict(&lines, &trunc);
    assert_eq!(v, "rejected");
    assert!(why.as_deref().unwrap().starts_with("ji_crc: recorded 0x"), "{why:?}");
    assert_eq!(verdict(&lines, &combined), ("ok".into(), None));
    assert_eq!(verdict(&lines, &ji_only), ("ok".into(), None));
    let (v, why) = verdict(&lines, &split15);
    // Its library is a stand-in with no such symbol: Julia would refuse it.
    assert_eq!(
        (v.as_str(), why.as_deref()),
        ("rejected", Some("image_checksum: the library exports no jl_system_image_checksum"))
    );

    let line = lines.iter().find(|l| l["path"] == good.to_str().unwrap()).unwrap();
    assert_eq!(
        (&line["kind"], &line["package"], &line["format_version"]),
        (&json!("ji"), &json!("Example"), &json!(12))
    );
    assert_eq!(line["library"], good_so.unwrap().to_str().unwrap());
    for name in [
        "magic",
        "byte_order",
        "format_version",
        "pointer_size",
        "kind",
        "checksum",
        "cache_header",
        "ji_crc",
        "library_crc",
    ] {
        assert_eq!(point(line, name)["status"], "ok", "{name}: {line}");
    }
    assert_eq!(point(line, "image_checksum")["status"], "not applicable");
    let line = lines.iter().find(|l| l["path"] == combined.to_str().unwrap()).unwrap();
    assert_eq!((&line["kind"], &point(line, "frame_crc")["status"]), (&json!("combined"), &json!("ok")));
    assert_eq!(point(line, "library_crc")["status"], "not applicable");

    // Each alone, and the exit codes.
    assert_eq!(check(&[&good], &[]).0, 0);
    assert_eq!(check(&[&combined], &[]).0, 0);
    assert_eq!(check(&[&split15], &[]).0, 1, "a library without the checksum symbol is refused");
    assert_eq!(check(&[&stale], &[]).0, 1);
    assert_eq!(check(&[&trunc], &[]).0, 1);
    assert_eq!(check(&[&good, &ji_only, &combined], &["--strict"]).0, 0);
    let (status, lines) = check(&[&dir.join("missing.ji")], &[]);
    assert_eq!((status, &lines[0]["verdict"]), (1, &json!("unreadable")));
    assert_eq!(code(&jiscan(&["check"])), 2, "no PATH is bad usage");

    // A combined file whose payload changed: the frame CRC fails.
    let mut bad = elf.bytes.clone();
    let at = elf.data_at[1] as usize + 64 + 100;
    bad[at] ^= 1;
    let bad_path = depot.join("Bad_g7.so");
    std::fs::write(&bad_path, &bad).unwrap();
    let (status, lines) = check(&[&bad_path], &[]);
    assert_eq!((status, point(&lines[0], "frame_crc")["status"].as_str()), (1, Some("failed")));

    // The table: one line per cache and a summary.
    let text = stdout(&jiscan(&["check", dir.to_str().unwrap()]));
    assert!(text.starts_with("PATH"), "{text}");
    assert!(text.contains("7 caches: 3 ok, 0 unchecked, 4 rejected, 0 unreadable; 1 other files ignored"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Julia refuses these as a `.ji`: the header copy from a library (pkgimage
/// 1) and a `.ji` with clone targets but no library beside it.
#[test]
fn check_rejects_what_julia_rejects() {
    let dir = temp_dir("reject");
    let w = realistic(Release::V1_13, true).write();
    let copy = dir.join("Copy_a1.ji");
    std::fs::write(&copy, w.library_data.as_ref().unwrap()).unwrap();
    let (status, lines) = check(&[&copy], &[]);
    assert_eq!(status, 1);
    assert!(lines[0]["reason"].as_str().unwrap().starts_with("kind: pkgimage byte 1"), "{}", lines[0]);
    let alone = dir.join("Alone_b2.ji");
    std::fs::write(&alone, w.ji(0, false)).unwrap();
    let (status, lines) = check(&[&alone], &[]);
    assert_eq!(status, 1);
    assert!(lines[0]["reason"].as_str().unwrap().contains("no library"), "{}", lines[0]);
    let not_cache = dir.join("notes.txt");
    std::fs::write(&not_cache, b"hello").unwrap();
    assert_eq!(check(&[&not_cache], &[]).0, 1, "a file named on the command line must be a cache");
    // An empty worklist: stale_cachefile's "ignore empty file" (1.9.4
    // base/loading.jl:2720-2722, master :4571-4573), in every format.
    for release in [Release::V1_11, Release::Master15] {
        let mut cache = realistic(release, false);
        cache.worklist.clear();
        cache.deps.retain(|d| matches!(d, Dep::Include { module: 0, .. } | Dep::Require { by: 0, .. }));
        let empty = dir.join(format!("Empty_{release:?}.ji"));
        std::fs::write(&empty, cache.write().ji(0, false)).unwrap();
        let (status, lines) = check(&[&empty], &[]);
        assert_eq!((status, point(&lines[0], "cache_header")["status"].as_str()), (1, Some("failed")), "{}", lines[0]);
        assert!(lines[0]["reason"].as_str().unwrap().contains("worklist is empty"), "{}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 17 F6: Julia looks only for the library with its own platform's
/// extension (`ocachefile_from_cachefile`: `Libc.Libdl.dlext`, master
/// base/loading.jl:1426). A Linux `.ji` beside a `.dylib` of the right
/// CRC has no library; renamed to `.so`, it has.
#[test]
fn check_looks_for_the_library_extension_of_the_build_os() {
    let dir = temp_dir("dlext");
    let cache = realistic(Release::V1_11, true);
    let (ji, lib) = pair(&dir, "Foo_abc", &cache);
    let lib = lib.unwrap();
    let dylib = lib.with_extension("dylib");
    std::fs::rename(&lib, &dylib).unwrap();
    let (status, lines) = check(&[&ji], &[]);
    let detail = point(&lines[0], "library_crc")["detail"].as_str().unwrap().to_owned();
    assert_eq!(status, 1, "{}", lines[0]);
    assert!(detail.ends_with("Foo_abc.so (Julia on Linux looks for .so)"), "{detail}");
    std::fs::rename(&dylib, &lib).unwrap();
    assert_eq!(check(&[&ji], &[]).0, 0);
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 17 F5: parse_cache_header ends with srctext_files, which loops
/// `while !eof(f)` and seeks past each text (master base/loading.jl:
/// 4112-4125): a source-text position at or past the end of the file, or
/// a text running past it, ends the loop with no error. A position inside
/// the trailer makes it read the trailer as a name length: an EOFError.
#[test]
fn check_passes_over_the_source_text_as_julia_does() {
    let dir = temp_dir("srctext");
    let w = realistic(Release::V1_11, false).write();
    let len = w.body.len() as u64 + 8;
    // The last u64 of the dependency list (data_end, in the fixed header,
    // may hold the same value: the source text follows the heap).
    let at = w.body[..w.header_end as usize].windows(8).rposition(|x| x == w.srctextpos.to_le_bytes()).unwrap();
    // A negative Int64 position fails Julia's first seek (review 22 F1).
    for (position, ok) in [(len, true), (len + 1000, true), (len - 6, false), (u64::MAX, false), (1 << 63, false)] {
        let mut body = w.body.clone();
        body[at..at + 8].copy_from_slice(&position.to_le_bytes());
        let ji = dir.join(format!("Pos_{position}.ji"));
        std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let header = point(&lines[0], "cache_header");
        let want = if ok { "ok" } else { "failed" };
        assert_eq!(header["status"].as_str(), Some(want), "{position}: {}", lines[0]);
    }
    // The first text's length (after its Int32 name length and name) runs past the end.
    let mut body = w.body.clone();
    let pos = w.srctextpos as usize;
    let name_len = i32::from_le_bytes(body[pos..pos + 4].try_into().unwrap()) as usize;
    body[pos + 4 + name_len..pos + 12 + name_len].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let ji = dir.join("Long.ji");
    std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
    let (status, lines) = check(&[&ji], &[]);
    let header = point(&lines[0], "cache_header");
    assert_eq!((status, header["status"].as_str()), (0, Some("ok")), "{}", lines[0]);
    assert!(header["detail"].as_str().unwrap().contains("srctext_files passes over"), "{}", lines[0]);
    // `seek(f, position(f) + len)` past typemax(Int64): the ccall's
    // conversion to Int64 throws an InexactError.
    let mut body = w.body.clone();
    body[pos + 4 + name_len..pos + 12 + name_len].copy_from_slice(&(1u64 << 63).to_le_bytes());
    let ji = dir.join("Longer.ji");
    std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
    let (_, lines) = check(&[&ji], &[]);
    assert_eq!(point(&lines[0], "cache_header")["status"].as_str(), Some("failed"), "{}", lines[0]);

    // Review 20 F2: the last text made to end `k` bytes past the trailer's
    // start, where srctext_files reads on. At the file's end or past it the
    // loop ends; at four zero bytes (a library CRC word of 0, just past the
    // body) it breaks; elsewhere in the trailer it reads a nonzero name
    // length and then a text length from fewer than eight bytes: EOFError.
    let mut texts = Vec::new();
    let mut at = pos;
    loop {
        let name_len = i32::from_le_bytes(w.body[at..at + 4].try_into().unwrap()) as usize;
        if name_len == 0 {
            break;
        }
        let len_at = at + 4 + name_len;
        texts.push(len_at);
        at = len_at + 8 + u64::from_le_bytes(w.body[len_at..len_at + 8].try_into().unwrap()) as usize;
    }
    assert_eq!(at + 4, w.body.len(), "the texts end with an Int32 0 just before the trailer");
    let last = *texts.last().unwrap();
    let old = u64::from_le_bytes(w.body[last..last + 8].try_into().unwrap());
    for (k, library_crc, ok) in [(0, 0, true), (0, 7, false), (2, 0, false), (4, 0, false), (8, 0, true), (9, 7, true)]
    {
        let mut body = w.body.clone();
        body[last..last + 8].copy_from_slice(&(old + 4 + k).to_le_bytes());
        let ji = dir.join(format!("End_{k}_{library_crc}.ji"));
        std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(library_crc, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let header = point(&lines[0], "cache_header");
        let want = if ok { "ok" } else { "failed" };
        assert_eq!(header["status"].as_str(), Some(want), "{k} {library_crc}: {}", lines[0]);
    }

    // Review 21 F1: the last entry's text length starts four bytes before
    // the trailer, so Julia reads its high half from the library CRC word:
    // 7 makes it 7 << 32, a seek past the end (ok); 0 makes it 0, and the
    // .ji CRC word is then read as a name length (EOFError).
    let mut body = w.body[..w.body.len() - 4].to_vec();
    body.extend_from_slice(&4i32.to_le_bytes());
    body.extend_from_slice(b"abcd\0\0\0\0");
    for (library_crc, ok) in [(7, true), (0, false)] {
        let ji = dir.join(format!("Straddle_{library_crc}.ji"));
        std::fs::write(&ji, ji_writer::Written { body: body.clone(), ..w.clone() }.ji(library_crc, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let want = if ok { "ok" } else { "failed" };
        assert_eq!(point(&lines[0], "cache_header")["status"].as_str(), Some(want), "{library_crc}: {}", lines[0]);
    }

    // Review 21 F2: `position(f) + len` wraps as UInt64 and seeks back: onto
    // four zero bytes in the header, the loop ends (ok); onto the first
    // entry again, it never ends (failed).
    let text_at = (pos + 4 + name_len + 8) as u64;
    let zeros = w.body[..pos].windows(4).position(|x| x == [0; 4]).unwrap() as u64;
    for (to, ok) in [(zeros, true), (pos as u64, false)] {
        let mut body = w.body.clone();
        let len = to.wrapping_sub(text_at);
        body[pos + 4 + name_len..pos + 12 + name_len].copy_from_slice(&len.to_le_bytes());
        let ji = dir.join(format!("Wrap_{to}.ji"));
        std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let want = if ok { "ok" } else { "failed" };
        assert_eq!(point(&lines[0], "cache_header")["status"].as_str(), Some(want), "{to:#x}: {}", lines[0]);
    }

    // Julia 1.9 and 1.10 never read the source text at load (1.9.4
    // base/loading.jl:2411-2418, 2719): a text length past typemax(Int64)
    // fails a 1.11 .ji, not a 1.10 one.
    for (release, ok) in [(Release::V1_10, true), (Release::V1_11, false)] {
        let w = realistic(release, false).write();
        let pos = w.srctextpos as usize;
        let name_len = i32::from_le_bytes(w.body[pos..pos + 4].try_into().unwrap()) as usize;
        let mut body = w.body.clone();
        body[pos + 4 + name_len..pos + 12 + name_len].copy_from_slice(&(1u64 << 63).to_le_bytes());
        let ji = dir.join(format!("Long_{release:?}.ji"));
        std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let want = if ok { "ok" } else { "failed" };
        assert_eq!(point(&lines[0], "cache_header")["status"].as_str(), Some(want), "{release:?}: {}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 17 F7: jl_validate_cache_file wants the 0xfafbfcfd mark in the
/// header it reads (1.11.5 src/staticdata.c:3602): the `.ji`'s for a `.ji`
/// loaded alone, the library's header copy for one with clone targets. The
/// mark cleared in the `.ji`: rejected alone, unchecked with a library.
#[test]
fn the_checksum_mark_is_wanted_where_julia_reads_it() {
    let dir = temp_dir("mark");
    for native in [false, true] {
        let cache = realistic(Release::V1_11, native);
        let w = cache.write();
        let at = w.body[..w.header_end as usize].windows(8).position(|x| x == w.checksum.to_le_bytes()).unwrap();
        let mut body = w.body.clone();
        body[at + 4..at + 8].copy_from_slice(&[0; 4]);
        let stem = format!("Mark_{native}");
        let library_crc = if native {
            let bytes = library(w.library_data.as_deref().unwrap());
            std::fs::write(dir.join(format!("{stem}.so")), &bytes).unwrap();
            ji_writer::crc32c(&bytes)
        } else {
            0
        };
        let ji = dir.join(format!("{stem}.ji"));
        std::fs::write(&ji, ji_writer::Written { body, ..w.clone() }.ji(library_crc, false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let want = if native { "not checked" } else { "failed" };
        assert_eq!(point(&lines[0], "checksum")["status"].as_str(), Some(want), "{}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 17 F4: a `.ji` loaded on its own has its heap read from it, and
/// Julia 1.9-1.12 (and format 13) refuse it unless its CRC-32C is the
/// checksum's low word ("Error reading package image file.": 1.11.5
/// src/staticdata.c:3661); 1.13 (:4391) and formats 14-15 (master :4632)
/// only need the read whole. A heap byte changed (the trailer made right
/// again) and a heap that runs past the file.
#[test]
fn check_reads_the_heap_as_julia_does() {
    let dir = temp_dir("heap");
    for (release, compares) in
        [(Release::V1_11, true), (Release::Master13, true), (Release::V1_13, false), (Release::Master15, false)]
    {
        let w = realistic(release, false).write();
        let good = dir.join(format!("Good_{release:?}.ji"));
        std::fs::write(&good, w.ji(0, false)).unwrap();
        let (status, lines) = check(&[&good], &[]);
        assert_eq!((status, point(&lines[0], "heap")["status"].as_str()), (0, Some("ok")), "{}", lines[0]);

        let mut body = w.body.clone();
        body[w.data_start as usize] ^= 1;
        let changed = dir.join(format!("Changed_{release:?}.ji"));
        std::fs::write(&changed, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let (status, lines) = check(&[&changed], &[]);
        let heap = point(&lines[0], "heap");
        if compares {
            assert_eq!((status, heap["status"].as_str()), (1, Some("failed")), "{}", lines[0]);
            assert!(heap["detail"].as_str().unwrap().contains("Julia refuses it"), "{}", lines[0]);
        } else {
            assert_eq!((status, heap["status"].as_str()), (0, Some("ok")), "{}", lines[0]);
        }

        // data_end (the u64 after data_start, in the header) past the file.
        let mut body = w.body.clone();
        // write_header's data positions: data_start, then data_end.
        let positions = [w.data_start.to_le_bytes(), w.data_end.to_le_bytes()].concat();
        let at = body[..w.header_end as usize].windows(16).position(|x| x == positions).unwrap() + 8;
        body[at..at + 8].copy_from_slice(&(w.body.len() as u64 + 100).to_le_bytes());
        let past = dir.join(format!("Past_{release:?}.ji"));
        std::fs::write(&past, ji_writer::Written { body, ..w.clone() }.ji(0, false)).unwrap();
        let (status, lines) = check(&[&past], &[]);
        assert_eq!((status, point(&lines[0], "heap")["status"].as_str()), (1, Some("failed")), "{}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// F8 of the adversarial pass: a data library whose `.ji` is stored
/// zstd-compressed (made by hand: `emit --shared` writes no compressed
/// frame). Its own line and its code cache's agree: unchecked, since
/// nothing past the frame can be checked before it is decompressed.
#[test]
fn a_split_image_with_a_compressed_ji_is_unchecked_from_both_sides() {
    if !(common::require_tool("gcc") && common::require(&["zstd", "--version"])) {
        return;
    }
    let dir = temp_dir("split-zstd");
    let ji = realistic(Release::V1_11, true).write().ji(0, false);
    std::fs::write(dir.join("v12.ji"), &ji).unwrap();
    common::run(Command::new("zstd").current_dir(&dir).args(["-q", "v12.ji", "-o", "v12.ji.zst"]));
    let stored = std::fs::read(dir.join("v12.ji.zst")).unwrap();
    let data = data_library(&dir, "Z", &stored);
    // The frame (docs/FORMAT.md §3): flags bit 1 and the uncompressed size at 40.
    let mut bytes = std::fs::read(&data).unwrap();
    let frame = bytes.windows(stored.len()).position(|w| w == stored).unwrap() - 64;
    bytes[frame + 12] |= 2;
    bytes[frame + 40..frame + 48].copy_from_slice(&(ji.len() as u64).to_le_bytes());
    std::fs::write(&data, &bytes).unwrap();
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let code = code_cache(&dir, &src, "libZ.so", &["Z_data"], None);
    for path in [&code, &data] {
        let (status, lines) = check(&[path], &["--strict"]);
        let l = &lines[0];
        assert_eq!((status, &l["verdict"]), (1, &json!("unchecked")), "{l}");
        assert!(l["reason"].as_str().unwrap().contains("zstd-compressed"), "{l}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// F12 of the adversarial pass: a little-endian `.ji` beside a big-endian
/// (ppc64) library. Julia reads a `.ji` only on a machine of its byte
/// order, which cannot load the other's code: rejected at `byte_order`.
/// The same `.ji` beside a little-endian library passes that point.
#[test]
fn check_rejects_a_ji_whose_byte_order_is_not_its_librarys() {
    let dir = temp_dir("byte-order");
    let w = realistic(Release::V1_11, true).write();
    for (stem, big, machine, status) in [("Big_a1", true, 21, "failed"), ("Little_b2", false, 62, "ok")] {
        let sections = [model::progbits(".text", &[0x60; 16]), model::progbits(".rodata", b"native code")];
        let lib = model::elf(true, big, machine, &sections).bytes;
        std::fs::write(dir.join(format!("{stem}.so")), &lib).unwrap();
        let ji = dir.join(format!("{stem}.ji"));
        std::fs::write(&ji, w.ji(ji_writer::crc32c(&lib), false)).unwrap();
        let (_, lines) = check(&[&ji], &[]);
        let order = point(&lines[0], "byte_order");
        assert_eq!(order["status"], status, "{stem}: {}", lines[0]);
        if big {
            assert_eq!(order["detail"], "little-endian, but the library is big-endian", "{}", lines[0]);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A library exporting `const uint32_t jl_system_image_checksum = value`,
/// built with gcc; `None` (after a loud skip) without gcc.
fn library_with_checksum(dir: &Path, stem: &str, value: u32) -> Option<Vec<u8>> {
    if !common::require_tool("gcc") {
        return None;
    }
    let c = dir.join(format!("{stem}.c"));
    let src =
        format!("const unsigned int jl_system_image_checksum = {value:#x}u;\nint answer(void) {{ return 42; }}\n");
    std::fs::write(&c, src).unwrap();
    let so = dir.join(format!("{stem}.so"));
    let out = Command::new("gcc").args(["-shared", "-fPIC", "-o"]).arg(&so).arg(&c).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&c).unwrap();
    Some(std::fs::read(&so).unwrap())
}

/// A v15 split pair: the `.ji` records the library's CRC; the library
/// exports `jl_system_image_checksum` = `symbol` (the header's checksum, or not).
fn split15_pair(dir: &Path, stem: &str, symbol: impl Fn(u32) -> u32) -> Option<PathBuf> {
    let cache = realistic(Release::Master15, true);
    let w = cache.write();
    let lib = library_with_checksum(dir, stem, symbol(w.checksum as u32))?;
    let ji = dir.join(format!("{stem}.ji"));
    std::fs::write(&ji, w.ji(ji_writer::crc32c(&lib), false)).unwrap();
    Some(ji)
}

#[test]
fn check_accepts_a_v15_split_pair_whose_checksum_symbol_matches() {
    let dir = temp_dir("symbol-ok");
    let Some(ji) = split15_pair(&dir, "Split_a1", |c| c) else { return };
    let (status, lines) = check(&[&ji], &["--strict"]);
    assert_eq!(point(&lines[0], "image_checksum")["status"], "ok", "{}", lines[0]);
    assert_eq!((status, &lines[0]["verdict"]), (0, &json!("ok")));
    std::fs::remove_dir_all(&dir).ok();
}

/// Review 17 N3: an empty library file is there; its symbol cannot be read,
/// which is not "no library beside it".
#[test]
fn an_empty_library_is_not_a_missing_one() {
    let dir = temp_dir("symbol-empty");
    let Some(ji) = split15_pair(&dir, "Split_e1", |c| c) else { return };
    std::fs::write(ji.with_extension("so"), b"").unwrap();
    let (status, lines) = check(&[&ji], &[]);
    let detail = point(&lines[0], "image_checksum")["detail"].as_str().unwrap().to_owned();
    assert_eq!(status, 1, "{}", lines[0]);
    assert!(!detail.contains("no library beside it"), "{detail}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_rejects_a_v15_split_pair_whose_checksum_symbol_differs() {
    let dir = temp_dir("symbol-bad");
    let Some(ji) = split15_pair(&dir, "Split_b2", |c| c ^ 0x0100_0000) else { return };
    let (status, lines) = check(&[&ji], &[]);
    assert_eq!((status, &lines[0]["verdict"]), (1, &json!("rejected")));
    let reason = lines[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("image_checksum: jl_system_image_checksum is 0x"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes `lib<stem>_data.so`, a data library holding `ji`, with `jiscan
/// emit --shared`.
fn data_library(dir: &Path, stem: &str, ji: &[u8]) -> PathBuf {
    let source = dir.join(format!("{stem}.ji.in"));
    std::fs::write(&source, ji).unwrap();
    let name = format!("lib{stem}_data.so");
    let out = dir.join(&name);
    let args = ["emit", "--shared", "--soname", &name, "--target", "x86_64-linux-gnu"];
    let status = jiscan(&[&args[..], &[source.to_str().unwrap(), "-o", out.to_str().unwrap()]].concat());
    assert_eq!(code(&status), 0, "{}", String::from_utf8_lossy(&status.stderr));
    std::fs::remove_file(&source).unwrap();
    out
}

/// A code cache `name` in `dir` built by gcc against the data libraries
/// `data` (sonames without `lib` and `.so`), found through `$ORIGIN`: it
/// reads the data record through the exported symbol, and exports
/// `jl_system_image_checksum` = `checksum` if given. Sources go to `src`.
fn code_cache(dir: &Path, src: &Path, name: &str, data: &[&str], checksum: Option<u32>) -> PathBuf {
    let mut c = include_str!("fixtures/split/code.c").to_owned();
    if let Some(value) = checksum {
        c.push_str(&format!("const unsigned int jl_system_image_checksum = {value:#x}u;\n"));
    }
    let source = src.join(format!("{name}.c"));
    std::fs::write(&source, c).unwrap();
    let out = dir.join(name);
    let mut gcc = Command::new("gcc");
    gcc.current_dir(dir).args(["-shared", "-fPIC", "-O2", "-Wl,-rpath,$ORIGIN", "-Wl,--no-as-needed", "-L."]);
    gcc.arg(&source).args(data.iter().map(|d| format!("-l{d}"))).arg("-o").arg(&out);
    let built = gcc.output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    out
}

/// Split images (docs/FORMAT.md 8.4): a code cache is checked with the `.ji`
/// of its data library, a data library on its own for the `.ji` it holds. A
/// v12 `.ji` and a v15 split one, each in a data library written by `jiscan
/// emit --shared`, and code caches linked against them by gcc.
#[test]
fn check_follows_a_code_cache_to_its_data_library() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = temp_dir("split-images");
    let (caches, src) = (dir.join("caches"), dir.join("src"));
    std::fs::create_dir_all(&caches).unwrap();
    std::fs::create_dir_all(&src).unwrap();
    // A library word that is no CRC of anything: a split image ignores it.
    let v12 = realistic(Release::V1_11, true).write().ji(0xdead_beef, false);
    let v15 = realistic(Release::Master15, true).write();
    let v12_data = data_library(&caches, "Ex", &v12);
    let v15_data = data_library(&caches, "Sp", &v15.ji(0, false));
    let checksum = v15.checksum as u32;
    let o2 = code_cache(&caches, &src, "libEx_O2.so", &["Ex_data"], None);
    let o0 = code_cache(&caches, &src, "libEx_O0.so", &["Ex_data"], None);
    let good = code_cache(&caches, &src, "libSp_good.so", &["Sp_data"], Some(checksum));
    let stale = code_cache(&caches, &src, "libSp_stale.so", &["Sp_data"], Some(checksum ^ 0x0100_0000));
    let bare = code_cache(&caches, &src, "libSp_bare.so", &["Sp_data"], None);
    let two = code_cache(&caches, &src, "libTwo.so", &["Ex_data", "Sp_data"], None);
    let plain = src.join("plain.c");
    std::fs::write(&plain, "int plain(void) { return 1; }\n").unwrap();
    // -nostdlib: no DT_NEEDED at all, whether or not gcc passes --as-needed.
    common::run(
        Command::new("gcc").args(["-shared", "-fPIC", "-nostdlib", "-o"]).arg(caches.join("libplain.so")).arg(&plain),
    );

    let line = |path: &Path| -> Value {
        let (_, lines) = check(&[path], &[]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        lines.into_iter().next().unwrap()
    };
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let same_file =
        |a: &Value, b: &Path| Path::new(a.as_str().unwrap()).canonicalize().unwrap() == b.canonicalize().unwrap();

    // A v12 split image: every point of the .ji holds, and the library CRC is not Julia's to check.
    for code_cache in [&o2, &o0] {
        let l = line(code_cache);
        assert_eq!(
            (&l["kind"], &l["verdict"], &l["package"]),
            (&json!("split"), &json!("ok"), &json!("Example")),
            "{l}"
        );
        assert_eq!(l["library"], s(code_cache));
        assert!(same_file(&l["data_library"], &v12_data), "{l}");
        assert_eq!(point(&l, "frame_crc")["status"], "ok");
        assert_eq!(point(&l, "ji_crc")["status"], "ok");
        assert_eq!(point(&l, "library_crc")["status"], "not applicable");
        assert!(point(&l, "library_crc")["detail"].as_str().unwrap().contains("0xdeadbeef"), "{l}");
        assert_eq!(point(&l, "image_checksum")["status"], "not applicable");
    }
    let l = line(&v12_data);
    assert_eq!((&l["kind"], &l["verdict"], &l["library"]), (&json!("data library"), &json!("ok"), &Value::Null));

    // v15: each code cache must export the .ji's checksum; the data library need not.
    let l = line(&good);
    assert_eq!((&l["verdict"], &point(&l, "image_checksum")["status"]), (&json!("ok"), &json!("ok")), "{l}");
    let reason = line(&stale)["reason"].as_str().unwrap().to_owned();
    assert!(reason.starts_with("image_checksum: jl_system_image_checksum is 0x"), "{reason}");
    assert_eq!(line(&bare)["reason"], "image_checksum: the library exports no jl_system_image_checksum");
    let l = line(&v15_data);
    assert_eq!((&l["kind"], &l["verdict"]), (&json!("data library"), &json!("ok")), "{l}");
    assert_eq!(point(&l, "image_checksum")["status"], "not applicable");

    // Two data libraries: no single .ji.
    let reason = line(&two)["reason"].as_str().unwrap().to_owned();
    assert!(reason.starts_with("data_library: more than one dependency is a data library: "), "{reason}");

    // The whole directory: a line per code cache and data library; the
    // library that depends on no data library is another file.
    let (status, lines) = check(&[&caches], &[]);
    assert_eq!(status, 1, "two code caches are rejected");
    let mut kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["data library", "data library", "split", "split", "split", "split", "split", "split"]);
    let text = stdout(&jiscan(&["check", caches.to_str().unwrap()]));
    assert!(text.contains("8 caches: 5 ok, 0 unchecked, 3 rejected, 0 unreadable; 1 other files ignored"), "{text}");

    // A changed payload: the code cache's line names the data library's frame CRC.
    let damaged = dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    let mut bytes = std::fs::read(&v12_data).unwrap();
    let at = bytes.windows(v12.len()).position(|w| w == v12).unwrap() + 100;
    bytes[at] ^= 1;
    std::fs::write(damaged.join("libEx_data.so"), bytes).unwrap();
    std::fs::copy(&o2, damaged.join("libEx_O2.so")).unwrap();
    let l = line(&damaged.join("libEx_O2.so"));
    let reason = l["reason"].as_str().unwrap();
    assert!(reason.starts_with("frame_crc: ") && reason.contains("libEx_data.so"), "{reason}");

    // A v15 .ji without native code is standalone: Julia loads no code
    // library with it, so its code caches are not used (and not wrong).
    let alone = dir.join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    data_library(&alone, "St", &realistic(Release::Master15, false).write().ji(0, false));
    let l = line(&code_cache(&alone, &src, "libSt.so", &["St_data"], None));
    assert_eq!(l["verdict"], "ok", "{l}");
    assert!(point(&l, "library_crc")["detail"].as_str().unwrap().contains("no clone targets"), "{l}");
    // JI_FLAG_SPLIT must say whether there are clone targets, or Julia stops
    // loading the .ji: cleared with native code, set without. Both lines,
    // the code cache's and the data library's, say so.
    let flip = |native: bool, set: bool| {
        let mut w = realistic(Release::Master15, native).write();
        let gc_abi = w.fields.iter().find(|(name, _)| *name == "GC ABI string").unwrap().1 as usize;
        let flags = gc_abi + w.body[gc_abi..].iter().position(|&b| b == 0).unwrap() + 1;
        // JI_FLAG_SPLIT, 1 << 1, in the little-endian flags word.
        w.body[flags] = if set { w.body[flags] | 2 } else { w.body[flags] & !2 };
        w
    };
    for (stem, w, said) in [
        ("Fl", flip(true, false), "Expected split image, but got standalone"),
        ("Sf", flip(false, true), "Expected standalone image, but got split"),
    ] {
        let data = data_library(&alone, stem, &w.ji(0, false));
        let code =
            code_cache(&alone, &src, &format!("lib{stem}.so"), &[&format!("{stem}_data")], Some(w.checksum as u32));
        for l in [line(&code), line(&data)] {
            let flag = point(&l, "split_flag");
            assert_eq!((&l["verdict"], &flag["status"]), (&json!("rejected"), &json!("failed")), "{l}");
            assert!(flag["detail"].as_str().unwrap().contains(said), "{l}");
        }
    }

    // A data library cut short: its container holds no sound payload. In a
    // directory it is a rejected line, not another file.
    let cut = dir.join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    let bytes = std::fs::read(&v12_data).unwrap();
    std::fs::write(cut.join("libEx_data.so"), &bytes[..bytes.len() - 1000]).unwrap();
    std::fs::copy(&o2, cut.join("libEx_O2.so")).unwrap();
    let (status, lines) = check(&[&cut], &[]);
    let l = lines.iter().find(|l| l["path"] == s(&cut.join("libEx_data.so"))).unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!((status, &l["verdict"]), (1, &json!("rejected")), "{l}");
    assert!(l["reason"].as_str().unwrap().starts_with("payload: "), "{l}");

    // Split images gone wrong: a code cache depending on a combined file (no
    // data record), and one depending on two data libraries that hold no
    // .ji. Both import jl_pkgimg_data, so they are code caches, rejected in
    // a directory too; the two data libraries holding no .ji are other files.
    let others = dir.join("others");
    std::fs::create_dir_all(&others).unwrap();
    let plain = src.join("plain.c");
    common::run(
        Command::new("gcc")
            .current_dir(&others)
            .args(["-shared", "-fPIC", "-Wl,-soname,libcomb.so", "-o"])
            .arg("plain.so")
            .arg(&plain),
    );
    let ji = src.join("v12.ji");
    std::fs::write(&ji, &v12).unwrap();
    let injected = jiscan(&[
        "inject",
        others.join("plain.so").to_str().unwrap(),
        ji.to_str().unwrap(),
        "-o",
        others.join("libcomb.so").to_str().unwrap(),
    ]);
    assert_eq!(code(&injected), 0, "{}", String::from_utf8_lossy(&injected.stderr));
    std::fs::remove_file(others.join("plain.so")).unwrap();
    let uses_combined = code_cache(&others, &src, "libUsesComb.so", &["comb"], None);
    for name in ["N1", "N2"] {
        data_library(&others, name, b"not a .ji, just bytes");
    }
    let two_plain = code_cache(&others, &src, "libTwoPlain.so", &["N1_data", "N2_data"], None);
    let text = stdout(&jiscan(&["check", others.to_str().unwrap()]));
    assert!(text.contains("3 caches: 1 ok, 0 unchecked, 2 rejected, 0 unreadable; 2 other files ignored"), "{text}");
    let reason = line(&uses_combined)["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains(
            "libcomb.so carries a payload but is no data library holding a .ji: no data record names its payload"
        ),
        "{reason}"
    );
    let reason = line(&two_plain)["reason"].as_str().unwrap().to_owned();
    assert!(reason.starts_with("data_library: more than one dependency is a data library: "), "{reason}");
    // Named on the command line: a code cache copied without its data
    // library says which dependency was not found, and a library with no
    // dependencies says that.
    let lonely = dir.join("lonely");
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::copy(&o2, lonely.join("libEx_O2.so")).unwrap();
    let reason = line(&lonely.join("libEx_O2.so"))["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("no dependency is a data library: libEx_data.so (not found through $ORIGIN"), "{reason}");
    assert!(reason.contains("it imports jl_pkgimg_data, as a split image's code cache does, but no dep"), "{reason}");
    // In a directory too, where a library that does not import the data
    // record's symbol (plain.so: no payload, no dependencies) is another file.
    std::fs::copy(caches.join("libplain.so"), lonely.join("libplain.so")).unwrap();
    let (status, lines) = check(&[&lonely], &[]);
    assert_eq!((status, lines.len()), (1, 1), "{lines:?}");
    assert_eq!(lines[0]["path"], s(&lonely.join("libEx_O2.so")), "{lines:?}");
    assert!(lines[0]["reason"].as_str().unwrap().contains("libEx_data.so (not found through $ORIGIN"), "{lines:?}");
    // A code cache linked with no dependency at all on a data library (no
    // -l): it imports the symbol all the same. Named or in a directory.
    let unlinked = dir.join("unlinked");
    std::fs::create_dir_all(&unlinked).unwrap();
    let source = src.join("unlinked.c");
    std::fs::write(&source, include_str!("fixtures/split/code.c")).unwrap();
    let library = unlinked.join("libEx_unlinked.so");
    common::run(Command::new("gcc").args(["-shared", "-fPIC", "-o"]).arg(&library).arg(&source));
    let (status, lines) = check(&[&unlinked], &[]);
    assert_eq!((status, lines.len()), (1, 1), "{lines:?}");
    let reason = lines[0]["reason"].as_str().unwrap();
    let expected = "data_library: it carries no .ji payload; it imports jl_pkgimg_data, as a split image's code \
                    cache does, but it has no dependencies";
    assert_eq!(reason, expected, "{lines:?}");
    assert_eq!(line(&library)["reason"], expected);
    // A name that would drive the terminal is escaped in the table.
    let red = lonely.join("red\x1b[31m.so");
    std::fs::copy(&o2, &red).unwrap();
    let text = stdout(&jiscan(&["check", red.to_str().unwrap()]));
    assert!(!text.contains('\x1b') && text.contains("red\\033[31m.so"), "{text:?}");
    let text = stdout(&jiscan(&["show", red.to_str().unwrap()]));
    assert!(!text.contains('\x1b') && text.contains("red\\033[31m.so"), "{text:?}");
    let reason = line(&caches.join("libplain.so"))["reason"].as_str().unwrap().to_owned();
    assert!(reason.ends_with("it carries no .ji payload: it has no dependencies"), "{reason}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The checksum symbol a version 14/15 code library exports, in C, for
/// ELF, Mach-O and PE alike.
fn checksum_symbol(value: u32) -> String {
    format!(
        "#ifdef _WIN32\n__declspec(dllexport)\n#endif\nconst unsigned int jl_system_image_checksum = {value:#x}u;\n"
    )
}

/// A v15 split image for macOS (arm64, zig's Mach-O linker, `@rpath`
/// through `LC_RPATH`) and one for Windows (x86_64, zig's lld-link through
/// pkgimg's import library): `jiscan check` finds each code cache's data
/// library and reads its `jl_system_image_checksum` from the Mach-O export
/// trie and the PE export directory.
#[test]
fn check_a_split_image_for_macos_and_windows() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = temp_dir("split-macos-windows");
    let v15 = realistic(Release::Master15, true).write();
    let (ji, checksum) = (dir.join("Sp.ji.in"), v15.checksum as u32);
    std::fs::write(&ji, v15.ji(0, false)).unwrap();
    let cases = [
        ("arm64-apple-macos", "aarch64-macos", "@rpath/libSp_data.dylib", "libSp_data.dylib", "dylib"),
        ("x86_64-windows-gnu", "x86_64-windows-gnu", "Sp_data.dll", "Sp_data.dll", "dll"),
    ];
    for (triple, zig_target, soname, file, ext) in cases {
        let data = dir.join(file);
        let mut emit = vec!["emit", "--shared", "--soname", soname, "--target", triple];
        let implib = dir.join("libSp_data.dll.a");
        if ext == "dll" {
            emit.extend(["--implib", implib.to_str().unwrap()]);
        }
        let out = jiscan(&[&emit[..], &[ji.to_str().unwrap(), "-o", data.to_str().unwrap()]].concat());
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let link = |name: &str, value: u32| -> PathBuf {
            let source = dir.join(format!("{name}.c"));
            std::fs::write(&source, format!("{}{}", include_str!("fixtures/split/code.c"), checksum_symbol(value)))
                .unwrap();
            let out = dir.join(format!("{name}.{ext}"));
            let mut zig = Command::new("python3");
            zig.current_dir(&dir).args(["-m", "ziglang", "cc", "-target", zig_target, "-shared", "-O2"]);
            zig.arg(&source).args(["-L.", "-lSp_data"]);
            if ext == "dylib" {
                zig.arg("-Wl,-rpath,@loader_path");
            }
            common::run(zig.arg("-o").arg(&out));
            out
        };
        let good = link(&format!("good_{ext}"), checksum);
        let stale = link(&format!("stale_{ext}"), checksum ^ 0x0100_0000);
        let (status, lines) = check(&[&good], &[]);
        let l = &lines[0];
        assert_eq!((status, &l["kind"], &l["verdict"]), (0, &json!("split"), &json!("ok")), "{triple}: {l}");
        assert_eq!(point(l, "image_checksum")["status"], "ok", "{triple}: {l}");
        assert!(l["data_library"].as_str().unwrap().ends_with(file), "{triple}: {l}");
        let (status, lines) = check(&[&stale], &[]);
        let reason = lines[0]["reason"].as_str().unwrap();
        assert_eq!(status, 1, "{triple}: {reason}");
        assert!(reason.starts_with("image_checksum: jl_system_image_checksum is 0x"), "{triple}: {reason}");
        let (status, lines) = check(&[&data], &[]);
        assert_eq!((status, &lines[0]["kind"]), (0, &json!("data library")), "{triple}: {}", lines[0]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A universal data library whose arm64 and x86_64 slices hold different
/// `.ji`s (a v12 and a v15 one), and a thin code cache of each
/// architecture: each code cache's line is its own slice's `.ji`, and the
/// data library's own line the host's, in one run over the directory, in
/// which a data library's checks are remembered.
#[test]
fn check_takes_each_code_caches_slice_of_a_universal_data_library() {
    if !(common::require(&["python3", "-m", "ziglang", "version"]) && common::require(&["llvm-lipo-14", "-version"])) {
        return;
    }
    let dir = temp_dir("split-universal");
    let (caches, src) = (dir.join("caches"), dir.join("src"));
    std::fs::create_dir_all(&caches).unwrap();
    std::fs::create_dir_all(&src).unwrap();
    let v15 = realistic(Release::Master15, true).write();
    let slices = [
        ("arm64-apple-macos", "aarch64-macos", realistic(Release::V1_11, true).write().ji(0, false), 12, None),
        ("x86_64-apple-macos", "x86_64-macos", v15.ji(0, false), 15, Some(v15.checksum as u32)),
    ];
    let mut thin = Vec::new();
    for (triple, _, ji, ..) in &slices {
        let (source, out) = (src.join(format!("{triple}.ji")), src.join(format!("{triple}.dylib")));
        std::fs::write(&source, ji).unwrap();
        let args = ["emit", "--shared", "--soname", "@rpath/libU_data.dylib", "--target", triple];
        let emitted = jiscan(&[&args[..], &[source.to_str().unwrap(), "-o", out.to_str().unwrap()]].concat());
        assert_eq!(code(&emitted), 0, "{}", String::from_utf8_lossy(&emitted.stderr));
        thin.push(out);
    }
    let data = caches.join("libU_data.dylib");
    common::run(Command::new("llvm-lipo-14").arg("-create").args(&thin).arg("-output").arg(&data));
    for (_, zig_target, _, version, checksum) in &slices {
        let source = src.join(format!("{zig_target}.c"));
        let symbol = checksum.map_or(String::new(), checksum_symbol);
        std::fs::write(&source, format!("{}{symbol}", include_str!("fixtures/split/code.c"))).unwrap();
        let out = caches.join(format!("code_{zig_target}.dylib"));
        let mut zig = Command::new("python3");
        zig.current_dir(&caches).args(["-m", "ziglang", "cc", "-target", zig_target, "-shared", "-O2"]);
        common::run(zig.arg(&source).args(["-L.", "-lU_data", "-Wl,-rpath,@loader_path", "-o"]).arg(&out));
        let (status, lines) = check(&[&out], &[]);
        let l = &lines[0];
        assert_eq!((status, &l["format_version"]), (0, &json!(version)), "{zig_target}: {l}");
    }
    // One run over the directory: the same answers, and the data library's
    // own line is its host slice's (x86_64 here: the v15 .ji).
    let (_, lines) = check(&[&caches], &[]);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let l = lines.iter().find(|l| l["path"] == data.to_str().unwrap()).unwrap();
    let host = if cfg!(target_arch = "aarch64") { 12 } else { 15 };
    assert_eq!((&l["kind"], &l["format_version"]), (&json!("data library"), &json!(host)), "{l}");
    for (_, zig_target, _, version, _) in &slices {
        let path = caches.join(format!("code_{zig_target}.dylib"));
        let l = lines.iter().find(|l| l["path"] == path.to_str().unwrap()).unwrap();
        assert_eq!((&l["verdict"], &l["format_version"]), (&json!("ok"), &json!(version)), "{zig_target}: {l}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Damaged copies of a v12 and a v15 `.ji` (cut at every field the writer
/// recorded and at random lengths, bytes changed): `show` reports each with
/// a stop that names the file offset or a CRC mismatch, and `check` rejects
/// every one of them, in one run over the directory.
#[test]
fn show_and_check_report_damaged_files() {
    let dir = temp_dir("damaged");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut written = 0;
    for release in [Release::V1_11, Release::Master15] {
        let w = realistic(release, false).write();
        let ji = w.ji(0, false);
        let mut cuts: Vec<usize> = w.fields.iter().map(|f| f.1 as usize).collect();
        cuts.extend((0..8).map(|_| next() as usize % ji.len()));
        for cut in cuts {
            std::fs::write(dir.join(format!("{release:?}-cut{cut}.ji")), &ji[..cut]).unwrap();
            written += 1;
        }
        for _ in 0..12 {
            let mut bad = ji.clone();
            let at = next() as usize % ji.len();
            bad[at] ^= 1 << (next() % 8);
            std::fs::write(dir.join(format!("{release:?}-flip{at}.ji")), &bad).unwrap();
            written += 1;
        }
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in &paths {
        let out = jiscan(&["show", "--json", path.to_str().unwrap()]);
        assert_eq!(code(&out), 1, "{path:?} is damaged");
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let ji = &doc["ji"];
        if ji.is_null() {
            // The magic itself is damaged or cut: not a .ji, and show says why.
            let image_error = doc["images"].as_array().unwrap().iter().any(|i| i["error"].is_string());
            assert!(doc["error"].is_string() || image_error, "{path:?}: {doc}");
            continue;
        }
        match ji["stopped"].as_str() {
            Some(message) => {
                let offset = ji["stopped_at"]["offset"].as_u64().unwrap();
                assert!(message.contains(&format!("file offset {offset:#x}")), "{path:?}: {message}");
            }
            None => assert_eq!(ji["trailer"]["ji_crc_ok"], false, "{path:?}: damage undetected"),
        }
        let text = stdout(&jiscan(&["show", path.to_str().unwrap()]));
        assert!(text.contains("STOPPED: ") || text.contains("MISMATCH"), "{path:?}:\n{text}");
    }
    let (status, lines) = check(&[&dir], &[]);
    assert_eq!((status, lines.len()), (1, written));
    for line in &lines {
        assert_eq!(line["verdict"], "rejected", "{line}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
