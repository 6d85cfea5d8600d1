//! The data record: the 32 bytes a data library's exported symbol points at
//! (docs/FORMAT.md, "Data libraries"). A code cache that references the
//! symbol keeps the data library as a real dependency through every
//! linker's dead-stripping and `--as-needed`, and can read the payload's
//! size and CRC-32C from it once the loader has mapped the library.
//!
//! Unlike the frame, the record is in the image's byte order: it is meant to
//! be read in place as a C struct by the code that links against it:
//!
//! ```c
//! struct pkgimg_data_record {       /* 32 bytes, 8-aligned */
//!     unsigned char magic[8];       /* "\x89JLDATA\x1a" */
//!     uint16_t version;             /* 1 */
//!     uint16_t record_size;         /* 32 */
//!     uint32_t flags;               /* bit 0: payload_crc32c is set */
//!     uint64_t payload_size;
//!     uint32_t payload_crc32c;
//!     uint32_t reserved;            /* 0 */
//! };
//! ```

use crate::frame::{Frame, FLAG_CRC32C};
use crate::Endian;

/// `"\x89JLDATA\x1a"`: the frame's high byte and end-of-file guard around a
/// name that says what the bytes are.
pub const MAGIC: [u8; 8] = *b"\x89JLDATA\x1a";
/// The only record version.
pub const VERSION: u16 = 1;
/// The record's size in bytes.
pub const SIZE: u16 = 32;
/// The name of the exported symbol when the writer is not told another.
pub const DEFAULT_SYMBOL: &str = "jl_pkgimg_data";

/// Byte offsets of the record's fields.
pub mod field {
    /// `magic`, 8 bytes.
    pub const MAGIC: usize = 0;
    /// `version`, u16.
    pub const VERSION: usize = 8;
    /// `record_size`, u16.
    pub const RECORD_SIZE: usize = 10;
    /// `flags`, u32.
    pub const FLAGS: usize = 12;
    /// `payload_size`, u64.
    pub const PAYLOAD_SIZE: usize = 16;
    /// `payload_crc32c`, u32.
    pub const PAYLOAD_CRC32C: usize = 24;
    /// `reserved`, u32, zero.
    pub const RESERVED: usize = 28;
}

const _: () = assert!(field::RESERVED + 4 == SIZE as usize && field::PAYLOAD_SIZE % 8 == 0);

/// A decoded data record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRecord {
    /// Flag bits; [`FLAG_CRC32C`] says `payload_crc32c` is set.
    pub flags: u32,
    /// The payload's size in bytes.
    pub payload_size: u64,
    /// The payload's CRC-32C.
    pub payload_crc32c: u32,
}

impl DataRecord {
    /// The record of a payload of `payload_size` bytes with this CRC-32C.
    pub fn new(payload_size: u64, payload_crc32c: u32) -> DataRecord {
        DataRecord { flags: FLAG_CRC32C, payload_size, payload_crc32c }
    }

    /// The 32 bytes of the record in byte order `endian`.
    ///
    /// ```
    /// use pkgimg::{record::DataRecord, Endian};
    /// let bytes = DataRecord::new(9, 0xe306_9283).to_bytes(Endian::Big);
    /// assert_eq!(&bytes[..8], b"\x89JLDATA\x1a");
    /// assert_eq!(bytes[8..16], [0, 1, 0, 32, 0, 0, 0, 1]); // version, size, flags
    /// assert_eq!(bytes[16..24], 9u64.to_be_bytes());
    /// assert_eq!(bytes[24..28], 0xe306_9283u32.to_be_bytes());
    /// ```
    pub fn to_bytes(&self, endian: Endian) -> [u8; 32] {
        let mut out = [0u8; 32];
        let fields: [(usize, &[u8]); 6] = [
            (field::MAGIC, &MAGIC),
            (field::VERSION, &endian.u16_bytes(VERSION)),
            (field::RECORD_SIZE, &endian.u16_bytes(SIZE)),
            (field::FLAGS, &endian.u32_bytes(self.flags)),
            (field::PAYLOAD_SIZE, &endian.u64_bytes(self.payload_size)),
            (field::PAYLOAD_CRC32C, &endian.u32_bytes(self.payload_crc32c)),
        ];
        for (at, bytes) in fields {
            if let Some(slot) = out.get_mut(at..at.saturating_add(bytes.len())) {
                slot.copy_from_slice(bytes);
            }
        }
        out
    }

    /// Decodes a record from its 32 bytes in byte order `endian`; `None` if
    /// the magic, version or size is not this one's.
    pub fn decode(bytes: &[u8; 32], endian: Endian) -> Option<DataRecord> {
        let u16_at = |at: usize| Some(endian.u16(*bytes.get(at..)?.first_chunk()?));
        let u32_at = |at: usize| Some(endian.u32(*bytes.get(at..)?.first_chunk()?));
        let u64_at = |at: usize| Some(endian.u64(*bytes.get(at..)?.first_chunk()?));
        if bytes.first_chunk::<8>() != Some(&MAGIC) || u16_at(field::VERSION)? != VERSION {
            return None;
        }
        if u16_at(field::RECORD_SIZE)? != SIZE {
            return None;
        }
        Some(DataRecord {
            flags: u32_at(field::FLAGS)?,
            payload_size: u64_at(field::PAYLOAD_SIZE)?,
            payload_crc32c: u32_at(field::PAYLOAD_CRC32C)?,
        })
    }
}

/// How far into an image a reader looks for the data record: pkgimg's
/// writers put it in the first pages (ELF `.rodata`, the end of Mach-O's
/// `__TEXT` page, PE `.rdata`; docs/FORMAT.md §8.2).
pub const SEARCH: usize = 64 << 10;

/// Where the data record of a data library is: the offset in `image` (one
/// thin image, in byte order `endian`) of the first 8-aligned record in its
/// first [`SEARCH`] bytes that names `frame`'s payload size and CRC-32C;
/// `None` if `image` is no data library (docs/FORMAT.md §8.1). Bytes that
/// merely start like a record, or a record of another payload, do not count.
pub fn find(image: &[u8], endian: Endian, frame: &Frame) -> Option<usize> {
    // Records are 8-aligned in memory, and segments keep file offsets
    // congruent to addresses, so they are 8-aligned in the file too.
    (0..image.len().min(SEARCH)).step_by(8).find(|&at| {
        let Some(bytes) = image.get(at..).and_then(|rest| rest.first_chunk::<32>()) else { return false };
        DataRecord::decode(bytes, endian).is_some_and(|record| {
            record.payload_size == frame.payload_size && record.payload_crc32c == frame.payload_crc32c
        })
    })
}
