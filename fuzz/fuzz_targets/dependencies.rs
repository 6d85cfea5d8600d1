//! Wherever the peers read the input, pkgimg's dependency records must be
//! theirs, in their order: ELF `DT_NEEDED` against goblin (`Elf::libraries`,
//! which walks `PT_DYNAMIC` as pkgimg does), PE imports and delay-load
//! imports against object (`Object::imports`, which lists both, in
//! directory order), and each symbol object reads as imported by name
//! against `Slice::imports_symbol`. (Mach-O dylib commands are compared
//! with goblin on real files in tests/dependencies.rs.) A peer's error or panic means "no reference
//! answer", not a failure; pkgimg must never panic.
#![no_main]

use std::panic::catch_unwind;

use libfuzzer_sys::fuzz_target;
use pkgimg::{DependencyKind as K, Format};

/// pkgimg's records of `kinds`, or `None` if the walk failed anywhere.
fn ours(slice: &pkgimg::Slice<'_>, kinds: &[K]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for d in slice.dependencies().ok()? {
        let d = d.ok()?;
        if kinds.contains(&d.kind) {
            out.push(d.name.to_vec());
        }
    }
    Some(out)
}

fn elf(data: &[u8], slice: &pkgimg::Slice<'_>) {
    let Ok(Ok(elf)) = catch_unwind(|| goblin::elf::Elf::parse(data)) else { return };
    let Some(needed) = ours(slice, &[K::Needed]) else { return };
    let theirs: Vec<Vec<u8>> = elf.libraries.iter().map(|s| s.as_bytes().to_vec()).collect();
    // goblin skips names that are not UTF-8 and stops at an unreadable one;
    // compare only where every name was read by both.
    if needed.iter().all(|n| std::str::from_utf8(n).is_ok()) && theirs.len() == needed.len() {
        assert_eq!(needed, theirs, "DT_NEEDED");
    }
}

/// Each section's RVA range, its length as the loader takes it.
fn section_ranges(data: &[u8]) -> Option<Vec<(u64, u64)>> {
    use object::read::pe::{PeFile32, PeFile64};
    use object::LittleEndian as LE;
    let table = match object::FileKind::parse(data).ok()? {
        object::FileKind::Pe32 => catch_unwind(|| PeFile32::parse(data)).ok()?.ok()?.section_table(),
        object::FileKind::Pe64 => catch_unwind(|| PeFile64::parse(data)).ok()?.ok()?.section_table(),
        _ => return None,
    };
    let range = |h: &object::pe::ImageSectionHeader| {
        let (va, vs, raw) = (h.virtual_address.get(LE), h.virtual_size.get(LE), h.size_of_raw_data.get(LE));
        let len = if vs == 0 { raw } else { vs };
        (u64::from(va), u64::from(va) + u64::from(len))
    };
    Some(table.iter().map(range).collect())
}

fn pe(data: &[u8], slice: &pkgimg::Slice<'_>) {
    use object::Object;
    let Ok(Ok(file)) = catch_unwind(|| object::File::parse(data)) else { return };
    // Sections whose memory ranges overlap make an image the Windows loader
    // refuses, and leave an RVA two sections: object takes a section's
    // length as min(VirtualSize, SizeOfRawData), pkgimg as the loader does
    // (SizeOfRawData when VirtualSize is 0, docs/FORMAT.md §2.2), so they
    // may read a directory from different bytes. No reference answer then.
    let Some(ranges) = section_ranges(data) else { return };
    let overlap = ranges.iter().enumerate().any(|(i, a)| ranges[..i].iter().any(|b| a.0 < b.1 && b.0 < a.1));
    if overlap {
        return;
    }
    let Ok(imports) = file.imports() else { return };
    let mut theirs: Vec<Vec<u8>> = Vec::new();
    let mut names: Vec<Vec<u8>> = Vec::new();
    for import in imports {
        let Ok(import) = import else { return };
        let library = import.library().to_vec();
        if !theirs.contains(&library) {
            theirs.push(library);
        }
        if let object::read::NameOrOrdinal::Name(name) = import.name() {
            names.push(name.to_vec());
        }
    }
    // Every symbol object reads as imported by name, pkgimg's import walk
    // finds, wherever it reads the tables without an error.
    for name in names.iter().filter_map(|n| std::str::from_utf8(n).ok()) {
        if let Ok(found) = slice.imports_symbol(name) {
            assert!(found, "PE import {name:?}");
        }
    }
    // object's list holds the delay-load DLLs too (review 19: a
    // /delayload seed failed here within seconds when they were left out).
    let Some(ours) = ours(slice, &[K::Import, K::DelayImport]) else { return };
    // object lists a DLL only through an imported symbol; a DLL imported for
    // nothing (a descriptor with an empty thunk list) is pkgimg's alone.
    let mut deduped: Vec<Vec<u8>> = Vec::new();
    for name in ours {
        if !deduped.contains(&name) {
            deduped.push(name);
        }
    }
    if deduped.len() == theirs.len() {
        assert_eq!(deduped, theirs, "PE imports");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(slices) = pkgimg::slices(data) else { return };
    let universal = slices.clone().count() > 1;
    for slice in slices.flatten() {
        // Every walk must return, never panic, whatever the bytes.
        if let Ok(walk) = slice.dependencies() {
            walk.for_each(drop);
        }
        if universal {
            continue;
        }
        match slice.format() {
            Ok(Format::Elf) => elf(data, &slice),
            Ok(Format::Pe) => pe(data, &slice),
            _ => {}
        }
    }
});
