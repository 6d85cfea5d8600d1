//! The plan a format module hands the inject driver: the output as an
//! ordered list of [`Piece`]s (ranges of the input, new bytes, padding, the
//! payload, bytes computed last), made from the library's bytes and the
//! caller's [`InjectOptions`]. The driver (`src/inject`) executes any plan
//! the same way; the format modules never touch a file.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::error::{io_error, InjectError};
use crate::emit::Compression;
use crate::Arch;

/// What [`inject`](crate::inject()) may do besides adding a payload.
#[derive(Default)]
pub struct InjectOptions {
    /// Replace an existing payload. Without it, a library that already has a
    /// container is refused. The old payload's bytes are not kept.
    pub replace: bool,
    /// Give up a signature made with a certificate, which the injection would
    /// invalidate and cannot reproduce, instead of refusing the file: a PE
    /// Authenticode signature is removed, a Mach-O one replaced by an ad-hoc
    /// signature. Either way the library must be signed again afterwards.
    pub drop_signature: bool,
    /// Universal Mach-O only: a payload per architecture, for the slices named
    /// here; other slices get the main payload.
    pub per_arch: Vec<(Arch, PathBuf)>,
    /// Called as `progress(done, total)` with byte counts while the payload is
    /// copied (with `compress`, while it is compressed, in uncompressed
    /// bytes): once before the first step and after every step.
    pub progress: Option<Box<dyn FnMut(u64, u64)>>,
    /// Store the payload (and every `per_arch` payload) as one zstd frame,
    /// compressed with these settings (docs/FORMAT.md "The frame", flags
    /// bit 1). `None`, the default, stores the bytes as they are, so that a
    /// loader can map them in place.
    pub compress: Option<Compression>,
}

impl fmt::Debug for InjectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InjectOptions")
            .field("replace", &self.replace)
            .field("drop_signature", &self.drop_signature)
            .field("per_arch", &self.per_arch)
            .field("progress", &self.progress.as_ref().map(|_| "FnMut(u64, u64)"))
            .field("compress", &self.compress)
            .finish()
    }
}

/// What a plan needs to know of a payload before it is copied: its size.
/// Its CRC-32C is computed while it is copied, and the driver then writes it
/// into the frame (`seal`), so the payload is read only once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PayloadInfo {
    pub size: u64,
}

/// The CRC-32C a plan puts in a frame: a placeholder until `seal`.
pub(crate) const UNSEALED: u32 = 0;

/// The size of the payload file at `path`. It must be a regular file: its
/// size is laid out before a byte of it is copied.
pub(crate) fn payload_info(path: &Path) -> Result<PayloadInfo, InjectError> {
    let metadata = fs::metadata(path).map_err(io_error(path, "read the payload's metadata"))?;
    if !metadata.is_file() {
        let reason = "the payload must be a regular file: its size is laid out before it is copied".to_string();
        return Err(InjectError::Refused { path: path.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    Ok(PayloadInfo { size: metadata.len() })
}

/// Fills a deferred piece from the output written so far.
pub(crate) type Fill = Box<dyn FnOnce(&File) -> io::Result<Vec<u8>>>;

/// One stretch of the output file.
pub(crate) enum Piece {
    /// Bytes copied from the input library.
    Input { offset: u64, len: u64 },
    /// New bytes (headers, frame, tables).
    Bytes(Vec<u8>),
    /// Alignment padding, or bytes blanked out.
    Zeros(u64),
    /// The payload file's bytes, streamed.
    Payload,
    /// The bytes of `options.per_arch[index]`, whose size the format module
    /// measured with [`payload_info`] (universal Mach-O).
    ArchPayload { index: usize, info: PayloadInfo },
    /// `len` bytes whose content depends on the bytes written before them
    /// (PE checksum, Mach-O code signature). Written as zeros first; after
    /// every other piece is written, `fill` is called in piece order with the
    /// output file and must return exactly `len` bytes.
    Deferred { len: u64, fill: Fill },
}

impl fmt::Debug for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Piece::Input { offset, len } => write!(f, "Input {{ offset: {offset:#x}, len: {len:#x} }}"),
            Piece::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Piece::Zeros(n) => write!(f, "Zeros({n:#x})"),
            Piece::Payload => f.write_str("Payload"),
            Piece::ArchPayload { index, info } => write!(f, "ArchPayload {{ index: {index}, info: {info:?} }}"),
            Piece::Deferred { len, .. } => write!(f, "Deferred {{ len: {len} }}"),
        }
    }
}

/// The output, described piece by piece.
#[derive(Debug)]
pub(crate) struct Plan {
    pub pieces: Vec<Piece>,
    /// Absolute offset at which the payload is expected (for a universal file,
    /// one of the slices' payloads).
    pub payload_offset: u64,
}

/// `Input` pieces for `[start, end)` of the input, with each of `holes` (input
/// ranges, in any order, possibly overlapping or reaching outside) written as
/// zeros instead.
pub(crate) fn copy_with_holes(start: u64, end: u64, holes: &[(u64, u64)]) -> Vec<Piece> {
    let mut holes: Vec<(u64, u64)> =
        holes.iter().map(|&(a, b)| (a.max(start), b.min(end))).filter(|(a, b)| a < b).collect();
    holes.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = start;
    for (a, b) in holes {
        if b <= at {
            continue;
        }
        let a = a.max(at);
        if a > at {
            pieces.push(Piece::Input { offset: at, len: a.saturating_sub(at) });
        }
        let len = b.saturating_sub(a);
        match pieces.last_mut() {
            // Overlapping holes make one run of zeros.
            Some(Piece::Zeros(run)) if a == at => *run = run.saturating_add(len),
            _ => pieces.push(Piece::Zeros(len)),
        }
        at = b;
    }
    if end > at {
        pieces.push(Piece::Input { offset: at, len: end.saturating_sub(at) });
    }
    pieces
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn holes_split_input_ranges() {
        let pieces = copy_with_holes(0, 100, &[(90, 200), (10, 20), (15, 30), (50, 50)]);
        let text: Vec<String> = pieces.iter().map(|p| format!("{p:?}")).collect();
        assert_eq!(
            text,
            ["Input { offset: 0x0, len: 0xa }", "Zeros(0x14)", "Input { offset: 0x1e, len: 0x3c }", "Zeros(0xa)",]
        );
    }
}
