//! The signer's unit tests (moved out of sign.rs to keep it under 600 lines).
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use super::*;
// The names these tests were written with, before layout.rs.
use crate::macho::layout::CS_ADHOC as FLAG_ADHOC;
use crate::macho::layout::{CSMAGIC_BLOBWRAPPER as CMS_WRAPPER, CSMAGIC_CODEDIRECTORY as CODEDIRECTORY};
use crate::macho::layout::{CSMAGIC_EMBEDDED_SIGNATURE as SUPERBLOB, CSMAGIC_REQUIREMENTS as REQUIREMENTS};

fn be(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A CodeDirectory (version 0x20400) written field by field from
/// cs_blobs.h: identifier "lib", no special slots, one 4 KiB page.
fn directory(flags: u32, n_special: u32, page_shift: u8) -> Vec<u8> {
    let hash_offset = 88 + 4 + 32 * n_special;
    let mut cd = be(&[CODEDIRECTORY, hash_offset + 32, 0x20400, flags, hash_offset, 88, n_special, 1, 100]);
    cd.extend_from_slice(&[32, 2, 0, page_shift]);
    cd.extend(be(&[0, 0, 0, 0]));
    cd.extend(0u64.to_be_bytes()); // codeLimit64
    for v in [0u64, 0x4000, 0] {
        cd.extend(v.to_be_bytes());
    }
    cd.extend_from_slice(b"lib\0");
    cd.extend(std::iter::repeat_n(0u8, 32 * n_special as usize + 32));
    cd
}

fn superblob(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let header = 12 + 8 * blobs.len() as u32;
    let total = header + blobs.iter().map(|(_, b)| b.len() as u32).sum::<u32>();
    let mut out = be(&[SUPERBLOB, total, blobs.len() as u32]);
    let mut at = header;
    for (slot, blob) in blobs {
        out.extend(be(&[*slot, at]));
        at += blob.len() as u32;
    }
    for (_, blob) in blobs {
        out.extend_from_slice(blob);
    }
    out
}

#[test]
fn linker_signature_is_ad_hoc() {
    let sig = superblob(&[(0, directory(0x2_0002, 0, 12))]);
    let (kind, t) = read(&sig, 0x1000).unwrap();
    assert_eq!(kind, Kind::AdHoc);
    assert_eq!(t.identifier, b"lib");
    assert_eq!(t.flags(), 0x2_0002, "linker-signed is kept");
    assert_eq!(t.page_size(), 4096);
    assert_eq!(t.exec_seg, [0, 0x4000, 0]);
    // 88-byte header, "lib\0", two 32-byte page hashes for 5000 bytes.
    assert_eq!(t.len(5000), Some(12 + 8 + 88 + 4 + 64));
}

#[test]
fn codesign_ad_hoc_keeps_requirements_and_empty_cms() {
    let requirements = be(&[REQUIREMENTS, 12, 0]);
    let sig = superblob(&[(0, directory(0x2, 2, 12)), (2, requirements.clone()), (0x10000, be(&[CMS_WRAPPER, 8]))]);
    let (kind, t) = read(&sig, 0).unwrap();
    assert_eq!(kind, Kind::AdHoc);
    let encoded = t.encode(4096, &[7u8; 32]).unwrap();
    assert_eq!(encoded.len() as u64, t.len(4096).unwrap());
    // Index: CodeDirectory, requirements, CMS wrapper.
    let word = |at: usize| u32::from_be_bytes(encoded[at..at + 4].try_into().unwrap());
    assert_eq!((word(8), word(12), word(20), word(28)), (3, 0, 2, 0x10000));
    let cd = word(16) as usize;
    let hash_offset = word(cd + 16) as usize;
    // Special slot 2 (just below slot 1, below hashOffset) is SHA-256 of the blob.
    let slot2 = &encoded[cd + hash_offset - 64..cd + hash_offset - 32];
    assert_eq!(slot2, Sha256::digest(&requirements).as_slice());
    assert_eq!(&encoded[cd + hash_offset - 32..cd + hash_offset], &[0u8; 32], "slot 1 (Info.plist) absent");
    assert_eq!(&encoded[cd + hash_offset..cd + hash_offset + 32], &[7u8; 32], "page hash");
    assert_eq!(&encoded[encoded.len() - 8..], &be(&[CMS_WRAPPER, 8])[..]);
}

#[test]
fn special_slot_count_is_checked_before_the_loop() {
    // nSpecialSlots 0xffff_ffff with a 32-byte hash size: far more than fit
    // below hashOffset. Refused at once, naming the field, not a 128 GiB loop.
    let mut cd = directory(2, 0, 12);
    cd[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = read(&superblob(&[(0, cd.clone())]), 0).unwrap_err().to_string();
    assert!(err.contains("nSpecialSlots 4294967295 of 32 bytes each do not fit"), "{err}");
    // A zero hashSize leaves room for none.
    cd[24..28].copy_from_slice(&1u32.to_be_bytes());
    cd[36] = 0;
    let err = read(&superblob(&[(0, cd)]), 0).unwrap_err().to_string();
    assert!(err.contains("nSpecialSlots 1 of 0 bytes each do not fit"), "{err}");
}

#[test]
fn certificate_and_unknown_blobs() {
    let cms = [be(&[CMS_WRAPPER, 12]), vec![0x30, 0x80, 0, 0]].concat();
    let sig = superblob(&[(0, directory(0, 0, 12)), (0x10000, cms)]);
    let (kind, t) = read(&sig, 0).unwrap();
    assert_eq!(kind, Kind::Certificate);
    let t = t.ad_hoc_replacement();
    assert_eq!(t.flags(), FLAG_ADHOC);
    assert_eq!(t.special.len(), 2, "an empty requirement set is hashed in slot 2");
    assert!(t.empty_cms);

    let sig = superblob(&[(0, directory(2, 0, 12)), (0x42, be(&[0xfade_0000, 8]))]);
    let err = read(&sig, 0x500).unwrap_err().to_string();
    assert!(err.contains("unknown slot type 0x42"), "{err}");

    let sig = superblob(&[(0, directory(2, 0, 13))]);
    let err = read(&sig, 0).unwrap_err().to_string();
    assert!(err.contains("page size 2^13"), "{err}");
}
