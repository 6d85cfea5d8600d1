//! The destination of a write, checked and locked before any work is done.

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::{io_error, kind_of, Role, WriteError};
use super::input::Input;
use super::sys;

/// Whether [`Destination::prepare`] waits for another writer's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Wait until the other writer is done (then check the file again).
    Block,
    /// Fail at once with [`WriteError::Busy`].
    Fail,
}

/// Where a result will be written: checked to be a regular file or a path
/// that does not exist yet, resolved through symbolic links, and locked.
///
/// - A device, FIFO, socket or directory is refused, as is a symbolic link
///   to nothing and a path whose directory does not exist: before any work
///   is done, with a message that says what the path is.
/// - A symbolic link is followed (to the end of a chain): the file it points
///   to is replaced, and the link is kept.
/// - An existing file is locked (`flock(2)`, exclusive) until the write is
///   committed or abandoned, so two writers of one file are serialised: the
///   second waits ([`Wait::Block`]) or fails ([`Wait::Fail`]), and after
///   waiting it sees the first one's result. Writers that do not use this
///   module (`cp`, an editor) are not stopped by the lock.
/// - A path that does not exist yet is not locked: if another process
///   creates it while this one writes, the commit fails
///   ([`WriteError::Raced`]) instead of replacing that file.
#[derive(Debug)]
pub struct Destination {
    requested: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    name: OsString,
    existing: Option<Existing>,
}

/// The file at the destination when the write began.
#[derive(Debug)]
struct Existing {
    /// Open read-only, held for its lock until the write is committed or
    /// abandoned; `None` if it could not be opened for reading (a file one
    /// may replace but not read is not locked).
    _lock: Option<File>,
    dev: u64,
    ino: u64,
    nlink: u64,
}

/// What a path names, after following symbolic links.
enum Resolved {
    New(PathBuf),
    Existing(PathBuf),
}

impl Destination {
    /// Checks `out`, resolves it and locks the file there, if any. See the
    /// type's documentation for what is refused.
    ///
    /// ```
    /// use std::path::Path;
    /// use pkgimg::write_path::{Destination, Wait, WriteError};
    /// let error = Destination::prepare(Path::new("corpus"), Wait::Fail).unwrap_err();
    /// assert!(matches!(error, WriteError::Destination { .. }));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "corpus: cannot write the result there: it is a directory; the output must be a regular file \
    ///      or a path that does not exist yet"
    /// );
    /// ```
    pub fn prepare(out: &Path, wait: Wait) -> Result<Destination, WriteError> {
        if out.as_os_str().is_empty() {
            return Err(refused(out, "an empty path names no file".to_string()));
        }
        // `new/`, `new/.` and `x/..` can only ever name a directory: the
        // rename at the end would fail (ENOTDIR, ENOENT) after all the work
        // (audit 24 F6, review 24 F4). `Path` drops a last `.`: the bytes
        // tell.
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(out.as_os_str());
        let last = bytes.rsplit(|&b| b == b'/').next().unwrap_or_default();
        if bytes.ends_with(b"/") || last == b"." || last == b".." {
            return Err(refused(
                out,
                "a path ending in '/', '.' or '..' names a directory; the output must be a regular file".into(),
            ));
        }
        // A file replaced between the resolution and the lock (by a writer
        // that held the lock before us) is looked at again.
        let mut last = None;
        for _ in 0..100 {
            match Self::attempt(out, wait)? {
                Some(destination) => return Ok(destination),
                None => last = Some(()),
            }
        }
        let _ = last;
        Err(WriteError::Busy { path: out.to_path_buf() })
    }

    /// One try: `None` if the file at the path changed under us.
    fn attempt(out: &Path, wait: Wait) -> Result<Option<Destination>, WriteError> {
        let path = match resolve(out)? {
            Resolved::New(path) => {
                check_directory(out, &path)?;
                return Ok(Some(Destination::new(out, path, None)));
            }
            Resolved::Existing(path) => path,
        };
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path);
        let file = match opened {
            Ok(file) => file,
            // Replaced by a link, or removed, since `resolve`: look again.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOENT)) => return Ok(None),
            // Replaceable (the directory is writable) but not readable: no lock.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                let metadata = fs::symlink_metadata(&path).map_err(io_error(out, "look it up"))?;
                check_sticky(out, &path, &metadata)?;
                let existing = Existing::of(None, &metadata);
                return Ok(Some(Destination::new(out, path, Some(existing))));
            }
            Err(e) => return Err(io_error(out, "open it")(e)),
        };
        let metadata = file.metadata().map_err(io_error(out, "read its metadata"))?;
        if !metadata.is_file() {
            return Ok(None);
        }
        check_sticky(out, &path, &metadata)?;
        match sys::lock(&file, wait == Wait::Block) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(WriteError::Busy { path: out.to_path_buf() })
            }
            // A file system without flock: go on unlocked.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOLCK | libc::EOPNOTSUPP | libc::EINVAL)) => {}
            Err(e) => return Err(io_error(out, "lock it")(e)),
        }
        // Another writer may have renamed its result into place while we
        // waited: then our lock is on a file that is no longer there.
        match fs::symlink_metadata(&path) {
            Ok(now) if now.dev() == metadata.dev() && now.ino() == metadata.ino() => {
                let existing = Existing::of(Some(file), &metadata);
                Ok(Some(Destination::new(out, path, Some(existing))))
            }
            _ => Ok(None),
        }
    }

    fn new(requested: &Path, path: PathBuf, existing: Option<Existing>) -> Destination {
        let dir = parent(&path);
        let name = path.file_name().map(OsString::from).unwrap_or_default();
        Destination { requested: requested.to_path_buf(), path, dir, name, existing }
    }

    /// The path as the caller gave it (for messages).
    pub fn requested(&self) -> &Path {
        &self.requested
    }

    /// Where the result goes: the requested path with symbolic links
    /// resolved.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a file was there when the write began.
    pub fn existed(&self) -> bool {
        self.existing.is_some()
    }

    /// Whether `metadata` is that of the file at the destination (same
    /// device and inode): an output that is also an input.
    pub fn is(&self, metadata: &Metadata) -> bool {
        self.existing.as_ref().is_some_and(|e| e.dev == metadata.dev() && e.ino == metadata.ino())
    }

    /// Refuses `input` if it is the file at the destination.
    pub fn check_input(&self, input: &Input, role: Role) -> Result<(), WriteError> {
        if self.is(&input.metadata) {
            return Err(WriteError::SameFile { path: self.requested.clone(), input: input.path.clone(), role });
        }
        Ok(())
    }

    /// How many names the file at the destination had (1 for a new file).
    pub fn hard_links(&self) -> u64 {
        self.existing.as_ref().map_or(1, |e| e.nlink)
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn name(&self) -> &std::ffi::OsStr {
        &self.name
    }
}

impl Existing {
    fn of(file: Option<File>, metadata: &Metadata) -> Existing {
        Existing { _lock: file, dev: metadata.dev(), ino: metadata.ino(), nlink: metadata.nlink() }
    }
}

fn refused(path: &Path, reason: String) -> WriteError {
    WriteError::Destination { path: path.to_path_buf(), reason }
}

/// What `out` names, following symbolic links; refuses what is not a regular
/// file or a new path.
fn resolve(out: &Path) -> Result<Resolved, WriteError> {
    let metadata = match fs::symlink_metadata(out) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resolved::New(out.to_path_buf())),
        Err(e) => return Err(io_error(out, "look it up")(e)),
    };
    if metadata.is_file() {
        return Ok(Resolved::Existing(out.to_path_buf()));
    }
    if !metadata.file_type().is_symlink() {
        return Err(refused(out, not_a_file(kind_of(metadata.file_type()))));
    }
    if let Some(link) = descriptor_link(out) {
        return Err(refused(
            out,
            format!(
                "it leads through {}, a link to a file some process has open (/dev/stdout, \
                 /dev/fd/N): replacing that file would not write to the stream, it would \
                 discard what the file held; emit and extract write to standard output with -o -",
                link.display()
            ),
        ));
    }
    let target = fs::read_link(out).map_err(io_error(out, "read the symbolic link"))?;
    match fs::canonicalize(out) {
        Ok(real) => match fs::symlink_metadata(&real) {
            Ok(m) if m.is_file() => Ok(Resolved::Existing(real)),
            Ok(m) => Err(refused(
                out,
                format!("it is a symbolic link to {}, which is {}", real.display(), kind_of(m.file_type()))
                    + "; the output must be a regular file or a path that does not exist yet",
            )),
            Err(e) => Err(io_error(out, "look up where the symbolic link points")(e)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(refused(
            out,
            format!(
                "it is a symbolic link to {}, which does not exist; a link is followed only to an \
                 existing regular file, never to create one where it points",
                target.display()
            ),
        )),
        Err(e) => Err(io_error(out, "follow the symbolic link")(e)),
    }
}

/// The first link of the chain from `out` that lies in procfs, if any:
/// `/dev/stdout` and `/dev/fd/N` lead to `/proc/self/fd/N`, whose target is
/// whatever that descriptor has open (a shell's `>> log`, a terminal), not a
/// path chosen by the user. Following it would replace that file.
fn descriptor_link(out: &Path) -> Option<PathBuf> {
    let mut path = out.to_path_buf();
    // SYMLOOP_MAX on Linux; a longer chain fails canonicalize later anyway.
    for _ in 0..40 {
        if !fs::symlink_metadata(&path).ok()?.file_type().is_symlink() {
            return None;
        }
        let dir = fs::canonicalize(parent(&path)).ok()?;
        if dir.starts_with("/proc") {
            return Some(path);
        }
        // An absolute target replaces `dir`.
        path = dir.join(fs::read_link(&path).ok()?);
    }
    None
}

fn not_a_file(kind: &str) -> String {
    format!("it is {kind}; the output must be a regular file or a path that does not exist yet")
}

/// A new file can be made at `path` only in a directory that exists.
fn check_directory(out: &Path, path: &Path) -> Result<(), WriteError> {
    let dir = parent(path);
    match fs::metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => Err(refused(out, format!("{} is {}, not a directory", dir.display(), kind_of(m.file_type())))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(refused(out, format!("its directory {} does not exist", dir.display())))
        }
        Err(e) => Err(io_error(&dir, "look up the output's directory")(e)),
    }
}

/// In a sticky directory (mode 01000, as /tmp), rename(2) replaces a file
/// only for the file's owner, the directory's owner or a privileged
/// process (EPERM otherwise): refused here, before any work, and not at the
/// rename after it (audit 24 F8). Root is taken to have CAP_FOWNER.
fn check_sticky(out: &Path, path: &Path, file: &Metadata) -> Result<(), WriteError> {
    let dir = parent(path);
    let Ok(d) = fs::metadata(&dir) else { return Ok(()) };
    let euid = sys::effective_uid();
    // S_ISVTX, 0o1000 (POSIX <sys/stat.h>).
    if d.mode() & 0o1000 == 0 || euid == 0 || euid == file.uid() || euid == d.uid() {
        return Ok(());
    }
    Err(refused(
        out,
        format!(
            "{} is a sticky directory (mode {:o}) and the file is user {}'s: only its owner or the \
             directory's may replace it",
            dir.display(),
            d.mode() & 0o7777,
            file.uid()
        ),
    ))
}

/// The directory a path is in ("." for a bare file name).
pub(super) fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_in_the_current_directory() {
        assert_eq!(parent(Path::new("libFoo.so")), PathBuf::from("."));
        assert_eq!(parent(Path::new("/usr/lib/libFoo.so")), PathBuf::from("/usr/lib"));
    }

    #[test]
    fn a_second_writer_that_will_not_wait_is_told_the_file_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("lib.so");
        fs::write(&out, b"x").unwrap();
        let first = Destination::prepare(&out, Wait::Fail).unwrap();
        let second = Destination::prepare(&out, Wait::Fail).unwrap_err();
        assert!(matches!(second, WriteError::Busy { .. }), "{second}");
        drop(first);
        Destination::prepare(&out, Wait::Fail).unwrap();
    }

    #[test]
    fn a_link_to_an_open_descriptor_is_refused_and_its_file_kept() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        fs::write(&log, b"old lines\n").unwrap();
        let file = File::options().append(true).open(&log).unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        // What `-o /dev/stdout` is when the shell ran `jiscan ... >> app.log`.
        let through_dev_fd = PathBuf::from(format!("/dev/fd/{fd}"));
        let link = dir.path().join("stdout");
        std::os::unix::fs::symlink(format!("/proc/self/fd/{fd}"), &link).unwrap();
        for out in [through_dev_fd, PathBuf::from(format!("/proc/self/fd/{fd}")), link] {
            let error = Destination::prepare(&out, Wait::Fail).unwrap_err().to_string();
            assert!(error.contains("a link to a file some process has open"), "{}: {error}", out.display());
        }
        assert_eq!(fs::read(&log).unwrap(), b"old lines\n");
        // A link chain that stays out of /proc is still followed.
        let plain = dir.path().join("plain");
        std::os::unix::fs::symlink(&log, &plain).unwrap();
        drop(Destination::prepare(&plain, Wait::Fail).unwrap());
    }

    #[test]
    fn a_new_path_needs_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("missing/lib.so");
        let error = Destination::prepare(&out, Wait::Fail).unwrap_err().to_string();
        assert!(error.ends_with("does not exist"), "{error}");
    }
}
