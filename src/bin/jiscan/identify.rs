//! What kind of image a slice is, even when it has no usable payload, or
//! when its section table is damaged.

use pkgimg::{Error, Format, Image, Slice};

/// A section name no format can hold: ELF names are NUL-terminated, and
/// Mach-O and COFF names are NUL-padded, so none has a byte after a NUL. It
/// suits every navigator (it has the Mach-O comma and fits COFF's 8 bytes).
const NO_SECTION: &str = "\0x,\0x";

/// The slice's format, and its identity (width, byte order, architecture)
/// when its fixed header could be read.
///
/// The library tells an image's identity only through a section lookup.
/// Looking up a name that cannot exist walks the same headers as the payload
/// lookup but cannot fail on the container itself (missing, short, doubled).
/// If the walk fails on a damaged table, the identity is taken from the
/// fixed header alone: see [`header_only`].
pub fn identify(slice: &Slice<'_>) -> (Option<Format>, Option<Image>) {
    match slice.find_section(NO_SECTION) {
        Ok(lookup) => (Some(lookup.image.format), Some(lookup.image)),
        Err(Error::UnknownFormat { .. }) => (None, None),
        Err(_) => {
            let format = sniff(slice.bytes());
            let image = format.and_then(|f| header_only(f, slice.bytes()));
            (format, image)
        }
    }
}

/// The format from the first bytes, for an image the library recognised but
/// could not navigate. Mirrors the library's test: what is not ELF, Mach-O or
/// PE and was not `UnknownFormat` was accepted as a COFF machine number.
fn sniff(bytes: &[u8]) -> Option<Format> {
    match bytes {
        [0x7f, b'E', b'L', b'F', ..] => Some(Format::Elf),
        [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] => Some(Format::MachO),
        [b'M', b'Z', ..] => Some(Format::Pe),
        [_, _, ..] => Some(Format::Coff),
        _ => None,
    }
}

/// The identity in the image's fixed header, read by the library from a copy
/// of that header whose section table is emptied: ELF `e_shoff` = 0 (no
/// section headers), Mach-O `ncmds` = `sizeofcmds` = 0, COFF
/// `NumberOfSections` = 0 (and for an object, no optional header). `None` if
/// the fixed header itself is cut short.
fn header_only(format: Format, bytes: &[u8]) -> Option<Image> {
    let (len, zeroed): (usize, &[(usize, usize)]) = match format {
        Format::Elf => match bytes.get(4) {
            Some(1) => (52, &[(32, 4)]),
            Some(2) => (64, &[(40, 8)]),
            _ => return None,
        },
        Format::MachO => (28, &[(16, 8)]),
        Format::Coff => (20, &[(2, 2), (16, 2)]),
        Format::Pe => {
            // e_lfanew → "PE\0\0", the 20-byte file header, the optional header's magic.
            let lfanew = usize::try_from(u32::from_le_bytes(bytes.get(0x3c..0x40)?.try_into().ok()?)).ok()?;
            let header = lfanew.checked_add(4)?;
            (header.checked_add(22)?, &[(header.checked_add(2)?, 2)])
        }
    };
    let mut copy = bytes.get(..len)?.to_vec();
    for &(at, size) in zeroed {
        copy.get_mut(at..at.checked_add(size)?)?.fill(0);
    }
    pkgimg::find_section(&copy, NO_SECTION).ok().map(|lookup| lookup.image)
}
