//! Lookup cost, side by side with the peers in the same run.
//!
//! Group `lookup <file>`: on bytes already in memory, `pkgimg::find_ji_payload`
//! against `object::File::parse` + a section lookup and against
//! `goblin::Object::parse` (a full parse, as goblin has no lighter entry
//! point), on each corpus format and on two large libraries (librustc_driver
//! and libLLVM-15, each with a payload added by `pkgimg::inject`). After the
//! criterion groups, the same readers on the same inputs are also measured
//! round-robin (see `interleaved`) and printed as a Markdown table.
//!
//! Group `from path <file>`: starting from a path on disk, as a loader would:
//! open + mmap + locate + munmap (pkgimg) against dlopen + dlsym + dlclose.
//! dlopen is measured in this process for the small corpus libraries (which
//! `dlclose` really unloads, checked below), and in a fresh process for every
//! library: libLLVM-15 is `NODELETE` (a second `dlopen` in one process would
//! only bump a count) and librustc_driver needs more static TLS than glibc
//! keeps for `dlopen` by default (so the child gets `GLIBC_TUNABLES`). The
//! fresh process is this bench binary re-executed with `PKGIMG_BENCH_DLOPEN`
//! set; it times only dlopen + dlsym + dlclose and prints the nanoseconds.
//! "floor" rows time what any reader pays before reading a byte (open+close,
//! open+mmap+munmap) and what a reader without mmap would (open, one `pread`
//! per header range pkgimg reads, close).
//!
//! Run: `cargo bench --bench lookup`. BENCHMARKS.md reports ratios from one
//! run (`scripts/criterion-table.py`), not absolute times.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::ffi::{CStr, CString};
use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use object::{Object, ObjectSection};

mod inputs;

use inputs::{interleaved, ns, ROUNDS};

/// Set in the re-executed child: `PATH\nSYMBOL`.
const CHILD_ENV: &str = "PKGIMG_BENCH_DLOPEN";
/// librustc_driver's TLS segment is 23 KiB; glibc's default surplus for
/// `dlopen` is 512 bytes ("cannot allocate memory in static TLS block").
const TUNABLES: &str = "glibc.rtld.optional_static_tls=65536";

/// pkgimg's lookup. Each reader sits behind one non-inlined function, called
/// from criterion and from the interleaved rounds alike, so both time the
/// same machine code.
#[inline(never)]
fn pkgimg_lookup(bytes: &[u8]) -> Option<u64> {
    pkgimg::find_ji_payload(bytes).ok().map(|p| p.offset())
}

/// object's way to the same container: parse, then find the section by name.
/// A universal Mach-O is split first (object's `File` does not parse one),
/// taking the host's slice as pkgimg does; offsets are absolute, like pkgimg's.
#[inline(never)]
fn object_lookup(bytes: &[u8], name: &str) -> Option<(u64, u64)> {
    use object::read::macho::{MachOFatFile32, MachOFatFile64};
    let (base, image) = match object::FileKind::parse(bytes).ok()? {
        object::FileKind::MachOFat32 => host_slice(MachOFatFile32::parse(bytes).ok()?.arches(), bytes)?,
        object::FileKind::MachOFat64 => host_slice(MachOFatFile64::parse(bytes).ok()?.arches(), bytes)?,
        _ => (0, bytes),
    };
    let file = object::File::parse(image).ok()?;
    let (offset, size) = if let Some((segment, section)) = name.split_once(',') {
        file.sections()
            .find(|s| s.segment_name().ok().flatten() == Some(segment) && s.name().ok() == Some(section))
            .and_then(|s| s.file_range())?
    } else {
        file.section_by_name(name).and_then(|s| s.file_range())?
    };
    Some((base.checked_add(offset)?, size))
}

/// The slice of a universal file for the CPU this runs on, and its offset.
fn host_slice<'a, A: object::read::macho::FatArch>(arches: &[A], bytes: &'a [u8]) -> Option<(u64, &'a [u8])> {
    let host = if cfg!(target_arch = "aarch64") { object::Architecture::Aarch64 } else { object::Architecture::X86_64 };
    let arch = arches.iter().find(|a| a.architecture() == host)?;
    Some((arch.offset().into(), arch.data(bytes).ok()?))
}

/// goblin's full parse; for a universal file, of the host's slice too (its
/// `Object::parse` alone reads only the fat header).
#[inline(never)]
fn goblin_parse(bytes: &[u8]) -> bool {
    use goblin::mach::{cputype, Mach};
    let host = if cfg!(target_arch = "aarch64") { cputype::CPU_TYPE_ARM64 } else { cputype::CPU_TYPE_X86_64 };
    match goblin::Object::parse(bytes) {
        Ok(goblin::Object::Mach(Mach::Fat(fat))) => {
            fat.find(|arch| arch.is_ok_and(|a| a.cputype == host)).is_some_and(|slice| slice.is_ok())
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

/// In-memory lookup: pkgimg, object, goblin on the same bytes. Also returns a
/// Markdown row of the interleaved medians and ratios.
fn bench_bytes(c: &mut Criterion, label: &str, bytes: &[u8], large: bool) -> Option<String> {
    let lookup = pkgimg::find_section(bytes, ".jlji").or_else(|_| pkgimg::find_section(bytes, "__JULIA,__ji"));
    let Ok(lookup) = lookup else {
        eprintln!("{label}: not readable by pkgimg, skipped");
        return None;
    };
    let name = pkgimg::container_name(lookup.image.format);
    assert!(pkgimg::find_ji_payload(bytes).is_ok(), "{label}: no payload");
    // The peers must find the same container, or the comparison is meaningless.
    assert_eq!(
        object_lookup(bytes, name).map(|(o, _)| o),
        lookup.section.map(|r| r.offset),
        "{label}: object disagrees"
    );
    assert!(goblin_parse(bytes), "{label}: goblin cannot parse it");
    let mut group = c.benchmark_group(format!("lookup {label}"));
    group.bench_function("pkgimg", |b| b.iter(|| pkgimg_lookup(black_box(bytes))));
    group.bench_function("object", |b| b.iter(|| object_lookup(black_box(bytes), name)));
    if large {
        // A full parse of a 100+ MB library takes milliseconds.
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
    }
    group.bench_function("goblin", |b| b.iter(|| goblin_parse(black_box(bytes))));
    group.finish();

    let t = interleaved(&mut [
        &mut || {
            black_box(pkgimg_lookup(black_box(bytes)));
        },
        &mut || {
            black_box(object_lookup(black_box(bytes), name));
        },
        &mut || {
            black_box(goblin_parse(black_box(bytes)));
        },
    ]);
    let ratio = |x: f64| if x >= 100.0 { format!("{x:.0}") } else { format!("{x:.2}") };
    Some(format!(
        "| {label} | {} | {} (**{}×**) | {} (**{}×**) |",
        ns(t[0]),
        ns(t[1]),
        ratio(t[1] / t[0]),
        ns(t[2]),
        ratio(t[2] / t[0])
    ))
}

/// The kernel's share of [`pkgimg_from_path`]: the same calls without the lookup.
fn open_map_unmap(path: &Path) -> Option<usize> {
    let file = File::open(path).ok()?;
    // SAFETY: as in pkgimg_from_path.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    Some(map.len())
}

/// The ranges a reader without mmap would `pread` from an ELF64 little-endian
/// file to find the container: the ELF header, the section header table, the
/// section name table and the frame (offsets from the file's own headers).
fn elf_reads(bytes: &[u8]) -> Option<Vec<(u64, usize)>> {
    let field = |at: usize, len: usize| -> Option<u64> {
        let mut word = [0u8; 8];
        word.get_mut(..len)?.copy_from_slice(bytes.get(at..at + len)?);
        Some(u64::from_le_bytes(word))
    };
    let (shoff, entsize, count, names) = (field(0x28, 8)?, field(0x3a, 2)?, field(0x3c, 2)?, field(0x3e, 2)?);
    let names_header = usize::try_from(shoff + names * entsize).ok()?;
    let names_table = (field(names_header + 24, 8)?, usize::try_from(field(names_header + 32, 8)?).ok()?);
    let container = pkgimg::find_section(bytes, ".jlji").ok()?.section?.offset;
    Some(vec![(0, 64), (shoff, usize::try_from(entsize * count).ok()?), names_table, (container, 64)])
}

/// open + one pread per range + close: the floor of a reader that does not map.
fn pread_floor(path: &Path, reads: &[(u64, usize)], buffer: &mut [u8]) -> Option<u8> {
    use std::os::unix::fs::FileExt;
    let file = File::open(path).ok()?;
    let mut sum = 0u8;
    for &(offset, len) in reads {
        let part = buffer.get_mut(..len)?;
        file.read_exact_at(part, offset).ok()?;
        sum = sum.wrapping_add(part.first().copied().unwrap_or(0));
    }
    Some(sum)
}

/// open + mmap + locate + munmap + close.
fn pkgimg_from_path(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    // SAFETY: see inputs::map; the mapping is dropped (munmap) before returning.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    pkgimg::find_ji_payload(&map).ok().map(|p| p.offset())
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn dlerror() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the next dl* call.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            "no dlerror".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

/// dlopen (RTLD_LAZY | RTLD_LOCAL) + dlsym + dlclose: what finding data in a
/// library costs when the loader is the reader.
fn dl_cycle(path: &CStr, symbol: &CStr) -> Result<(), String> {
    // SAFETY: dlopen/dlsym/dlclose are the only interface to the dynamic
    // loader. The libraries benchmarked are the corpus's (no constructors) and
    // LLVM/rustc's, whose constructors only register options; no symbol is called.
    unsafe {
        let handle = libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if handle.is_null() {
            return Err(dlerror());
        }
        let found = libc::dlsym(handle, symbol.as_ptr());
        let missing = found.is_null().then(dlerror);
        libc::dlclose(handle);
        missing.map_or(Ok(()), Err)
    }
}

/// In the re-executed child: one timed dl_cycle, printed as `ok NANOS` or `err MESSAGE`.
fn child(spec: &str) {
    let (path, symbol) = spec.split_once('\n').expect("PATH\\nSYMBOL");
    let (path, symbol) = (CString::new(path).unwrap(), CString::new(symbol).unwrap());
    let start = Instant::now();
    let result = dl_cycle(&path, &symbol);
    let elapsed = start.elapsed();
    let mut out = std::io::stdout();
    match result {
        Ok(()) => writeln!(out, "ok {}", elapsed.as_nanos()).unwrap(),
        Err(e) => writeln!(out, "err {e}").unwrap(),
    }
}

/// One dl_cycle in a fresh process; the time the child measured around it.
fn fresh_process_cycle(path: &Path, symbol: &str) -> Result<Duration, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .env(CHILD_ENV, format!("{}\n{symbol}", path.display()))
        .env("GLIBC_TUNABLES", TUNABLES)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim().split_once(' ') {
        Some(("ok", nanos)) => nanos.parse().map(Duration::from_nanos).map_err(|e| e.to_string()),
        Some(("err", message)) => Err(message.to_string()),
        _ => Err(format!("child said {text:?}, stderr {:?}", String::from_utf8_lossy(&out.stderr))),
    }
}

/// From a path: pkgimg against the dlopen path, in process and in a fresh process.
fn bench_path(c: &mut Criterion, label: &str, path: &Path, symbol: &str) {
    assert!(pkgimg_from_path(path).is_some(), "{label}: no payload");
    let (cpath, csymbol) = (cstring(path), CString::new(symbol).unwrap());
    if let Err(e) = fresh_process_cycle(path, symbol) {
        eprintln!("{label}: dlopen in a child fails ({e}); dlopen not measured");
        return;
    }
    let mut group = c.benchmark_group(format!("from path {label}"));
    group.bench_function("pkgimg open+mmap+find+munmap", |b| b.iter(|| pkgimg_from_path(black_box(path))));
    // Floors: what any reader that opens the file pays, before it reads a byte.
    group.bench_function("floor open+close", |b| b.iter(|| File::open(black_box(path)).is_ok()));
    group.bench_function("floor open+mmap+munmap", |b| b.iter(|| open_map_unmap(black_box(path))));
    // What a pread-based reader would pay: the same header bytes, no mapping.
    let reads = elf_reads(&inputs::map(path)).expect("an ELF64 little-endian file");
    let mut buffer = vec![0u8; reads.iter().map(|r| r.1).max().unwrap_or(0)];
    group.bench_function("floor open+4 preads+close", |b| b.iter(|| pread_floor(black_box(path), &reads, &mut buffer)));
    match dl_cycle(&cpath, &csymbol) {
        Ok(()) if !inputs::loaded(&cpath) => {
            group.bench_function("dlopen+dlsym+dlclose", |b| b.iter(|| dl_cycle(black_box(&cpath), &csymbol)));
        }
        Ok(()) => eprintln!("{label}: dlclose does not unload it (NODELETE): dlopen measured in fresh processes only"),
        Err(e) => eprintln!("{label}: dlopen in this process fails ({e}): measured in fresh processes only"),
    }
    // Criterion sizes runs by the time reported (the child's dlopen alone), but
    // each iteration also pays a fork + exec: budget about 300 processes.
    let probe = (0..3).map(|_| fresh_process_cycle(path, symbol).unwrap()).min().unwrap();
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(probe * 20).measurement_time(probe * 300);
    group.bench_function("dlopen+dlsym+dlclose fresh process", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| fresh_process_cycle(path, symbol).unwrap()).sum::<Duration>())
    });
    group.finish();
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    let mut c = Criterion::default().warm_up_time(Duration::from_secs(1)).configure_from_args();
    let mut rows = Vec::new();
    for name in [
        "elf/x86_64-linux-musl.so",
        "elf/x86_64-gnu-ld.so",
        "elf/powerpc64-linux-musl.so",
        "macho/aarch64-macos.dylib",
        "macho/universal.dylib",
        "pe/x86_64-windows-gnu.dll",
        "obj/x86_64-linux.o",
        "obj/x86_64-windows.obj",
    ] {
        match inputs::corpus(name) {
            Some(path) => rows.extend(bench_bytes(&mut c, name, &inputs::map(&path), false)),
            None => eprintln!("corpus/{name} missing: not measured"),
        }
    }
    let large = inputs::large_libraries();
    for lib in &large {
        rows.extend(bench_bytes(&mut c, lib.label, &inputs::map(&lib.injected), true));
    }
    for name in ["elf/x86_64-linux-musl.so", "elf/x86_64-gnu-ld.so"] {
        if let Some(path) = inputs::corpus(name) {
            bench_path(&mut c, name, &path, "pkgimg_answer");
        }
    }
    for lib in &large {
        bench_path(&mut c, lib.label, &lib.injected, lib.symbol);
    }
    c.final_summary();
    println!("\nlookup, interleaved ({ROUNDS} rounds of ~200 µs batches per reader; median per call, × pkgimg)\n");
    println!("| input | pkgimg | object | goblin |\n|---|---|---|---|");
    rows.iter().for_each(|row| println!("{row}"));
}
