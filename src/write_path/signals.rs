//! Removing temporary files when the process is interrupted (SIGINT,
//! SIGTERM, SIGHUP, SIGQUIT and the other signals that end it by default).
//!
//! Every [`TempFile`](super::TempFile) registers its path here while it
//! exists. [`remove_temporary_files_on_signals`] installs a handler that
//! unlinks the registered paths and then ends the process by the same signal
//! (so a shell sees "interrupted", status 130 for SIGINT). A handler may only
//! make async-signal-safe calls: it reads a fixed table of pointers and calls
//! `unlink(2)`, `raise(2)`; it never allocates or takes a lock.
//!
//! A path is a `CString` leaked into a slot while registered. Taking it out
//! swaps the slot to null and then waits until no handler is running before
//! freeing it, so a handler never reads a freed path.
//!
//! SIGKILL cannot be caught: what a killed process leaves is removed by the
//! next run that writes the same destination (see `temp.rs`).

use std::ffi::CString;
use std::io;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};

/// How many temporary files can be registered at once (a process writes one
/// at a time; the rest is headroom for threads).
const SLOTS: usize = 64;

static PATHS: [AtomicPtr<c_char>; SLOTS] = [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS];
/// How many handlers are reading `PATHS` right now.
static IN_HANDLER: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// A registered path; unregistered when dropped.
#[derive(Debug)]
pub(super) struct Registration {
    slot: usize,
}

/// Registers `path` to be unlinked if a signal ends the process. `None` if
/// the table is full or the path has a NUL byte; the file is then left to
/// the next run's clean-up, as after SIGKILL.
pub(super) fn register(path: &Path) -> Option<Registration> {
    // Absolute, so that the handler removes the right file even if the
    // process has changed its working directory meanwhile.
    let absolute = if path.is_relative() {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    } else {
        path.to_path_buf()
    };
    let raw = CString::new(absolute.as_os_str().as_bytes()).ok()?.into_raw();
    for (slot, entry) in PATHS.iter().enumerate() {
        if entry.compare_exchange(ptr::null_mut(), raw, SeqCst, SeqCst).is_ok() {
            return Some(Registration { slot });
        }
    }
    free(raw);
    None
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(entry) = PATHS.get(self.slot) else { return };
        let raw = entry.swap(ptr::null_mut(), SeqCst);
        // A handler that loaded the pointer before the swap may still be
        // using it: wait for it (it never blocks, and then ends the process).
        while IN_HANDLER.load(SeqCst) != 0 {
            std::hint::spin_loop();
        }
        free(raw);
    }
}

/// Frees a path made by `register`.
#[allow(unsafe_code)]
fn free(raw: *mut c_char) {
    if !raw.is_null() {
        // SAFETY: `raw` came from `CString::into_raw` in `register`, and it
        // is no longer in the table or in use by a handler.
        drop(unsafe { CString::from_raw(raw) });
    }
}

/// The signals whose default action ends the process and that can be
/// caught (signal(7), "Standard signals", Linux), but for SIGXFSZ (ignored,
/// below), SIGPIPE (which Rust programs ignore), SIGKILL (which cannot be
/// caught) and the faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
/// SIGABRT, SIGSYS: a fault in the writer itself, where no handler can be
/// trusted to run), and SIGSTKFLT (the x87 stack fault, which the kernel
/// never sends and the `libc` crate lacks on MIPS and SPARC; review 25 F4):
/// Ctrl-C, Ctrl-\, `kill`, a lost terminal, the user signals, the timers,
/// the CPU limit, a power failure and I/O readiness; and the real-time
/// signals from SIGRTMIN (glibc keeps the two below it for itself), whose
/// default is to end the process too. Audit 24 F7, review 24 F5: SIGQUIT,
/// SIGUSR1/2, SIGALRM, SIGPWR, SIGIO and SIGRTMIN had left the whole
/// temporary file behind.
fn ending() -> impl Iterator<Item = libc::c_int> {
    let standard = [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGXCPU,
        libc::SIGPWR,
        libc::SIGIO,
    ];
    standard.into_iter().chain(libc::SIGRTMIN()..=libc::SIGRTMAX())
}

/// Installs, once per process, a handler for the signals that end it
/// (SIGINT, SIGTERM, SIGHUP, SIGQUIT, the user, timer and real-time signals, ...) that removes the
/// temporary files of writes in progress and then ends the process by the
/// signal it received, and ignores SIGXFSZ (so a write
/// past `ulimit -f` is an error, not a silent death). A signal that is ignored (as
/// under `nohup`) or already has a handler is left alone: a program that
/// handles signals itself keeps doing so, and its interrupted writes leave
/// temporary files that the next write to the same destination removes.
///
/// `jiscan` calls this first thing. A library user calls it if the
/// process should behave the same way.
pub fn remove_temporary_files_on_signals() -> io::Result<()> {
    if INSTALLED.swap(true, SeqCst) {
        return Ok(());
    }
    for signal in ending() {
        install(signal)?;
    }
    ignore_file_size_signal()
}

/// Under `ulimit -f`, a write past the limit raises SIGXFSZ, whose default
/// action kills the process with no message and leaves its temporary file.
/// Ignored, the write fails with `EFBIG` instead: an error that names the
/// output, and the temporary file is removed (review 18 F5). Left alone if
/// the program already handles or ignores it.
#[allow(unsafe_code)]
fn ignore_file_size_signal() -> io::Result<()> {
    // SAFETY: sigaction(2) with a null new action only fills `old`, a
    // zeroed C struct owned here.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::sigaction(libc::SIGXFSZ, ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if old.sa_sigaction != libc::SIG_DFL {
        return Ok(());
    }
    // SAFETY: SIG_IGN is a valid disposition for SIGXFSZ.
    if unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[allow(unsafe_code)]
fn install(signal: libc::c_int) -> io::Result<()> {
    // SAFETY: sigaction(2) with a null new action only fills `old`, a
    // zeroed C struct owned here.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::sigaction(signal, ptr::null(), &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if old.sa_sigaction != libc::SIG_DFL {
        return Ok(());
    }
    // SAFETY: a zeroed sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SA_RESETHAND: the handler runs once, then the default action (ending
    // the process) applies to the re-raised signal. SA_RESTART: system calls
    // it interrupts are resumed (the handler ends the process anyway).
    action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
    // SAFETY: sigemptyset initialises the mask of the struct owned here;
    // sigaction installs `on_signal`, which only makes async-signal-safe calls.
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(signal, &action, ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The handler: unlink every registered path, then re-raise the signal,
/// whose action is the default again (SA_RESETHAND), so the process ends by
/// it once the handler returns.
#[allow(unsafe_code)]
extern "C" fn on_signal(signal: libc::c_int) {
    IN_HANDLER.fetch_add(1, SeqCst);
    for entry in &PATHS {
        let path = entry.load(SeqCst);
        if !path.is_null() {
            // SAFETY: a registered path is a live NUL-terminated string until
            // its slot is cleared and IN_HANDLER is back to zero (see
            // `Registration::drop`). unlink(2) is async-signal-safe.
            unsafe { libc::unlink(path) };
        }
    }
    IN_HANDLER.fetch_sub(1, SeqCst);
    // SAFETY: raise(2) is async-signal-safe; the signal is blocked until the
    // handler returns, and then ends the process.
    unsafe { libc::raise(signal) };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn registration_takes_a_slot_and_gives_it_back() {
        let taken = |path: &Path| {
            let c = CString::new(path.as_os_str().as_bytes()).unwrap();
            PATHS.iter().any(|e| {
                let p = e.load(SeqCst);
                // SAFETY: a non-null entry is a live registered CString while
                // this test's registration exists.
                #[allow(unsafe_code)]
                let same = !p.is_null() && unsafe { std::ffi::CStr::from_ptr(p) } == c.as_c_str();
                same
            })
        };
        let path = Path::new("/nonexistent/.x.pkgimg-000001");
        let registration = register(path).unwrap();
        assert!(taken(path));
        drop(registration);
        assert!(!taken(path));
    }
}
