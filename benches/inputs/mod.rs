//! Inputs shared by the benches: corpus files and large system libraries with
//! a payload injected by `pkgimg::inject`, made once into target/bench-inputs/.

#![allow(dead_code)] // each bench uses a part of this module

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Where prepared inputs are cached between runs.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs")
}

/// `corpus/<name>`, if the corpus has it.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(name);
    path.exists().then_some(path)
}

/// Maps `path` read-only.
pub fn map(path: &Path) -> memmap2::Mmap {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // SAFETY: mmap(2) is how a reader gets a large file as `&[u8]` without
    // reading it; bench inputs are files nobody rewrites while the bench runs.
    unsafe { memmap2::Mmap::map(&file).unwrap_or_else(|e| panic!("{}: {e}", path.display())) }
}

/// A payload file of `size` bytes (a byte pattern, not zeros, so no file
/// system shortcut applies), made once.
pub fn payload_file(size: u64) -> PathBuf {
    let path = dir().join(format!("payload-{size}.bin"));
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(size) {
        std::fs::create_dir_all(dir()).unwrap();
        let bytes: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(0x9e37_79b9) >> 13) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
    }
    path
}

/// A large real library, and a copy of it with a 1 MiB payload.
pub struct Large {
    /// Short name for the benchmark groups.
    pub label: &'static str,
    /// The library as installed.
    pub original: PathBuf,
    /// The copy with a `.jlji` container (`pkgimg::inject`).
    pub injected: PathBuf,
    /// An exported symbol, for `dlsym`.
    pub symbol: &'static str,
}

/// The Rust toolchain's librustc_driver-*.so and the system's libLLVM-15, each
/// with a payload, for those that exist on this machine.
pub fn large_libraries() -> Vec<Large> {
    let mut found = Vec::new();
    if let Some(driver) = rustc_driver() {
        // Its RUNPATH is $ORIGIN/../lib: the copy lives in bench-inputs/lib/
        // next to a link to the libLLVM it needs, so `dlopen` of the copy works.
        let lib = dir().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        if let Some(llvm) = std::fs::read_dir(driver.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libLLVM.so")))
        {
            let link = lib.join(llvm.file_name().unwrap());
            if !link.exists() {
                std::os::unix::fs::symlink(&llvm, &link).unwrap();
            }
        }
        let injected = lib.join("librustc_driver-jlji.so");
        found.push(Large { label: "librustc_driver", original: driver, injected, symbol: "LLVMRustStringWriteImpl" });
    }
    let llvm = PathBuf::from("/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1");
    if llvm.exists() {
        let injected = dir().join("libLLVM-15-jlji.so");
        found.push(Large { label: "libLLVM-15", original: llvm, injected, symbol: "LLVMContextCreate" });
    }
    for large in &found {
        let ready = large.injected.exists() && pkgimg::find_ji_payload(&map(&large.injected)).is_ok();
        if !ready {
            let payload = payload_file(1 << 20);
            pkgimg::inject(&large.original, &payload, &large.injected, pkgimg::InjectOptions::default())
                .unwrap_or_else(|e| panic!("inject into {}: {e}", large.original.display()));
        }
    }
    found
}

fn rustc_driver() -> Option<PathBuf> {
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let lib = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim()).join("lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("librustc_driver")))
}

/// Rounds of [`interleaved`]: odd, so the median is one of them.
pub const ROUNDS: usize = 101;

/// The readers measured round-robin, batch after batch, so that all see the
/// same machine: on a shared machine the CPU's speed drifts over seconds,
/// which criterion's one-benchmark-after-another order turns into noise in
/// the ratios. Returns each reader's median time per call, in nanoseconds.
pub fn interleaved(readers: &mut [&mut dyn FnMut()]) -> Vec<f64> {
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
    let mut times = vec![Vec::with_capacity(ROUNDS); readers.len()];
    for _ in 0..ROUNDS {
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
            t[ROUNDS / 2]
        })
        .collect()
}

/// A time per call, in the unit that reads best.
pub fn ns(t: f64) -> String {
    match t {
        t if t >= 1e6 => format!("{:.2} ms", t / 1e6),
        t if t >= 1e3 => format!("{:.2} µs", t / 1e3),
        t => format!("{t:.0} ns"),
    }
}

/// Whether the loader still has `path` loaded (after a `dlclose`: whether it
/// really unmapped it, which NODELETE or unique symbols prevent).
pub fn loaded(path: &std::ffi::CStr) -> bool {
    // SAFETY: RTLD_NOLOAD only queries the loader; a handle it returns is closed.
    unsafe {
        let handle = libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
        if handle.is_null() {
            return false;
        }
        libc::dlclose(handle);
        true
    }
}

/// Keeps this process, and the processes it starts from now on, on the CPU
/// it is running on, and returns that CPU. Contenders measured in turn then
/// share one core's caches and clock: on this 2-core VM, the split check's
/// ratio to its floor varied from 1.26× to 1.54× between unpinned runs, and
/// from 1.39× to 1.42× between pinned ones (BENCHMARKS.md §7).
pub fn pin_to_this_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu takes nothing; the set is zeroed, then one CPU
    // is added, and sched_setaffinity only reads it.
    unsafe {
        let cpu = usize::try_from(libc::sched_getcpu()).ok()?;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        (libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0).then_some(cpu)
    }
}
