//! Unit tests on hand-made bytes; tests/ji_fixtures.rs decodes the files a
//! test-side writer makes the way each Julia release does.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::expect_used, clippy::unwrap_used)]

extern crate std;
use super::*;
use std::string::ToString;
use std::vec::Vec;

#[test]
fn uuid_and_build_id_print_as_julia_does() {
    let uuid = Uuid { hi: 0x0123_4567_89ab_cdef, lo: 0xfedc_ba98_7654_3210 };
    assert_eq!(uuid.to_string(), "01234567-89ab-cdef-fedc-ba9876543210");
    assert!(Uuid { hi: 0, lo: 0 }.is_nil());
    let id = BuildId { hi: 0xfafb_fcfd_0000_0001, lo: 2 };
    assert_eq!(id.to_string(), "0xfafbfcfd000000010000000000000002");
    assert_eq!(id.as_u128(), 0xfafb_fcfd_0000_0001_0000_0000_0000_0002);
}

#[test]
fn bad_bom_stops_at_offset_10() {
    let mut ji = Vec::from(MAGIC);
    ji.extend_from_slice(&[12, 0, 0x12, 0x34, 8]);
    let h = Header::decode(&ji);
    assert_eq!(h.version, None);
    let stop = h.stop.map(|s| (s.offset, s.reason));
    assert_eq!(stop, Some((10, Reason::BadByteOrderMark([0x12, 0x34]))));
}

#[test]
fn a_cut_magic_is_truncated_and_other_bytes_are_not_ji() {
    let h = Header::decode(&MAGIC[..5]);
    assert!(matches!(h.stop.map(|s| s.reason), Some(Reason::Truncated { needed: 8, available: 5 })));
    let h = Header::decode(b"\x7fELF and more bytes");
    assert_eq!(h.stop.map(|s| (s.offset, s.reason)), Some((0, Reason::NotJi)));
    assert!(!is_ji(b"\x7fELF") && is_ji(&MAGIC));
}

/// A big-endian, 32-bit format 13 cache file, laid out as commit 3484331
/// writes one: src/staticdata_utils.c:660-674 (header), src/staticdata.c:3319-3337
/// (flags, syntax version, worklist, dependency list, module list),
/// :3428 (no clone targets), src/precompile.c (source text), then the trailer.
fn big_endian_v13() -> Vec<u8> {
    let mut ji = Vec::from(MAGIC);
    ji.extend_from_slice(&13u16.to_be_bytes());
    ji.extend_from_slice(&0xfeffu16.to_be_bytes());
    ji.push(4);
    ji.extend_from_slice(b"Linux\0ppc\x001.14.0-DEV\0master\0abc\0");
    ji.push(0); // pkgimage
    ji.extend_from_slice(&(0xfafb_fcfd_0000_0007u64).to_be_bytes());
    ji.extend_from_slice(&0u64.to_be_bytes()); // data start (a split .ji)
    ji.extend_from_slice(&0u64.to_be_bytes()); // data end
    ji.extend_from_slice(&[0x81, 5]); // cache flags, syntax version
    ji.extend_from_slice(&1i32.to_be_bytes());
    ji.extend_from_slice(b"M");
    ji.extend_from_slice(&[0x11; 24]); // UUID halves, build id low half
    ji.extend_from_slice(&0i32.to_be_bytes());
    // Dependency list: its byte count (itself to the hash), no entries, no
    // preference names, hash 9.
    let deps = [&24u64.to_be_bytes()[..], &0i32.to_be_bytes(), &0i32.to_be_bytes(), &9u64.to_be_bytes()].concat();
    ji.extend_from_slice(&deps);
    let srctext_at = ji.len();
    ji.extend_from_slice(&0u64.to_be_bytes()); // patched below
    ji.extend_from_slice(&0i32.to_be_bytes()); // module list
    ji.extend_from_slice(&0i32.to_be_bytes()); // clone targets
    let pos = ji.len() as u64;
    ji[srctext_at..srctext_at + 8].copy_from_slice(&pos.to_be_bytes());
    ji.extend_from_slice(&3i32.to_be_bytes());
    ji.extend_from_slice(b"a.jl");
    ji.truncate(ji.len() - 1); // the length says 3: "a.j"
    ji.extend_from_slice(&2u64.to_be_bytes());
    ji.extend_from_slice(b"x\n");
    ji.extend_from_slice(&0i32.to_be_bytes());
    ji.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    let crc = crate::crc::software(&ji);
    ji.extend_from_slice(&crc.to_be_bytes());
    ji
}

#[test]
fn big_endian_v13_and_every_truncation_point() {
    let ji = big_endian_v13();
    let h = Header::decode(&ji);
    assert!(h.complete, "{:?}", h.stop);
    assert_eq!((h.version, h.endian, h.pointer_size), (Some(13), Some(Endian::Big), Some(4)));
    assert_eq!((h.build_arch, h.git_commit), (Some(&b"ppc"[..]), Some(&b"abc"[..])));
    assert_eq!((h.checksum_marked(), h.heap_crc32c()), (Some(true), Some(7)));
    assert_eq!((h.cache_flags, h.syntax_version, h.layout), (Some(CacheFlags(0x81)), Some(5), Some(Layout::V1_11)));
    let m = h.worklist().next().unwrap();
    assert_eq!((m.name, m.build_id.hi, m.build_id.lo), (&b"M"[..], 0xfafb_fcfd_0000_0007, 0x1111_1111_1111_1111));
    assert!(matches!(&h.preferences, Some(Preferences::Names { hash: 9, .. })));
    assert_eq!((h.native_code(), h.source_text_len()), (Some(false), 1));
    let s = h.source_text().next().unwrap();
    assert_eq!((s.path, s.text), (&b"a.j"[..], &b"x\n"[..]));
    let t = h.trailer.unwrap();
    assert_eq!((t.offset, t.library_crc32c, t.ji_crc_ok()), (ji.len() as u64 - 8, 0x1234_5678, true));
    // The first word is the CRC-32C of the whole library file beside the .ji.
    assert!(!t.library_crc_ok(b"not the library"));
    let library = b"\x7fELF and the code";
    let recorded = Trailer { library_crc32c: crate::crc::software(library), ..t };
    assert!(recorded.library_crc_ok(library));
    for cut in 0..ji.len() {
        let h = Header::decode(&ji[..cut]);
        let stop = h.stop.expect("a prefix is never complete");
        assert!(!h.complete && h.end <= cut as u64, "cut {cut}: {stop}");
        assert_eq!(h.worklist().count(), h.worklist_len() as usize);
    }
    let mut flipped = ji.clone();
    flipped[ji.len() - 12] ^= 1;
    assert!(!Header::decode(&flipped).trailer.unwrap().ji_crc_ok());
}
