//! Walks a directory of libraries and finds each one's payload container the
//! way a peer tool would, so `scripts/bench-scan.sh` can time, count faults
//! and measure the bytes read of `jiscan scan` against the same walk through
//! other readers.
//!
//! ```text
//! cargo run --release --example scan-peers -- MODE DIR
//! ```
//!
//! MODE, per file:
//! - `pkgimg`         open + mmap + `pkgimg::find_ji_payload` + munmap
//! - `object`         open + mmap + `object::File::parse` + `section_by_name(".jlji")`
//! - `goblin`         open + mmap + `goblin::Object::parse` + the `.jlji` section header
//! - `dlopen`         `dlopen(RTLD_LAZY | RTLD_LOCAL)` + `dlsym("pkgimg_answer")` + `dlclose`
//!   (the loader does not locate the payload at all: this is the cost of
//!   opening the library, the way a process that loads it pays)
//!
//! `pkgimg-random`, `object-random`, `goblin-random`: the same, with
//! `madvise(MADV_RANDOM)` on the mapping, as `jiscan` does: no read-ahead
//! around the header pages, so a cold scan reads only the pages it touches.
//!
//! Prints `MODE: N files, M found, checksum C` (C sums the offsets found, so
//! the readers can be checked to agree). Exit status 1 if any file failed.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::CString;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use object::{Object, ObjectSection};

#[derive(Clone, Copy)]
enum Reader {
    Pkgimg,
    Object,
    Goblin,
    Dlopen,
}

/// A reader, and whether its mapping gets `MADV_RANDOM` (`-random` suffix).
#[derive(Clone, Copy)]
struct Mode {
    reader: Reader,
    random: bool,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        let (base, random) = match name.strip_suffix("-random") {
            Some(base) => (base, true),
            None => (name, false),
        };
        let reader = match base {
            "pkgimg" => Reader::Pkgimg,
            "object" => Reader::Object,
            "goblin" => Reader::Goblin,
            "dlopen" if !random => Reader::Dlopen,
            _ => return None,
        };
        Some(Mode { reader, random })
    }
}

fn map(path: &Path, random: bool) -> Result<memmap2::Mmap, String> {
    let file = File::open(path).map_err(|e| format!("open: {e}"))?;
    // SAFETY: mmap(2) gives the readers the file as `&[u8]` without reading
    // it; the benchmark's files are not modified while it runs.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("mmap: {e}"))?;
    if random {
        map.advise(memmap2::Advice::Random).map_err(|e| format!("madvise: {e}"))?;
    }
    Ok(map)
}

/// The payload's (or for the peers, the container's) file offset.
fn locate(mode: Mode, path: &Path) -> Result<u64, String> {
    match mode.reader {
        Reader::Pkgimg => {
            let map = map(path, mode.random)?;
            // The container starts with the frame; report its offset like the peers do.
            pkgimg::find_ji_payload(&map).map(|p| p.container().offset).map_err(|e| e.to_string())
        }
        Reader::Object => {
            let map = map(path, mode.random)?;
            let file = object::File::parse(&*map).map_err(|e| e.to_string())?;
            let section = file.section_by_name(".jlji").ok_or("no .jlji section")?;
            section.file_range().map(|(offset, _)| offset).ok_or_else(|| "no file range".into())
        }
        Reader::Goblin => {
            let map = map(path, mode.random)?;
            match goblin::Object::parse(&map).map_err(|e| e.to_string())? {
                goblin::Object::Elf(elf) => elf
                    .section_headers
                    .iter()
                    .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".jlji"))
                    .map(|sh| sh.sh_offset)
                    .ok_or_else(|| "no .jlji section".into()),
                _ => Err("not ELF".into()),
            }
        }
        Reader::Dlopen => dl_cycle(path).map(|()| 0),
    }
}

fn dl_cycle(path: &Path) -> Result<(), String> {
    let cpath = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: dlopen/dlsym/dlclose are the only interface to the dynamic
    // loader; the libraries scanned have no constructors and no symbol is called.
    unsafe {
        let handle = libc::dlopen(cpath.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if handle.is_null() {
            let e = libc::dlerror();
            return Err(if e.is_null() { "dlopen failed".into() } else { dl_message(e) });
        }
        let found = libc::dlsym(handle, c"pkgimg_answer".as_ptr());
        libc::dlclose(handle);
        if found.is_null() {
            return Err("no symbol pkgimg_answer".into());
        }
    }
    Ok(())
}

/// # Safety
/// `e` is a NUL-terminated string from dlerror.
unsafe fn dl_message(e: *const libc::c_char) -> String {
    // SAFETY: the caller passes dlerror's non-null result.
    unsafe { std::ffi::CStr::from_ptr(e) }.to_string_lossy().into_owned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(dir)) = (args.get(1).and_then(|m| Mode::parse(m)), args.get(2)) else {
        eprintln!("usage: scan-peers pkgimg|object|goblin[-random]|dlopen DIR");
        return ExitCode::from(2);
    };
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            eprintln!("{dir}: {e}");
            return ExitCode::from(1);
        }
    };
    paths.sort();
    let (mut found, mut checksum, mut failed) = (0u64, 0u64, false);
    for path in &paths {
        match locate(mode, path) {
            Ok(offset) => {
                found += 1;
                checksum = checksum.wrapping_add(offset);
            }
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                failed = true;
            }
        }
    }
    println!("{}: {} files, {found} found, checksum {checksum}", args[1], paths.len());
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
