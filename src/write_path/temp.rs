//! The temporary file a result is written to, next to its destination, and
//! the commit that renames it into place.
//!
//! Its life:
//!
//! 1. [`TempFile::create`] first removes the temporary files of this
//!    destination that dead processes left (a live writer holds a lock on
//!    its own; a dead one's lock went with it), then creates a new one with
//!    mode `0000`, locks it, and only then makes it `0600`: an empty file
//!    with mode `0000` is one being created, which no other run touches (a
//!    process killed in that instant leaves an empty file behind).
//! 2. The caller writes the result into [`TempFile::file`].
//! 3. [`TempFile::finish`] gives it its owner, group and mode (and, for an
//!    in-place write, the extended attributes of the file it replaces), and
//!    waits until it is on disk.
//! 4. [`TempFile::commit`] renames it over the destination (atomically: a
//!    reader sees the old file or the new one) and syncs the directory.
//!
//! Dropped without a commit, it is removed; a signal removes it too (see
//! [`remove_temporary_files_on_signals`](super::remove_temporary_files_on_signals)).

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::attributes::Attributes;
use super::destination::Destination;
use super::error::{io_error, WriteError};
use super::names;
use super::signals::{self, Registration};
use super::sys;

/// A result being written, next to its destination; removed when dropped
/// unless committed.
#[derive(Debug)]
pub struct TempFile {
    destination: Destination,
    path: PathBuf,
    file: File,
    registration: Option<Registration>,
    removed: Vec<PathBuf>,
    warnings: Vec<String>,
    committed: bool,
}

/// What [`TempFile::commit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Committed {
    /// The file written (the destination, symbolic links resolved).
    pub path: PathBuf,
    /// Things the user should know although the result is in place, each a
    /// sentence naming the file: a setuid bit dropped, an extended attribute
    /// not copied, hard links that still show the old file, a directory
    /// that could not be synced.
    pub warnings: Vec<String>,
    /// Temporary files of the same destination, left by processes that
    /// died, which were removed.
    pub removed: Vec<PathBuf>,
}

impl Destination {
    /// Creates the temporary file for this destination (see [`TempFile`]).
    /// Defined here, beside the temporary file, so that `destination.rs`
    /// needs nothing of this module.
    pub fn create_temp(self) -> Result<TempFile, WriteError> {
        TempFile::create(self)
    }
}

impl TempFile {
    /// Creates the temporary file for `destination` in its directory (the
    /// same file system, so the rename is atomic): `.NAME.pkgimg-XXXXXX`, or
    /// `.pkgimg-HASH-XXXXXX` when NAME is too long for that.
    pub fn create(destination: Destination) -> Result<TempFile, WriteError> {
        let removed = remove_stale(&destination);
        let seed = name_seed();
        let mut short = false;
        let mut last = None;
        for attempt in 0u32..64 {
            let tag = seed.wrapping_add(attempt.wrapping_mul(0x9e37_79b9));
            let name = match names::long_form(destination.name(), tag) {
                Some(name) if !short => name,
                _ => names::short_form(destination.name(), tag),
            };
            let path = destination.dir().join(name);
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o000)
                .custom_flags(libc::O_CLOEXEC)
                .open(&path);
            let file = match opened {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    last = Some(e);
                    continue;
                }
                // A file system with names shorter than 255 bytes: the short form.
                Err(e) if e.raw_os_error() == Some(libc::ENAMETOOLONG) && !short => {
                    short = true;
                    continue;
                }
                Err(e) => return Err(io_error(destination.requested(), "create a temporary file in its directory")(e)),
            };
            let registration = signals::register(&path);
            let temp =
                TempFile { destination, path, file, registration, removed, warnings: Vec::new(), committed: false };
            // The lock tells a later run that this file's writer is alive.
            // A file system without locks makes that run leave it alone.
            let _ = sys::lock(&temp.file, false);
            let requested = temp.destination.requested().to_path_buf();
            temp.file
                .set_permissions(Permissions::from_mode(0o600))
                .map_err(io_error(&requested, "set the mode of its temporary file"))?;
            return Ok(temp);
        }
        let e = last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
        Err(io_error(destination.requested(), "find an unused temporary file name")(e))
    }

    /// The open temporary file, read-write.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The files of dead writers of this destination that were removed
    /// when this one was created.
    pub fn removed(&self) -> &[PathBuf] {
        &self.removed
    }

    /// Adds files that another temporary file's creation removed for this
    /// write (a `--compress` scratch's), so that the commit reports them.
    pub fn add_removed(&mut self, paths: &[PathBuf]) {
        self.removed.extend_from_slice(paths);
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The destination as the caller gave it: the file that messages name.
    pub fn destination(&self) -> &Path {
        self.destination.requested()
    }

    /// Gives the complete file `attributes` (see [`Attributes`] for what is
    /// kept when the process may not), copies the extended attributes of
    /// `xattrs_from` (the file an in-place write replaces; Linux only), and
    /// waits until the file is on disk. Call it after the last write: writing
    /// to a file clears its setuid bits and file capabilities.
    pub fn finish(&mut self, attributes: &Attributes, xattrs_from: Option<&File>) -> Result<(), WriteError> {
        let out = self.destination.requested().to_path_buf();
        let before = self.file.metadata().map_err(io_error(&out, "read its temporary file's metadata"))?;
        if (before.uid(), before.gid()) != (attributes.uid, attributes.gid) {
            let both = std::os::unix::fs::fchown(&self.file, Some(attributes.uid), Some(attributes.gid));
            if both.is_err() && before.gid() != attributes.gid {
                // A user may still give the file to a group they are in.
                let _ = std::os::unix::fs::fchown(&self.file, None, Some(attributes.gid));
            }
        }
        let now = self.file.metadata().map_err(io_error(&out, "read its temporary file's metadata"))?;
        let mut mode = attributes.mode & 0o7777;
        let mut dropped = Vec::new();
        if now.uid() != attributes.uid && mode & 0o4000 != 0 {
            mode &= !0o4000;
            dropped.push(format!(
                "setuid (the owner {} could not be kept; the file belongs to {})",
                attributes.uid,
                now.uid()
            ));
        }
        if now.gid() != attributes.gid && mode & 0o2000 != 0 {
            mode &= !0o2000;
            dropped.push(format!("setgid (the group {} could not be kept; it is {})", attributes.gid, now.gid()));
        }
        if !dropped.is_empty() {
            self.warnings.push(format!("{}: dropped the {} bit", out.display(), dropped.join(" and the ")));
        }
        self.file.set_permissions(Permissions::from_mode(mode)).map_err(io_error(&out, "set the result's mode"))?;
        if let Some(source) = xattrs_from {
            self.copy_xattrs(source, &out);
        }
        self.file.sync_all().map_err(io_error(&out, "sync its temporary file to disk"))
    }

    #[cfg(target_os = "linux")]
    fn copy_xattrs(&mut self, source: &File, out: &Path) {
        let names = match sys::xattr_names(source) {
            Ok(names) => names,
            Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return,
            Err(e) => {
                self.warnings.push(format!("{}: extended attributes not kept: cannot list them: {e}", out.display()));
                return;
            }
        };
        // The new file may have inherited an access ACL from its directory's
        // default ACL; a result with an ACL its source lacks could grant
        // more than the source did (review 18 F4). Its mode, set already,
        // is the source's once the ACL is gone.
        let acl = std::ffi::OsStr::new("system.posix_acl_access");
        if !names.iter().any(|n| n == acl) && sys::xattr_get(&self.file, acl).is_ok() {
            if let Err(e) = sys::xattr_remove(&self.file, acl) {
                self.warnings.push(format!("{}: kept an access ACL its source lacks: {e}", out.display()));
            }
        }
        for name in names {
            let result = sys::xattr_get(source, &name).and_then(|value| {
                // The new file may already have it (an SELinux label from its directory).
                if sys::xattr_get(&self.file, &name).is_ok_and(|v| v == value) {
                    return Ok(());
                }
                sys::xattr_set(&self.file, &name, &value)
            });
            if let Err(e) = result {
                let name = name.to_string_lossy();
                self.warnings.push(format!("{}: extended attribute {name} not kept: {e}", out.display()));
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn copy_xattrs(&mut self, _source: &File, _out: &Path) {}

    /// Renames the file over the destination and syncs the directory. If the
    /// destination did not exist when the write began and exists now,
    /// nothing is replaced ([`WriteError::Raced`]). Once the rename is done
    /// the result is in place: a directory that cannot be synced is a
    /// warning in [`Committed`], not an error.
    pub fn commit(self) -> Result<Committed, WriteError> {
        self.commit_with(|dir| File::open(dir).and_then(|d| d.sync_all()))
    }

    fn commit_with(mut self, sync_dir: impl FnOnce(&Path) -> io::Result<()>) -> Result<Committed, WriteError> {
        let out = self.destination.requested().to_path_buf();
        let target = self.destination.path().to_path_buf();
        // Out of the signal table first: after the rename this name is free
        // for another process's temporary file, which a handler must not remove.
        drop(self.registration.take());
        let renamed = if self.destination.existed() {
            fs::rename(&self.path, &target)
        } else {
            sys::rename_noreplace(&self.path, &target)
        };
        match renamed {
            Ok(()) => self.committed = true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(WriteError::Raced { path: out }),
            Err(e) => return Err(io_error(&out, "rename its temporary file into place")(e)),
        }
        let mut warnings = std::mem::take(&mut self.warnings);
        let links = self.destination.hard_links();
        if links > 1 {
            warnings.push(format!(
                "{}: the file it replaced had {links} hard links; only this name shows the new file, the \
                 other {} still show the old one",
                out.display(),
                links.saturating_sub(1)
            ));
        }
        if let Err(e) = sync_dir(self.destination.dir()) {
            warnings.push(format!(
                "{}: written, but syncing its directory {} failed ({e}); after a system crash the old \
                 file may reappear",
                out.display(),
                self.destination.dir().display()
            ));
        }
        Ok(Committed { path: target, warnings, removed: std::mem::take(&mut self.removed) })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        drop(self.registration.take());
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Removes the temporary files of `destination` whose writers are dead: not
/// locked by anyone, and not being created (empty with mode `0000`). Best
/// effort: a file that cannot be opened or locked is left alone.
///
/// A write of NAME also removes those of NAME's `--compress` scratch
/// destination ([`names::COMPRESS_SCRATCH`]), which a killed compressing
/// run leaves and which may be as large as its payload (review 18 F8).
fn remove_stale(destination: &Destination) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(destination.dir()) else { return Vec::new() };
    let scratch = names::companion(destination.name(), names::COMPRESS_SCRATCH);
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if names::belongs_to(&name, destination.name()) || names::belongs_to(&name, &scratch) {
            let path = destination.dir().join(&name);
            if remove_if_dead(&path, &name) {
                removed.push(path);
            }
        }
    }
    removed
}

fn remove_if_dead(path: &Path, _name: &OsStr) -> bool {
    let opened =
        OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path);
    let Ok(file) = opened else { return false };
    let Ok(metadata) = file.metadata() else { return false };
    // Mode 0000 and empty: a file being created (its lock may not be taken
    // yet). A finished one may have mode 0000 (a library's), but has bytes.
    let creating = metadata.mode() & 0o777 == 0 && metadata.len() == 0;
    if !metadata.is_file() || creating {
        return false;
    }
    if sys::lock(&file, false).is_err() {
        return false;
    }
    // Still the file we locked (not one created since under the same name)?
    let same = fs::symlink_metadata(path).is_ok_and(|m| m.dev() == metadata.dev() && m.ino() == metadata.ino());
    same && fs::remove_file(path).is_ok()
}

/// Where the temporary names start: different for processes started at the
/// same moment, so that concurrent writers rarely collide (`create_new`
/// makes a collision a retry, never a clash).
fn name_seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0)
        ^ std::process::id().rotate_left(16)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use super::super::destination::Wait;
    use super::*;

    fn temp_for(out: &Path) -> TempFile {
        Destination::prepare(out, Wait::Fail).unwrap().create_temp().unwrap()
    }

    #[test]
    fn an_uncommitted_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("libFoo.so");
        let temp = temp_for(&out);
        let name = temp.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".libFoo.so.pkgimg-"), "{name}");
        assert_eq!(fs::metadata(temp.path()).unwrap().mode() & 0o777, 0o600);
        let path = temp.path().to_path_buf();
        drop(temp);
        assert!(!path.exists());
        assert!(!out.exists());
    }

    #[test]
    fn a_failed_directory_sync_after_the_rename_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.bin");
        let mut temp = temp_for(&out);
        io::Write::write_all(&mut temp.file(), b"new").unwrap();
        let source = fs::metadata(dir.path()).unwrap();
        temp.finish(&Attributes { mode: 0o644, uid: source.uid(), gid: source.gid() }, None).unwrap();
        let committed = temp.commit_with(|_| Err(io::Error::from_raw_os_error(libc::EIO))).unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"new", "the result is in place");
        assert_eq!(committed.warnings.len(), 1, "{:?}", committed.warnings);
        assert!(committed.warnings[0].contains("syncing its directory"), "{:?}", committed.warnings);
    }

    #[test]
    fn a_dead_writers_file_is_removed_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("lib.so");
        // A live writer: its lock is held by this open file.
        let live = temp_for(&out);
        // A dead writer's file: right name, mode 0600, nobody holds a lock.
        let dead = dir.path().join(".lib.so.pkgimg-00dead");
        fs::write(&dead, b"partial").unwrap();
        fs::set_permissions(&dead, Permissions::from_mode(0o600)).unwrap();
        // Another destination's file is not this run's business.
        let other = dir.path().join(".other.so.pkgimg-00dead");
        fs::write(&other, b"partial").unwrap();
        // One being created by a writer that has not locked it yet: empty, mode 0000.
        let creating = dir.path().join(".lib.so.pkgimg-0c0c0c");
        fs::write(&creating, b"").unwrap();
        fs::set_permissions(&creating, Permissions::from_mode(0o000)).unwrap();
        let second = Destination::prepare(&out, Wait::Fail).unwrap().create_temp().unwrap();
        assert_eq!(second.removed, vec![dead.clone()]);
        assert!(!dead.exists() && live.path().exists() && other.exists() && creating.exists());
    }

    #[test]
    fn a_new_destination_created_meanwhile_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new.bin");
        let temp = temp_for(&out);
        fs::write(&out, b"someone else's").unwrap();
        let error = temp.commit().unwrap_err();
        assert!(matches!(error, WriteError::Raced { .. }), "{error}");
        assert_eq!(fs::read(&out).unwrap(), b"someone else's");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is gone");
    }
}
