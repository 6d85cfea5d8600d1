//! `pkgimg::ji` against `.ji` files written the way each Julia release
//! writes them (tests/common/ji_writer.rs follows Julia's writers field by
//! field): every decoded value is what the writer put in; every truncation
//! and damaged byte stops decoding with a message that names the offset.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/ji_samples.rs"]
mod ji_samples;
#[path = "common/ji_writer.rs"]
mod ji_writer;

use ji_samples::{realistic, RELEASES};
use ji_writer::{Cache, Dep, Prefs, Release, Written};
use pkgimg::ji::{Dependency, Header, ImageFlags, Kind, Layout, Preferences, Reason};
use pkgimg::Endian;

/// The layout each release writes (the decoder must find the same one).
fn layout_of(release: Release) -> Layout {
    match release {
        Release::V1_9 | Release::V1_10 => Layout::V1_9,
        Release::V1_11 | Release::V1_12 | Release::Master13 => Layout::V1_11,
        Release::V1_13 | Release::Master14 | Release::Master15 => Layout::V1_13,
    }
}

/// Every variant: release × native code or not × (little-endian 64-bit,
/// big-endian 32-bit).
fn variants() -> Vec<(String, Cache)> {
    let mut out = Vec::new();
    for release in RELEASES {
        for native in [true, false] {
            for big in [false, true] {
                let mut cache = realistic(release, native);
                if big {
                    cache.big_endian = true;
                    cache.pointer_size = 4;
                    cache.arch = "powerpc".into();
                }
                let name = format!("{release:?} native={native} big={big}");
                out.push((name, cache));
            }
        }
    }
    out
}

fn s(bytes: Option<&[u8]>) -> Option<&str> {
    bytes.map(|b| std::str::from_utf8(b).unwrap())
}

/// Every field of `h` against what the writer put in.
fn assert_cache(name: &str, cache: &Cache, w: &Written, ji: &[u8], library_crc: u32, h: &Header<'_>) {
    let v = cache.release.format_version();
    assert!(h.complete, "{name}: {:?}", h.stop);
    assert_eq!(h.stop, None, "{name}");
    assert_eq!(h.version, Some(v), "{name}");
    assert_eq!(h.endian, Some(if cache.big_endian { Endian::Big } else { Endian::Little }), "{name}");
    assert_eq!(h.pointer_size, Some(cache.pointer_size), "{name}");
    assert_eq!(s(h.build_os), Some(cache.uname.as_str()), "{name}");
    assert_eq!(s(h.build_arch), Some(cache.arch.as_str()), "{name}");
    assert_eq!(s(h.julia_version), Some(cache.julia_version.as_str()), "{name}");
    assert_eq!(s(h.gc_abi), (v >= 15).then_some(cache.gc_abi.as_str()), "{name}");
    let flags = 1 | if cache.native.is_some() { 2 } else { 0 };
    assert_eq!(h.image_flags, (v >= 14).then_some(ImageFlags(flags)), "{name}");
    assert_eq!(h.pkgimage, (v < 14).then_some(0), "{name}");
    assert_eq!(h.kind, Some(Kind::Cache), "{name}");
    assert_eq!(s(h.git_branch), Some(cache.branch.as_str()), "{name}");
    assert_eq!(s(h.git_commit), Some(cache.commit.as_str()), "{name}");
    assert_eq!(
        (h.checksum, h.data_start, h.data_end),
        (Some(w.checksum), Some(w.data_start), Some(w.data_end)),
        "{name}"
    );
    assert_eq!(h.heap_crc32c(), Some(ji_writer::crc32c(&cache.heap)), "{name}");
    assert_eq!(h.checksum_marked(), (v < 14).then_some(true), "{name}");
    assert_eq!(h.cache_flags.map(|f| f.0), Some(cache.cache_flags), "{name}");
    assert_eq!(h.syntax_version, (v >= 13).then_some(cache.syntax_version), "{name}");
    assert_eq!(h.end, w.header_end, "{name}");

    let worklist: Vec<_> = h.worklist().collect();
    assert_eq!(worklist.len(), cache.worklist.len(), "{name}");
    assert_eq!(h.worklist_len() as usize, cache.worklist.len(), "{name}");
    for (got, want) in worklist.iter().zip(&cache.worklist) {
        assert_eq!(got.name, want.name.as_bytes(), "{name}");
        assert_eq!((got.uuid.hi, got.uuid.lo), want.uuid, "{name}");
        // The loader's build id: checksum << 64 | the stored low half.
        assert_eq!((got.build_id.hi, got.build_id.lo), (w.checksum, want.build_lo), "{name}");
    }
    assert_eq!(h.package(), Some(cache.worklist[0].name.as_bytes()), "{name}");

    assert_eq!(h.layout, Some(layout_of(cache.release)), "{name}");
    assert_eq!(h.dependency_bytes, Some(w.dependency_bytes), "{name}");
    assert_dependencies(name, cache, h);
    assert_preferences(name, cache, h);
    assert_eq!(h.srctext_pos, Some(w.srctextpos), "{name}");

    let required: Vec<_> = h.required_modules().collect();
    assert_eq!(required.len(), cache.required.len(), "{name}");
    for (got, want) in required.iter().zip(&cache.required) {
        assert_eq!(got.name, want.name.as_bytes(), "{name}");
        assert_eq!((got.uuid.hi, got.uuid.lo), want.uuid, "{name}");
        assert_eq!((got.build_id.hi, got.build_id.lo), want.build_id, "{name}");
    }

    assert_tail(name, cache, w, ji, library_crc, h);
}

/// The clone targets, the source text and the trailer.
fn assert_tail(name: &str, cache: &Cache, w: &Written, ji: &[u8], library_crc: u32, h: &Header<'_>) {
    assert_eq!(h.clone_targets, Some(w.clone_targets.as_slice()), "{name}");
    assert_eq!(h.native_code(), Some(cache.native.is_some()), "{name}");
    let targets: Vec<_> = h.clone_target_list().map(|t| t.unwrap()).collect();
    let want_targets = cache.native.clone().unwrap_or_default();
    assert_eq!(targets.len(), want_targets.len(), "{name}");
    for (got, want) in targets.iter().zip(&want_targets) {
        assert_eq!(
            (got.flags, got.name, got.ext_features),
            (want.flags, want.name.as_bytes(), want.ext_features.as_bytes())
        );
        assert_eq!(got.feature_words as usize, want.words(cache.release).len(), "{name}");
        let base = (cache.release.format_version() >= 14).then_some(want.base);
        assert_eq!(got.base, base, "{name}");
    }

    let sources: Vec<_> = h.source_text().collect();
    assert_eq!(sources.len(), cache.sources.len(), "{name}");
    for (got, (path, text)) in sources.iter().zip(&cache.sources) {
        assert_eq!((got.path, got.text), (path.as_bytes(), text.as_slice()), "{name}");
        let at = got.text_offset as usize;
        assert_eq!(&ji[at..at + text.len()], text.as_slice(), "{name}: text offset");
    }
    assert_eq!(h.srctext_end, Some(ji.len() as u64 - 8), "{name}: the source text ends at the trailer");

    let t = h.trailer.expect("a trailer");
    assert_eq!(t.offset, ji.len() as u64 - 8, "{name}");
    assert_eq!(t.library_crc32c, library_crc, "{name}");
    assert_eq!(t.ji_crc32c, ji_writer::crc32c(&ji[..ji.len() - 4]), "{name}");
    assert!(t.ji_crc_ok(), "{name}");
}

fn assert_dependencies(name: &str, cache: &Cache, h: &Header<'_>) {
    let deps: Vec<_> = h.dependencies().collect();
    assert_eq!(deps.len(), cache.deps.len(), "{name}");
    let worklist_name = |i: u32| (i > 0).then(|| cache.worklist[i as usize - 1].name.as_bytes());
    let sizes = cache.release.fsize_and_hash();
    for (got, want) in deps.iter().zip(&cache.deps) {
        match (got, want) {
            (Dependency::Include(g), Dep::Include { path, fsize, hash, mtime, module, sub_path }) => {
                assert_eq!(g.path, path.as_bytes(), "{name}");
                assert_eq!((g.fsize, g.hash), (sizes.then_some(*fsize), sizes.then_some(*hash)), "{name}");
                assert_eq!(g.mtime.to_bits(), mtime.to_bits(), "{name}");
                assert_eq!((g.module, h.worklist_module(g.module)), (*module, worklist_name(*module)), "{name}");
                let sub: Vec<&[u8]> = g.module_path.clone().collect();
                assert_eq!(sub, sub_path.iter().map(|s| s.as_bytes()).collect::<Vec<_>>(), "{name}");
            }
            (Dependency::Require(g), Dep::Require { by, name: pkg, uuid, .. }) => {
                assert_eq!((g.name, (g.uuid.hi, g.uuid.lo)), (pkg.as_bytes(), *uuid), "{name}");
                assert_eq!((g.by, h.worklist_module(g.by)), (*by, worklist_name(*by)), "{name}");
            }
            (got, want) => panic!("{name}: decoded {got:?}, wrote {want:?}"),
        }
    }
    let includes = cache.deps.iter().filter(|d| matches!(d, Dep::Include { .. })).count();
    assert_eq!((h.includes_len() as usize, h.includes().count()), (includes, includes), "{name}");
    let requires = cache.deps.len() - includes;
    assert_eq!((h.requires_len() as usize, h.requires().count()), (requires, requires), "{name}");
}

fn assert_preferences(name: &str, cache: &Cache, h: &Header<'_>) {
    match (&h.preferences, &cache.prefs) {
        (Some(Preferences::Names { names, hash }), Prefs::Names { names: want, hash: want_hash }) => {
            let got: Vec<&[u8]> = names.clone().collect();
            assert_eq!(got, want.iter().map(|n| n.as_bytes()).collect::<Vec<_>>(), "{name}");
            assert_eq!(hash, want_hash, "{name}");
        }
        (Some(Preferences::Blob(blob)), Prefs::Blob(want)) => assert_eq!(*blob, want.as_bytes(), "{name}"),
        (got, want) => panic!("{name}: decoded {got:?}, wrote {want:?}"),
    }
}

#[test]
fn every_release_and_variant_decodes_to_what_the_writer_wrote() {
    for (name, cache) in variants() {
        let w = cache.write();
        let library_crc = if cache.native.is_some() { 0x1357_9bdf } else { 0 };
        let ji = w.ji(library_crc, cache.big_endian);
        let h = Header::decode(&ji);
        assert_cache(&name, &cache, &w, &ji, library_crc, &h);
    }
}

/// Formats 12 and 13 with native code: the `.ji` has no heap (start = end =
/// 0), and the library's `jl_system_image_data` starts with a copy of the
/// header (pkgimage 1) followed by the module list, not the worklist.
#[test]
fn split_12_13_ji_has_no_heap_and_the_library_copy_has_the_module_list() {
    for release in RELEASES.into_iter().filter(|r| r.format_version() < 14) {
        let cache = realistic(release, true);
        let w = cache.write();
        assert_eq!((w.data_start, w.data_end), (0, 0));
        let copy = w.library_data.clone().expect("a library copy");
        let h = Header::decode(&copy);
        let name = format!("{release:?} library copy");
        assert!(h.complete, "{name}: {:?}", h.stop);
        assert_eq!((h.kind, h.pkgimage), (Some(Kind::LibraryCopy), Some(1)), "{name}");
        assert_eq!(h.checksum, Some(w.checksum), "{name}: the same checksum as the .ji");
        let (start, end) = (h.data_start.unwrap() as usize, h.data_end.unwrap() as usize);
        assert_eq!(&copy[start..end], cache.heap.as_slice(), "{name}: positions count from the copy");
        assert_eq!(start % 64, 0, "{name}: JL_CACHE_BYTE_ALIGNMENT");
        assert_eq!(h.cache_flags.map(|f| f.0), Some(cache.cache_flags), "{name}");
        assert_eq!(h.syntax_version, (release.format_version() == 13).then_some(1), "{name}");
        assert_eq!(h.worklist_len(), 0, "{name}: no worklist in the copy");
        let names: Vec<&[u8]> = h.required_modules().map(|m| m.name).collect();
        assert_eq!(names, cache.required.iter().map(|m| m.name.as_bytes()).collect::<Vec<_>>(), "{name}");
        assert_eq!((h.trailer, h.layout, h.clone_targets), (None, None, None), "{name}");
    }
}

/// The bug issue 12 reports: a format 14 header read with the 12 layout
/// gave branch "\x03" and an empty commit.
#[test]
fn format_14_and_15_headers_are_read_with_their_own_layout() {
    for release in [Release::Master14, Release::Master15] {
        let cache = realistic(release, true);
        let ji = cache.write().ji(0, false);
        let h = Header::decode(&ji);
        assert_eq!(s(h.git_branch), Some("master"));
        assert_eq!(s(h.git_commit), Some(cache.commit.as_str()));
        assert_eq!(h.image_flags.map(|f| (f.pkgimage(), f.split())), Some((true, true)));
        // The heap is in the .ji, at the positions the header gives.
        let (start, end) = (h.data_start.unwrap() as usize, h.data_end.unwrap() as usize);
        assert_eq!(&ji[start..end], cache.heap.as_slice());
    }
}

/// Within format 12 the Julia version picks the layout, and the byte count
/// confirms it: a 1.10 file whose version string was changed to 1.11 is
/// still read with the 1.9 layout, and one with a wrong count stops there.
#[test]
fn the_byte_count_confirms_the_layout() {
    let cache = realistic(Release::V1_10, false);
    let w = cache.write();
    let mut ji = w.ji(0, false);
    let at = w.fields.iter().find(|f| f.0 == "Julia version string").unwrap().1 as usize;
    assert_eq!(&ji[at..at + 6], b"1.10.9");
    ji[at + 3] = b'1'; // "1.11.9"
    let h = Header::decode(&ji);
    assert_eq!(s(h.julia_version), Some("1.11.9"));
    assert_eq!(h.layout, Some(Layout::V1_9), "{:?}", h.stop);
    assert!(h.stop.is_none() || matches!(h.stop.unwrap().field, "trailer"));

    let deps_at = w.fields.iter().find(|f| f.0 == "dependency list").unwrap().1 as usize;
    let mut bad = w.ji(0, false);
    bad[deps_at] ^= 0x01; // the byte count, off by one
    let h = Header::decode(&bad);
    let stop = h.stop.expect("a stop");
    assert_eq!(stop.offset, deps_at as u64);
    assert!(matches!(stop.reason, Reason::DependencyBytes { .. }), "{stop}");
    assert!(stop.to_string().contains(&format!("offset {deps_at:#x}")), "{stop}");
}

/// Every prefix of every fixture: no panic, a stop inside the data (or at a
/// recorded position past it), a message naming the offset, and at each
/// field the writer recorded, exactly that field's offset.
#[test]
fn truncation_at_every_length() {
    for (name, cache) in variants().into_iter().filter(|(n, _)| n.ends_with("big=false")) {
        let w = cache.write();
        let ji = w.ji(0, cache.big_endian);
        for cut in 0..ji.len() {
            let h = Header::decode(&ji[..cut]);
            let stop = h.stop.unwrap_or_else(|| panic!("{name}: a {cut}-byte prefix decoded completely"));
            assert!(!h.complete && h.end <= cut as u64, "{name} cut {cut}: {stop}");
            assert!(stop.to_string().contains(&format!("at offset {:#x}", stop.offset)), "{name}: {stop}");
            assert!(stop.at(0x1000).to_string().contains(&format!("file offset {:#x}", 0x1000 + stop.offset)));
            exhaust(&h);
        }
        for &(field, at) in &w.fields {
            let stop = Header::decode(&ji[..at as usize]).stop.unwrap();
            // Cut where the source text starts right after the header (a
            // split 12/13 .ji), there is no room left for the trailer.
            let no_trailer = matches!(stop.reason, Reason::NoRoomForTrailer { header_end } if header_end + 8 > at);
            assert!(stop.offset == at || (field == "source text" && no_trailer), "{name}: cut at {field}: {stop}");
        }
    }
}

/// Walks every iterator of a header to its end.
fn exhaust(h: &Header<'_>) -> usize {
    h.worklist().count()
        + h.dependencies().count()
        + h.includes().count()
        + h.requires().count()
        + h.required_modules().count()
        + h.clone_target_list().count()
        + h.source_text().count()
        + match &h.preferences {
            Some(Preferences::Names { names, .. }) => names.clone().count(),
            _ => 0,
        }
}

/// Every byte of the header part of every fixture set to 0x00, 0x7f, 0x80,
/// 0xff and flipped: no panic, the iterators end, and a stop names its offset.
#[test]
fn every_header_byte_damaged() {
    for (name, cache) in variants() {
        let w = cache.write();
        let ji = w.ji(0, cache.big_endian);
        let mut damaged = ji.clone();
        for at in 0..(w.header_end as usize).min(ji.len()) {
            for value in [0x00, 0x7f, 0x80, 0xff, !ji[at]] {
                damaged[at] = value;
                let h = Header::decode(&damaged);
                assert!(h.end <= damaged.len() as u64, "{name} byte {at:#x}");
                if let Some(stop) = h.stop {
                    assert!(stop.to_string().contains(&format!("at offset {:#x}", stop.offset)), "{name}");
                } else if h.kind == Some(Kind::Cache) {
                    // Undetected by the structure: the CRC must say so.
                    let t = h.trailer.expect("a trailer");
                    assert_eq!(t.ji_crc_ok(), value == ji[at], "{name} byte {at:#x} = {value:#x}");
                }
                exhaust(&h);
            }
            damaged[at] = ji[at];
        }
    }
}

/// Hand-made damage the sweeps may not reach: a negative length, a worklist
/// index past the worklist, a short requires entry, unknown versions.
#[test]
fn each_reason_names_its_field() {
    let cache = realistic(Release::V1_11, false);
    let w = cache.write();
    let ji = w.ji(0, false);
    let worklist_at = w.fields.iter().find(|f| f.0 == "worklist").unwrap().1 as usize;
    let mut bad = ji.clone();
    bad[worklist_at..worklist_at + 4].copy_from_slice(&(-5i32).to_le_bytes());
    let stop = Header::decode(&bad).stop.unwrap();
    assert_eq!((stop.offset, stop.reason), (worklist_at as u64, Reason::NegativeLength(-5)));

    for version in [11u16, 16] {
        let mut bad = ji.clone();
        bad[8..10].copy_from_slice(&version.to_le_bytes());
        let h = Header::decode(&bad);
        assert_eq!(h.version, Some(version));
        assert_eq!(h.stop.map(|s| (s.offset, s.reason)), Some((8, Reason::UnknownVersion(version))));
    }

    // The first include's module index (1) set to 9, past the 3-module worklist.
    let deps_at = w.fields.iter().find(|f| f.0 == "dependency list").unwrap().1 as usize;
    let path_len = cache.deps.iter().find_map(|d| match d {
        Dep::Include { path, .. } => Some(path.len()),
        _ => None,
    });
    let index_at = deps_at + 8 + 4 + path_len.unwrap() + 8 + 4 + 8;
    assert_eq!(&ji[index_at..index_at + 4], &1i32.to_le_bytes());
    let mut bad = ji.clone();
    bad[index_at] = 9;
    let stop = Header::decode(&bad).stop.unwrap();
    assert_eq!(stop.reason, Reason::ModuleIndex { index: 9, worklist: 3 });
    assert_eq!(stop.offset, index_at as u64);

    let mut short = realistic(Release::V1_11, false);
    short.deps =
        vec![Dep::Include { path: "\0short".into(), fsize: 0, hash: 0, mtime: 0.0, module: 1, sub_path: vec![] }];
    let ji = short.write().ji(0, false);
    let stop = Header::decode(&ji).stop.unwrap();
    assert_eq!(stop.reason, Reason::ShortRequire { len: 6 });
}

/// A system image (format 14, no JI_FLAG_PKGIMAGE) has no branch or commit
/// and nothing after the data positions.
#[test]
fn format_14_system_image_header() {
    let mut ji = Vec::from(pkgimg::ji::MAGIC);
    ji.extend_from_slice(&14u16.to_le_bytes()); // master src/staticdata_utils.c:728
    ji.extend_from_slice(&0xfeffu16.to_le_bytes()); // :729
    ji.push(8); // :730
    ji.extend_from_slice(b"Linux\0x86_64\x001.14.0-DEV\0"); // :731-733
    ji.extend_from_slice(&0u32.to_le_bytes()); // ad84450 :734 flags: neither bit
    ji.extend_from_slice(&0xdead_beefu32.to_le_bytes()); // :741 checksum
    ji.extend_from_slice(&64u64.to_le_bytes()); // :742 datastartpos
    ji.extend_from_slice(&128u64.to_le_bytes()); // :743 dataendpos
    let header_end = ji.len() as u64;
    ji.resize(128, 0);
    let h = Header::decode(&ji);
    assert!(h.complete, "{:?}", h.stop);
    assert_eq!((h.kind, h.image_flags), (Some(Kind::SystemImage), Some(ImageFlags(0))));
    assert_eq!((h.git_branch, h.git_commit, h.checksum), (None, None, Some(0xdead_beef)));
    assert_eq!((h.end, h.trailer, h.cache_flags), (header_end, None, None));
}
