//! Which 4 KiB pages of a file each reader touches while locating the
//! payload: exact, whatever the kernel's read-ahead and fault-around do.
//!
//! ```text
//! cargo run --release --example pages-touched -- FILE...
//! ```
//!
//! The file is mapped with no access rights; a SIGSEGV handler makes each
//! page readable on its first access and records it. Then pkgimg
//! (`find_ji_payload`), object (`File::parse` + `section_by_name`) and goblin
//! (`Object::parse` + the section header) each run once on the mapping, which
//! is made inaccessible again before each. Page cache residency (`fincore`)
//! cannot tell this: read-ahead brings in pages nobody reads.
//!
//! Prints one line per file and reader: pages, KiB, and the pages' offsets.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use object::{Object, ObjectSection};

const PAGE: usize = 4096;
/// More distinct pages than this are counted but not listed.
const MAX_RECORDED: usize = 1 << 16;

static BASE: AtomicUsize = AtomicUsize::new(0);
static LEN: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static PAGES: [AtomicUsize; MAX_RECORDED] = [const { AtomicUsize::new(0) }; MAX_RECORDED];

/// On a fault inside the traced mapping: record the page, make it readable,
/// return (the access is retried). Elsewhere: restore the default action, so
/// the retried access crashes as it would have.
extern "C" fn on_fault(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers;
    // mprotect and signal are async-signal-safe system calls; only atomics
    // are touched otherwise.
    unsafe {
        let addr = (*info).si_addr() as usize;
        let (base, len) = (BASE.load(Ordering::SeqCst), LEN.load(Ordering::SeqCst));
        if addr < base || addr >= base.saturating_add(len) {
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            return;
        }
        let page = addr & !(PAGE - 1);
        libc::mprotect(page as *mut libc::c_void, PAGE, libc::PROT_READ);
        let n = COUNT.fetch_add(1, Ordering::SeqCst);
        if let Some(slot) = PAGES.get(n) {
            slot.store(page - base, Ordering::SeqCst);
        }
    }
}

fn install_handler() {
    // SAFETY: installs a SA_SIGINFO handler; the struct is zeroed then filled.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_fault as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut()), 0);
    }
}

/// The traced mapping of one file.
struct Traced {
    base: *mut libc::c_void,
    len: usize,
}

impl Traced {
    fn new(file: &File, len: usize) -> std::io::Result<Traced> {
        // SAFETY: a fresh private mapping with no access; nothing aliases it.
        let base =
            unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_NONE, libc::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        BASE.store(base as usize, Ordering::SeqCst);
        LEN.store(len, Ordering::SeqCst);
        Ok(Traced { base, len })
    }

    /// Runs `reader` on the mapping from a clean state; the sorted distinct
    /// page offsets it touched, and how many faults there were.
    fn trace<T>(&self, reader: impl FnOnce(&[u8]) -> T) -> (T, Vec<usize>) {
        // SAFETY: the mapping is ours; revoking access only makes reads fault,
        // and the handler grants it back page by page. The slice is only read.
        let result = unsafe {
            assert_eq!(libc::mprotect(self.base, self.len, libc::PROT_NONE), 0);
            COUNT.store(0, Ordering::SeqCst);
            reader(std::slice::from_raw_parts(self.base as *const u8, self.len))
        };
        let n = COUNT.load(Ordering::SeqCst).min(MAX_RECORDED);
        let mut pages: Vec<usize> = PAGES.iter().take(n).map(|p| p.load(Ordering::SeqCst)).collect();
        pages.sort_unstable();
        pages.dedup();
        (result, pages)
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `new`; no slice of it outlives `trace`.
        unsafe { libc::munmap(self.base, self.len) };
        LEN.store(0, Ordering::SeqCst);
    }
}

/// A reader: the container's file offset, if it finds one.
type Reader = fn(&[u8]) -> Option<u64>;

fn pkgimg_lookup(bytes: &[u8]) -> Option<u64> {
    pkgimg::find_ji_payload(bytes).ok().map(|p| p.container().offset)
}

fn object_lookup(bytes: &[u8]) -> Option<u64> {
    object::File::parse(bytes).ok()?.section_by_name(".jlji")?.file_range().map(|(offset, _)| offset)
}

fn goblin_lookup(bytes: &[u8]) -> Option<u64> {
    match goblin::Object::parse(bytes).ok()? {
        goblin::Object::Elf(elf) => elf
            .section_headers
            .iter()
            .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".jlji"))
            .map(|sh| sh.sh_offset),
        _ => None,
    }
}

fn report(path: &str) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let len = file.metadata().map_err(|e| format!("{path}: {e}"))?.len();
    let len = usize::try_from(len).map_err(|e| format!("{path}: {e}"))?;
    let traced = Traced::new(&file, len).map_err(|e| format!("{path}: mmap: {e}"))?;
    let readers: [(&str, Reader); 3] =
        [("pkgimg", pkgimg_lookup), ("object", object_lookup), ("goblin", goblin_lookup)];
    for (name, reader) in readers {
        let (found, pages) = traced.trace(reader);
        let Some(offset) = found else {
            return Err(format!("{path}: {name} finds no .jlji"));
        };
        let listed: Vec<String> = pages.iter().take(12).map(|p| format!("{p:#x}")).collect();
        let more = if pages.len() > 12 { ", ..." } else { "" };
        println!(
            "{path}\t{len}\t{name}\t{} pages\t{} KiB\tcontainer at {offset:#x}\tpages [{}{more}]",
            pages.len(),
            pages.len() * PAGE / 1024,
            listed.join(", ")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: pages-touched FILE...");
        return ExitCode::from(2);
    }
    install_handler();
    println!("file\tsize\treader\tpages\tKiB\tfound\tpage offsets");
    let mut status = ExitCode::SUCCESS;
    for path in &paths {
        if let Err(e) = report(path) {
            eprintln!("{e}");
            status = ExitCode::from(1);
        }
    }
    status
}
