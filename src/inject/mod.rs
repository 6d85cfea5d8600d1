//! Post-link injection: put a payload into an existing shared library.
//!
//! ```
//! use std::path::Path;
//! use pkgimg::inject::{inject, InjectOptions};
//!
//! let dir = std::env::temp_dir().join(format!("pkgimg-doc-inject-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! // "123456789": its CRC-32C is the CRC catalogue's check value, 0xe3069283.
//! let data = dir.join("Foo.ji");
//! std::fs::write(&data, b"123456789")?;
//!
//! let library = Path::new("corpus/nopayload/x86_64-linux-musl.so");
//! let out = dir.join("libFoo.so");
//! let report = inject(library, &data, &out, InjectOptions::default())?;
//! assert_eq!((report.payload_size, report.payload_crc32c), (9, 0xe306_9283));
//! // FORMAT.md, "Writing rules": where the writer lays out the file, the
//! // payload starts on a page, so it can be mapped by itself.
//! assert_eq!(report.payload_offset % 4096, 0);
//!
//! let bytes = std::fs::read(&out)?;
//! let payload = pkgimg::find_ji_payload(&bytes)?;
//! assert_eq!((payload.offset(), payload.data()), (report.payload_offset, &b"123456789"[..]));
//! payload.verify()?;
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each format module describes the output as a `Plan`: an ordered list of
//! `Piece`s (ranges of the input, new bytes, padding, the payload). This
//! driver streams them into a temporary file next to the destination, reads
//! the result back to check that the payload is found exactly where the layout
//! put it with the size and CRC-32C written, and only then renames it into
//! place. So:
//!
//! - The payload is never read into memory, and its bytes are copied once:
//!   in 16 MiB windows, each mapped, checksummed and written (one copy, as
//!   `copy_file_range` makes), calling the progress callback after each. Its CRC-32C is then written into the
//!   frame the layout left for it ("sealing"), before anything that hashes
//!   the output (PE checksum, Mach-O code signature) is computed. A payload
//!   that shrinks or changes meanwhile is an error, not a torn copy.
//! - Nothing is half-written: a failure, or a process killed at any moment,
//!   leaves at most a `.NAME.pkgimg-XXXXXX` temporary file in the
//!   destination's directory (removed on every error return), never a partial
//!   file at the destination. The input is never opened for writing; in-place
//!   injection replaces it by rename too.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::write::error::io_error;
pub use crate::write::error::InjectError;
pub use crate::write::plan::InjectOptions;
use crate::write::plan::{payload_info, PayloadInfo, Piece, UNSEALED};
use crate::{container_name, Error, Format};

/// The payload is copied and checksummed in windows of 16 MiB, reporting
/// progress after each.
const COPY_STEP: u64 = 16 << 20;
/// Runs of zeros at least this long are left as a hole (seek) instead of written.
const HOLE_MIN: u64 = 1 << 20;

/// What [`inject`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InjectReport {
    /// The file written (the destination, after the rename).
    pub output: PathBuf,
    /// The library's format.
    pub format: Format,
    /// Absolute file offset of the payload (for a universal file, the first
    /// slice's payload).
    pub payload_offset: u64,
    /// The payload's size in bytes.
    pub payload_size: u64,
    /// The payload's CRC-32C, as recorded in the frame.
    pub payload_crc32c: u32,
    /// Size of the written file.
    pub output_size: u64,
    /// Whether an existing payload was replaced.
    pub replaced: bool,
}

/// Adds a payload to `library`, writing the result to `out` (which may be
/// `library` itself; see also [`inject_in_place`]). The output keeps the
/// input's permission bits.
///
/// ELF: a non-allocated `.jlji` section after the input's bytes, with new
/// section name and header tables after it. PE: a `.jlji` section holding the
/// frame, and the payload in the overlay. Mach-O (thin or universal): a
/// `__JULIA` segment with the `__ji` section. The payload always starts on a
/// 4096-byte page (16384 for arm64 Mach-O).
///
/// The payload must be a regular file: it is read once for its CRC-32C and
/// then copied.
///
/// ```
/// use std::path::Path;
/// use pkgimg::inject::{inject, InjectError, InjectOptions};
///
/// let dir = std::env::temp_dir().join(format!("pkgimg-doc-replace-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let data = dir.join("new.ji");
/// std::fs::write(&data, b"new payload")?;
/// let out = dir.join("lib.so");
///
/// // corpus/expected.json: this library already has a payload; llvm-readobj
/// // puts its `.jlji` at 0x3c0. Without `replace` nothing is written.
/// let library = Path::new("corpus/elf/x86_64-linux-musl.so");
/// match inject(library, &data, &out, InjectOptions::default()) {
///     Err(InjectError::AlreadyHasPayload { offset, .. }) => assert_eq!(offset, 0x3c0),
///     other => panic!("expected AlreadyHasPayload, got {other:?}"),
/// }
/// assert!(!out.exists());
///
/// let report = inject(library, &data, &out, InjectOptions { replace: true, ..Default::default() })?;
/// assert!(report.replaced);
/// let bytes = std::fs::read(&out)?;
/// assert_eq!(pkgimg::find_ji_payload(&bytes)?.data(), b"new payload");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inject(
    library: &Path,
    payload: &Path,
    out: &Path,
    mut options: InjectOptions,
) -> Result<InjectReport, InjectError> {
    let input = File::open(library).map_err(io_error(library, "open the library"))?;
    let mode = input.metadata().map_err(io_error(library, "read the library's metadata"))?.permissions();
    let map = map(&input).map_err(io_error(library, "map the library"))?;
    let bytes: &[u8] = &map;
    let (format, had) = existing_container(bytes).map_err(|e| InjectError::from(e).at(library))?;
    if format != Format::MachO && !options.per_arch.is_empty() {
        let reason = format!("per-architecture payloads apply to universal Mach-O files only, not to {format} files");
        return Err(InjectError::Refused { path: library.to_path_buf(), structure: "file header", offset: 0, reason });
    }
    if let (Some(offset), false) = (had, options.replace) {
        return Err(InjectError::AlreadyHasPayload { path: library.to_path_buf(), offset });
    }

    let info = payload_info(payload)?;
    let mut progress = options.progress.take();
    let layout = match format {
        Format::Elf => crate::elf::inject::layout(bytes, info, &options),
        Format::Pe => crate::coff::inject::layout(bytes, info, &options),
        Format::Coff => Err(InjectError::refused(
            "COFF file header",
            0,
            "this is a COFF object (.obj), not a PE image; inject into the linked DLL instead",
        )),
        Format::MachO => crate::macho::inject::layout(bytes, info, &options),
    }
    .map_err(|e| e.at(library))?;

    let sources = Sources { input: &input, library, payload, info, options: &options };
    let temp = TempFile::create(out)?;
    let written = write_pieces(&temp, layout.pieces, &sources, &mut progress)?;
    temp.file.set_permissions(mode).map_err(io_error(&temp.path, "set the permissions of the temporary file"))?;
    temp.file.sync_all().map_err(io_error(&temp.path, "sync the temporary file"))?;
    let checked = verify(&temp, &written, layout.payload_offset).map_err(|e| e.at(out))?;
    drop(map);
    temp.commit(out)?;
    Ok(InjectReport {
        output: out.to_path_buf(),
        format,
        payload_offset: checked.offset,
        payload_size: checked.size,
        payload_crc32c: checked.crc32c,
        output_size: written.size,
        replaced: had.is_some(),
    })
}

/// [`inject`] with the library as its own destination: the result replaces
/// it by rename (the input file is never written to). A symbolic link is
/// followed, so the file it points to is replaced and the link kept.
///
/// ```
/// use std::sync::mpsc;
/// use pkgimg::inject::{inject_in_place, InjectOptions};
///
/// let dir = std::env::temp_dir().join(format!("pkgimg-doc-in-place-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let library = dir.join("libFoo.dll");
/// std::fs::copy("corpus/nopayload/x86_64-windows-gnu.dll", &library)?;
/// let data = dir.join("Foo.ji");
/// std::fs::write(&data, b"123456789")?;
///
/// // The callback must be 'static: a channel carries the calls out.
/// let (calls, seen) = mpsc::channel();
/// let progress = Box::new(move |done: u64, total: u64| calls.send((done, total)).unwrap());
/// inject_in_place(&library, &data, InjectOptions { progress: Some(progress), ..Default::default() })?;
/// // Once before the copy, once after its only step.
/// assert_eq!(seen.try_iter().collect::<Vec<_>>(), [(0, 9), (9, 9)]);
///
/// let bytes = std::fs::read(&library)?;
/// assert_eq!(pkgimg::find_ji_payload(&bytes)?.data(), b"123456789");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inject_in_place(library: &Path, payload: &Path, options: InjectOptions) -> Result<InjectReport, InjectError> {
    let real = fs::canonicalize(library).map_err(io_error(library, "resolve the library's path"))?;
    inject(&real, payload, &real, options)
}

/// Maps `file` read-only.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: mmap(2) is the only way to hand the navigators (which take
    // `&[u8]`) a file of any size while reading just the header pages. The
    // mapping is private and read-only; Rust's aliasing rules hold as long as
    // no other process truncates or rewrites the file while it is mapped. This
    // crate never writes to a file while it is mapped (the inputs are opened
    // read-only; the output is mapped only after its pieces are written, and
    // unmapped before its frames are sealed),
    // and a library being rewritten by another process during injection is
    // outside what any tool of this kind can guard against.
    unsafe { memmap2::Mmap::map(file) }
}

/// Maps `len` bytes of the payload `file` from `offset`, read-only, for one
/// window of the copy: the CRC reads them, and `write(2)` copies them into
/// the output, one copy in all (as `copy_file_range(2)` makes; `read` +
/// `write` would make two).
#[allow(unsafe_code)]
fn map_window(file: &File, offset: u64, len: usize) -> io::Result<memmap2::Mmap> {
    // SAFETY: as in `map`: a private read-only mapping of a file this crate
    // opened read-only and never writes. The caller has just checked that the
    // file still holds the whole window. If another process truncates the
    // payload in the instant between that check and the reads, the reads
    // fault (SIGBUS) and the process dies as if killed: the destination is
    // untouched and only the temporary file is left, as with SIGKILL.
    unsafe { memmap2::MmapOptions::new().offset(offset).len(len).map(file) }
}

/// What `copy_payload` compares before and after the copy to notice a
/// payload changed meanwhile: size, modification and status-change times.
fn stamp(file: &File) -> io::Result<(u64, Option<std::time::SystemTime>, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata()?;
    Ok((metadata.len(), metadata.modified().ok(), metadata.ctime(), metadata.ctime_nsec()))
}

/// The input's format and, if it already has a container (in any slice), where.
fn existing_container(bytes: &[u8]) -> Result<(Format, Option<u64>), Error> {
    let mut format = None;
    let mut found = None;
    for slice in crate::slices(bytes)? {
        let slice = slice?;
        let slice_format = crate::lookup::format_of(slice.bytes())?;
        let lookup = slice.find_section(container_name(slice_format))?;
        format = Some(lookup.image.format);
        found = found.or(lookup.section.map(|s| s.offset));
    }
    Ok((format.unwrap_or(Format::MachO), found))
}

/// What the pieces are copied from.
struct Sources<'a> {
    input: &'a File,
    library: &'a Path,
    payload: &'a Path,
    info: PayloadInfo,
    options: &'a InjectOptions,
}

/// A payload as copied: where it went, its size, and the CRC-32C of the bytes written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Copied {
    offset: u64,
    size: u64,
    crc32c: u32,
}

/// Where each payload went, and the file's size.
struct Written {
    payloads: Vec<Copied>,
    size: u64,
}

/// The temporary output: removed on drop unless committed.
struct TempFile {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl TempFile {
    /// Creates `.NAME.pkgimg-XXXXXX` next to `out`, readable and writable.
    fn create(out: &Path) -> Result<TempFile, InjectError> {
        let dir = parent(out);
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
            .unwrap_or(0)
            ^ std::process::id().rotate_left(16);
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

    /// Renames the file to `out` and makes the rename durable.
    fn commit(mut self, out: &Path) -> Result<(), InjectError> {
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

/// The directory a path is in ("." for a bare file name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes every piece to the temporary file, then fills the deferred ones.
fn write_pieces(
    temp: &TempFile,
    pieces: Vec<Piece>,
    sources: &Sources<'_>,
    progress: &mut Option<Box<dyn FnMut(u64, u64)>>,
) -> Result<Written, InjectError> {
    let path = temp.path.as_path();
    let mut out = &temp.file;
    let mut at = 0u64;
    let mut deferred = Vec::new();
    let mut payloads = Vec::new();
    let zeros = vec![0u8; 64 << 10];
    let too_big = || InjectError::Verify { path: path.to_path_buf(), reason: "output size overflows 64 bits".into() };
    for piece in pieces {
        let len = match piece {
            Piece::Input { offset, len } => {
                let mut input = sources.input;
                input.seek(SeekFrom::Start(offset)).map_err(io_error(sources.library, "seek in the library"))?;
                let copied =
                    io::copy(&mut input.take(len), &mut out).map_err(io_error(path, "copy the library's bytes"))?;
                if copied != len {
                    return Err(InjectError::Refused {
                        path: sources.library.to_path_buf(),
                        structure: "library bytes",
                        offset: offset.saturating_add(copied),
                        reason: format!(
                            "the file ended {} bytes early; was it changed meanwhile?",
                            len.saturating_sub(copied)
                        ),
                    });
                }
                len
            }
            Piece::Bytes(bytes) => {
                out.write_all(&bytes).map_err(io_error(path, "write to the temporary file"))?;
                bytes.len() as u64
            }
            Piece::Zeros(len) => {
                write_zeros(out, len, &zeros).map_err(io_error(path, "write to the temporary file"))?;
                len
            }
            Piece::Payload => {
                let crc32c = copy_payload(out, sources.payload, sources.info, path, progress)?;
                payloads.push(Copied { offset: at, size: sources.info.size, crc32c });
                sources.info.size
            }
            Piece::ArchPayload { index, info } => {
                let source = sources.options.per_arch.get(index).map(|(_, p)| p.as_path()).ok_or_else(|| {
                    InjectError::Verify { path: path.to_path_buf(), reason: format!("no per-arch payload {index}") }
                })?;
                let crc32c = copy_payload(out, source, info, path, progress)?;
                payloads.push(Copied { offset: at, size: info.size, crc32c });
                info.size
            }
            Piece::Deferred { len, fill } => {
                write_zeros(out, len, &zeros).map_err(io_error(path, "write to the temporary file"))?;
                deferred.push((at, len, fill));
                len
            }
        };
        at = at.checked_add(len).ok_or_else(too_big)?;
    }
    // Runs of zeros at the end may be holes: give the file its full length.
    temp.file.set_len(at).map_err(io_error(path, "set the temporary file's length"))?;
    // The frames' CRCs before the deferred pieces, which may hash them (Mach-O signature, PE checksum).
    seal(temp, &payloads)?;
    for (offset, len, fill) in deferred {
        let bytes = fill(&temp.file).map_err(io_error(path, "compute deferred bytes"))?;
        if bytes.len() as u64 != len {
            let reason = format!("a deferred piece at {offset:#x} is {} bytes, not {len}", bytes.len());
            return Err(InjectError::Verify { path: path.to_path_buf(), reason });
        }
        temp.file.write_all_at(&bytes, offset).map_err(io_error(path, "write to the temporary file"))?;
    }
    Ok(Written { payloads, size: at })
}

/// Writes `len` zero bytes at the current position; long runs become a hole.
fn write_zeros(mut out: &File, len: u64, zeros: &[u8]) -> io::Result<()> {
    if len >= HOLE_MIN {
        let step = i64::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        out.seek(SeekFrom::Current(step))?;
        return Ok(());
    }
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(zeros.len());
        out.write_all(zeros.get(..n).unwrap_or_default())?;
        left = left.saturating_sub(n as u64);
    }
    Ok(())
}

/// Copies exactly `info.size` bytes of `source` to `out` and returns their
/// CRC-32C: one pass over windows of `COPY_STEP` bytes, each mapped,
/// checksummed, written and unmapped (so resident memory stays at one
/// window), with progress reported after each. A payload that shrinks or
/// changes during the copy is an error, not a torn copy.
fn copy_payload(
    mut out: &File,
    source: &Path,
    info: PayloadInfo,
    temp: &Path,
    progress: &mut Option<Box<dyn FnMut(u64, u64)>>,
) -> Result<u32, InjectError> {
    let file = File::open(source).map_err(io_error(source, "open the payload"))?;
    let metadata = |file: &File| stamp(file).map_err(io_error(source, "read the payload's metadata"));
    let before = metadata(&file)?;
    let total = info.size;
    let (mut done, mut crc) = (0u64, 0u32);
    if let Some(report) = progress.as_mut() {
        report(done, total);
    }
    while done < total {
        let step = COPY_STEP.min(total.saturating_sub(done));
        let now = metadata(&file)?.0;
        if now < done.saturating_add(step) {
            return Err(InjectError::Refused {
                path: source.to_path_buf(),
                structure: "payload",
                offset: now,
                reason: format!("the file ended at {now} bytes, but it had {total} when the output was laid out"),
            });
        }
        let len = usize::try_from(step)
            .map_err(|_| io_error(source, "map the payload")(io::ErrorKind::InvalidInput.into()))?;
        let window = map_window(&file, done, len).map_err(io_error(source, "map the payload"))?;
        crc = crc32c::crc32c_append(crc, &window);
        out.write_all(&window).map_err(io_error(temp, "write the payload"))?;
        drop(window);
        start_writeback(out, step);
        done = done.saturating_add(step);
        if let Some(report) = progress.as_mut() {
            report(done, total);
        }
    }
    if metadata(&file)? != before {
        let reason = "the file changed while it was copied; the output would mix old and new bytes".to_string();
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    Ok(crc)
}

/// Asks the kernel to start writing the `len` bytes just written (ending at
/// the file position) to disk now, without waiting, so that the disk works
/// while the rest is copied and the final `sync_all` has less left to do. A
/// hint only: if it fails, `sync_all` still writes everything.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn start_writeback(mut out: &File, len: u64) {
    use std::os::fd::AsRawFd;
    let Ok(end) = out.stream_position() else { return };
    let (Ok(start), Ok(len)) = (i64::try_from(end.saturating_sub(len)), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range(2) only reads its integer arguments; the
    // descriptor is open for the duration of the call.
    unsafe { libc::sync_file_range(out.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_out: &File, _len: u64) {}

/// Writes each copied payload's CRC-32C into its frame. The frame is found
/// by reading the output back, as any reader would, and must be the one the
/// layout wrote for exactly this payload, with the placeholder CRC.
fn seal(temp: &TempFile, copied: &[Copied]) -> Result<(), InjectError> {
    let path = temp.path.as_path();
    let fail = |reason: String| InjectError::Verify { path: path.to_path_buf(), reason };
    let frames = read_back(temp, fail)?;
    for payload in copied {
        let Some(&(found, frame_at)) = frames.iter().find(|(found, _)| found.offset == payload.offset) else {
            return Err(fail(format!("no frame describes the payload written at {:#x}", payload.offset)));
        };
        if (found.size, found.crc32c) != (payload.size, UNSEALED) {
            return Err(fail(format!(
                "the frame at {frame_at:#x} says {} bytes with CRC-32C {:#010x}, \
                 not the {} bytes and placeholder the layout wrote",
                found.size, found.crc32c, payload.size
            )));
        }
        let field = frame_at
            .checked_add(crate::frame::field::PAYLOAD_CRC32C as u64)
            .ok_or_else(|| fail("frame offset overflows".into()))?;
        temp.file.write_all_at(&payload.crc32c.to_le_bytes(), field).map_err(io_error(path, "seal the frame"))?;
    }
    Ok(())
}

/// Every image's payload in the temporary file, read back as any reader
/// would: where it is, the size and CRC-32C its frame gives, and where the
/// frame is. An image without a payload is an error, made by `fail`.
fn read_back(temp: &TempFile, fail: impl Fn(String) -> InjectError) -> Result<Vec<(Copied, u64)>, InjectError> {
    let map = map(&temp.file).map_err(io_error(&temp.path, "map the temporary file"))?;
    let mut found = Vec::new();
    for item in crate::payloads(&map).map_err(|e| fail(e.to_string()))? {
        let (slice, payload) = item.map_err(|e| fail(e.to_string()))?;
        let payload = payload.map_err(|e| match slice.index() {
            Some(i) => fail(format!("slice {i}: {e}")),
            None => fail(e.to_string()),
        })?;
        let copied = Copied { offset: payload.offset(), size: payload.size(), crc32c: payload.frame().payload_crc32c };
        found.push((copied, payload.container().offset));
    }
    Ok(found)
}

/// Reads the temporary file back, as any reader would: every image in it
/// must have a payload, each found exactly where a payload was written, with
/// the size written and the CRC-32C computed while copying it in its frame.
/// Returns the one at `expected`. (The bytes themselves are not read again:
/// they were checksummed on their way to the file, and `sync_all` reports a
/// failed write.)
fn verify(temp: &TempFile, written: &Written, expected: u64) -> Result<Copied, InjectError> {
    let fail = |reason: String| InjectError::Verify { path: PathBuf::new(), reason };
    let found: Vec<Copied> = read_back(temp, fail)?.into_iter().map(|(found, _)| found).collect();
    if found.len() != written.payloads.len() {
        return Err(fail(format!("{} payloads written, {} found", written.payloads.len(), found.len())));
    }
    for payload in &found {
        let Some(copied) = written.payloads.iter().find(|c| c.offset == payload.offset) else {
            return Err(fail(format!("a payload is found at {:#x}, where none was written", payload.offset)));
        };
        if payload != copied {
            return Err(fail(format!(
                "the frame for the payload at {:#x} says {} bytes with CRC-32C {:#010x}, \
                 but {} bytes with CRC-32C {:#010x} were written",
                payload.offset, payload.size, payload.crc32c, copied.size, copied.crc32c
            )));
        }
    }
    let result = found.into_iter().find(|p| p.offset == expected);
    result.ok_or_else(|| fail(format!("no payload at {expected:#x}, where the layout put it")))
}
