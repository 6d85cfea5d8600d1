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

/// A command that runs `program` as the user `uid`, allowed `more` tasks
/// (processes and threads) beyond those that user already runs, so that
/// `Some(1)` leaves it no thread of its own: `RLIMIT_NPROC`, set by
/// prlimit(1), counts every task of the user system-wide, and the limit
/// does not bind root. Each test gives a uid of its own, which nothing else
/// runs as (tests run in parallel), and makes what the program reads
/// readable by it. `None` where it cannot be built: a missing tool (a
/// failure under `CI=true`), or a test not run as root (CI runs as root),
/// which cannot take another uid and whose own threads would count.
pub fn with_nproc(uid: u32, more: Option<u32>, program: &str) -> Option<Command> {
    // SAFETY: getuid(2) has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("SKIPPED: running jiscan under a process limit as another user needs root (CI runs as root)");
        return None;
    }
    if !(require_tool("prlimit") && require_tool("setpriv")) {
        return None;
    }
    let mut command = Command::new("prlimit");
    command.args(more.map(|more| format!("--nproc={}", tasks_of(uid).saturating_add(more))));
    // prlimit lowers the limit as root; setpriv then takes the uid.
    command.args(["setpriv", &format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups"]);
    command.arg(program);
    Some(command)
}

/// How many tasks (threads of any process) the user `uid` runs: what
/// `RLIMIT_NPROC` counts (`/proc/PID/task/TID/status`, its real uid). Only
/// the numbered entries: `/proc/self` and `/proc/thread-self` repeat one.
pub fn tasks_of(uid: u32) -> u32 {
    let mut count = 0u32;
    let Ok(processes) = std::fs::read_dir("/proc") else { return 0 };
    let numbered = |name: &std::ffi::OsStr| name.to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    for process in processes.flatten().filter(|p| numbered(&p.file_name())) {
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
