//! Errors as values: each says what is wrong and where, without allocating.

use core::fmt;

use crate::{Arch, FileRange, Format};

/// Why a payload or section could not be located or trusted.
///
/// Offsets are absolute file offsets, counted from the start of the whole file
/// (also inside a universal Mach-O file), so they can be checked with a hex
/// dump. `Display` gives one line naming the structure and its offset; the
/// value itself holds no allocation, so the lookup path can return it
/// without `std`.
///
/// ```
/// use pkgimg::Error;
/// // corpus/expected.json: `malformed/truncated-shdr.so` is aarch64-linux-musl.so cut
/// // at 5904 (0x1710); llvm-readobj on the uncut file: 15 section headers of 64
/// // bytes at 0x1530.
/// let file = std::fs::read("corpus/malformed/truncated-shdr.so").unwrap();
/// let error = pkgimg::find_ji_payload(&file).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "ELF section header table at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)"
/// );
///
/// // `malformed/version2.so` has frame version 2 in `.jlji`, which llvm-readobj
/// // puts at 0x3c0. Matching on the variant gets the numbers without parsing text.
/// let file = std::fs::read("corpus/malformed/version2.so").unwrap();
/// assert_eq!(pkgimg::find_ji_payload(&file).unwrap_err(), Error::FrameVersion { offset: 0x3c0, version: 2 });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The first bytes are not ELF, Mach-O, PE or COFF.
    UnknownFormat {
        /// The first four bytes of the file (zero-padded if shorter).
        magic: [u8; 4],
    },
    /// A structure runs past the end of the bytes that should hold it.
    Truncated {
        /// The structure, e.g. "ELF section header table".
        what: &'static str,
        /// Where it starts.
        offset: u64,
        /// The size of one entry.
        size: u64,
        /// How many entries.
        count: u64,
        /// What it should have fitted in: "the file", "the slice", ...
        scope: &'static str,
        /// How many bytes that has.
        available: u64,
    },
    /// An offset plus a size, or a count times a size, exceeds 64 bits.
    Overflow {
        /// The structure whose extent overflows.
        what: &'static str,
        /// Where it starts.
        offset: u64,
        /// The size of one entry.
        size: u64,
        /// How many entries.
        count: u64,
    },
    /// A header field holds a value the format does not allow.
    Invalid {
        /// The field, e.g. "Mach-O load command cmdsize".
        what: &'static str,
        /// Where the field is.
        offset: u64,
        /// The value found.
        value: u64,
        /// What the format requires, e.g. "at least 8".
        expected: &'static str,
    },
    /// A section name this format cannot express, e.g. a Mach-O name without
    /// the `SEGMENT,section` comma, or a COFF name longer than 8 bytes.
    BadName {
        /// The format asked about.
        format: Format,
        /// What a valid name looks like.
        expected: &'static str,
    },
    /// The image has no container section.
    NoContainer {
        /// The image's format.
        format: Format,
        /// The image's architecture.
        arch: Arch,
    },
    /// The container exists but does not start with a payload frame.
    NoFrame {
        /// File offset of the container's data.
        offset: u64,
        /// Size of the container's data.
        size: u64,
    },
    /// The frame's version is not one this crate reads.
    FrameVersion {
        /// File offset of the frame.
        offset: u64,
        /// The version found.
        version: u16,
    },
    /// The frame's `header_size` is below 64.
    FrameHeaderSize {
        /// File offset of the frame.
        offset: u64,
        /// The `header_size` found.
        header_size: u16,
    },
    /// Two sections qualify: the file does not say which one is meant.
    Ambiguous {
        /// File offset of the first qualifying section's data.
        first: u64,
        /// File offset of the second.
        second: u64,
    },
    /// A universal file without a slice for the CPU this code runs on.
    NoHostSlice {
        /// The architecture looked for.
        host: Arch,
        /// The first slices' architectures (see `count`).
        slices: [Arch; MAX_LISTED_SLICES],
        /// How many slices the file has (may exceed `slices.len()`).
        count: u32,
    },
    /// The frame does not carry a checksum (flags bit 0 clear).
    NoChecksum {
        /// File offset of the frame.
        offset: u64,
    },
    /// The payload's CRC-32C differs from the frame's.
    ChecksumMismatch {
        /// File offset of the payload.
        offset: u64,
        /// The CRC recorded in the frame.
        expected: u32,
        /// The CRC of the payload's bytes.
        actual: u32,
    },
}

/// The `what` of an [`Error::Truncated`] or [`Error::Overflow`] about the
/// container's data: its section header was found, but the bytes it names
/// are not all in the file (a cut or damaged container, not a missing one).
pub const CONTAINER_DATA: &str = "container section data";

/// How many slice architectures [`Error::NoHostSlice`] lists: a fixed array
/// keeps the error free of allocation; its `count` gives the real number.
pub const MAX_LISTED_SLICES: usize = 8;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownFormat { magic: [a, b, c, d] } => {
                write!(f, "not an ELF, Mach-O, PE or COFF file (first bytes {a:02x} {b:02x} {c:02x} {d:02x})")
            }
            Error::Truncated { what, offset, size, count, scope, available } => {
                write!(f, "{what} at {offset:#x} (")?;
                if *count == 1 {
                    write!(f, "{size} bytes")?;
                } else {
                    write!(f, "{size} × {count} bytes")?;
                }
                write!(f, ") runs past the end of {scope} ({available:#x} bytes)")
            }
            Error::Overflow { what, offset, size, count: 1 } => {
                write!(f, "{what} at {offset:#x} + {size:#x} bytes overflows 64-bit offsets")
            }
            Error::Overflow { what, offset, size, count } => {
                write!(f, "{what} at {offset:#x} ({size} × {count} bytes) overflows 64-bit offsets")
            }
            Error::Invalid { what, offset, value, expected } => {
                write!(f, "{what} at {offset:#x} is {value:#x}, expected {expected}")
            }
            Error::BadName { format, expected } => {
                write!(f, "bad section name for {format}: {expected}")
            }
            Error::NoContainer { format, arch } => {
                write!(f, "no payload: this {format} {arch} image has no {} container", crate::container_name(*format))
            }
            Error::NoFrame { offset, size } => {
                write!(f, "section found at {offset:#x} ({size} bytes), but it holds no payload frame")
            }
            Error::FrameVersion { offset, version } => {
                write!(f, "payload frame at {offset:#x} has version {version}; this reader knows version 1")
            }
            Error::FrameHeaderSize { offset, header_size } => {
                write!(f, "payload frame at {offset:#x} has header_size {header_size}, below 64")
            }
            Error::Ambiguous { first, second } => {
                write!(f, "two container sections, with data at {first:#x} and {second:#x}: ambiguous")
            }
            Error::NoHostSlice { host, slices, count } => {
                write!(f, "universal file has no {host} slice; it has {count}:")?;
                let listed = usize::try_from(*count).unwrap_or(usize::MAX).min(slices.len());
                for (i, arch) in slices.iter().take(listed).enumerate() {
                    write!(f, "{}{arch}", if i == 0 { " " } else { ", " })?;
                }
                if listed < usize::try_from(*count).unwrap_or(usize::MAX) {
                    write!(f, ", …")?;
                }
                Ok(())
            }
            Error::NoChecksum { offset } => {
                write!(f, "payload frame at {offset:#x} carries no CRC-32C (flags bit 0 clear)")
            }
            Error::ChecksumMismatch { offset, expected, actual } => {
                write!(f, "payload at {offset:#x}: CRC-32C is {actual:#010x}, the frame says {expected:#010x}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
impl Error {
    pub(crate) fn invalid(what: &'static str, offset: u64, value: impl Into<u64>, expected: &'static str) -> Error {
        Error::Invalid { what, offset, value: value.into(), expected }
    }

    pub(crate) fn unknown_format(file: &[u8]) -> Error {
        let mut magic = [0u8; 4];
        for (m, b) in magic.iter_mut().zip(file) {
            *m = *b;
        }
        Error::UnknownFormat { magic }
    }
}

/// Records a matching section, or reports that it is the second one.
pub(crate) fn unique(found: Option<FileRange>, next: FileRange) -> Result<Option<FileRange>, Error> {
    match found {
        Some(first) => Err(Error::Ambiguous { first: first.offset, second: next.offset }),
        None => Ok(Some(next)),
    }
}
