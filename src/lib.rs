//! Find, verify and write a data payload carried inside a valid shared library.
//!
//! One file is both a loadable `.so`/`.dylib`/`.dll` and a data file: the
//! payload (for Julia, the bytes of a `.ji` package cache) sits in a dedicated
//! container, found by walking only the format's headers:
//!
//! | format | container |
//! |---|---|
//! | ELF | section `.jlji` (not loaded) |
//! | Mach-O, thin or universal | section `__ji` of its own segment `__JULIA` |
//! | PE / COFF | section `.jlji`, the payload possibly in the overlay |
//!
//! The container starts with a 64-byte [`Frame`] that gives the payload's
//! offset, size and CRC-32C. Locating a payload reads a few headers: no
//! allocation, no panic, and a cost that does not grow with the file.
//!
//! ```
//! # let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
//! let payload = pkgimg::find_ji_payload(&file)?;
//! payload.verify()?;
//! println!("{} bytes at {:#x} in a {} {} image", payload.data().len(), payload.offset(),
//!          payload.image().format, payload.image().arch);
//! # Ok::<(), pkgimg::Error>(())
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
// `unsafe` is opted into at two marked places only: the C interface (a C pointer
// into a slice) and mapping a file (memmap2). The lookup path has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
// The lookup path must not panic on any input: no indexing, no unchecked
// arithmetic, no unwrap. Writer modules opt out explicitly where needed.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod arch;
#[cfg(feature = "std")]
pub mod capi;
mod coff;
pub mod crc;
mod elf;
#[cfg(feature = "std")]
pub mod emit;
mod error;
pub mod frame;
#[cfg(feature = "std")]
pub mod inject;
pub mod ji;
mod macho;
mod read;

use core::fmt;

pub use arch::Arch;
#[cfg(feature = "std")]
pub use emit::{emit_object, emit_object_to_vec, EmitError, Layout, Target};
pub use error::{Error, MAX_LISTED_SLICES};
pub use frame::Frame;
#[cfg(feature = "std")]
pub use inject::{inject, inject_in_place, InjectError, InjectOptions, InjectReport};
use read::Data;

/// The object file format of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// ELF (Linux, BSD, ...).
    Elf,
    /// Mach-O (macOS, iOS), thin; universal files are split into slices.
    MachO,
    /// A PE image (`.dll`, `.exe`).
    Pe,
    /// A COFF object (`.obj`).
    Coff,
}

impl Format {
    /// The lower-case name used in `jiscan`'s output: elf, macho, pe, coff.
    pub fn name(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::MachO => "macho",
            Format::Pe => "pe",
            Format::Coff => "coff",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
            Format::Coff => "COFF",
        })
    }
}

/// Byte order of an image's headers. (The frame is always little-endian.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// "little" or "big".
    pub fn name(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// What kind of image a file (or a slice of a universal file) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Image {
    /// The object file format.
    pub format: Format,
    /// The CPU architecture.
    pub arch: Arch,
    /// Pointer width: 32 or 64.
    pub bits: u8,
    /// Byte order of the headers.
    pub endian: Endian,
}

/// A range of bytes in the file: `offset .. offset + size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// Absolute offset of the first byte, from the start of the whole file.
    pub offset: u64,
    /// Number of bytes.
    pub size: u64,
}

/// What [`find_section`] learned about an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// What the image is.
    pub image: Image,
    /// The section's data in the file, if the image has that section. Its
    /// range has been checked to lie inside the file (or slice).
    pub section: Option<FileRange>,
}

/// The name of the container in `format`, as [`find_section`] spells it.
pub fn container_name(format: Format) -> &'static str {
    match format {
        Format::Elf | Format::Pe | Format::Coff => ".jlji",
        Format::MachO => "__JULIA,__ji",
    }
}

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

/// Splits a Mach-O name `SEGMENT,section` into its two parts.
pub(crate) fn split_macho_name(name: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let bad = Error::BadName { format: Format::MachO, expected: "\"SEGMENT,section\", each at most 16 bytes" };
    let comma = name.iter().position(|&b| b == b',').ok_or(bad.clone())?;
    let (segment, section) = name.split_at(comma);
    let section = section.get(1..).ok_or(bad.clone())?;
    if segment.len() > 16 || section.len() > 16 {
        return Err(bad);
    }
    Ok((segment, section))
}

/// The format of a thin image, from its first bytes.
fn format_of(image: &[u8]) -> Result<Format, Error> {
    match image {
        [0x7f, b'E', b'L', b'F', ..] => Ok(Format::Elf),
        [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] => Ok(Format::MachO),
        [b'M', b'Z', ..] => Ok(Format::Pe),
        [lo, hi, ..] if Arch::is_coff_machine(u16::from_le_bytes([*lo, *hi])) => Ok(Format::Coff),
        _ => Err(Error::unknown_format(image)),
    }
}

/// Finds the section `name` in one thin image: the shared step under
/// [`find_section`] and [`Slice::find_section`].
fn navigate(image: Data<'_>, name: &str) -> Result<Lookup, Error> {
    let format = format_of(image.bytes)?;
    let navigator = match format {
        Format::Elf => elf::find_section,
        Format::MachO => macho::find_section,
        Format::Pe | Format::Coff => coff::find_section,
    };
    // Navigators work in offsets relative to the image; errors report absolute ones.
    let lookup = navigator(image, name.as_bytes()).map_err(|e| match e {
        Error::Ambiguous { first, second } => {
            Error::Ambiguous { first: first.saturating_add(image.base), second: second.saturating_add(image.base) }
        }
        other => other,
    })?;
    // A navigator reports the range as its header says; the bytes must exist.
    let section = match lookup.section {
        Some(range) => {
            let data = image.table("container section data", range.offset, range.size, 1)?;
            Some(FileRange { offset: data.base, size: range.size })
        }
        None => None,
    };
    Ok(Lookup { section, ..lookup })
}

/// One image of a file: the whole file, or one slice of a universal Mach-O.
#[derive(Clone, Copy, Debug)]
pub struct Slice<'a> {
    image: Data<'a>,
    index: Option<u32>,
    arch: Option<Arch>,
}

impl<'a> Slice<'a> {
    /// The slice's index in the universal header, or `None` for a thin file.
    pub fn index(&self) -> Option<u32> {
        self.index
    }

    /// The architecture the universal header gives for this slice (`None`
    /// for a thin file, whose architecture is in its own header).
    pub fn fat_arch(&self) -> Option<Arch> {
        self.arch
    }

    /// The slice's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.image.bytes
    }

    /// The slice's range in the file.
    pub fn range(&self) -> FileRange {
        FileRange { offset: self.image.base, size: self.image.len() }
    }

    /// Finds a section by name in this slice. See [`find_section`].
    pub fn find_section(&self, name: &str) -> Result<Lookup, Error> {
        navigate(self.image, name)
    }

    /// Finds this slice's payload. See [`find_ji_payload`].
    pub fn find_ji_payload(&self) -> Result<Payload<'a>, Error> {
        let format = format_of(self.image.bytes)?;
        let lookup = navigate(self.image, container_name(format))?;
        let image = lookup.image;
        let container = lookup.section.ok_or(Error::NoContainer { format: image.format, arch: image.arch })?;
        // `navigate` returns absolute offsets; the frame decoder wants them relative to the slice.
        let relative = FileRange { offset: container.offset.saturating_sub(self.image.base), size: container.size };
        let (frame, payload) = Frame::decode(self.image, relative)?;
        let start = payload.offset.saturating_sub(self.image.base);
        let data = usize::try_from(start)
            .ok()
            .zip(usize::try_from(payload.size).ok())
            .and_then(|(start, size)| self.image.bytes.get(start..start.checked_add(size)?))
            .ok_or(Error::Overflow { what: "payload", offset: payload.offset, size: payload.size, count: 1 })?;
        Ok(Payload { data, offset: payload.offset, frame, container, image, slice: self.index })
    }
}

/// The images in a file: one for a thin file, one per slice of a universal
/// Mach-O. Made by [`slices`].
#[derive(Clone, Debug)]
pub struct Slices<'a> {
    file: Data<'a>,
    fat: Option<macho::fat::Table<'a>>,
    next: u32,
}

impl<'a> Iterator for Slices<'a> {
    type Item = Result<Slice<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.next;
        match &self.fat {
            None if index == 0 => {
                self.next = 1;
                Some(Ok(Slice { image: self.file, index: None, arch: None }))
            }
            Some(table) if index < table.count => {
                self.next = index.saturating_add(1);
                Some(table.slice(self.file, index).map(|(arch, image)| Slice {
                    image,
                    index: Some(index),
                    arch: Some(arch),
                }))
            }
            _ => None,
        }
    }
}

/// The images in `file`: the file itself, or each slice of a universal Mach-O
/// (`FAT_MAGIC` or `FAT_MAGIC_64`). Fails only if a universal header is
/// malformed; a slice whose range is outside the file is an `Err` item.
pub fn slices(file: &[u8]) -> Result<Slices<'_>, Error> {
    let data = Data::new(file, 0, "the file");
    let fat = if macho::fat::is_fat(file) { Some(macho::fat::table(data)?) } else { None };
    Ok(Slices { file: data, fat, next: 0 })
}

/// One item of [`payloads`]: a slice and its payload, or why the universal
/// header's entry for the slice is unusable.
pub type SlicePayload<'a> = Result<(Slice<'a>, Result<Payload<'a>, Error>), Error>;

/// Every image's payload: for a universal file, one result per slice, with the
/// slice; for a thin file, one result.
///
/// ```
/// # let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// for (slice, payload) in pkgimg::payloads(&file)?.flatten() {
///     println!("slice {:?}: {:?}", slice.index(), payload.map(|p| p.offset()));
/// }
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn payloads(file: &[u8]) -> Result<impl Iterator<Item = SlicePayload<'_>>, Error> {
    Ok(slices(file)?.map(|slice| slice.map(|slice| (slice, slice.find_ji_payload()))))
}

/// The slice this code would load: the whole of a thin file, or the host
/// architecture's slice of a universal file.
pub fn host_slice(file: &[u8]) -> Result<Slice<'_>, Error> {
    let all = slices(file)?;
    let Some(table) = all.fat else {
        return Ok(Slice { image: all.file, index: None, arch: None });
    };
    let mut listed = [Arch::Unknown(0); MAX_LISTED_SLICES];
    for (i, slice) in all.enumerate() {
        let slice = slice?;
        let arch = slice.arch.unwrap_or(Arch::Unknown(0));
        if arch == Arch::HOST {
            return Ok(slice);
        }
        if let Some(slot) = listed.get_mut(i) {
            *slot = arch;
        }
    }
    Err(Error::NoHostSlice { host: Arch::HOST, slices: listed, count: table.count })
}

/// Finds the section `name` in `file` (for a universal file, in the host's
/// slice) and returns the image's identity and the section's file range.
///
/// Names: ELF, the exact section name (`.rustc`, `.jlji`); Mach-O,
/// `SEGMENT,section` (`__TEXT,__text`); PE/COFF, the 8-byte section name
/// (names longer than 8 bytes, which need a string table, are refused).
///
/// Section flags and types are not consulted, except that sections with no
/// bytes in the file (ELF `SHT_NOBITS`, Mach-O zero-fill, COFF uninitialised
/// data) have size 0. Two sections of that name are [`Error::Ambiguous`].
///
/// ```
/// # let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let lookup = pkgimg::find_section(&file, ".jlji")?;
/// assert_eq!(lookup.image.format, pkgimg::Format::Elf);
/// assert!(lookup.section.is_some());
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn find_section(file: &[u8], name: &str) -> Result<Lookup, Error> {
    host_slice(file)?.find_section(name)
}

/// Finds the payload in `file`: for a universal Mach-O, in the slice of the
/// CPU this code runs on ([`Error::NoHostSlice`] lists the slices otherwise).
///
/// This reads only headers and the 64-byte frame. It checks that the payload
/// lies in the file, but not its checksum: call [`Payload::verify`] for that.
pub fn find_ji_payload(file: &[u8]) -> Result<Payload<'_>, Error> {
    host_slice(file)?.find_ji_payload()
}

/// A located payload.
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    data: &'a [u8],
    offset: u64,
    frame: Frame,
    container: FileRange,
    image: Image,
    slice: Option<u32>,
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
