//! Files opened for lookups: mapped read-only, with random-access advice.
//!
//! A lookup touches a few header pages and the frame, wherever they are in
//! the file. Mapped with the kernel's default advice, each fault on a cold
//! page also reads ahead around it (megabytes), pulling in the payload that
//! the lookup never looks at: BENCHMARKS.md §4 measured a cold scan of 1,000
//! libraries with 64 MiB payloads 50–60× slower that way, for every reader.
//! [`MappedFile::open`] asks for random access instead, so a lookup reads
//! only the pages it touches; [`MappedFile::will_read`] turns readahead back
//! on for a range about to be read whole, such as a payload being verified.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

use memmap2::{Advice, Mmap};

/// A file mapped read-only for lookups. It dereferences to the file's bytes.
///
/// ```
/// use pkgimg::MappedFile;
/// // corpus/expected.json: `elf/x86_64-linux-musl.so` has its payload at 1088.
/// let file = MappedFile::open("corpus/elf/x86_64-linux-musl.so")?;
/// let payload = pkgimg::find_ji_payload(&file)?;
/// assert_eq!(payload.offset(), 1088);
/// file.will_read(payload.offset(), payload.size());
/// payload.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MappedFile {
    map: Mmap,
}

impl MappedFile {
    /// Opens and maps `path`, read-only, with random-access advice. The
    /// error is the operating system's (the caller knows the path): a
    /// directory or device is refused with `InvalidInput`.
    pub fn open(path: impl AsRef<Path>) -> io::Result<MappedFile> {
        MappedFile::from_file(&File::open(path)?)
    }

    /// Maps a file already open, read-only, with random-access advice: for
    /// a caller that has checked the descriptor itself (opened with
    /// `O_NONBLOCK`, so that a FIFO cannot block it), so that nothing can be
    /// swapped in at its path between the check and the map.
    pub fn from_file(file: &File) -> io::Result<MappedFile> {
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        // SAFETY: the map is read-only and private to this process. The one
        // hazard is another process truncating or rewriting the file while it
        // is mapped, which can fault (SIGBUS) or change bytes under a borrowed
        // slice; every mmap-based file reader accepts this. Reading whole
        // files instead would make a lookup's cost grow with the file.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(file) }?;
        // Advice only tunes paging; a kernel that ignores it changes nothing.
        #[cfg(unix)]
        let _ = map.advise(Advice::Random);
        Ok(MappedFile { map })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Asks the kernel to read `len` bytes at `offset` ahead, before a pass
    /// over all of them (a CRC check), undoing the random-access advice
    /// there. A hint only: out-of-range values are ignored.
    pub fn will_read(&self, offset: u64, len: u64) {
        #[cfg(unix)]
        if let (Ok(offset), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) {
            // madvise wants a page-aligned start; 64 KiB is a multiple of every page size.
            let start = offset & !0xffff;
            let _ = self.map.advise_range(Advice::Sequential, start, len.saturating_add(offset & 0xffff));
        }
        #[cfg(not(unix))]
        let _ = (offset, len);
    }
}

impl Deref for MappedFile {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}
