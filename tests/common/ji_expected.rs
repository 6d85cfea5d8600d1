//! What `jiscan show --json` must print for a `.ji` the test-side writer
//! made: the `ji` object, key by key, computed from what the writer put in
//! (never from pkgimg's decoder). Used by tests/ji_show_check.rs and, for the
//! corpus's expected.json, by examples/ji_corpus_payloads.rs.
//!
//! Include next to `ji_writer` (it uses `crate::ji_writer`).
#![allow(dead_code, clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use serde_json::{json, Value};

use crate::ji_writer::{self, Cache, Dep, Prefs};

/// A build id as `show` prints it: `0x` and 32 hex digits.
pub fn hex(v: (u64, u64)) -> String {
    format!("0x{:016x}{:016x}", v.0, v.1)
}

/// A UUID as 8-4-4-4-12.
pub fn uuid(v: (u64, u64)) -> String {
    let h = format!("{:016x}{:016x}", v.0, v.1);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The `includes` and `requires` lists `show --json` must print for `cache`.
pub fn expected_dependencies(cache: &Cache) -> (Vec<Value>, Vec<Value>) {
    let name_of = |i: u32| cache.worklist[i as usize - 1].name.clone();
    let sizes = cache.release.fsize_and_hash();
    let mut includes = Vec::new();
    let mut requires = Vec::new();
    for d in &cache.deps {
        match d {
            Dep::Include { path, fsize, hash, mtime, module, sub_path } => {
                let mut module_path: Vec<String> = if *module == 0 { vec![] } else { vec![name_of(*module)] };
                module_path.extend(sub_path.iter().cloned());
                includes.push(json!({
                    "path": path,
                    "fsize": sizes.then_some(*fsize),
                    "hash": sizes.then_some(*hash),
                    "mtime": mtime,
                    "module_path": module_path,
                }));
            }
            Dep::Require { by, name, uuid: u, .. } => {
                requires.push(json!({"name": name, "uuid": uuid(*u), "by": (*by > 0).then(|| name_of(*by))}));
            }
        }
    }
    (includes, requires)
}

/// The `ji` object `show --json` must print for `cache`, key by key.
pub fn expected_json(cache: &Cache, library_crc: u32) -> Value {
    let w = cache.write();
    let ji = w.ji(library_crc, cache.big_endian);
    let v = cache.release.format_version();
    let worklist: Vec<Value> = cache
        .worklist
        .iter()
        .map(|m| json!({"name": m.name, "uuid": uuid(m.uuid), "build_id": hex((w.checksum, m.build_lo))}))
        .collect();
    let (includes, requires) = expected_dependencies(cache);
    let preferences = match &cache.prefs {
        Prefs::Names { names, hash } => json!({"names": names, "hash": hash, "blob": null}),
        Prefs::Blob(blob) => json!({"names": null, "hash": null, "blob": blob}),
    };
    let required: Vec<Value> = cache
        .required
        .iter()
        .map(|m| json!({"name": m.name, "uuid": uuid(m.uuid), "build_id": hex(m.build_id)}))
        .collect();
    let split = cache.native.is_some();
    json!({
        "format_version": v,
        "pointer_size": cache.pointer_size,
        "uname": cache.uname,
        "arch": cache.arch,
        "julia_version": cache.julia_version,
        "gc_abi": (v >= 15).then_some(&cache.gc_abi),
        "flags": (v >= 14).then(|| json!({"raw": 1 | if split { 2 } else { 0 }, "pkgimage": true, "split": split})),
        "pkgimage": (v < 14).then_some(0),
        "kind": "cache",
        "branch": cache.branch,
        "commit": cache.commit,
        "checksum": w.checksum,
        "data_start": w.data_start,
        "data_end": w.data_end,
        "cache_flags": {
            "raw": cache.cache_flags,
            "use_pkgimages": cache.cache_flags & 1 != 0,
            "debug_level": (cache.cache_flags >> 1) & 3,
            "check_bounds": (cache.cache_flags >> 3) & 3,
            "inline": (cache.cache_flags >> 5) & 1 != 0,
            "opt_level": cache.cache_flags >> 6,
        },
        "syntax_version": (v >= 13).then_some(cache.syntax_version),
        "worklist": worklist,
        "dependency_bytes": w.dependency_bytes,
        "includes": includes,
        "requires": requires,
        "preferences": preferences,
        "srctextpos": w.srctextpos,
        "required_modules": required,
        "clone_targets_size": w.clone_targets.len(),
        "clone_targets": cache.native.clone().unwrap_or_default().iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "trailer": {
            "offset": ji.len() - 8,
            "library_crc32c": library_crc,
            "ji_crc32c": ji_writer::crc32c(&ji[..ji.len() - 4]),
            "computed_crc32c": ji_writer::crc32c(&ji[..ji.len() - 4]),
            "ji_crc_ok": true,
        },
        "complete": true,
        "stopped": null,
        "stopped_at": null,
    })
}
