//! From a path (BENCHMARKS.md §2): `pkgimg::find_ji_payload_path`, which
//! reads with `pread` and maps nothing, against the floor every reader pays
//! (open + `pread` of the first 4 KiB + close, the same system calls a C
//! program makes), against the mapping path (open, mmap, `find_ji_payload`,
//! munmap: what `MappedFile` costs), and, for the libraries this machine can
//! load, against `dlopen` and `dlclose` in this process (checked to really
//! unload with `RTLD_NOLOAD`).
//!
//! Inputs: every library of the corpus, and the large libraries of
//! `inputs::large_libraries` (librustc_driver, libLLVM-15, with a payload
//! added by `pkgimg::inject`). All readers run round-robin in batches of
//! ~200 µs (`inputs::interleaved`), so the ratios compare the same machine.
//!
//! Run: `cargo bench --bench path`. Under `cargo test --benches` it does nothing.
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
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

mod inputs;

use inputs::{interleaved, ns, ROUNDS};

#[inline(never)]
fn pkgimg_path(path: &Path) -> u64 {
    pkgimg::find_ji_payload_path(path).map(|p| p.offset()).unwrap_or(0)
}

#[inline(never)]
fn pkgimg_mapped(path: &Path) -> u64 {
    let file = pkgimg::MappedFile::open(path).unwrap();
    pkgimg::find_ji_payload(&file).map(|p| p.offset()).unwrap_or(0)
}

/// The floor: open + one `pread` of the first 4 KiB + close.
#[inline(never)]
fn floor(path: &Path, buffer: &mut [u8; 4096]) -> u8 {
    let file = File::open(path).unwrap();
    let n = file.read_at(buffer, 0).unwrap();
    buffer[n.saturating_sub(1)]
}

/// dlopen(RTLD_LAZY | RTLD_LOCAL) + dlclose, if the library loads here and
/// `dlclose` unloads it (so that every call pays the whole load).
fn dlopen_cycle(path: &Path) -> Option<impl FnMut()> {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: the libraries tried are the corpus's x86_64 ELF libraries, which
    // have no constructors; a handle is closed right after it is opened.
    unsafe {
        let handle = libc::dlopen(c.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if handle.is_null() {
            return None;
        }
        libc::dlclose(handle);
    }
    (!inputs::loaded(&c)).then_some(move || {
        // SAFETY: as above.
        unsafe {
            let handle = libc::dlopen(c.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
            libc::dlclose(handle);
        }
    })
}

fn main() {
    if std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    for dir in ["elf", "macho", "pe"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(dir))
            .map_or_else(|_| Vec::new(), |d| d.filter_map(Result::ok).map(|e| e.path()).collect());
        names.sort();
        for path in names {
            if pkgimg::find_ji_payload_path(&path).is_ok() {
                inputs.push((format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()), path));
            }
        }
    }
    for large in inputs::large_libraries() {
        inputs.push((large.label.to_owned(), large.injected));
    }
    println!(
        "from a path, interleaved ({ROUNDS} rounds of ~200 µs batches per reader; median per call, × the floor)\n"
    );
    println!("| input | size | floor open+pread 4 KiB+close | pkgimg `find_ji_payload_path` | pkgimg open+mmap+find+munmap | dlopen+dlclose |");
    println!("|---|---|---|---|---|---|");
    for (label, path) in &inputs {
        let size = std::fs::metadata(path).unwrap().len();
        let mut buffer = [0u8; 4096];
        let mut readers: Vec<Box<dyn FnMut()>> = vec![
            Box::new(|| {
                black_box(floor(black_box(path), &mut buffer));
            }),
            Box::new(|| {
                black_box(pkgimg_path(black_box(path)));
            }),
            Box::new(|| {
                black_box(pkgimg_mapped(black_box(path)));
            }),
        ];
        let dl = if label.starts_with("elf/x86_64") { dlopen_cycle(path) } else { None };
        let has_dl = dl.is_some();
        if let Some(dl) = dl {
            readers.push(Box::new(dl));
        }
        let mut refs: Vec<&mut dyn FnMut()> = readers.iter_mut().map(|r| &mut **r as &mut dyn FnMut()).collect();
        let t = interleaved(&mut refs);
        let cell = |i: usize| format!("{} ({:.2}×)", ns(t[i]), t[i] / t[0]);
        let dl = if has_dl { cell(3) } else { "not loadable here".to_owned() };
        println!("| {label} | {size} | {} | **{}** | {} | {dl} |", ns(t[0]), cell(1), cell(2));
    }
}
