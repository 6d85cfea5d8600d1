//! One lookup per file, from its path, as a process that starts cold would
//! do it: `MappedFile::open` (mmap + `MADV_RANDOM`, as `jiscan` does) +
//! `find_ji_payload`, then unmap. Prints, per file, the time of those calls
//! and what they cost this process: major page faults, file system inputs
//! (rusage) and bytes fetched from the block device (`/proc/self/io`
//! `read_bytes`). Drop the page cache first for a cold number
//! (`scripts/bench-placement.sh` does).
//!
//! ```text
//! cargo run --release --example cold-lookup -- [--plain] FILE...
//! ```
//!
//! `--plain` maps the file with `memmap2` and no advice instead, as a caller
//! that maps the file by other means would: each fault on a cold page then
//! starts the kernel's read-around (`read_ahead_kb` around the fault).
//!
//! Output, one tab-separated line per file:
//! `path  micros  major_faults  fs_input_bytes  read_bytes  payload_offset`.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Instant;

/// (major faults, file system inputs in bytes, read_bytes) of this process so far.
fn counters() -> (i64, i64, i64) {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let io = std::fs::read_to_string("/proc/self/io").unwrap();
    let read_bytes = io.lines().find_map(|l| l.strip_prefix("read_bytes: ")).unwrap().parse().unwrap();
    (usage.ru_majflt, usage.ru_inblock * 512, read_bytes)
}

/// Maps `path`, finds the payload, unmaps: the payload's offset.
fn lookup(path: &str, plain: bool) -> u64 {
    let found =
        |bytes: &[u8]| pkgimg::find_ji_payload(bytes).map(|p| p.offset()).unwrap_or_else(|e| panic!("{path}: {e}"));
    if plain {
        let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // SAFETY: the file is not modified while it is mapped (a benchmark input).
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap_or_else(|e| panic!("{path}: {e}"));
        found(&map)
    } else {
        found(&pkgimg::MappedFile::open(path).unwrap_or_else(|e| panic!("{path}: {e}")))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plain = args.iter().any(|a| a == "--plain");
    for path in args.iter().filter(|a| *a != "--plain") {
        let before = counters();
        let start = Instant::now();
        let offset = lookup(path, plain);
        let micros = start.elapsed().as_secs_f64() * 1e6;
        let after = counters();
        println!(
            "{path}\t{micros:.0}\t{}\t{}\t{}\t{offset:#x}",
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2
        );
    }
}
