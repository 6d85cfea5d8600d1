//! The 64-byte frame at the start of the container (FORMAT.md, "The frame").
//! Every field is little-endian on every target, so a reader on any machine
//! decodes frames written for any other.
//!
//! Readers get a decoded frame from [`Payload::frame`](crate::Payload::frame);
//! writers build one with [`Frame::new`] (and [`Frame::with_zstd`] for a
//! compressed payload) and [`Frame::to_bytes`].

use crate::read::{Data, Fixed, Source};
use crate::{Error, FileRange};

/// `"\x89JLJI\r\n\x1a"`: a high byte, a name, and the line-ending bytes that
/// catch text-mode transfers, as in PNG's signature.
pub const MAGIC: [u8; 8] = *b"\x89JLJI\r\n\x1a";
/// The only frame version this crate reads and writes.
pub const VERSION: u16 = 1;
/// The size of the frame header in bytes.
pub const SIZE: u16 = 64;
/// Flags bit 0: `payload_crc32c` holds a checksum.
pub const FLAG_CRC32C: u32 = 1;
/// Flags bit 1: the payload's stored bytes are one zstd frame (RFC 8878),
/// which decodes to `uncompressed_size` bytes (FORMAT.md, "The frame").
///
/// It is a bit that readers of the first version ignore, so no version change
/// (FORMAT.md, "Versioning"): such a reader returns the stored bytes, which
/// start with the zstd magic `28 B5 2F FD` instead of the payload's own (a
/// `.ji`'s `FB 6A 6C 69`), so a consumer that checks its payload's magic, as
/// Julia does, refuses them rather than misreading them. The CRC-32C covers
/// the stored bytes, so checking it never decompresses.
pub const FLAG_ZSTD: u32 = 2;
/// The alignment writers give the container (and so the frame) in the file,
/// and the multiple of which the payload starts at (FORMAT.md, "Writing rules").
pub const CONTAINER_ALIGN: u64 = 64;

/// Byte offsets of the frame's fields (FORMAT.md, "The frame"): the one
/// definition that [`Frame::to_bytes`], the decoder and the inject driver's
/// sealing of `payload_crc32c` use.
pub mod field {
    /// `magic`, 8 bytes.
    pub const MAGIC: usize = 0;
    /// `version`, u16.
    pub const VERSION: usize = 8;
    /// `header_size`, u16.
    pub const HEADER_SIZE: usize = 10;
    /// `flags`, u32.
    pub const FLAGS: usize = 12;
    /// `payload_offset`, u64.
    pub const PAYLOAD_OFFSET: usize = 16;
    /// `payload_size`, u64.
    pub const PAYLOAD_SIZE: usize = 24;
    /// `payload_crc32c`, u32; bytes 36 to 39 are reserved.
    pub const PAYLOAD_CRC32C: usize = 32;
    /// `uncompressed_size`, u64, meaningful when flags bit 1 ([`FLAG_ZSTD`](super::FLAG_ZSTD))
    /// is set: formerly reserved bytes, so writers that do not compress leave
    /// it zero. 8-aligned; bytes 48 to 63 stay reserved.
    pub const UNCOMPRESSED_SIZE: usize = 40;
}

// The fields fit the header, in order, without overlap, and the new field
// keeps the 8-byte alignment of the other u64s.
const _: () = assert!(
    field::PAYLOAD_CRC32C + 4 <= field::UNCOMPRESSED_SIZE
        && field::UNCOMPRESSED_SIZE + 8 <= SIZE as usize
        && field::UNCOMPRESSED_SIZE % 8 == 0
        && field::PAYLOAD_SIZE + 8 == field::PAYLOAD_CRC32C
);

/// A decoded frame header.
// `repr(C)`: the fields in the order of their bytes, so that decoding is a
// copy the compiler can do in a few wide moves on a little-endian host
// (scripts/lookup-instructions: 37 fewer instructions per Mach-O lookup and
// 8 fewer per PE lookup than Rust's own field order, one more per ELF one).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Format version; always 1 in a frame that decoded.
    pub version: u16,
    /// Size of the frame header; at least 64.
    pub header_size: u16,
    /// Flag bits; see [`FLAG_CRC32C`].
    pub flags: u32,
    /// Distance from the frame's first byte to the payload's first byte.
    pub payload_offset: u64,
    /// Length of the payload in bytes.
    pub payload_size: u64,
    /// CRC-32C of the payload's stored bytes, meaningful when
    /// `flags & FLAG_CRC32C != 0`.
    pub payload_crc32c: u32,
    /// The size of the payload once decompressed, meaningful when
    /// `flags & FLAG_ZSTD != 0` (use [`Frame::uncompressed_size`]).
    pub uncompressed_size: u64,
}

impl Frame {
    /// A version-1 frame with a checksum, as every writer makes it.
    ///
    /// ```
    /// use pkgimg::frame::Frame;
    /// // corpus/expected.json: `elf/x86_64-linux-musl.so` has payload_offset 128,
    /// // 1000 bytes, CRC-32C 2795334585; llvm-readobj puts `.jlji` at 0x3c0. The
    /// // linked file holds exactly the frame a writer of this crate would make.
    /// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
    /// let frame = Frame::new(128, 1000, 2795334585);
    /// assert!(frame.has_crc32c());
    /// assert_eq!(frame.to_bytes()[..], file[0x3c0..0x3c0 + 64]);
    /// ```
    pub fn new(payload_offset: u64, payload_size: u64, payload_crc32c: u32) -> Frame {
        Frame {
            version: VERSION,
            header_size: SIZE,
            flags: FLAG_CRC32C,
            payload_offset,
            payload_size,
            payload_crc32c,
            uncompressed_size: 0,
        }
    }

    /// This frame for a payload stored as one zstd frame that decodes to
    /// `uncompressed_size` bytes: [`FLAG_ZSTD`] set and the size recorded.
    /// `payload_size` and `payload_crc32c` stay those of the stored bytes.
    ///
    /// ```
    /// use pkgimg::frame::{Frame, FLAG_CRC32C, FLAG_ZSTD};
    /// let frame = Frame::new(64, 100, 0x1234_5678).with_zstd(1_000_000);
    /// assert_eq!(frame.flags, FLAG_CRC32C | FLAG_ZSTD);
    /// assert_eq!((frame.is_zstd(), frame.uncompressed_size()), (true, Some(1_000_000)));
    /// assert_eq!(Frame::new(64, 100, 0).uncompressed_size(), None);
    /// ```
    pub fn with_zstd(self, uncompressed_size: u64) -> Frame {
        Frame { flags: self.flags | FLAG_ZSTD, uncompressed_size, ..self }
    }

    /// Whether the frame carries a checksum.
    pub fn has_crc32c(&self) -> bool {
        self.flags & FLAG_CRC32C != 0
    }

    /// Whether the payload's stored bytes are one zstd frame ([`FLAG_ZSTD`]).
    pub fn is_zstd(&self) -> bool {
        self.flags & FLAG_ZSTD != 0
    }

    /// The payload's size once decompressed, if it is stored compressed.
    pub fn uncompressed_size(&self) -> Option<u64> {
        self.is_zstd().then_some(self.uncompressed_size)
    }

    /// The 64 bytes of this frame; reserved bytes are zero.
    ///
    /// ```
    /// use pkgimg::frame::Frame;
    /// // The layout of FORMAT.md, field by field, for a payload "123456789" right
    /// // after the header (its CRC-32C is the catalogue check value 0xe3069283).
    /// let mut expected = [0u8; 64];
    /// expected[..36].copy_from_slice(&[
    ///     0x89, b'J', b'L', b'J', b'I', b'\r', b'\n', 0x1a, // magic
    ///     1, 0, // version
    ///     64, 0, // header_size
    ///     1, 0, 0, 0, // flags: bit 0, CRC present
    ///     64, 0, 0, 0, 0, 0, 0, 0, // payload_offset
    ///     9, 0, 0, 0, 0, 0, 0, 0, // payload_size
    ///     0x83, 0x92, 0x06, 0xe3, // payload_crc32c
    /// ]);
    /// assert_eq!(Frame::new(64, 9, 0xe306_9283).to_bytes(), expected);
    /// ```
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let fields: [(usize, &[u8]); 8] = [
            (field::MAGIC, &MAGIC),
            (field::VERSION, &self.version.to_le_bytes()),
            (field::HEADER_SIZE, &self.header_size.to_le_bytes()),
            (field::FLAGS, &self.flags.to_le_bytes()),
            (field::PAYLOAD_OFFSET, &self.payload_offset.to_le_bytes()),
            (field::PAYLOAD_SIZE, &self.payload_size.to_le_bytes()),
            (field::PAYLOAD_CRC32C, &self.payload_crc32c.to_le_bytes()),
            (field::UNCOMPRESSED_SIZE, &self.uncompressed_size.to_le_bytes()),
        ];
        for (at, bytes) in fields {
            if let Some(field) = out.get_mut(at..at.saturating_add(bytes.len())) {
                field.copy_from_slice(bytes);
            }
        }
        out
    }

    /// Decodes the frame at the start of `container` (a range of `image`,
    /// already checked to lie inside it) and returns it with the payload's
    /// bytes, checked to lie inside `image`.
    // Always inlined: with the frame 8 bytes larger for `uncompressed_size`,
    // `#[inline]` left the navigators' loops with extra register moves
    // (scripts/lookup-instructions: about 30 more instructions per Mach-O
    // lookup). Inlined, a lookup costs within 1 instruction of what it did
    // before that field on Mach-O and PE, 8 more on ELF (a register move in
    // the section-name loop, not the frame's own reads).
    #[inline(always)]
    pub(crate) fn decode<'a>(image: Data<'a>, container: FileRange) -> Result<(Frame, Data<'a>), Error> {
        let (frame, start) = Frame::decode_header(image, container)?;
        Ok((frame, image.table("payload", start, frame.payload_size, 1)?))
    }

    /// [`Frame::decode`] without reading the payload: the frame, and where
    /// the payload starts in `image`, checked to lie inside it.
    #[cfg(feature = "std")]
    pub(crate) fn decode_range<'a, S: Source<'a>>(
        image: Data<'a, S>,
        container: FileRange,
    ) -> Result<(Frame, u64), Error> {
        let (frame, start) = Frame::decode_header(image, container)?;
        image.within("payload", start, frame.payload_size)?;
        Ok((frame, start))
    }

    /// The frame's checks (FORMAT.md §4, item 4), and the payload's start
    /// relative to `image`; the payload's end is the caller's to check.
    #[inline(always)]
    fn decode_header<'a, S: Source<'a>>(image: Data<'a, S>, container: FileRange) -> Result<(Frame, u64), Error> {
        let at = image.base.saturating_add(container.offset);
        if container.size < u64::from(SIZE) {
            return Err(Error::NoFrame { offset: at, size: container.size });
        }
        let header = image.fixed::<64>("payload frame", container.offset)?;
        let header = Fixed { endian: crate::Endian::Little, ..header };
        if header.bytes.first_chunk::<8>() != Some(&MAGIC) {
            return Err(Error::NoFrame { offset: at, size: container.size });
        }
        let frame = Frame {
            version: header.u16(field::VERSION as u64),
            header_size: header.u16(field::HEADER_SIZE as u64),
            flags: header.u32(field::FLAGS as u64),
            payload_offset: header.u64(field::PAYLOAD_OFFSET as u64),
            payload_size: header.u64(field::PAYLOAD_SIZE as u64),
            payload_crc32c: header.u32(field::PAYLOAD_CRC32C as u64),
            // Read whatever the flags say: one load, no branch, so a lookup
            // costs the same with or without compression (FORMAT.md §4).
            uncompressed_size: header.u64(field::UNCOMPRESSED_SIZE as u64),
        };
        if frame.version != VERSION {
            return Err(Error::FrameVersion { offset: at, version: frame.version });
        }
        if frame.header_size < SIZE {
            return Err(Error::FrameHeaderSize { offset: at, header_size: frame.header_size });
        }
        if frame.payload_offset < u64::from(frame.header_size) {
            let offset = at.saturating_add(field::PAYLOAD_OFFSET as u64);
            return Err(Error::invalid(
                "payload frame payload_offset",
                offset,
                frame.payload_offset,
                "at least header_size",
            ));
        }
        let Some(start) = container.offset.checked_add(frame.payload_offset) else {
            return Err(Error::Overflow { what: "payload", offset: at, size: frame.payload_offset, count: 1 });
        };
        Ok((frame, start))
    }
}
