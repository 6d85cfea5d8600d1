//! Copying a byte range of one file into another in one pass: read with
//! `pread(2)` (never a mapping, so a source that shrinks meanwhile is a
//! short read, not a SIGBUS or `EFAULT`), checksummed on the way, written
//! at the output's position, with the source's holes (`SEEK_DATA`,
//! `SEEK_HOLE`) left as holes in the output.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use super::sys;

/// The read buffer: large enough that the system call cost is small, small
/// enough to stay in the CPU cache between the read, the CRC and the write.
const BUFFER: usize = 256 << 10;

/// Progress is reported, and disk writeback started, every this many bytes.
pub const STEP: u64 = 16 << 20;

/// Why [`copy_range`] stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum CopyError {
    /// The source ended before the range did: it shrank.
    Ended {
        /// The source's size when the copy found out.
        at: u64,
    },
    /// Reading the source failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

/// Copies `len` bytes of `source` from `start` to `out` at its current
/// position and returns their CRC-32C. Holes in the source are skipped in
/// the output by seeking, so the output must be given its final length by
/// the caller (`set_len`) if it ends in a hole. `step(done)` is called
/// after every [`STEP`] bytes and at the end.
pub fn copy_range(
    source: &File,
    start: u64,
    len: u64,
    mut out: &File,
    step: &mut dyn FnMut(u64),
) -> Result<u32, CopyError> {
    let end = start.checked_add(len).ok_or_else(|| CopyError::Read(io::ErrorKind::InvalidInput.into()))?;
    let mut buffer = vec![0u8; BUFFER];
    let mut zeros: Vec<u8> = Vec::new();
    let (mut at, mut crc, mut next_step) = (start, 0u32, start.saturating_add(STEP));
    let mut sparse = true;
    let ended = |at: u64| CopyError::Ended { at: source.metadata().map_or(at, |m| m.len().min(at)) };
    // Reports each step boundary that `at` has passed (the end is reported last).
    let mut passed = |at: u64, next_step: &mut u64| {
        let crossed = *next_step <= at;
        while *next_step <= at && *next_step < end {
            step(next_step.saturating_sub(start));
            *next_step = next_step.saturating_add(STEP);
        }
        crossed
    };
    while at < end {
        // Skip a hole: zeros for the CRC, a seek in the output.
        let data = if sparse { next_data(source, at, end, &mut sparse)? } else { at };
        if data > at {
            let hole = data.saturating_sub(at);
            if zeros.is_empty() {
                zeros = vec![0u8; BUFFER];
            }
            let mut left = hole;
            while left > 0 {
                let n = usize::try_from(left).map_or(zeros.len(), |l| l.min(zeros.len()));
                crc = crc32c::crc32c_append(crc, zeros.get(..n).unwrap_or_default());
                left = left.saturating_sub(n as u64);
            }
            let by = i64::try_from(hole).map_err(|_| CopyError::Write(io::ErrorKind::InvalidInput.into()))?;
            out.seek(SeekFrom::Current(by)).map_err(CopyError::Write)?;
            at = data;
            passed(at, &mut next_step);
        }
        let data_end = if sparse { next_hole(source, at, end) } else { end };
        while at < data_end {
            let want = usize::try_from(data_end.saturating_sub(at)).map_or(buffer.len(), |w| w.min(buffer.len()));
            let chunk = buffer.get_mut(..want).unwrap_or_default();
            let n = match source.read_at(chunk, at) {
                Ok(0) => return Err(ended(at)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Read(e)),
            };
            let bytes = chunk.get(..n).unwrap_or_default();
            crc = crc32c::crc32c_append(crc, bytes);
            out.write_all(bytes).map_err(CopyError::Write)?;
            at = at.saturating_add(n as u64);
            if passed(at, &mut next_step) {
                sys::start_writeback(out, STEP);
            }
        }
    }
    step(len);
    Ok(crc)
}

/// Where the next data at or after `at` starts (at most `end`). No data
/// before the end of the file is a hole to `end` if the file still reaches
/// `end`, and the end of the file otherwise. A file system without
/// `SEEK_DATA` turns hole-skipping off.
fn next_data(source: &File, at: u64, end: u64, sparse: &mut bool) -> Result<u64, CopyError> {
    match sys::seek_data(source, at) {
        Ok(Some(data)) => Ok(data.min(end)),
        Ok(None) => {
            let size = source.metadata().map_err(CopyError::Read)?.len();
            if size < end {
                return Err(CopyError::Ended { at: size });
            }
            Ok(end)
        }
        Err(_) => {
            *sparse = false;
            Ok(at)
        }
    }
}

/// Where the data at `at` ends (at most `end`).
fn next_hole(source: &File, at: u64, end: u64) -> u64 {
    match sys::seek_hole(source, at) {
        Ok(Some(hole)) if hole > at => hole.min(end),
        _ => end,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn holes_stay_holes_and_the_crc_counts_their_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let source =
            File::options().read(true).write(true).create(true).truncate(true).open(dir.path().join("s")).unwrap();
        let size = 64u64 << 20;
        source.set_len(size).unwrap();
        source.write_all_at(b"head", 0).unwrap();
        source.write_all_at(b"tail", size - 4).unwrap();
        let out =
            File::options().read(true).write(true).create(true).truncate(true).open(dir.path().join("o")).unwrap();
        let mut steps = Vec::new();
        let crc = copy_range(&source, 0, size, &out, &mut |done| steps.push(done)).unwrap();
        out.set_len(size).unwrap();
        let mut expected = vec![0u8; size as usize];
        expected[..4].copy_from_slice(b"head");
        expected[size as usize - 4..].copy_from_slice(b"tail");
        assert_eq!(crc, crc32c::crc32c(&expected));
        assert_eq!(std::fs::read(dir.path().join("o")).unwrap(), expected);
        assert_eq!(steps, [16 << 20, 32 << 20, 48 << 20, 64 << 20]);
        if source.metadata().unwrap().blocks() * 512 < 1 << 20 {
            assert!(out.metadata().unwrap().blocks() * 512 < 1 << 20, "the output's holes were filled");
        }
    }

    #[test]
    fn a_source_shorter_than_the_range_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, vec![7u8; 1000]).unwrap();
        let source = File::open(&path).unwrap();
        let out = File::create(dir.path().join("o")).unwrap();
        match copy_range(&source, 100, 5000, &out, &mut |_| {}) {
            Err(CopyError::Ended { at }) => assert_eq!(at, 1000),
            other => panic!("{other:?}"),
        }
    }
}
