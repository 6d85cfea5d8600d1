//! zstd-compressed payloads (issue 15 item 4; docs/FORMAT.md "The frame",
//! flags bit 1), against oracles that are not this crate: frame bytes
//! written out by hand from the contract's table, the `zstd` command-line
//! tool (which must decode the stored bytes), and the original files.
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

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pkgimg::emit::{compress, Compression, Target};
use pkgimg::frame::{Frame, FLAG_CRC32C, FLAG_ZSTD};
use pkgimg::inject::{inject, InjectOptions};
use pkgimg::{Arch, Error};

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");

/// The zstd frame magic number, RFC 8878 section 3.1.1.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A fresh directory for one test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("pkgimg-zstd-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The names in the directory, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A payload that compresses like real data: the bytes of a corpus
/// library, repeated with a counter so that the repeats are not identical.
fn realistic(len: usize) -> Vec<u8> {
    let seed = fs::read(common::corpus().join("elf/x86_64-linux-musl.so")).unwrap();
    let mut out = Vec::with_capacity(len + seed.len());
    let mut round = 0u32;
    while out.len() < len {
        out.extend_from_slice(&round.to_le_bytes());
        out.extend_from_slice(&seed);
        round += 1;
    }
    out.truncate(len);
    out
}

fn jiscan(args: &[&str]) -> Output {
    Command::new(JISCAN).args(args).output().expect("run jiscan")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `zstd -d -c FILE`: the independent decoder.
fn zstd_decode(file: &Path) -> Vec<u8> {
    let out = Command::new("zstd").args(["-d", "-c", "-q"]).arg(file).output().unwrap();
    assert!(out.status.success(), "zstd -d {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The container's frame, field by field from the table in docs/FORMAT.md
/// "The frame" (not from this crate's encoder): an uncompressed payload's
/// frame is unchanged, and a compressed one has flags bit 1 and the
/// uncompressed size as a little-endian u64 at byte 40.
#[test]
fn frame_bytes_follow_the_contract() {
    let mut plain = [0u8; 64];
    plain[..48].copy_from_slice(&[
        0x89, b'J', b'L', b'J', b'I', b'\r', b'\n', 0x1a, // 0: magic
        1, 0, // 8: version
        64, 0, // 10: header_size
        1, 0, 0, 0, // 12: flags, bit 0 (CRC)
        64, 0, 0, 0, 0, 0, 0, 0, // 16: payload_offset
        9, 0, 0, 0, 0, 0, 0, 0, // 24: payload_size
        0x83, 0x92, 0x06, 0xe3, // 32: payload_crc32c
        0, 0, 0, 0, // 36: reserved
        0, 0, 0, 0, 0, 0, 0, 0, // 40: reserved (uncompressed_size, absent)
    ]);
    assert_eq!(Frame::new(64, 9, 0xe306_9283).to_bytes(), plain);

    let mut zstd = plain;
    zstd[12] = 0b11; // flags: bit 0 (CRC) and bit 1 (zstd)
    zstd[40..48].copy_from_slice(&[0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]);
    let frame = Frame::new(64, 9, 0xe306_9283).with_zstd(0x0102_0304_0506_0708);
    assert_eq!(frame.to_bytes(), zstd);
    assert_eq!(frame.flags, FLAG_CRC32C | FLAG_ZSTD);
    assert_eq!((FLAG_CRC32C, FLAG_ZSTD), (1, 2));
    // Bytes 36..40 and 48..64 stay reserved, zero.
    assert!(zstd[36..40].iter().chain(&zstd[48..]).all(|&b| b == 0));
}

/// A reader decodes the flag and the size from the bytes of a file whose
/// frame was edited by hand at the contract's offsets; the size at byte 40
/// is ignored when bit 1 is clear (old writers leave zeros there, and a
/// reserved byte is not a size).
#[test]
fn the_reader_decodes_flag_and_size_from_the_bytes() {
    let target = Target::from_triple("x86_64-unknown-linux-gnu").unwrap();
    let object = target.to_vec(b"123456789").unwrap();
    let frame_at = pkgimg::find_ji_payload(&object).unwrap().container().offset as usize;

    let mut edited = object.clone();
    edited[frame_at + 40..frame_at + 48].copy_from_slice(&77u64.to_le_bytes());
    let payload = pkgimg::find_ji_payload(&edited).unwrap();
    assert_eq!((payload.compressed(), payload.uncompressed_size()), (false, None), "bit 1 clear: no size");

    edited[frame_at + 12] |= 2;
    let payload = pkgimg::find_ji_payload(&edited).unwrap();
    assert_eq!((payload.compressed(), payload.uncompressed_size()), (true, Some(77)));
    assert_eq!(payload.frame().uncompressed_size, 77);
    // The stored bytes and their CRC are what they were: nothing is decoded to locate or verify.
    assert_eq!(payload.data(), b"123456789");
    payload.verify().unwrap();
    // They are not a zstd frame, so decoding them fails, naming the payload.
    let error = payload.decompress_to(Vec::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(error.to_string().contains(&format!("payload at {:#x}", payload.offset())), "{error}");
}

/// `inject --compress` into an ELF, a PE and a Mach-O library: the stored
/// bytes are one zstd frame that the `zstd` tool decodes to the original,
/// `verify` passes on them, and the frame records the original size.
#[test]
fn injected_payloads_decode_with_the_zstd_tool() {
    if !common::require_tool("zstd") {
        return;
    }
    let dir = Dir::new("inject");
    let original = realistic(3 << 20);
    let data = dir.join("Foo.ji");
    fs::write(&data, &original).unwrap();
    for library in ["x86_64-linux-musl.so", "x86_64-windows-gnu.dll", "aarch64-macos.dylib"] {
        let out = dir.join(library);
        let options = InjectOptions { compress: Some(Compression::default()), ..Default::default() };
        let report = inject(&common::corpus().join("nopayload").join(library), &data, &out, options).unwrap();
        assert_eq!(report.uncompressed_size, Some(original.len() as u64), "{library}");

        let bytes = fs::read(&out).unwrap();
        let payload = pkgimg::find_ji_payload(&bytes).unwrap();
        assert!(payload.compressed(), "{library}");
        assert_eq!(payload.uncompressed_size(), Some(original.len() as u64));
        assert_eq!((payload.offset(), payload.size()), (report.payload_offset, report.payload_size));
        assert!(payload.size() < original.len() as u64 / 2, "{library}: {} bytes stored", payload.size());
        assert_eq!(payload.data()[..4], ZSTD_MAGIC);
        // A first-version reader that ignores bit 1 hands out these bytes; a
        // consumer checking for a .ji refuses them.
        assert!(!pkgimg::ji::is_ji(payload.data()));
        payload.verify().unwrap();

        let stored = dir.join(&format!("{library}.zst"));
        fs::write(&stored, payload.data()).unwrap();
        assert!(zstd_decode(&stored) == original, "{library}: zstd -d does not give the original");

        let mut decoded = Vec::new();
        assert_eq!(payload.decompress_to(&mut decoded).unwrap(), original.len() as u64);
        assert!(decoded == original, "{library}: decompress_to does not give the original");
    }
    // Only the outputs and inputs: no temporary file is left beside them.
    let mut expected: Vec<String> = ["Foo.ji", "aarch64-macos.dylib", "x86_64-linux-musl.so", "x86_64-windows-gnu.dll"]
        .iter()
        .flat_map(|n| if *n == "Foo.ji" { vec![n.to_string()] } else { vec![n.to_string(), format!("{n}.zst")] })
        .collect();
    expected.sort();
    assert_eq!(dir.names(), expected);
}

/// The command line: `inject --compress` then `extract` gives the original
/// bytes back, `extract --raw` the stored zstd frame (which `zstd -d`
/// decodes), `scan --verify` passes, and `--compress=LEVEL` takes zstd's levels.
#[test]
fn cli_round_trip() {
    if !common::require_tool("zstd") {
        return;
    }
    let dir = Dir::new("cli");
    let original = realistic(2 << 20);
    let data = dir.join("Foo.ji");
    fs::write(&data, &original).unwrap();
    let library = common::corpus().join("nopayload/x86_64-linux-musl.so");
    let library = library.to_str().unwrap();
    let mut sizes = Vec::new();
    for level in ["--compress", "--compress=1", "--compress=19", "--compress=-5"] {
        let out = dir.join("libFoo.so");
        let out = out.to_str().unwrap();
        let line = ok(&jiscan(&["inject", level, library, data.to_str().unwrap(), "-o", out]));
        assert!(line.contains(&format!("zstd of {} bytes", original.len())), "{line}");

        let extracted = dir.join("extracted.ji");
        ok(&jiscan(&["extract", out, "-o", extracted.to_str().unwrap()]));
        assert!(fs::read(&extracted).unwrap() == original, "{level}: extract does not give the original");
        let piped = jiscan(&["extract", out, "-o", "-"]);
        assert!(piped.status.success() && piped.stdout == original, "{level}: extract -o - differs");

        let raw = dir.join("raw.zst");
        ok(&jiscan(&["extract", "--raw", out, "-o", raw.to_str().unwrap()]));
        let bytes = fs::read(out).unwrap();
        let payload = pkgimg::find_ji_payload(&bytes).unwrap();
        assert_eq!(fs::read(&raw).unwrap(), payload.data(), "--raw writes the stored bytes");
        assert!(zstd_decode(&raw) == original, "{level}: zstd -d of the stored bytes differs");
        sizes.push(payload.size());

        let scan = ok(&jiscan(&["scan", "--verify", "--json", out]));
        let line: serde_json::Value = serde_json::from_str(scan.trim()).unwrap();
        assert_eq!(line["payload"]["compressed"], true);
        assert_eq!(line["payload"]["uncompressed_size"], original.len() as u64);
        assert_eq!(line["payload"]["size"], payload.size());
        assert_eq!(line["payload"]["crc_ok"], true);
        let show: serde_json::Value = serde_json::from_str(&ok(&jiscan(&["show", "--json", out]))).unwrap();
        let shown = &show["images"][0]["payload"];
        assert_eq!((&shown["compressed"], &shown["content"]), (&true.into(), &"zstd".into()));
        assert_eq!(shown["frame"]["flags"], 3);
        assert_eq!(shown["frame"]["uncompressed_size"], original.len() as u64);
    }
    // Level 19 compresses better than level 1, and the fast level -5 worst.
    assert!(sizes[2] < sizes[1] && sizes[1] < sizes[3], "sizes by level (3, 1, 19, -5): {sizes:?}");
    assert_eq!(dir.names(), ["Foo.ji", "extracted.ji", "libFoo.so", "raw.zst"]);

    // Not a zstd level: a usage error, nothing written.
    let out = jiscan(&["inject", "--compress=23", library, data.to_str().unwrap(), "-o", "x.so"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a zstd level"));
}

/// `NAME.ji` holding `bytes`, injected with `jiscan inject --compress`
/// into the corpus library without a payload as `libNAME.so` in `dir`.
fn inject_compressed(dir: &Dir, name: &str, bytes: &[u8]) -> PathBuf {
    let data = dir.join(&format!("{name}.ji"));
    fs::write(&data, bytes).unwrap();
    let library = common::corpus().join("nopayload/x86_64-linux-musl.so");
    let compressed = dir.join(&format!("lib{name}.so"));
    let (l, d, c) = (library.to_str().unwrap(), data.to_str().unwrap(), compressed.to_str().unwrap());
    ok(&jiscan(&["inject", "--compress", l, d, "-o", c]));
    compressed
}

/// Audit 24 F2: `extract` of a compressed payload decodes on one thread and
/// writes on another, and panicked when the system refused that thread (a
/// process limit). It now decodes and writes in turn on one thread: the
/// same bytes, to a file or standard output, and a write error is still
/// the output's.
#[test]
fn extract_decodes_on_one_thread_when_the_system_refuses_a_second() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new("nproc");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o777)).unwrap();
    let original = realistic(3 << 20);
    let compressed = inject_compressed(&dir, "Foo", &original);
    fs::set_permissions(&compressed, fs::Permissions::from_mode(0o644)).unwrap();
    let extract = |to: &str| {
        let command = common::with_nproc(47102, Some(1), JISCAN);
        command.map(|mut c| c.args(["extract", compressed.to_str().unwrap(), "-o", to]).output().unwrap())
    };
    let Some(out) = extract(dir.join("x.ji").to_str().unwrap()) else { return };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(fs::read(dir.join("x.ji")).unwrap() == original, "extract under --nproc=1 differs");
    let out = extract("-").unwrap();
    assert!(out.status.success() && out.stdout == original, "extract -o - under --nproc=1 differs");
    // The writes fail (/dev/full as standard output): the output is named.
    let full = fs::File::options().write(true).open("/dev/full").unwrap();
    let command = common::with_nproc(47102, Some(1), JISCAN).unwrap();
    let out = {
        let mut c = command;
        c.args(["extract", compressed.to_str().unwrap(), "-o", "-"]).stdout(full).output().unwrap()
    };
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "jiscan: standard output: cannot write: No space left on device (os error 28)\n"
    );
}

/// Review 24 F6: under a process limit libzstd's multithreaded mode cannot
/// start its workers and fails with "Allocation error : not enough
/// memory", which `inject --compress` and `emit --compress` reported as
/// their failure. They compress on one thread then, and say so; `zstd -d`
/// decodes the frame to the payload.
#[test]
fn compression_goes_on_one_thread_when_the_system_refuses_zstds_workers() {
    use std::os::unix::fs::PermissionsExt;
    if !common::require_tool("zstd") {
        return;
    }
    let dir = Dir::new("nproc-compress");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o777)).unwrap();
    let original = realistic(2 << 20);
    let data = dir.join("Foo.ji");
    fs::write(&data, &original).unwrap();
    fs::set_permissions(&data, fs::Permissions::from_mode(0o644)).unwrap();
    let library = common::corpus().join("nopayload/x86_64-linux-musl.so");
    let (d, l) = (data.to_str().unwrap(), library.to_str().unwrap());
    let (injected, emitted) = (dir.join("libFoo.so"), dir.join("Foo.o"));
    let commands: [Vec<&str>; 2] = [
        vec!["inject", "--compress", l, d, "-o", injected.to_str().unwrap()],
        vec!["emit", "--compress", "--target", "x86_64-linux-gnu", d, "-o", emitted.to_str().unwrap()],
    ];
    for (args, out) in commands.iter().zip([&injected, &emitted]) {
        let Some(mut command) = common::with_nproc(47103, Some(1), JISCAN) else { return };
        let run = command.args(args).output().unwrap();
        assert!(run.status.success(), "{args:?}: {}", String::from_utf8_lossy(&run.stderr));
        let said = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(
            said.contains("zstd's multithreaded mode failed (") && said.contains("compressed on one thread"),
            "{said}"
        );
        let raw = dir.join("raw.zst");
        ok(&jiscan(&["extract", "--raw", out.to_str().unwrap(), "-o", raw.to_str().unwrap()]));
        assert!(zstd_decode(&raw) == original, "{args:?}: zstd -d of the stored bytes differs");
        fs::remove_file(&raw).unwrap();
    }
}

/// Audit 24 F13: `extract` of a compressed payload wrote every zero, so a
/// payload of holes took its whole size on disk once extracted (an
/// uncompressed one keeps its holes). Whole zero blocks are holes now, as
/// `zstd -d` leaves them; the bytes are the same, and so is a file that
/// ends in a hole.
#[test]
fn extract_of_a_compressed_payload_keeps_its_holes() {
    use std::os::unix::fs::MetadataExt;
    let dir = Dir::new("sparse");
    let mut bytes = vec![0u8; 48 << 20];
    bytes[1_000_000..1_000_005].copy_from_slice(b"hello");
    let middle = realistic(3 << 20);
    bytes[(20 << 20)..(20 << 20) + middle.len()].copy_from_slice(&middle);
    let compressed = inject_compressed(&dir, "Sparse", &bytes);
    let extracted = dir.join("extracted.ji");
    ok(&jiscan(&["extract", compressed.to_str().unwrap(), "-o", extracted.to_str().unwrap()]));
    assert!(fs::read(&extracted).unwrap() == bytes, "extract differs");
    let allocated = fs::metadata(&extracted).unwrap().blocks() * 512;
    // The 3 MiB of data and the block holding "hello", with room for the
    // file system's own rounding.
    assert!(allocated < 5 << 20, "{allocated} bytes allocated for {} bytes of which 3 MiB are not zero", bytes.len());
    let piped = jiscan(&["extract", compressed.to_str().unwrap(), "-o", "-"]);
    assert!(piped.status.success() && piped.stdout == bytes, "extract -o - differs");
}

/// `emit --compress` writes an object whose stored payload is a zstd frame,
/// for every object format; the object is checked by reading it back.
#[test]
fn emitted_objects_carry_a_zstd_frame() {
    if !common::require_tool("zstd") {
        return;
    }
    let dir = Dir::new("emit");
    let original = realistic(1 << 20);
    let data = dir.join("Foo.ji");
    fs::write(&data, &original).unwrap();
    for triple in ["x86_64-unknown-linux-gnu", "arm64-apple-macos", "x86_64-pc-windows-msvc"] {
        let object = dir.join("foo.o");
        let line = ok(&jiscan(&[
            "emit",
            "--compress",
            "--target",
            triple,
            data.to_str().unwrap(),
            "-o",
            object.to_str().unwrap(),
        ]));
        assert!(line.contains("zstd of 1048576 bytes"), "{line}");
        let bytes = fs::read(&object).unwrap();
        let payload = pkgimg::find_ji_payload(&bytes).unwrap();
        assert_eq!(payload.uncompressed_size(), Some(original.len() as u64), "{triple}");
        payload.verify().unwrap();
        let stored = dir.join("stored.zst");
        fs::write(&stored, payload.data()).unwrap();
        assert!(zstd_decode(&stored) == original, "{triple}");
    }
    // Not for a data library, whose writers lay out an uncompressed frame
    // (a usage error), nor to standard output.
    let shared = jiscan(&[
        "emit",
        "--compress",
        "--shared",
        "--soname",
        "libFoo_data.so",
        "--target",
        "x86_64-linux-gnu",
        data.to_str().unwrap(),
        "-o",
        dir.join("d.so").to_str().unwrap(),
    ]);
    assert_eq!(shared.status.code(), Some(2));
    let stdout = jiscan(&["emit", "--compress", "--target", "x86_64-linux-gnu", data.to_str().unwrap(), "-o", "-"]);
    assert_eq!(stdout.status.code(), Some(1));
    assert!(stdout.stdout.is_empty());
    assert_eq!(dir.names(), ["Foo.ji", "foo.o", "stored.zst"]);
}

/// A damaged compressed payload fails `verify`, which reads the stored bytes
/// only, and `extract` reports the CRC mismatch (its cause) rather than a
/// decoding error, and writes nothing.
#[test]
fn a_damaged_compressed_payload_fails_verify() {
    let dir = Dir::new("damaged");
    let data = dir.join("Foo.ji");
    fs::write(&data, realistic(1 << 20)).unwrap();
    let out = dir.join("libFoo.so");
    let options = InjectOptions { compress: Some(Compression::default()), ..Default::default() };
    inject(&common::corpus().join("nopayload/x86_64-linux-musl.so"), &data, &out, options).unwrap();
    let mut bytes = fs::read(&out).unwrap();
    let (offset, size) = {
        let payload = pkgimg::find_ji_payload(&bytes).unwrap();
        (payload.offset() as usize, payload.size() as usize)
    };
    bytes[offset + size / 2] ^= 0x40;
    fs::write(&out, &bytes).unwrap();

    let payload = pkgimg::find_ji_payload(&bytes).unwrap();
    assert!(matches!(payload.verify(), Err(Error::ChecksumMismatch { .. })), "{:?}", payload.verify());
    // The decoder notices too (zstd's own XXH64 or a malformed block).
    assert!(payload.decompress_to(std::io::sink()).is_err());

    let target = dir.join("out.ji");
    let extract = jiscan(&["extract", out.to_str().unwrap(), "-o", target.to_str().unwrap()]);
    assert_eq!(extract.status.code(), Some(1));
    let message = String::from_utf8_lossy(&extract.stderr);
    assert!(message.contains("CRC-32C") && message.contains(&format!("{offset:#x}")), "{message}");
    assert!(!target.exists());
    let scan = jiscan(&["scan", "--verify", out.to_str().unwrap()]);
    assert_eq!(scan.status.code(), Some(1));
    assert_eq!(dir.names(), ["Foo.ji", "libFoo.so"]);
}

/// The stored bytes must be exactly one zstd frame of the recorded size:
/// trailing bytes, a wrong recorded size and a cut frame are errors.
#[test]
fn the_decoder_holds_the_frame_to_its_word() {
    let original = realistic(200_000);
    let mut frame = Vec::new();
    let done =
        compress(&mut original.as_slice(), original.len() as u64, &mut frame, Compression::default(), &mut |_| {})
            .unwrap();
    let target = Target::from_triple("x86_64-unknown-linux-gnu").unwrap();
    let object = |stored: &[u8], uncompressed: u64| {
        let mut out = Vec::new();
        let crc = pkgimg::crc::crc32c(stored);
        target.write_zstd_from_reader(stored.len() as u64, crc, uncompressed, &mut &stored[..], &mut out).unwrap();
        out
    };
    let decode = |bytes: &[u8]| {
        let payload = pkgimg::find_ji_payload(bytes).unwrap();
        payload.verify().unwrap();
        let mut out = Vec::new();
        payload.decompress_to(&mut out).map(|n| (n, out))
    };

    let good = object(&frame, done.uncompressed_size);
    let (n, out) = decode(&good).unwrap();
    assert!(n == original.len() as u64 && out == original);

    let mut trailing = frame.clone();
    trailing.extend_from_slice(&frame);
    let error = decode(&object(&trailing, done.uncompressed_size)).unwrap_err();
    assert!(error.to_string().contains("exactly one frame"), "{error}");

    let error = decode(&object(&frame, done.uncompressed_size - 1)).unwrap_err();
    assert!(error.to_string().contains("more than the frame's uncompressed_size"), "{error}");
    let error = decode(&object(&frame, done.uncompressed_size + 1)).unwrap_err();
    assert!(error.to_string().contains("says"), "{error}");

    let error = decode(&object(&frame[..frame.len() - 10], done.uncompressed_size)).unwrap_err();
    assert!(error.to_string().contains("cut short"), "{error}");
    let error = decode(&object(&[], 0)).unwrap_err();
    assert!(error.to_string().contains("cut short"), "{error}");
}

/// A universal Mach-O file: every slice's payload is compressed (one of
/// them its own per-architecture payload), each frame sealed with its size.
#[test]
fn every_slice_of_a_universal_file_is_compressed() {
    let dir = Dir::new("universal");
    let main = realistic(500_000);
    let arm = realistic(300_000);
    fs::write(dir.join("main.ji"), &main).unwrap();
    fs::write(dir.join("arm.ji"), &arm).unwrap();
    let out = dir.join("Foo.dylib");
    let options = InjectOptions {
        replace: true,
        per_arch: vec![(Arch::Aarch64, dir.join("arm.ji"))],
        compress: Some(Compression { level: 3, workers: 2 }),
        ..Default::default()
    };
    inject(&common::corpus().join("macho/universal.dylib"), &dir.join("main.ji"), &out, options).unwrap();
    let bytes = fs::read(&out).unwrap();
    let mut seen = Vec::new();
    for item in pkgimg::payloads(&bytes).unwrap() {
        let (slice, payload) = item.unwrap();
        let payload = payload.unwrap();
        payload.verify().unwrap();
        let mut content = Vec::new();
        payload.decompress_to(&mut content).unwrap();
        let arch = slice.fat_arch().unwrap();
        let expected = if arch == Arch::Aarch64 { &arm } else { &main };
        assert_eq!(payload.uncompressed_size(), Some(expected.len() as u64), "{arch}");
        assert!(&content == expected, "{arch}");
        seen.push(arch);
    }
    assert_eq!(seen, [Arch::X86_64, Arch::Aarch64]);
    assert_eq!(dir.names(), ["Foo.dylib", "arm.ji", "main.ji"]);

    // A failure after compressing (a slice the file does not have) leaves
    // no temporary file behind, and no output.
    let options = InjectOptions {
        replace: true,
        per_arch: vec![(Arch::Powerpc64, dir.join("arm.ji"))],
        compress: Some(Compression::default()),
        ..Default::default()
    };
    let failed = dir.join("Bad.dylib");
    assert!(inject(&common::corpus().join("macho/universal.dylib"), &dir.join("main.ji"), &failed, options).is_err());
    assert_eq!(dir.names(), ["Foo.dylib", "arm.ji", "main.ji"]);
}

/// Uncompressed stays the default, and its output does not change: the
/// same library and payload give the same bytes with `compress: None` as
/// with options that never heard of it (tests/golden.rs pins the hashes).
#[test]
fn uncompressed_is_the_default() {
    let dir = Dir::new("default");
    let data = dir.join("Foo.ji");
    fs::write(&data, b"123456789").unwrap();
    let out = dir.join("lib.so");
    let report =
        inject(&common::corpus().join("nopayload/x86_64-linux-musl.so"), &data, &out, InjectOptions::default())
            .unwrap();
    assert_eq!(report.uncompressed_size, None);
    let bytes = fs::read(&out).unwrap();
    let payload = pkgimg::find_ji_payload(&bytes).unwrap();
    assert!(!payload.compressed());
    assert_eq!(payload.data(), b"123456789");
    let frame_at = payload.container().offset as usize;
    assert_eq!(bytes[frame_at..frame_at + 64], Frame::new(64, 9, 0xe306_9283).to_bytes());
    // decompress_to on an uncompressed payload writes the bytes as they are.
    let mut content = Vec::new();
    assert_eq!(payload.decompress_to(&mut content).unwrap(), 9);
    assert_eq!(content, b"123456789");
}

/// `jiscan check` on a library whose `.ji` payload is compressed: the cache
/// is not checked (that needs the decompressed bytes), and the report says
/// so and how, instead of "no .ji payload"; a compressed payload that is no
/// `.ji` is not a cache at all.
#[test]
fn check_names_a_compressed_cache_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let ji = common::corpus().join("ji/v12-julia-1.11.ji");
    let out = dir.path().join("libcache.so");
    let options = InjectOptions { compress: Some(Compression::default()), ..InjectOptions::default() };
    inject(&common::corpus().join("nopayload/x86_64-linux-musl.so"), &ji, &out, options).unwrap();
    let run = jiscan(&["check", out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("unchecked") && text.contains("zstd-compressed") && text.contains("jiscan extract"),
        "{text}"
    );
    let stored = pkgimg::find_ji_payload(&fs::read(&out).unwrap()).unwrap().size();
    let size = fs::metadata(&ji).unwrap().len();
    assert!(text.contains(&format!("({stored} bytes stored, {size} decompressed)")), "{text}");
    // Not a .ji inside: in a directory, not a cache.
    let other = dir.path().join("data.bin");
    fs::write(&other, b"123456789").unwrap();
    let out2 = dir.path().join("libother.so");
    let options = InjectOptions { compress: Some(Compression::default()), ..InjectOptions::default() };
    inject(&common::corpus().join("nopayload/x86_64-linux-musl.so"), &other, &out2, options).unwrap();
    fs::remove_file(&out).unwrap();
    let run = jiscan(&["check", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(!text.contains("libother.so"), "{text}");
}
