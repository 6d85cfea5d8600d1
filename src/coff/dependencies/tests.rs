#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects)]

use object::read::pe::{ImageNtHeaders, PeFile, PeFile32, PeFile64};
use object::LittleEndian as LE;

use super::*;
use crate::coff::testing::{self, corpus_files, have_zig, ok, require_program, zig};

/// One dependency as compared.
type Row = (DependencyKind, Vec<u8>);

/// This walk's dependencies of `bytes`, as a view based at `base`.
pub(crate) fn walk(bytes: &[u8], base: u64) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for item in dependencies(Data::new(bytes, base, "the file"))? {
        let item = item?;
        rows.push((item.kind, item.name.to_vec()));
    }
    Ok(rows)
}

fn object_rows<Pe: ImageNtHeaders>(file: &PeFile<'_, Pe>) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(table) = file.import_table().unwrap() {
        let mut descriptors = table.descriptors().unwrap();
        while let Some(d) = descriptors.next().unwrap() {
            rows.push((DependencyKind::Import, table.name(d.name.get(LE)).unwrap().to_vec()));
        }
    }
    if let Some(table) = file.delay_load_import_table().unwrap() {
        let mut descriptors = table.descriptors().unwrap();
        while let Some(d) = descriptors.next().unwrap() {
            rows.push((DependencyKind::DelayImport, table.name(d.dll_name_rva.get(LE)).unwrap().to_vec()));
        }
    }
    rows
}

/// The `object` crate's imports and delay-load imports of a PE image.
pub(crate) fn object_oracle(bytes: &[u8]) -> Vec<Row> {
    match PeFile64::parse(bytes) {
        Ok(file) => object_rows(&file),
        Err(_) => object_rows(&PeFile32::parse(bytes).unwrap()),
    }
}

/// goblin's imported DLLs, in table order (it reads no delay-load imports).
pub(crate) fn goblin_oracle(bytes: &[u8]) -> Vec<Vec<u8>> {
    let pe = goblin::pe::PE::parse(bytes).unwrap();
    let entries = pe.import_data.map(|d| d.import_data).unwrap_or_default();
    entries.iter().map(|e| e.name.as_bytes().to_vec()).collect()
}

/// Checks this walk against both oracles on `bytes`; the walk's rows.
pub(crate) fn agree(bytes: &[u8], what: &str) -> Vec<Row> {
    let ours = walk(bytes, 0).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(ours, object_oracle(bytes), "{what}: object");
    let imports: Vec<_> = ours.iter().filter(|r| r.0 == DependencyKind::Import).map(|r| r.1.clone()).collect();
    assert_eq!(imports, goblin_oracle(bytes), "{what}: goblin");
    // Offsets are relative to the view: a view further into a file reads the same.
    assert_eq!(walk(bytes, 0x1000).unwrap(), ours, "{what} at 0x1000");
    ours
}

#[test]
fn the_corpus_agrees_with_object_and_goblin() {
    let mut with_imports = 0;
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(b"MZ") {
            with_imports += usize::from(!agree(&bytes, &path.display().to_string()).is_empty());
        } else {
            // A COFF object has no import directory.
            assert_eq!(walk(&bytes, 0).unwrap(), vec![], "{}", path.display());
        }
    }
    // llvm-readobj --coff-imports: only pe/x86_64-windows-gnu.dll has imports
    // (api-ms-win-crt-runtime-l1-1-0.dll, KERNEL32.dll and two more); the
    // others were linked without the C runtime.
    assert_eq!(with_imports, 1);
}

#[test]
fn wine_dlls_agree_with_object_and_goblin() {
    let dlls = testing::wine_dlls();
    if dlls.is_empty() {
        return;
    }
    let (mut compared, mut with_imports) = (0, 0);
    for path in &dlls {
        let bytes = std::fs::read(path).unwrap();
        let rows = agree(&bytes, &path.display().to_string());
        compared += 1;
        with_imports += usize::from(!rows.is_empty());
    }
    eprintln!("compared {compared} Wine DLLs, {with_imports} with imports");
    assert!(with_imports > 100, "{with_imports} of {compared}");
}

/// A DLL linked by lld-link with one import and one delay-load import.
#[test]
fn delay_load_imports_follow_the_imports() {
    if !have_zig() || !require_program("llvm-dlltool") {
        return;
    }
    let dir = testing::tempdir();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for (dll, symbol) in [("now.dll", "now_function"), ("later.dll", "later_function")] {
        let def = path(&format!("{dll}.def"));
        std::fs::write(&def, format!("LIBRARY {dll}\nEXPORTS\n  {symbol}\n")).unwrap();
        ok(std::process::Command::new("llvm-dlltool")
            .args(["-m", "i386:x86-64", "-d", &def, "-l"])
            .arg(path(&format!("{dll}.a"))));
    }
    // The delay-load helper is the C runtime's; a stub is enough to link (nothing runs).
    let c = path("user.c");
    std::fs::write(
        &c,
        "__declspec(dllimport) int now_function(void);\n__declspec(dllimport) int later_function(void);\n\
         void *__delayLoadHelper2(void *d, void *s) { (void)d; (void)s; return 0; }\n\
         __declspec(dllexport) int both(void) { return now_function() + later_function(); }\n",
    )
    .unwrap();
    ok(zig("cc").args(["-target", "x86_64-windows-gnu", "-c", "-O1", "-o"]).arg(path("user.obj")).arg(&c));
    ok(zig("lld-link").args(["/dll", "/noentry", "/machine:x64"]).arg(format!("/out:{}", path("user.dll"))).args([
        path("user.obj"),
        path("now.dll.a"),
        path("later.dll.a"),
        "/delayload:later.dll".into(),
    ]));
    let bytes = std::fs::read(path("user.dll")).unwrap();
    let rows = agree(&bytes, "user.dll");
    let want =
        vec![(DependencyKind::Import, b"now.dll".to_vec()), (DependencyKind::DelayImport, b"later.dll".to_vec())];
    assert_eq!(rows, want);
    // Each function, by name: one through the import directory, one through
    // the delay-load directory's name table.
    let imports = |name: &[u8]| crate::coff::symbols::imports_symbol(Data::new(&bytes, 0, "the file"), name).unwrap();
    assert!(imports(b"now_function") && imports(b"later_function"));
    assert!(!imports(b"both") && !imports(b"later_functio"));
    // An import directory that cannot be read hides nothing the delay-load
    // one holds; a name in neither gets the import directory's error.
    let mut broken = bytes.clone();
    let optional = u32::from_le_bytes(broken[0x3c..0x40].try_into().unwrap()) as usize + 24;
    broken[optional + 112 + 8..][..4].copy_from_slice(&0x7000_0000u32.to_le_bytes()); // directory 1's RVA
    let imports = |name: &[u8]| crate::coff::symbols::imports_symbol(Data::new(&broken, 0, "the file"), name);
    assert!(imports(b"later_function").unwrap());
    let error = imports(b"now_function").unwrap_err();
    assert!(matches!(error, Error::Invalid { what: "PE import directory", .. }), "{error}");
}

/// A data library written by this crate, with an import directory added in
/// the spare bytes of its `.rdata` (`.rdata` RVA 0x1000, raw data at 0x200,
/// 0x200 bytes): descriptors at +0x100, lookup and address tables at +0x180
/// and +0x188, the name at +0x1a0. Returns it and where directory 1 is.
pub(crate) fn with_imports() -> (Vec<u8>, usize) {
    use crate::coff::emit::CoffHeader;
    use crate::coff::layout::IMAGE_FILE_MACHINE_AMD64;
    use crate::write::data_library::DataLibrarySpec;
    let spec = DataLibrarySpec {
        name: "foo_data.dll",
        symbol: "jl_pkgimg_data",
        payload_size: 3,
        payload_crc32c: crate::crc::crc32c(b"abc"),
    };
    let mut dll = Vec::new();
    crate::coff::data_library::write(
        &CoffHeader { machine: IMAGE_FILE_MACHINE_AMD64 },
        &spec,
        &mut &b"abc"[..],
        &mut dll,
    )
    .unwrap();
    // PE32+: optional header at 0x90, data directories at 0x90 + 112; .rdata's header at 0x180.
    let (directories, rdata) = (0x90 + 112, 0x180);
    let put = |dll: &mut Vec<u8>, at: usize, value: u32| dll[at..at + 4].copy_from_slice(&value.to_le_bytes());
    put(&mut dll, rdata + 8, 0x200); // VirtualSize: the whole raw data
    put(&mut dll, directories + 8, 0x1100);
    put(&mut dll, directories + 12, 40);
    let descriptor = 0x200 + 0x100;
    put(&mut dll, descriptor, 0x1180);
    put(&mut dll, descriptor + 12, 0x11a0);
    put(&mut dll, descriptor + 16, 0x1188);
    dll[0x200 + 0x1a0..][..13].copy_from_slice(b"KERNEL32.dll\0");
    (dll, directories + 8)
}

#[test]
fn an_added_import_directory_reads_as_object_and_goblin_read_it() {
    let (dll, _) = with_imports();
    assert_eq!(agree(&dll, "with_imports"), vec![(DependencyKind::Import, b"KERNEL32.dll".to_vec())]);
}

#[test]
fn malformed_tables_are_errors_naming_the_structure() {
    let (dll, entry) = with_imports();
    let put = |mut dll: Vec<u8>, at: usize, value: u32| {
        dll[at..at + 4].copy_from_slice(&value.to_le_bytes());
        dll
    };
    let descriptor = 0x300;
    // The directory's RVA is in no section.
    let outside = put(dll.clone(), entry, 0x7000_0000);
    let error = walk(&outside, 0).unwrap_err();
    assert_eq!(
        error,
        Error::invalid("PE import directory", entry as u64, 0x7000_0000u32, "an RVA inside a section's file bytes")
    );
    // A name's RVA is in no section: an error for that item, and then the end.
    let bad_name = put(dll.clone(), descriptor + 12, 0x7000_0000);
    let mut items = dependencies(Data::new(&bad_name, 0, "the file")).unwrap();
    let error = items.next().unwrap().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "PE imported DLL name at {:#x} is 0x70000000, expected an RVA inside the section of its directory",
            descriptor + 12
        )
    );
    assert!(items.next().is_none());
    // A name in another section (.rdata ends at RVA 0x1200; 0x2000 is the
    // .jlji frame): names are read in the section of the first one, as
    // object and goblin read them.
    let mut elsewhere = put(dll.clone(), descriptor + 12, 0x2000);
    elsewhere[0xe00..0xe0a].copy_from_slice(b"OTHER.dll\0"); // RVA 0x2000's file offset
    assert_eq!(agree(&elsewhere, "a name in another section"), [(DependencyKind::Import, b"OTHER.dll".to_vec())]);
    // A second descriptor whose name is in another section than the first's.
    let mut second = dll.clone();
    second.copy_within(descriptor..descriptor + 20, descriptor + 20);
    let second = put(second, descriptor + 32, 0x2000);
    assert!(second[descriptor + 40..descriptor + 60].iter().all(|&b| b == 0));
    let error = walk(&second, 0).unwrap_err();
    let expected = "expected an RVA inside the section of its directory";
    assert_eq!(error.to_string(), format!("PE imported DLL name at {:#x} is 0x2000, {expected}", descriptor + 32));
    // The table runs off its section before an all-zero descriptor: the
    // directory points at .rdata's last 12 bytes, which are not zero.
    let mut off_the_end = put(dll.clone(), entry, 0x1000 + 0x200 - 12);
    off_the_end[0x400 - 12..0x400].fill(0xaa);
    let error = walk(&off_the_end, 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "PE import descriptor at 0x3f4 (20 bytes) runs past the end of its section (0xc bytes)"
    );
    // A name without a NUL before the end of its section.
    let mut unterminated = put(dll.clone(), descriptor + 12, 0x1000 + 0x200 - 4);
    unterminated[0x400 - 4..0x400].copy_from_slice(b"ABCD");
    let error = walk(&unterminated, 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "PE imported DLL name at 0x3fc (5 bytes) runs past the end of its section (0x4 bytes)"
    );
    // A section whose raw data runs past the end of the file.
    let cut = &dll[..0x3f0];
    let error = walk(cut, 0).unwrap_err();
    assert_eq!(error.to_string(), "PE section data at 0x200 (512 bytes) runs past the end of the file (0x3f0 bytes)");
}

/// A delay-load directory's names are read in its own section, as object's
/// `DelayLoadImportTable` reads them (the first-name rule is the import
/// directory's only).
#[test]
fn delay_load_names_are_read_in_their_directorys_section() {
    let (dll, _) = with_imports();
    let put = |dll: &mut Vec<u8>, at: usize, value: u32| dll[at..at + 4].copy_from_slice(&value.to_le_bytes());
    // NumberOfRvaAndSizes (optional header + 108) counts directory 13, at 0x100 + 13 * 8.
    assert!(u32::from_le_bytes(dll[0x90 + 108..0x90 + 112].try_into().unwrap()) >= 14);
    let mut delayed = dll.clone();
    put(&mut delayed, 0x100 + 13 * 8, 0x11c0);
    put(&mut delayed, 0x100 + 13 * 8 + 4, 64);
    // One descriptor at .rdata + 0x1c0 (RVA-based), then the all-zero one.
    put(&mut delayed, 0x3c0, 1);
    put(&mut delayed, 0x3c4, 0x11a0); // "KERNEL32.dll", in .rdata
    assert!(delayed[0x3c8..0x400].iter().all(|&b| b == 0));
    let rows = agree(&delayed, "a delay-load directory");
    assert_eq!(rows[1], (DependencyKind::DelayImport, b"KERNEL32.dll".to_vec()));
    // The name in another section: an error, as for object.
    let mut apart = delayed.clone();
    put(&mut apart, 0x3c4, 0x2000);
    apart[0xe00..0xe0a].copy_from_slice(b"LATER.dll\0"); // RVA 0x2000's file offset
    let error = walk(&apart, 0).unwrap_err();
    let expected = "PE imported DLL name at 0x3c4 is 0x2000, expected an RVA inside the section of its directory";
    assert_eq!(error.to_string(), expected);
    let pe = PeFile64::parse(&apart[..]).unwrap();
    let table = pe.delay_load_import_table().unwrap().unwrap();
    assert!(table.name(0x2000).is_err(), "object does not read it there either");
}

#[test]
fn hostile_bytes_never_panic() {
    // Every byte of the headers and .rdata, set to values that stress bounds.
    let (dll, _) = with_imports();
    let mut results = 0;
    for at in 0..0x400 {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut bytes = dll.clone();
            bytes[at] = value;
            results += usize::from(walk(&bytes, 0).is_ok());
            let _ = crate::coff::symbols::find_symbol(Data::new(&bytes, 0, "the file"), b"jl_pkgimg_data");
            let _ = crate::coff::symbols::imports_symbol(Data::new(&bytes, 0, "the file"), b"KERNEL32.dll");
        }
    }
    assert!(results > 0);
}
