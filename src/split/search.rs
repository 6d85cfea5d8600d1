//! Where a code cache's loader would look for each of its dependencies, as
//! far as the file and the file system tell (the rules of docs/FORMAT.md
//! §8.3): glibc's tokens and run paths, dyld's `@loader_path` and
//! `@rpath`, Windows' own directory and name case. What the file found
//! there is for the code cache, `candidate` says.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::candidate::{carries_payload, Refusal};
use super::{Candidate, Known};
use crate::path::{open, Machine, MAX_NAME_BYTES};
use crate::Format;

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

/// The directory listings a resolver has made: by directory and kind of
/// entry, the names [`upcase`]d and the paths.
pub(super) type Listings = HashMap<(PathBuf, Entries), Vec<(String, PathBuf)>>;

/// Which entries of a directory [`list`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Entries {
    /// Those that are not directories.
    Files,
    /// The directories.
    Directories,
}

impl std::fmt::Display for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if *self == Entries::Files { "files" } else { "directories" })
    }
}

/// The `entries` of `dir`, with their names [`upcase`]d, sorted by path;
/// none if it cannot be read. Names that are not UTF-8 are left out: no PE
/// import names them.
fn list(dir: &Path, entries: Entries) -> Vec<(String, PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    // A symbolic link counts as what it points to (one stat each).
    let is_dir = |entry: &std::fs::DirEntry| match entry.file_type() {
        Ok(kind) if kind.is_symlink() => std::fs::metadata(entry.path()).ok().map(|m| m.is_dir()),
        Ok(kind) => Some(kind.is_dir()),
        Err(_) => None,
    };
    let wanted = |entry: &std::fs::DirEntry| is_dir(entry) == Some(entries == Entries::Directories);
    let named = |entry: std::fs::DirEntry| Some((upcase(entry.file_name().to_str()?), entry.path()));
    let mut listed: Vec<(String, PathBuf)> = read.flatten().filter(wanted).filter_map(named).collect();
    listed.sort_by(|a, b| a.1.cmp(&b.1));
    listed
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

/// Tells the first of each string from its repeats, with no allocation
/// for the first few distinct ones: a code cache names a handful of
/// libraries and run path entries, and this runs on every check, while a
/// hostile one may name thousands (then a hash set).
#[derive(Default)]
pub(super) struct FirstSeen<'a> {
    few: [&'a str; 8],
    len: usize,
    more: Option<HashSet<&'a str>>,
}

impl<'a> FirstSeen<'a> {
    /// Whether `item` is seen for the first time.
    pub(super) fn first(&mut self, item: &'a str) -> bool {
        if let Some(more) = &mut self.more {
            return more.insert(item);
        }
        if self.few.get(..self.len).unwrap_or_default().contains(&item) {
            return false;
        }
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = item;
            self.len = self.len.saturating_add(1);
            return true;
        }
        let mut more: HashSet<&'a str> = self.few.iter().copied().collect();
        more.insert(item);
        self.more = Some(more);
        true
    }
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
    pub(super) listings: &'r RefCell<Listings>,
    /// The files of another machine the search for the current name passed
    /// over (each by its real path), and why, for its message if it finds
    /// nothing.
    pub(super) passed: RefCell<Vec<(PathBuf, String)>>,
    /// What the search may still try: see [`Budget`].
    pub(super) budget: Cell<Budget>,
}

/// How many places one code cache's search may try, and how many bytes of
/// paths: a real code cache has tens of dependencies and a few run path
/// entries, while a hostile one with thousands of each would otherwise cost
/// their product in `open` calls and in messages (review 19's 96 KB file
/// took 25 s and 2.2 GB).
#[derive(Clone, Copy, Debug)]
pub(super) struct Budget {
    pub(super) places: u32,
    pub(super) path_bytes: usize,
    /// A place was refused for want of budget.
    pub(super) spent: bool,
}

impl Budget {
    pub(super) const FULL: Budget = Budget { places: 1024, path_bytes: MAX_NAME_BYTES, spent: false };

    /// How many places were tried.
    pub(super) fn tried(self) -> u32 {
        Budget::FULL.places.saturating_sub(self.places)
    }

    /// Whether the search stopped for want of budget.
    pub(super) fn spent(self) -> bool {
        self.spent
    }
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
            passed.iter().fold(reason, |reason, (_, file)| format!("{reason}; passed over {file}"))
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
        // Each directory once, as glibc's fillin_rpath keeps it
        // (elf/dl-load.c: "Remove duplicate entries").
        let mut seen = FirstSeen::default();
        let entries = lists.into_iter().filter(|list| !list.is_empty()).flat_map(|list| list.split(':'));
        let entries = entries.filter(move |entry| seen.first(entry));
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
        if name.starts_with(['/', '\\']) || name.contains(':') {
            return Err("an absolute path, which names a place on a Windows drive".to_owned());
        }
        // A name whose last component has no dot gets ".dll", as LoadLibrary
        // gives it one ("the function appends the default library
        // extension") and Wine's find_dll_file does for an import (review
        // 19 F2): ".hidden" keeps its name. Windows' path rules (Wine's
        // collapse_path) then take "\\" as "/" and drop a component's
        // trailing dots and spaces, so "foo." opens "foo", LoadLibrary's way
        // to name a file with no extension (review 20 F4), and "sub\\foo.dll"
        // opens "sub/foo.dll" (review 21 F4).
        let mut raw: Vec<Cow<'_, str>> = name.split(['/', '\\']).map(Cow::Borrowed).collect();
        if let Some(last) = raw.last_mut().filter(|last| !last.contains('.')) {
            *last = format!("{last}.dll").into();
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in &raw {
            // Wine does not load "sub/./x/..\foo_data" (a test), and what
            // Windows does with such a name is not known here.
            if part == "." || part == ".." {
                return Err(format!("a path with a \"{part}\" component, which pkgimg does not follow"));
            }
            let kept = part.trim_end_matches(['.', ' ']);
            if !kept.is_empty() {
                parts.push(kept);
            }
        }
        let Some((file, dirs)) = parts.split_last() else { return Err(missing()) };
        // Wine looks each component up ignoring case when it is not there as
        // written (review 22 F8): a directory, then the file.
        let mut parent = self.dir.to_path_buf();
        for dir in dirs {
            let exact = parent.join(dir);
            if !self.charge(&exact) {
                return Err(missing());
            }
            // A name there as written is Wine's pick, whatever it is (review
            // 23 F2); only a name not there is looked up ignoring case.
            parent = match std::fs::metadata(&exact) {
                Ok(meta) if meta.is_dir() => exact,
                Ok(_) => return Err(missing()),
                Err(_) => self.ignoring_case(&parent, dir, Entries::Directories)?.ok_or_else(missing)?,
            };
        }
        if let Some(found) = self.existing(parent.join(file)) {
            return Ok(found);
        }
        match self.ignoring_case(&parent, file, Entries::Files)? {
            Some(one) => self.existing(one).ok_or_else(missing),
            None => Err(missing()),
        }
    }

    /// The one entry of `dir` (its files, or its directories) whose name is
    /// `name` ignoring case as Windows compares names ([`upcase`]); `None`
    /// if none is, and an error naming them if several are.
    fn ignoring_case(&self, dir: &Path, name: &str, entries: Entries) -> Result<Option<PathBuf>, String> {
        let folded = upcase(name);
        let matching: Vec<PathBuf> = {
            let mut listings = self.listings.borrow_mut();
            let listing = listings.entry((dir.to_path_buf(), entries)).or_insert_with(|| list(dir, entries));
            listing.iter().filter(|(upcased, _)| *upcased == folded).map(|(_, path)| path.clone()).collect()
        };
        match matching.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => {
                let names: Vec<String> = several.iter().map(|p| p.display().to_string()).collect();
                Err(format!(
                    "not in the code cache's directory as written, and several {entries} match ignoring case: {}",
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
            // As for ELF run paths: an entry whose place the file does not
            // tell (`@executable_path/…`, a relative one, which dyld tries
            // from the working directory, or `@loader_pathX`, which dyld
            // does not expand) may hold the library before any place after
            // it (review 19 F4).
            let mut unknown: Option<String> = None;
            let found = self.rpath.iter().find_map(|entry| {
                let loader = entry.strip_prefix("@loader_path").filter(|tail| tail.is_empty() || tail.starts_with('/'));
                match loader {
                    Some(tail) => self.existing(self.below(tail, rest)),
                    None if entry.starts_with('/') => self.existing(Path::new(&**entry).join(rest)),
                    None => {
                        unknown.get_or_insert_with(|| {
                            format!("the LC_RPATH entry '{entry}' depends on the program that loads it")
                        });
                        None
                    }
                }
            });
            return match (found, unknown) {
                (Some(found), None) => Ok(found),
                (Some(found), Some(why)) => {
                    Err(format!("{why}, and comes before {}: dyld may take a file there", found.path.display()))
                }
                (None, unknown) => {
                    let also = unknown.map(|why| format!("; {why}")).unwrap_or_default();
                    Err(format!("not found through any LC_RPATH within reach{also}"))
                }
            };
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

    /// Takes one place and `path`'s bytes from the budget, or says the
    /// search is over. Once a place is refused it is over, even where a
    /// shorter path would still fit: an answer from the places after it would
    /// hide the one skipped (review 20 F1).
    fn charge(&self, path: &Path) -> bool {
        let budget = self.budget.get();
        let bytes = path.as_os_str().len();
        if budget.spent || budget.places == 0 || bytes > budget.path_bytes {
            self.budget.set(Budget { spent: true, ..budget });
            return false;
        }
        let places = budget.places.saturating_sub(1);
        self.budget.set(Budget { places, path_bytes: budget.path_bytes.saturating_sub(bytes), spent: false });
        true
    }

    /// The file at `path`, if there is one; `None` where the loader would
    /// look further. Trying to open it is the cheapest way to ask (a
    /// `statx` of the path costs about as much as the open), and the open
    /// file is what the caller reads next.
    fn existing(&self, path: PathBuf) -> Option<Candidate> {
        if !self.charge(&path) {
            return None;
        }
        // Once per file: the code cache's directory, searched last, is often
        // a run path's $ORIGIN too, spelt alike or not (`$ORIGIN/.`; audit
        // 24, review 25 F3). Only a file passed over is resolved for this.
        let pass_over = |path: &Path, reason: &str| {
            let file = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            let mut passed = self.passed.borrow_mut();
            if !passed.iter().any(|(seen, _)| *seen == file) {
                passed.push((file, format!("{}: {reason}", path.display())));
            }
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, clippy::arithmetic_side_effects)]
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

    /// A little-endian ELF64 `ET_DYN` whose dynamic table holds a
    /// `DT_NEEDED` per name and a `DT_RUNPATH` (gABI ch. 5): one `PT_LOAD`
    /// mapping the file at address 0 (so addresses are file offsets), then
    /// `PT_DYNAMIC`; the string table follows the dynamic array.
    fn code_cache(needed: &[String], runpath: &str) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let offset = |text: &str, strtab: &mut Vec<u8>| {
            let at = strtab.len() as u64;
            strtab.extend_from_slice(text.as_bytes());
            strtab.push(0);
            at
        };
        let mut dynamic: Vec<(u64, u64)> = needed.iter().map(|n| (1, offset(n, &mut strtab))).collect();
        dynamic.push((29, offset(runpath, &mut strtab))); // DT_RUNPATH
        let dyn_at = 64 + 2 * 56;
        let strtab_at = dyn_at + (dynamic.len() + 3) * 16;
        dynamic.extend([(5, strtab_at as u64), (10, strtab.len() as u64), (0, 0)]); // DT_STRTAB, DT_STRSZ, DT_NULL
        let len = (strtab_at + strtab.len()) as u64;
        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        f.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
        f.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        f.extend_from_slice(&1u32.to_le_bytes());
        for word in [0u64, 64, 0] {
            f.extend_from_slice(&word.to_le_bytes()); // entry, phoff, shoff
        }
        f.extend_from_slice(&0u32.to_le_bytes());
        for half in [64u16, 56, 2, 64, 0, 0] {
            f.extend_from_slice(&half.to_le_bytes()); // ehsize, phentsize, phnum, shentsize, shnum, shstrndx
        }
        for (kind, flags, at, size) in [(1u32, 4u32, 0u64, len), (2, 6, dyn_at as u64, (dynamic.len() * 16) as u64)] {
            f.extend_from_slice(&kind.to_le_bytes());
            f.extend_from_slice(&flags.to_le_bytes());
            for word in [at, at, at, size, size, 8] {
                f.extend_from_slice(&word.to_le_bytes()); // offset, vaddr, paddr, filesz, memsz, align
            }
        }
        for (tag, value) in dynamic {
            f.extend_from_slice(&tag.to_le_bytes());
            f.extend_from_slice(&value.to_le_bytes());
        }
        f.extend_from_slice(&strtab);
        f
    }

    /// Review 19: thousands of `DT_NEEDED` names and run path entries cost
    /// their product in opens and in the message. A name and an entry
    /// recorded many times are searched once, as glibc keeps one of each
    /// directory; distinct ones stop the search at its limit.
    #[test]
    fn the_search_tries_each_place_once_and_stops_at_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let code = dir.path().join("libcode.so");
        let same = code_cache(&vec!["libx.so".to_owned(); 4000], &vec!["$ORIGIN"; 8000].join(":"));
        let error = crate::split::find_data_library_in(&code, &same).unwrap_err();
        let crate::split::SplitError::NoDataLibrary { candidates, .. } = &error else { panic!("{error}") };
        assert_eq!(candidates.len(), 1, "{error}");
        assert!(candidates[0].reason.starts_with("not found through $ORIGIN"), "{error}");

        let names: Vec<String> = (0..100).map(|i| format!("lib{i}.so")).collect();
        let entries: Vec<String> = (0..100).map(|i| format!("$ORIGIN/{i}")).collect();
        let error = crate::split::find_data_library_in(&code, &code_cache(&names, &entries.join(":"))).unwrap_err();
        let reason = error.reason().to_string();
        assert!(matches!(error, crate::split::SplitError::SearchLimit { .. }), "{error}");
        assert!(reason.contains("stopped after 1024 of them, at lib10.so"), "{reason}");

        let long = vec!["x".repeat(100_000); 20];
        let error = crate::split::find_data_library_in(&code, &code_cache(&long, "$ORIGIN")).unwrap_err();
        assert!(error.reason().to_string().contains("names come to more than 1048576 bytes"), "{error}");
    }

    /// A long run path entry refused for want of path bytes, followed by
    /// the code cache's own directory, which would still fit: the search
    /// has skipped a place, so it must not answer "not a data library".
    #[test]
    fn a_place_refused_for_its_bytes_ends_the_search() {
        let top = tempfile::tempdir().unwrap();
        let component = "c".repeat(200);
        let entry_len =
            |i: usize| format!("$ORIGIN/{i:04}/{component}/{component}/{component}/{component}/{component}");
        // Pad the code cache's directory until the bytes left after the
        // last long place that fits still hold the place in its own
        // directory, and fewer than 1,000 long places fit.
        let limit = Budget::FULL.path_bytes;
        let base = top.path().as_os_str().len();
        let (pad, _) = (1..250usize)
            .map(|pad| (pad, base + 1 + pad))
            .find(|&(_, dir)| {
                let long = dir + entry_len(0).len() - "$ORIGIN".len() + "/libdata.so".len();
                let own = dir + "/libdata.so".len();
                limit / long < 1000 && limit % long >= own
            })
            .unwrap();
        let dir = top.path().join("d".repeat(pad));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("libdata.so"), b"not an ELF file").unwrap();
        let entries: Vec<String> = (0..1000).map(entry_len).collect();
        let bytes = code_cache(&["libdata.so".to_owned()], &entries.join(":"));
        let error = crate::split::find_data_library_in(&dir.join("libcode.so"), &bytes).unwrap_err();
        assert!(matches!(error, crate::split::SplitError::SearchLimit { .. }), "{error}");
        assert!(error.reason().to_string().contains("or 1048576 bytes of paths"), "{error}");
    }

    #[test]
    fn first_seen_tells_repeats_past_its_first_eight() {
        let names: Vec<String> = (0..20).map(|i| format!("lib{i}.so")).collect();
        let mut seen = FirstSeen::default();
        for round in 0..2 {
            for name in &names {
                assert_eq!(seen.first(name), round == 0, "{name} in round {round}");
            }
        }
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
