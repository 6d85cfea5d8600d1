//! Opening files (memory-mapped, read-only) and walking directory trees.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use pkgimg::MappedFile;

/// Maps `path` read-only ([`MappedFile`]: random-access advice, so the
/// cost of a scan does not depend on file sizes). Errors are messages
/// without the path.
pub fn map(path: &Path) -> Result<MappedFile, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot open: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    // mmap of zero bytes fails (EINVAL); an empty file is simply not an object file.
    if meta.len() == 0 {
        return Err("empty file".to_owned());
    }
    MappedFile::open(path).map_err(|e| format!("cannot map: {e}"))
}

/// What a walk found at a path.
pub enum Found {
    /// A regular file (or a symbolic link to one).
    File(PathBuf),
    /// Something that is not scanned, and why: a broken link, a device, an
    /// unreadable directory, a directory loop, a path that does not exist.
    Problem(PathBuf, String),
}

/// Walks `roots` in order, directories recursively with their entries sorted
/// by name, and hands every file and every problem to `visit`; nothing is
/// skipped silently. Symbolic links are followed, to files and directories,
/// except into a directory that is already being walked (a loop), which is
/// a problem. Stops at the first error `visit` returns.
pub fn walk(roots: &[PathBuf], visit: &mut dyn FnMut(Found) -> io::Result<()>) -> io::Result<()> {
    let mut ancestors = Vec::new();
    for root in roots {
        walk_path(root.clone(), &mut ancestors, visit)?;
    }
    Ok(())
}

fn walk_path(
    path: PathBuf,
    ancestors: &mut Vec<PathBuf>,
    visit: &mut dyn FnMut(Found) -> io::Result<()>,
) -> io::Result<()> {
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) => {
            let link = fs::symlink_metadata(&path).map(|m| m.file_type().is_symlink()).unwrap_or(false);
            let why = if link { format!("broken symbolic link: {e}") } else { e.to_string() };
            return visit(Found::Problem(path, why));
        }
    };
    if meta.is_file() {
        return visit(Found::File(path));
    }
    if !meta.is_dir() {
        return visit(Found::Problem(path, "not a regular file or directory".to_owned()));
    }
    // A directory is identified by its canonical path: reaching one that is
    // already on the way down means a symbolic link loops back.
    let canonical = match fs::canonicalize(&path) {
        Ok(canonical) => canonical,
        Err(e) => return visit(Found::Problem(path, format!("cannot resolve directory: {e}"))),
    };
    if ancestors.contains(&canonical) {
        let why = format!("directory loop: this is {}, already being scanned", canonical.display());
        return visit(Found::Problem(path, why));
    }
    let entries =
        match fs::read_dir(&path).and_then(|dir| dir.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>()) {
            Ok(entries) => entries,
            Err(e) => return visit(Found::Problem(path, format!("cannot read directory: {e}"))),
        };
    let mut entries = entries;
    entries.sort();
    ancestors.push(canonical);
    let result = entries.into_iter().try_for_each(|entry| walk_path(entry, ancestors, visit));
    ancestors.pop();
    result
}
