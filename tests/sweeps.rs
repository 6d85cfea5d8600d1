//! Malformed-input sweeps over every corpus file: truncation at every length,
//! and every byte set to 0x00, 0x7F, 0x80 and 0xFF in turn. The navigators
//! must never panic, and a payload they return must lie inside the input.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;

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
            let result = std::panic::catch_unwind(|| common::invariants(&bytes[..len]));
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
                let result = std::panic::catch_unwind(|| common::invariants(&damaged));
                assert!(result.is_ok(), "{} with byte {at:#x} set to {value:#04x}", path.display());
            }
            damaged[at] = bytes[at];
        }
    }
}
