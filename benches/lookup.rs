//! Lookup cost, side by side with the peers on the same bytes in the same run:
//! `pkgimg::find_ji_payload` against `object::File::parse` + a section lookup,
//! and against `goblin::Object::parse`, on each corpus format and on a large
//! library (the Rust toolchain's librustc_driver with a `.jlji` section added
//! by `llvm-objcopy --add-section`).
//!
//! Run: `cargo bench --bench lookup`. Ratios, not absolute times, are what
//! BENCHMARKS.md reports.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use object::{Object, ObjectSection};

fn corpus_file(name: &str) -> Option<Vec<u8>> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name)).ok()
}

/// librustc_driver-*.so with a small payload added, made once and cached.
fn large_library() -> Option<Vec<u8>> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs/librustc_driver-jlji.so");
    if !out.exists() {
        let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
        let lib = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim()).join("lib");
        let driver = std::fs::read_dir(lib)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("librustc_driver")))?;
        std::fs::create_dir_all(out.parent()?).ok()?;
        let payload = vec![0x5au8; 4096];
        let mut frame = pkgimg::Frame::new(64, payload.len() as u64, pkgimg::crc::crc32c(&payload)).to_bytes().to_vec();
        frame.extend_from_slice(&payload);
        let container = out.with_extension("bin");
        std::fs::write(&container, frame).ok()?;
        let status = Command::new("llvm-objcopy")
            .arg(format!("--add-section=.jlji={}", container.display()))
            .arg(&driver)
            .arg(&out)
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    std::fs::read(out).ok()
}

fn object_lookup(bytes: &[u8], name: &str) -> Option<(u64, u64)> {
    let file = object::File::parse(bytes).ok()?;
    if let Some((segment, section)) = name.split_once(',') {
        file.sections()
            .find(|s| s.segment_name().ok().flatten() == Some(segment) && s.name().ok() == Some(section))
            .and_then(|s| s.file_range())
    } else {
        file.section_by_name(name).and_then(|s| s.file_range())
    }
}

fn bench_file(c: &mut Criterion, label: &str, bytes: &[u8], with_goblin: bool) {
    let lookup = pkgimg::find_section(bytes, ".jlji").or_else(|_| pkgimg::find_section(bytes, "__JULIA,__ji"));
    let Ok(lookup) = lookup else { return };
    let name = pkgimg::container_name(lookup.image.format);
    assert!(pkgimg::find_ji_payload(bytes).is_ok(), "{label}: no payload");
    assert_eq!(
        object_lookup(bytes, name).map(|(o, _)| o),
        lookup.section.map(|r| r.offset),
        "{label}: object disagrees"
    );
    let mut group = c.benchmark_group(label);
    group.bench_function("pkgimg", |b| b.iter(|| pkgimg::find_ji_payload(black_box(bytes)).map(|p| p.offset())));
    group.bench_function("object", |b| b.iter(|| object_lookup(black_box(bytes), name)));
    if with_goblin {
        group.sample_size(10);
        group.bench_function("goblin", |b| b.iter(|| goblin::Object::parse(black_box(bytes)).is_ok()));
    }
    group.finish();
}

fn lookup(c: &mut Criterion) {
    for name in [
        "elf/x86_64-linux-musl.so",
        "elf/powerpc64-linux-musl.so",
        "macho/aarch64-macos.dylib",
        "macho/universal.dylib",
        "pe/x86_64-windows-gnu.dll",
        "obj/x86_64-linux.o",
    ] {
        if let Some(bytes) = corpus_file(name) {
            bench_file(c, name, &bytes, true);
        }
    }
    match large_library() {
        Some(bytes) => bench_file(c, "librustc_driver (large)", &bytes, true),
        None => eprintln!("librustc_driver or llvm-objcopy not found: large-library lookup not measured"),
    }
}

criterion_group!(benches, lookup);
criterion_main!(benches);
