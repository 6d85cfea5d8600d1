//! Compressing a payload into one zstd frame (docs/FORMAT.md, "The frame",
//! flags bit 1), as `emit` and `inject` store it when asked to.
//!
//! The payload's stored size is laid out before its bytes are written, so a
//! writer compresses first, into a file of its own ([`compress`] streams
//! from any reader to any writer), then writes that as the payload with
//! [`Frame::with_zstd`](crate::frame::Frame::with_zstd). Memory stays
//! bounded: a 1 MiB input buffer, a 1 MiB output buffer, and what libzstd's
//! workers hold (a few times the level's window per worker: about 40 MiB
//! per worker at level 3 on large inputs, several hundred at level 19 and up).

use std::io::{self, Read, Write};

use zstd::stream::raw::{CParameter, Encoder, InBuffer, Operation, OutBuffer};

/// How a payload is compressed: a zstd level and the number of libzstd
/// worker threads.
///
/// ```
/// use pkgimg::emit::Compression;
/// let default = Compression::default();
/// assert_eq!(default.level, 3); // zstd's default level, as `zstd` without -#
/// assert!(default.workers >= 1); // every CPU this process may use
/// assert_eq!(Compression::with_level(19).map(|c| c.level), Some(19));
/// assert_eq!(Compression::with_level(23), None); // above ZSTD_maxCLevel()
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// The zstd level, from `ZSTD_minCLevel()` (negative: faster, larger) to
    /// `ZSTD_maxCLevel()` (22); 0 means zstd's default, 3.
    pub level: i32,
    /// Worker threads of libzstd's multithreaded mode (`ZSTD_c_nbWorkers`);
    /// 0 compresses in the calling thread. The output is the same zstd
    /// format either way.
    pub workers: u32,
}

impl Compression {
    /// zstd's default level (`ZSTD_CLEVEL_DEFAULT`), as `zstd` uses it.
    pub const DEFAULT_LEVEL: i32 = zstd::DEFAULT_COMPRESSION_LEVEL;

    /// `level` with a worker per CPU, or `None` if zstd has no such level.
    pub fn with_level(level: i32) -> Option<Compression> {
        zstd::compression_level_range().contains(&level).then(|| Compression { level, ..Compression::default() })
    }

    /// The levels zstd accepts, `ZSTD_minCLevel()..=ZSTD_maxCLevel()`.
    pub fn levels() -> std::ops::RangeInclusive<i32> {
        zstd::compression_level_range()
    }
}

impl Default for Compression {
    /// Level 3 with a worker for every CPU this process may run on: what
    /// `zstd -T0` does.
    fn default() -> Compression {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Compression { level: Compression::DEFAULT_LEVEL, workers: u32::try_from(cpus).unwrap_or(1) }
    }
}

/// What [`compress`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compressed {
    /// The size of the zstd frame: the payload's stored size.
    pub stored_size: u64,
    /// The CRC-32C of the zstd frame's bytes, which the frame records.
    pub crc32c: u32,
    /// The size of the payload before compression (the bytes read).
    pub uncompressed_size: u64,
}

/// Why [`compress`] stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum CompressError {
    /// The reader ended before the size given: the payload shrank.
    Ended {
        /// The bytes read.
        at: u64,
    },
    /// Reading the payload failed.
    Read(io::Error),
    /// Writing the compressed bytes failed.
    Write(io::Error),
    /// libzstd refused a parameter or failed (its message).
    Zstd(io::Error),
}

impl std::fmt::Display for CompressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompressError::Ended { at } => write!(f, "the payload ended after {at} bytes, before the size laid out"),
            CompressError::Read(e) => write!(f, "cannot read the payload: {e}"),
            CompressError::Write(e) => write!(f, "cannot write the compressed payload: {e}"),
            CompressError::Zstd(e) => write!(f, "zstd: {e}"),
        }
    }
}

impl std::error::Error for CompressError {}

/// Input read per step: large reads, few system calls; libzstd copies the
/// input into its jobs' buffers in any case.
const INPUT: usize = 1 << 20;
/// Progress is reported every this many input bytes.
const STEP: u64 = 16 << 20;

/// Compresses exactly `size` bytes of `source` into one zstd frame written to
/// `out`: the level and workers of `compression`, libzstd's multithreaded
/// mode when `workers` > 0, the content size in the frame header and an
/// XXH64 content checksum (as the `zstd` tool writes by default), so that
/// `zstd -d` and `zstd -l` read the stored bytes as they are. Returns the
/// frame's size and CRC-32C, computed on the way. `step(done)` is called
/// with the input bytes consumed, every 16 MiB and at the end.
///
/// ```
/// use pkgimg::emit::{compress, Compression};
/// let text = "a payload, a payload, a payload".repeat(100);
/// let mut frame = Vec::new();
/// let done = compress(&mut text.as_bytes(), text.len() as u64, &mut frame, Compression::default(), &mut |_| {})?;
/// assert_eq!((done.uncompressed_size, done.stored_size), (3100, frame.len() as u64));
/// assert_eq!(done.crc32c, pkgimg::crc::crc32c(&frame));
/// assert_eq!(frame[..4], [0x28, 0xb5, 0x2f, 0xfd]); // zstd's magic number, RFC 8878
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compress(
    source: &mut impl Read,
    size: u64,
    out: &mut impl Write,
    compression: Compression,
    step: &mut dyn FnMut(u64),
) -> Result<Compressed, CompressError> {
    let mut encoder = Encoder::new(compression.level).map_err(CompressError::Zstd)?;
    for parameter in
        [CParameter::NbWorkers(compression.workers), CParameter::ChecksumFlag(true), CParameter::ContentSizeFlag(true)]
    {
        encoder.set_parameter(parameter).map_err(CompressError::Zstd)?;
    }
    // The size in the frame header, and libzstd's choice of window for it.
    encoder.set_pledged_src_size(Some(size)).map_err(CompressError::Zstd)?;
    let mut sink = Sink { out, written: 0, crc: 0 };
    let mut input = vec![0u8; INPUT];
    let mut output = vec![0u8; zstd::zstd_safe::CCtx::out_size().max(INPUT)];
    let (mut read, mut next_step) = (0u64, STEP);
    while read < size {
        let want = usize::try_from(size.saturating_sub(read)).map_or(input.len(), |w| w.min(input.len()));
        let chunk = input.get_mut(..want).unwrap_or_default();
        let n = match source.read(chunk) {
            Ok(0) => return Err(CompressError::Ended { at: read }),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CompressError::Read(e)),
        };
        read = read.saturating_add(n as u64);
        let mut pending = InBuffer::around(chunk.get(..n).unwrap_or_default());
        // With workers, libzstd takes the input into its jobs and returns what
        // finished jobs produced; it blocks only when every job is busy.
        while pending.pos() < n {
            let mut produced = OutBuffer::around(output.as_mut_slice());
            encoder.run(&mut pending, &mut produced).map_err(CompressError::Zstd)?;
            let len = produced.pos();
            sink.write(output.get(..len).unwrap_or_default())?;
        }
        while next_step <= read && next_step < size {
            step(next_step);
            next_step = next_step.saturating_add(STEP);
        }
    }
    loop {
        let mut produced = OutBuffer::around(output.as_mut_slice());
        let left = encoder.finish(&mut produced, true).map_err(CompressError::Zstd)?;
        let len = produced.pos();
        sink.write(output.get(..len).unwrap_or_default())?;
        if left == 0 {
            break;
        }
    }
    step(size);
    Ok(Compressed { stored_size: sink.written, crc32c: sink.crc, uncompressed_size: read })
}

/// Where the frame goes, with its size and CRC-32C kept on the way.
struct Sink<'a, W: Write> {
    out: &'a mut W,
    written: u64,
    crc: u32,
}

impl<W: Write> Sink<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), CompressError> {
        self.out.write_all(bytes).map_err(CompressError::Write)?;
        self.crc = crc32c::crc32c_append(self.crc, bytes);
        self.written = self.written.saturating_add(bytes.len() as u64);
        Ok(())
    }
}
