//! What each system call that checking a cache makes beyond the floor costs
//! (BENCHMARKS.md §7). The floor is open + `pread` of 4 KiB + close on the
//! code cache and then the data library; each other variant adds one of the
//! calls `find_data_library` + a 64-byte payload read make, then all of
//! them, then the check itself. The variants run in turn, each a batch of
//! calls, for many rounds; the medians per call are printed.
//!
//! ```text
//! cargo bench --bench split      # makes target/tmp/bench-split/
//! taskset -c 1 cargo run --release --example split-syscalls -- \
//!     target/tmp/bench-split/libfoo_code.so target/tmp/bench-split/libfoo_data.so
//! ```
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fs::File;
use std::hint::black_box;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

const ROUNDS: usize = 101;
const BATCH: usize = 2000;

/// The floor's calls, plus those `extra` names: `lseek` on the data
/// library, the code cache read up to 16 KiB instead of 4, the 64-byte
/// payload read.
fn floor(code: &Path, data: &Path, extra: &[&str], buffer: &mut [u8]) {
    let file = File::open(code).unwrap();
    let first = if extra.contains(&"whole code cache") { 16 << 10 } else { 4096 };
    black_box(file.read_at(&mut buffer[..first], 0).unwrap());
    drop(file);
    let mut file = File::open(data).unwrap();
    if extra.contains(&"lseek") {
        black_box(file.seek(SeekFrom::End(0)).unwrap());
    }
    black_box(file.read_at(&mut buffer[..4096], 0).unwrap());
    if extra.contains(&"payload read") {
        black_box(file.read_at(&mut buffer[..64], 4096).unwrap());
    }
}

fn check(code: &Path) {
    let found = pkgimg::find_data_library(code).unwrap();
    let mut first = [0u8; 64];
    found.file().read_exact_at(&mut first, found.located().offset()).unwrap();
    black_box(first);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [code, data] = &args[..] else { panic!("usage: split-syscalls CODE_CACHE DATA_LIBRARY") };
    let (code, data) = (Path::new(code), Path::new(data));
    let mut buffer = vec![0u8; 16 << 10];
    let variants: Vec<(&str, Vec<&str>)> = vec![
        ("floor: open+pread 4 KiB+close ×2", vec![]),
        ("+ lseek on the data library", vec!["lseek"]),
        ("+ the code cache read whole (16 KiB asked)", vec!["whole code cache"]),
        ("+ the payload's 64 bytes", vec!["payload read"]),
        ("+ all three: the check's system calls", vec!["lseek", "whole code cache", "payload read"]),
        ("find_data_library + 64 payload bytes", vec!["check"]),
    ];
    let mut times = vec![Vec::with_capacity(ROUNDS); variants.len()];
    for _ in 0..ROUNDS {
        for ((_, extra), times) in variants.iter().zip(&mut times) {
            let start = Instant::now();
            for _ in 0..BATCH {
                if extra.contains(&"check") {
                    check(code);
                } else {
                    floor(code, data, extra, &mut buffer);
                }
            }
            times.push(start.elapsed().as_nanos() as f64 / BATCH as f64);
        }
    }
    let medians: Vec<f64> = times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[ROUNDS / 2]
        })
        .collect();
    println!("| variant | median | − floor | × floor |");
    println!("|---|---|---|---|");
    for ((label, _), m) in variants.iter().zip(&medians) {
        println!("| {label} | {:.2} µs | {:+.2} µs | {:.2}× |", m / 1e3, (m - medians[0]) / 1e3, m / medians[0]);
    }
}
