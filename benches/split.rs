//! Split images (BENCHMARKS.md §7): checking a code cache, and the disk that
//! one shared data library saves.
//!
//! Inputs (made once into `target/tmp/bench-split/`): a 100 MiB payload, the
//! data library `jiscan emit --shared` writes from it, and a code cache
//! linked against it by gcc (`-O2`, `-Wl,-rpath,$ORIGIN`, the C source of
//! tests/split.rs). Three ways to check a cache, measured round-robin in
//! batches of ~200 µs (`ROUNDS` rounds, medians per call), so that all of them
//! see the same machine:
//!
//! - (a) `pkgimg::find_data_library(code)` + the payload's first 64 bytes read;
//! - (b) `dlopen(code, RTLD_NOW | RTLD_LOCAL)` + `dlclose` (which loads and
//!   unloads the data library too), in this process when `dlclose` really
//!   unloads both (checked with `RTLD_NOLOAD`), and once per round in a fresh
//!   process (this binary re-executed; the child times only the two calls);
//! - (c) the floor: open + `pread` of 4 KiB + close of both files, by the C
//!   program `scripts/floor-open-pread.c` (compiled here with gcc, driven
//!   through a pipe), and the same system calls from Rust as a cross-check.
//!
//! Two more floors explain (a)'s cost: open + mmap + munmap of both files,
//! and the same with one page of each mapping touched.
//!
//! Then the disk table: N code caches sharing the data library against N
//! libraries that each embed the payload (`jiscan inject` into a plain gcc
//! library), `du -B1 --apparent-size` and `du -B1`, for N = 2, 4, 8.
//!
//! Run: `cargo bench --bench split` (a few seconds once the inputs exist;
//! needs gcc and du). Under `cargo test --benches` it does nothing.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::ffi::CString;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PKGIMG_BENCH_SPLIT_DLOPEN";
const PAYLOAD_SIZE: usize = 100 << 20;
const ROUNDS: usize = 201;
const BATCH: Duration = Duration::from_micros(200);

/// tests/split.rs's code cache: it references the data record, so the
/// linker keeps the dependency under `--as-needed`.
const CODE: &str = include_str!("../tests/fixtures/split/code.c");

/// What makes the large code cache large: 5 MiB of read-only data between
/// the headers and the dynamic table, as a package's compiled code would be.
const BIG: &str =
    "const unsigned char big_table[5 << 20] = {1};\nconst unsigned char *big_ref(void) { return big_table; }\n";

/// A library with no data dependency, for the embedded-payload side.
const PLAIN: &str = "#include <stdint.h>\nuint64_t code_payload_size(void) { return 0; }\n";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// The helpers the other benches share (`benches/inputs/`).
#[path = "inputs/mod.rs"]
mod shared;

struct Inputs {
    dir: PathBuf,
    payload: PathBuf,
    data: PathBuf,
    code: PathBuf,
    /// The same code with a 5 MiB table: a code cache of a real package's
    /// size, whose `PT_DYNAMIC` lies 5 MiB into the file.
    big: PathBuf,
    floor: PathBuf,
}

/// Makes the inputs once (the payload, data library and code cache are kept
/// between runs; the floor program is rebuilt from its source every run).
fn inputs() -> Inputs {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-split");
    std::fs::create_dir_all(&dir).unwrap();
    let payload = dir.join("payload.ji");
    if std::fs::metadata(&payload).map(|m| m.len()).ok() != Some(PAYLOAD_SIZE as u64) {
        let bytes: Vec<u8> = (0..PAYLOAD_SIZE).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        std::fs::write(&payload, bytes).unwrap();
    }
    let data = dir.join("libfoo_data.so");
    run(Command::new(env!("CARGO_BIN_EXE_jiscan"))
        .current_dir(&dir)
        .args(["emit", "--shared", "--soname", "libfoo_data.so", "--target", "x86_64-linux-gnu", "payload.ji", "-o"])
        .arg(&data));
    std::fs::write(dir.join("code.c"), CODE).unwrap();
    std::fs::write(dir.join("plain.c"), PLAIN).unwrap();
    let code = dir.join("libfoo_code.so");
    run(Command::new("gcc")
        .current_dir(&dir)
        .args(["-shared", "-fPIC", "-O2", "code.c", "-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN", "-o"])
        .arg(&code));
    run(Command::new("gcc").current_dir(&dir).args(["-shared", "-fPIC", "-O2", "plain.c", "-o", "libplain.so"]));
    std::fs::write(dir.join("big.c"), format!("{CODE}{BIG}")).unwrap();
    let big = dir.join("libfoo_big.so");
    run(Command::new("gcc")
        .current_dir(&dir)
        .args(["-shared", "-fPIC", "-O2", "big.c", "-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN", "-o"])
        .arg(&big));
    let floor = dir.join("floor-open-pread");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/floor-open-pread.c");
    run(Command::new("gcc").args(["-O2", "-o"]).arg(&floor).arg(source));
    Inputs { dir, payload, data, code, big, floor }
}

// ---------------------------------------------------------------- the readers

/// (a) From the code cache to its payload's first 64 bytes, headers only.
#[inline(never)]
fn pkgimg_check(code: &Path) -> u32 {
    let found = pkgimg::find_data_library(code).unwrap();
    let mut first = [0u8; 64];
    found.file().read_exact_at(&mut first, found.located().offset()).unwrap();
    first.iter().map(|&b| u32::from(b)).sum()
}

/// (b) dlopen + dlclose of the code cache (and so of its data library).
#[inline(never)]
fn dl_cycle(code: &CString) {
    // SAFETY: the code cache and data library have no initialisers but
    // glibc's defaults; the handle is closed before returning.
    unsafe {
        let handle = libc::dlopen(code.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        assert!(!handle.is_null(), "dlopen: {:?}", std::ffi::CStr::from_ptr(libc::dlerror()));
        libc::dlclose(handle);
    }
}

/// (c), from Rust: the C floor's system calls.
#[inline(never)]
fn pread_floor(files: &[&Path], buffer: &mut [u8; 4096]) -> u32 {
    let mut sum = 0;
    for path in files {
        let file = File::open(path).unwrap();
        file.read_at(buffer, 0).unwrap();
        sum += u32::from(buffer[0]);
    }
    sum
}

/// Explains (a): open + mmap + munmap of both files; `touch` also faults
/// in the page a reader needs at offset `touch[i]` of file `i`.
#[inline(never)]
fn map_floor(files: &[&Path], touch: Option<&[usize]>) -> u32 {
    let mut sum = 0;
    for (i, path) in files.iter().enumerate() {
        let file = File::open(path).unwrap();
        // SAFETY: read-only private map of a file nobody modifies during the bench.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let _ = map.advise(memmap2::Advice::Random);
        if let Some(offsets) = touch {
            sum += u32::from(black_box(map[offsets[i]]));
        }
    }
    sum
}

/// The C floor program, kept running and driven through a pipe.
struct Floor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Floor {
    fn spawn(program: &Path, files: &[&Path]) -> Floor {
        let mut child = Command::new(program).args(files).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Floor { child, stdin, stdout }
    }

    /// `k` iterations in the C program; the time it measured.
    fn batch(&mut self, k: usize) -> Duration {
        writeln!(self.stdin, "{k}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        Duration::from_nanos(line.trim().parse().unwrap_or_else(|_| panic!("floor program said {line:?}")))
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the re-executed child: one timed dlopen + dlclose, printed in nanoseconds.
fn child(code: &str) {
    let code = CString::new(code).unwrap();
    let start = Instant::now();
    dl_cycle(&code);
    println!("{}", start.elapsed().as_nanos());
}

/// One dlopen + dlclose in a fresh process; the time the child measured.
fn fresh_dl_cycle(code: &Path) -> Duration {
    let out = Command::new(std::env::current_exe().unwrap()).env(CHILD_ENV, code).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    Duration::from_nanos(
        text.trim().parse().unwrap_or_else(|_| panic!("child said {text:?}, {}", String::from_utf8_lossy(&out.stderr))),
    )
}

// ---------------------------------------------------------------- measuring

/// A reader measured in batches: `run(k)` does `k` calls and returns their time.
struct Reader<'a> {
    label: &'static str,
    run: Box<dyn FnMut(usize) -> Duration + 'a>,
    batch: usize,
    per_call: Vec<f64>,
}

fn timed(mut f: impl FnMut()) -> impl FnMut(usize) -> Duration {
    move |k| {
        let start = Instant::now();
        for _ in 0..k {
            f();
        }
        start.elapsed()
    }
}

/// Page faults (minor + major) this process takes per call of `f`, over `n` calls.
fn faults_per_call(n: usize, mut f: impl FnMut()) -> f64 {
    let faults = || {
        // SAFETY: getrusage writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        usage.ru_minflt + usage.ru_majflt
    };
    let before = faults();
    for _ in 0..n {
        f();
    }
    (faults() - before) as f64 / n as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn format_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn check_cache(inputs: &Inputs) {
    let (code, data) = (inputs.code.as_path(), inputs.data.as_path());
    let (ccode, cdata) = (cstring(code), cstring(data));
    let files = [code, data];
    // Before the floor's process and the fresh dlopen processes start: they
    // inherit the CPU.
    match shared::pin_to_this_cpu() {
        Some(cpu) => eprintln!("pinned to CPU {cpu}, with the processes it starts"),
        None => eprintln!("not pinned: sched_setaffinity failed ({})", std::io::Error::last_os_error()),
    }
    // Where (a) touches: page 0 of the code cache; in the data library its
    // payload (the section headers are in page 0 too, FORMAT.md §8.2).
    let found = pkgimg::find_data_library(code).unwrap();
    assert_eq!(found.path.canonicalize().unwrap(), data.canonicalize().unwrap());
    let payload_offset = usize::try_from(found.located().offset()).unwrap();
    drop(found);
    let touch = [0, payload_offset];

    dl_cycle(&ccode);
    let in_process = !shared::loaded(&ccode) && !shared::loaded(&cdata);
    eprintln!(
        "dlclose unloads the code cache and data library: {in_process}{}",
        if in_process { "" } else { " (dlopen measured in fresh processes only)" }
    );

    // Page faults per call, outside the timed rounds: where (a)'s time goes.
    let n = 1000;
    let mut buffer = [0u8; 4096];
    eprintln!(
        "page faults per call: (a) {:.2}, open+mmap+munmap ×2 {:.2}, open+mmap+1 page touched+munmap ×2 {:.2}, \
         pread floor {:.2}, dlopen+dlclose {:.2}",
        faults_per_call(n, || {
            black_box(pkgimg_check(code));
        }),
        faults_per_call(n, || {
            black_box(map_floor(&files, None));
        }),
        faults_per_call(n, || {
            black_box(map_floor(&files, Some(&touch)));
        }),
        faults_per_call(n, || {
            black_box(pread_floor(&files, &mut buffer));
        }),
        faults_per_call(n, || dl_cycle(&ccode)),
    );

    let mut floor = Floor::spawn(&inputs.floor, &files);
    let big = inputs.big.as_path();
    let cbig = cstring(big);
    let mut big_floor = Floor::spawn(&inputs.floor, &[big, data]);
    dl_cycle(&cbig);
    let big_in_process = !shared::loaded(&cbig) && !shared::loaded(&cdata);
    let mut readers: Vec<Reader> = vec![
        Reader {
            label: "(a) pkgimg find_data_library + 64 payload bytes",
            run: Box::new(timed(|| {
                black_box(pkgimg_check(black_box(code)));
            })),
            batch: 0,
            per_call: Vec::new(),
        },
        Reader {
            label: "(c) floor: open+pread 4 KiB+close ×2 (C)",
            run: Box::new(move |k| floor.batch(k)),
            batch: 0,
            per_call: Vec::new(),
        },
        Reader {
            label: "(c) same system calls from Rust",
            run: Box::new(timed(|| {
                black_box(pread_floor(black_box(&files), &mut buffer));
            })),
            batch: 0,
            per_call: Vec::new(),
        },
        Reader {
            label: "open+mmap+munmap ×2",
            run: Box::new(timed(|| {
                black_box(map_floor(black_box(&files), None));
            })),
            batch: 0,
            per_call: Vec::new(),
        },
        Reader {
            label: "open+mmap+1 page touched+munmap ×2",
            run: Box::new(timed(|| {
                black_box(map_floor(black_box(&files), Some(&touch)));
            })),
            batch: 0,
            per_call: Vec::new(),
        },
    ];
    if in_process {
        readers.push(Reader {
            label: "(b) dlopen(RTLD_NOW)+dlclose",
            run: Box::new(timed(|| dl_cycle(black_box(&ccode)))),
            batch: 0,
            per_call: Vec::new(),
        });
    }
    readers.push(Reader {
        label: "(b) dlopen(RTLD_NOW)+dlclose, fresh process",
        run: Box::new(|k| (0..k).map(|_| fresh_dl_cycle(code)).sum()),
        batch: 1,
        per_call: Vec::new(),
    });
    readers.push(Reader {
        label: "(a') the same from the 5 MiB code cache",
        run: Box::new(timed(|| {
            black_box(pkgimg_check(black_box(big)));
        })),
        batch: 0,
        per_call: Vec::new(),
    });
    readers.push(Reader {
        label: "(c') floor with the 5 MiB code cache (C)",
        run: Box::new(move |k| big_floor.batch(k)),
        batch: 0,
        per_call: Vec::new(),
    });
    if big_in_process {
        readers.push(Reader {
            label: "(b') dlopen(RTLD_NOW)+dlclose of the 5 MiB code cache",
            run: Box::new(timed(|| dl_cycle(black_box(&cbig)))),
            batch: 0,
            per_call: Vec::new(),
        });
    }

    // Batch sizes: about BATCH of work each (one fresh process per round).
    for reader in &mut readers {
        if reader.batch == 0 {
            (reader.run)(10); // warm up
            let per_call = (reader.run)(50) / 50;
            reader.batch = (BATCH.as_nanos() / per_call.as_nanos().max(1)).clamp(1, 10_000) as usize;
        }
    }
    // Each round starts one reader further on, so that every reader follows
    // every other equally often: in a fixed order, (a) always ran right
    // after the fresh process's exec and dlopen, whose footprint evicts the
    // caches, and the floor always after (a).
    let count = readers.len();
    for round in 0..ROUNDS {
        for turn in 0..count {
            let reader = &mut readers[(round + turn) % count];
            let elapsed = (reader.run)(reader.batch);
            reader.per_call.push(elapsed.as_nanos() as f64 / reader.batch as f64);
        }
    }

    let medians: Vec<f64> = readers.iter_mut().map(|r| median(&mut r.per_call)).collect();
    let a = medians[0];
    let c = medians[1];
    println!("\nChecking a cache, interleaved ({ROUNDS} rounds, median per call; batch sizes in brackets):\n");
    println!("| | median | × (a) | × (c) C floor |");
    println!("|---|---|---|---|");
    for (reader, m) in readers.iter().zip(&medians) {
        println!("| {} [{}] | {} | {:.2}× | {:.2}× |", reader.label, reader.batch, format_ns(*m), m / a, m / c);
    }
    for (reader, m) in readers.iter().zip(&medians) {
        if reader.label.starts_with("(b)") {
            println!("\ngoal (a) ≥ 5× faster than {}: {:.2}×", reader.label, m / a);
        }
    }
    println!("goal (a) ≤ 1.5× the C floor: {:.2}×", a / c);
    let by_label =
        |prefix: &str| readers.iter().zip(&medians).find(|(r, _)| r.label.starts_with(prefix)).map(|(_, m)| *m);
    if let (Some(a), Some(c)) = (by_label("(a')"), by_label("(c')")) {
        println!("5 MiB code cache: (a') {:.2}× its C floor (c')", a / c);
        if let Some(b) = by_label("(b')") {
            println!("5 MiB code cache: (a') {:.2}× faster than (b') dlopen(RTLD_NOW)+dlclose", b / a);
        }
    }
}

// ---------------------------------------------------------------- disk

/// `du -B1 [--apparent-size] -c FILES`: the total.
fn du(files: &[PathBuf], apparent: bool) -> u64 {
    let mut cmd = Command::new("du");
    cmd.args(["-B1", "-c"]);
    if apparent {
        cmd.arg("--apparent-size");
    }
    let out = cmd.args(files).output().unwrap();
    assert!(out.status.success(), "du: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let total = text.lines().last().unwrap();
    total.split_whitespace().next().unwrap().parse().unwrap()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

fn disk(inputs: &Inputs) {
    let dir = &inputs.dir;
    let jiscan = env!("CARGO_BIN_EXE_jiscan");
    println!("\nDisk, N code caches + one data library against N libraries each embedding the payload:\n");
    println!("| N | split, apparent | split, allocated | embedded, apparent | embedded, allocated | embedded / split (allocated) |");
    println!("|---|---|---|---|---|---|");
    for n in [2, 4, 8] {
        let split_dir = dir.join(format!("split-{n}"));
        let embedded_dir = dir.join(format!("embedded-{n}"));
        for d in [&split_dir, &embedded_dir] {
            let _ = std::fs::remove_dir_all(d);
            std::fs::create_dir_all(d).unwrap();
        }
        let mut split = vec![split_dir.join("libfoo_data.so")];
        std::fs::copy(&inputs.data, &split[0]).unwrap();
        let mut embedded = Vec::new();
        for i in 0..n {
            let cache = split_dir.join(format!("libfoo_{i}.so"));
            std::fs::copy(&inputs.code, &cache).unwrap();
            split.push(cache);
            let out = embedded_dir.join(format!("libfoo_{i}.so"));
            run(Command::new(jiscan)
                .arg("inject")
                .arg(dir.join("libplain.so"))
                .arg(&inputs.payload)
                .arg("-o")
                .arg(&out));
            embedded.push(out);
        }
        let (sa, sd) = (du(&split, true), du(&split, false));
        let (ea, ed) = (du(&embedded, true), du(&embedded, false));
        println!(
            "| {n} | {sa} B ({}) | {sd} B ({}) | {ea} B ({}) | {ed} B ({}) | {:.2}× |",
            mib(sa),
            mib(sd),
            mib(ea),
            mib(ed),
            ed as f64 / sd as f64
        );
        for d in [&split_dir, &embedded_dir] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

fn main() {
    if let Some(code) = std::env::var_os(CHILD_ENV) {
        child(&code.to_string_lossy());
        return;
    }
    // `cargo bench` passes --bench; `cargo test --benches` does not: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("split: run with `cargo bench --bench split`");
        return;
    }
    let inputs = inputs();
    check_cache(&inputs);
    disk(&inputs);
}
