#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects)]

use object::read::coff::CoffFile;
use object::read::pe::{ExportTarget, ImageNtHeaders, PeFile, PeFile32, PeFile64};
use object::{Object, ObjectSection, ObjectSymbol};

use super::*;
use crate::coff::testing::{self, corpus, corpus_files, have_zig, ok, zig};

fn lookup(bytes: &[u8], name: &str) -> Result<Option<Symbol>, Error> {
    find_symbol(Data::new(bytes, 0, "the file"), name.as_bytes())
}

/// For every named export `object` lists (every `step`th of them), this
/// lookup's answer: address, and the bytes to the end of the section (object
/// takes the smaller of VirtualSize and SizeOfRawData even when VirtualSize
/// is 0, where pkgimg, like the loader, takes SizeOfRawData: FUZZING.md
/// allow-list 3; no section here has VirtualSize 0). Forwarders are not found.
/// Returns how many exports were compared, and how many were forwarders.
fn exports_agree<Pe: ImageNtHeaders>(file: &PeFile<'_, Pe>, bytes: &[u8], step: usize, what: &str) -> (usize, usize) {
    let Some(table) = file.export_table().unwrap() else { return (0, 0) };
    let base = file.relative_address_base();
    let (mut compared, mut forwarders) = (0, 0);
    for (pointer, index) in table.name_iter().step_by(step) {
        let name = table.name_from_pointer(pointer).unwrap();
        let name = std::str::from_utf8(name).unwrap();
        let got = lookup(bytes, name).unwrap_or_else(|e| panic!("{what} {name}: {e}"));
        // The first export of that name is the one found (Wine's DLLs have no duplicates).
        match table.target_by_index(index).unwrap() {
            ExportTarget::Address(rva) => {
                let range = file.section_table().pe_file_range_at(rva);
                let range = range.map(|(offset, size)| FileRange { offset: offset.into(), size: size.into() });
                assert_eq!(got, Some(Symbol { address: base + u64::from(rva), range }), "{what} {name}");
            }
            _ => {
                assert_eq!(got, None, "{what} {name}: a forwarder");
                forwarders += 1;
            }
        }
        compared += 1;
    }
    (compared, forwarders)
}

/// `exports_agree`, and goblin's export offsets, for a PE image.
fn agree(bytes: &[u8], step: usize, what: &str) -> (usize, usize) {
    let compared = match PeFile64::parse(bytes) {
        Ok(file) => exports_agree(&file, bytes, step, what),
        Err(_) => exports_agree(&PeFile32::parse(bytes).unwrap(), bytes, step, what),
    };
    let pe = goblin::pe::PE::parse(bytes).unwrap();
    for export in pe.exports.iter().step_by(step) {
        let Some(name) = export.name else { continue };
        let got = lookup(bytes, name).unwrap();
        if export.reexport.is_some() {
            assert_eq!(got, None, "{what} {name}");
            continue;
        }
        let got = got.unwrap_or_else(|| panic!("{what} {name}: not found"));
        assert_eq!(got.address, pe.image_base + export.rva as u64, "{what} {name}");
        assert_eq!(got.range.map(|r| r.offset as usize), export.offset, "{what} {name}");
    }
    compared
}

#[test]
fn corpus_exports_and_symbols_agree_with_object_and_goblin() {
    let mut compared = 0;
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(b"MZ") {
            compared += agree(&bytes, 1, &path.display().to_string()).0;
            assert_eq!(lookup(&bytes, "no_such_symbol").unwrap(), None);
        }
    }
    // Each DLL exports pkgimg_answer (llvm-readobj --coff-exports).
    assert_eq!(compared, 6);
}

#[test]
fn a_coff_object_s_external_definitions() {
    // corpus/obj/x86_64-windows.obj defines pkgimg_answer (a long name) in .text.
    let bytes = std::fs::read(corpus("obj/x86_64-windows.obj")).unwrap();
    let file = CoffFile::<&[u8]>::parse(&*bytes).unwrap();
    let mut compared = 0;
    for symbol in file.symbols().filter(|s| s.is_global() && s.is_definition()) {
        let name = symbol.name().unwrap();
        let section = file.section_by_index(symbol.section_index().unwrap()).unwrap();
        let (offset, size) = section.file_range().unwrap();
        let want = Symbol {
            address: symbol.address(),
            range: Some(FileRange { offset: offset + symbol.address(), size: size - symbol.address() }),
        };
        assert_eq!(lookup(&bytes, name).unwrap(), Some(want), "{name}");
        compared += 1;
    }
    assert!(compared >= 1);
    assert!(file.symbols().any(|s| s.name() == Ok("pkgimg_answer")));
    // Section symbols and undefined ones are not definitions.
    assert_eq!(lookup(&bytes, ".text").unwrap(), None);
    assert_eq!(lookup(&bytes, "no_such_symbol").unwrap(), None);
}

#[test]
fn wine_dll_exports_agree_with_object_and_goblin() {
    let dlls = testing::wine_dlls();
    let (mut compared, mut forwarders) = (0, 0);
    for path in &dlls {
        let (c, f) = agree(&std::fs::read(path).unwrap(), 7, &path.display().to_string());
        (compared, forwarders) = (compared + c, forwarders + f);
    }
    eprintln!("compared {compared} exports of {} Wine DLLs, {forwarders} forwarders", dlls.len());
    // kernel32.dll alone forwards 99 exports to ntdll and kernelbase.
    assert!(dlls.is_empty() || (compared > 1000 && forwarders > 10), "{compared} {forwarders}");
}

/// A DLL zig links, exporting a constant: its bytes are read back.
#[test]
fn an_exported_constant_reads_back() {
    if !have_zig() {
        return;
    }
    let dir = testing::tempdir();
    let c = dir.path().join("checksum.c");
    std::fs::write(
        &c,
        "#include <stdint.h>\n__declspec(dllexport) const uint32_t jl_system_image_checksum = 0x12345678;\n",
    )
    .unwrap();
    let dll = dir.path().join("checksum.dll");
    ok(zig("cc").args(["-target", "x86_64-windows-gnu", "-shared", "-O1", "-o"]).arg(&dll).arg(&c));
    let bytes = std::fs::read(&dll).unwrap();
    agree(&bytes, 1, "checksum.dll");
    let symbol = lookup(&bytes, "jl_system_image_checksum").unwrap().unwrap();
    let at = symbol.range.unwrap().offset as usize;
    assert_eq!(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()), 0x1234_5678);
    assert_eq!(symbol.address & 0xffff_ffff_0000_0000, 0x1_0000_0000, "ImageBase 0x180000000 + RVA");
}

/// A data library written by this crate: export directory at RVA 0x1020
/// (file 0x220), its address table at file 0x248, names at 0x24c,
/// ordinals at 0x250, export directory size 0x4e.
fn data_library() -> Vec<u8> {
    crate::coff::dependencies::tests::with_imports().0
}

#[test]
fn forwarders_and_malformed_export_tables() {
    let dll = data_library();
    let put = |mut dll: Vec<u8>, at: usize, value: u32| {
        dll[at..at + 4].copy_from_slice(&value.to_le_bytes());
        dll
    };
    let found = lookup(&dll, "jl_pkgimg_data").unwrap().unwrap();
    assert_eq!(found, Symbol { address: 0x1_8000_1000, range: Some(FileRange { offset: 0x200, size: 0x200 }) });
    // Offsets are absolute: a view further into a file moves the range, not the address.
    let moved = find_symbol(Data::new(&dll, 0x1000, "the file"), b"jl_pkgimg_data").unwrap().unwrap();
    assert_eq!(moved, Symbol { range: Some(FileRange { offset: 0x1200, size: 0x200 }), ..found });
    // An export RVA inside the export directory is a forwarder: not found.
    let forwarder = put(dll.clone(), 0x248, 0x1060);
    assert_eq!(lookup(&forwarder, "jl_pkgimg_data").unwrap(), None);
    // An export outside every section's file bytes has an address, no bytes.
    let nowhere = put(dll.clone(), 0x248, 0x5000);
    assert_eq!(lookup(&nowhere, "jl_pkgimg_data").unwrap(), Some(Symbol { address: 0x1_8000_5000, range: None }));
    // The ordinal indexes past the address table.
    let mut ordinal = dll.clone();
    ordinal[0x250] = 1;
    let error = lookup(&ordinal, "jl_pkgimg_data").unwrap_err();
    assert_eq!(error.to_string(), "PE export ordinal at 0x250 is 0x1, expected an index into the export address table");
    // A name outside the directory's section.
    let far_name = put(dll.clone(), 0x24c, 0x7000_0000);
    let error = lookup(&far_name, "jl_pkgimg_data").unwrap_err();
    assert_eq!(
        error.to_string(),
        "PE export name pointer at 0x24c is 0x70000000, expected an RVA in the export directory's section"
    );
    // Too many names for the section's bytes: refused before the loop.
    let many = put(dll.clone(), 0x220 + 24, 0x4000_0000);
    let error = lookup(&many, "jl_pkgimg_data").unwrap_err();
    assert_eq!(
        error.to_string(),
        "PE export name pointer table at 0x24c (4 × 1073741824 bytes) runs past the end of its section (0x1b4 bytes)"
    );
    // No export directory at all.
    let none = put(dll.clone(), 0x90 + 112, 0);
    assert_eq!(lookup(&none, "jl_pkgimg_data").unwrap(), None);
}

fn imports(bytes: &[u8], name: &str) -> Result<bool, Error> {
    imports_symbol(Data::new(bytes, 0, "the file"), name.as_bytes())
}

/// `object`'s imports by name of a PE image, and its exports that are not also imported.
fn object_imports<Pe: ImageNtHeaders>(file: &PeFile<'_, Pe>) -> [Vec<Vec<u8>>; 2] {
    fn named(name: object::read::NameOrOrdinal<&[u8]>) -> Option<Vec<u8>> {
        match name {
            object::read::NameOrOrdinal::Name(name) => Some(name.to_vec()),
            object::read::NameOrOrdinal::Ordinal(_) => None,
        }
    }
    let imported: Vec<Vec<u8>> = Object::imports(file).unwrap().filter_map(|i| named(i.unwrap().name())).collect();
    let mut exported: Vec<Vec<u8>> = Object::exports(file).unwrap().filter_map(|e| named(e.unwrap().name())).collect();
    exported.retain(|name| !imported.contains(name));
    [imported, exported]
}

/// Compares [`imports_symbol`] with `object` on every `step`th imported and
/// exported name of `bytes`; how many imports were compared.
fn imports_agree(bytes: &[u8], step: usize, what: &str) -> usize {
    let [imported, exported] = match PeFile64::parse(bytes) {
        Ok(file) => object_imports(&file),
        Err(_) => object_imports(&PeFile32::parse(bytes).unwrap()),
    };
    for (names, expected) in [(&imported, true), (&exported, false)] {
        for name in names.iter().step_by(step) {
            let name = std::str::from_utf8(name).unwrap();
            assert_eq!(
                imports(bytes, name).unwrap_or_else(|e| panic!("{what} {name}: {e}")),
                expected,
                "{what} {name}"
            );
        }
    }
    imported.len().div_ceil(step)
}

#[test]
fn imports_agree_with_object_on_the_corpus_and_wine_dlls() {
    let mut compared = 0;
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(b"MZ") && !path.starts_with(corpus("malformed")) {
            compared += imports_agree(&bytes, 1, &path.display().to_string());
        } else if !bytes.starts_with(b"MZ") {
            // A COFF object has no import directory: it imports nothing.
            assert!(!imports(&bytes, "printf").unwrap(), "{}", path.display());
        }
    }
    // pe/x86_64-windows-gnu.dll imports from the C runtime and KERNEL32.dll.
    assert!(compared >= 5, "{compared} imports in the corpus");
    let dlls = testing::wine_dlls();
    for path in &dlls {
        compared += imports_agree(&std::fs::read(path).unwrap(), 5, &path.display().to_string());
    }
    eprintln!("compared {compared} imports");
    assert!(dlls.is_empty() || compared > 1000, "{compared} imports");
}

#[test]
fn import_tables_that_leave_their_section_are_errors() {
    let (dll, _) = crate::coff::dependencies::tests::with_imports();
    // The added descriptor's lookup table (+0x180) is empty: nothing imported.
    assert!(!imports(&dll, "ExitProcess").unwrap());
    // One entry by name at +0x180, its hint/name entry at +0x1c0.
    let mut named = dll.clone();
    named[0x380..0x388].copy_from_slice(&0x11c0u64.to_le_bytes());
    named[0x3c0..0x3c2].copy_from_slice(&7u16.to_le_bytes());
    named[0x3c2..0x3ce].copy_from_slice(b"ExitProcess\0");
    assert!(imports(&named, "ExitProcess").unwrap());
    assert!(!imports(&named, "ExitProces").unwrap());
    // The same entry by ordinal names nothing.
    let mut ordinal = named.clone();
    ordinal[0x380..0x388].copy_from_slice(&(1u64 << 63 | 0x11c0).to_le_bytes());
    assert!(!imports(&ordinal, "ExitProcess").unwrap());
    // OriginalFirstThunk 0: the address table (+0x188) is read instead.
    let mut first_thunk = named.clone();
    first_thunk[0x300..0x304].fill(0);
    first_thunk[0x388..0x390].copy_from_slice(&0x11c0u64.to_le_bytes());
    assert!(imports(&first_thunk, "ExitProcess").unwrap());
    // A hint/name RVA in no section.
    let mut nowhere = named.clone();
    nowhere[0x380..0x388].copy_from_slice(&0x7000_0000u64.to_le_bytes());
    let expected = "PE hint/name entry at 0x380 is 0x70000000, expected an RVA inside the section of its directory";
    assert_eq!(imports(&nowhere, "ExitProcess").unwrap_err().to_string(), expected);
    // Or in another section (.rdata ends at RVA 0x1200): as object reads
    // them, an import's tables and names lie in its directory's section.
    let mut elsewhere = named.clone();
    elsewhere[0x380..0x388].copy_from_slice(&0x2000u64.to_le_bytes());
    let expected = "PE hint/name entry at 0x380 is 0x2000, expected an RVA inside the section of its directory";
    assert_eq!(imports(&elsewhere, "ExitProcess").unwrap_err().to_string(), expected);
    // Names in another section than the tables (old linkers did that):
    // read in the section of the first DLL name, as object reads them.
    let mut apart = named.clone();
    apart[0x30c..0x310].copy_from_slice(&0x2000u32.to_le_bytes()); // the DLL name's RVA
    apart[0xe00..0xe0a].copy_from_slice(b"OTHER.dll\0"); // RVA 0x2000's file offset
    apart[0x380..0x388].copy_from_slice(&0x2010u64.to_le_bytes());
    apart[0xe10..0xe1e].copy_from_slice(b"\0\0ExitProcess\0");
    assert!(imports(&apart, "ExitProcess").unwrap());
    assert_eq!(imports_agree(&apart, 1, "names apart"), 1);
    // A lookup table with no zero entry before its section ends.
    let mut endless = named.clone();
    endless[0x300..0x304].copy_from_slice(&(0x1200u32 - 8).to_le_bytes());
    endless[0x3f8..0x400].fill(0xaa);
    // Its one entry (at 0x3f8) read, the next would be past the section's end.
    let expected = "PE import lookup table at 0x400 (8 bytes) runs past the end of its section (0x8 bytes)";
    assert_eq!(imports(&endless, "ExitProcess").unwrap_err().to_string(), expected);
}

/// Descriptors may share a lookup table (nothing forbids it), but a file
/// that makes the walk read more entries than its section holds is refused:
/// the cost stays linear in the file's size. `.rdata` (RVA 0x1000, 0x200
/// bytes) holds 64 eight-byte entries.
#[test]
fn shared_lookup_tables_cost_at_most_one_read_per_entry_of_the_section() {
    let (dll, _) = crate::coff::dependencies::tests::with_imports();
    let with_descriptors = |count: usize| {
        let mut dll = dll.clone();
        // One lookup table of 20 entries at the start of .rdata, every one
        // naming "Other" (a hint/name entry at +0x1c0), then its zero entry.
        for i in 0..20 {
            dll[0x200 + 8 * i..][..8].copy_from_slice(&0x11c0u64.to_le_bytes());
        }
        dll[0x200 + 8 * 20..][..8].fill(0);
        dll[0x3c0..0x3c8].copy_from_slice(b"\0\0Other\0");
        // `count` descriptors at +0x100 sharing it, then the all-zero one.
        for i in 0..count {
            let d = 0x300 + 20 * i;
            dll[d..d + 20].fill(0);
            dll[d..d + 4].copy_from_slice(&0x1000u32.to_le_bytes());
            dll[d + 12..d + 16].copy_from_slice(&0x11a0u32.to_le_bytes());
            dll[d + 16..d + 20].copy_from_slice(&0x1000u32.to_le_bytes());
        }
        dll[0x300 + 20 * count..][..20].fill(0);
        dll
    };
    // Three descriptors read 3 × 21 = 63 entries: within the 64.
    assert!(!imports(&with_descriptors(3), "ExitProcess").unwrap());
    assert!(imports(&with_descriptors(3), "Other").unwrap());
    // Four would read 84.
    let err = imports(&with_descriptors(4), "ExitProcess").unwrap_err();
    let expected = "expected lookup tables that fit in their section together (these overlap)";
    assert!(
        err.to_string().starts_with("PE import lookup table at 0x33c is 0x1000, ")
            && err.to_string().ends_with(expected),
        "{err}"
    );
}
