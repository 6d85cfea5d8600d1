//! Locating a payload from a path with the fewest system calls: open, fstat,
//! one `pread` of the first block, one more for each structure outside the
//! blocks read so far (usually none, or the header table and frame of an
//! injected library in one), close. No mapping: `mmap` and `munmap` cost more
//! than the lookup on a small library (BENCHMARKS.md §2).
//!
//! The walks are the navigators that run on bytes in memory, given a view
//! that holds only what has been read ([`Far`]): an access outside it records
//! the range and fails, the range is read, and the lookup runs again from the
//! start. A lookup costs well under a microsecond, a read several, so running
//! it two or three times is the cheap way to read no more than it needs.
//!
//! The same driver ([`read_and_walk`]) runs the payload lookup and the
//! dependency walk of a code cache ([`dependencies_of`], for
//! [`crate::split::find_data_library`]).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::lookup::{absolute, format_of, navigate, Key};
use crate::macho::fat::Cpu;
use crate::macho::platform::Platforms;
use crate::read::{Data, Far, Source};
use crate::{macho, DependencyKind, Error, FileRange, Format, Frame, Image};

/// The unit every read is rounded to: a page, so that a cold read costs the
/// same disk request as a fault on a mapping.
const BLOCK: u64 = 4096;
/// A file this small is read whole, in the first read: a `pread` of 64 KiB
/// from the page cache costs about 30 ns more than one of 4 KiB, a second
/// `pread` several hundred, and every library of the corpus under 64 KiB
/// then needs no other read. A larger file's first read is one block, so
/// that a lookup never reads much of a large payload.
const SMALL: u64 = 64 << 10;
/// Buffers larger than this are not kept for the next lookup.
const KEEP: usize = 1 << 20;
/// How far before a missing structure a read starts: the structure read just
/// before the one missing usually lies there (an ELF section name table just
/// before the section header table that `inject` writes after it).
const LOOK_BEHIND: u64 = 1024;
/// The reads a lookup may make after the first block: the ELF walk needs at
/// most three structures (section headers, their names, the frame), a
/// universal file one more (the slice's header). The dependency walk needs
/// as many: ELF program headers, `PT_DYNAMIC`, `DT_STRTAB`'s bytes; Mach-O
/// load commands; PE one section per table or name outside the others.
const MAX_READS: usize = 6;
/// The largest structure read: a header table larger than this is refused
/// rather than read into memory (`MappedFile` and [`crate::find_ji_payload`]
/// take any size).
const MAX_READ: u64 = 1 << 30;

/// A payload located from a path: where it is, and its frame. The bytes are
/// not read; map the file ([`crate::MappedFile`]) or read the range to use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    offset: u64,
    frame: Frame,
    container: FileRange,
    image: Image,
    slice: Option<u32>,
}

impl Located {
    /// Absolute file offset of the payload's first byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload's length in bytes.
    pub fn size(&self) -> u64 {
        self.frame.payload_size
    }

    /// The payload's file range.
    pub fn range(&self) -> FileRange {
        FileRange { offset: self.offset, size: self.frame.payload_size }
    }

    /// The decoded frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// The container section's file range (absolute).
    pub fn container(&self) -> FileRange {
        self.container
    }

    /// The image that holds the payload.
    pub fn image(&self) -> Image {
        self.image
    }

    /// For a universal file, the index of the slice that holds the payload
    /// (the slice the lookup chose: the host's for [`find_ji_payload_path`],
    /// the one the loader would map for a code cache's data library).
    pub fn slice(&self) -> Option<u32> {
        self.slice
    }
}

/// What a thin image is, as a loader matches a library against the image
/// that depends on it: its [`Image`], and for Mach-O its CPU (`cputype` and
/// `cpusubtype`), which say more than [`Image::arch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Machine {
    pub image: Image,
    pub cpu: Option<Cpu>,
    /// For Mach-O, the platforms it is built for.
    pub platforms: Option<Platforms>,
    /// For ELF, `e_flags`: glibc matches some of them against the process's
    /// (the float ABI on Arm and RISC-V, the ABI on MIPS and ppc64); 0 for
    /// other formats.
    pub flags: u32,
}

impl Machine {
    /// The machine of the thin image `image`, from its fixed header (and
    /// for Mach-O its platform load commands).
    #[inline(always)]
    pub(crate) fn of<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Machine, Error> {
        let (image, cpu, platforms, flags) = match format_of(image.bytes)? {
            Format::Elf => {
                let (identity, flags) = crate::elf::identify_with_flags(image)?;
                (identity, None, None, flags)
            }
            Format::MachO => {
                let (identity, cpu) = (macho::identify(image)?, Cpu::of(image)?);
                (identity, Some(cpu), Some(crate::macho::platform::platforms(image)?), 0)
            }
            Format::Pe | Format::Coff => (crate::coff::identify(image)?, None, None, 0),
        };
        Ok(Machine { image, cpu, platforms, flags })
    }

    /// Whether a process running an image of this machine can load an image
    /// of `other`: dyld matches the CPU type and subtype ([`Cpu::grade`]) and
    /// the platform ([`Platforms::loads`]); ld.so the class, byte order and
    /// `e_machine` (`elf_machine_matches_host` and the checks of
    /// `open_verify`); the PE loader the `Machine` field.
    pub(crate) fn takes(&self, other: &Machine) -> bool {
        match (self.cpu, other.cpu) {
            (Some(cpu), Some(other_cpu)) => cpu.grade(other_cpu).is_some() && self.takes_platform(other),
            _ => self.image == other.image,
        }
    }

    /// Whether dyld running an image of this machine loads one built for
    /// `other`'s platforms (true where either is no Mach-O image).
    pub(crate) fn takes_platform(&self, other: &Machine) -> bool {
        match (self.platforms, other.platforms) {
            (Some(process), Some(dylib)) => process.loads(dylib),
            _ => true,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cpu.and_then(Cpu::special_name) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.image.arch),
        }
    }
}

/// Which image of a universal file a lookup walks.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// The host's slice ([`crate::Arch::HOST`]), as [`crate::find_ji_payload`] picks it.
    Host,
    /// The slice a loader would map into a process that runs an image of
    /// this machine (a code cache's, for its data library).
    For(Machine),
}

/// Why [`find_ji_payload_path`] found no payload. Both variants name the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum LocateError {
    /// The file could not be opened or read, or is not a regular file.
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The file was read, and has no payload or malformed headers.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where, as [`crate::find_ji_payload`] reports it.
        source: Error,
    },
}

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocateError::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            LocateError::Format { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for LocateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LocateError::Io { source, .. } => Some(source),
            LocateError::Format { source, .. } => Some(source),
        }
    }
}

/// What went wrong inside, before the path is attached.
pub(crate) enum Failure {
    Io(io::Error),
    Format(Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// Finds the payload of the file at `path` as [`crate::find_ji_payload`]
/// does (for a universal file, in the host's slice), reading only the blocks
/// that hold its headers and frame: for most libraries the first 4 KiB, plus
/// one read for a header table stored elsewhere.
///
/// ```
/// // corpus/expected.json: `elf/x86_64-linux-musl.so` has its payload at 1088, 1000 bytes.
/// let found = pkgimg::find_ji_payload_path("corpus/elf/x86_64-linux-musl.so")?;
/// assert_eq!((found.offset(), found.size()), (1088, 1000));
///
/// // The errors name the file.
/// let error = pkgimg::find_ji_payload_path("corpus/nopayload/x86_64-linux-musl.so").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "corpus/nopayload/x86_64-linux-musl.so: no payload: this ELF x86_64 image has no .jlji container"
/// );
/// # Ok::<(), pkgimg::LocateError>(())
/// ```
pub fn find_ji_payload_path(path: impl AsRef<Path>) -> Result<Located, LocateError> {
    let path = path.as_ref();
    open_and_locate(path).map_err(|failure| named(failure, path))
}

/// Opens `path` and locates its payload.
fn open_and_locate(path: &Path) -> Result<Located, Failure> {
    let (file, len) = open_with_len(path)?;
    locate_len(&file, len)
}

/// Opens `path` for reading and returns its length, the way every lookup
/// from a path here opens a file. `O_NONBLOCK`: a FIFO where a file was
/// expected must not block the open. The length comes from
/// `lseek(SEEK_END)`, a third of the cost of `fstat` here (BENCHMARKS.md
/// §2.1); what is not a regular file fails at that seek (a FIFO or socket:
/// `ESPIPE`) or at the first read (a directory: `EISDIR`), and a character
/// device, whose length is 0, reads as an empty file.
pub(crate) fn open_with_len(path: &Path) -> io::Result<(File, u64)> {
    let mut file = open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    Ok((file, len))
}

/// `path` opened for reading with `O_NONBLOCK`, so that a FIFO cannot
/// block, and `O_NOCTTY`, so that a terminal a file names (a dependency
/// `/dev/tty1`, review 19 F3) never becomes the controlling terminal of a
/// process that has none.
pub(crate) fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

/// Runs `f` on a buffer of `size` bytes from this thread's spare buffers
/// (allocated and zeroed only the first time one of that size is needed),
/// for a caller that reads a file's head into memory and walks it there.
pub(crate) fn with_buffer<R>(size: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    let spare = SPARE.with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.spare.pop()));
    let mut buffer = spare.unwrap_or_default();
    if buffer.len() < size {
        buffer.resize(size, 0);
    }
    let result = f(buffer.get_mut(..size).unwrap_or_default());
    if buffer.len() <= KEEP {
        let _ = SPARE.with(|s| s.try_borrow_mut().map(|mut s| s.spare.push(buffer)));
    }
    result
}

/// [`find_ji_payload_path`] for a file the caller has opened (with
/// `O_NONBLOCK`, say, so that a FIFO cannot block it); `path` names it in errors.
pub fn find_ji_payload_file(file: &File, path: &Path) -> Result<Located, LocateError> {
    locate(file).map_err(|failure| named(failure, path))
}

#[cold]
fn named(failure: Failure, path: &Path) -> LocateError {
    let path = path.to_path_buf();
    match failure {
        Failure::Io(source) => LocateError::Io { path, source },
        Failure::Format(source) => LocateError::Format { path, source },
    }
}

/// The payload of the image of `file` (`len` bytes) that a loader running an
/// image of `machine` would map, for a code cache of that machine looking
/// for its data library: of a universal file the slice [`Cpu::grade`]
/// prefers, and a thin file only if it is of that machine; `Ok(Err(found))`
/// if it is of another machine, `found`. The caller has read the file's
/// length. A thin file is walked as [`find_ji_payload_file`] walks it, its
/// fixed header checked first: `verify` is given its first bytes (an ELF
/// header's worth, if the file has them) before anything is parsed, so that
/// a loader's own checks of the header come in the loader's order; an `Err`
/// from it is the answer.
pub(crate) fn find_ji_payload_for<R>(
    file: &File,
    len: u64,
    path: &Path,
    machine: Machine,
    verify: impl Fn(&[u8]) -> Result<(), R>,
) -> Result<Result<Located, NotTaken<R>>, LocateError> {
    let walk = |image: Data<'_, &Far<'_>>, index: Option<u32>| {
        if index.is_none() {
            let head = image.bytes.get(..64).unwrap_or(image.bytes);
            if let Err(refused) = verify(head) {
                return Ok(Err(NotTaken::Refused(refused)));
            }
        }
        // A header that does not parse is the caller's to judge: dyld passes
        // over such a file, ld.so stops at it. (A read still missing is
        // made first: `read_until_complete` looks at what is missing before
        // the answer.)
        let found = match Machine::of(image) {
            Ok(found) => found,
            Err(error) => return Ok(Err(NotTaken::Malformed(error))),
        };
        // A slice was chosen for `machine`'s CPU by its universal header
        // entry; its platform is known only from its load commands.
        let taken = if index.is_none() { machine.takes(&found) } else { machine.takes_platform(&found) };
        if !taken {
            return Ok(Err(NotTaken::OtherMachine(found)));
        }
        payload(image, index).map(Ok)
    };
    read_and_walk(file, len, &[], Pick::For(machine), walk).map_err(|failure| named(failure, path))
}

/// Why [`find_ji_payload_for`] took no payload from a file it could read.
pub(crate) enum NotTaken<R> {
    /// The file's image is of this other machine.
    OtherMachine(Machine),
    /// The caller's `verify` refused its header.
    Refused(R),
    /// Its fixed header or load commands do not parse.
    Malformed(Error),
}

/// The lookup, run again after each read until it needs nothing more.
fn locate(file: &File) -> Result<Located, Failure> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Failure::Io(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file")));
    }
    locate_len(file, meta.len())
}

/// [`locate`] in a regular file of `len` bytes.
fn locate_len(file: &File, len: u64) -> Result<Located, Failure> {
    read_and_walk(file, len, &[], Pick::Host, payload)
}

/// The most bytes of dependency names a code cache's search takes (a real
/// code cache's come to a few KB): [`dependencies_of`] stops after the
/// record that passes it, and the search refuses such a list.
pub(crate) const MAX_NAME_BYTES: usize = 1 << 20;

/// The dependency records of the file `file` of `len` bytes (for a universal
/// file, of the host's slice), as [`crate::dependencies()`] gives them on its
/// bytes: the same kinds and names (lossily UTF-8), in header order, and the
/// first `Err` item of that walk, or its error, as the error; with the
/// machine of the image they belong to, which picks its data library's
/// slice. `head` is the file's first bytes as the caller has read them (its
/// first 16 KiB, say): they are not read again. A large code cache is not mapped: after the
/// head, the walk reads only what lies outside it (for an ELF file, usually
/// one read of `PT_DYNAMIC`, and `DT_STRTAB`'s bytes if they are not in it).
/// It stops after the record whose name takes the names' bytes past
/// [`MAX_NAME_BYTES`].
pub(crate) fn dependencies_of(
    file: &File,
    len: u64,
    head: &[u8],
) -> Result<(Machine, Vec<(DependencyKind, String)>), Failure> {
    read_and_walk(file, len, head, Pick::Host, |image, _| {
        let machine = Machine::of(image)?;
        let mut records = Vec::new();
        let mut bytes = 0usize;
        // Owned: the names borrow buffers that are given back afterwards.
        for record in crate::dependencies::records(image)? {
            let record = record?;
            records.push((record.kind, String::from_utf8_lossy(record.name).into_owned()));
            // Many records may share one long name: past the limit, the
            // caller refuses the list, so the rest need not be copied.
            bytes = bytes.saturating_add(record.name.len());
            if bytes > MAX_NAME_BYTES {
                break;
            }
        }
        Ok((machine, records))
    })
}

/// Runs `walk` on the image of `file` (`len` bytes): the file, or for a
/// universal file the slice `pick` chooses, with the slice's index. The walk sees a
/// view of the blocks read so far; what it misses is read, and it runs
/// again, until it misses nothing. `head` is the file's first bytes if the
/// caller has read them (may be empty). `T` is owned: the buffers are given
/// back when this returns.
fn read_and_walk<T, W>(file: &File, len: u64, head: &[u8], pick: Pick, walk: W) -> Result<T, Failure>
where
    W: for<'a> Fn(Data<'a, &'a Far<'a>>, Option<u32>) -> Result<T, Error>,
{
    let mut reads = Reads::take();
    let result = read_until_complete(file, len, head, pick, &mut reads, &walk);
    reads.give_back();
    result
}

fn read_until_complete<T, W>(
    file: &File,
    len: u64,
    head: &[u8],
    pick: Pick,
    reads: &mut Reads,
    walk: &W,
) -> Result<T, Failure>
where
    W: for<'a> Fn(Data<'a, &'a Far<'a>>, Option<u32>) -> Result<T, Error>,
{
    // No more of the head than the file's length: the view's bytes must not
    // hold what its length says is not there (a file that shrank since).
    let head = head.get(..usize::try_from(len).unwrap_or(usize::MAX)).unwrap_or(head);
    // The magic and the fixed headers are read from the first window
    // directly: it must hold the first block, or the whole file.
    if (head.len() as u64) < len.min(BLOCK) {
        reads.read(file, 0, if len <= SMALL { len } else { BLOCK })?;
    }
    loop {
        let given = Some((0, head)).filter(|(_, head)| !head.is_empty());
        let windows: Vec<(u64, &[u8])> = given.into_iter().chain(reads.windows()).collect();
        let (result, missing) = attempt(&windows, len, pick, walk);
        match missing {
            Some((at, size)) if windows.len() <= MAX_READS => {
                let (start, end) = span(at, size, len);
                if end.saturating_sub(start) > MAX_READ {
                    let message = format!("a header structure of {size} bytes at {at:#x} is too large to read");
                    return Err(Failure::Io(io::Error::new(io::ErrorKind::InvalidData, message)));
                }
                reads.read(file, start, end.saturating_sub(start))?;
            }
            // Everything the lookup asked for was read: its answer stands.
            // (After MAX_READS it fails with the error the missing range caused.)
            _ => return result.map_err(Failure::Format),
        }
    }
}

thread_local! {
    /// What earlier lookups on this thread read into, kept so that the next
    /// one neither allocates nor zeroes: the blocks' list, and the buffers.
    static SPARE: RefCell<Reads> = const { RefCell::new(Reads { blocks: Vec::new(), spare: Vec::new() }) };
}

/// The blocks read by one lookup: `(offset, buffer, bytes read)`.
#[derive(Default)]
struct Reads {
    blocks: Vec<(u64, Vec<u8>, usize)>,
    spare: Vec<Vec<u8>>,
}

impl Reads {
    fn take() -> Reads {
        let mut reads = SPARE.with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default());
        reads.blocks.reserve(MAX_READS.saturating_add(1));
        reads
    }

    fn give_back(self) {
        let Reads { mut blocks, mut spare } = self;
        spare.extend(blocks.drain(..).map(|(_, buffer, _)| buffer).filter(|b| b.len() <= KEEP));
        let _ = SPARE.with(|s| s.try_borrow_mut().map(|mut s| *s = Reads { blocks, spare }));
    }

    fn windows(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.blocks.iter().map(|(at, buffer, n)| (*at, buffer.get(..*n).unwrap_or_default()))
    }

    /// Reads `size` bytes at `at` (fewer only at the end of a file that
    /// shrank since its length was taken, which the lookup then reports as
    /// a structure running past the end).
    fn read(&mut self, file: &File, at: u64, size: u64) -> io::Result<()> {
        let size = usize::try_from(size).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let mut buffer = self.spare.pop().unwrap_or_default();
        if buffer.len() < size {
            buffer.resize(size, 0);
        }
        let mut n = 0;
        while let Some(rest) = buffer.get_mut(n..size).filter(|rest| !rest.is_empty()) {
            match file.read_at(rest, at.saturating_add(n as u64)) {
                Ok(0) => break,
                Ok(got) => n = n.saturating_add(got),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.blocks.push((at, buffer, n));
        Ok(())
    }
}

/// One run of `walk` over the blocks read so far; with the first range it
/// needed and did not have, if any (then its result means nothing).
fn attempt<T, W>(windows: &[(u64, &[u8])], len: u64, pick: Pick, walk: &W) -> (Result<T, Error>, Option<(u64, u64)>)
where
    W: for<'a> Fn(Data<'a, &'a Far<'a>>, Option<u32>) -> Result<T, Error>,
{
    let file_far = Far { len, windows, missing: Cell::new(None) };
    let file = Data::partial(head(windows, 0), 0, "the file", &file_far);
    let first = file.bytes;
    if !macho::fat::is_fat(first) {
        let result = walk(file, None);
        return (result, file_far.missing.get());
    }
    let chosen = macho::fat::table(file).and_then(|table| match pick {
        Pick::Host => table.host(file),
        Pick::For(machine) => table.for_cpu(file, machine.cpu, machine.image.arch),
    });
    let (index, range) = match chosen {
        Ok((index, _, range)) => (index, range),
        Err(e) => return (Err(e), file_far.missing.get()),
    };
    // The slice's first block, no more than the slice: its magic and header
    // are read from `bytes` directly, and nothing past its end may be.
    let first = head(windows, range.offset);
    let first = first.get(..usize::try_from(range.size).unwrap_or(usize::MAX)).unwrap_or(first);
    let wanted = range.size.min(BLOCK);
    if (first.len() as u64) < wanted {
        // Read next (the slice lies in the file: the table checked it); the
        // error stands only if the file shrank meanwhile.
        let (offset, size, available) = (range.offset, wanted, first.len() as u64);
        let error = Error::Truncated { what: "the slice", offset, size, count: 1, scope: "the slice", available };
        return (Err(error), Some((range.offset, wanted)));
    }
    let slice_far = Far { len: range.size, windows, missing: Cell::new(None) };
    let slice = Data::partial(first, range.offset, "the slice", &slice_far);
    let result = walk(slice, Some(index));
    (result, file_far.missing.get().or(slice_far.missing.get()))
}

/// The payload of the image `image` (slice `index` of a universal file).
fn payload<'a>(image: Data<'a, &'a Far<'a>>, index: Option<u32>) -> Result<Located, Error> {
    let format = format_of(image.bytes)?;
    let lookup = navigate(image, Key::container(format))?;
    let container =
        lookup.section.ok_or(Error::NoContainer { format: lookup.image.format, arch: lookup.image.arch })?;
    let (frame, start) = Frame::decode_range(image, container)?;
    Ok(Located {
        offset: image.base.saturating_add(start),
        frame,
        container: absolute(image, container),
        image: lookup.image,
        slice: index,
    })
}

/// The bytes read from `at` on, from the window that holds `at` (the first
/// block of an image, for the magic and the fixed header); empty if none does.
fn head<'a>(windows: &[(u64, &'a [u8])], at: u64) -> &'a [u8] {
    windows
        .iter()
        .filter_map(|&(start, bytes)| bytes.get(usize::try_from(at.checked_sub(start)?).ok()?..))
        .max_by_key(|bytes| bytes.len())
        .unwrap_or(&[])
}

/// The range to read for `size` bytes at `at`: whole blocks, from a little
/// before it (see [`LOOK_BEHIND`]), within the file's `len` bytes.
fn span(at: u64, size: u64, len: u64) -> (u64, u64) {
    let start = at.saturating_sub(LOOK_BEHIND) & !(BLOCK - 1);
    let end = at.saturating_add(size).checked_next_multiple_of(BLOCK).unwrap_or(u64::MAX);
    (start.min(len), end.min(len))
}

#[cfg(test)]
mod tests;
