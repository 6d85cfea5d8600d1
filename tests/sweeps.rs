//! Malformed-input sweeps over every corpus file: truncation at every length,
//! and every byte set to 0x00, 0x7F, 0x80 and 0xFF in turn. The navigators
//! must never panic, and a payload they return must lie inside the input.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;

/// Every lookup the crate offers, with the invariants that hold on any input.
fn check(bytes: &[u8]) {
    let inside = |p: &pkgimg::Payload<'_>| {
        let start = p.offset() as usize;
        let end = start.checked_add(p.data().len()).expect("payload end overflows");
        assert!(end <= bytes.len(), "payload {start:#x}..{end:#x} outside a {}-byte input", bytes.len());
        assert_eq!(&bytes[start..end], p.data(), "data() is not the bytes at offset()");
        let c = p.container();
        assert!(c.offset.checked_add(c.size).is_some_and(|e| e <= bytes.len() as u64));
    };
    if let Ok(p) = pkgimg::find_ji_payload(bytes) {
        inside(&p);
        let _ = p.verify();
    }
    if let Ok(all) = pkgimg::payloads(bytes) {
        for (slice, payload) in all.flatten() {
            let r = slice.range();
            assert!(r.offset + r.size <= bytes.len() as u64);
            if let Ok(p) = payload {
                inside(&p);
                assert!(
                    p.offset() >= r.offset && p.offset() + p.size() <= r.offset + r.size,
                    "payload outside its slice"
                );
            }
        }
    }
    for name in [".text", "__TEXT,__text", ".jlji"] {
        if let Ok(pkgimg::Lookup { section: Some(r), .. }) = pkgimg::find_section(bytes, name) {
            assert!(r.offset.checked_add(r.size).is_some_and(|e| e <= bytes.len() as u64));
        }
    }
    // Every error renders.
    if let Err(e) = pkgimg::find_ji_payload(bytes) {
        assert!(!e.to_string().is_empty());
    }
}

fn corpus_files() -> Vec<(PathBuf, Vec<u8>)> {
    let files: Vec<_> = common::files_under(&common::corpus())
        .into_iter()
        .filter(|p| {
            !p.extension().is_some_and(|e| ["json", "md", "py", "c", "s", "S"].contains(&e.to_str().unwrap_or("")))
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    assert!(files.len() >= 20, "corpus missing: run python3 corpus/build.py");
    files
}

#[test]
fn truncation_at_every_length() {
    for (path, bytes) in corpus_files() {
        for len in 0..bytes.len() {
            let result = std::panic::catch_unwind(|| check(&bytes[..len]));
            assert!(result.is_ok(), "{} truncated to {len} bytes", path.display());
        }
    }
}

#[test]
fn every_byte_set_to_extremes() {
    for (path, bytes) in corpus_files() {
        let mut damaged = bytes.clone();
        // Headers are where the navigators look; payload bytes cannot change
        // a lookup, so they are sampled rather than swept.
        // ELF keeps its section headers at the end, so both ends are swept.
        let window = 64 * 1024;
        let swept = |at: usize| at < window || at + window >= bytes.len() || at % 61 == 0;
        for at in (0..bytes.len()).filter(|&at| swept(at)) {
            for value in [0x00u8, 0x7f, 0x80, 0xff] {
                damaged[at] = value;
                let result = std::panic::catch_unwind(|| check(&damaged));
                assert!(result.is_ok(), "{} with byte {at:#x} set to {value:#04x}", path.display());
            }
            damaged[at] = bytes[at];
        }
    }
}
