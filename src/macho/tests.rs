//! The Mach-O navigator against the load-command iterator it replaced.

#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use super::header::{self, section_range};
use super::layout::{Width, CMDSIZE_READ, SECTION_NAMES};
use super::test_tools::{images, machos};
use super::*;
use crate::error::unique;

/// The walk as it was before `walk::segments`: the load-command iterator, a
/// view per command and per matching section header. The reference the
/// navigator must agree with, result for result and error for error.
fn reference(file: Data<'_>, names: &[u8; SECTION_NAMES]) -> Result<Lookup, Error> {
    let header = header::parse(file)?;
    let (width, mut found) = (header.width, None);
    for command in header.commands(CMDSIZE_READ) {
        let command = command?;
        if command.cmd != width.segment.cmd {
            continue;
        }
        let named = |raw: &[u8]| raw.first_chunk() == Some(names);
        for section in command.section_headers(width)?.matching("Mach-O section header", width.section.len, named) {
            found = unique(found, section_range(section, width)?)?;
        }
    }
    Ok(Lookup { image: header.image, section: found })
}

fn key(segment: &[u8], section: &[u8]) -> [u8; SECTION_NAMES] {
    let mut key = [0u8; SECTION_NAMES];
    key[..section.len()].copy_from_slice(section);
    key[16..16 + segment.len()].copy_from_slice(segment);
    key
}

/// The header's width and end of the load commands, if the header is sound.
fn extent(image: &[u8]) -> Option<(Width, usize)> {
    let header = header::parse(Data::new(image, 0, "the slice")).ok()?;
    Some((header.width, (header.width.header_len + header.commands.len()) as usize))
}

/// `image` (a sound little-endian one) with every field the navigator
/// reads byte-swapped: the same walk in a big-endian image.
fn big_endian(image: &[u8]) -> Vec<u8> {
    let (width, end) = extent(image).unwrap();
    let mut out = image.to_vec();
    let swap = |out: &mut Vec<u8>, at: usize, len: usize| out[at..at + len].reverse();
    for word in 0..7 {
        swap(&mut out, word * 4, 4);
    }
    let mut at = width.header_len as usize;
    while at + 8 <= end {
        let cmd = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        let cmdsize = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
        swap(&mut out, at, 4);
        swap(&mut out, at + 4, 4);
        if cmd == width.segment.cmd {
            let nsects_at = at + width.segment.nsects as usize;
            let nsects = u32::from_le_bytes(image[nsects_at..nsects_at + 4].try_into().unwrap()) as usize;
            swap(&mut out, nsects_at, 4);
            for i in 0..nsects {
                let s = at + width.segment.len as usize + i * width.section.len as usize;
                swap(&mut out, s + width.section.size as usize, if width.wide { 8 } else { 4 });
                swap(&mut out, s + width.section.offset as usize, 4);
                swap(&mut out, s + width.section.flags as usize, 4);
            }
        }
        at += cmdsize.max(8);
    }
    out
}

/// `image` with the first section header not named `names` renamed to
/// it, if it has one: two sections of that name.
fn twice(image: &[u8], names: &[u8; SECTION_NAMES]) -> Option<Vec<u8>> {
    let (width, end) = extent(image)?;
    let mut at = width.header_len as usize;
    while at + 8 <= end {
        let cmd = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        let cmdsize = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
        if cmd == width.segment.cmd {
            let nsects_at = at + width.segment.nsects as usize;
            let nsects = u32::from_le_bytes(image[nsects_at..nsects_at + 4].try_into().unwrap()) as usize;
            for i in 0..nsects {
                let s = at + width.segment.len as usize + i * width.section.len as usize;
                if &image[s..s + SECTION_NAMES] != names {
                    let mut out = image.to_vec();
                    out[s..s + SECTION_NAMES].copy_from_slice(names);
                    return Some(out);
                }
            }
        }
        at += cmdsize.max(8);
    }
    None
}

/// Which of the walk's checks `error` comes from.
fn kind(error: &Error) -> &'static str {
    match error {
        Error::Truncated { scope: "Mach-O load command", size: 4, .. } => "nsects",
        Error::Truncated { what: "Mach-O load command", .. } => "command",
        Error::Truncated { what: "Mach-O load commands", .. } => "commands",
        Error::Truncated { what: "Mach-O section headers", .. } => "section headers",
        Error::Invalid { what: "Mach-O cmdsize", .. } => "cmdsize",
        Error::Invalid { what: "Mach-O ncmds", .. } => "ncmds",
        Error::Ambiguous { .. } => "ambiguous",
        _ => "other",
    }
}

/// The navigator and the reference agree on `image` at `base`, for each name.
fn agree(image: &[u8], base: u64, names: &[[u8; SECTION_NAMES]]) -> usize {
    let view = Data::new(image, base, "the slice");
    for names in names {
        assert_eq!(find_section(view, names), reference(view, names), "{image:02x?}");
    }
    names.len()
}

/// The four copies of the walk against the load-command iterator on every
/// Mach-O image at hand, little- and big-endian, 32- and 64-bit: as they
/// are, with two sections of one name, cut at every length up to the end
/// of the load commands, and with every byte up to there set to values
/// that break counts, sizes and names.
#[test]
fn the_walk_agrees_with_the_load_command_iterator() {
    let container = key(b"__JULIA", b"__ji");
    let names = [container, key(b"__TEXT", b"__text"), key(b"__DATA", b"__bss"), [0; SECTION_NAMES]];
    let (mut checked, mut widths, mut seen) = (0, [false; 2], std::collections::BTreeSet::new());
    for (path, file) in machos() {
        for (base, image) in images(&file) {
            let Some((width, end)) = extent(image) else { continue };
            widths[usize::from(width.wide)] = true;
            let mut variants = vec![image.to_vec(), big_endian(image)];
            variants.extend(twice(image, &container));
            variants.extend(twice(image, &names[1]));
            for bytes in &variants {
                let end = end.min(bytes.len());
                checked += agree(bytes, base, &names);
                for len in 0..end {
                    checked += agree(&bytes[..len], base, &names);
                }
                let mut damaged = bytes.clone();
                for at in 0..end {
                    for value in [0x00, 0x01, 0x04, 0x7f, 0x80, 0xff, bytes[at] ^ 0x01, bytes[at] ^ 0x04] {
                        damaged[at] = value;
                        checked += agree(&damaged, base, &names);
                        if let Err(error) = find_section(Data::new(&damaged, base, "the slice"), &container) {
                            seen.insert(kind(&error));
                        }
                    }
                    damaged[at] = bytes[at];
                }
            }
            eprintln!("{}: slice at {base} agrees", path.display());
        }
    }
    assert_eq!(widths, [true, true], "both widths compared");
    assert!(checked > 1_000_000, "{checked} lookups");
    // Every rule the walk checks was broken somewhere, and reported alike.
    let every = ["ambiguous", "cmdsize", "command", "commands", "ncmds", "nsects", "section headers"];
    assert!(every.iter().all(|k| seen.contains(k)), "errors seen: {seen:?}");
}
