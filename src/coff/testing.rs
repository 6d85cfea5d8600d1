//! What the PE unit tests share: the corpus, the external tools (zig's
//! lld-link, LLVM's readers, GNU ld for MinGW, Wine) found or skipped by
//! [`crate::testing`]'s rule, and Wine's own Windows DLLs as inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The repository's committed corpus.
pub(crate) fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(path)
}

/// Every PE image and COFF object of the corpus (the malformed one too).
pub(crate) fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (dir, ext) in [("pe", "dll"), ("nopayload", "dll"), ("obj", "obj"), ("malformed", "dll")] {
        for entry in std::fs::read_dir(corpus(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == ext) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub(crate) use crate::testing::{have_zig, require};

/// [`require`] for a program with no probe that succeeds (`llvm-dlltool`
/// exits 1 even for `--help`): it must be on `PATH`.
pub(crate) fn require_program(name: &str) -> bool {
    require(&["sh", "-c", &format!("command -v {name}")])
}

pub(crate) const ZIG: [&str; 3] = ["python3", "-m", "ziglang"];

/// A command that runs `tool` through zig (`cc`, `lld-link`, ...).
pub(crate) fn zig(tool: &str) -> Command {
    let mut command = Command::new(ZIG[0]);
    command.args(&ZIG[1..]).arg(tool);
    command
}

/// Runs `command`, with at most five minutes for it.
pub(crate) fn run(command: &mut Command) -> Output {
    let mut timed = Command::new("timeout");
    timed.arg("300").arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        timed.current_dir(dir);
    }
    timed.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// Runs `command`, which must succeed; its standard output.
pub(crate) fn ok(command: &mut Command) -> String {
    let out = run(command);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command:?} failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout.into_owned()
}

/// `program args path`, which must succeed without a warning; its output.
pub(crate) fn clean(program: &str, args: &[&str], path: &Path) -> String {
    let out = run(Command::new(program).args(args).arg(path));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} {}: {}\n{stderr}", path.display(), out.status);
    assert!(!stderr.to_lowercase().contains("warning"), "{program} {args:?} {} warns:\n{stderr}", path.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch directory that is removed afterwards.
pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("pkgimg-coff-").tempdir().unwrap()
}

/// Wine's own Windows DLLs (real PE files, those `wineboot` copies into a
/// prefix's `system32`): x86_64, and x86 where Wine's 32-bit half is installed.
pub(crate) fn wine_dlls() -> Vec<PathBuf> {
    let bases = ["/usr/lib/x86_64-linux-gnu/wine", "/usr/lib/wine", "/usr/lib64/wine"];
    let Some(base) = bases.iter().map(Path::new).find(|d| d.join("x86_64-windows").is_dir()) else {
        // Under CI this fails: Wine is installed there.
        require(&["test", "-d", bases[0]]);
        return Vec::new();
    };
    let mut dlls = Vec::new();
    for dir in ["x86_64-windows", "i386-windows"].map(|d| base.join(d)).iter().filter(|d| d.is_dir()) {
        let entries = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path());
        dlls.extend(entries.filter(|p| p.extension().is_some_and(|e| e == "dll")));
    }
    dlls.sort();
    dlls
}

/// Wine runs one program at a time here: the first run creates the prefix.
static WINE: Mutex<()> = Mutex::new(());

/// Runs `exe args` under Wine in a prefix kept in the build directory; its output.
pub(crate) fn wine(exe: &Path, args: &[&str], dir: &Path) -> Output {
    let _one = WINE.lock().unwrap_or_else(|e| e.into_inner());
    // target/<profile>/deps/pkgimg-<hash> → target/<profile>/coff-wineprefix
    let exe_dir = std::env::current_exe().unwrap();
    let prefix = exe_dir.ancestors().nth(2).unwrap().join("coff-wineprefix");
    let mut command = Command::new("wine");
    command.arg(exe).args(args).current_dir(dir).env("WINEDEBUG", "-all").env("WINEPREFIX", prefix);
    run(&mut command)
}
