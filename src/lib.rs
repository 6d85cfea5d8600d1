//! Find, verify and write a data payload carried inside a valid shared library.
//!
//! Julia caches a precompiled package as two files, a `.ji` (metadata and
//! serialized data) and a shared library (native code); checking the cache
//! today means `dlopen`ing the library. This crate makes one file both: the
//! payload sits in a container that the platform loader ignores or maps
//! lazily, and is found again by walking only the format's headers.
//! `shared/FORMAT.md` in the repository is the byte-level contract.
//!
//! | format | container |
//! |---|---|
//! | ELF `.so` / `.o` | section `.jlji` (not loaded) |
//! | Mach-O, thin or universal | section `__ji` of its own segment `__JULIA` |
//! | PE `.dll` / COFF `.obj` | section `.jlji`, the payload possibly in the overlay |
//!
//! The container starts with a 64-byte [`Frame`] that gives the payload's
//! offset, size and CRC-32C.
//!
//! # Three operations
//!
//! - **Locate:** [`find_ji_payload`] returns a [`Payload`] after reading the
//!   headers and the frame. [`find_section`] gives the file range of any named
//!   section the same way, and [`ji::Header`] decodes a Julia `.ji` payload.
//! - **Verify:** [`Payload::verify`] checks the CRC-32C. It reads every payload
//!   byte, so it is a separate call: a loader can locate on every start and
//!   verify only when it first trusts a cache.
//! - **Write** (needs `std`): [`emit_object`] makes a relocatable object to link
//!   into the library; [`inject()`] adds a payload to a linked library,
//!   atomically (temporary file, check, rename).
//!
//! ```
//! // `elf/x86_64-linux-musl.so` in corpus/expected.json: payload at 1088, 1000 bytes.
//! let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
//! let payload = pkgimg::find_ji_payload(&file)?;
//! assert_eq!((payload.offset(), payload.size()), (1088, 1000));
//! payload.verify()?;
//! # Ok::<(), pkgimg::Error>(())
//! ```
//!
//! # What the lookup path guarantees
//!
//! Locating ([`find_ji_payload`], [`find_section`], [`slices`], [`payloads`],
//! [`host_slice`], the [`Slice`] methods, [`ji::Header::decode`]) is meant to
//! run on untrusted files inside a language runtime, so:
//!
//! - **No `unsafe`:** `#![deny(unsafe_code)]`; only [`capi`] (a C pointer
//!   becomes a slice) and the file mapping in [`mod@inject`] opt back in.
//! - **No panic on any input:** clippy denies `indexing_slicing`,
//!   `arithmetic_side_effects`, `unwrap_used`, `expect_used` and `panic` for the
//!   whole crate (the attributes at the top of `src/lib.rs`); every read is a
//!   bounds-checked `get` and every `offset + size` a checked add.
//! - **No allocation, no `std`:** it builds with `--no-default-features`
//!   (CI checks this); errors are plain values (integers, `&'static str`).
//! - **Cost independent of the file's size:** it reads the headers and the
//!   64-byte frame, never the payload or code. The work grows only with the
//!   number of sections or load commands, whose counts are checked against the
//!   bytes before any loop.
//!
//! # Universal (fat) Mach-O files
//!
//! [`find_ji_payload`] and [`find_section`] look in [`host_slice`], the slice a
//! loader on this CPU would pick ([`Arch::HOST`]), and fail with
//! [`Error::NoHostSlice`] if there is none. [`payloads`] and [`slices`] visit
//! every slice, for tools that inspect files made for other machines. Offsets
//! are always absolute, counted from the start of the whole file.
//!
//! # Errors
//!
//! An [`Error`] is a value, never a panic, and its `Display` is one line naming
//! the structure and its absolute file offset, e.g. `ELF section header table
//! at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)`, so
//! it can be checked against a hex dump. The writers have their own error
//! types in the same style: [`EmitError`], and [`InjectError`], which also
//! names the file and, for a refusal, what would make the write possible.
//!
//! # Features
//!
//! - `std` (default): the writers ([`emit_object`], [`inject()`]), the C
//!   interface, `std::error::Error` impls, and the hardware CRC-32C (SSE4.2 /
//!   ARMv8). Without it, locating, [`frame`], [`ji`] and a table-driven
//!   [`crc::crc32c`] remain.
//! - `cli` (default, implies `std`): the `jiscan` tool (scan, show, extract,
//!   inject, emit).
//!
//! # From C
//!
//! With `std`, the `staticlib` and `cdylib` export [`capi`]'s functions,
//! declared in `include/pkgimg.h`: `pkgimg_find_ji_payload`, `pkgimg_verify`
//! and `pkgimg_strerror`.
#![cfg_attr(not(feature = "std"), no_std)]
// The guide above links to the writers and the C interface, which exist only with `std`.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]
// `unsafe` is opted into at two marked places only: the C interface (a C pointer
// into a slice) and mapping a file (memmap2). The lookup path has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
// The lookup path must not panic on any input: no indexing, no unchecked
// arithmetic, no unwrap. The writers are held to the same rule; only test
// modules and the compile-time CRC table opt out.
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
#[cfg(feature = "std")]
mod file;
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
#[cfg(feature = "std")]
pub use file::MappedFile;
pub use frame::Frame;
#[cfg(feature = "std")]
pub use inject::{inject, inject_in_place, InjectError, InjectOptions, InjectReport};
use read::Data;

/// The object file format of an image.
///
/// ```
/// use pkgimg::Format;
/// // `Display` is for people, `name` for machine-readable output.
/// assert_eq!(Format::MachO.to_string(), "Mach-O");
/// assert_eq!(Format::MachO.name(), "macho");
/// ```
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
///
/// ```
/// use pkgimg::{Arch, Endian, Format, Image};
/// // corpus/expected.json: `elf/powerpc64-linux-musl.so` is 64-bit big-endian powerpc64.
/// let file = std::fs::read("corpus/elf/powerpc64-linux-musl.so").unwrap();
/// let image = pkgimg::find_section(&file, ".jlji")?.image;
/// assert_eq!(image, Image { format: Format::Elf, arch: Arch::Powerpc64, bits: 64, endian: Endian::Big });
/// # Ok::<(), pkgimg::Error>(())
/// ```
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
///
/// ```
/// use pkgimg::{container_name, Format};
/// assert_eq!(container_name(Format::Elf), ".jlji");
/// assert_eq!(container_name(Format::MachO), "__JULIA,__ji");
///
/// // In a PE image the container holds only the frame; the payload is in the
/// // overlay. llvm-readobj: `.jlji` raw data at 0xc00, VirtualSize 0x40;
/// // corpus/expected.json: payload at 4096.
/// let dll = std::fs::read("corpus/pe/x86_64-overlay.dll").unwrap();
/// let frame = pkgimg::find_section(&dll, container_name(Format::Pe))?.section.unwrap();
/// assert_eq!((frame.offset, frame.size), (0xc00, 64));
/// assert_eq!(pkgimg::find_ji_payload(&dll)?.offset(), 4096);
/// # Ok::<(), pkgimg::Error>(())
/// ```
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

/// A section name as one format's headers store it, made once per lookup so
/// that the navigators compare it with each header in one step.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'n> {
    /// ELF: the string in the section name table, without its NUL.
    Elf(&'n [u8]),
    /// Mach-O: `sectname` then `segname`, each NUL-padded to 16 bytes, as the
    /// first 32 bytes of a `section`/`section_64` header hold them.
    MachO([u8; 32]),
    /// PE/COFF: the NUL-padded 8-byte `Name` field.
    Coff([u8; 8]),
}

impl<'n> Key<'n> {
    /// The key of the payload's container in `format` (FORMAT.md): a constant.
    fn container(format: Format) -> &'static Key<'static> {
        const ELF: Key<'static> = Key::Elf(b".jlji");
        const MACHO: Key<'static> = Key::MachO(*b"__ji\0\0\0\0\0\0\0\0\0\0\0\0__JULIA\0\0\0\0\0\0\0\0\0");
        const COFF: Key<'static> = Key::Coff(*b".jlji\0\0\0");
        match format {
            Format::Elf => &ELF,
            Format::MachO => &MACHO,
            Format::Pe | Format::Coff => &COFF,
        }
    }

    /// The key of `name` in `format`: Mach-O names are `SEGMENT,section`, each
    /// part at most 16 bytes; COFF names at most 8 bytes (no string table).
    fn new(format: Format, name: &'n str) -> Result<Key<'n>, Error> {
        let name = name.as_bytes();
        match format {
            Format::Elf => Ok(Key::Elf(name)),
            Format::MachO => {
                let comma = name.iter().position(|&b| b == b',').unwrap_or(name.len());
                let (segment, section) = name.split_at(comma);
                let mut key = [0u8; 32];
                let (sectname, segname) = key.split_at_mut(16);
                match (
                    section.get(1..),
                    sectname.get_mut(..section.len().saturating_sub(1)),
                    segname.get_mut(..segment.len()),
                ) {
                    (Some(section), Some(sectname), Some(segname)) => {
                        sectname.copy_from_slice(section);
                        segname.copy_from_slice(segment);
                        Ok(Key::MachO(key))
                    }
                    _ => Err(Error::BadName { format, expected: "\"SEGMENT,section\", each at most 16 bytes" }),
                }
            }
            Format::Pe | Format::Coff => match read::pad::<8>(name) {
                Some(padded) => Ok(Key::Coff(padded)),
                None => Err(Error::BadName {
                    format: Format::Coff,
                    expected: "at most 8 bytes (long names need a string table)",
                }),
            },
        }
    }
}

/// The format of a thin image, from its first bytes.
#[inline(always)]
fn format_of(image: &[u8]) -> Result<Format, Error> {
    match image {
        [0x7f, b'E', b'L', b'F', ..] => Ok(Format::Elf),
        [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] => Ok(Format::MachO),
        [b'M', b'Z', ..] => Ok(Format::Pe),
        [lo, hi, ..] if Arch::is_coff_machine(u16::from_le_bytes([*lo, *hi])) => Ok(Format::Coff),
        _ => Err(Error::unknown_format(image)),
    }
}

/// Finds the section `key` in one thin image (the caller has read the magic
/// once and made the key): the shared step under [`find_section`],
/// [`Slice::find_section`] and [`Slice::find_ji_payload`]. The section's range
/// is relative to the image, and checked to lie inside it.
#[inline]
fn navigate(image: Data<'_>, key: &Key<'_>) -> Result<Lookup, Error> {
    let lookup = match key {
        Key::Elf(name) => elf::find_section(image, name),
        Key::MachO(names) => macho::find_section(image, names),
        Key::Coff(name) => coff::find_section(image, name),
    };
    // Navigators work in offsets relative to the image; errors report absolute ones.
    let lookup = lookup.map_err(|e| rebase(e, image.base))?;
    // A navigator reports the range as its header says; the bytes must exist.
    if let Some(range) = lookup.section {
        image.table("container section data", range.offset, range.size, 1)?;
    }
    Ok(lookup)
}

/// The payload of the image `bytes`, which starts at `base` in the file and
/// is slice `index` of a universal file or the whole file. Its arguments are
/// plain values, not a `Slice`: passed in registers, they cannot stall the
/// loads that read them back, as a struct built just before the call can.
#[inline]
fn payload_of(bytes: &[u8], base: u64, index: Option<u32>) -> Result<Payload<'_>, Error> {
    let image = Data::new(bytes, base, if index.is_some() { "the slice" } else { "the file" });
    let format = format_of(bytes)?;
    let lookup = navigate(image, Key::container(format))?;
    let container =
        lookup.section.ok_or(Error::NoContainer { format: lookup.image.format, arch: lookup.image.arch })?;
    let (frame, payload) = Frame::decode(image, container)?;
    let container = absolute(image, container);
    Ok(Payload { data: payload.bytes, offset: payload.base, frame, container, image: lookup.image, slice: index })
}

/// `range`, relative to `image`, as an absolute file range.
fn absolute(image: Data<'_>, range: FileRange) -> FileRange {
    FileRange { offset: range.offset.saturating_add(image.base), size: range.size }
}

/// A navigator's error with the offsets it gives relative to its image
/// made absolute (the others it reads from the image's view, which knows its base).
#[cold]
fn rebase(error: Error, base: u64) -> Error {
    match error {
        Error::Ambiguous { first, second } => {
            Error::Ambiguous { first: first.saturating_add(base), second: second.saturating_add(base) }
        }
        other => other,
    }
}

/// One image of a file: the whole file, or one slice of a universal Mach-O.
/// Made by [`slices`] and [`host_slice`]; see [`slices`] for an example.
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

    /// The slice's bytes: [`Slice::range`] of the file, which the slice's own
    /// headers count their offsets from.
    pub fn bytes(&self) -> &'a [u8] {
        self.image.bytes
    }

    /// The slice's range in the file (absolute, like every offset this crate reports).
    pub fn range(&self) -> FileRange {
        FileRange { offset: self.image.base, size: self.image.len() }
    }

    /// Finds a section by name in this slice. See [`find_section`].
    ///
    /// ```
    /// use pkgimg::FileRange;
    /// // llvm-objdump: the arm64 slice starts at 32768 and its `__JULIA,__ji`
    /// // is at 49152 in the slice, 0x42a8 bytes. The range is absolute.
    /// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
    /// let arm64 = pkgimg::slices(&file)?.nth(1).unwrap()?;
    /// let lookup = arm64.find_section("__JULIA,__ji")?;
    /// assert_eq!(lookup.section, Some(FileRange { offset: 32768 + 49152, size: 0x42a8 }));
    /// // Mach-O names need the segment: a bare section name is refused, not guessed.
    /// assert!(matches!(arm64.find_section("__ji"), Err(pkgimg::Error::BadName { .. })));
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn find_section(&self, name: &str) -> Result<Lookup, Error> {
        let lookup = navigate(self.image, &Key::new(format_of(self.image.bytes)?, name)?)?;
        Ok(Lookup { section: lookup.section.map(|range| absolute(self.image, range)), ..lookup })
    }

    /// Finds this slice's payload. See [`find_ji_payload`]. Unlike it, this
    /// works on any slice, whatever the host's CPU.
    ///
    /// ```
    /// // corpus/expected.json: slice 1 of `macho/universal.dylib` is aarch64,
    /// // payload at 81984 (absolute), 17000 bytes, CRC-32C 838116789.
    /// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
    /// let arm64 = pkgimg::slices(&file)?.nth(1).unwrap()?;
    /// let payload = arm64.find_ji_payload()?;
    /// assert_eq!((payload.offset(), payload.size(), payload.slice()), (81984, 17000, Some(1)));
    /// assert_eq!(payload.frame().payload_crc32c, 838116789);
    /// payload.verify()?;
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn find_ji_payload(&self) -> Result<Payload<'a>, Error> {
        payload_of(self.image.bytes, self.image.base, self.index)
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
/// malformed; a slice whose range is outside the file is an `Err` item, so
/// the other slices can still be read.
///
/// ```
/// use pkgimg::{Arch, FileRange};
/// // llvm-objdump --macho --universal-headers: x86_64 at 4096 (20742 bytes),
/// // arm64 at 32768 (82504 bytes).
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// let seen: Vec<_> = pkgimg::slices(&file)?
///     .map(|slice| slice.map(|s| (s.index(), s.fat_arch(), s.range())))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(seen, [
///     (Some(0), Some(Arch::X86_64), FileRange { offset: 4096, size: 20742 }),
///     (Some(1), Some(Arch::Aarch64), FileRange { offset: 32768, size: 82504 }),
/// ]);
///
/// // A thin file is a single slice: the whole file, with no index.
/// let thin = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let only: Vec<_> = pkgimg::slices(&thin)?.collect::<Result<_, _>>()?;
/// assert_eq!(only.len(), 1);
/// assert_eq!((only[0].index(), only[0].bytes().len()), (None, thin.len()));
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[inline]
pub fn slices(file: &[u8]) -> Result<Slices<'_>, Error> {
    let data = Data::new(file, 0, "the file");
    let fat = if macho::fat::is_fat(file) { Some(macho::fat::table(data)?) } else { None };
    Ok(Slices { file: data, fat, next: 0 })
}

/// One item of [`payloads`]: a slice and its payload, or why the universal
/// header's entry for the slice is unusable.
pub type SlicePayload<'a> = Result<(Slice<'a>, Result<Payload<'a>, Error>), Error>;

/// Every image's payload: for a universal file, one result per slice, with the
/// slice; for a thin file, one result. A slice without a payload does not hide
/// the others: each has its own `Result`.
///
/// ```
/// // corpus/expected.json: `macho/universal.dylib` has a payload in each slice,
/// // at absolute offsets 20544 (x86_64) and 81984 (aarch64).
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// let mut offsets = Vec::new();
/// for item in pkgimg::payloads(&file)? {
///     let (slice, payload) = item?;
///     offsets.push((slice.index(), payload?.offset()));
/// }
/// assert_eq!(offsets, [(Some(0), 20544), (Some(1), 81984)]);
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn payloads(file: &[u8]) -> Result<impl Iterator<Item = SlicePayload<'_>>, Error> {
    Ok(slices(file)?.map(|slice| slice.map(|slice| (slice, slice.find_ji_payload()))))
}

/// The slice this code would load: the whole of a thin file, or the host
/// architecture's ([`Arch::HOST`]) slice of a universal file.
///
/// ```
/// use pkgimg::{Arch, Error};
/// // llvm-objdump --macho --universal-headers: x86_64 slice at 4096, arm64 at 32768.
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// match pkgimg::host_slice(&file) {
///     Ok(slice) => {
///         assert_eq!(slice.fat_arch(), Some(Arch::HOST));
///         let expected = if Arch::HOST == Arch::X86_64 { 4096 } else { 32768 };
///         assert_eq!(slice.range().offset, expected);
///     }
///     // On any other CPU the error lists what the file offers.
///     Err(Error::NoHostSlice { slices, count, .. }) => {
///         assert_eq!((count, &slices[..2]), (2, &[Arch::X86_64, Arch::Aarch64][..]));
///     }
///     Err(other) => panic!("{other}"),
/// }
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[inline]
pub fn host_slice(file: &[u8]) -> Result<Slice<'_>, Error> {
    let file = Data::new(file, 0, "the file");
    if !macho::fat::is_fat(file.bytes) {
        return Ok(Slice { image: file, index: None, arch: None });
    }
    let table = macho::fat::table(file)?;
    let mut listed = [Arch::Unknown(0); MAX_LISTED_SLICES];
    for index in 0..table.count {
        let (arch, image) = table.slice(file, index)?;
        if arch == Arch::HOST {
            return Ok(Slice { image, index: Some(index), arch: Some(arch) });
        }
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| listed.get_mut(i)) {
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
/// use pkgimg::{FileRange, Format};
/// // llvm-readobj --sections: `.jlji` at 0x3c0, 1128 bytes; `.relro_padding`
/// // is SHT_NOBITS at 0x370 (3216 bytes in memory, none in the file); no `.bss`.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let lookup = pkgimg::find_section(&file, ".jlji")?;
/// assert_eq!(lookup.image.format, Format::Elf);
/// assert_eq!(lookup.section, Some(FileRange { offset: 0x3c0, size: 1128 }));
/// let padding = pkgimg::find_section(&file, ".relro_padding")?.section;
/// assert_eq!(padding, Some(FileRange { offset: 0x370, size: 0 }));
/// // A missing section is not an error: the image is still described.
/// assert_eq!(pkgimg::find_section(&file, ".bss")?.section, None);
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
///
/// ```
/// use pkgimg::{Arch, Error, Format};
/// // corpus/expected.json: `elf/x86_64-linux-musl.so` has its payload at 1088.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// assert_eq!(pkgimg::find_ji_payload(&file)?.offset(), 1088);
///
/// // The same library without a container: an error value, with a message
/// // that says what was looked for.
/// let plain = std::fs::read("corpus/nopayload/x86_64-linux-musl.so").unwrap();
/// let error = pkgimg::find_ji_payload(&plain).unwrap_err();
/// assert_eq!(error, Error::NoContainer { format: Format::Elf, arch: Arch::X86_64 });
/// assert_eq!(error.to_string(), "no payload: this ELF x86_64 image has no .jlji container");
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn find_ji_payload(file: &[u8]) -> Result<Payload<'_>, Error> {
    // A thin file, the common case, is its own slice: no universal-header machinery.
    if macho::fat::is_fat(file) {
        host_slice(file)?.find_ji_payload()
    } else {
        payload_of(file, 0, None)
    }
}

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
