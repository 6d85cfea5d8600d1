//! The system calls the write path needs that `std` does not offer: advisory
//! locks, `SEEK_DATA`/`SEEK_HOLE`, a rename that refuses to replace, extended
//! attributes, the umask, and the writeback hint. Each `unsafe` block is one
//! libc call on a descriptor or a NUL-terminated path owned by the caller,
//! marked where it is; the signal handler has its own file (`signals.rs`).

use std::ffi::{CString, OsString};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// A path as C wants it; a path with a NUL byte cannot name a file.
pub(super) fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Takes an exclusive `flock(2)` lock on `file`. With `wait` false, a lock
/// held by another open file fails with `ErrorKind::WouldBlock`.
#[allow(unsafe_code)]
pub(super) fn lock(file: &File, wait: bool) -> io::Result<()> {
    let operation = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    loop {
        // SAFETY: flock(2) takes a descriptor, open for the duration of the call.
        let result = unsafe { libc::flock(file.as_raw_fd(), operation) };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Where the data at or after `offset` starts (`SEEK_DATA`), `None` when
/// there is none before the end of the file (`ENXIO`).
pub(super) fn seek_data(file: &File, offset: u64) -> io::Result<Option<u64>> {
    seek(file, offset, libc::SEEK_DATA)
}

/// Where the hole at or after `offset` starts (`SEEK_HOLE`; the end of the
/// file counts as one), `None` past the end of the file.
pub(super) fn seek_hole(file: &File, offset: u64) -> io::Result<Option<u64>> {
    seek(file, offset, libc::SEEK_HOLE)
}

#[allow(unsafe_code)]
fn seek(file: &File, offset: u64, whence: libc::c_int) -> io::Result<Option<u64>> {
    let offset = libc::off_t::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: lseek(2) takes a descriptor and integers. It moves the file
    // position, which the copy does not use (it reads with pread).
    let at = unsafe { libc::lseek(file.as_raw_fd(), offset, whence) };
    if at >= 0 {
        return Ok(u64::try_from(at).ok());
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::ENXIO) {
        return Ok(None);
    }
    Err(error)
}

/// Renames `from` to `to` only if `to` does not exist; `ErrorKind::
/// AlreadyExists` if it does. `renameat2(RENAME_NOREPLACE)` where the kernel
/// and file system have it, else `link(2)` and `unlink(2)` (atomic too: a
/// link never replaces), else a plain rename after checking that `to` is
/// still absent (the one case with a window, on file systems without hard
/// links).
pub(super) fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match renameat2_noreplace(from, to) {
        Err(e) if unsupported(&e) => {}
        other => return other,
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            std::fs::remove_file(from)?;
            return Ok(());
        }
        Err(e) if unsupported(&e) || e.raw_os_error() == Some(libc::EPERM) => {}
        Err(e) => return Err(e),
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}

fn unsupported(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP))
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn renameat2_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (c_path(from)?, c_path(to)?);
    // SAFETY: two NUL-terminated paths that live for the call; AT_FDCWD makes
    // them relative to the working directory, as rename(2) does.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn renameat2_noreplace(_from: &Path, _to: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// The process's file-creation mask. On Linux it is read from
/// `/proc/self/status`, which changes nothing; elsewhere (or without /proc)
/// it is read by setting it to 077 and back, during which a file created by
/// another thread gets at most the owner's bits.
pub(super) fn umask() -> u32 {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"));
        if let Some(mask) = line.and_then(|m| u32::from_str_radix(m.trim(), 8).ok()) {
            return mask;
        }
    }
    umask_by_setting()
}

#[allow(unsafe_code)]
fn umask_by_setting() -> u32 {
    // SAFETY: umask(2) cannot fail; the old mask is put back at once.
    let old = unsafe { libc::umask(0o077) };
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    // mode_t is u32 on Linux, u16 on macOS.
    #[allow(clippy::useless_conversion)]
    u32::from(old)
}

/// Asks the kernel to start writing `len` bytes of `file` before its current
/// position to disk now, without waiting: the disk works while the rest is
/// copied, and the final `fsync` has less left to do. A hint only.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn start_writeback(mut file: &File, len: u64) {
    use std::io::Seek;
    let Ok(end) = file.stream_position() else { return };
    let (Ok(start), Ok(len)) = (i64::try_from(end.saturating_sub(len)), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range(2) only reads its integer arguments; the
    // descriptor is open for the duration of the call.
    unsafe { libc::sync_file_range(file.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
pub(super) fn start_writeback(_file: &File, _len: u64) {}

/// The names of `file`'s extended attributes.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn xattr_names(file: &File) -> io::Result<Vec<OsString>> {
    let fd = file.as_raw_fd();
    loop {
        // SAFETY: a null buffer of size 0 asks for the size of the list.
        let size = unsafe { libc::flistxattr(fd, std::ptr::null_mut(), 0) };
        let size = usize::try_from(size).map_err(|_| io::Error::last_os_error())?;
        let mut list = vec![0u8; size];
        // SAFETY: the buffer is live and `list.len()` bytes long.
        let got = unsafe { libc::flistxattr(fd, list.as_mut_ptr().cast(), list.len()) };
        match usize::try_from(got) {
            Ok(got) => {
                list.truncate(got);
                let names = list.split(|&b| b == 0).filter(|n| !n.is_empty());
                return Ok(names.map(|n| OsString::from_vec(n.to_vec())).collect());
            }
            // The list grew between the two calls: ask again.
            Err(_) if io::Error::last_os_error().raw_os_error() == Some(libc::ERANGE) => continue,
            Err(_) => return Err(io::Error::last_os_error()),
        }
    }
}

/// The value of `file`'s extended attribute `name`.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn xattr_get(file: &File, name: &std::ffi::OsStr) -> io::Result<Vec<u8>> {
    let fd = file.as_raw_fd();
    let name = CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    loop {
        // SAFETY: a NUL-terminated name; a null buffer of size 0 asks for the size.
        let size = unsafe { libc::fgetxattr(fd, name.as_ptr(), std::ptr::null_mut(), 0) };
        let size = usize::try_from(size).map_err(|_| io::Error::last_os_error())?;
        let mut value = vec![0u8; size];
        // SAFETY: the name is NUL-terminated; the buffer is live and `value.len()` bytes long.
        let got = unsafe { libc::fgetxattr(fd, name.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
        match usize::try_from(got) {
            Ok(got) => {
                value.truncate(got);
                return Ok(value);
            }
            Err(_) if io::Error::last_os_error().raw_os_error() == Some(libc::ERANGE) => continue,
            Err(_) => return Err(io::Error::last_os_error()),
        }
    }
}

/// Sets `file`'s extended attribute `name` to `value`.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn xattr_set(file: &File, name: &std::ffi::OsStr, value: &[u8]) -> io::Result<()> {
    let name = CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated name and a live buffer of `value.len()` bytes.
    let result = unsafe { libc::fsetxattr(file.as_raw_fd(), name.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Removes `file`'s extended attribute `name`.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(super) fn xattr_remove(file: &File, name: &std::ffi::OsStr) -> io::Result<()> {
    let name = CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated name.
    if unsafe { libc::fremovexattr(file.as_raw_fd(), name.as_ptr()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The effective user id: who the kernel checks a rename against.
#[allow(unsafe_code)]
pub(super) fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
