//! pkgimg's Mach-O lookup against object's, on the same bytes.
//!
//! `macho-lookup check FILE...`: both find the same `__JULIA,__ji` range.
//! `macho-lookup bench [--rounds N] FILE...`: interleaved timing, one table row per file.
//! `macho-lookup count pkgimg|object FILE N`: N lookups (for callgrind: run
//! with N and 2N, the difference of the totals / N is one lookup's cost).
// A measuring tool: a failed assertion or a bad argument may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Instant;

use object::{Object, ObjectSection};

/// pkgimg's lookup: the payload's absolute offset. Never inlined, so that the
/// timed loop and callgrind see the same machine code.
#[inline(never)]
fn lookup_pkgimg(bytes: &[u8]) -> Option<u64> {
    pkgimg::find_ji_payload(bytes).ok().map(|p| p.offset())
}

/// object's way to the same container (as `benches/lookup.rs` does it):
/// parse, then find the section by segment and section name. A universal
/// file is split first (object's `File` does not parse one), taking the
/// host's slice as pkgimg does; offsets are absolute, like pkgimg's.
#[inline(never)]
fn lookup_object(bytes: &[u8]) -> Option<(u64, u64)> {
    use object::read::macho::{MachOFatFile32, MachOFatFile64};
    let (base, image) = match object::FileKind::parse(bytes).ok()? {
        object::FileKind::MachOFat32 => host_slice(MachOFatFile32::parse(bytes).ok()?.arches(), bytes)?,
        object::FileKind::MachOFat64 => host_slice(MachOFatFile64::parse(bytes).ok()?.arches(), bytes)?,
        _ => (0, bytes),
    };
    let file = object::File::parse(image).ok()?;
    let (offset, size) = file
        .sections()
        .find(|s| s.segment_name().ok().flatten() == Some("__JULIA") && s.name().ok() == Some("__ji"))
        .and_then(|s| s.file_range())?;
    Some((base.checked_add(offset)?, size))
}

/// The slice of a universal file for the CPU this runs on, and its offset.
fn host_slice<'a, A: object::read::macho::FatArch>(arches: &[A], bytes: &'a [u8]) -> Option<(u64, &'a [u8])> {
    let host = if cfg!(target_arch = "aarch64") { object::Architecture::Aarch64 } else { object::Architecture::X86_64 };
    let arch = arches.iter().find(|a| a.architecture() == host)?;
    Some((arch.offset().into(), arch.data(bytes).ok()?))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn label(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("count") => count(&args[1..]),
        _ => {
            eprintln!("usage: macho-lookup check FILE... | bench [--rounds N] FILE... | count pkgimg|object FILE N");
            std::process::exit(2);
        }
    }
}

/// Both readers find the container, at the same place: the container's
/// absolute range from object, the payload inside it from pkgimg.
fn check(files: &[String]) {
    for path in files {
        let bytes = read(path);
        let payload = pkgimg::find_ji_payload(&bytes).unwrap_or_else(|e| panic!("{path}: pkgimg: {e}"));
        let (offset, size) = lookup_object(&bytes).unwrap_or_else(|| panic!("{path}: object found no __JULIA,__ji"));
        let container = payload.container();
        assert_eq!((container.offset, container.size), (offset, size), "{path}: pkgimg and object disagree");
        assert_eq!(lookup_pkgimg(&bytes), Some(payload.offset()));
        println!("{}: __JULIA,__ji at {offset:#x}, {size} bytes; payload at {:#x}", label(path), payload.offset());
    }
}

/// Rounds of [`interleaved`]: odd, so the median is one of them.
const ROUNDS: usize = 501;

/// The readers measured round-robin, batch after batch, so that both see the
/// same machine (copied from pkgimg's `benches/inputs/mod.rs`): on a shared
/// machine the CPU's speed drifts over seconds, which timing one reader after
/// the other turns into noise in the ratios. Returns each reader's median
/// time per call, in nanoseconds.
fn interleaved(readers: &mut [&mut dyn FnMut()], rounds: usize) -> Vec<f64> {
    // Batches of about 200 µs, from a probe of 10 calls after a first one.
    let batches: Vec<u32> = readers
        .iter_mut()
        .map(|reader| {
            reader();
            let start = Instant::now();
            (0..10).for_each(|_| reader());
            let per_call = (start.elapsed().as_nanos() / 10).max(1);
            u32::try_from(200_000 / per_call).unwrap_or(u32::MAX).clamp(1, 100_000)
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); readers.len()];
    for _ in 0..rounds {
        for ((reader, &batch), times) in readers.iter_mut().zip(&batches).zip(&mut times) {
            let start = Instant::now();
            (0..batch).for_each(|_| reader());
            times.push(start.elapsed().as_nanos() as f64 / f64::from(batch));
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

fn bench(args: &[String]) {
    let (rounds, files) = match args {
        [flag, n, files @ ..] if flag == "--rounds" => (n.parse().expect("--rounds N"), files),
        files => (ROUNDS, files),
    };
    println!("| input | pkgimg | object | pkgimg / object |");
    println!("|---|---|---|---|");
    for path in files {
        let bytes = read(path);
        let mut p = || {
            black_box(lookup_pkgimg(black_box(&bytes)));
        };
        let mut o = || {
            black_box(lookup_object(black_box(&bytes)));
        };
        let t = interleaved(&mut [&mut p, &mut o], rounds);
        println!("| {} | {:.1} ns | {:.1} ns | **{:.3}×** |", label(path), t[0], t[1], t[0] / t[1]);
    }
}

fn count(args: &[String]) {
    let [reader, path, n] = args else { panic!("count pkgimg|object FILE N") };
    let (bytes, n): (Vec<u8>, u32) = (read(path), n.parse().expect("N"));
    let found = match reader.as_str() {
        "pkgimg" => (0..n).filter(|_| lookup_pkgimg(black_box(&bytes)).is_some()).count(),
        "object" => (0..n).filter(|_| lookup_object(black_box(&bytes)).is_some()).count(),
        other => panic!("unknown reader {other}"),
    };
    assert_eq!(found, n as usize, "{path}: {reader} failed");
}
