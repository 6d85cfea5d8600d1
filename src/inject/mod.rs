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
//! // docs/FORMAT.md, "Writing rules": where the writer lays out the file, the
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
//! `Piece`s (ranges of the input, new bytes, padding, the payload, bytes
//! computed from the rest). The driver streams them into a temporary file
//! next to the destination, reads the result back to check that the payload
//! is found exactly where the layout put it with the size and CRC-32C
//! written, and only then renames it into place. So:
//!
//! - The payload is read exactly once and never held in memory whole: with
//!   `pread` through a 256 KiB buffer, checksummed and written, its holes
//!   skipped (`SEEK_DATA`/`SEEK_HOLE`), calling the progress callback before
//!   the first byte and after every 16 MiB. It is never mapped, so a payload
//!   that shrinks meanwhile is "the file ended at N bytes", never a SIGBUS.
//!   Its CRC-32C is then written into the frame the layout left for it
//!   ("sealing"), before anything that hashes the output (PE checksum,
//!   Mach-O code signature) is computed. A payload that shrinks or changes
//!   meanwhile is an error, not a torn copy.
//! - Nothing is half-written: a failure, or a process killed at any moment,
//!   leaves at most a `.NAME.pkgimg-XXXXXX` temporary file in the
//!   destination's directory (removed on every error return, and by the next
//!   write to the same destination if its writer died), never a partial
//!   file at the destination. The input is never opened for writing; in-place
//!   injection replaces it by rename too.
//! - The destination, its owner, group and mode, the temporary file, the lock
//!   and the inputs follow the crate's one write-path policy: see
//!   [`write_path`](crate::write_path).

// The steps of an injection, each in its own file: the format modules plan
// the output, `driver` executes the plan into a `write_path::TempFile`,
// copying each payload with `copy`, and reads the result back before it is
// renamed into place. `mapping` holds the file mappings, the `unsafe` they
// need; `compress` makes the compressed payloads the driver then copies.
mod compress;
mod copy;
mod driver;
mod mapping;

use std::path::{Path, PathBuf};

pub use self::compress::{compress_beside, CompressedFile};
use self::driver::{verify, write_pieces, Sources};
use self::mapping::map;
pub use crate::emit::Compression;
use crate::write::error::io_error;
pub use crate::write::error::InjectError;
pub use crate::write::plan::InjectOptions;
use crate::write::plan::{PayloadInfo, Plan};
use crate::write_path::{open_input, Attributes, Destination, Role, Wait};
use crate::{container_name, Error, Format};

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
    /// The payload's size in bytes as stored (compressed, with `compress`).
    pub payload_size: u64,
    /// The payload's CRC-32C, as recorded in the frame: that of the stored bytes.
    pub payload_crc32c: u32,
    /// With `compress`: the payload's size before compression, which the
    /// frame records.
    pub uncompressed_size: Option<u64>,
    /// Size of the written file.
    pub output_size: u64,
    /// Whether an existing payload was replaced.
    pub replaced: bool,
    /// What the caller should tell the user although the result is in place,
    /// each a sentence naming the file: a setuid bit dropped, an extended
    /// attribute not copied, hard links still showing the old file, a
    /// directory that could not be synced ([`write_path::Committed`](crate::write_path::Committed)).
    pub warnings: Vec<String>,
    /// Temporary files of the same destination, left by injections that were
    /// killed, which this one removed.
    pub removed: Vec<PathBuf>,
}

/// Adds a payload to `library`, writing the result to `out` (which may be
/// `library` itself; see also [`inject_in_place`]).
///
/// `out` follows the [`write_path`](crate::write_path) policy: it must be a
/// regular file or a new path (a symbolic link is followed and its target
/// replaced), it may not be the payload, an existing file there is locked
/// for the duration (a concurrent injection into it waits), and the result
/// keeps the library's owner, group and permission bits where the process
/// may set them (dropping setuid and setgid where it may not). When `out` is
/// the library, its extended attributes are copied too.
///
/// ELF: a non-allocated `.jlji` section after the input's bytes, with new
/// section name and header tables just before it (FORMAT.md §5.4). PE: a `.jlji` section holding the
/// frame, and the payload in the overlay. Mach-O (thin or universal): a
/// `__JULIA` segment with the `__ji` section. The payload always starts on a
/// 4096-byte page (16384 for arm64 Mach-O).
///
/// The payload must be a regular file, since its size is laid out before a
/// byte of it is copied. It is read exactly once: checksummed while it is
/// copied, its CRC-32C then written into the frame the layout left for it.
/// A payload that changes during the copy is an error, and nothing is
/// written at `out`.
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
pub fn inject(library: &Path, payload: &Path, out: &Path, options: InjectOptions) -> Result<InjectReport, InjectError> {
    inject_into(library, payload, Destination::prepare(out, Wait::Block)?, options)
}

/// [`inject`] into a destination the caller has already prepared (checked
/// and locked with [`Destination::prepare`]): for a caller that wants to say
/// something while it waits for another writer's lock, as `jiscan` does.
///
/// ```
/// use std::path::Path;
/// use pkgimg::inject::{inject_into, InjectOptions};
/// use pkgimg::write_path::{Destination, Wait, WriteError};
///
/// let dir = std::env::temp_dir().join(format!("pkgimg-doc-inject-into-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let data = dir.join("Foo.ji");
/// std::fs::write(&data, b"payload")?;
/// let out = dir.join("libFoo.so");
/// let destination = match Destination::prepare(&out, Wait::Fail) {
///     Err(WriteError::Busy { path }) => {
///         eprintln!("{} is being written by another process; waiting", path.display());
///         Destination::prepare(&out, Wait::Block)?
///     }
///     other => other?,
/// };
/// let library = Path::new("corpus/nopayload/x86_64-linux-musl.so");
/// let report = inject_into(library, &data, destination, InjectOptions::default())?;
/// assert!(report.warnings.is_empty());
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inject_into(
    library: &Path,
    payload: &Path,
    destination: Destination,
    mut options: InjectOptions,
) -> Result<InjectReport, InjectError> {
    let input = open_input(library, Role::Library)?;
    // The documented exception to "an output is never an input": in place.
    let in_place = destination.is(&input.metadata);
    let data = open_input(payload, Role::Payload)?;
    destination.check_input(&data, Role::Payload)?;
    for (_, path) in &options.per_arch {
        destination.check_input(&open_input(path, Role::Payload)?, Role::Payload)?;
    }
    let map = map(&input.file).map_err(io_error(library, "map the library"))?;
    let (format, had) = inspect(&map, library, &options)?;
    let mut progress = options.progress.take();
    // Compressed payloads are compressed before the plan, which needs their
    // stored sizes, into temporary files that then are the payloads (the
    // per-architecture ones by their paths); they go when `zstd` does.
    let zstd = match options.compress {
        Some(compression) => {
            Some(Zstd::compress(&data.file, payload, &mut options, destination.path(), compression, &mut progress)?)
        }
        None => None,
    };
    let (payload_file, payload, info, uncompressed) = match &zstd {
        Some(z) => {
            let done = z.main.compressed();
            (z.main.file(), z.main.path(), PayloadInfo { size: done.stored_size }, Some(done.uncompressed_size))
        }
        None => (&data.file, payload, PayloadInfo { size: data.metadata.len() }, None),
    };
    // Progress was reported while compressing, the slow part; the copy of
    // the compressed bytes is quiet.
    let mut progress = if zstd.is_some() { None } else { progress };
    let plan = plan(format, &map, info, &options).map_err(|e| e.at(library))?;

    let arch_uncompressed = zstd.as_ref().map(Zstd::arch_sizes).unwrap_or_default();
    let sources = Sources {
        input: &input.file,
        library,
        payload,
        payload_file,
        info,
        uncompressed,
        arch_uncompressed: &arch_uncompressed,
        options: &options,
    };
    let out = destination.requested().to_path_buf();
    let mut temp = destination.create_temp()?;
    for compressed in zstd.iter().flat_map(|z| core::iter::once(&z.main).chain(&z.per_arch)) {
        temp.add_removed(compressed.removed());
    }
    let written = write_pieces(&temp, plan.pieces, &sources, &mut progress)?;
    temp.finish(&Attributes::of(&input.metadata), in_place.then_some(&input.file))?;
    let checked = verify(&temp, &written, plan.payload_offset).map_err(|e| e.at(&out))?;
    drop(map);
    let committed = temp.commit()?;
    Ok(InjectReport {
        output: committed.path,
        format,
        payload_offset: checked.offset,
        payload_size: checked.size,
        payload_crc32c: checked.crc32c,
        uncompressed_size: checked.uncompressed,
        output_size: written.size,
        replaced: had.is_some(),
        warnings: zstd.iter().flat_map(Zstd::warnings).chain(committed.warnings).collect(),
        removed: committed.removed,
    })
}

/// [`inject`] with the library as its own destination: the result replaces
/// it by rename (the input file is never written to). A symbolic link is
/// followed, so the file it points to is replaced and the link kept. The
/// library's owner, group, mode and extended attributes are kept; other
/// hard links to it keep showing the old file (a warning in the report says
/// so). A concurrent in-place injection into the same file waits for this
/// one and then reads its result.
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
    inject(library, payload, library, options)
}

/// The compressed payloads of one injection, in their temporary files.
struct Zstd {
    main: CompressedFile,
    /// `options.per_arch`'s, in its order.
    per_arch: Vec<CompressedFile>,
}

impl Zstd {
    /// Compresses the payload and each of `options.per_arch` next to `out`,
    /// and points `options.per_arch` at the compressed files.
    fn compress(
        file: &std::fs::File,
        path: &Path,
        options: &mut InjectOptions,
        out: &Path,
        compression: Compression,
        progress: &mut self::copy::Progress,
    ) -> Result<Zstd, InjectError> {
        let mut report = |done: u64, total: u64| {
            if let Some(report) = progress.as_mut() {
                report(done, total);
            }
        };
        let main = compress_beside(file, path, out, compression, &mut report)?;
        let mut per_arch = Vec::with_capacity(options.per_arch.len());
        for (_, source) in &mut options.per_arch {
            let input = open_input(source, Role::Payload)?;
            let compressed = compress_beside(&input.file, source, out, compression, &mut report)?;
            *source = compressed.path().to_path_buf();
            per_arch.push(compressed);
        }
        Ok(Zstd { main, per_arch })
    }

    /// The warnings of the compressions (one thread where libzstd's
    /// workers failed).
    fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        core::iter::once(&self.main).chain(&self.per_arch).filter_map(|c| c.warning().map(str::to_owned))
    }

    /// The uncompressed size of each `per_arch` payload, in its order.
    fn arch_sizes(&self) -> Vec<u64> {
        self.per_arch.iter().map(|c| c.compressed().uncompressed_size).collect()
    }
}

/// The library's format and where its container is, if it has one; an error
/// if `options` do not allow injecting into it.
fn inspect(bytes: &[u8], library: &Path, options: &InjectOptions) -> Result<(Format, Option<u64>), InjectError> {
    let (format, had) = existing_container(bytes).map_err(|e| InjectError::from(e).at(library))?;
    // A COFF object is refused for what it is before anything else, so that
    // nobody is told to `replace` a payload that cannot be replaced either.
    if format == Format::Coff {
        return Err(coff_object().at(library));
    }
    if format != Format::MachO && !options.per_arch.is_empty() {
        let reason = format!("per-architecture payloads apply to universal Mach-O files only, not to {format} files");
        return Err(InjectError::Refused { path: library.to_path_buf(), structure: "file header", offset: 0, reason });
    }
    if let (Some(offset), false) = (had, options.replace) {
        return Err(InjectError::AlreadyHasPayload { path: library.to_path_buf(), offset });
    }
    if let Some(offset) = data_record(bytes) {
        let reason = "this is a data library: its exported data record holds the size and CRC-32C of the \
                      payload it was written with (FORMAT.md §8.1), which a new payload would leave stale; \
                      write a new data library for the new payload (jiscan emit --shared, \
                      pkgimg::emit::Target::write_data_library)";
        return Err(InjectError::Refused {
            path: library.to_path_buf(),
            structure: "data record",
            offset,
            reason: reason.to_owned(),
        });
    }
    Ok((format, had))
}

/// Where a data library's record is, if `bytes` is one: an image whose
/// payload is described by a data record ([`crate::record::find`]).
fn data_record(bytes: &[u8]) -> Option<u64> {
    crate::slices(bytes).ok()?.filter_map(Result::ok).find_map(|slice| {
        let payload = slice.find_ji_payload().ok()?;
        let at = crate::record::find(slice.bytes(), slice.image().ok()?.endian, payload.frame())?;
        Some(slice.image.base.saturating_add(at as u64))
    })
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

/// The format module's plan for `bytes`, a library of `format`, with the
/// payload `info` describes. A COFF object (`.obj`) is refused: the payload
/// goes into the DLL it is linked into.
fn plan(format: Format, bytes: &[u8], info: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    match format {
        Format::Elf => crate::elf::inject::layout(bytes, info, options),
        Format::Pe => crate::coff::inject::layout(bytes, info, options),
        Format::Coff => Err(coff_object()),
        Format::MachO => crate::macho::inject::layout(bytes, info, options),
    }
}

/// A COFF object (`.obj`) is refused: the payload goes into the DLL it is
/// linked into. (Checked after "already has a payload": tests/golden.rs pins
/// that order; `jiscan inject` reports a COFF object as such either way.)
fn coff_object() -> InjectError {
    InjectError::refused(
        "COFF file header",
        0,
        "this is a COFF object (.obj), not a PE image; inject into the linked DLL instead",
    )
}
