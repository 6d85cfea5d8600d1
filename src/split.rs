//! Split images: one data library shared by several code caches. A code
//! cache depends on its data library through the platform's own dependency
//! record; [`find_data_library`] follows that record the way the platform
//! loader would, as far as the file and the file system tell, and returns the
//! one dependency that carries a payload, without loading anything.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::path::{dependencies_of, open, with_buffer, Failure, Machine};

mod candidate;
mod search;
use crate::{DependencyKind, Error, Located, MappedFile, Payload, Slice};
use search::{Budget, FirstSeen, Search};

/// The first read of a code cache. A file up to this size is read whole by
/// that one `pread` (its length is where the read stops short); of a larger
/// one these bytes are the head, and the walk reads with `pread` only what
/// it still needs ([`dependencies_of`]), after an `lseek` for the length.
/// Nothing is mapped: open, mmap, faults and munmap cost several times the
/// reads (BENCHMARKS.md §7). 16 KiB holds a small library whole (the gcc
/// code cache of §7 is 15 KiB) and copies little of a large one, whose
/// dynamic table lies megabytes further: a `pread` of 64 KiB costs 2.7 µs
/// here, one of 16 KiB 0.9–1.1 µs.
const FIRST_READ: usize = 16 << 10;

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
    /// Where the data library's payload is, and its frame. Of a universal
    /// data library, the payload is that of the slice the loader would map
    /// with the code cache: the one of the code cache image's architecture
    /// (Mach-O `cputype` and `cpusubtype`), whatever the host's;
    /// [`Located::slice`] gives its index.
    pub fn located(&self) -> &Located {
        &self.located
    }

    /// The data library, open for reading: `read_at(buf, located().offset())`
    /// reads the payload's first bytes without mapping anything.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The data library mapped, for a caller that wants the payload's bytes
    /// ([`FoundDataLibrary::payload`] on them gives the [`Payload`], to verify).
    pub fn map(&self) -> Result<MappedFile, SplitError> {
        MappedFile::from_file(&self.file).map_err(|source| SplitError::Io { path: self.path.clone(), source })
    }

    /// The payload in `bytes`, the data library's contents ([`FoundDataLibrary::map`]):
    /// of a universal file, in the slice [`FoundDataLibrary::located`] names,
    /// not the host's that [`crate::find_ji_payload`] would take.
    ///
    /// ```no_run
    /// let found = pkgimg::find_data_library("libFoo.dylib".as_ref())?;
    /// let map = found.map()?;
    /// found.payload(&map)?.verify()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn payload<'m>(&self, bytes: &'m [u8]) -> Result<Payload<'m>, Error> {
        let Some(index) = self.located.slice() else { return crate::find_ji_payload(bytes) };
        let slices = crate::slices(bytes)?;
        // `located` found the slice in this file; a file that changed since
        // may have fewer.
        let mut slices = slices.skip(usize::try_from(index).unwrap_or(usize::MAX));
        let slice = slices.next().ok_or(Error::NoHostSlice {
            host: self.located.image().arch,
            slices: [crate::Arch::Unknown(0); crate::MAX_LISTED_SLICES],
            count: 0,
        })??;
        slice.find_ji_payload()
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
    /// The code cache names more than a search tries: more than 1,024
    /// places (its dependencies times their run path entries), or more
    /// than 1 MiB of names or paths. No real code cache comes near; a
    /// hostile one would otherwise cost their product in time and memory.
    SearchLimit {
        /// The code cache.
        code: PathBuf,
        /// Which limit, and where the search stopped.
        reason: String,
    },
}

impl SplitError {
    /// The file the error is about: the code cache.
    pub fn path(&self) -> &Path {
        match self {
            SplitError::Io { path, .. } | SplitError::Format { path, .. } => path,
            SplitError::NoDataLibrary { code, .. }
            | SplitError::Ambiguous { code, .. }
            | SplitError::SearchLimit { code, .. } => code,
        }
    }

    /// What went wrong, without the code cache's path (which
    /// [`Display`](fmt::Display) puts first), for a line that names it
    /// already.
    pub fn reason(&self) -> Reason<'_> {
        Reason(self)
    }
}

/// [`SplitError::reason`]: the error's message after its path.
pub struct Reason<'e>(&'e SplitError);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SplitError::Io { source, .. } => write!(f, "cannot read: {source}"),
            SplitError::Format { source, .. } => write!(f, "{source}"),
            SplitError::NoDataLibrary { candidates, .. } => {
                f.write_str("no dependency is a data library")?;
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
            SplitError::SearchLimit { reason, .. } => f.write_str(reason),
            SplitError::Ambiguous { found, .. } => {
                f.write_str("more than one dependency is a data library: ")?;
                for (i, path) in found.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", path.display())?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path().display(), self.reason())
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
/// - ELF: `DT_NEEDED` names, their `$ORIGIN` expanded, are looked up in
///   the `$ORIGIN` entries of `DT_RPATH` (when there is no `DT_RUNPATH`)
///   and `DT_RUNPATH`, then in the code cache's own directory; a name with a
///   `/` is a path, absolute or from `$ORIGIN` (a relative one depends on
///   the program's working directory, and is reported, as is a run path
///   entry of that kind before the place found);
/// - Mach-O: `@loader_path/…`, `@rpath/…` through each `LC_RPATH`
///   (`@loader_path`-relative or absolute), and absolute install names;
/// - PE: the code cache's own directory, the name matched whatever its
///   case, as Windows and Wine match it.
///
/// System libraries outside the code cache's reach are never opened: such a
/// dependency is skipped and reported in [`FoundDataLibrary::skipped`]. It is
/// an error if no dependency, or more than one, carries a payload.
///
/// Nothing is mapped or loaded. A small code cache costs one `pread`, a
/// large one an `lseek` and a `pread` of its dynamic table more; each
/// candidate place is tried by opening it, as the loader does; the data
/// library's headers and frame cost an `lseek` and one `pread`.
pub fn find_data_library(code: &Path) -> Result<FoundDataLibrary, SplitError> {
    let io_error = |source| SplitError::Io { path: code.to_path_buf(), source };
    let mut file = open(code).map_err(io_error)?;
    // One pread of up to FIRST_READ bytes, its length taken from the read:
    // a read of a regular file stops short only at the end, and ld.so
    // itself reads a library's header with one read on the same terms.
    with_buffer(FIRST_READ, |buffer| {
        let n = file.read_at(buffer, 0).map_err(io_error)?;
        let head = buffer.get(..n).unwrap_or_default();
        if n < FIRST_READ {
            return find_data_library_in(code, head);
        }
        // A file that fills the buffer may be longer (a real code cache is
        // megabytes): its length from lseek, as `open_with_len` takes it,
        // and the walk reads what lies past the head with pread. Mapping
        // it (fstat, mmap, faults, munmap) made the check of a 5 MiB code
        // cache 4.5 times its floor, against 1.6 now (BENCHMARKS.md §7).
        let len = file.seek(SeekFrom::End(0)).map_err(io_error)?;
        let (machine, found) = dependencies_of(&file, len, head).map_err(|failure| match failure {
            Failure::Io(source) => SplitError::Io { path: code.to_path_buf(), source },
            Failure::Format(source) => SplitError::Format { path: code.to_path_buf(), source },
        })?;
        let mut records = Records::new(machine);
        for (kind, name) in found {
            records.push(kind, Cow::Owned(name));
            records.within_limit(code)?;
        }
        Resolver::default().resolve(code, records)
    })
}

/// [`find_data_library`] for a code cache whose bytes the caller already
/// holds (a tool that has mapped the file to look at it), so that it is not
/// opened and mapped again; `code` is its path, from which dependencies are
/// resolved.
pub fn find_data_library_in(code: &Path, bytes: &[u8]) -> Result<FoundDataLibrary, SplitError> {
    Resolver::default().find_in(code, bytes)
}

/// Finds the data libraries of many code caches, remembering which
/// candidate paths hold nothing and which dependency files carry no
/// payload: a library that many code caches depend on (`libc.so.6` beside
/// them in a system directory) is then opened once, not once per code cache,
/// and a place where it is not is not asked again. What it remembers holds
/// for one pass over files that do not change meanwhile, such as one
/// `jiscan scan`.
#[derive(Debug, Default)]
pub struct Resolver {
    /// Candidate paths already tried that do not lead to a data library.
    known: RefCell<HashMap<PathBuf, Known>>,
    /// Directories listed to match a PE dependency's name ignoring case.
    listings: RefCell<search::Listings>,
}

/// What a [`Resolver`] remembers of a candidate path.
#[derive(Debug)]
enum Known {
    /// Nothing is there (`ENOENT`, `ENOTDIR`): the loader looks further.
    Missing,
    /// Something is there that the reader may not open (`EACCES`): ld.so's
    /// `open_path` looks further too, and says so if it finds nothing.
    Denied { reason: String },
    /// A file is there, the loader's choice, and it is no data library for
    /// a code cache of `machine`: why. For another machine it may be one
    /// (a universal file with a slice for it, or a thin one of it).
    NotData { reason: String, machine: Machine },
    /// A file is there that a code cache of `machine` cannot load (a thin
    /// image of another machine, a universal file without a slice for it):
    /// its loader passes over it and looks further, as for `Missing`.
    OtherMachine { reason: String, machine: Machine },
}

/// A dependency resolved to the file the loader would open: the file, open,
/// and where its payload is, or why it is no data library.
struct Candidate {
    path: PathBuf,
    library: Result<(File, Located), String>,
}

impl Resolver {
    /// [`find_data_library_in`], remembering what it learns. Of a universal
    /// code cache, the host's slice is followed ([`crate::host_slice`]), as
    /// by [`find_data_library`]; [`Resolver::find_in_slice`] follows another.
    pub fn find_in(&mut self, code: &Path, bytes: &[u8]) -> Result<FoundDataLibrary, SplitError> {
        let slice =
            crate::host_slice(bytes).map_err(|source| SplitError::Format { path: code.to_path_buf(), source })?;
        self.find_in_slice(code, slice)
    }

    /// The data library of one image of the code cache at `code`: `slice`,
    /// one of [`crate::slices`] of its bytes (any slice of a universal file,
    /// whatever the host's CPU, or a thin file's only image). Its dependency
    /// records are resolved as for [`find_data_library`], and of a
    /// universal data library the slice of `slice`'s architecture is taken
    /// (Mach-O `cputype` and `cpusubtype`, as dyld matches them), the one a
    /// process running that slice of the code cache would map; a thin data
    /// library of another architecture is skipped.
    ///
    /// ```no_run
    /// use pkgimg::split::Resolver;
    /// let bytes = std::fs::read("libFoo.dylib")?;
    /// let mut resolver = Resolver::default();
    /// for slice in pkgimg::slices(&bytes)? {
    ///     let slice = slice?;
    ///     let found = resolver.find_in_slice("libFoo.dylib".as_ref(), slice)?;
    ///     println!("{:?}: {} slice {:?}", slice.fat_arch(), found.path.display(), found.located().slice());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find_in_slice(&mut self, code: &Path, slice: Slice<'_>) -> Result<FoundDataLibrary, SplitError> {
        let format_error = |source| SplitError::Format { path: code.to_path_buf(), source };
        let machine = Machine::of(slice.image).map_err(format_error)?;
        let mut records = Records::new(machine);
        for record in slice.dependencies().map_err(format_error)? {
            let record = record.map_err(format_error)?;
            records.push(record.kind, String::from_utf8_lossy(record.name));
            records.within_limit(code)?;
        }
        self.resolve(code, records)
    }

    /// The data library that the records of the code cache `code` lead to:
    /// the resolution under [`Resolver::find_in`] and a large code cache's
    /// [`find_data_library`], whose records come from a walk in memory and
    /// one from the file.
    fn resolve(&self, code: &Path, records: Records<'_>) -> Result<FoundDataLibrary, SplitError> {
        let Records { machine, runpath, rpath, libraries, .. } = records;
        // dyld's @loader_path is the directory of the file's real path (it
        // names a loader by fcntl(F_GETPATH) of the file it opened:
        // dyld/JustInTimeLoader.cpp:1323-1426, DyldDelegates.cpp:751-752);
        // glibc's $ORIGIN is that of the path as opened (review 19 F9).
        // The directory as given names it when it is that one (links above
        // it resolved), so that paths are reported as the user spelt them.
        let given = code.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let real = (machine.image.format == crate::Format::MachO)
            .then(|| code.canonicalize().ok()?.parent().map(Path::to_path_buf))
            .flatten()
            .filter(|real| given.canonicalize().ok().as_ref() != Some(real));
        let dir = real.as_deref().unwrap_or(given);
        let (known, listings) = (&self.known, &self.listings);
        let passed = RefCell::default();
        let budget = Cell::new(Budget::FULL);
        let search = Search { dir, runpath, rpath, machine, known, listings, passed, budget };
        let (mut found, mut also, mut skipped): (Option<(_, _, File, _)>, _, _) = (None, Vec::new(), Vec::new());
        // A name recorded twice has the same answer twice.
        let mut seen = FirstSeen::default();
        for name in libraries.iter().filter(|name| seen.first(name)) {
            let resolved = search.resolve(machine.image.format, name);
            if search.budget.get().spent() {
                let reason = format!(
                    "its {} dependencies and their run path entries name too many places: the search \
                     stopped after {} of them, at {name} (pkgimg tries at most {} places, or {} bytes of paths)",
                    libraries.len(),
                    search.budget.get().tried(),
                    Budget::FULL.places,
                    Budget::FULL.path_bytes
                );
                return Err(SplitError::SearchLimit { code: code.to_path_buf(), reason });
            }
            let name = name.clone();
            match resolved {
                Err(reason) => skipped.push(Skipped { name: name.into_owned(), reason }),
                Ok(Candidate { path, library }) => match library {
                    // Two records of one file (by name, or a link to it): the
                    // loader maps it once, knowing it by device and inode.
                    Ok((file, _)) if found.as_ref().is_some_and(|(_, _, first, _)| same_file(first, &file)) => {}
                    Ok(_) if found.is_some() => also.push(path),
                    Ok((file, located)) => found = Some((name.into_owned(), path, file, located)),
                    Err(reason) => {
                        skipped
                            .push(Skipped { name: name.into_owned(), reason: format!("{}: {reason}", path.display()) });
                        search.known.borrow_mut().insert(path, Known::NotData { reason, machine });
                    }
                },
            }
        }
        match found {
            None => Err(SplitError::NoDataLibrary { code: code.to_path_buf(), candidates: skipped }),
            Some((name, path, file, located)) if also.is_empty() => {
                Ok(FoundDataLibrary { path, name, skipped, located, file })
            }
            Some((_, path, ..)) => {
                also.insert(0, path);
                Err(SplitError::Ambiguous { code: code.to_path_buf(), found: also })
            }
        }
    }
}

/// Whether `a` and `b` are one file: the same device and inode.
fn same_file(a: &File, b: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (a.metadata(), b.metadata()) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// A code cache's dependency records, sorted for [`Resolver::resolve`]. All
/// records are read before any is resolved: a `DT_RUNPATH` may follow the
/// `DT_NEEDED` entries it serves.
struct Records<'n> {
    /// The code cache's image: what its data library's must match.
    machine: Machine,
    /// ELF `DT_RUNPATH` entries.
    runpath: Vec<Cow<'n, str>>,
    /// ELF `DT_RPATH` entries, or Mach-O `LC_RPATH` ones.
    rpath: Vec<Cow<'n, str>>,
    /// The libraries to load, in header order.
    libraries: Vec<Cow<'n, str>>,
    /// The bytes of every name so far.
    name_bytes: usize,
}

impl<'n> Records<'n> {
    fn new(machine: Machine) -> Records<'n> {
        Records { machine, runpath: Vec::new(), rpath: Vec::new(), libraries: Vec::new(), name_bytes: 0 }
    }

    /// Files the record `kind` `name`; the code cache's own name is of no use.
    fn push(&mut self, kind: DependencyKind, name: Cow<'n, str>) {
        self.name_bytes = self.name_bytes.saturating_add(name.len());
        match kind {
            DependencyKind::RunPath => self.runpath.push(name),
            DependencyKind::RPath | DependencyKind::Rpath => self.rpath.push(name),
            kind if kind.is_library() => self.libraries.push(name),
            _ => {}
        }
    }

    /// An error once the names come to more than the search's limit on
    /// path bytes: a real code cache's come to a few KB.
    fn within_limit(&self, code: &Path) -> Result<(), SplitError> {
        if self.name_bytes <= Budget::FULL.path_bytes {
            return Ok(());
        }
        let reason = format!(
            "its dependency records' names come to more than {} bytes: no code cache needs that many",
            Budget::FULL.path_bytes
        );
        Err(SplitError::SearchLimit { code: code.to_path_buf(), reason })
    }
}
