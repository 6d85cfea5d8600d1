//! Split images: one data library shared by several code caches. A code
//! cache depends on its data library through the platform's own dependency
//! record; [`find_data_library`] follows that record the way the platform
//! loader would, as far as the file and the file system tell, and returns the
//! one dependency that carries a payload, without loading anything.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::path::{dependencies_of, find_ji_payload_for, open, with_buffer, Failure, Machine};
use crate::{DependencyKind, Error, Format, Located, MappedFile, Payload, Slice};

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
}

impl SplitError {
    /// The file the error is about: the code cache.
    pub fn path(&self) -> &Path {
        match self {
            SplitError::Io { path, .. } | SplitError::Format { path, .. } => path,
            SplitError::NoDataLibrary { code, .. } | SplitError::Ambiguous { code, .. } => code,
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
    listings: RefCell<HashMap<PathBuf, Vec<(String, PathBuf)>>>,
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
        }
        self.resolve(code, records)
    }

    /// The data library that the records of the code cache `code` lead to:
    /// the resolution under [`Resolver::find_in`] and a large code cache's
    /// [`find_data_library`], whose records come from a walk in memory and
    /// one from the file.
    fn resolve(&self, code: &Path, records: Records<'_>) -> Result<FoundDataLibrary, SplitError> {
        let Records { machine, runpath, rpath, libraries } = records;
        let dir = code.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let (known, listings) = (&self.known, &self.listings);
        let search = Search { dir, runpath, rpath, machine, known, listings, passed: RefCell::default() };
        let (mut found, mut also, mut skipped): (Option<(_, _, File, _)>, _, _) = (None, Vec::new(), Vec::new());
        for name in libraries {
            match search.resolve(machine.image.format, &name) {
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
}

impl<'n> Records<'n> {
    fn new(machine: Machine) -> Records<'n> {
        Records { machine, runpath: Vec::new(), rpath: Vec::new(), libraries: Vec::new() }
    }

    /// Files the record `kind` `name`; the code cache's own name is of no use.
    fn push(&mut self, kind: DependencyKind, name: Cow<'n, str>) {
        match kind {
            DependencyKind::RunPath => self.runpath.push(name),
            DependencyKind::RPath | DependencyKind::Rpath => self.rpath.push(name),
            kind if kind.is_library() => self.libraries.push(name),
            _ => {}
        }
    }
}

/// The file at `path`, and where its payload is, if it carries one for a
/// code cache of `machine` (found by reading its headers, not mapping it):
/// of a universal file, in the slice the loader would map with that code
/// cache; a thin file must be of that machine, or the loader refuses it.
/// Otherwise why not.
fn carries_payload(mut file: File, path: &Path, machine: Machine) -> Result<(File, Located), Refusal> {
    // dyld tries each place in turn and takes the first it can make a
    // loader of, passing over anything else ("tried: '…' (…)", dyld
    // Loader::getLoader): a file that is no Mach-O, or that cannot be read.
    let macho = machine.image.format == Format::MachO;
    let unusable = |why: String| match macho {
        true => Refusal::OtherMachine(format!("dyld cannot use it: {why}")),
        false => Refusal::NotData(why),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(|e| unusable(format!("cannot read: {e}")))?;
    // ld.so's open_verify passes over an ELF file of another class or
    // machine, but stops at a file without the ELF magic ("invalid ELF
    // header"): a Mach-O or PE file, or a universal one, ends an ELF search.
    let elf = machine.image.format == Format::Elf;
    let stops_ld_so =
        |what: &str| Refusal::NotData(format!("{what}, not ELF: ld.so stops here (\"invalid ELF header\")"));
    match find_ji_payload_for(&file, len, path, machine) {
        Ok(Ok(located)) => Ok((file, located)),
        Ok(Err(other)) if elf && other.image.format != Format::Elf => {
            Err(stops_ld_so(&format!("a {} {} file", other.image.format, other.image.arch)))
        }
        Ok(Err(other)) => {
            Err(Refusal::OtherMachine(format!("not a data library for {machine}: its only image is {other}")))
        }
        // The caller names the file: the reasons do not.
        Err(crate::LocateError::Format { source: Error::NoHostSlice { .. }, .. }) if elf => {
            Err(stops_ld_so("a universal Mach-O file"))
        }
        Err(crate::LocateError::Format { source: source @ Error::NoHostSlice { .. }, .. }) => {
            Err(Refusal::OtherMachine(format!("not a data library for {machine}: {source}")))
        }
        Err(crate::LocateError::Format { source: source @ Error::UnknownFormat { .. }, .. }) => {
            Err(unusable(format!("not a data library: {source}")))
        }
        Err(crate::LocateError::Format { source, .. }) => {
            Err(Refusal::NotData(format!("not a data library: {source}")))
        }
        Err(crate::LocateError::Io { source, .. }) => Err(unusable(format!("cannot read: {source}"))),
    }
}

/// Why a file is not the data library a code cache needs.
enum Refusal {
    /// The loader would take the file and fail, or find no payload in it.
    NotData(String),
    /// The loader cannot load the file with this code cache (ld.so's
    /// `open_verify` on another class or machine, dyld on anything it cannot
    /// make a loader of), and looks further along its search path.
    OtherMachine(String),
}

/// `name` upper-cased as Windows compares file names: each character of the
/// Basic Multilingual Plane by its simple Unicode uppercase (NTFS's upcase
/// table maps one UTF-16 unit to one), others as they are.
fn upcase(name: &str) -> String {
    let one = |c: char| {
        let mut upper = c.to_uppercase();
        match (upper.next(), upper.next()) {
            (Some(u), None) if u32::from(c) < 0x1_0000 && u32::from(u) < 0x1_0000 => u,
            _ => c,
        }
    };
    name.chars().map(one).collect()
}

/// The entries of `dir` that are not directories, with their names
/// [`upcase`]d, sorted by path; none if it cannot be read. Names that are
/// not UTF-8 are left out: no PE import names them.
fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    // A symbolic link counts as what it points to (one stat each).
    let not_dir = |entry: &std::fs::DirEntry| match entry.file_type() {
        Ok(kind) if kind.is_symlink() => std::fs::metadata(entry.path()).is_ok_and(|m| !m.is_dir()),
        Ok(kind) => !kind.is_dir(),
        Err(_) => false,
    };
    let named = |entry: std::fs::DirEntry| Some((upcase(entry.file_name().to_str()?), entry.path()));
    let mut files: Vec<(String, PathBuf)> = entries.flatten().filter(not_dir).filter_map(named).collect();
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}

/// Whether the path `text` is absolute once glibc has expanded it: it
/// starts with `/` or with `$ORIGIN` (glibc's `l_origin` is absolute).
fn starts_absolute(text: &str) -> bool {
    text.starts_with('/') || text.strip_prefix('$').and_then(|rest| dst_len(rest, "ORIGIN")).is_some()
}

/// The length of the dynamic string token `name` at the start of `text`
/// (the text after a `$`), braces included, as glibc's `is_dst` reads it:
/// `NAME` not followed by a letter, digit or `_`, or `{NAME}`.
fn dst_len(text: &str, name: &str) -> Option<usize> {
    if let Some(inner) = text.strip_prefix('{') {
        let closed = inner.strip_prefix(name)?.starts_with('}');
        return closed.then(|| name.len().saturating_add(2));
    }
    let next = text.strip_prefix(name)?.bytes().next();
    (!next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')).then_some(name.len())
}

/// Where a code cache's loader would look, as far as the file tells.
struct Search<'a, 'r> {
    /// The code cache's directory (`$ORIGIN`, `@loader_path`).
    dir: &'a Path,
    /// ELF `DT_RUNPATH` entries, each a `:`-separated list.
    runpath: Vec<Cow<'a, str>>,
    /// ELF `DT_RPATH` entries, or Mach-O `LC_RPATH` ones.
    rpath: Vec<Cow<'a, str>>,
    /// The code cache's image, for which the resolver's memory holds.
    machine: Machine,
    /// The resolver's memory of candidate paths.
    known: &'r RefCell<HashMap<PathBuf, Known>>,
    /// The resolver's directory listings, by directory.
    listings: &'r RefCell<HashMap<PathBuf, Vec<(String, PathBuf)>>>,
    /// The files of another machine the search for the current name passed
    /// over, and why, for its message if it finds nothing.
    passed: RefCell<Vec<String>>,
}

impl Search<'_, '_> {
    /// The file the loader would open for the dependency `name`, or why it
    /// is not followed.
    fn resolve(&self, format: Format, name: &str) -> Result<Candidate, String> {
        self.passed.borrow_mut().clear();
        let found = match format {
            Format::Elf => self.elf(name),
            Format::MachO => self.macho(name),
            Format::Pe | Format::Coff => self.pe(name),
        };
        found.map_err(|reason| {
            let passed = self.passed.borrow();
            passed.iter().fold(reason, |reason, file| format!("{reason}; passed over {file}"))
        })
    }

    /// ld.so: a name's tokens are expanded (glibc's `elf/dl-deps.c`), and
    /// a name with a slash is then a path (`_dl_map_object`); `$ORIGIN`
    /// is absolute there, so a name with it is one. Otherwise `DT_RPATH`
    /// (ignored when `DT_RUNPATH` exists), `DT_RUNPATH`, and here the code
    /// cache's directory instead of the system's. Only `$ORIGIN` entries
    /// are within reach; an entry whose place the file does not tell
    /// before the place found makes the answer unknown.
    fn elf(&self, name: &str) -> Result<Candidate, String> {
        let expanded = self.expand_origin(name, None)?;
        if expanded.is_some() || name.contains('/') {
            // A relative path is opened from the working directory of the
            // program, which the file does not tell; a path that starts
            // with $ORIGIN is absolute in glibc.
            if !starts_absolute(name) {
                return Err("a relative path: it depends on the working directory of the program that loads it".into());
            }
            let path = expanded.unwrap_or_else(|| PathBuf::from(name));
            let shown = path.display().to_string();
            return self.existing(path).ok_or_else(|| format!("no such file: {shown}"));
        }
        // As glibc keeps one of each tag (the last: elf_get_dynamic_info),
        // and ignores an empty one (decompose_rpath).
        let lists = self.runpath.last().or(self.rpath.last());
        // The first entry whose place the file does not tell: the loader
        // may find `name` there before any place after it.
        let mut unknown: Option<String> = None;
        let entries = lists.into_iter().filter(|list| !list.is_empty()).flat_map(|list| list.split(':'));
        let places = entries.filter_map(|entry| match self.expand_origin(entry, Some(name)) {
            Ok(Some(path)) if starts_absolute(entry) => Some(path),
            // Absolute: a system directory, out of reach by design.
            Ok(None) | Err(_) if entry.starts_with('/') => None,
            // Empty or relative (the working directory), or $PLATFORM or
            // $LIB below $ORIGIN (the running loader's).
            _ => {
                unknown.get_or_insert_with(|| {
                    format!("the run path entry '{entry}' depends on the program that loads it")
                });
                None
            }
        });
        let own = core::iter::once_with(|| self.dir.join(name));
        let found = places.chain(own).find_map(|path| self.existing(path));
        match (found, unknown) {
            (Some(found), None) => Ok(found),
            (Some(found), Some(why)) => {
                Err(format!("{why}, and comes before {}: the loader may take a file there", found.path.display()))
            }
            (None, unknown) => {
                let also = unknown.map(|why| format!("; {why}")).unwrap_or_default();
                Err(format!(
                    "not found through $ORIGIN or in the code cache's directory (system paths are not searched){also}"
                ))
            }
        }
    }

    /// Windows: the code cache's own directory, where a DLL's name matches
    /// whatever its case (NTFS compares names upper-cased, and Wine on other
    /// file systems looks a name up that way when it is not there as
    /// written). The directory is listed once per [`Resolver`]. Several
    /// files that match only ignoring case (a case-sensitive file system
    /// can hold them) are no answer: Wine takes whichever it lists first.
    fn pe(&self, name: &str) -> Result<Candidate, String> {
        let missing = || "not in the code cache's directory (system DLLs are not searched)".to_owned();
        if let Some(found) = self.existing(self.dir.join(name)) {
            return Ok(found);
        }
        let folded = upcase(name);
        let matching: Vec<PathBuf> = {
            let mut listings = self.listings.borrow_mut();
            let listing = listings.entry(self.dir.to_path_buf()).or_insert_with(|| list_files(self.dir));
            listing.iter().filter(|(upcased, _)| *upcased == folded).map(|(_, path)| path.clone()).collect()
        };
        match matching.as_slice() {
            [] => Err(missing()),
            [one] => self.existing(one.clone()).ok_or_else(missing),
            several => {
                let names: Vec<String> = several.iter().map(|p| p.display().to_string()).collect();
                Err(format!(
                    "not in the code cache's directory as written, and several files match ignoring case: {}",
                    names.join(", ")
                ))
            }
        }
    }

    /// `text` with each `$ORIGIN` or `${ORIGIN}` replaced by the code
    /// cache's directory, as glibc's `_dl_dst_substitute` does
    /// (elf/dl-load.c), and then `name` in that directory if there is one;
    /// `Ok(None)` if `text` has no `$ORIGIN`. A `$` that starts no token
    /// glibc knows stays as it is; `$PLATFORM` and `$LIB` are an error:
    /// their values are the running loader's. One allocation, as a rule.
    fn expand_origin(&self, text: &str, name: Option<&str>) -> Result<Option<PathBuf>, String> {
        if !text.contains('$') {
            return Ok(None);
        }
        // glibc's $ORIGIN is absolute. The code cache's directory as given
        // (`.` for a relative path) names the same directory, unless the
        // token is followed by more of a name (`${ORIGIN}_libs`): then only
        // the absolute spelling names the same place.
        let glued = |after: &str| dst_len(after, "ORIGIN").and_then(|len| after.get(len..)?.chars().next());
        let glued = text.split('$').skip(1).any(|after| glued(after).is_some_and(|c| c != '/'));
        let absolute = match glued && self.dir.is_relative() {
            true => std::path::absolute(self.dir).ok(),
            false => None,
        };
        let dir = absolute.as_deref().unwrap_or(self.dir).as_os_str();
        let name_len = name.map_or(0, str::len);
        let mut out =
            OsString::with_capacity(text.len().saturating_add(dir.len()).saturating_add(name_len).saturating_add(1));
        let (mut rest, mut any) = (text, false);
        while let Some((before, after)) = rest.split_once('$') {
            out.push(before);
            if let Some(len) = dst_len(after, "ORIGIN") {
                out.push(dir);
                (rest, any) = (after.get(len..).unwrap_or_default(), true);
            } else if dst_len(after, "PLATFORM").or_else(|| dst_len(after, "LIB")).is_some() {
                return Err(format!("{text}: $PLATFORM and $LIB depend on the loader that runs it"));
            } else {
                out.push("$");
                rest = after;
            }
        }
        out.push(rest);
        let mut path = PathBuf::from(out);
        if let Some(name) = name {
            path.push(name);
        }
        Ok(any.then_some(path))
    }

    /// dyld: `@loader_path/`, `@rpath/` through each `LC_RPATH`, absolute
    /// install names; `@executable_path` depends on the program.
    fn macho(&self, name: &str) -> Result<Candidate, String> {
        if let Some(rest) = name.strip_prefix("@loader_path/") {
            return self.existing(self.dir.join(rest)).ok_or_else(|| "no such file".to_owned());
        }
        if let Some(rest) = name.strip_prefix("@rpath/") {
            return self
                .rpath
                .iter()
                .find_map(|entry| match entry.strip_prefix("@loader_path") {
                    Some(tail) => self.existing(self.below(tail, rest)),
                    None if entry.starts_with('/') => self.existing(Path::new(&**entry).join(rest)),
                    None => None,
                })
                .ok_or_else(|| "not found through any LC_RPATH within reach".to_owned());
        }
        if name.starts_with('/') {
            return self.existing(PathBuf::from(name)).ok_or_else(|| "no such file".to_owned());
        }
        Err("depends on the program that loads it (@executable_path or a relative name)".to_owned())
    }

    /// `name` in the directory spelt as the code cache's directory followed
    /// by `rest` (the tail of `@loader_path/…`), in one
    /// allocation.
    fn below(&self, rest: &str, name: &str) -> PathBuf {
        let dir = self.dir.as_os_str();
        let mut path =
            OsString::with_capacity(dir.len().saturating_add(rest.len()).saturating_add(name.len()).saturating_add(1));
        path.push(dir);
        path.push(rest);
        let mut path = PathBuf::from(path);
        path.push(name);
        path
    }

    /// The file at `path`, if there is one; `None` where the loader would
    /// look further. Trying to open it is the cheapest way to ask (a
    /// `statx` of the path costs about as much as the open), and the open
    /// file is what the caller reads next.
    fn existing(&self, path: PathBuf) -> Option<Candidate> {
        let pass_over = |path: &Path, reason: &str| {
            self.passed.borrow_mut().push(format!("{}: {reason}", path.display()));
            None
        };
        match self.known.borrow().get(&path) {
            Some(Known::Missing) => return None,
            Some(Known::Denied { reason }) => return pass_over(&path, reason),
            Some(Known::NotData { reason, machine }) if *machine == self.machine => {
                return Some(Candidate { library: Err(reason.clone()), path })
            }
            Some(Known::OtherMachine { reason, machine }) if *machine == self.machine => {
                return pass_over(&path, reason)
            }
            Some(Known::NotData { .. } | Known::OtherMachine { .. }) | None => {}
        }
        let file = match open(&path) {
            Ok(file) => file,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
                self.known.borrow_mut().insert(path, Known::Missing);
                return None;
            }
            // glibc's open_path passes over EACCES as over ENOENT
            // ("if (here_any && (err = errno) != ENOENT && err != EACCES)"
            // ends the search for anything else, elf/dl-load.c).
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => {
                let reason = format!("cannot open: {e}");
                let passed = pass_over(&path, &reason);
                self.known.borrow_mut().insert(path, Known::Denied { reason });
                return passed;
            }
            Err(e) => return Some(Candidate { path, library: Err(format!("cannot open: {e}")) }),
        };
        match carries_payload(file, &path, self.machine) {
            Ok(library) => Some(Candidate { path, library: Ok(library) }),
            Err(Refusal::NotData(reason)) => Some(Candidate { path, library: Err(reason) }),
            Err(Refusal::OtherMachine(reason)) => {
                let passed = pass_over(&path, &reason);
                self.known.borrow_mut().insert(path, Known::OtherMachine { reason, machine: self.machine });
                passed
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// NTFS's upcase table maps each UTF-16 unit to one: `ß` stays (its full
    /// uppercase is two letters), `ǆ` becomes `Ǆ` (not the title case `ǅ`),
    /// a character outside the Basic Multilingual Plane stays.
    #[test]
    fn names_upcase_one_character_at_a_time() {
        assert_eq!(upcase("Foo_Data.dll"), "FOO_DATA.DLL");
        assert_eq!(upcase("äßǆ"), "ÄßǄ");
        assert_eq!(upcase("\u{10428}x"), "\u{10428}X"); // DESERET SMALL LETTER LONG I
    }

    /// glibc's `is_dst`: a whole name, or one in braces.
    #[test]
    fn tokens_are_whole_names() {
        assert_eq!(dst_len("ORIGIN", "ORIGIN"), Some(6));
        assert_eq!(dst_len("ORIGIN/lib", "ORIGIN"), Some(6));
        assert_eq!(dst_len("ORIGIN.so", "ORIGIN"), Some(6));
        assert_eq!(dst_len("{ORIGIN}x", "ORIGIN"), Some(8));
        assert_eq!(dst_len("ORIGINAL", "ORIGIN"), None);
        assert_eq!(dst_len("ORIGIN_2", "ORIGIN"), None);
        assert_eq!(dst_len("{ORIGIN", "ORIGIN"), None);
        assert_eq!(dst_len("{ORIGINAL}", "ORIGIN"), None);
        assert_eq!(dst_len("LIB", "ORIGIN"), None);
    }
}
