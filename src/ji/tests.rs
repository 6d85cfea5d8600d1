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
    big_endian_v13_with(&[])
}

/// [`big_endian_v13`] with the clone targets `blob`.
fn big_endian_v13_with(blob: &[u8]) -> Vec<u8> {
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
    ji.extend_from_slice(&(blob.len() as i32).to_be_bytes()); // clone targets
    ji.extend_from_slice(blob);
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

/// A clone-targets blob as master's `parse_image_target` reads it
/// (base/loading.jl:1994-2007, as at ad84450): per target `Int32` flags,
/// base and word count, `8*nwords` bytes enabled and as many disabled, then
/// the name and the extra features, each `Int32`-length-prefixed.
fn wide_blob() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]); // flags 0, base -1, 1 word
    b.extend_from_slice(&[0xaa; 16]);
    b.extend_from_slice(&7i32.to_le_bytes());
    b.extend_from_slice(b"generic");
    b.extend_from_slice(&0i32.to_le_bytes());
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]); // flags 1, base 0, 2 words
    b.extend_from_slice(&[0x55; 32]);
    b.extend_from_slice(&9i32.to_le_bytes());
    b.extend_from_slice(b"x86-64-v3");
    b.extend_from_slice(&6i32.to_le_bytes());
    b.extend_from_slice(b"-rdrnd");
    b
}

fn targets(blob: &[u8], at: u64, wide: bool) -> Vec<Result<CloneTarget<'_>, Stop>> {
    let data = Data::new(blob, 0, "the .ji data");
    CloneTargets { cursor: Cursor::new(data, at), left: None, failed: false, wide }.collect()
}

#[test]
fn clone_targets_from_format_14_carry_a_base_and_u64_words() {
    let blob = wide_blob();
    let got = targets(&blob, 0, true);
    let want = [
        CloneTarget { flags: 0, base: Some(-1), name: b"generic", feature_words: 1, ext_features: b"", offset: 4 },
        CloneTarget {
            flags: 1,
            base: Some(0),
            name: b"x86-64-v3",
            feature_words: 2,
            ext_features: b"-rdrnd",
            offset: 47,
        },
    ];
    assert_eq!(got, want.map(Ok));
    // Read as formats 12 and 13 read it, the base -1 is the word count.
    let stop = targets(&blob, 0, false).pop().unwrap().unwrap_err();
    assert_eq!((stop.offset, stop.reason), (8, Reason::NegativeLength(-1)));
}

#[test]
fn a_clone_target_stop_names_its_offset_in_the_ji() {
    // One target whose name length runs past the blob's 16 bytes.
    let mut blob = Vec::new();
    for word in [1i32, 0, 0, 40] {
        blob.extend_from_slice(&word.to_be_bytes());
    }
    let ji = big_endian_v13_with(&blob);
    let blob_at = ji.windows(16).position(|w| w == blob).unwrap();
    let h = Header::decode(&ji);
    assert_eq!(h.clone_targets, Some(&blob[..]));
    let stop = h.clone_target_list().last().unwrap().unwrap_err();
    // The name's 40 bytes would start at the blob's end, not past the .ji's.
    let name_at = (blob_at + 16) as u64;
    assert_eq!((stop.offset, stop.field), (name_at, "clone target name"));
    assert_eq!(stop.reason, Reason::Truncated { needed: 40, available: 0 });
}

#[test]
fn clone_targets_end_for_good_after_a_count_of_zero() {
    // A count of 0, then bytes that would read as a count of 1 and a target.
    let mut blob = Vec::from(0i32.to_le_bytes());
    blob.extend_from_slice(&wide_blob());
    let data = Data::new(&blob, 0, "the .ji data");
    let mut list = CloneTargets { cursor: Cursor::new(data, 0), left: None, failed: false, wide: true };
    assert_eq!((list.next(), list.next(), list.next()), (None, None, None));
}

/// Julia's `srctext_files` on hand-made bytes (master base/loading.jl:
/// 4112-4125): each entry is an `Int32` name length, the name and a `UInt64`
/// text length, after which Julia seeks `len` bytes on, wrapping as `UInt64`.
#[test]
fn srctext_files_ends_where_julia_does() {
    let entry = |name: &[u8], len: u64| {
        let mut b = (name.len() as i32).to_le_bytes().to_vec();
        b.extend_from_slice(name);
        b.extend_from_slice(&len.to_le_bytes());
        b
    };
    let ends = |bytes: &[u8], pos: u64| tail::srctext_files_ends(Data::new(bytes, 0, "the .ji data"), pos);
    // 16 zero bytes, then entries at 16.
    let mut file = vec![0u8; 16];
    file.extend(entry(b"a.jl", 3));
    file.extend_from_slice(b"abc");
    file.extend_from_slice(&0i32.to_le_bytes());
    assert!(ends(&file, 16), "an Int32 0 ends the loop");
    assert!(ends(&file, file.len() as u64 + 5), "a position past the end is eof");
    assert!(!ends(&file, 1 << 63), "a negative position fails the seek");
    assert!(!ends(&file, file.len() as u64 - 2), "two bytes left for an Int32: EOFError");
    // An entry whose length wraps back onto itself: Julia never leaves it,
    // found however long the file (a mebibyte of zeros after it here).
    let mut looping = vec![0u8; 16];
    looping.extend(entry(b"a.jl", (16u64).wrapping_sub(16 + 16)));
    looping.resize(1 << 20, 0xff);
    assert!(!ends(&looping, 16));
    // Two entries that send Julia back and forth.
    let mut two = vec![0xffu8; 16];
    let first = entry(b"a", 0); // to the next entry at 16 + 13
    let second_at = 16 + first.len() as u64;
    two.extend(first);
    two.extend(entry(b"b", 16u64.wrapping_sub(second_at + 13))); // back to 16
    two.resize(1 << 20, 0xff);
    assert!(!ends(&two, 16));
    // Back onto four zero bytes: the loop ends.
    let mut back = vec![0u8; 16];
    back.extend(entry(b"a.jl", 4u64.wrapping_sub(16 + 16)));
    back.resize(64, 0xff);
    assert!(ends(&back, 16));
}
