//! Where a code cache's loader would look for each of its dependencies, as
//! far as the file and the file system tell (the rules of docs/FORMAT.md
//! §8.3): glibc's tokens and run paths, dyld's `@loader_path` and
//! `@rpath`, Windows' own directory and name case; and whether the file
//! found there carries a payload for the code cache.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Candidate, Known};
use crate::path::{find_ji_payload_for, open, Machine};
use crate::{Error, Format, Located};

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
pub(super) struct Search<'a, 'r> {
    /// The code cache's directory (`$ORIGIN`, `@loader_path`).
    pub(super) dir: &'a Path,
    /// ELF `DT_RUNPATH` entries, each a `:`-separated list.
    pub(super) runpath: Vec<Cow<'a, str>>,
    /// ELF `DT_RPATH` entries, or Mach-O `LC_RPATH` ones.
    pub(super) rpath: Vec<Cow<'a, str>>,
    /// The code cache's image, for which the resolver's memory holds.
    pub(super) machine: Machine,
    /// The resolver's memory of candidate paths.
    pub(super) known: &'r RefCell<HashMap<PathBuf, Known>>,
    /// The resolver's directory listings, by directory.
    pub(super) listings: &'r RefCell<HashMap<PathBuf, Vec<(String, PathBuf)>>>,
    /// The files of another machine the search for the current name passed
    /// over, and why, for its message if it finds nothing.
    pub(super) passed: RefCell<Vec<String>>,
}

impl Search<'_, '_> {
    /// The file the loader would open for the dependency `name`, or why it
    /// is not followed.
    pub(super) fn resolve(&self, format: Format, name: &str) -> Result<Candidate, String> {
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
    /// written). The directory is listed once per [`Resolver`](super::Resolver). Several
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
