//! Split images: one data library shared by several code caches. A code
//! cache depends on its data library through the platform's own dependency
//! record; [`find_data_library`] follows that record the way the platform
//! loader would, as far as the file and the file system tell, and returns the
//! one dependency that carries a payload, without loading anything.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::path::{find_ji_payload_checked, open_with_len};
use crate::{DependencyKind, Error, Format, Located, MappedFile};

/// A code cache no larger than this is read whole with one `read` rather
/// than mapped: for a small file, mapping costs several times the read (§2
/// of BENCHMARKS.md), and the dependency walk wants only its headers.
const READ_WHOLE: u64 = 64 << 10;

/// A code cache's data library, found by [`find_data_library`]: where its
/// payload is, from its headers alone (read, not mapped), and the file, kept
/// open so that the payload can be read without opening it again.
#[derive(Debug)]
pub struct FoundDataLibrary {
    /// The data library's path, as resolved.
    pub path: PathBuf,
    /// The dependency record that led to it, as the code cache stores it
    /// (`libFoo_data.so`, `@rpath/libFoo_data.dylib`, `Foo_data.dll`).
    pub name: String,
    /// The dependencies that were not followed, and why (outside the code
    /// cache's reach, not found, no payload), in header order.
    pub skipped: Vec<Skipped>,
    located: Located,
    file: File,
}

impl FoundDataLibrary {
    /// Where the data library's payload is (for a universal file, in the
    /// host's slice), and its frame.
    pub fn located(&self) -> &Located {
        &self.located
    }

    /// The data library, open for reading: `read_at(buf, located().offset())`
    /// reads the payload's first bytes without mapping anything.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The data library mapped, for a caller that wants the payload's bytes
    /// ([`crate::find_ji_payload`] on them gives the [`crate::Payload`], to verify).
    pub fn map(&self) -> Result<MappedFile, SplitError> {
        MappedFile::from_file(&self.file).map_err(|source| SplitError::Io { path: self.path.clone(), source })
    }
}

/// A dependency [`find_data_library`] did not take, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The dependency as recorded.
    pub name: String,
    /// Why it was not taken.
    pub reason: String,
}

/// Why no single data library was found. Every variant names the code cache.
#[derive(Debug)]
#[non_exhaustive]
pub enum SplitError {
    /// The code cache could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The code cache's headers are malformed.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        source: Error,
    },
    /// No dependency carries a payload; `candidates` says what each was.
    NoDataLibrary {
        /// The code cache.
        code: PathBuf,
        /// Every dependency, and why it is not a data library.
        candidates: Vec<Skipped>,
    },
    /// More than one dependency carries a payload.
    Ambiguous {
        /// The code cache.
        code: PathBuf,
        /// The dependencies that carry one, as resolved.
        found: Vec<PathBuf>,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            SplitError::Format { path, source } => write!(f, "{}: {source}", path.display()),
            SplitError::NoDataLibrary { code, candidates } => {
                write!(f, "{}: no dependency is a data library", code.display())?;
                if candidates.is_empty() {
                    return f.write_str(" (it has no dependencies)");
                }
                f.write_str(": ")?;
                for (i, c) in candidates.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{} ({})", c.name, c.reason)?;
                }
                Ok(())
            }
            SplitError::Ambiguous { code, found } => {
                write!(f, "{}: more than one dependency is a data library:", code.display())?;
                for path in found {
                    write!(f, " {}", path.display())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SplitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SplitError::Io { source, .. } => Some(source),
            SplitError::Format { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Finds the data library of the code cache at `code`: the one dependency
/// that carries a payload, resolved as its platform's loader would, limited
/// to what the file and the file system tell:
///
/// - ELF: `DT_NEEDED` names are looked up in the `$ORIGIN`-relative entries
///   of `DT_RPATH` (when there is no `DT_RUNPATH`) and `DT_RUNPATH`, then in
///   the code cache's own directory; a name with a `/` is a path from the
///   code cache's directory;
/// - Mach-O: `@loader_path/…`, `@rpath/…` through each `LC_RPATH`
///   (`@loader_path`-relative or absolute), and absolute install names;
/// - PE: the code cache's own directory.
///
/// System libraries outside the code cache's reach are never opened: such a
/// dependency is skipped and reported in [`FoundDataLibrary::skipped`]. It is
/// an error if no dependency, or more than one, carries a payload.
pub fn find_data_library(code: &Path) -> Result<FoundDataLibrary, SplitError> {
    let io_error = |source| SplitError::Io { path: code.to_path_buf(), source };
    let (file, len) = open_with_len(code).map_err(io_error)?;
    if len <= READ_WHOLE {
        // One pread of the length lseek gave: a file that shrank meanwhile
        // fails here, one that grew is read as it was.
        let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
        file.read_exact_at(&mut bytes, 0).map_err(io_error)?;
        return find_data_library_in(code, &bytes);
    }
    let map = MappedFile::from_file(&file).map_err(io_error)?;
    find_data_library_in(code, map.bytes())
}

/// [`find_data_library`] for a code cache whose bytes the caller already
/// holds (a tool that has mapped the file to look at it), so that it is not
/// opened and mapped again; `code` is its path, from which dependencies are
/// resolved.
pub fn find_data_library_in(code: &Path, bytes: &[u8]) -> Result<FoundDataLibrary, SplitError> {
    Resolver::default().find_in(code, bytes)
}

/// Finds the data libraries of many code caches, remembering which
/// dependency files carry no payload: a library that many code caches
/// depend on (`libc.so.6` beside them in a system directory) is then opened
/// once, not once per code cache. What it remembers holds for one pass over
/// files that do not change meanwhile, such as one `jiscan scan`.
#[derive(Debug, Default)]
pub struct Resolver {
    /// Dependency files already opened that carry no payload, and why.
    not_data: HashMap<PathBuf, String>,
    /// Candidate paths already looked at, and whether a regular file was
    /// there: the libraries of one directory mostly name the same
    /// dependencies, each looked for in the same places.
    exists: RefCell<HashMap<PathBuf, bool>>,
}

impl Resolver {
    /// [`find_data_library_in`], remembering what it learns.
    pub fn find_in(&mut self, code: &Path, bytes: &[u8]) -> Result<FoundDataLibrary, SplitError> {
        let format_error = |source| SplitError::Format { path: code.to_path_buf(), source };
        let slice = crate::host_slice(bytes).map_err(format_error)?;
        let format = slice.format().map_err(format_error)?;
        let dir = code.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let mut search = Search { dir, runpath: Vec::new(), rpath: Vec::new(), exists: &self.exists };
        let mut libraries = Vec::new();
        for dependency in slice.dependencies().map_err(format_error)? {
            let dependency = dependency.map_err(format_error)?;
            let name = String::from_utf8_lossy(dependency.name).into_owned();
            match dependency.kind {
                DependencyKind::RunPath => search.runpath.extend(name.split(':').map(str::to_owned)),
                DependencyKind::RPath | DependencyKind::Rpath => {
                    search.rpath.extend(name.split(':').map(str::to_owned))
                }
                kind if kind.is_library() => libraries.push(name),
                _ => {}
            }
        }
        let (mut found, mut skipped) = (Vec::new(), Vec::new());
        for name in libraries {
            match search.resolve(format, &name) {
                Err(reason) => skipped.push(Skipped { name, reason }),
                Ok(path) => match self.not_data.get(&path).map_or_else(|| carries_payload(&path), |r| Err(r.clone())) {
                    Ok(library) => found.push((name, path, library)),
                    Err(reason) => {
                        let reason = self.not_data.entry(path.clone()).or_insert(reason);
                        skipped.push(Skipped { name, reason: format!("{}: {reason}", path.display()) });
                    }
                },
            }
        }
        match found.len() {
            0 => Err(SplitError::NoDataLibrary { code: code.to_path_buf(), candidates: skipped }),
            1 => {
                let (name, path, (file, located)) = found.remove(0);
                Ok(FoundDataLibrary { path, name, skipped, located, file })
            }
            _ => {
                Err(SplitError::Ambiguous { code: code.to_path_buf(), found: found.into_iter().map(|f| f.1).collect() })
            }
        }
    }
}

/// The file at `path`, open, and where its payload is, if it carries one
/// (found by reading its headers, not mapping it); otherwise why not.
fn carries_payload(path: &Path) -> Result<(File, Located), String> {
    let (file, len) = open_with_len(path).map_err(|e| format!("cannot open: {e}"))?;
    match find_ji_payload_checked(&file, len, path) {
        Ok(located) => Ok((file, located)),
        Err(crate::LocateError::Format { source, .. }) => Err(format!("not a data library: {source}")),
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

/// Where a code cache's loader would look, as far as the file tells.
struct Search<'r> {
    /// The code cache's directory (`$ORIGIN`, `@loader_path`).
    dir: PathBuf,
    runpath: Vec<String>,
    /// ELF `DT_RPATH`, or Mach-O `LC_RPATH`.
    rpath: Vec<String>,
    /// The resolver's memory of which candidate paths exist.
    exists: &'r RefCell<HashMap<PathBuf, bool>>,
}

impl Search<'_> {
    /// The path the loader would open for the dependency `name`, or why it
    /// is not followed.
    fn resolve(&self, format: Format, name: &str) -> Result<PathBuf, String> {
        match format {
            Format::Elf => self.elf(name),
            Format::MachO => self.macho(name),
            Format::Pe | Format::Coff => self
                .existing(self.dir.join(name))
                .ok_or_else(|| "not in the code cache's directory (system DLLs are not searched)".to_owned()),
        }
    }

    /// ld.so: a name with a slash is a path; otherwise `DT_RPATH` (ignored
    /// when `DT_RUNPATH` exists), `DT_RUNPATH`, and here the code cache's
    /// directory instead of the system's. Only `$ORIGIN` entries are within
    /// reach.
    fn elf(&self, name: &str) -> Result<PathBuf, String> {
        if name.contains('/') {
            return self.existing(self.dir.join(name)).ok_or_else(|| "no such file".to_owned());
        }
        let rpath = if self.runpath.is_empty() { &self.rpath[..] } else { &[] };
        let origin = self.dir.to_string_lossy();
        let dirs = rpath.iter().chain(&self.runpath).filter_map(|entry| {
            let rest = entry.strip_prefix("$ORIGIN").or_else(|| entry.strip_prefix("${ORIGIN}"))?;
            Some(PathBuf::from(format!("{origin}{rest}")))
        });
        dirs.chain(std::iter::once(self.dir.clone())).find_map(|dir| self.existing(dir.join(name))).ok_or_else(|| {
            "not found through $ORIGIN or in the code cache's directory (system paths are not searched)".to_owned()
        })
    }

    /// dyld: `@loader_path/`, `@rpath/` through each `LC_RPATH`, absolute
    /// install names; `@executable_path` depends on the program.
    fn macho(&self, name: &str) -> Result<PathBuf, String> {
        if let Some(rest) = name.strip_prefix("@loader_path/") {
            return self.existing(self.dir.join(rest)).ok_or_else(|| "no such file".to_owned());
        }
        if let Some(rest) = name.strip_prefix("@rpath/") {
            let dirs = self.rpath.iter().filter_map(|entry| match entry.strip_prefix("@loader_path") {
                Some(tail) => Some(PathBuf::from(format!("{}{tail}", self.dir.to_string_lossy()))),
                None if entry.starts_with('/') => Some(PathBuf::from(entry)),
                None => None,
            });
            return dirs
                .into_iter()
                .find_map(|dir| self.existing(dir.join(rest)))
                .ok_or_else(|| "not found through any LC_RPATH within reach".to_owned());
        }
        if name.starts_with('/') {
            return self.existing(PathBuf::from(name)).ok_or_else(|| "no such file".to_owned());
        }
        Err("depends on the program that loads it (@executable_path or a relative name)".to_owned())
    }
}

impl Search<'_> {
    /// `path`, if a regular file is there (asked once per path and resolver).
    fn existing(&self, path: PathBuf) -> Option<PathBuf> {
        if let Some(&known) = self.exists.borrow().get(&path) {
            return known.then_some(path);
        }
        let is_file = path.is_file();
        self.exists.borrow_mut().insert(path.clone(), is_file);
        is_file.then_some(path)
    }
}
