//! `pkgimg::MappedFile`: a lookup through it gives what a lookup through the
//! bytes read with `std::fs::read` gives, it reads only the pages it touches
//! (checked with mincore(2) after evicting the file from the page cache), and
//! non-files are refused.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::ErrorKind;

use pkgimg::MappedFile;

#[test]
fn lookup_through_the_mapping_matches_lookup_through_a_read() {
    for path in ["corpus/elf/x86_64-linux-musl.so", "corpus/macho/universal.dylib", "corpus/pe/x86_64-windows-gnu.dll"]
    {
        let mapped = MappedFile::open(path).unwrap();
        let read = std::fs::read(path).unwrap();
        assert_eq!(mapped.bytes(), &read[..], "{path}");
        let (a, b) = (pkgimg::find_ji_payload(&mapped).unwrap(), pkgimg::find_ji_payload(&read).unwrap());
        assert_eq!((a.offset(), a.size(), a.crc32c()), (b.offset(), b.size(), b.crc32c()), "{path}");
        mapped.will_read(a.offset(), a.size());
        a.verify().unwrap();
    }
}

#[test]
fn directories_and_missing_files_are_refused() {
    assert_eq!(MappedFile::open("corpus").unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(MappedFile::open("corpus/no-such-file").unwrap_err().kind(), ErrorKind::NotFound);
}

/// A 64 MiB file of random bytes whose first page holds a minimal ELF
/// header with no section table: after evicting it from the page cache
/// (POSIX_FADV_DONTNEED on a clean file), a lookup through `MappedFile`
/// must leave only the header page resident, not megabytes of readahead.
#[test]
fn a_cold_lookup_reads_only_the_pages_it_touches() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.so");
    let mut bytes = vec![0u8; 64 << 20];
    // Not zeros, so that no file system stores it as a hole.
    bytes.iter_mut().enumerate().for_each(|(i, b)| *b = (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3]);
    // ELF64 little-endian header, e_shoff = 0: a valid image without sections.
    bytes[..64].fill(0);
    bytes[..7].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1]);
    bytes[18] = 0x3e; // EM_X86_64
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(&bytes).unwrap();
    file.sync_all().unwrap();
    // SAFETY: plain system calls on a descriptor this test owns.
    let evicted = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(evicted, 0);
    drop(file);

    let mapped = MappedFile::open(&path).unwrap();
    let lookup = pkgimg::find_section(&mapped, ".jlji").unwrap();
    assert_eq!(lookup.section, None);
    let page = 4096;
    let pages = mapped.len().div_ceil(page);
    let mut resident = vec![0u8; pages];
    // SAFETY: the range is the mapping itself; `resident` has one byte per page.
    let status = unsafe { libc::mincore(mapped.as_ptr() as *mut libc::c_void, mapped.len(), resident.as_mut_ptr()) };
    assert_eq!(status, 0);
    let count = resident.iter().filter(|&&r| r & 1 != 0).count();
    // The header page, plus what the kernel maps around a fault from pages
    // that were already cached (none here): at most 16 KiB, the scan target.
    assert!(count * page <= 16 << 10, "{count} pages resident after one lookup");
}
