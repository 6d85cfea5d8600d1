//! `InjectOptions::compress`: each payload is compressed first, into a
//! temporary file next to the output, and that file is then injected as the
//! payload with the frame's zstd flag set (docs/FORMAT.md, "The frame"). A
//! format lays the payload out by its size before a byte of it is written,
//! and a compressed size is known only once compressing is done: the file
//! holds it meanwhile, so memory stays bounded whatever the payload's size.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::copy::stamp;
use crate::emit::{compress, CompressError, Compressed, Compression};
use crate::write::error::{io_error, InjectError};
use crate::write_path::{Destination, TempFile, Wait};

/// A payload compressed into a temporary file, which is removed when this
/// is dropped (and on SIGINT, SIGTERM and SIGHUP once
/// [`remove_temporary_files_on_signals`](crate::write_path::remove_temporary_files_on_signals)
/// is installed).
#[derive(Debug)]
pub struct CompressedFile {
    temp: TempFile,
    compressed: Compressed,
    /// Why the payload was compressed on one thread, if it was.
    one_thread: Option<String>,
}

impl CompressedFile {
    /// The temporary file, open for reading and writing, holding the zstd frame.
    pub fn file(&self) -> &File {
        self.temp.file()
    }

    /// Its path: `.NAME.pkgimg-zstd.pkgimg-XXXXXX` beside the output NAME.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The frame's size and CRC-32C, and the size of the bytes compressed.
    pub fn compressed(&self) -> Compressed {
        self.compressed
    }

    /// The files a killed compressing run had left, removed when this one
    /// was created.
    pub fn removed(&self) -> &[std::path::PathBuf] {
        self.temp.removed()
    }

    /// A warning for the user, if libzstd's multithreaded mode failed (it
    /// could not start its threads under a process limit, say: "Allocation
    /// error") and the payload was compressed again on this thread alone.
    /// The frame then decodes to the same bytes, with the same content size
    /// and checksum, though its compressed bytes may differ.
    pub fn warning(&self) -> Option<&str> {
        self.one_thread.as_deref()
    }
}

/// Compresses the payload `file` (opened from `source` and checked to be a
/// regular file) with `compression` into a temporary file in the directory
/// of `beside` (the output: same file system, same permissions, created
/// `0600`), following the [`write_path`](crate::write_path) rules for
/// temporary files. The payload is read once, in order (twice if libzstd's
/// workers fail and it is compressed again on one thread); one that
/// shrinks or changes meanwhile is refused. `progress(done, total)` gets the
/// bytes compressed so far, before the first and after every 16 MiB.
///
/// ```
/// use std::io::Read;
/// use pkgimg::emit::Compression;
/// use pkgimg::inject::compress_beside;
/// let dir = std::env::temp_dir().join(format!("pkgimg-doc-compress-beside-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let source = dir.join("Foo.ji");
/// std::fs::write(&source, "123456789".repeat(1000))?;
/// let file = std::fs::File::open(&source)?;
/// let out = dir.join("libFoo.so");
/// let compressed = compress_beside(&file, &source, &out, Compression::default(), &mut |_, _| {})?;
/// assert_eq!(compressed.path().parent(), Some(dir.as_path()));
/// let done = compressed.compressed();
/// assert_eq!((done.uncompressed_size, compressed.file().metadata()?.len()), (9000, done.stored_size));
/// let path = compressed.path().to_path_buf();
/// drop(compressed);
/// assert!(!path.exists()); // a temporary file: gone with its owner
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compress_beside(
    file: &File,
    source: &Path,
    beside: &Path,
    compression: Compression,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CompressedFile, InjectError> {
    if !Compression::levels().contains(&compression.level) {
        let reason = format!(
            "zstd level {} is outside zstd's levels {}..={}",
            compression.level,
            Compression::levels().start(),
            Compression::levels().end()
        );
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    let metadata = |file: &File| stamp(file).map_err(io_error(source, "read the payload's metadata"));
    let before = metadata(file)?;
    let size = before.0;
    let temp = scratch(beside)?;
    progress(0, size);
    let attempt = |compression: Compression, progress: &mut dyn FnMut(u64, u64)| {
        // From the start, into an empty file: a second attempt starts over.
        let mut out = temp.file();
        out.set_len(0).and_then(|()| out.seek(SeekFrom::Start(0))).map_err(CompressError::Write)?;
        let mut out = BufWriter::with_capacity(1 << 20, out);
        let done = compress(&mut At { file, at: 0 }, size, &mut out, compression, &mut |done| progress(done, size))?;
        out.flush().map_err(CompressError::Write)?;
        Ok(done)
    };
    let (compressed, one_thread) = match attempt(compression, progress) {
        Ok(done) => (done, None),
        // libzstd reports workers it cannot start as its own failure.
        Err(CompressError::Zstd(e)) if compression.workers > 0 => {
            let alone = Compression { workers: 0, ..compression };
            let done = attempt(alone, progress).map_err(|e| compress_error(e, source, temp.path(), size))?;
            let why = format!(
                "{}: zstd's multithreaded mode failed ({e}); the payload was compressed on one thread",
                source.display()
            );
            (done, Some(why))
        }
        Err(e) => return Err(compress_error(e, source, temp.path(), size)),
    };
    if metadata(file)? != before {
        let reason = "the file changed while it was compressed; the output would mix old and new bytes".to_string();
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    super::copy::ends_at(file, source, size)?;
    Ok(CompressedFile { temp, compressed, one_thread })
}

/// `file` read from `at` on with `pread`: its own position, untouched by
/// anyone else's reads, and a fresh one for a second attempt.
struct At<'a> {
    file: &'a File,
    at: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.at)?;
        self.at = self.at.saturating_add(n as u64);
        Ok(n)
    }
}

/// A temporary file beside `beside`, for a destination of its own,
/// `NAME.pkgimg-zstd` (hashed when NAME is too long for that:
/// [`companion`](crate::write_path::companion)), that is never written: the
/// output's own destination is locked by its writer (a second lock on it
/// from this process would wait forever), and a name of its own lets a
/// later run find and remove what a killed one left.
fn scratch(beside: &Path) -> Result<TempFile, InjectError> {
    let name =
        crate::write_path::companion(beside.file_name().unwrap_or_default(), crate::write_path::COMPRESS_SCRATCH);
    let destination = Destination::prepare(&beside.with_file_name(name), Wait::Block)?;
    Ok(destination.create_temp()?)
}

fn compress_error(error: CompressError, source: &Path, temp: &Path, size: u64) -> InjectError {
    match error {
        CompressError::Ended { at } => InjectError::Refused {
            path: source.to_path_buf(),
            structure: "payload",
            offset: at,
            reason: format!("the file ended at {at} bytes, but it had {size} when its compression began"),
        },
        CompressError::Read(e) => io_error(source, "read the payload")(e),
        CompressError::Write(e) => io_error(temp, "write the compressed payload into its temporary file")(e),
        CompressError::Zstd(e) => io_error(source, "compress the payload with zstd")(e),
    }
}
