//! The lookup dispatch under every public entry point: read the magic once,
//! make the name's key for that format, run the format's navigator, and check
//! what it reports against the bytes.

use crate::read::{Data, Source};
use crate::{coff, elf, macho, Arch, Error, FileRange, Format, Frame, Lookup, Payload};

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
    pub(crate) fn container(format: Format) -> &'static Key<'static> {
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
    pub(crate) fn new(format: Format, name: &'n str) -> Result<Key<'n>, Error> {
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
            Format::Pe | Format::Coff => match crate::read::pad::<8>(name) {
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
pub(crate) fn format_of(image: &[u8]) -> Result<Format, Error> {
    match image {
        [0x7f, b'E', b'L', b'F', ..] => Ok(Format::Elf),
        [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] => Ok(Format::MachO),
        [b'M', b'Z', ..] => Ok(Format::Pe),
        [lo, hi, ..] if Arch::is_coff_machine(u16::from_le_bytes([*lo, *hi])) => Ok(Format::Coff),
        _ => Err(Error::unknown_format(image)),
    }
}

/// What the thin image `image` is, from its fixed header alone (see
/// [`crate::Slice::image`]).
pub(crate) fn identify<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<crate::Image, Error> {
    match format_of(image.bytes)? {
        Format::Elf => elf::identify(image),
        Format::MachO => macho::identify(image),
        Format::Pe | Format::Coff => coff::identify(image),
    }
}

/// Finds the section `key` in one thin image (the caller has read the magic
/// once and made the key): the shared step under [`find_section`](crate::find_section),
/// [`Slice::find_section`](crate::Slice::find_section) and
/// [`Slice::find_ji_payload`](crate::Slice::find_ji_payload). The section's range
/// is relative to the image, and checked to lie inside it.
#[inline]
pub(crate) fn navigate<'a, S: Source<'a>>(image: Data<'a, S>, key: &Key<'_>) -> Result<Lookup, Error> {
    let lookup = match key {
        Key::Elf(name) => elf::find_section(image, name),
        Key::MachO(names) => macho::find_section(image, names),
        Key::Coff(name) => coff::find_section(image, name),
    };
    // Navigators work in offsets relative to the image; errors report absolute ones.
    let lookup = lookup.map_err(|e| rebase(e, image.base))?;
    // A navigator reports the range as its header says; the bytes must exist.
    if let Some(range) = lookup.section {
        image.within(crate::CONTAINER_DATA, range.offset, range.size)?;
    }
    Ok(lookup)
}

/// The payload of the image `bytes`, which starts at `base` in the file and
/// is slice `index` of a universal file or the whole file. Its arguments are
/// plain values, not a `Slice`: passed in registers, they cannot stall the
/// loads that read them back, as a struct built just before the call can.
#[inline]
pub(crate) fn payload_of(bytes: &[u8], base: u64, index: Option<u32>) -> Result<Payload<'_>, Error> {
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
pub(crate) fn absolute<'a, S: Source<'a>>(image: Data<'a, S>, range: FileRange) -> FileRange {
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
