//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed corpus of real linker outputs.
pub fn corpus() -> PathBuf {
    root().join("corpus")
}

/// Whether CI is running this test: there, a missing oracle is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// Whether an external tool can be run. Under `CI=true` a missing tool fails
/// the test; elsewhere the test says loudly that it skipped and returns false.
///
/// `probe` is the full command that must succeed, e.g. `["python3", "-m", "ziglang", "version"]`.
pub fn require(probe: &[&str]) -> bool {
    let (program, args) = probe.split_first().expect("probe names a program");
    let ok = Command::new(program).args(args).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        let what = probe.join(" ");
        if in_ci() {
            panic!("required tool missing under CI=true: `{what}` failed; .ci/run should have installed it");
        }
        eprintln!("SKIPPED: `{what}` is not available on this machine (under CI=true this would fail)");
    }
    ok
}

/// `require` for a program that answers `--version`.
pub fn require_tool(name: &str) -> bool {
    require(&[name, "--version"])
}

/// A command that runs `program` allowed `more` tasks (processes and
/// threads) beyond those its user already runs (`RLIMIT_NPROC`, set by
/// prlimit(1), counts every task of the user system-wide), so `Some(1)`
/// leaves it no thread of its own; or none if it cannot be built here (a
/// missing tool: a failure under `CI=true`). The limit does not bind root,
/// so as root the program runs as uid 65534 (setpriv(1), after prlimit has
/// lowered the limit): what it reads must be readable by that user. As
/// another user, the test's own threads count too, and only `Some(1)` is
/// sure to leave none.
pub fn with_nproc(more: Option<u32>, program: &str) -> Option<Command> {
    // SAFETY: getuid(2) has no preconditions.
    let uid = unsafe { libc::getuid() };
    let root = uid == 0;
    if !(require_tool("prlimit") && (!root || require_tool("setpriv"))) {
        return None;
    }
    let mut command = Command::new("prlimit");
    let user = if root { LIMITED_UID } else { uid };
    command.args(more.map(|more| format!("--nproc={}", tasks_of(user).saturating_add(more))));
    if root {
        command.args(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
    }
    command.arg(program);
    Some(command)
}

/// The user [`with_nproc`] runs a program as when the tests run as root.
pub const LIMITED_UID: u32 = 65534;

/// How many tasks (threads of any process) the user `uid` runs: what
/// `RLIMIT_NPROC` counts (`/proc/PID/task/TID/status`, its real uid).
pub fn tasks_of(uid: u32) -> u32 {
    let mut count = 0u32;
    let Ok(processes) = std::fs::read_dir("/proc") else { return 0 };
    for process in processes.flatten() {
        let Ok(tasks) = std::fs::read_dir(process.path().join("task")) else { continue };
        for task in tasks.flatten() {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            let real = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next());
            count += u32::from(real == Some(uid.to_string().as_str()));
        }
    }
    count
}

/// Reads `corpus/expected.json`.
pub fn expected() -> Vec<serde_json::Value> {
    let path = corpus().join("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<Vec<serde_json::Value>>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every regular file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every lookup the crate offers, with the invariants that hold on any input.
pub fn invariants(bytes: &[u8]) {
    let inside = |p: &pkgimg::Payload<'_>| {
        let start = p.offset() as usize;
        let end = start.checked_add(p.data().len()).expect("payload end overflows");
        assert!(end <= bytes.len(), "payload {start:#x}..{end:#x} outside a {}-byte input", bytes.len());
        assert_eq!(&bytes[start..end], p.data(), "data() is not the bytes at offset()");
        let c = p.container();
        assert!(c.offset.checked_add(c.size).is_some_and(|e| e <= bytes.len() as u64));
    };
    if let Ok(p) = pkgimg::find_ji_payload(bytes) {
        inside(&p);
        let _ = p.verify();
    }
    if let Ok(all) = pkgimg::payloads(bytes) {
        for (slice, payload) in all.flatten() {
            let r = slice.range();
            assert!(r.offset + r.size <= bytes.len() as u64);
            if let Ok(p) = payload {
                inside(&p);
                assert!(
                    p.offset() >= r.offset && p.offset() + p.size() <= r.offset + r.size,
                    "payload outside its slice"
                );
            }
        }
    }
    for name in [".text", "__TEXT,__text", ".jlji"] {
        if let Ok(pkgimg::Lookup { section: Some(r), .. }) = pkgimg::find_section(bytes, name) {
            assert!(r.offset.checked_add(r.size).is_some_and(|e| e <= bytes.len() as u64));
        }
    }
    // The other header walks: every item's name or range lies in the input,
    // and every error renders.
    let within = |offset: u64, size: u64| offset.checked_add(size).is_some_and(|e| e <= bytes.len() as u64);
    if let Ok(slices) = pkgimg::slices(bytes) {
        for slice in slices.flatten() {
            let _ = slice.image();
            if let Ok(sections) = slice.sections() {
                for section in sections {
                    match section {
                        Ok(s) => assert!(s.name.is_none_or(|n| n.len() <= bytes.len())),
                        Err(e) => assert!(!e.to_string().is_empty()),
                    }
                }
            }
            if let Ok(dependencies) = slice.dependencies() {
                for dependency in dependencies {
                    match dependency {
                        Ok(d) => assert!(d.name.len() <= bytes.len()),
                        Err(e) => assert!(!e.to_string().is_empty()),
                    }
                }
            }
            match slice.find_symbol("jl_pkgimg_data") {
                Ok(Some(pkgimg::Symbol { range: Some(r), .. })) => assert!(within(r.offset, r.size), "{r:?}"),
                Ok(_) => {}
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    if let Err(e) = pkgimg::find_ji_payload(bytes) {
        assert!(!e.to_string().is_empty());
    }
}

pub mod model;

/// Runs `cmd` and fails the test, with its output, unless it succeeds.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The exit status of a finished `jiscan` run; a run killed by a signal (a
/// crash) fails the test.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("jiscan was killed by a signal: {:?}", out.status))
}

/// A run's standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run's standard output, as text (invalid UTF-8 replaced).
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
