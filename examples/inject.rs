//! Adds a payload to a shared library with `pkgimg::inject`: the smallest
//! program around the library call, for `scripts/bench-inject.sh` to time
//! when `jiscan inject` is not built, and for `scripts/bench-scan.sh` to make
//! its inputs.
//!
//! ```text
//! cargo run --release --example inject -- LIBRARY PAYLOAD OUT [--replace]
//! ```
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let replace = args.iter().any(|a| a == "--replace");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--replace").collect();
    let [library, payload, out] = paths[..] else {
        eprintln!("usage: inject LIBRARY PAYLOAD OUT [--replace]");
        return ExitCode::from(2);
    };
    let options = pkgimg::InjectOptions { replace, ..Default::default() };
    match pkgimg::inject(Path::new(library), Path::new(payload), Path::new(out), options) {
        Ok(report) => {
            println!(
                "{}: {} payload, {} bytes at {:#x}, CRC-32C {:#010x}",
                report.output.display(),
                report.format,
                report.payload_size,
                report.payload_offset,
                report.payload_crc32c
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inject: {e}");
            ExitCode::from(1)
        }
    }
}
