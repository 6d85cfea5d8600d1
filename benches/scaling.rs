//! Lookup time against file size (1 MiB to 4 GiB, sparse files) and against
//! section count (10 to 100,000, through the ELF section-count extension),
//! for pkgimg, object and goblin on the same mapped bytes: criterion groups,
//! then the same inputs measured round-robin (see `interleaved`), printed as
//! Markdown tables and saved for the chart.
//!
//! Run: `cargo bench --bench scaling`; `scripts/plot-scaling.py` draws
//! target/criterion's estimates as docs/scaling.png (see BENCHMARKS.md).
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::hint::black_box;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, BenchmarkId, Criterion};
use object::{Object, ObjectSection};

const PAYLOAD: &[u8] = &[0xa5; 4096];

/// A 64-bit little-endian ELF relocatable file of `size` bytes (sparse) with
/// `count` sections: the null section, `count - 2` empty `.s` sections, then
/// `.jlji` whose frame and payload sit in the last 8 KiB of the file. Headers
/// come first, so the file's size lies in the hole between them and the data.
/// Written from the gABI here, not with the crate's writers.
fn sparse_elf(size: u64, count: u64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("pkgimg-scaling-{size}-{count}.so"));
    if path.exists() {
        return path;
    }
    let names = b"\0.s\0.jlji\0.shstrtab\0";
    let shoff = 64u64;
    let names_at = shoff + 64 * count;
    let container_at = size - 8192;
    let mut out = Vec::new();
    let mut ident = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    ident.resize(16, 0);
    out.extend_from_slice(&ident);
    out.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
    out.extend_from_slice(&62u16.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&shoff.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for v in [64u16, 0, 0, 64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // Section count and name-table index through section 0 when they overflow 16 bits.
    let extended = count >= 0xff00;
    out.extend_from_slice(&(if extended { 0 } else { count as u16 }).to_le_bytes());
    out.extend_from_slice(&(if extended { 0xffff } else { (count - 1) as u16 }).to_le_bytes());
    let header = |name: u32, sh_type: u32, offset: u64, size: u64, link: u32| {
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(&name.to_le_bytes());
        h.extend_from_slice(&sh_type.to_le_bytes());
        h.extend_from_slice(&[0; 16]);
        h.extend_from_slice(&offset.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&link.to_le_bytes());
        h.extend_from_slice(&[0; 20]);
        h
    };
    let container_len = 64 + PAYLOAD.len() as u64;
    out.extend(header(0, 0, 0, if extended { count } else { 0 }, if extended { (count - 1) as u32 } else { 0 }));
    for _ in 0..count - 3 {
        out.extend(header(1, 1, names_at, 0, 0));
    }
    out.extend(header(4, 1, container_at, container_len, 0));
    out.extend(header(10, 3, names_at, names.len() as u64, 0));
    out.extend_from_slice(names);
    let mut file = File::create(&path).unwrap();
    file.write_all(&out).unwrap();
    file.seek(SeekFrom::Start(container_at)).unwrap();
    let crc = pkgimg::crc::software(PAYLOAD);
    file.write_all(&pkgimg::Frame::new(64, PAYLOAD.len() as u64, crc).to_bytes()).unwrap();
    file.write_all(PAYLOAD).unwrap();
    file.set_len(size).unwrap();
    path
}

fn map(path: &PathBuf) -> memmap2::Mmap {
    let file = File::open(path).unwrap();
    // SAFETY: benchmark inputs are private temporary files nobody else writes.
    unsafe { memmap2::Mmap::map(&file).unwrap() }
}

// Each reader sits behind one non-inlined function, called from criterion and
// from the interleaved check alike, so both time the same machine code.
#[inline(never)]
fn pkgimg_lookup(bytes: &[u8]) -> Option<u64> {
    pkgimg::find_ji_payload(bytes).ok().map(|p| p.offset())
}

#[inline(never)]
fn goblin_parse(bytes: &[u8]) -> bool {
    goblin::Object::parse(bytes).is_ok()
}

#[inline(never)]
fn object_lookup(bytes: &[u8]) -> Option<(u64, u64)> {
    object::File::parse(bytes).ok()?.section_by_name(".jlji")?.file_range()
}

fn by_file_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("file size");
    for mib in [1u64, 16, 256, 1024, 4096] {
        let path = sparse_elf(mib << 20, 10);
        let bytes = map(&path);
        assert_eq!(pkgimg::find_ji_payload(&bytes).unwrap().data(), PAYLOAD);
        assert!(object_lookup(&bytes).is_some());
        group.bench_with_input(BenchmarkId::new("pkgimg", mib), &bytes[..], |b, bytes| {
            b.iter(|| pkgimg_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("object", mib), &bytes[..], |b, bytes| {
            b.iter(|| object_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("goblin", mib), &bytes[..], |b, bytes| {
            b.iter(|| goblin_parse(black_box(bytes)))
        });
    }
    group.finish();
}

fn by_section_count(c: &mut Criterion) {
    let mut group = c.benchmark_group("section count");
    group.sample_size(20);
    for count in [10u64, 100, 1_000, 10_000, 100_000] {
        let path = sparse_elf(64 << 20, count);
        let bytes = map(&path);
        assert_eq!(pkgimg::find_ji_payload(&bytes).unwrap().data(), PAYLOAD);
        group.bench_with_input(BenchmarkId::new("pkgimg", count), &bytes[..], |b, bytes| {
            b.iter(|| pkgimg_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("object", count), &bytes[..], |b, bytes| {
            b.iter(|| object_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("goblin", count), &bytes[..], |b, bytes| {
            b.iter(|| goblin_parse(black_box(bytes)))
        });
    }
    group.finish();
}

/// Rounds of [`interleaved`].
const ROUNDS: usize = 201;

/// Both groups again, measured round-robin: on a shared machine the speed of
/// the CPU drifts over seconds (other jobs), which criterion's
/// one-benchmark-after-another order turns into differences between inputs
/// and readers. Here each round runs a ~100 µs batch of every (input, reader)
/// pair, so all see the same conditions. The medians are printed as a
/// Markdown table (with each input's ratio to the first and, for the peers,
/// to pkgimg) and returned for target/bench-results/scaling-interleaved.json,
/// which scripts/plot-scaling.py draws.
fn interleaved(group: &str, params: &[u64], unit: &str, paths: &[PathBuf]) -> serde_json::Value {
    type Reader = fn(&[u8]) -> bool;
    let readers: [(&str, Reader); 3] = [
        ("pkgimg", |b| pkgimg_lookup(b).is_some()),
        ("object", |b| object_lookup(b).is_some()),
        ("goblin", goblin_parse),
    ];
    let maps: Vec<memmap2::Mmap> = paths.iter().map(map).collect();
    let batch = |reader: Reader, bytes: &[u8]| -> u32 {
        reader(bytes);
        let start = Instant::now();
        (0..10).for_each(|_| {
            black_box(reader(black_box(bytes)));
        });
        let per_call = (start.elapsed().as_nanos() / 10).max(1);
        u32::try_from(100_000 / per_call).unwrap_or(u32::MAX).clamp(1, 100_000)
    };
    let batches: Vec<Vec<u32>> =
        readers.iter().map(|(_, reader)| maps.iter().map(|m| batch(*reader, m)).collect()).collect();
    let mut times = vec![vec![Vec::with_capacity(ROUNDS); maps.len()]; readers.len()];
    for _ in 0..ROUNDS {
        for (m, map) in maps.iter().enumerate() {
            for (r, (_, reader)) in readers.iter().enumerate() {
                let n = batches[r][m];
                let start = Instant::now();
                (0..n).for_each(|_| {
                    black_box(reader(black_box(&map[..])));
                });
                times[r][m].push(start.elapsed().as_nanos() as f64 / f64::from(n));
            }
        }
    }
    let medians: Vec<Vec<f64>> = times
        .into_iter()
        .map(|per_input| {
            per_input
                .into_iter()
                .map(|mut t| {
                    t.sort_by(f64::total_cmp);
                    t[ROUNDS / 2]
                })
                .collect()
        })
        .collect();
    println!("\n{group}, interleaved ({ROUNDS} rounds; median per lookup; x first {unit}; [x pkgimg])\n");
    let header: Vec<String> = params.iter().map(|p| format!("{p} {unit}")).collect();
    println!("| reader | {} |\n|---|{}", header.join(" | "), "---|".repeat(params.len()));
    for ((name, _), row) in readers.iter().zip(&medians) {
        let cells: Vec<String> = row
            .iter()
            .zip(&medians[0])
            .map(|(t, base)| {
                let vs = if *name == "pkgimg" { String::new() } else { format!(" [{:.2}x]", t / base) };
                format!("{:.0} ns ({:.2}x){vs}", t, t / row[0])
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    let by_reader = readers.iter().zip(medians).map(|((name, _), row)| (name.to_string(), serde_json::json!(row)));
    serde_json::json!({ "params": params, "unit": unit, "rounds": ROUNDS,
                        "median_ns": serde_json::Map::from_iter(by_reader) })
}

criterion_group!(benches, by_file_size, by_section_count);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // A few seconds, run whatever criterion filter was given.
    let sizes = [1u64, 16, 256, 1024, 4096];
    let counts = [10u64, 100, 1_000, 10_000, 100_000];
    let size_paths: Vec<PathBuf> = sizes.iter().map(|mib| sparse_elf(mib << 20, 10)).collect();
    let count_paths: Vec<PathBuf> = counts.iter().map(|&count| sparse_elf(64 << 20, count)).collect();
    let json = serde_json::json!({
        "file size": interleaved("file size", &sizes, "MiB", &size_paths),
        "section count": interleaved("section count", &counts, "sections", &count_paths),
    });
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-results/scaling-interleaved.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&json).unwrap()).unwrap();
}
