//! Post-link injection into PE images: the DLL still loads under Wine, peer
//! tools read it without a warning, CheckSum matches an independent
//! computation, the payload is found exactly; overlays, Authenticode,
//! replacing and the refusals.
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
use std::sync::Mutex;

use pkgimg::inject::{inject, InjectError, InjectOptions};
use util::{assert_clean, assert_payload, fixture, inject_plain, names_in, options, write_payload};

const ZIG: [&str; 3] = ["python3", "-m", "ziglang"];

fn have_zig() -> bool {
    common::require(&["python3", "-m", "ziglang", "version"])
}

fn zig_cc(target: &str, args: &[&str], out: &Path) {
    let cc = [&ZIG[..], &["cc", "-target", target]].concat();
    util::compile(&cc, args, out);
}

/// tests/fixtures/inject/answer.c as a DLL for `target`.
fn answer_dll(dir: &Path, target: &str) -> PathBuf {
    let out = dir.join(format!("answer-{target}.dll"));
    zig_cc(target, &["-shared", "-O1", fixture("answer.c").to_str().unwrap()], &out);
    out
}

/// Wine runs one program at a time here: the first run creates the prefix.
static WINE: Mutex<()> = Mutex::new(());

/// Runs the LoadLibrary loader under Wine; returns what it printed.
fn wine_call(dir: &Path, dll: &Path, symbol: Option<&str>) -> String {
    let _one = WINE.lock().unwrap_or_else(|e| e.into_inner());
    let exe = dir.join("loadlibrary_call.exe");
    if !exe.exists() {
        zig_cc("x86_64-windows-gnu", &["-O1", fixture("loadlibrary_call.c").to_str().unwrap()], &exe);
    }
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wineprefix");
    let mut cmd = Command::new("wine");
    cmd.arg(&exe).arg(dll).args(symbol).env("WINEDEBUG", "-all").env("WINEPREFIX", &prefix);
    util::ok(&mut cmd).trim().to_string()
}

fn have_wine() -> bool {
    common::require_tool("wine")
}

/// The PE checksum, written a second time in the plainest form (Microsoft's
/// imagehlp `CheckSumMappedFile`): add each little-endian 16-bit word, folding
/// the carry back in after every addition, with the 4-byte CheckSum field read
/// as zero and a lone last byte as a word; then add the file length.
fn independent_checksum(bytes: &[u8], checksum_at: usize) -> u32 {
    let byte = |i: usize| if (checksum_at..checksum_at + 4).contains(&i) { 0 } else { *bytes.get(i).unwrap_or(&0) };
    let mut sum: u32 = 0;
    for i in (0..bytes.len()).step_by(2) {
        sum += u32::from(byte(i)) | u32::from(byte(i + 1)) << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum.wrapping_add(bytes.len() as u32)
}

/// File offsets of the optional header and the section table, from the headers.
fn pe_offsets(bytes: &[u8]) -> (usize, usize) {
    let pe = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
    let optional = pe + 24;
    let optional_size = u16::from_le_bytes([bytes[pe + 20], bytes[pe + 21]]) as usize;
    (optional, optional + optional_size)
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Everything but running it: readers, parsers, CheckSum, and, where the
/// injection added the `.jlji` section (`fresh`), its fields.
fn check_output(out: &Path, expected: &[u8], fresh: bool) {
    let bytes = fs::read(out).unwrap();
    let at = assert_payload(out, expected);
    let headers = assert_clean("llvm-readobj", &["--file-headers", "--sections"], out);
    assert!(headers.contains("Name: .jlji"), "{headers}");
    let (optional, _) = pe_offsets(&bytes);
    let checksum = read_u32(&bytes, optional + 64);
    assert_eq!(checksum, independent_checksum(&bytes, optional + 64), "{}: CheckSum", out.display());

    let pe = goblin::pe::PE::parse(&bytes).unwrap_or_else(|e| panic!("goblin: {}: {e}", out.display()));
    let windows = pe.header.optional_header.unwrap().windows_fields;
    assert_eq!(windows.check_sum, checksum);
    use object::{Object, ObjectSection};
    let file = object::File::parse(&*bytes).unwrap_or_else(|e| panic!("object: {}: {e}", out.display()));
    let section = file.section_by_name(".jlji").unwrap();
    assert_eq!(&section.data().unwrap()[..8], b"\x89JLJI\r\n\x1a");
    if !fresh {
        return;
    }
    let last = pe.sections.last().unwrap();
    assert_eq!(last.name().unwrap(), ".jlji", "appended as the last section");
    assert_eq!((last.virtual_size, last.characteristics), (64, 0x4000_0040));
    assert_eq!(last.virtual_address % windows.section_alignment, 0);
    assert_eq!(
        u64::from(windows.size_of_image),
        u64::from(last.virtual_address) + u64::from(windows.section_alignment)
    );
    assert!(pe.sections.iter().all(|s| s.name().unwrap() == ".jlji" || s.virtual_address < last.virtual_address));
    assert_eq!(u64::from(last.pointer_to_raw_data) + u64::from(last.size_of_raw_data), at, "payload right after");
}

#[test]
fn zig_dll_still_loads_under_wine() {
    if !have_zig() || !have_wine() || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dll = answer_dll(dir.path(), "x86_64-windows-gnu");
    let before = wine_call(dir.path(), &dll, Some("pkgimg_answer"));
    assert_eq!(before, "40");
    let (payload, expected) = write_payload(dir.path(), "p", 1_000_000, 1);
    let out = dir.path().join("out.dll");
    let input = fs::read(&dll).unwrap();
    inject_plain(&dll, &payload, &out).unwrap();
    assert_eq!(fs::read(&dll).unwrap(), input);
    check_output(&out, &expected, true);
    assert_eq!(wine_call(dir.path(), &out, Some("pkgimg_answer")), before);
    // Only the header fields the injection owns changed before the old end.
    let (optional, table) = pe_offsets(&input);
    let pe = u32::from_le_bytes(input[0x3c..0x40].try_into().unwrap()) as usize;
    let sections = u16::from_le_bytes([input[pe + 6], input[pe + 7]]) as usize;
    let slot = table + 40 * sections;
    let changed = [
        (pe + 6, pe + 8),
        (optional + 8, optional + 12),
        (optional + 56, optional + 60),
        (optional + 64, optional + 68),
        (slot, slot + 40),
    ];
    util::assert_prefix_except(&input, &fs::read(&out).unwrap(), &changed);
}

/// Data after the last section (an overlay) stays at its offset, and the
/// library still loads.
#[test]
fn overlay_is_kept_in_place() {
    if !have_zig() || !have_wine() || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dll = answer_dll(dir.path(), "x86_64-windows-gnu");
    let mut bytes = fs::read(&dll).unwrap();
    let overlay_at = bytes.len();
    let overlay = util::payload_bytes(3001, 77);
    bytes.extend_from_slice(&overlay);
    let with_overlay = dir.path().join("overlay.dll");
    fs::write(&with_overlay, &bytes).unwrap();
    let (payload, expected) = write_payload(dir.path(), "p", 5000, 2);
    let out = dir.path().join("out.dll");
    inject_plain(&with_overlay, &payload, &out).unwrap();
    check_output(&out, &expected, true);
    assert_eq!(&fs::read(&out).unwrap()[overlay_at..overlay_at + overlay.len()], &overlay[..]);
    assert_eq!(wine_call(dir.path(), &out, Some("pkgimg_answer")), "40");
}

/// A 32-bit (PE32) DLL, and the corpus's DLLs when the corpus is there.
#[test]
fn pe32_and_corpus_dlls() {
    if !have_zig() || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let mut dlls = vec![answer_dll(dir.path(), "x86-windows-gnu"), answer_dll(dir.path(), "aarch64-windows-gnu")];
    let corpus = common::corpus();
    if corpus.exists() {
        dlls.extend(common::files_under(&corpus).into_iter().filter(|p| {
            p.extension().is_some_and(|e| e == "dll") && !p.components().any(|c| c.as_os_str() == "malformed")
        }));
    } else {
        eprintln!("SKIPPED (corpus part): no corpus/ yet");
    }
    for (i, dll) in dlls.iter().enumerate() {
        let input = fs::read(dll).unwrap();
        let replace = pkgimg::find_section(&input, ".jlji").map(|l| l.section.is_some()).unwrap_or(false);
        let (payload, expected) = write_payload(dir.path(), "p", 20_000 + i, i as u64);
        let out = dir.path().join(format!("out{i}.dll"));
        inject(dll, &payload, &out, options(replace)).unwrap_or_else(|e| panic!("{e}"));
        check_output(&out, &expected, !replace);
        let machine = goblin::pe::PE::parse(&fs::read(&out).unwrap()).unwrap().header.coff_header.machine;
        if machine == goblin::pe::header::COFF_MACHINE_X86_64 && have_wine() {
            // Every DLL here exports `int pkgimg_answer(void)`.
            let before = wine_call(dir.path(), dll, Some("pkgimg_answer"));
            assert_eq!(wine_call(dir.path(), &out, Some("pkgimg_answer")), before, "{}", dll.display());
            eprintln!("{}: loads under Wine after injection", dll.display());
        }
    }
}

/// Appends a fake WIN_CERTIFICATE and points the security directory at it.
fn fake_signed(dll: &Path, out: &Path) -> Vec<u8> {
    let mut bytes = fs::read(dll).unwrap();
    while bytes.len() % 8 != 0 {
        bytes.push(0);
    }
    let at = bytes.len() as u32;
    let body = b"FAKE-SIGNATURE!!";
    let length = 8 + body.len() as u32;
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(&0x0200u16.to_le_bytes()); // WIN_CERT_REVISION_2_0
    bytes.extend_from_slice(&0x0002u16.to_le_bytes()); // WIN_CERT_TYPE_PKCS_SIGNED_DATA
    bytes.extend_from_slice(body);
    let (optional, _) = pe_offsets(&bytes);
    let dirs = optional + if bytes[optional] == 0x0b && bytes[optional + 1] == 0x02 { 112 } else { 96 };
    bytes[dirs + 32..dirs + 36].copy_from_slice(&at.to_le_bytes());
    bytes[dirs + 36..dirs + 40].copy_from_slice(&length.to_le_bytes());
    fs::write(out, &bytes).unwrap();
    bytes
}

#[test]
fn authenticode_is_refused_or_dropped() {
    if !have_zig() || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dll = answer_dll(dir.path(), "x86_64-windows-gnu");
    let signed = dir.path().join("signed.dll");
    let signed_bytes = fake_signed(&dll, &signed);
    let cert_at = fs::metadata(&dll).unwrap().len().next_multiple_of(8);
    let (payload, expected) = write_payload(dir.path(), "p", 7000, 5);
    let out = dir.path().join("out.dll");
    let err = inject_plain(&signed, &payload, &out).unwrap_err();
    assert!(matches!(err, InjectError::Signed { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: PE security directory points to an Authenticode signature (24 bytes at {cert_at:#x}); adding a \
             payload changes the signed bytes, so the signature would no longer match; set \
             InjectOptions::drop_signature (jiscan inject --drop-signature) to remove it, and re-sign the result",
            signed.display()
        )
    );
    assert!(!out.exists());
    assert_eq!(fs::read(&signed).unwrap(), signed_bytes);

    let dropping = InjectOptions { drop_signature: true, ..InjectOptions::default() };
    inject(&signed, &payload, &out, dropping).unwrap();
    check_output(&out, &expected, true);
    let bytes = fs::read(&out).unwrap();
    assert!(!util::contains(&bytes, b"FAKE-SIGNATURE!!"), "certificate bytes dropped");
    let (optional, _) = pe_offsets(&bytes);
    assert_eq!(&bytes[optional + 112 + 32..optional + 112 + 40], &[0; 8], "security directory cleared");
    if have_wine() {
        assert_eq!(wine_call(dir.path(), &out, Some("pkgimg_answer")), "40");
    }
}

#[test]
fn replacing_reuses_the_section() {
    if !have_zig() || !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = util::tempdir();
    let dll = answer_dll(dir.path(), "x86_64-windows-gnu");
    let (first, first_bytes) = write_payload(dir.path(), "first", 100_000, 1);
    let (second, second_bytes) = write_payload(dir.path(), "second", 100_000, 2);
    let once = dir.path().join("once.dll");
    inject_plain(&dll, &first, &once).unwrap();
    let twice = dir.path().join("twice.dll");
    let err = inject_plain(&once, &second, &twice).unwrap_err();
    assert!(matches!(err, InjectError::AlreadyHasPayload { .. }), "{err}");
    assert!(!twice.exists());
    inject(&once, &second, &twice, options(true)).unwrap();
    check_output(&twice, &second_bytes, true);
    assert_eq!(fs::metadata(&once).unwrap().len(), fs::metadata(&twice).unwrap().len());
    assert!(!util::contains(&fs::read(&twice).unwrap(), &first_bytes[..64]));
    let sections = |p: &Path| goblin::pe::PE::parse(&fs::read(p).unwrap()).unwrap().sections.len();
    assert_eq!(sections(&once), sections(&twice));
    // Smaller, then larger.
    for (len, seed) in [(3, 3), (3_000_000, 4)] {
        let (p, expected) = write_payload(dir.path(), "next", len, seed);
        pkgimg::inject::inject_in_place(&twice, &p, options(true)).unwrap();
        check_output(&twice, &expected, true);
    }
    if have_wine() {
        assert_eq!(wine_call(dir.path(), &twice, Some("pkgimg_answer")), "40");
    }
}

#[test]
fn no_free_header_slot_is_refused() {
    if !have_zig() {
        return;
    }
    let dir = util::tempdir();
    let dll = answer_dll(dir.path(), "x86_64-windows-gnu");
    let bytes = fs::read(&dll).unwrap();
    let (optional, table) = pe_offsets(&bytes);
    let pe = read_u32(&bytes, 0x3c) as usize;
    let slot = table + 40 * u16::from_le_bytes([bytes[pe + 6], bytes[pe + 7]]) as usize;
    let (payload, _) = write_payload(dir.path(), "p", 10, 1);

    let mut used = bytes.clone();
    used[slot + 17] = 1;
    let path = dir.path().join("used.dll");
    fs::write(&path, &used).unwrap();
    let err = inject_plain(&path, &payload, &dir.path().join("out.dll")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: PE section table at {table:#x}: no room for one more section header at {slot:#x}: those 40 bytes \
             are not zero, so something else uses them; relink leaving room",
            path.display()
        )
    );

    let mut small = bytes.clone();
    small[optional + 60..optional + 64].copy_from_slice(&(slot as u32 + 20).to_le_bytes());
    let path = dir.path().join("small.dll");
    fs::write(&path, &small).unwrap();
    let err = inject_plain(&path, &payload, &dir.path().join("out.dll")).unwrap_err();
    assert!(
        err.to_string().ends_with(&format!("the headers end at {:#x} (SizeOfHeaders); relink leaving room", slot + 20)),
        "{err}"
    );
    let names = names_in(dir.path());
    assert!(!names.iter().any(|n| n.starts_with("out") || n.contains(".pkgimg-")), "{names:?}");
}

#[test]
fn coff_object_is_refused() {
    if !have_zig() {
        return;
    }
    let dir = util::tempdir();
    let obj = dir.path().join("answer.obj");
    zig_cc("x86_64-windows-gnu", &["-c", "-O1", fixture("answer.c").to_str().unwrap()], &obj);
    let (payload, _) = write_payload(dir.path(), "p", 10, 1);
    let err = inject_plain(&obj, &payload, &dir.path().join("out.obj")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead",
            obj.display()
        )
    );
}
