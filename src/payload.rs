//! A located payload: its bytes, where they are, the checksum check, and
//! (with `std`) the decoder of a zstd-compressed payload.

#[cfg(feature = "std")]
use std::io::{self, BufRead, Write};

use crate::{crc, Arch, Endian, Error, FileRange, Format, Frame, Image};

/// A located payload: its bytes, where they are, the frame that described
/// them and the image that carries them.
///
/// ```
/// use pkgimg::{Arch, Endian, FileRange, Format};
/// // corpus/expected.json: payload at 1088, 1000 bytes, CRC-32C 2795334585, with
/// // `payload_offset` 128; llvm-readobj: `.jlji` at 0x3c0, 1128 bytes.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let payload = pkgimg::find_ji_payload(&file)?;
/// assert_eq!((payload.offset(), payload.size()), (1088, 1000));
/// assert_eq!(payload.container(), FileRange { offset: 0x3c0, size: 1128 });
/// assert_eq!(payload.frame().payload_offset, 128);
/// assert_eq!(payload.data(), &file[1088..2088]);
/// assert_eq!(payload.crc32c(), 2795334585);
/// assert_eq!((payload.format(), payload.arch(), payload.bits()), (Format::Elf, Arch::X86_64, 64));
/// assert_eq!((payload.endian(), payload.slice()), (Endian::Little, None));
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) offset: u64,
    pub(crate) frame: Frame,
    pub(crate) container: FileRange,
    pub(crate) image: Image,
    pub(crate) slice: Option<u32>,
}

impl<'a> Payload<'a> {
    /// The payload's bytes as stored: for a [`compressed`](Payload::compressed)
    /// payload, one zstd frame (use [`Payload::decompress_to`]).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Absolute file offset of the payload's first byte, from the start of the
    /// whole file (also in a universal file).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload's length in bytes as stored (compressed, if it is).
    pub fn size(&self) -> u64 {
        self.frame.payload_size
    }

    /// Whether the stored bytes are one zstd frame (frame flags bit 1,
    /// FORMAT.md "The frame"), to be decoded before use. Uncompressed is the
    /// default, so that a loader can map the payload in place.
    pub fn compressed(&self) -> bool {
        self.frame.is_zstd()
    }

    /// The payload's size once decompressed, from the frame; `None` for an
    /// uncompressed payload, whose size is [`Payload::size`].
    pub fn uncompressed_size(&self) -> Option<u64> {
        self.frame.uncompressed_size()
    }

    /// The frame that described it.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// The container section's file range; the frame is at its start.
    pub fn container(&self) -> FileRange {
        self.container
    }

    /// The image that carries the payload.
    pub fn image(&self) -> Image {
        self.image
    }

    /// The slice index, in a universal file.
    pub fn slice(&self) -> Option<u32> {
        self.slice
    }

    /// The image's format.
    pub fn format(&self) -> Format {
        self.image.format
    }

    /// The image's architecture.
    pub fn arch(&self) -> Arch {
        self.image.arch
    }

    /// The image's pointer width, 32 or 64.
    pub fn bits(&self) -> u8 {
        self.image.bits
    }

    /// The image's byte order.
    pub fn endian(&self) -> Endian {
        self.image.endian
    }

    /// The payload's CRC-32C, computed now (reads every payload byte).
    pub fn crc32c(&self) -> u32 {
        crc::crc32c(self.data)
    }

    /// Checks the payload against the frame's CRC-32C. This reads the whole
    /// payload; locating it did not.
    ///
    /// ```
    /// use pkgimg::Error;
    /// // corpus/expected.json: `malformed/crc-mismatch.so` had one payload byte
    /// // flipped after linking. It is still located (at 1152); only verify
    /// // notices, reporting the frame's CRC-32C and that of the bytes.
    /// let file = std::fs::read("corpus/malformed/crc-mismatch.so").unwrap();
    /// let payload = pkgimg::find_ji_payload(&file)?;
    /// assert_eq!(
    ///     payload.verify(),
    ///     Err(Error::ChecksumMismatch { offset: 1152, expected: 1027056141, actual: 2644859647 })
    /// );
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    ///
    /// For a compressed payload the CRC-32C covers the stored bytes, so this
    /// never decompresses: a damaged zstd frame fails here, before anything
    /// decodes it.
    pub fn verify(&self) -> Result<(), Error> {
        let frame_offset = self.container.offset;
        if !self.frame.has_crc32c() {
            return Err(Error::NoChecksum { offset: frame_offset });
        }
        let actual = self.crc32c();
        if actual != self.frame.payload_crc32c {
            return Err(Error::ChecksumMismatch { offset: self.offset, expected: self.frame.payload_crc32c, actual });
        }
        Ok(())
    }

    /// Writes the payload's content to `out` and returns its length: a
    /// compressed payload decoded, as it streams, through a buffer of fixed
    /// size (memory does not grow with the payload); an uncompressed one
    /// copied as it is. The stored bytes are read from [`Payload::data`]
    /// (for a mapped file, where they lie; see [`Payload::decompress_from`]
    /// to read them otherwise). The CRC-32C is not checked: call
    /// [`Payload::verify`] first.
    ///
    /// A compressed payload must be exactly one zstd frame whose content is
    /// [`Payload::uncompressed_size`] bytes; anything else is an
    /// [`io::ErrorKind::InvalidData`] error naming the payload's offset. Bytes
    /// already written to `out` then are not the payload.
    ///
    /// ```
    /// use pkgimg::inject::{inject, Compression, InjectOptions};
    /// let dir = std::env::temp_dir().join(format!("pkgimg-doc-decompress-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let data = dir.join("Foo.ji");
    /// std::fs::write(&data, "123456789".repeat(1000))?;
    /// let out = dir.join("libFoo.so");
    /// let options = InjectOptions { compress: Some(Compression::default()), ..Default::default() };
    /// inject("corpus/nopayload/x86_64-linux-musl.so".as_ref(), &data, &out, options)?;
    ///
    /// let bytes = std::fs::read(&out)?;
    /// let payload = pkgimg::find_ji_payload(&bytes)?;
    /// assert!(payload.compressed());
    /// assert_eq!(payload.uncompressed_size(), Some(9000));
    /// assert_eq!(payload.data()[..4], [0x28, 0xb5, 0x2f, 0xfd]); // the zstd magic (RFC 8878)
    /// payload.verify()?; // the stored bytes' CRC-32C: nothing is decompressed
    /// let mut content = Vec::new();
    /// assert_eq!(payload.decompress_to(&mut content)?, 9000);
    /// assert_eq!(content, "123456789".repeat(1000).as_bytes());
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn decompress_to(&self, out: impl Write) -> io::Result<u64> {
        // A slice is its own buffer: the decoder reads the stored bytes in place.
        self.decompress_from(self.data, out)
    }

    /// [`Payload::decompress_to`], with the stored bytes read from `stored`
    /// (which must yield this payload's [`size`](Payload::size) bytes, e.g. a
    /// [`std::io::BufReader`] over `pread`s of the file at
    /// [`offset`](Payload::offset)) instead of from the mapping: for a
    /// caller that must not fault if the file is cut short meanwhile.
    /// Reading stops at the payload's size; errors of `stored` and `out` are
    /// returned as they are.
    #[cfg(feature = "std")]
    pub fn decompress_from(&self, mut stored: impl BufRead, mut out: impl Write) -> io::Result<u64> {
        let size = self.size();
        let Some(expected) = self.uncompressed_size() else {
            let copied = io::copy(&mut io::Read::take(&mut stored, size), &mut out)?;
            if copied != size {
                return Err(self.invalid(format_args!("the stored bytes end after {copied} of {size}")));
            }
            return Ok(size);
        };
        let mut decoder = zstd::stream::raw::Decoder::new()?;
        let mut buffer = vec![0u8; DECODE_BUFFER];
        let (mut read, mut written) = (0u64, 0u64);
        loop {
            let available = stored.fill_buf()?;
            let left = usize::try_from(size.saturating_sub(read)).unwrap_or(usize::MAX);
            let input = available.get(..left.min(available.len())).unwrap_or_default();
            if input.is_empty() {
                return Err(self
                    .invalid(format_args!("the zstd frame is cut short: {read} stored bytes hold no complete frame")));
            }
            let mut source = zstd::stream::raw::InBuffer::around(input);
            let mut done = false;
            loop {
                let mut target = zstd::stream::raw::OutBuffer::around(buffer.as_mut_slice());
                let hint = zstd::stream::raw::Operation::run(&mut decoder, &mut source, &mut target)
                    .map_err(|e| self.invalid(format_args!("the zstd frame does not decode: {e}")))?;
                let n = target.pos();
                written = written.saturating_add(n as u64);
                if written > expected {
                    return Err(self.invalid(format_args!(
                        "the zstd frame decodes to more than the frame's uncompressed_size, {expected} bytes"
                    )));
                }
                out.write_all(buffer.get(..n).unwrap_or_default())?;
                // 0: the frame is decoded and flushed (zstd.h, ZSTD_decompressStream).
                if hint == 0 {
                    done = true;
                    break;
                }
                // All input taken and the output not full: the decoder wants more.
                if source.pos() == input.len() && n < buffer.len() {
                    break;
                }
            }
            let used = source.pos();
            stored.consume(used);
            read = read.saturating_add(used as u64);
            if done {
                if read != size {
                    return Err(self.invalid(format_args!(
                        "the zstd frame ends after {read} of the {size} stored bytes; a payload is exactly one frame"
                    )));
                }
                if written != expected {
                    return Err(self.invalid(format_args!(
                        "the zstd frame decodes to {written} bytes, the frame's uncompressed_size says {expected}"
                    )));
                }
                return Ok(written);
            }
        }
    }

    /// An `InvalidData` error about this payload's stored bytes, naming where
    /// they are, in the style of [`Error`]'s messages.
    #[cfg(feature = "std")]
    fn invalid(&self, what: std::fmt::Arguments<'_>) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("payload at {:#x} ({} bytes): {what}", self.offset, self.size()),
        )
    }
}

/// The decoder's output buffer: a few times libzstd's block size (128 KiB),
/// so each `write` is large and the buffer stays in the CPU cache.
#[cfg(feature = "std")]
const DECODE_BUFFER: usize = 512 << 10;
