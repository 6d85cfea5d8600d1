//! Julia `.ji` cache headers: what a payload that starts with Julia's cache
//! magic says about itself (FORMAT.md, "Julia `.ji` payloads").
//!
//! Decoding never fails: [`Header::decode`] reads fields in file order for as
//! long as the bytes allow and records in [`Header::stop`] where and why it
//! stopped. Every read is bounds-checked; nothing allocates, so this works
//! without `std`.
//!
//! ```
//! let mut ji = Vec::from(pkgimg::ji::MAGIC);
//! ji.extend_from_slice(&12u16.to_le_bytes()); // format version
//! ji.extend_from_slice(&[0xff, 0xfe]); // byte-order mark 0xFEFF, little-endian
//! let header = pkgimg::ji::Header::decode(&ji);
//! assert_eq!(header.version, Some(12));
//! // The pointer size is missing: decoding stopped there, at offset 12.
//! assert_eq!(header.stop.map(|s| s.offset), Some(12));
//! ```
//!
//! Offsets in this module count from the first byte of the `.ji` data.

use core::fmt;

use crate::read::Data;
use crate::Endian;

/// Julia's cache file magic, `"\373jli\r\n\032\n"`.
pub const MAGIC: [u8; 8] = *b"\xfbjli\r\n\x1a\n";

/// The JI format versions whose header layout this module knows: 12 (Julia
/// 1.9 to 1.13), 13 and 14 (which add the syntax version byte).
pub const VERSIONS: core::ops::RangeInclusive<u16> = 12..=14;

/// The first JI format version with a syntax version byte after the flags.
const SYNTAX_VERSION_SINCE: u16 = 13;

/// Whether `payload` starts with the `.ji` magic.
///
/// ```
/// // corpus/README.md: `elf/x86_64-linux-musl-ji.so` carries a synthetic `.ji`
/// // file; the other corpus payloads are SHA-256 counter-mode bytes.
/// let ji = std::fs::read("corpus/elf/x86_64-linux-musl-ji.so").unwrap();
/// assert!(pkgimg::ji::is_ji(pkgimg::find_ji_payload(&ji)?.data()));
/// let opaque = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// assert!(!pkgimg::ji::is_ji(pkgimg::find_ji_payload(&opaque)?.data()));
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn is_ji(payload: &[u8]) -> bool {
    payload.starts_with(&MAGIC)
}

/// The cache flags byte (Julia's `jl_cache_flags`), bit by bit from bit 0:
/// pkgimages (1 bit), debug level (2), check-bounds (2), inline (1),
/// optimisation level (2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheFlags(pub u8);

impl CacheFlags {
    /// `bits` bits of the byte, starting at bit `from`.
    fn field(self, from: u32, bits: u32) -> u8 {
        let mask = u8::MAX.checked_shr(8u32.saturating_sub(bits)).unwrap_or(0);
        self.0.checked_shr(from).unwrap_or(0) & mask
    }

    /// Whether the image was compiled with package images enabled.
    pub fn pkgimages(self) -> bool {
        self.field(0, 1) != 0
    }

    /// The debug level, 0 to 3 (`-g`).
    pub fn debug_level(self) -> u8 {
        self.field(1, 2)
    }

    /// The `--check-bounds` setting, 0 to 3 (0 default, 1 yes, 2 no).
    pub fn check_bounds(self) -> u8 {
        self.field(3, 2)
    }

    /// Whether inlining was enabled (`--inline`).
    pub fn inline(self) -> bool {
        self.field(5, 1) != 0
    }

    /// The optimisation level, 0 to 3 (`-O`).
    pub fn opt_level(self) -> u8 {
        self.field(6, 2)
    }
}

/// A package UUID, stored in the `.ji` file as two `u64` halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uuid {
    /// The high half: the first 16 hex digits.
    pub hi: u64,
    /// The low half: the last 16 hex digits.
    pub lo: u64,
}

impl fmt::Display for Uuid {
    /// The usual 8-4-4-4-12 form: each half printed as big-endian hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hi, lo) = (self.hi.to_be_bytes(), self.lo.to_be_bytes());
        for (i, b) in hi.iter().chain(lo.iter()).enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One worklist entry: a module this cache file provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module<'a> {
    /// The module's name, as stored (normally UTF-8).
    pub name: &'a [u8],
    /// The package's UUID (all zero for a module outside a package).
    pub uuid: Uuid,
    /// The low 64 bits of the module's build id.
    pub build_id: u64,
    /// Offset of the entry's name length field.
    pub offset: u64,
}

/// Why decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The data does not start with [`MAGIC`].
    NotJi,
    /// The field needs more bytes than remain.
    Truncated {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left from the field's offset to the end of the data.
        available: u64,
    },
    /// A string has no NUL terminator before the end of the data.
    Unterminated,
    /// The byte-order mark is neither `FF FE` nor `FE FF`, so no multi-byte
    /// field can be read.
    BadByteOrderMark([u8; 2]),
    /// A format version whose layout this module does not know.
    UnknownVersion(u16),
    /// A worklist name length below zero.
    NegativeLength(i32),
    /// The trailer's byte order is unknown (the header has no valid BOM).
    UnknownByteOrder,
    /// The data is too short to hold a trailer after the decoded header.
    NoRoomForTrailer {
        /// Where the decoded header ends.
        header_end: u64,
    },
}

/// Where decoding stopped, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    /// Offset of the field that could not be decoded.
    pub offset: u64,
    /// The field, e.g. "build OS string".
    pub field: &'static str,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Stop { offset, field, reason } = self;
        write!(f, "{field} at offset {offset:#x}: ")?;
        match reason {
            Reason::NotJi => f.write_str("the data does not start with the .ji magic"),
            Reason::Truncated { needed, available } => {
                write!(f, "needs {needed} bytes, only {available} remain")
            }
            Reason::Unterminated => f.write_str("no NUL terminator before the end of the data"),
            Reason::BadByteOrderMark([a, b]) => write!(
                f,
                "is {a:02x} {b:02x}, expected ff fe (little-endian) or fe ff (big-endian); \
                 without it no multi-byte field, not even the version before it, can be read"
            ),
            Reason::UnknownVersion(v) => {
                write!(f, "is {v}; the header layout is known for versions 12 to 14 only")
            }
            Reason::NegativeLength(n) => write!(f, "is {n}, a negative length"),
            Reason::UnknownByteOrder => f.write_str("byte order unknown (the header has no valid byte-order mark)"),
            Reason::NoRoomForTrailer { header_end } => {
                write!(f, "the last 8 bytes would overlap the header, which runs to offset {header_end:#x}")
            }
        }
    }
}

/// The decoded part of a `.ji` header. Fields are `None` from the first one
/// that could not be decoded on; [`Header::stop`] says which and why.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// The JI format version.
    pub version: Option<u16>,
    /// The byte order of the machine that wrote the file, from the BOM.
    pub endian: Option<Endian>,
    /// `sizeof(void*)` on that machine.
    pub pointer_size: Option<u8>,
    /// Build OS (`uname`), e.g. "Linux".
    pub build_os: Option<&'a [u8]>,
    /// Build architecture, e.g. "x86_64".
    pub build_arch: Option<&'a [u8]>,
    /// Julia version string, e.g. "1.10.0".
    pub julia_version: Option<&'a [u8]>,
    /// Git branch of the Julia build.
    pub git_branch: Option<&'a [u8]>,
    /// Git commit of the Julia build.
    pub git_commit: Option<&'a [u8]>,
    /// The pkgimage flag: nonzero when native code accompanies the file.
    pub pkgimage: Option<u8>,
    /// Checksum of the data section.
    pub checksum: Option<u64>,
    /// Data start position.
    pub datastart: Option<u64>,
    /// Data end position.
    pub dataend: Option<u64>,
    /// The cache flags.
    pub flags: Option<CacheFlags>,
    /// The syntax version; present from format version 13 on.
    pub syntax_version: Option<u8>,
    /// How many complete worklist entries were decoded; see [`Header::worklist`].
    pub modules: u32,
    /// Whether the worklist's terminating zero was read: the header is whole.
    pub complete: bool,
    /// Offset just past the last byte decoded.
    pub end: u64,
    /// Where and why decoding stopped, unless the header is complete.
    pub stop: Option<Stop>,
    data: Data<'a>,
    worklist_at: Option<u64>,
}

/// A bounds-checked reader that moves through the data field by field.
struct Cursor<'a> {
    data: Data<'a>,
    at: u64,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, field: &'static str, size: u64) -> Result<Data<'a>, Stop> {
        let available = self.data.len().saturating_sub(self.at);
        let view = self.data.table(field, self.at, size, 1).map_err(|_| Stop {
            offset: self.at,
            field,
            reason: Reason::Truncated { needed: size, available },
        })?;
        // Cannot saturate: the view lies inside the data.
        self.at = self.at.saturating_add(size);
        Ok(view)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, Stop> {
        self.take(field, 1).and_then(|v| v.u8(0).map_err(|_| self.truncated(field, 1)))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, Stop> {
        self.take(field, 8).and_then(|v| v.u64(0).map_err(|_| self.truncated(field, 8)))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, Stop> {
        let word = self.take(field, 4).and_then(|v| v.u32(0).map_err(|_| self.truncated(field, 4)))?;
        Ok(i32::from_ne_bytes(word.to_ne_bytes()))
    }

    /// A NUL-terminated string, without its NUL.
    fn cstr(&mut self, field: &'static str) -> Result<&'a [u8], Stop> {
        let rest = usize::try_from(self.at).ok().and_then(|at| self.data.bytes.get(at..)).unwrap_or(&[]);
        let len =
            rest.iter().position(|&b| b == 0).ok_or(Stop { offset: self.at, field, reason: Reason::Unterminated })?;
        let string = rest.get(..len).unwrap_or(&[]);
        self.take(field, (len as u64).saturating_add(1))?;
        Ok(string)
    }

    fn truncated(&self, field: &'static str, needed: u64) -> Stop {
        let available = self.data.len().saturating_sub(self.at);
        Stop { offset: self.at, field, reason: Reason::Truncated { needed, available } }
    }
}

impl<'a> Header<'a> {
    /// Decodes as much of the header at the start of `data` as its bytes allow.
    ///
    /// ```
    /// use pkgimg::ji::{CacheFlags, Header};
    /// // corpus/expected.json, `elf/x86_64-linux-musl-ji.so`: its `ji` key holds
    /// // the header as build.py wrote it.
    /// let file = std::fs::read("corpus/elf/x86_64-linux-musl-ji.so").unwrap();
    /// let payload = pkgimg::find_ji_payload(&file)?;
    /// let header = Header::decode(payload.data());
    /// assert!(header.complete, "{:?}", header.stop);
    /// assert_eq!((header.version, header.pointer_size, header.pkgimage), (Some(12), Some(8), Some(1)));
    /// assert_eq!(header.build_os, Some(&b"Linux"[..]));
    /// assert_eq!(header.build_arch, Some(&b"x86_64"[..]));
    /// assert_eq!(header.julia_version, Some(&b"1.11.2"[..]));
    /// assert_eq!(header.git_branch, Some(&b"release-1.11"[..]));
    /// assert_eq!(header.checksum, Some(14736461235916029251));
    /// assert_eq!((header.datastart, header.dataend), (Some(155), Some(3155)));
    ///
    /// // cache_flags 163 = 0b10_1_00_01_1: -O2, inline, check-bounds 0, debug 1, pkgimages.
    /// let flags = header.flags.unwrap();
    /// assert_eq!(flags, CacheFlags(163));
    /// assert_eq!((flags.opt_level(), flags.inline(), flags.check_bounds()), (2, true, 0));
    /// assert_eq!((flags.debug_level(), flags.pkgimages()), (1, true));
    ///
    /// let modules: Vec<_> = header.worklist().collect();
    /// assert_eq!(modules.len(), 1);
    /// assert_eq!(modules[0].name, b"PkgimgDemo");
    /// // uuid_hi 1958007344816222594, uuid_lo 10638828085386475777, as hex.
    /// assert_eq!(modules[0].uuid.to_string(), "1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901");
    /// assert_eq!(modules[0].build_id, 81985529216486895);
    ///
    /// // No companion library CRC was recorded; the file's own CRC holds.
    /// let trailer = header.trailer().expect("a trailer after the header");
    /// assert_eq!(trailer.so_crc32c, 0);
    /// assert!(trailer.ji_crc_ok());
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    ///
    /// Data that is not a `.ji` file decodes to nothing, with the reason:
    ///
    /// ```
    /// use pkgimg::ji::{Header, Reason};
    /// let header = Header::decode(b"\x7fELF");
    /// assert_eq!((header.version, header.complete), (None, false));
    /// assert_eq!(header.stop.map(|s| (s.offset, s.reason)), Some((0, Reason::NotJi)));
    /// ```
    pub fn decode(data: &'a [u8]) -> Header<'a> {
        let data = Data::new(data, 0, "the .ji data");
        let mut header = Header {
            version: None,
            endian: None,
            pointer_size: None,
            build_os: None,
            build_arch: None,
            julia_version: None,
            git_branch: None,
            git_commit: None,
            pkgimage: None,
            checksum: None,
            datastart: None,
            dataend: None,
            flags: None,
            syntax_version: None,
            modules: 0,
            complete: false,
            end: 0,
            stop: None,
            data,
            worklist_at: None,
        };
        let mut cursor = Cursor { data, at: 0 };
        match header.fill(&mut cursor) {
            Ok(()) => header.complete = true,
            Err(stop) => header.stop = Some(stop),
        }
        header.end = cursor.at;
        header
    }

    /// Reads the fields in file order; the first one that fails ends decoding.
    fn fill(&mut self, c: &mut Cursor<'a>) -> Result<(), Stop> {
        if !is_ji(c.data.bytes) {
            return Err(Stop { offset: 0, field: "magic", reason: Reason::NotJi });
        }
        c.take("magic", 8)?;
        // The version is written in the writer's byte order, which only the
        // BOM after it reveals.
        let version = c.take("JI format version", 2)?;
        let bom_at = c.at;
        let endian = match c.take("byte-order mark", 2)?.bytes {
            [0xff, 0xfe] => Endian::Little,
            [0xfe, 0xff] => Endian::Big,
            [a, b] => {
                return Err(Stop {
                    offset: bom_at,
                    field: "byte-order mark",
                    reason: Reason::BadByteOrderMark([*a, *b]),
                })
            }
            _ => return Err(c.truncated("byte-order mark", 2)),
        };
        self.endian = Some(endian);
        c.data = c.data.with_endian(endian);
        // The worklist iterator re-reads entries later, in the same byte order.
        self.data = c.data;
        let version = version.with_endian(endian).u16(0).map_err(|_| c.truncated("version", 2))?;
        self.version = Some(version);
        if !VERSIONS.contains(&version) {
            return Err(Stop { offset: 8, field: "JI format version", reason: Reason::UnknownVersion(version) });
        }
        self.pointer_size = Some(c.u8("pointer size")?);
        self.build_os = Some(c.cstr("build OS string")?);
        self.build_arch = Some(c.cstr("build arch string")?);
        self.julia_version = Some(c.cstr("Julia version string")?);
        self.git_branch = Some(c.cstr("git branch string")?);
        self.git_commit = Some(c.cstr("git commit string")?);
        self.pkgimage = Some(c.u8("pkgimage flag")?);
        self.checksum = Some(c.u64("checksum")?);
        self.datastart = Some(c.u64("data start position")?);
        self.dataend = Some(c.u64("data end position")?);
        self.flags = Some(CacheFlags(c.u8("cache flags")?));
        if version >= SYNTAX_VERSION_SINCE {
            self.syntax_version = Some(c.u8("syntax version")?);
        }
        self.worklist_at = Some(c.at);
        while next_module(c)?.is_some() {
            self.modules = self.modules.saturating_add(1);
        }
        Ok(())
    }

    /// The decoded worklist entries (there are [`Header::modules`] of them).
    pub fn worklist(&self) -> Worklist<'a> {
        let at = self.worklist_at.unwrap_or(0);
        Worklist { cursor: Cursor { data: self.data, at }, left: self.modules }
    }

    /// The two CRC words at the end of the data, and the CRC-32C of every byte
    /// before the last four, computed now (this reads all the data).
    ///
    /// The words are in the writer's byte order, so this needs the BOM; and it
    /// refuses a trailer that would overlap the decoded header.
    pub fn trailer(&self) -> Result<Trailer, Stop> {
        let len = self.data.len();
        let at = len.saturating_sub(8);
        let endian = self.endian.ok_or(Stop { offset: at, field: "trailer", reason: Reason::UnknownByteOrder })?;
        if len < 8 || at < self.end {
            return Err(Stop {
                offset: at,
                field: "trailer",
                reason: Reason::NoRoomForTrailer { header_end: self.end },
            });
        }
        let no_room =
            |_| Stop { offset: at, field: "trailer", reason: Reason::NoRoomForTrailer { header_end: self.end } };
        let words = self.data.with_endian(endian).table("trailer", at, 8, 1).map_err(no_room)?;
        let body = usize::try_from(len.saturating_sub(4)).ok().and_then(|n| self.data.bytes.get(..n)).unwrap_or(&[]);
        Ok(Trailer {
            offset: at,
            so_crc32c: words.u32(0).map_err(no_room)?,
            ji_crc32c: words.u32(4).map_err(no_room)?,
            computed_crc32c: crate::crc::crc32c(body),
        })
    }
}

/// Reads one worklist entry, or `None` at the terminating zero length.
fn next_module<'a>(c: &mut Cursor<'a>) -> Result<Option<Module<'a>>, Stop> {
    let offset = c.at;
    let len = c.i32("worklist name length")?;
    let len = match u64::try_from(len) {
        Ok(0) => return Ok(None),
        Ok(len) => len,
        Err(_) => return Err(Stop { offset, field: "worklist name length", reason: Reason::NegativeLength(len) }),
    };
    let name = c.take("worklist module name", len)?.bytes;
    let hi = c.u64("worklist UUID high half")?;
    let lo = c.u64("worklist UUID low half")?;
    let build_id = c.u64("worklist build id")?;
    Ok(Some(Module { name, uuid: Uuid { hi, lo }, build_id, offset }))
}

/// The worklist entries of a [`Header`]. Made by [`Header::worklist`].
pub struct Worklist<'a> {
    cursor: Cursor<'a>,
    left: u32,
}

impl<'a> Iterator for Worklist<'a> {
    type Item = Module<'a>;

    fn next(&mut self) -> Option<Module<'a>> {
        self.left = self.left.checked_sub(1)?;
        next_module(&mut self.cursor).ok().flatten()
    }
}

/// The last 8 bytes of a `.ji` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Offset of the first word.
    pub offset: u64,
    /// CRC-32C of the companion shared object; 0 if none.
    pub so_crc32c: u32,
    /// CRC-32C of every byte before this word, as recorded.
    pub ji_crc32c: u32,
    /// The CRC-32C of those bytes, computed.
    pub computed_crc32c: u32,
}

impl Trailer {
    /// Whether the recorded CRC of the `.ji` bytes matches the computed one.
    pub fn ji_crc_ok(&self) -> bool {
        self.ji_crc32c == self.computed_crc32c
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::expect_used)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn uuid_prints_as_8_4_4_4_12() {
        let uuid = Uuid { hi: 0x0123_4567_89ab_cdef, lo: 0xfedc_ba98_7654_3210 };
        assert_eq!(uuid.to_string(), "01234567-89ab-cdef-fedc-ba9876543210");
    }

    #[test]
    fn cache_flags_bits() {
        // opt 2 (bits 6-7 = 10), inline (bit 5), check-bounds 1 (bits 3-4 = 01),
        // debug 1 (bits 1-2 = 01), pkgimages (bit 0).
        let f = CacheFlags(0b1010_1011);
        assert!(f.pkgimages());
        assert_eq!((f.debug_level(), f.check_bounds(), f.inline(), f.opt_level()), (1, 1, true, 2));
        let f = CacheFlags(0b0101_0110);
        assert!(!f.pkgimages());
        assert_eq!((f.debug_level(), f.check_bounds(), f.inline(), f.opt_level()), (3, 2, false, 1));
    }

    #[test]
    fn bad_bom_stops_at_offset_10() {
        let mut ji = Vec::from(MAGIC);
        ji.extend_from_slice(&[12, 0, 0x12, 0x34, 8]);
        let h = Header::decode(&ji);
        assert_eq!(h.version, None);
        let stop = h.stop.map(|s| (s.offset, s.reason));
        assert_eq!(stop, Some((10, Reason::BadByteOrderMark([0x12, 0x34]))));
    }

    #[test]
    fn not_ji_and_unknown_version() {
        let h = Header::decode(b"\x7fELF and more bytes");
        assert_eq!(h.stop.map(|s| (s.offset, s.reason)), Some((0, Reason::NotJi)));
        let mut ji = Vec::from(MAGIC);
        ji.extend_from_slice(&[11, 0, 0xff, 0xfe, 8, 0]);
        let h = Header::decode(&ji);
        assert_eq!(h.version, Some(11));
        assert_eq!(h.stop.map(|s| (s.offset, s.reason)), Some((8, Reason::UnknownVersion(11))));
    }

    #[test]
    fn big_endian_header_and_every_truncation_point() {
        let parts: [&[u8]; 13] = [
            &MAGIC,
            &[0, 13, 0xfe, 0xff, 4],
            b"Darwin\0ppc\0",
            b"1.99\0b\0c\0",
            &[1],
            &7u64.to_be_bytes(),
            &8u64.to_be_bytes(),
            &9u64.to_be_bytes(),
            &[0x81, 5],
            &1i32.to_be_bytes(),
            b"M",
            &[0x11; 24],
            &0i32.to_be_bytes(),
        ];
        let ji: Vec<u8> = parts.concat();
        let h = Header::decode(&ji);
        assert!(h.complete, "{:?}", h.stop);
        assert_eq!((h.version, h.endian, h.pointer_size), (Some(13), Some(Endian::Big), Some(4)));
        assert_eq!((h.build_os, h.git_commit), (Some(&b"Darwin"[..]), Some(&b"c"[..])));
        assert_eq!((h.checksum, h.datastart, h.dataend), (Some(7), Some(8), Some(9)));
        assert_eq!((h.flags, h.syntax_version, h.modules), (Some(CacheFlags(0x81)), Some(5), 1));
        let m = h.worklist().next();
        assert_eq!(m.map(|m| (m.name, m.build_id)), Some((&b"M"[..], 0x1111_1111_1111_1111)));
        assert_eq!(h.end, ji.len() as u64);
        // No room for a trailer after a header that fills the data.
        assert!(matches!(h.trailer().map_err(|s| s.reason), Err(Reason::NoRoomForTrailer { .. })));
        // Every shorter prefix stops inside the prefix, and never panics.
        for cut in 0..ji.len() {
            let h = Header::decode(&ji[..cut]);
            let stop = h.stop.expect("a prefix is never complete");
            assert!(stop.offset <= cut as u64, "cut {cut}: {stop}");
            assert!(!h.complete && h.end <= cut as u64);
            assert_eq!(h.worklist().count(), h.modules as usize);
        }
    }

    /// A complete header with an empty worklist, some data, and a trailer,
    /// in the byte order `big` selects.
    fn whole(big: bool) -> Vec<u8> {
        let u16b = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let u64b = |v: u64| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut ji = Vec::from(MAGIC);
        ji.extend_from_slice(&u16b(12));
        ji.extend_from_slice(&u16b(0xfeff));
        ji.extend_from_slice(b"\x08a\0b\0c\0d\0e\0\x01");
        for v in [1, 2, 3] {
            ji.extend_from_slice(&u64b(v));
        }
        ji.push(0);
        ji.extend_from_slice(&[0; 4]); // worklist terminator
        ji.extend_from_slice(b"data");
        ji.extend_from_slice(&u32b(0x1234_5678));
        let crc = crate::crc::software(&ji);
        ji.extend_from_slice(&u32b(crc));
        ji
    }

    #[test]
    fn trailer_words_follow_the_bom() {
        for big in [false, true] {
            let mut ji = whole(big);
            let h = Header::decode(&ji);
            assert!(h.complete, "{:?}", h.stop);
            let t = h.trailer().expect("a trailer after the header");
            assert_eq!((t.offset, t.so_crc32c), (ji.len() as u64 - 8, 0x1234_5678));
            assert!(t.ji_crc_ok());
            let at = ji.len() - 10;
            ji[at] ^= 1;
            let t = Header::decode(&ji).trailer().expect("still a trailer");
            assert!(!t.ji_crc_ok());
        }
    }
}
