//! Every file of the corpus (real linker outputs, see corpus/README.md) gives
//! exactly the values corpus/build.py recorded in expected.json from its own
//! knowledge of each payload, cross-checked there against llvm-readobj.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use pkgimg::Error;
use serde_json::Value;

fn check_payload(ctx: &str, entry: &Value, got: &pkgimg::Payload<'_>, file: &[u8]) {
    let want = &entry["payload"];
    assert_eq!(got.offset(), want["offset"].as_u64().unwrap(), "{ctx}: offset");
    assert_eq!(got.size(), want["size"].as_u64().unwrap(), "{ctx}: size");
    assert_eq!(u64::from(got.frame().payload_crc32c), want["crc32c"].as_u64().unwrap(), "{ctx}: frame CRC");
    let start = got.offset() as usize;
    assert_eq!(got.data(), &file[start..start + got.size() as usize], "{ctx}: data");
}

fn check_error(ctx: &str, class: &str, err: &Error) {
    let ok = match class {
        "truncated" => matches!(err, Error::Truncated { .. }),
        "version" => matches!(err, Error::FrameVersion { .. }),
        "no_frame" => matches!(err, Error::NoFrame { .. }),
        "ambiguous" => matches!(err, Error::Ambiguous { .. }),
        "payload_out_of_bounds" => {
            matches!(err, Error::Truncated { what: "payload", .. } | Error::Overflow { what: "payload", .. })
        }
        other => panic!("{ctx}: unknown error class {other}"),
    };
    assert!(ok, "{ctx}: expected a {class} error, got: {err}");
}

#[test]
fn every_corpus_entry_matches_expected_json() {
    let entries = common::expected();
    assert!(entries.len() >= 40, "expected.json has {} entries", entries.len());
    for entry in &entries {
        let name = entry["file"].as_str().unwrap();
        let ctx = format!("{name} slice {}", entry["slice"]);
        let file = std::fs::read(common::corpus().join(name)).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let slice = match entry["slice"].as_u64() {
            Some(i) => pkgimg::slices(&file).unwrap().nth(i as usize).unwrap().unwrap(),
            None => {
                assert!(pkgimg::slices(&file).unwrap().count() == 1, "{ctx}: not thin");
                pkgimg::slices(&file).unwrap().next().unwrap().unwrap()
            }
        };
        let result = slice.find_ji_payload();
        let error = entry.get("error").and_then(Value::as_str);
        match (error, &result) {
            (None, Ok(p)) => {
                check_payload(&ctx, entry, p, &file);
                p.verify().unwrap_or_else(|e| panic!("{ctx}: {e}"));
            }
            (Some("crc_mismatch"), Ok(p)) => {
                check_payload(&ctx, entry, p, &file);
                assert!(matches!(p.verify(), Err(Error::ChecksumMismatch { .. })), "{ctx}: CRC must not verify");
            }
            (None, Err(Error::NoContainer { .. })) => assert!(entry["payload"].is_null(), "{ctx}: payload not found"),
            (Some(class), Err(e)) => check_error(&ctx, class, e),
            (_, r) => panic!("{ctx}: unexpected result {r:?}"),
        }
        // The image's identity, whether or not it carries a payload.
        if let Ok(lookup) = slice.find_section(".jlji").or_else(|_| slice.find_section("__JULIA,__ji")) {
            let image = lookup.image;
            assert_eq!(image.format.name(), entry["format"].as_str().unwrap(), "{ctx}: format");
            assert_eq!(u64::from(image.bits), entry["bits"].as_u64().unwrap(), "{ctx}: bits");
            assert_eq!(image.endian.name(), entry["endian"].as_str().unwrap(), "{ctx}: endian");
            assert_eq!(image.arch.to_string(), entry["arch"].as_str().unwrap(), "{ctx}: arch");
        }
    }
}

#[test]
fn universal_file_host_slice_and_every_slice() {
    let entries = common::expected();
    let fat: Vec<&Value> = entries.iter().filter(|e| !e["slice"].is_null()).collect();
    assert!(fat.len() >= 2, "no universal file in the corpus");
    let name = fat[0]["file"].as_str().unwrap();
    let file = std::fs::read(common::corpus().join(name)).unwrap();
    let all: Vec<_> = pkgimg::payloads(&file).unwrap().map(Result::unwrap).collect();
    assert_eq!(all.len(), fat.iter().filter(|e| e["file"] == fat[0]["file"]).count());
    let host = pkgimg::Arch::HOST.to_string();
    let host_entry = fat.iter().find(|e| e["file"] == fat[0]["file"] && e["arch"] == host.as_str());
    match (pkgimg::find_ji_payload(&file), host_entry) {
        (Ok(p), Some(e)) => assert_eq!(p.offset(), e["payload"]["offset"].as_u64().unwrap()),
        (Err(Error::NoHostSlice { count, .. }), None) => assert_eq!(count as usize, all.len()),
        (r, e) => panic!("host slice: {r:?} vs {e:?}"),
    }
}
