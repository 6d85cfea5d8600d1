//! Lookup time against file size (1 MiB to 4 GiB, sparse files) and against
//! section count (10 to 100,000, through the ELF section-count extension),
//! for pkgimg, object and goblin on the same mapped bytes.
//!
//! Run: `cargo bench --bench scaling`; `scripts/plot-scaling.py` draws
//! target/criterion's estimates as BENCHMARKS-scaling.png.

use std::fs::File;
use std::hint::black_box;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
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
            b.iter(|| pkgimg::find_ji_payload(black_box(bytes)).map(|p| p.offset()))
        });
        group.bench_with_input(BenchmarkId::new("object", mib), &bytes[..], |b, bytes| {
            b.iter(|| object_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("goblin", mib), &bytes[..], |b, bytes| {
            b.iter(|| goblin::Object::parse(black_box(bytes)).is_ok())
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
            b.iter(|| pkgimg::find_ji_payload(black_box(bytes)).map(|p| p.offset()))
        });
        group.bench_with_input(BenchmarkId::new("object", count), &bytes[..], |b, bytes| {
            b.iter(|| object_lookup(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("goblin", count), &bytes[..], |b, bytes| {
            b.iter(|| goblin::Object::parse(black_box(bytes)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, by_file_size, by_section_count);
criterion_main!(benches);
