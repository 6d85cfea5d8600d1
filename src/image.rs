//! What an image is: its format, byte order, identity, and the file ranges
//! the lookup reports. Plain values shared by every other module.

use core::fmt;

use crate::Arch;

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

    /// The byte order whose flag is `big`: the form headers test it in
    /// (ELF `EI_DATA == 2`, a Mach-O magic read backwards).
    #[cfg(feature = "std")]
    #[inline(always)]
    pub(crate) fn big_if(big: bool) -> Endian {
        if big {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// Whether this is [`Endian::Big`].
    #[inline(always)]
    pub(crate) fn is_big(self) -> bool {
        self == Endian::Big
    }

    // The one place where bytes become numbers and numbers become bytes: the
    // readers (`read::Data`, `read::Fixed`) and the writers (`write::Bytes`,
    // `write::Patch`) all go through these.

    #[inline(always)]
    pub(crate) fn u16(self, bytes: [u8; 2]) -> u16 {
        if self.is_big() {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        }
    }

    #[inline(always)]
    pub(crate) fn u32(self, bytes: [u8; 4]) -> u32 {
        if self.is_big() {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        }
    }

    #[inline(always)]
    pub(crate) fn u64(self, bytes: [u8; 8]) -> u64 {
        if self.is_big() {
            u64::from_be_bytes(bytes)
        } else {
            u64::from_le_bytes(bytes)
        }
    }

    #[inline(always)]
    pub(crate) fn u16_bytes(self, value: u16) -> [u8; 2] {
        if self.is_big() {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    #[inline(always)]
    pub(crate) fn u32_bytes(self, value: u32) -> [u8; 4] {
        if self.is_big() {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    #[inline(always)]
    pub(crate) fn u64_bytes(self, value: u64) -> [u8; 8] {
        if self.is_big() {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
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

/// What [`find_section`](crate::find_section) learned about an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// What the image is.
    pub image: Image,
    /// The section's data in the file, if the image has that section. Its
    /// range has been checked to lie inside the file (or slice).
    pub section: Option<FileRange>,
}

/// The name of the container in `format`, as [`find_section`](crate::find_section) spells it.
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
