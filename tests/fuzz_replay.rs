//! Replays the committed fuzz corpus (minimised, fuzz/corpus-min/) and every
//! input a fuzzer ever found to crash or disagree (fuzz/regressions/) through
//! the same invariants the `find` target checks.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

#[test]
fn fuzz_corpus_and_regressions() {
    let root = common::root().join("fuzz");
    let mut replayed = 0;
    for dir in ["corpus-min", "regressions"] {
        let dir = root.join(dir);
        if !dir.exists() {
            continue;
        }
        for path in common::files_under(&dir) {
            let bytes = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| common::invariants(&bytes));
            assert!(result.is_ok(), "{}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 100, "only {replayed} fuzz inputs replayed: fuzz/corpus-min is missing");
}
