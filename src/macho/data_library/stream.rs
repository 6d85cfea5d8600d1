//! Writing a data library in one pass: every byte before the signature goes
//! through [`Hashed`], which hashes it into the code signature's page hashes
//! as it passes, so the payload is streamed once and never held.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use crate::write::error::EmitError;

/// How much of the payload is read at a time.
const CHUNK: usize = 1 << 16;

/// A writer that forwards bytes to `out` and keeps the SHA-256 of every
/// `page`-byte page of them, the last page over what remains (as the kernel
/// checks a CodeDirectory's last page).
pub(super) struct Hashed<'w> {
    out: &'w mut dyn Write,
    page: u64,
    /// The page being hashed and how many of its bytes have passed.
    current: Sha256,
    filled: u64,
    hashes: Vec<u8>,
    written: u64,
}

impl<'w> Hashed<'w> {
    pub(super) fn new(out: &'w mut dyn Write, page: u64) -> Hashed<'w> {
        Hashed { out, page, current: Sha256::new(), filled: 0, hashes: Vec::new(), written: 0 }
    }

    /// How many bytes have been written.
    pub(super) fn written(&self) -> u64 {
        self.written
    }

    pub(super) fn put(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written = self.written.saturating_add(bytes.len() as u64);
        while !bytes.is_empty() {
            let room = usize::try_from(self.page.saturating_sub(self.filled)).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.current.update(now);
            self.filled = self.filled.saturating_add(now.len() as u64);
            if self.filled == self.page {
                self.hashes.extend_from_slice(&self.current.finalize_reset());
                self.filled = 0;
            }
            bytes = rest;
        }
        Ok(())
    }

    /// `count` zero bytes.
    pub(super) fn zeros(&mut self, count: u64) -> io::Result<()> {
        let block = [0u8; 4096];
        let mut left = count;
        while left > 0 {
            let now = usize::try_from(left).unwrap_or(usize::MAX).min(block.len());
            self.put(block.get(..now).unwrap_or_default())?;
            left = left.saturating_sub(now as u64);
        }
        Ok(())
    }

    /// Zeros up to offset `at`.
    pub(super) fn zeros_to(&mut self, at: u64) -> io::Result<()> {
        self.zeros(at.saturating_sub(self.written))
    }

    /// The page hashes, 32 bytes per page, and the writer back.
    pub(super) fn finish(mut self) -> (Vec<u8>, &'w mut dyn Write) {
        if self.filled > 0 {
            self.hashes.extend_from_slice(&self.current.finalize_reset());
        }
        (self.hashes, self.out)
    }
}

/// Copies exactly `size` bytes of `payload` to `out`, checking their
/// CRC-32C against `crc`.
pub(super) fn copy_payload(payload: &mut dyn Read, size: u64, crc: u32, out: &mut Hashed<'_>) -> Result<(), EmitError> {
    let mut buffer = vec![0u8; usize::try_from(size).unwrap_or(CHUNK).clamp(1, CHUNK)];
    let (mut left, mut actual) = (size, 0u32);
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buffer.len());
        let slot = buffer.get_mut(..want).unwrap_or_default();
        let n = match payload.read(slot) {
            Ok(0) => return Err(EmitError::ShortPayload { expected: size, got: size.saturating_sub(left) }),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let read = slot.get(..n).unwrap_or_default();
        actual = crc32c::crc32c_append(actual, read);
        out.put(read)?;
        left = left.saturating_sub(n as u64);
    }
    if actual != crc {
        return Err(EmitError::ChecksumMismatch { expected: crc, actual });
    }
    Ok(())
}
