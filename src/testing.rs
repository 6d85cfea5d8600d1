//! The rule every unit test follows for an external tool, as
//! `tests/common/mod.rs` has it for the integration tests (which unit tests
//! cannot import): under `CI=true` a missing tool fails the test, elsewhere
//! the test says loudly that it skipped.
#![allow(clippy::panic)]

use std::process::Command;

/// Whether CI is running the tests: there, a missing tool is a failure.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `probe` (a program and its arguments) runs and succeeds.
pub(crate) fn require(probe: &[&str]) -> bool {
    let Some((program, args)) = probe.split_first() else { panic!("a probe names a program") };
    let ok = Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        let what = probe.join(" ");
        if in_ci() {
            panic!("required tool missing under CI=true: `{what}` failed; .ci/run should have installed it");
        }
        eprintln!("SKIPPED: `{what}` is not available on this machine (under CI=true this would fail)");
    }
    ok
}

/// Whether `python3 -m ziglang` (zig's C compiler and lld) is there.
pub(crate) fn have_zig() -> bool {
    require(&["python3", "-m", "ziglang", "version"])
}
