//! Wherever goblin and object read the input, pkgimg must agree with them on
//! the container's file range. A peer's error or panic means "no reference
//! answer", not a failure. Known, justified divergences are listed in
//! FUZZING.md ("Allow-list") and filtered here, each with its reason.
#![no_main]

use std::panic::catch_unwind;

use libfuzzer_sys::fuzz_target;
use object::{Object, ObjectSection};
use pkgimg::{Error, Format, Lookup};

type Range = Option<(u64, u64)>;

/// object's container range from its raw COFF section table, comparing the
/// whole 8-byte name field as FORMAT.md does (object's `name()` stops at the
/// first NUL: allow-list 4).
fn object_coff_range(image: &[u8], format: Format) -> Option<Range> {
    use object::read::{coff::CoffFile, pe::PeFile32, pe::PeFile64};
    let table = match format {
        Format::Pe => match PeFile64::parse(image) {
            Ok(f) => f.section_table(),
            Err(_) => PeFile32::parse(image).ok()?.section_table(),
        },
        _ => CoffFile::<&[u8]>::parse(image).ok()?.coff_section_table(),
    };
    let mut found = table.iter().filter(|h| h.name == *b".jlji\0\0\0");
    let first = found.next();
    if found.next().is_some() {
        return None;
    }
    // Allow-list 3b: object's PE length is min(VirtualSize, SizeOfRawData) even
    // when VirtualSize is 0; the Windows loader then uses SizeOfRawData, and so
    // does pkgimg.
    let range = first.and_then(|h| match format {
        Format::Pe if h.virtual_size.get(object::LittleEndian) == 0 => {
            Some((h.pointer_to_raw_data.get(object::LittleEndian), h.size_of_raw_data.get(object::LittleEndian)))
        }
        Format::Pe => Some(h.pe_file_range()),
        _ => h.coff_file_range(),
    });
    Some(range.map(|(o, s)| (u64::from(o), u64::from(s))).filter(|&(_, size)| size != 0))
}

/// object's container range from its raw Mach-O section headers, comparing
/// both whole 16-byte name fields (allow-list 4, as for COFF).
fn object_macho_range(image: &[u8]) -> Option<Range> {
    use object::read::macho::{MachOFile32, MachOFile64, MachOSection, Section as _};
    fn pick<'d, M: object::read::macho::MachHeader>(
        sections: impl Iterator<Item = MachOSection<'d, 'd, M>>,
    ) -> Option<Range> {
        let mut found = sections.filter(|s| {
            let raw = s.macho_section();
            raw.sectname() == b"__ji\0\0\0\0\0\0\0\0\0\0\0\0" && raw.segname() == b"__JULIA\0\0\0\0\0\0\0\0\0"
        });
        let first = found.next();
        if found.next().is_some() {
            return None;
        }
        Some(first.and_then(|s| s.file_range()).filter(|&(_, size)| size != 0))
    }
    match MachOFile64::<object::Endianness>::parse(image) {
        Ok(f) => pick(f.sections()),
        Err(_) => pick(MachOFile32::<object::Endianness>::parse(image).ok()?.sections()),
    }
}

/// object's container range; `None` when object has no single answer.
fn object_range(image: &[u8], format: Format) -> Option<Range> {
    if matches!(format, Format::Pe | Format::Coff) {
        return object_coff_range(image, format);
    }
    if format == Format::MachO {
        return object_macho_range(image);
    }
    let file = object::File::parse(image).ok()?;
    let mut found = file.sections().filter(|s| match format {
        Format::MachO => s.segment_name().ok().flatten() == Some("__JULIA") && s.name().ok() == Some("__ji"),
        _ => s.name_bytes().ok() == Some(&b".jlji"[..]),
    });
    let first = found.next();
    if found.next().is_some() {
        return None; // two containers: pkgimg says Ambiguous, object has no single answer
    }
    // Allow-list 1: object gives no range for NOBITS / zero-fill / uninitialised
    // sections, where pkgimg gives size 0; both mean "no bytes".
    Some(first.and_then(|s| s.file_range()).filter(|&(_, size)| size != 0))
}

/// goblin's container range for ELF and PE (its Mach-O and COFF section APIs
/// need valid UTF-8 names and do not read FAT_MAGIC_64: allow-list 2).
fn goblin_range(image: &[u8]) -> Option<Range> {
    match goblin::Object::parse(image).ok()? {
        goblin::Object::Elf(elf) => {
            let mut found = elf.section_headers.iter().filter(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(".jlji"));
            let first = found.next();
            if found.next().is_some() {
                return None;
            }
            Some(first.filter(|sh| sh.sh_type != 8 && sh.sh_size != 0).map(|sh| (sh.sh_offset, sh.sh_size)))
        }
        goblin::Object::PE(pe) => {
            let mut found = pe.sections.iter().filter(|s| &s.name == b".jlji\0\0\0");
            let first = found.next();
            if found.next().is_some() {
                return None;
            }
            // Allow-list 3: goblin's range is SizeOfRawData, padded to FileAlignment;
            // the PE spec's real length is VirtualSize when that is smaller.
            let size = |s: &goblin::pe::section_table::SectionTable| {
                if s.virtual_size != 0 { s.virtual_size.min(s.size_of_raw_data) } else { s.size_of_raw_data }
            };
            Some(
                first
                    .filter(|s| size(s) != 0)
                    .map(|s| (u64::from(s.pointer_to_raw_data), u64::from(size(s)))),
            )
        }
        _ => None,
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(slices) = pkgimg::slices(bytes) else { return };
    for slice in slices.flatten() {
        let image = slice.bytes();
        let base = slice.range().offset;
        let ours = match slice.find_section(".jlji") {
            Err(Error::BadName { format: Format::MachO, .. }) => slice.find_section("__JULIA,__ji"),
            other => other,
        };
        // pkgimg refusing a file (truncated data, ambiguous, bad header) is
        // stricter than the peers, which read lazily: no comparison.
        let Ok(Lookup { image: info, section }) = ours else { continue };
        let ours: Range = section.filter(|r| r.size != 0).map(|r| (r.offset - base, r.size));
        if let Ok(Some(theirs)) = catch_unwind(|| object_range(image, info.format)) {
            // Allow-list 7: Mach-O section offsets are 32-bit; object 0.40 takes
            // the high bits from the segment's 64-bit fileoff (for > 4 GiB
            // images), pkgimg reads the field as <mach-o/loader.h> defines it.
            let high_bits_only = info.format == Format::MachO
                && matches!((ours, theirs), (Some(o), Some(t)) if t.0 > u64::from(u32::MAX) && t.0 & 0xffff_ffff == o.0 && t.1 == o.1);
            if !high_bits_only {
                assert_eq!(ours, theirs, "object disagrees");
            }
        }
        if matches!(info.format, Format::Elf | Format::Pe) {
            if let Ok(Some(theirs)) = catch_unwind(|| goblin_range(image)) {
                assert_eq!(ours, theirs, "goblin disagrees");
            }
        }
    }
});
