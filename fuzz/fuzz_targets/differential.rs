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

/// object's container range; `None` when object has no single answer.
fn object_range(image: &[u8], format: Format) -> Option<Range> {
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
            Some(first.filter(|s| s.size_of_raw_data != 0 && s.characteristics & 0x80 == 0).map(|s| (u64::from(s.pointer_to_raw_data), u64::from(s.size_of_raw_data))))
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
            assert_eq!(ours, theirs, "object disagrees");
        }
        if matches!(info.format, Format::Elf | Format::Pe) {
            if let Ok(Some(theirs)) = catch_unwind(|| goblin_range(image)) {
                assert_eq!(ours, theirs, "goblin disagrees");
            }
        }
    }
});
