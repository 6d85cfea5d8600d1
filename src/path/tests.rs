//! The lookups from a file against the same walks on its bytes in memory:
//! the dependency records of every corpus file, of this machine's
//! libraries and of cut files, with three first-read sizes; and how reads
//! are rounded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use super::*;

type Records = Result<(Machine, Vec<(DependencyKind, String)>), Error>;

/// What [`dependencies_of`] must give: [`crate::dependencies`] on the
/// bytes, and the machine of the image, as `Resolver::find_in` reads them.
fn in_memory(bytes: &[u8]) -> Records {
    let slice = crate::host_slice(bytes)?;
    let machine = Machine::of(slice.image)?;
    let records = slice.dependencies()?;
    let records = records.map(|d| d.map(|d| (d.kind, String::from_utf8_lossy(d.name).into_owned())));
    Ok((machine, records.collect::<Result<_, _>>()?))
}

/// [`dependencies_of`] on the file at `path`, given its first `head`
/// bytes as a caller that has read them would.
fn from_file(path: &std::path::Path, head: usize) -> Records {
    let (file, len) = open_with_len(path).unwrap();
    let mut first = vec![0; head.min(len as usize)];
    file.read_exact_at(&mut first, 0).unwrap();
    match dependencies_of(&file, len, &first) {
        Ok(records) => Ok(records),
        Err(Failure::Format(e)) => Err(e),
        Err(Failure::Io(e)) => panic!("{}: {e}", path.display()),
    }
}

/// The walk from a file agrees with the walk on its bytes, whatever the
/// caller read first: nothing (the driver reads the first block), a
/// block (so that a small file's tables are read as a large one's
/// are), or the 64 KiB `find_data_library` reads.
fn assert_agrees(path: &std::path::Path, bytes: &[u8]) {
    let expected = in_memory(bytes);
    for head in [0, BLOCK as usize, SMALL as usize] {
        assert_eq!(from_file(path, head), expected, "{} with {head} bytes read first", path.display());
    }
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if !path.extension().is_some_and(|e| e == "json" || e == "md" || e == "py") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// About 300 of this machine's shared libraries (`elf::testutil`'s pick:
/// spread over all of them, each once), at least 100.
fn system_libraries() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let libraries = crate::elf::testutil::system_libraries(300, 100);
    assert!(libraries.len() >= 100, "expected at least 100 system libraries, found {}", libraries.len());
    libraries
}

#[test]
fn dependencies_from_a_file_agree_with_the_walk_in_memory_on_every_corpus_file() {
    let (mut records, mut errors) = (0, 0);
    for path in files_under(&corpus()) {
        let bytes = std::fs::read(&path).unwrap();
        assert_agrees(&path, &bytes);
        match in_memory(&bytes) {
            Ok((_, found)) => records += found.len(),
            Err(_) => errors += 1,
        }
    }
    // Errors too: the .ji files are no libraries (the malformed files'
    // damage is to their payloads).
    assert!(records >= 9 && errors >= 2, "{records} records, {errors} errors");
}

#[test]
fn dependencies_from_a_file_agree_with_the_walk_in_memory_on_system_libraries() {
    let (mut records, mut large) = (0, 0);
    for (path, bytes) in system_libraries() {
        assert_agrees(&path, &bytes);
        records += in_memory(&bytes).map_or(0, |(_, found)| found.len());
        large += usize::from(bytes.len() > SMALL as usize);
    }
    assert!(records >= 200 && large >= 50, "{records} records, {large} libraries over 64 KiB");
}

/// Every prefix of a file is a file whose tables end at every possible
/// place, in or out of what was read first.
#[test]
fn dependencies_from_a_file_agree_on_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut");
    let names = ["elf/x86_64-gnu-ld.so", "elf/x86_64-linux-gnu-libc.so", "macho/universal.dylib"];
    let mut inputs: Vec<std::path::PathBuf> = names.iter().map(|name| corpus().join(name)).collect();
    inputs.push(corpus().join("pe/x86_64-windows-gnu.dll"));
    // A system library past the 64 KiB read, with names to find.
    let large = system_libraries().into_iter().find_map(|(path, bytes)| {
        let fits = (100 << 10..400 << 10).contains(&bytes.len()) && in_memory(&bytes).is_ok_and(|(_, r)| r.len() >= 2);
        fits.then_some(path)
    });
    inputs.push(large.expect("a system library of 100 to 400 KiB with dependencies"));
    for input in inputs {
        let bytes = std::fs::read(&input).unwrap();
        let step = (bytes.len() / 300).max(1);
        for len in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let expected = in_memory(&bytes[..len]);
            for head in [0, BLOCK as usize, SMALL as usize] {
                let got = from_file(&cut, head);
                assert_eq!(got, expected, "{} cut to {len} bytes, {head} read first", input.display());
            }
        }
    }
}

#[test]
fn reads_cover_whole_blocks_from_a_little_before() {
    assert_eq!(span(0, 64, 1 << 20), (0, 4096));
    // An ELF section header table at 0x5040 of 640 bytes: its name table lies before it.
    assert_eq!(span(0x5040, 640, 1 << 20), (0x4000, 0x6000));
    assert_eq!(span(0x5500, 64, 1 << 20), (0x5000, 0x6000));
    // Never past the end of the file.
    assert_eq!(span(0x5040, 640, 0x5400), (0x4000, 0x5400));
}

/// Review 26: a valid PE32+ DLL (PE/COFF spec: DOS stub, `PE\0\0`, file
/// header, optional header with data directory 1, one section) whose
/// import directory starts a 4 MiB section and whose `n` DLL names lie
/// `gap` bytes apart from 300 KiB on, as a linker that puts each name
/// after its DLL's hint/name entries lays them out.
fn spread_names(n: u32, gap: u32) -> Vec<u8> {
    let put = |b: &mut [u8], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let (size, first) = (4u32 << 20, 300u32 << 10);
    let mut b = vec![0u8; 0x400 + size as usize];
    b[0..2].copy_from_slice(b"MZ");
    put(&mut b, 0x3c, 0x40); // e_lfanew
    b[0x40..0x44].copy_from_slice(b"PE\0\0");
    b[0x44..0x46].copy_from_slice(&0x8664u16.to_le_bytes()); // Machine: AMD64
    b[0x46..0x48].copy_from_slice(&1u16.to_le_bytes()); // NumberOfSections
    b[0x54..0x56].copy_from_slice(&240u16.to_le_bytes()); // SizeOfOptionalHeader
    b[0x56..0x58].copy_from_slice(&0x2022u16.to_le_bytes()); // Characteristics: DLL
    let opt = 0x58;
    b[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes()); // PE32+
    put(&mut b, opt + 108, 16); // NumberOfRvaAndSizes
    put(&mut b, opt + 120, 0x1000); // import directory RVA
    put(&mut b, opt + 124, 20 * (n + 1)); // and size
    let h = 0x148; // the section header
    b[h..h + 6].copy_from_slice(b".rdata");
    put(&mut b, h + 8, size); // VirtualSize
    put(&mut b, h + 12, 0x1000); // VirtualAddress
    put(&mut b, h + 16, size); // SizeOfRawData
    put(&mut b, h + 20, 0x400); // PointerToRawData
    for i in 0..n {
        let descriptor = 0x400 + 20 * i as usize;
        put(&mut b, descriptor, 0x1100); // OriginalFirstThunk
        put(&mut b, descriptor + 12, 0x1000 + first + i * gap); // Name
        let name = format!("LIB{i}.dll\0");
        let at = (0x400 + first + i * gap) as usize;
        b[at..at + name.len()].copy_from_slice(name.as_bytes());
    }
    b
}

/// Review 26: reading each name's first bytes only, a walk from the file
/// took a read per name beyond what it had read, and past six reads it
/// failed on a valid file ("runs past the end of the file"). Reading from
/// the directory to the end of its section takes the names with it.
#[test]
fn names_spread_over_a_large_section_take_no_more_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spread.dll");
    for (n, gap) in [(8, 8 << 10), (8, 3000), (40, 20)] {
        let bytes = spread_names(n, gap);
        std::fs::write(&path, &bytes).unwrap();
        let expected = in_memory(&bytes);
        let names = expected.as_ref().map(|(_, r)| r.len());
        assert_eq!(names, Ok(n as usize), "{expected:?}");
        for first in [0, 4096, 65536] {
            assert_eq!(from_file(&path, first), expected, "{n} names {gap} bytes apart, first read {first}");
        }
    }
}
