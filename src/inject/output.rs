//! The temporary output file: created next to the destination, so that the
//! finished file can be renamed into place (rename(2) is atomic, and does
//! not cross file systems); removed when dropped unless it was committed.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use crate::write::error::{io_error, InjectError};

/// The temporary output: removed on drop unless committed.
pub(super) struct TempFile {
    pub(super) path: PathBuf,
    pub(super) file: File,
    keep: bool,
}

impl TempFile {
    /// Creates `.NAME.pkgimg-XXXXXX` next to `out`, readable and writable.
    pub(super) fn create(out: &Path) -> Result<TempFile, InjectError> {
        let dir = parent(out);
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let seed = name_seed();
        let mut last = None;
        for attempt in 0u32..64 {
            let tag = seed.wrapping_add(attempt.wrapping_mul(0x9e37_79b9)) & 0xff_ffff;
            let path = dir.join(format!(".{name}.pkgimg-{tag:06x}"));
            match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(file) => return Ok(TempFile { path, file, keep: false }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(io_error(&path, "create the temporary file")(e)),
            }
        }
        let e = last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
        Err(io_error(&dir, "find an unused temporary file name")(e))
    }

    /// Gives the file the library's permission bits and waits until its
    /// bytes are on disk, so that the rename publishes a complete file.
    pub(super) fn set_permissions_and_sync(&self, permissions: Permissions) -> Result<(), InjectError> {
        let path = self.path.as_path();
        self.file.set_permissions(permissions).map_err(io_error(path, "set the permissions of the temporary file"))?;
        self.file.sync_all().map_err(io_error(path, "sync the temporary file"))
    }

    /// Renames the file to `out` and makes the rename durable.
    pub(super) fn commit(mut self, out: &Path) -> Result<(), InjectError> {
        fs::rename(&self.path, out).map_err(io_error(out, "rename the temporary file into place"))?;
        self.keep = true;
        let dir = parent(out);
        File::open(&dir).and_then(|d| d.sync_all()).map_err(io_error(&dir, "sync the directory"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where the temporary names start: different for processes started at the
/// same moment, so that concurrent injections into one directory rarely
/// collide (`create_new` makes a collision a retry, never a clash).
fn name_seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0)
        ^ std::process::id().rotate_left(16)
}

/// The directory a path is in ("." for a bare file name).
fn parent(path: &Path) -> PathBuf {
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
    fn an_uncommitted_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("libFoo.so");
        let temp = TempFile::create(&out).unwrap();
        let name = temp.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".libFoo.so.pkgimg-"), "{name}");
        assert!(temp.path.exists());
        let path = temp.path.clone();
        drop(temp);
        assert!(!path.exists());
        assert!(!out.exists());
    }
}
