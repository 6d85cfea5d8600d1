//! Executing a [`Plan`](crate::write::plan::Plan): its pieces are written in
//! order into the temporary file, the payloads' frames are sealed with the
//! CRC-32C computed while copying (and, for a compressed payload, the zstd
//! flag and the uncompressed size), the deferred pieces are filled from the
//! sealed file, and the result is read back as any reader would before it
//! may be committed.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::copy::{copy_payload, Progress};
use super::mapping::map;
use crate::write::error::{io_error, InjectError};
use crate::write::plan::{Fill, InjectOptions, PayloadInfo, Piece, UNSEALED};
use crate::write_path::{open_input, Role, TempFile};

/// Runs of zeros at least this long are left as a hole (seek) instead of written.
const HOLE_MIN: u64 = 1 << 20;

/// What the pieces are copied from.
pub(super) struct Sources<'a> {
    pub(super) input: &'a File,
    pub(super) library: &'a Path,
    pub(super) payload: &'a Path,
    /// The payload, already opened and checked to be a regular file.
    pub(super) payload_file: &'a File,
    pub(super) info: PayloadInfo,
    /// The payload's size before compression, if the payload file is a
    /// compressed one (`InjectOptions::compress`).
    pub(super) uncompressed: Option<u64>,
    /// The same for each of `options.per_arch`, in its order; empty if not
    /// compressed.
    pub(super) arch_uncompressed: &'a [u64],
    pub(super) options: &'a InjectOptions,
}

impl Sources<'_> {
    /// The file of `options.per_arch[index]`; an index the options do not
    /// have is a planning mistake, reported against the output `temp`.
    fn arch_payload(&self, index: usize, temp: &Path) -> Result<&Path, InjectError> {
        let source = self.options.per_arch.get(index).map(|(_, p)| p.as_path());
        source.ok_or_else(|| InjectError::Verify {
            path: temp.to_path_buf(),
            reason: format!("no per-arch payload {index}"),
        })
    }
}

/// A payload as copied: where it went, its size, the CRC-32C of the bytes
/// written, and for a compressed one its uncompressed size. (Also what a
/// frame read back says, to compare with.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Copied {
    pub(super) offset: u64,
    pub(super) size: u64,
    pub(super) crc32c: u32,
    pub(super) uncompressed: Option<u64>,
}

/// Where each payload went, and the file's size.
pub(super) struct Written {
    payloads: Vec<Copied>,
    pub(super) size: u64,
}

/// Writes every piece to the temporary file, then seals the payloads'
/// frames, then fills the deferred pieces (which may hash the sealed frames).
pub(super) fn write_pieces(
    temp: &TempFile,
    pieces: Vec<Piece>,
    sources: &Sources<'_>,
    progress: &mut Progress,
) -> Result<Written, InjectError> {
    // Errors name the destination, the file the user asked for, not the
    // hidden temporary file.
    let path = temp.destination();
    let mut out = temp.file();
    let mut at = 0u64;
    let mut deferred = Vec::new();
    let mut payloads = Vec::new();
    let zeros = vec![0u8; 64 << 10];
    let too_big = || InjectError::Verify { path: path.to_path_buf(), reason: "output size overflows 64 bits".into() };
    for piece in pieces {
        let len = match piece {
            Piece::Input { offset, len } => copy_input(sources, out, offset, len, path)?,
            Piece::Bytes(bytes) => {
                out.write_all(&bytes).map_err(io_error(path, "write to the temporary file"))?;
                bytes.len() as u64
            }
            Piece::Zeros(len) => {
                write_zeros(out, len, &zeros).map_err(io_error(path, "write to the temporary file"))?;
                len
            }
            Piece::Payload => {
                let crc32c = copy_payload(out, sources.payload_file, sources.payload, sources.info, path, progress)?;
                let uncompressed = sources.uncompressed;
                payloads.push(Copied { offset: at, size: sources.info.size, crc32c, uncompressed });
                sources.info.size
            }
            Piece::ArchPayload { index, info } => {
                let source = sources.arch_payload(index, path)?;
                let file = open_input(source, Role::Payload)?.file;
                let crc32c = copy_payload(out, &file, source, info, path, progress)?;
                let uncompressed = sources.arch_uncompressed.get(index).copied();
                payloads.push(Copied { offset: at, size: info.size, crc32c, uncompressed });
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
    temp.file().set_len(at).map_err(io_error(path, "set the temporary file's length"))?;
    // The frames' CRCs before the deferred pieces, which may hash them (Mach-O signature, PE checksum).
    seal(temp, &payloads)?;
    fill_deferred(temp, deferred)?;
    Ok(Written { payloads, size: at })
}

/// Copies `len` bytes of the library from `offset` to `out`'s position;
/// returns `len`. A library that ends early was changed meanwhile: refused.
fn copy_input(sources: &Sources<'_>, mut out: &File, offset: u64, len: u64, temp: &Path) -> Result<u64, InjectError> {
    let mut input = sources.input;
    input.seek(SeekFrom::Start(offset)).map_err(io_error(sources.library, "seek in the library"))?;
    let copied = io::copy(&mut input.take(len), &mut out).map_err(io_error(temp, "copy the library's bytes"))?;
    if copied != len {
        return Err(InjectError::Refused {
            path: sources.library.to_path_buf(),
            structure: "library bytes",
            offset: offset.saturating_add(copied),
            reason: format!("the file ended {} bytes early; was it changed meanwhile?", len.saturating_sub(copied)),
        });
    }
    Ok(len)
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

/// Computes each deferred piece from the file as written and sealed, in
/// piece order, and writes it over the zeros that held its place.
fn fill_deferred(temp: &TempFile, deferred: Vec<(u64, u64, Fill)>) -> Result<(), InjectError> {
    let path = temp.destination();
    for (offset, len, fill) in deferred {
        let bytes = fill(temp.file()).map_err(io_error(path, "compute deferred bytes"))?;
        if bytes.len() as u64 != len {
            let reason = format!("a deferred piece at {offset:#x} is {} bytes, not {len}", bytes.len());
            return Err(InjectError::Verify { path: path.to_path_buf(), reason });
        }
        temp.file().write_all_at(&bytes, offset).map_err(io_error(path, "write to the temporary file"))?;
    }
    Ok(())
}

/// Writes each copied payload's CRC-32C into its frame, and for a
/// compressed payload the zstd flag and the uncompressed size (the format
/// modules lay out every frame with `Frame::new`). The frame is found by
/// reading the output back, as any reader would, and must be the one the
/// layout wrote for exactly this payload, with the placeholder CRC.
fn seal(temp: &TempFile, copied: &[Copied]) -> Result<(), InjectError> {
    let path = temp.destination();
    let fail = |reason: String| InjectError::Verify { path: path.to_path_buf(), reason };
    let frames = read_back(temp, fail)?;
    for payload in copied {
        let Some(&(found, frame_at, flags)) = frames.iter().find(|(found, ..)| found.offset == payload.offset) else {
            return Err(fail(format!("no frame describes the payload written at {:#x}", payload.offset)));
        };
        if (found.size, found.crc32c, found.uncompressed) != (payload.size, UNSEALED, None) {
            return Err(fail(format!(
                "the frame at {frame_at:#x} says {} bytes with CRC-32C {:#010x}, \
                 not the {} bytes and placeholder the layout wrote",
                found.size, found.crc32c, payload.size
            )));
        }
        let field = frame_at
            .checked_add(crate::frame::field::PAYLOAD_CRC32C as u64)
            .ok_or_else(|| fail("frame offset overflows".into()))?;
        temp.file().write_all_at(&payload.crc32c.to_le_bytes(), field).map_err(io_error(path, "seal the frame"))?;
        if let Some(uncompressed) = payload.uncompressed {
            // docs/FORMAT.md "The frame": flags bit 1, and the size at byte 40.
            let flags = flags | crate::frame::FLAG_ZSTD;
            for (at, bytes) in [
                (crate::frame::field::FLAGS, &flags.to_le_bytes()[..]),
                (crate::frame::field::UNCOMPRESSED_SIZE, &uncompressed.to_le_bytes()[..]),
            ] {
                let field = frame_at.checked_add(at as u64).ok_or_else(|| fail("frame offset overflows".into()))?;
                temp.file().write_all_at(bytes, field).map_err(io_error(path, "seal the frame"))?;
            }
        }
    }
    Ok(())
}

/// Every image's payload in the temporary file, read back as any reader
/// would: where it is, the size and CRC-32C its frame gives, where the frame
/// is, and its flags. An image without a payload is an error, made by `fail`.
fn read_back(temp: &TempFile, fail: impl Fn(String) -> InjectError) -> Result<Vec<(Copied, u64, u32)>, InjectError> {
    let map = map(temp.file()).map_err(io_error(temp.destination(), "map the temporary file"))?;
    let mut found = Vec::new();
    for item in crate::payloads(&map).map_err(|e| fail(e.to_string()))? {
        let (slice, payload) = item.map_err(|e| fail(e.to_string()))?;
        let payload = payload.map_err(|e| match slice.index() {
            Some(i) => fail(format!("slice {i}: {e}")),
            None => fail(e.to_string()),
        })?;
        let copied = Copied {
            offset: payload.offset(),
            size: payload.size(),
            crc32c: payload.frame().payload_crc32c,
            uncompressed: payload.uncompressed_size(),
        };
        found.push((copied, payload.container().offset, payload.frame().flags));
    }
    Ok(found)
}

/// Reads the temporary file back, as any reader would: every image in it
/// must have a payload, each found exactly where a payload was written, with
/// the size written and the CRC-32C computed while copying it in its frame.
/// Returns the one at `expected`. (The bytes themselves are not read again:
/// they were checksummed on their way to the file, and `sync_all` reports a
/// failed write.)
pub(super) fn verify(temp: &TempFile, written: &Written, expected: u64) -> Result<Copied, InjectError> {
    let fail = |reason: String| InjectError::Verify { path: PathBuf::new(), reason };
    let found: Vec<Copied> = read_back(temp, fail)?.into_iter().map(|(found, ..)| found).collect();
    if found.len() != written.payloads.len() {
        return Err(fail(format!("{} payloads written, {} found", written.payloads.len(), found.len())));
    }
    for payload in &found {
        let Some(copied) = written.payloads.iter().find(|c| c.offset == payload.offset) else {
            return Err(fail(format!("a payload is found at {:#x}, where none was written", payload.offset)));
        };
        if payload != copied {
            let zstd = |c: &Copied| c.uncompressed.map_or(String::new(), |n| format!(", zstd of {n} bytes"));
            return Err(fail(format!(
                "the frame for the payload at {:#x} says {} bytes with CRC-32C {:#010x}{}, \
                 but {} bytes with CRC-32C {:#010x}{} were written",
                payload.offset,
                payload.size,
                payload.crc32c,
                zstd(payload),
                copied.size,
                copied.crc32c,
                zstd(copied)
            )));
        }
    }
    let result = found.into_iter().find(|p| p.offset == expected);
    result.ok_or_else(|| fail(format!("no payload at {expected:#x}, where the layout put it")))
}
