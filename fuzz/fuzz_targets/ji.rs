//! Arbitrary bytes to the `.ji` decoder: no panic, no read outside the input,
//! and a stop that names its offset. Seed it with the writer's fixtures:
//! `cargo run --example ji_corpus_payloads -- fuzz/corpus/ji --all`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgimg::ji::{Dependency, Header, Preferences};

/// Whether `part` lies inside `whole` (a view of the input, not a copy).
fn inside(whole: &[u8], part: &[u8]) -> bool {
    let (start, end) = (whole.as_ptr() as usize, whole.as_ptr() as usize + whole.len());
    let p = part.as_ptr() as usize;
    part.is_empty() || (p >= start && p + part.len() <= end)
}

fuzz_target!(|bytes: &[u8]| {
    let h = Header::decode(bytes);
    assert_eq!(h.complete, h.stop.is_none());
    assert!(h.end <= bytes.len() as u64);
    if let Some(stop) = h.stop {
        assert!(stop.to_string().contains(&format!("at offset {:#x}", stop.offset)));
        let _ = stop.at(1 << 40).to_string();
    }
    for s in [h.build_os, h.build_arch, h.julia_version, h.gc_abi, h.git_branch, h.git_commit, h.clone_targets] {
        assert!(s.map_or(true, |s| inside(bytes, s)));
    }
    assert!(h.worklist().count() <= h.worklist_len() as usize);
    for m in h.worklist().chain(h.required_modules()) {
        assert!(inside(bytes, m.name));
        let _ = (m.uuid.to_string(), m.build_id.to_string());
    }
    let mut deps = 0usize;
    for d in h.dependencies() {
        deps += 1;
        match d {
            Dependency::Include(i) => {
                assert!(inside(bytes, i.path));
                assert!(i.module_path.clone().all(|n| inside(bytes, n)));
            }
            Dependency::Require(r) => assert!(inside(bytes, r.name)),
        }
    }
    if h.complete && h.layout.is_some() {
        assert_eq!(deps, (h.includes_len() + h.requires_len()) as usize);
    }
    if let Some(Preferences::Names { names, .. }) = &h.preferences {
        assert!(names.clone().all(|n| inside(bytes, n)));
    }
    for t in h.clone_target_list().take(1000) {
        if let Ok(t) = t {
            assert!(inside(bytes, t.name) && inside(bytes, t.ext_features));
        }
    }
    for s in h.source_text() {
        assert!(inside(bytes, s.path) && inside(bytes, s.text));
    }
    if let Some(t) = h.trailer {
        assert_eq!(t.offset, bytes.len() as u64 - 8);
        assert_eq!(t.computed_crc32c, pkgimg::crc::crc32c(&bytes[..bytes.len() - 4]));
        let _ = h.cache_flags.map(|f| f.to_string());
    }
});
