//! Opening files (memory-mapped, read-only) and walking directory trees: the
//! one walker that `scan`, `check` and any later subcommand share.
//!
//! # The walk
//!
//! [`walk_with`] visits every regular file under the roots, in order, each
//! directory's entries sorted by name, and hands each file and each problem
//! to a callback; it returns [`WalkStats`], the counts of what it looked at
//! and what it skipped, for the caller's summary. The rules:
//!
//! - **Roots** are taken as named: a root that is a symbolic link is
//!   followed, a root on `/proc` or `/sys` is walked.
//! - **Symbolic links** inside the walk are followed to files. Links to
//!   directories are not followed (counted in `links_not_followed`) unless
//!   [`WalkOptions::follow`]; then every directory is still walked at most
//!   once, recognised by (device, inode): one reached again through another
//!   link is counted in `revisited` and skipped, and one that is its own
//!   ancestor (a loop) is reported as a problem. No path is ever
//!   canonicalised, so the work is linear in the number of entries.
//! - **Pseudo-file systems** (`/proc`, `/sys`, `/dev` and the like, found by
//!   their type in `/proc/self/mountinfo`) are not entered from another file
//!   system (counted in `pseudo`), unless named as a root.
//! - **Temporary files** of the write path (`.NAME.pkgimg-XXXXXX`, see
//!   `pkgimg::write_path::is_temporary_name`) are skipped (counted in
//!   `temporaries`): they are partial outputs, or left by a killed process.
//! - Anything else that is not a regular file or a directory (a device, a
//!   FIFO, a broken link, an unreadable directory) is a [`Found::Problem`];
//!   nothing is skipped silently.
//!
//! Whether a file is an object file is the caller's business: [`open`]
//! says `Empty`, and the library says `Error::UnknownFormat`, for files that
//! `scan` counts as "other files" in a walk.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use pkgimg::MappedFile;

/// Why a file could not be opened for a lookup.
#[derive(Debug)]
pub enum OpenError {
    /// `open(2)` or `fstat(2)` failed.
    Cannot(io::Error),
    /// Not a regular file: what it is ("a directory", "a FIFO").
    NotRegular(&'static str),
    /// A regular file of 0 bytes: no object file is that short.
    Empty,
    /// Mapping it failed.
    Map(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Cannot(e) => write!(f, "cannot open: {e}"),
            OpenError::NotRegular(kind) => write!(f, "not a regular file (it is {kind})"),
            OpenError::Empty => f.write_str("empty file"),
            OpenError::Map(e) => write!(f, "cannot map: {e}"),
        }
    }
}

/// Opens `path` read-only without blocking (`O_NONBLOCK`: a FIFO's `open`
/// would wait for a writer), checks on that descriptor that it is a regular,
/// non-empty file, and maps it ([`MappedFile`]: random-access advice, so the
/// cost of a lookup does not depend on the file's size). Returns the open
/// file too, for reading the payload with `pread`.
pub fn open(path: &Path) -> Result<(File, Metadata, MappedFile), OpenError> {
    let (file, metadata) = open_checked(path)?;
    // The map is made from the descriptor just checked, so the path cannot be
    // swapped for a FIFO in between.
    let map = MappedFile::from_file(&file).map_err(OpenError::Map)?;
    Ok((file, metadata, map))
}

/// Opens `path` as [`open`] does and checks it is a regular, non-empty file.
fn open_checked(path: &Path) -> Result<(File, Metadata), OpenError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(OpenError::Cannot)?;
    let metadata = file.metadata().map_err(OpenError::Cannot)?;
    if !metadata.is_file() {
        return Err(OpenError::NotRegular(kind_of(&metadata)));
    }
    // mmap of zero bytes fails (EINVAL); an empty file is simply not an object file.
    if metadata.len() == 0 {
        return Err(OpenError::Empty);
    }
    Ok((file, metadata))
}

/// A file's bytes for lookups: read into memory, or mapped.
pub enum Bytes {
    /// The whole file, or (for a file that is not an object file) its first
    /// block, which is all that says so.
    Read(Vec<u8>),
    Mapped(MappedFile),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Read(bytes) => bytes,
            Bytes::Mapped(map) => map.bytes(),
        }
    }
}

impl Bytes {
    /// [`MappedFile::will_read`] for a mapping; bytes in memory need no hint.
    pub fn will_read(&self, offset: u64, len: u64) {
        if let Bytes::Mapped(map) = self {
            map.will_read(offset, len);
        }
    }
}

/// The first block read; a file no larger than [`SMALL`] is read whole at
/// once, one up to [`READ_WHOLE`] whole once it is known to be an object file.
const FIRST_BLOCK: u64 = 4096;
/// Copying this much costs less than a second `pread` would.
const SMALL: u64 = 16 << 10;
/// Up to this size an object file is read with `pread`, not mapped: mapping
/// and unmapping cost more than copying this much (BENCHMARKS.md §2.1), and
/// most files of a depot or a system library tree are smaller.
const READ_WHOLE: u64 = 64 << 10;

/// What [`open_for_lookup`] gives.
pub enum Opened {
    /// The bytes a lookup needs, read or mapped.
    Bytes(Bytes),
    /// A thin object file larger than [`READ_WHOLE`], not yet read or mapped:
    /// its payload can be located with a few `pread`s
    /// (`pkgimg::find_ji_payload_file`), and [`map_opened`] maps it for more.
    Large(File),
}

/// [`open`], for a scan over many files: a file of up to 16 KiB is read
/// whole; otherwise the first 4 KiB are read, and a file whose first bytes
/// are no object file's stops there (what a lookup says of it depends on
/// them alone); an object file of up to 64 KiB is then read whole, a
/// universal one mapped, and a larger thin one left to the caller.
pub fn open_for_lookup(path: &Path) -> Result<Opened, OpenError> {
    let (file, metadata) = open_checked(path)?;
    let len = metadata.len();
    let first = if len <= SMALL { len } else { FIRST_BLOCK };
    let mut bytes = vec![0; usize::try_from(first).unwrap_or(0)];
    file.read_exact_at(&mut bytes, 0).map_err(OpenError::Cannot)?;
    if len <= first {
        return Ok(Opened::Bytes(Bytes::Read(bytes)));
    }
    // FAT_MAGIC / FAT_MAGIC_64, big-endian (<mach-o/fat.h>): every slice is
    // reported, so a universal file is mapped.
    if matches!(bytes.get(..4), Some([0xca, 0xfe, 0xba, 0xbe | 0xbf])) {
        return map_opened(&file).map(Opened::Bytes);
    }
    if matches!(pkgimg::host_slice(&bytes).and_then(|s| s.format()), Err(pkgimg::Error::UnknownFormat { .. })) {
        return Ok(Opened::Bytes(Bytes::Read(bytes)));
    }
    if len > READ_WHOLE {
        return Ok(Opened::Large(file));
    }
    let read = bytes.len();
    bytes.resize(usize::try_from(len).unwrap_or(0), 0);
    let rest = bytes.get_mut(read..).unwrap_or_default();
    file.read_exact_at(rest, first).map_err(OpenError::Cannot)?;
    Ok(Opened::Bytes(Bytes::Read(bytes)))
}

/// The file [`open_for_lookup`] opened, mapped.
pub fn map_opened(file: &File) -> Result<Bytes, OpenError> {
    MappedFile::from_file(file).map(Bytes::Mapped).map_err(OpenError::Map)
}

/// [`open`], for callers that need only the map; the error is a message
/// without the path.
pub fn map(path: &Path) -> Result<MappedFile, String> {
    open(path).map(|(_, _, map)| map).map_err(|e| e.to_string())
}

/// What a file is, for messages.
pub fn kind_of(metadata: &Metadata) -> &'static str {
    let t = metadata.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "of an unknown kind"
    }
}

/// What a walk found at a path.
pub enum Found {
    /// A regular file (or a symbolic link to one).
    File(PathBuf),
    /// Something that is not scanned, and why: a broken link, a device, an
    /// unreadable directory, a directory loop, a path that does not exist.
    Problem(PathBuf, String),
}

/// How to walk.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkOptions {
    /// Follow symbolic links to directories (each directory is still walked
    /// once; loops are problems).
    pub follow: bool,
}

/// What a walk looked at and skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Directory entries looked at (each costs one `lstat`).
    pub entries: u64,
    /// Directories read.
    pub directories: u64,
    /// File-system lookups made: `stat`, `lstat` and directory reads. The
    /// walk makes at most three per entry, whatever the depth.
    pub lookups: u64,
    /// Symbolic links to directories not followed (no `follow`).
    pub links_not_followed: u64,
    /// Directories reached again through another link, skipped.
    pub revisited: u64,
    /// Temporary files of the write path, skipped.
    pub temporaries: u64,
    /// Pseudo-file-system directories not entered.
    pub pseudo: u64,
}

/// Walks `roots` with the default options ([`walk_with`]).
#[allow(dead_code)] // the entry point for walkers without options (`check`)
pub fn walk(roots: &[PathBuf], visit: &mut dyn FnMut(Found) -> io::Result<()>) -> io::Result<()> {
    walk_with(roots, WalkOptions::default(), visit).map(|_| ())
}

/// Walks `roots` in order, directories with their entries sorted by name,
/// and hands every file and every problem to `visit` (see the module's
/// documentation for what is followed and skipped). Stops at the first
/// error `visit` returns.
pub fn walk_with(
    roots: &[PathBuf],
    options: WalkOptions,
    visit: &mut dyn FnMut(Found) -> io::Result<()>,
) -> io::Result<WalkStats> {
    let mut walker = Walker { options, visit, stats: WalkStats::default(), pseudo: None };
    for root in roots {
        walker.root(root)?;
    }
    Ok(walker.stats)
}

/// A directory being walked: its path, identity, and the entries left.
struct Frame {
    path: PathBuf,
    key: (u64, u64),
    entries: std::vec::IntoIter<OsString>,
}

struct Walker<'v> {
    options: WalkOptions,
    visit: &'v mut dyn FnMut(Found) -> io::Result<()>,
    stats: WalkStats,
    /// Devices of pseudo-file systems, read on first need.
    pseudo: Option<HashSet<u64>>,
}

impl Walker<'_> {
    fn root(&mut self, root: &Path) -> io::Result<()> {
        self.stats.lookups = self.stats.lookups.saturating_add(1);
        let metadata = match fs::metadata(root) {
            Ok(metadata) => metadata,
            Err(e) => {
                let link = fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
                let why = if link { format!("broken symbolic link: {e}") } else { e.to_string() };
                return (self.visit)(Found::Problem(root.to_path_buf(), why));
            }
        };
        if metadata.is_file() {
            return (self.visit)(Found::File(root.to_path_buf()));
        }
        if !metadata.is_dir() {
            let why = format!("not a regular file or directory (it is {})", kind_of(&metadata));
            return (self.visit)(Found::Problem(root.to_path_buf(), why));
        }
        let mut stack = Vec::new();
        let mut ancestors = HashMap::new();
        let mut visited = HashSet::new();
        self.enter(root.to_path_buf(), &metadata, None, &mut stack, &mut ancestors, &mut visited)?;
        while let Some(frame) = stack.last_mut() {
            let Some(name) = frame.entries.next() else {
                if let Some(done) = stack.pop() {
                    ancestors.remove(&done.key);
                }
                continue;
            };
            let (path, parent_dev) = (frame.path.join(&name), frame.key.0);
            self.stats.entries = self.stats.entries.saturating_add(1);
            if pkgimg::write_path::is_temporary_name(&name) {
                self.stats.temporaries = self.stats.temporaries.saturating_add(1);
                continue;
            }
            self.entry(path, parent_dev, &mut stack, &mut ancestors, &mut visited)?;
        }
        Ok(())
    }

    /// One directory entry: a file is visited, a directory entered.
    fn entry(
        &mut self,
        path: PathBuf,
        parent_dev: u64,
        stack: &mut Vec<Frame>,
        ancestors: &mut HashMap<(u64, u64), usize>,
        visited: &mut HashSet<(u64, u64)>,
    ) -> io::Result<()> {
        self.stats.lookups = self.stats.lookups.saturating_add(1);
        let metadata = match fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(e) => return (self.visit)(Found::Problem(path, e.to_string())),
        };
        let metadata = if metadata.file_type().is_symlink() {
            self.stats.lookups = self.stats.lookups.saturating_add(1);
            match fs::metadata(&path) {
                Ok(target) if target.is_dir() && !self.options.follow => {
                    self.stats.links_not_followed = self.stats.links_not_followed.saturating_add(1);
                    return Ok(());
                }
                Ok(target) => target,
                Err(e) => return (self.visit)(Found::Problem(path, format!("broken symbolic link: {e}"))),
            }
        } else {
            metadata
        };
        if metadata.is_file() {
            return (self.visit)(Found::File(path));
        }
        if metadata.is_dir() {
            return self.enter(path, &metadata, Some(parent_dev), stack, ancestors, visited);
        }
        let why = format!("not a regular file or directory (it is {})", kind_of(&metadata));
        (self.visit)(Found::Problem(path, why))
    }

    /// Pushes the directory at `path` unless it is a loop, was walked
    /// already, or is a pseudo-file system reached from another one.
    fn enter(
        &mut self,
        path: PathBuf,
        metadata: &Metadata,
        parent_dev: Option<u64>,
        stack: &mut Vec<Frame>,
        ancestors: &mut HashMap<(u64, u64), usize>,
        visited: &mut HashSet<(u64, u64)>,
    ) -> io::Result<()> {
        let key = (metadata.dev(), metadata.ino());
        if let Some(&depth) = ancestors.get(&key) {
            let above = stack.get(depth).map_or_else(|| path.display().to_string(), |f| f.path.display().to_string());
            let why = format!("directory loop: this is {above}, already being scanned");
            return (self.visit)(Found::Problem(path, why));
        }
        if !visited.insert(key) {
            self.stats.revisited = self.stats.revisited.saturating_add(1);
            return Ok(());
        }
        if parent_dev.is_some_and(|dev| dev != key.0) && self.is_pseudo(key.0) {
            self.stats.pseudo = self.stats.pseudo.saturating_add(1);
            return Ok(());
        }
        self.stats.lookups = self.stats.lookups.saturating_add(1);
        let names = fs::read_dir(&path).and_then(|dir| dir.map(|e| e.map(|e| e.file_name())).collect());
        let mut names: Vec<OsString> = match names {
            Ok(names) => names,
            Err(e) => return (self.visit)(Found::Problem(path, format!("cannot read directory: {e}"))),
        };
        names.sort();
        self.stats.directories = self.stats.directories.saturating_add(1);
        ancestors.insert(key, stack.len());
        stack.push(Frame { path, key, entries: names.into_iter() });
        Ok(())
    }

    fn is_pseudo(&mut self, dev: u64) -> bool {
        self.pseudo.get_or_insert_with(pseudo_devices).contains(&dev)
    }
}

/// File-system types that hold no files worth scanning, only views of the
/// kernel's state, devices, or other processes' file systems.
const PSEUDO_TYPES: [&str; 20] = [
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "debugfs",
    "tracefs",
    "securityfs",
    "cgroup",
    "cgroup2",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "mqueue",
    "binfmt_misc",
    "efivarfs",
    "selinuxfs",
    "autofs",
    "rpc_pipefs",
    "nsfs",
];

/// The devices (`st_dev`) of the mounted pseudo-file systems: from
/// `/proc/self/mountinfo` (field 3 is `major:minor`, the type follows " - "),
/// or, without it, those of `/proc`, `/sys` and `/dev`.
fn pseudo_devices() -> HashSet<u64> {
    let mut devices = HashSet::new();
    if let Ok(text) = fs::read_to_string("/proc/self/mountinfo") {
        for line in text.lines() {
            let Some((fields, after)) = line.split_once(" - ") else { continue };
            let fs_type = after.split(' ').next().unwrap_or_default();
            if !PSEUDO_TYPES.contains(&fs_type) {
                continue;
            }
            let numbers = fields.split(' ').nth(2).and_then(|d| d.split_once(':'));
            if let Some((Ok(major), Ok(minor))) = numbers.map(|(a, b)| (a.parse::<u64>(), b.parse::<u64>())) {
                devices.insert(makedev(major, minor));
            }
        }
    }
    if devices.is_empty() {
        for path in ["/proc", "/sys", "/dev"] {
            if let Ok(m) = fs::metadata(path) {
                devices.insert(m.dev());
            }
        }
    }
    devices
}

/// Linux's `makedev` (glibc's encoding of `st_dev`).
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use super::*;

    /// Walks `roots`, returning the files, the problems and the stats.
    fn walked(roots: &[PathBuf], follow: bool) -> (Vec<PathBuf>, Vec<String>, WalkStats) {
        let (mut files, mut problems) = (Vec::new(), Vec::new());
        let stats = walk_with(roots, WalkOptions { follow }, &mut |found| {
            match found {
                Found::File(p) => files.push(p),
                Found::Problem(p, why) => problems.push(format!("{}: {why}", p.display())),
            }
            Ok(())
        })
        .unwrap();
        (files, problems, stats)
    }

    #[test]
    fn symlink_fan_out_is_walked_once_per_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (levels, fan) = (6u64, 8u64);
        for level in 0..=levels {
            fs::create_dir(dir.path().join(format!("L{level}"))).unwrap();
        }
        for level in 0..levels {
            for i in 0..fan {
                let link = dir.path().join(format!("L{level}/a{i}"));
                std::os::unix::fs::symlink(format!("../L{}", level + 1), link).unwrap();
            }
        }
        fs::write(dir.path().join(format!("L{levels}/f")), b"x").unwrap();
        let root = vec![dir.path().join("L0")];

        let (files, problems, stats) = walked(&root, false);
        assert!(files.is_empty() && problems.is_empty());
        assert_eq!((stats.entries, stats.links_not_followed, stats.directories), (fan, fan, 1));

        // 8^6 = 262,144 paths lead to f; the walk reads each directory once.
        let (files, problems, stats) = walked(&root, true);
        assert_eq!(files, [dir.path().join("L0/a0/a0/a0/a0/a0/a0/f")]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(stats.directories, levels + 1);
        assert_eq!(stats.entries, levels * fan + 1);
        assert_eq!(stats.revisited, levels * (fan - 1));
        assert!(stats.lookups <= 3 * stats.entries + 1, "{stats:?}");
    }

    #[test]
    fn a_deep_tree_costs_a_constant_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let mut deep = dir.path().join("t");
        for _ in 0..1200 {
            deep.push("d");
        }
        fs::create_dir_all(&deep).unwrap();
        fs::write(deep.join("f"), b"x").unwrap();
        let (files, problems, stats) = walked(&[dir.path().join("t")], false);
        assert_eq!(files, [deep.join("f")]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((stats.entries, stats.directories), (1200 + 1, 1200 + 1));
        // canonicalize() made this quadratic in lookups (cubic in bytes compared).
        assert!(stats.lookups <= 2 * stats.entries + 1, "{stats:?}");
    }

    #[test]
    fn a_loop_is_a_problem_when_links_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("a/up")).unwrap();
        let root = vec![dir.path().join("a")];
        let (_, problems, stats) = walked(&root, false);
        assert!(problems.is_empty() && stats.links_not_followed == 1);
        let (_, problems, _) = walked(&root, true);
        let expected = format!("{}: directory loop: this is {}", root[0].join("up/a").display(), root[0].display());
        assert!(problems.len() == 1 && problems[0].starts_with(&expected), "{problems:?}");
    }

    #[test]
    fn temporary_files_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".lib.so.pkgimg-0a1b2c"), b"partial").unwrap();
        fs::write(dir.path().join("lib.so"), b"x").unwrap();
        let (files, _, stats) = walked(&[dir.path().to_path_buf()], false);
        assert_eq!(files, [dir.path().join("lib.so")]);
        assert_eq!(stats.temporaries, 1);
    }

    #[test]
    fn makedev_matches_the_kernels_encoding() {
        // /dev/null is character device 1:3 on Linux.
        if let Ok(m) = fs::metadata("/dev/null") {
            assert_eq!(m.rdev(), makedev(1, 3));
        }
    }
}
