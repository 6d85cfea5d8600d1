//! `jiscan scan --jobs N`: the lines are the same, in the same order, for
//! any N, and the same as the lookup on each file's bytes says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::process::Command;

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");

fn scan(jobs: &str, args: &[&str]) -> (String, Option<i32>) {
    let out = Command::new(JISCAN).args(["scan", "--jobs", jobs]).args(args).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code())
}

#[test]
fn the_output_does_not_depend_on_the_number_of_threads() {
    let corpus = common::corpus();
    let corpus = corpus.to_str().unwrap();
    for args in [vec!["--json", corpus], vec![corpus], vec!["--json", "--verify", corpus]] {
        let one = scan("1", &args);
        assert!(one.0.lines().count() > 40, "{}", one.0);
        for jobs in ["2", "3", "16"] {
            assert_eq!(scan(jobs, &args), one, "--jobs {jobs} {args:?}");
        }
    }
}

/// Every line's payload is what `find_ji_payload` finds in the whole file:
/// small files are read, not mapped, and files that are no object file are
/// read only in part, which must not change what is reported.
#[test]
fn each_line_agrees_with_the_lookup_on_the_whole_file() {
    let corpus = common::corpus();
    let (out, _) = scan("4", &["--json", corpus.to_str().unwrap()]);
    let mut checked = 0;
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if !v["slice"].is_null() || !v["data_library"].is_null() {
            continue;
        }
        let path = v["path"].as_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        match pkgimg::find_ji_payload(&bytes) {
            Ok(p) => {
                assert_eq!(v["payload"]["offset"].as_u64(), Some(p.offset()), "{path}");
                assert_eq!(v["payload"]["size"].as_u64(), Some(p.size()), "{path}");
            }
            Err(e) => {
                assert!(v["payload"].is_null(), "{path}");
                assert!(v["error"].as_str().unwrap().ends_with(&e.to_string()), "{path}: {}", v["error"]);
            }
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked} lines checked");
}
