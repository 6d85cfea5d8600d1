//! A located payload: its bytes, where they are, and the checksum check.

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
    /// The payload's bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Absolute file offset of the payload's first byte, from the start of the
    /// whole file (also in a universal file).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload's length in bytes.
    pub fn size(&self) -> u64 {
        self.frame.payload_size
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
}
