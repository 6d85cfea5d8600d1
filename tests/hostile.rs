//! Issue 14, "Hostile and careless users": every finding of the hostile-input
//! pass over `jiscan`, as a test that runs the real binary the way a careless
//! user or an attacker would, and checks the files and exit status after it.
//!
//! Tests that need root (device nodes, owners) say SKIPPED elsewhere; CI runs
//! as root. The signal and concurrency tests make a real `jiscan inject` stop
//! in the middle of its work without any timing: its standard error is a
//! pipe that the test filled beforehand, so the first progress line it writes
//! (`--progress`, after it created its temporary file and wrote the library's
//! bytes into it) blocks until the test drains the pipe.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/mod.rs"]
mod common;

use common::{code, stderr, stdout};

use std::ffi::{CString, OsStr, OsString};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

const JISCAN: &str = env!("CARGO_BIN_EXE_jiscan");
const ELF_TARGET: &str = "x86_64-linux-gnu";

fn jiscan(args: &[&dyn AsRef<OsStr>]) -> Output {
    Command::new(JISCAN).args(args.iter().map(|a| a.as_ref())).output().expect("run jiscan")
}

/// A corpus library without a payload (ELF x86_64).
fn plain_library() -> PathBuf {
    common::corpus().join("nopayload/x86_64-linux-musl.so")
}

/// A corpus library with a payload (corpus/expected.json: 1000 bytes at 1088).
fn library_with_payload() -> PathBuf {
    common::corpus().join("elf/x86_64-linux-musl.so")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether a root-only test may run; says SKIPPED otherwise.
fn need_root(what: &str) -> bool {
    if !is_root() {
        eprintln!("SKIPPED: {what} needs root (CI runs as root)");
    }
    is_root()
}

/// Deterministic payload bytes, distinct per `seed`.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write_file(path: &Path, contents: &[u8]) -> PathBuf {
    fs::write(path, contents).unwrap();
    path.to_path_buf()
}

/// A copy of `from` at `to`, with mode `mode`.
fn copy_with_mode(from: &Path, to: &Path, mode: u32) -> PathBuf {
    fs::copy(from, to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(mode)).unwrap();
    to.to_path_buf()
}

/// Writes `bytes` to `path` with mode `mode`. (`copy_with_mode` of a file
/// onto itself empties it: `fs::copy` truncates the destination first.)
fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> PathBuf {
    let path = write_file(path, bytes);
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// A dense (not sparse) payload of `len` bytes.
fn dense_payload(path: &Path, len: usize) -> PathBuf {
    let mut file = File::create(path).unwrap();
    let block = bytes(1 << 20, 99);
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        file.write_all(&block[..n]).unwrap();
        left -= n;
    }
    path.to_path_buf()
}

/// The hidden names in `dir`: temporary files left behind.
fn hidden_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// The file mode's permission bits (with setuid, setgid, sticky).
fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

/// The payload that `jiscan extract` (via the library) finds in `path`.
fn payload_in(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    let payload = pkgimg::find_ji_payload(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    payload.verify().unwrap();
    payload.data().to_vec()
}

/// Waits for `child` to end; kills it and fails if it is still running after
/// a generous bound (the point of these tests is that it does not hang).
fn wait_bounded(child: &mut Child, what: &str) -> ExitStatus {
    for _ in 0..3000 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what}: jiscan still running after 30 s: it hangs");
}

// ---------------------------------------------------------------------------
// A jiscan inject held in the middle of its work.

/// A pipe whose buffer is full: a write to it blocks until it is drained.
fn full_pipe() -> (File, OwnedFd, usize) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just opened and are owned here.
    let (read, write) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let set_blocking = |blocking: bool| {
        // SAFETY: fcntl on a descriptor owned here.
        unsafe {
            let flags = libc::fcntl(write.as_raw_fd(), libc::F_GETFL);
            let flags = if blocking { flags & !libc::O_NONBLOCK } else { flags | libc::O_NONBLOCK };
            assert_eq!(libc::fcntl(write.as_raw_fd(), libc::F_SETFL, flags), 0);
        }
    };
    set_blocking(false);
    let block = [b'#'; 4096];
    let mut filled = 0usize;
    loop {
        // SAFETY: writes from a live buffer to a descriptor owned here.
        let n = unsafe { libc::write(write.as_raw_fd(), block.as_ptr().cast(), block.len()) };
        if n <= 0 {
            break;
        }
        filled += n as usize;
    }
    // The child shares this open file description: it must block, not fail.
    set_blocking(true);
    (read, write, filled)
}

/// A `jiscan inject --progress` blocked writing its first progress line:
/// it has taken the destination's lock, created its temporary file and
/// written the library's bytes into it.
struct Held {
    child: Child,
    read: Option<File>,
    filled: usize,
}

impl Held {
    /// Starts `jiscan inject --progress ARGS` and waits until its temporary
    /// file exists in `dir` and has bytes in it.
    fn start(dir: &Path, args: &[&dyn AsRef<OsStr>]) -> Held {
        let (read, write, filled) = full_pipe();
        // env(1) sets the signals back to their default actions: a test run
        // started in the background by a shell without job control inherits
        // SIGINT and SIGQUIT ignored, which jiscan then leaves alone, as
        // under nohup. prlimit(1) removes core files, so that SIGQUIT leaves
        // none in the working directory. Both exec: the pid is jiscan's.
        let mut command = Command::new("env");
        command.args(["--default-signal", "prlimit", "--core=0", JISCAN, "inject", "--progress"]);
        command.args(args.iter().map(|a| a.as_ref()));
        command.stdout(Stdio::null()).stderr(Stdio::from(write));
        let child = command.spawn().unwrap();
        drop(command);
        let mut held = Held { child, read: Some(read), filled };
        for _ in 0..6000 {
            if let Some(status) = held.child.try_wait().unwrap() {
                let (_, text) = held.finish_reading();
                panic!("jiscan inject {status} before it was held: {text}");
            }
            let temp = held.temporary(dir);
            if temp.as_ref().is_some_and(|t| fs::metadata(t).is_ok_and(|m| m.len() > 0)) {
                return held;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no temporary file appeared in {}", dir.display());
    }

    /// The temporary file in `dir`, if there is one.
    fn temporary(&self, dir: &Path) -> Option<PathBuf> {
        hidden_in(dir).into_iter().find(|n| n.contains(".pkgimg-")).map(|n| dir.join(n))
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }

    fn finish_reading(&mut self) -> (usize, String) {
        let mut all = Vec::new();
        if let Some(mut read) = self.read.take() {
            read.read_to_end(&mut all).unwrap();
        }
        let filled = self.filled.min(all.len());
        (filled, String::from_utf8_lossy(&all[filled..]).into_owned())
    }

    /// Drains the pipe (the child goes on) and waits: its status and stderr.
    fn release(mut self) -> (ExitStatus, String) {
        let mut read = self.read.take().unwrap();
        let filled = self.filled;
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            read.read_to_end(&mut all).unwrap();
            String::from_utf8_lossy(&all[filled.min(all.len())..]).into_owned()
        });
        let status = wait_bounded(&mut self.child, "released inject");
        (status, reader.join().unwrap())
    }

    /// Waits for a child that was sent a signal.
    fn wait(mut self) -> ExitStatus {
        let _ = self.read.take();
        wait_bounded(&mut self.child, "signalled inject")
    }
}

// ---------------------------------------------------------------------------
// High: `-o` replaces device nodes and symlinks.

/// The three write subcommands with `-o out`.
fn writers(dir: &Path) -> Vec<(&'static str, Vec<OsString>)> {
    let payload = write_file(&dir.join("payload.ji"), &bytes(3000, 1));
    let lib = plain_library();
    let with = library_with_payload();
    vec![
        ("inject", vec!["inject".into(), lib.into(), payload.clone().into()]),
        ("extract", vec!["extract".into(), with.into()]),
        ("emit", vec!["emit".into(), "--target".into(), ELF_TARGET.into(), payload.into()]),
    ]
}

fn run_to(args: &[OsString], out: &Path) -> Output {
    Command::new(JISCAN).args(args).arg("-o").arg(out).output().unwrap()
}

fn mknod(path: &Path, kind: libc::mode_t, major: u32, minor: u32) -> bool {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; mknod only reads it.
    unsafe { libc::mknod(c.as_ptr(), kind | 0o666, libc::makedev(major, minor)) == 0 }
}

#[test]
fn outputs_that_are_not_regular_files_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo");
    let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let socket = d.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let subdir = d.join("subdir");
    fs::create_dir(&subdir).unwrap();
    let mut cases: Vec<(PathBuf, &str)> = vec![(fifo, "FIFO"), (socket, "socket"), (subdir, "directory")];
    if need_root("mknod of character devices") {
        // /dev/null's and /dev/full's numbers, made here so that no test ever
        // writes near the system's own nodes.
        let null = d.join("null");
        let full = d.join("full");
        if mknod(&null, libc::S_IFCHR, 1, 3) && mknod(&full, libc::S_IFCHR, 1, 7) {
            cases.push((null, "character device"));
            cases.push((full, "character device"));
        } else {
            eprintln!("SKIPPED: mknod is not permitted here (no CAP_MKNOD)");
        }
    }
    for (name, args) in writers(d) {
        for (out, kind) in &cases {
            let before = fs::symlink_metadata(out).unwrap().file_type();
            let run = run_to(&args, out);
            assert_eq!(code(&run), 1, "{name} -o {}: {}", out.display(), stderr(&run));
            let message = stderr(&run);
            assert!(message.contains(&out.display().to_string()) && message.contains(kind), "{name}: {message}");
            assert_eq!(message.lines().count(), 1, "{name}: one line: {message}");
            assert_eq!(
                fs::symlink_metadata(out).unwrap().file_type(),
                before,
                "{name}: {} changed kind",
                out.display()
            );
            assert!(
                hidden_in(d).is_empty(),
                "{name}: a temporary file was made for {}: {:?}",
                out.display(),
                hidden_in(d)
            );
        }
    }
}

#[test]
fn an_output_symlink_is_followed_and_its_target_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, args) in writers(d) {
        let target = write_file(&d.join(format!("{name}-target")), b"old contents");
        let link = d.join(format!("{name}-link"));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let run = run_to(&args, &link);
        assert_eq!(code(&run), 0, "{name}: {}", stderr(&run));
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "{name}: the link was replaced");
        assert_eq!(fs::read_link(&link).unwrap(), target, "{name}: the link points where it did");
        assert_ne!(fs::read(&target).unwrap(), b"old contents", "{name}: the target was not written");

        // A dangling link is refused: nothing is created where it points.
        let nowhere = d.join(format!("{name}-nowhere"));
        let dangling = d.join(format!("{name}-dangling"));
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        let run = run_to(&args, &dangling);
        assert_eq!(code(&run), 1, "{name}: {}", stderr(&run));
        assert!(stderr(&run).contains("does not exist"), "{name}: {}", stderr(&run));
        assert!(!nowhere.exists() && fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    }
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
}

// ---------------------------------------------------------------------------
// Medium: owner, group and mode.

#[test]
fn owner_and_group_are_kept() {
    if !need_root("chown to another user") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    std::os::unix::fs::chown(&lib, Some(65534), Some(65534)).unwrap();
    // chown clears setuid: set it afterwards, as an owner would.
    fs::set_permissions(&lib, fs::Permissions::from_mode(0o4755)).unwrap();
    let payload = write_file(&d.join("p.ji"), &bytes(5000, 2));
    std::os::unix::fs::chown(&payload, Some(65534), Some(65534)).unwrap();

    let run = jiscan(&[&"inject", &"--in-place", &lib, &payload]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let meta = fs::metadata(&lib).unwrap();
    assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o7777), (65534, 65534, 0o4755), "in place");
    assert_eq!(payload_in(&lib), bytes(5000, 2));

    let out = d.join("out.so");
    let run = jiscan(&[&"inject", &"--replace", &lib, &payload, &"-o", &out]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let meta = fs::metadata(&out).unwrap();
    assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o7777), (65534, 65534, 0o4755), "-o");

    let extracted = d.join("x.ji");
    let run = jiscan(&[&"extract", &lib, &"-o", &extracted]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let meta = fs::metadata(&extracted).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "extract keeps the library's owner");

    let object = d.join("x.o");
    let run = jiscan(&[&"emit", &"--target", &ELF_TARGET, &payload, &"-o", &object]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let meta = fs::metadata(&object).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "emit keeps the payload's owner");
}

#[test]
fn setuid_and_setgid_are_dropped_when_the_owner_cannot_be_kept() {
    if !need_root("running jiscan as another user") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o777)).unwrap();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    std::os::unix::fs::chown(&lib, Some(1234), Some(1234)).unwrap();
    fs::set_permissions(&lib, fs::Permissions::from_mode(0o6755)).unwrap();
    let payload = write_with_mode(&d.join("p.ji"), &bytes(700, 3), 0o644);
    let out = d.join("out.so");
    // As nobody, who can neither give a file to uid 1234 nor to group 1234.
    let run = Command::new(JISCAN)
        .args([OsStr::new("inject"), lib.as_os_str(), payload.as_os_str(), OsStr::new("-o"), out.as_os_str()])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let meta = fs::metadata(&out).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    assert_eq!(meta.mode() & 0o7777, 0o755, "setuid/setgid must not survive a change of owner");
    assert!(stderr(&run).contains("setuid"), "the dropped bits are reported: {}", stderr(&run));
}

#[test]
fn modes_are_never_wider_than_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let umask = |mask: u32| {
        move || {
            // SAFETY: umask(2) in the child before exec.
            unsafe { libc::umask(mask as libc::mode_t) };
            Ok(())
        }
    };
    let run = |args: &[&dyn AsRef<OsStr>], mask: u32| {
        let mut command = Command::new(JISCAN);
        command.args(args.iter().map(|a| a.as_ref()));
        // SAFETY: the closure only calls umask(2), which is async-signal-safe.
        unsafe { command.pre_exec(umask(mask)) };
        let out = command.output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    };
    let private_lib = copy_with_mode(&library_with_payload(), &d.join("private.so"), 0o600);
    let private_payload = write_with_mode(&d.join("private.ji"), &bytes(900, 4), 0o600);
    let public_lib = copy_with_mode(&library_with_payload(), &d.join("public.so"), 0o755);

    // (what, arguments before -o, umask, the mode OUT must have)
    type Case<'a> = (&'a str, Vec<&'a dyn AsRef<OsStr>>, u32, u32);
    let cases: [Case; 6] = [
        ("inject from a 0600 library", vec![&"inject", &"--replace", &private_lib, &private_payload], 0o022, 0o600),
        ("extract from a 0600 library", vec![&"extract", &private_lib], 0o022, 0o600),
        ("emit from a 0600 payload", vec![&"emit", &"--target", &ELF_TARGET, &private_payload], 0o022, 0o600),
        (
            "inject keeps a 0755 library's mode",
            vec![&"inject", &"--replace", &public_lib, &private_payload],
            0o077,
            0o755,
        ),
        ("extract: data, not executable", vec![&"extract", &public_lib], 0o022, 0o644),
        ("extract under umask 077", vec![&"extract", &public_lib], 0o077, 0o600),
    ];
    for (i, (what, args, mask, want)) in cases.iter().enumerate() {
        let out = d.join(format!("out{i}"));
        let mut args = args.clone();
        args.push(&"-o");
        args.push(&out);
        run(&args, *mask);
        assert_eq!(mode_of(&out), *want, "{what}: {:o}", mode_of(&out));
    }

    // The temporary file is private while it is being written.
    let held = Held::start(d, &[&public_lib, &private_payload, &"--replace", &"-o", &d.join("held.so")]);
    let temp = held.temporary(d).unwrap();
    assert_eq!(mode_of(&temp), 0o600, "{}", temp.display());
    held.signal(libc::SIGKILL);
    held.wait();
}

/// Audit 24 F8: in a sticky directory (/tmp's mode, 1777) another user's
/// file cannot be replaced (rename(2): EPERM), and that was found at the
/// rename, after all the work. It is refused before any: the payload is
/// never read (a FIFO payload would block a run that read it), and no
/// temporary file is made. The user's own file there is replaced as before.
#[test]
fn another_users_file_in_a_sticky_directory_is_refused_before_any_work() {
    if !need_root("running jiscan as another user") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o1777)).unwrap();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o644);
    let payload = write_with_mode(&d.join("p.ji"), &bytes(700, 4), 0o644);
    let theirs = write_with_mode(&d.join("theirs.so"), b"root's", 0o666);
    let as_nobody = |out: &Path| {
        Command::new(JISCAN)
            .args([OsStr::new("inject"), lib.as_os_str(), payload.as_os_str(), OsStr::new("-o"), out.as_os_str()])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    let before = hidden_in(d);
    let run = as_nobody(&theirs);
    assert_eq!(code(&run), 1);
    let said = stderr(&run);
    assert!(said.contains("is a sticky directory (mode 1777) and the file is user 0's"), "{said}");
    assert_eq!(fs::read(&theirs).unwrap(), b"root's");
    assert_eq!(hidden_in(d), before);
    let mine = d.join("mine.so");
    assert_eq!(code(&as_nobody(&mine)), 0);
    assert_eq!(code(&as_nobody(&mine)), 0, "nobody replaces its own file");
    assert_eq!(payload_in(&mine), bytes(700, 4));
}

// ---------------------------------------------------------------------------
// Medium: temporary files and signals.

#[test]
fn sigint_sigterm_sighup_sigquit_and_the_user_signals_remove_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    let payload = dense_payload(&d.join("large.ji"), 256 << 20);
    let out = d.join("out.so");
    fs::write(&out, b"previous").unwrap();
    // Audit 24 F7: SIGQUIT (Ctrl-\\), SIGUSR1/2 and SIGALRM left the
    // temporary file.
    // SIGPWR, SIGIO and the real-time signals (review 24 F5) too.
    let signals = [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGPWR,
        libc::SIGIO,
        libc::SIGRTMIN(),
        libc::SIGRTMAX(),
    ];
    for signal in signals {
        let held = Held::start(d, &[&lib, &payload, &"-o", &out]);
        held.signal(signal);
        let status = held.wait();
        assert_eq!(status.signal(), Some(signal), "jiscan ends by the signal it was sent: {status:?}");
        assert!(hidden_in(d).is_empty(), "signal {signal}: left {:?}", hidden_in(d));
        assert_eq!(fs::read(&out).unwrap(), b"previous", "signal {signal}: OUT untouched");
        assert_eq!(fs::read(&lib).unwrap(), fs::read(plain_library()).unwrap());
    }
}

#[test]
fn what_a_killed_run_left_is_skipped_by_scan_and_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    let payload = dense_payload(&d.join("large.ji"), 64 << 20);
    let out = d.join("out.so");
    let held = Held::start(d, &[&lib, &payload, &"-o", &out]);
    let left = held.temporary(d).unwrap();
    held.signal(libc::SIGKILL);
    held.wait();
    assert!(left.exists(), "SIGKILL cannot be caught: the temporary file stays");

    let scan = jiscan(&[&"scan", &d]);
    let text = stdout(&scan);
    assert!(!text.contains(".pkgimg-"), "scan reported the temporary file: {text}");
    assert!(text.lines().last().unwrap().contains("1 temporary file skipped"), "{text}");

    let small = write_file(&d.join("small.ji"), &bytes(100, 5));
    let run = jiscan(&[&"inject", &lib, &small, &"-o", &out]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert!(!left.exists(), "the next run for the same destination removes it");
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
    assert!(stderr(&run).contains("removed"), "the removal is reported: {}", stderr(&run));
}

#[test]
fn a_live_writers_temporary_file_is_left_alone_and_the_later_commit_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    let large = dense_payload(&d.join("large.ji"), 64 << 20);
    let small = write_file(&d.join("small.ji"), &bytes(100, 6));
    let out = d.join("new.so");
    let held = Held::start(d, &[&lib, &large, &"-o", &out]);
    let temp = held.temporary(d).unwrap();

    // Another writer of the same (new) destination: it finishes first.
    let run = jiscan(&[&"inject", &lib, &small, &"-o", &out]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert!(temp.exists(), "a live writer's temporary file was removed");
    assert_eq!(payload_in(&out), bytes(100, 6));

    // The held writer then finds OUT created meanwhile: it fails, and replaces nothing.
    let (status, text) = held.release();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains(&out.display().to_string()) && text.contains("another process"), "{text}");
    assert_eq!(payload_in(&out), bytes(100, 6), "the first result is kept");
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
}

#[test]
fn two_in_place_writers_are_serialised() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    let large = dense_payload(&d.join("large.ji"), 64 << 20);
    let small = write_file(&d.join("small.ji"), &bytes(100, 7));
    let held = Held::start(d, &[&"--in-place", &lib, &large]);

    let mut second = Command::new(JISCAN)
        .args([OsStr::new("inject"), OsStr::new("--in-place"), lib.as_os_str(), small.as_os_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(second.stderr.take().unwrap());
    let mut first_line = String::new();
    lines.read_line(&mut first_line).unwrap();
    assert!(first_line.contains("waiting"), "the second writer must wait for the first: {first_line:?}");

    let (status, text) = held.release();
    assert_eq!(status.code(), Some(0), "{text}");
    let mut rest = String::new();
    lines.read_to_string(&mut rest).unwrap();
    let status = wait_bounded(&mut second, "second in-place writer");
    // It then reads the first writer's result, which has a payload now.
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(rest.contains("already carries a payload"), "{rest}");
    assert_eq!(payload_in(&lib).len(), 64 << 20, "the first result is not lost");
}

// ---------------------------------------------------------------------------
// Medium: an input overwritten by the output.

#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&library_with_payload(), &d.join("lib.so"), 0o644);
    let plain = copy_with_mode(&plain_library(), &d.join("plain.so"), 0o644);
    let payload = write_file(&d.join("p.ji"), &bytes(500, 8));
    let lib_link = d.join("lib-link.so");
    fs::hard_link(&lib, &lib_link).unwrap();
    let payload_link = d.join("p-link.ji");
    std::os::unix::fs::symlink(&payload, &payload_link).unwrap();
    let (lib_bytes, payload_bytes) = (fs::read(&lib).unwrap(), fs::read(&payload).unwrap());

    let cases: [(&str, Vec<&dyn AsRef<OsStr>>); 5] = [
        ("extract LIB -o LIB", vec![&"extract", &lib, &"-o", &lib]),
        ("extract LIB -o hard link to LIB", vec![&"extract", &lib, &"-o", &lib_link]),
        ("inject -o PAYLOAD", vec![&"inject", &plain, &payload, &"-o", &payload]),
        ("inject -o symlink to PAYLOAD", vec![&"inject", &plain, &payload, &"-o", &payload_link]),
        ("emit PAYLOAD -o PAYLOAD", vec![&"emit", &"--target", &ELF_TARGET, &payload, &"-o", &payload]),
    ];
    for (what, args) in cases {
        let run = jiscan(&args);
        assert_eq!(code(&run), 1, "{what}: {}", stderr(&run));
        assert!(stderr(&run).contains("same file"), "{what}: {}", stderr(&run));
        assert_eq!(fs::read(&lib).unwrap(), lib_bytes, "{what}");
        assert_eq!(fs::read(&payload).unwrap(), payload_bytes, "{what}");
    }
    // The documented exception: inject's output may be its library.
    let run = jiscan(&[&"inject", &plain, &payload, &"-o", &plain]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(payload_in(&plain), payload_bytes);
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
}

// ---------------------------------------------------------------------------
// Medium: scan's walk.

/// `levels` directories, each but the last holding `fan` symbolic links to
/// the next; the last holds one library. Returns the first.
fn fan_out(root: &Path, levels: usize, fan: usize) -> PathBuf {
    for level in 0..=levels {
        fs::create_dir(root.join(format!("L{level}"))).unwrap();
    }
    for level in 0..levels {
        for i in 0..fan {
            std::os::unix::fs::symlink(format!("../L{}", level + 1), root.join(format!("L{level}/a{i}"))).unwrap();
        }
    }
    fs::copy(library_with_payload(), root.join(format!("L{levels}/lib.so"))).unwrap();
    root.join("L0")
}

#[test]
fn scan_is_linear_on_symlink_fan_out() {
    let dir = tempfile::tempdir().unwrap();
    let start = fan_out(dir.path(), 6, 8);
    // By default links to directories are not followed, and counted.
    let run = jiscan(&[&"scan", &start]);
    let text = stdout(&run);
    assert_eq!(text.lines().count(), 2, "a header and the summary: {text}");
    assert!(text.contains("8 links to directories not followed"), "{text}");
    assert_eq!(code(&run), 0);

    // --follow: each directory is walked once; 8^6 = 262,144 paths lead to
    // the one library, which is reported once.
    let run = jiscan(&[&"scan", &"--json", &"--follow", &start]);
    let out = stdout(&run);
    assert_eq!(out.lines().count(), 1, "{}", &out[..out.len().min(2000)]);
    assert!(out.contains("a0/a0/a0/a0/a0/a0/lib.so"), "{out}");
    let run = jiscan(&[&"scan", &"--follow", &start]);
    let summary = stdout(&run).lines().last().unwrap().to_owned();
    // 7 of the 8 links at each of 6 levels lead to a directory already walked.
    assert!(summary.contains("42 directories already scanned, skipped"), "{summary}");
    assert!(summary.starts_with("1 files, 1 with payload"), "{summary}");
}

#[test]
fn scan_of_a_deep_tree_reports_its_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().join("t");
    for _ in 0..1200 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    fs::copy(library_with_payload(), deep.join("lib.so")).unwrap();
    let run = Command::new(JISCAN).args(["scan", "--json", "t"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let text = stdout(&run);
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains(&format!("{}/lib.so", "d/".repeat(1199) + "d")), "{}", &text[..200.min(text.len())]);
    let run = Command::new(JISCAN).args(["scan", "t"]).current_dir(dir.path()).output().unwrap();
    assert!(stdout(&run).lines().last().unwrap().starts_with("1 files, 1 with payload, 0 without, 0 errors"));
}

#[test]
fn scan_of_proc_self_does_not_walk_the_file_system() {
    if !Path::new("/proc/self/root").exists() {
        eprintln!("SKIPPED: no /proc here");
        return;
    }
    let mut child = Command::new(JISCAN)
        .args(["scan", "--json", "/proc/self"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut count = 0usize;
    for line in lines {
        let line = line.unwrap();
        count += 1;
        let escaped = line.contains("\"/proc/self/root/") || line.contains("\"/proc/self/cwd/");
        if escaped || count > 100_000 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scan /proc/self left /proc through a link ({count} lines): {line}");
        }
    }
    wait_bounded(&mut child, "scan /proc/self");
}

#[test]
fn scan_counts_other_files_and_does_not_enter_pseudo_file_systems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::copy(library_with_payload(), d.join("lib.so")).unwrap();
    fs::write(d.join("notes.txt"), "not an object file\n").unwrap();
    fs::write(d.join("empty.so"), b"").unwrap();
    let run = jiscan(&[&"scan", &d]);
    let text = stdout(&run);
    assert_eq!(code(&run), 0, "files that are not object files are not errors in a walk: {text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(text.lines().last().unwrap(), "3 files, 1 with payload, 0 without, 0 errors, 2 other files");
    // Named on the command line, a file that is not an object file is an error.
    let run = jiscan(&[&"scan", &d.join("notes.txt")]);
    assert_eq!(code(&run), 1);
    assert!(stdout(&run).contains("not an ELF"), "{}", stdout(&run));

    let proc_dev = fs::metadata("/proc/self").map(|m| m.dev());
    if proc_dev.is_ok() {
        std::os::unix::fs::symlink("/proc", d.join("proc")).unwrap();
        let run = jiscan(&[&"scan", &"--follow", &d]);
        let text = stdout(&run);
        assert!(!text.contains("/proc/"), "{text}");
        assert!(text.lines().last().unwrap().contains("1 pseudo-file-system directory not entered"), "{text}");
    } else {
        eprintln!("SKIPPED: no /proc here");
    }
}

// ---------------------------------------------------------------------------
// Medium: a FIFO as an input.

#[test]
fn a_fifo_as_an_input_never_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo");
    let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let payload = write_file(&d.join("p.ji"), &bytes(100, 9));
    let out = d.join("out");
    let plain = plain_library();
    let cases: [(&str, Vec<&dyn AsRef<OsStr>>); 6] = [
        ("inject's library", vec![&"inject", &fifo, &payload, &"-o", &out]),
        ("inject's payload", vec![&"inject", &plain, &fifo, &"-o", &out]),
        ("emit's payload", vec![&"emit", &"--target", &ELF_TARGET, &fifo, &"-o", &out]),
        ("extract's library", vec![&"extract", &fifo, &"-o", &out]),
        ("show", vec![&"show", &fifo]),
        ("scan", vec![&"scan", &fifo]),
    ];
    for (what, args) in cases {
        let mut child = Command::new(JISCAN)
            .args(args.iter().map(|a| a.as_ref()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_bounded(&mut child, what);
        let run = child.wait_with_output().unwrap();
        assert_eq!(code(&run), 1, "{what}");
        let all = format!("{}{}", stdout(&run), stderr(&run));
        assert!(all.contains("not a regular file") && all.contains("FIFO"), "{what}: {all}");
        assert!(!out.exists(), "{what}");
    }
}

// ---------------------------------------------------------------------------
// Medium/low: payload copy.

#[test]
fn a_payload_that_shrinks_during_the_copy_gives_the_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = dense_payload(&d.join("large.ji"), 256 << 20);
    let out = d.join("out.so");
    let mut child = Command::new(JISCAN)
        .arg("inject")
        .arg("--progress")
        .args([plain_library().as_os_str(), payload.as_os_str(), OsStr::new("-o"), out.as_os_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap());
    // The copy has started (a window of 16 MiB is done): cut the payload short.
    let mut text = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(lines.read_line(&mut line).unwrap(), 0, "no progress line: {text}");
        text.push_str(&line);
        if line.contains("16 / 256 MiB") {
            break;
        }
    }
    File::options().write(true).open(&payload).unwrap().set_len(1 << 20).unwrap();
    lines.read_to_string(&mut text).unwrap();
    let status = wait_bounded(&mut child, "inject of a shrinking payload");
    assert_eq!(status.code(), Some(1), "no crash (SIGBUS) and no success: {status:?} {text}");
    assert!(!text.contains("Bad address"), "{text}");
    assert!(text.contains(&payload.display().to_string()), "{text}");
    assert!(text.contains("ended at") || text.contains("changed while"), "{text}");
    assert!(!out.exists());
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
}

#[test]
fn a_sparse_payload_stays_sparse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = d.join("sparse.ji");
    let size = 256u64 << 20;
    let file = File::create(&payload).unwrap();
    file.set_len(size).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_all_at(b"start", 0).unwrap();
    file.write_all_at(b"middle", 100 << 20).unwrap();
    file.write_all_at(b"end", size - 3).unwrap();
    drop(file);
    if fs::metadata(&payload).unwrap().blocks() * 512 > 4 << 20 {
        eprintln!("SKIPPED: this file system does not make sparse files");
        return;
    }
    let out = d.join("out.so");
    let run = jiscan(&[&"inject", &plain_library(), &payload, &"-o", &out]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let allocated = fs::metadata(&out).unwrap().blocks() * 512;
    assert!(allocated < 8 << 20, "a {size}-byte sparse payload gave {allocated} allocated bytes");
    let bytes = fs::read(&out).unwrap();
    let found = pkgimg::find_ji_payload(&bytes).unwrap();
    found.verify().unwrap();
    assert_eq!(found.data(), &fs::read(&payload).unwrap()[..]);

    // extract keeps the holes too.
    let back = d.join("back.ji");
    let run = jiscan(&[&"extract", &out, &"-o", &back]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert!(fs::metadata(&back).unwrap().blocks() * 512 < 8 << 20);
    assert_eq!(fs::read(&back).unwrap(), fs::read(&payload).unwrap());
}

// ---------------------------------------------------------------------------
// Low.

#[test]
fn help_documents_the_write_path_policy() {
    for command in ["inject", "extract", "emit"] {
        let run = jiscan(&[&command, &"--help"]);
        let text = stdout(&run).split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in
            ["regular file", "symbolic link", "same file", "mode", "owner", "temporary file", "lock", "Exit status"]
        {
            assert!(text.contains(needle), "jiscan {command} --help lacks {needle:?}");
        }
    }
    let inject = stdout(&jiscan(&[&"inject", &"--help"])).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in ["hard link", "extended attributes", "--progress"] {
        assert!(inject.contains(needle), "jiscan inject --help lacks {needle:?}");
    }
    let scan = stdout(&jiscan(&[&"scan", &"--help"])).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in ["--follow", "other files", "temporary", "/proc"] {
        assert!(scan.contains(needle), "jiscan scan --help lacks {needle:?}");
    }
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    let n = CString::new(name).unwrap();
    let mut buf = vec![0u8; 256];
    // SAFETY: NUL-terminated strings and a live buffer of the given length.
    let len = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (len >= 0).then(|| buf[..len as usize].to_vec())
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) -> bool {
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    let n = CString::new(name).unwrap();
    // SAFETY: NUL-terminated strings and a live buffer of the given length.
    unsafe { libc::setxattr(p.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) == 0 }
}

#[test]
fn in_place_keeps_extended_attributes_and_warns_about_hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = copy_with_mode(&plain_library(), &d.join("lib.so"), 0o755);
    if !set_xattr(&lib, "user.pkgimg-test", b"kept") {
        eprintln!("SKIPPED: user extended attributes are not supported here");
        return;
    }
    // A file capability (CAP_NET_BIND_SERVICE permitted and effective): root only.
    let capability: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let with_capability = is_root() && set_xattr(&lib, "security.capability", &capability);
    let expected_capability = get_xattr(&lib, "security.capability");
    let other_name = d.join("other-name.so");
    fs::hard_link(&lib, &other_name).unwrap();
    let payload = write_file(&d.join("p.ji"), &bytes(300, 10));

    let run = jiscan(&[&"inject", &"--in-place", &lib, &payload]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(payload_in(&lib), bytes(300, 10));
    assert_eq!(get_xattr(&lib, "user.pkgimg-test").as_deref(), Some(&b"kept"[..]), "user xattr dropped");
    if with_capability {
        assert_eq!(get_xattr(&lib, "security.capability"), expected_capability, "file capability dropped");
    } else {
        eprintln!("SKIPPED: the security.capability part needs root");
    }
    assert!(stderr(&run).contains("hard link"), "{}", stderr(&run));
    assert_eq!(fs::read(&other_name).unwrap(), fs::read(plain_library()).unwrap(), "the other name: old file");
}

#[test]
fn exit_status_is_0_when_only_standard_output_failed() {
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIPPED: no /dev/full");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(400, 11));
    for (what, args) in [
        ("inject", vec![OsString::from("inject"), plain_library().into(), payload.clone().into()]),
        ("emit", vec!["emit".into(), "--target".into(), ELF_TARGET.into(), payload.clone().into()]),
    ] {
        let out = d.join(format!("{what}.out"));
        let run = Command::new(JISCAN)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .stdout(File::options().write(true).open("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(code(&run), 0, "{what}: the destination was written: {}", stderr(&run));
        assert!(stderr(&run).contains("warning"), "{what}: {}", stderr(&run));
        assert_eq!(payload_in(&out), bytes(400, 11), "{what}");
    }
}

#[test]
fn legal_long_names_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long = |tag: &str| d.join(format!("{tag}{}", "x".repeat(255 - tag.len())));
    let payload = write_file(&d.join("p.ji"), &bytes(250, 12));
    let injected = long("i");
    let run = jiscan(&[&"inject", &plain_library(), &payload, &"-o", &injected]);
    assert_eq!(code(&run), 0, "inject: {}", stderr(&run));
    let extracted = long("e");
    let run = jiscan(&[&"extract", &injected, &"-o", &extracted]);
    assert_eq!(code(&run), 0, "extract: {}", stderr(&run));
    assert_eq!(fs::read(&extracted).unwrap(), bytes(250, 12));
    let emitted = long("o");
    let run = jiscan(&[&"emit", &"--target", &ELF_TARGET, &payload, &"-o", &emitted]);
    assert_eq!(code(&run), 0, "emit: {}", stderr(&run));
    for name in [250, 255] {
        let in_place = d.join("p".repeat(name));
        fs::copy(plain_library(), &in_place).unwrap();
        let run = jiscan(&[&"inject", &"--in-place", &in_place, &payload]);
        assert_eq!(code(&run), 0, "--in-place on a {name}-byte name: {}", stderr(&run));
        assert_eq!(payload_in(&in_place), bytes(250, 12));
    }
    assert!(hidden_in(d).is_empty(), "{:?}", hidden_in(d));
}

#[test]
fn inject_accepts_a_non_utf8_output_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(60, 13));
    let out = d.join(OsStr::from_bytes(b"out-\xff.so"));
    let run = jiscan(&[&"inject", &plain_library(), &payload, &"-o", &out]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(payload_in(&out), bytes(60, 13));
}

#[test]
fn inject_errors_name_out_not_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(1 << 20, 14));
    let out = d.join("out.so");
    let mut command = Command::new(JISCAN);
    command.args([OsStr::new("inject"), plain_library().as_os_str(), payload.as_os_str(), OsStr::new("-o")]);
    command.arg(&out);
    // SAFETY: setrlimit(2) and signal(2) in the child before exec: a limit of
    // 256 KiB, and SIGXFSZ at its default action (killing the process), which
    // jiscan itself must ignore so that the write fails with EFBIG (review 18
    // F5: it died with no message and left its temporary file).
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 256 << 10, rlim_max: 256 << 10 };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_DFL);
            Ok(())
        })
    };
    let run = command.output().unwrap();
    assert_eq!(code(&run), 1);
    let message = stderr(&run);
    assert!(message.starts_with(&format!("jiscan: {}: ", out.display())), "{message}");
    assert!(!message.contains(".pkgimg-"), "names the hidden temporary file: {message}");
    assert!(hidden_in(d).is_empty() && !out.exists());
}

#[test]
fn a_directory_output_is_refused_before_the_inputs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let missing = d.join("missing.ji");
    let out = d.join("outdir");
    fs::create_dir(&out).unwrap();
    for args in [
        vec![OsString::from("inject"), plain_library().into(), missing.clone().into()],
        vec!["emit".into(), "--target".into(), ELF_TARGET.into(), missing.clone().into()],
        vec!["extract".into(), missing.clone().into()],
    ] {
        let run = run_to(&args, &out);
        assert_eq!(code(&run), 1);
        let message = stderr(&run);
        assert!(message.contains("outdir") && message.contains("directory"), "{args:?}: {message}");
        assert!(!message.contains("missing.ji"), "{args:?}: the output is checked first: {message}");
    }
}

#[test]
fn a_library_that_is_not_a_library_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(60, 15));
    let empty = write_file(&d.join("empty.so"), b"");
    let out = d.join("out.so");
    for (library, needle) in
        [(d.to_path_buf(), "directory"), (PathBuf::from("/dev/null"), "character device"), (empty, "empty file")]
    {
        let run = jiscan(&[&"inject", &library, &payload, &"-o", &out]);
        assert_eq!(code(&run), 1);
        let message = stderr(&run);
        assert!(message.contains(needle) && !message.contains("No such device"), "{message}");
        assert!(!message.contains("first bytes"), "{message}");
    }
}

#[test]
fn already_has_a_payload_is_one_line_and_a_coff_object_is_not_told_to_replace() {
    let dir = tempfile::tempdir().unwrap();
    let payload = write_file(&dir.path().join("p.ji"), &bytes(60, 16));
    let out = dir.path().join("out");
    let run = jiscan(&[&"inject", &library_with_payload(), &payload, &"-o", &out]);
    assert_eq!(code(&run), 1);
    let message = stderr(&run);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("--replace"), "{message}");

    let obj = common::corpus().join("obj/x86_64-windows.obj");
    let run = jiscan(&[&"inject", &obj, &payload, &"-o", &out]);
    assert_eq!(code(&run), 1);
    let message = stderr(&run);
    assert!(message.contains("COFF object") && !message.contains("replace"), "{message}");
}

#[test]
fn a_broken_pipe_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(1 << 20, 17));
    let lib = d.join("lib.so");
    let run = jiscan(&[&"inject", &plain_library(), &payload, &"-o", &lib]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let mut child = Command::new(JISCAN)
        .args([OsStr::new("extract"), lib.as_os_str(), OsStr::new("-o"), OsStr::new("-")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before 1 MiB fits in the pipe (like `| head -c 1`).
    let mut first = [0u8; 1];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let run = child.wait_with_output().unwrap();
    assert!(run.stderr.is_empty(), "{}", stderr(&run));
    assert_eq!(code(&run), 1, "the payload did not all reach its reader");
}

#[test]
fn table_output_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let name = OsStr::from_bytes(b"evil\n\x1b[31mred.so");
    fs::copy(library_with_payload(), dir.path().join(name)).unwrap();
    fs::write(dir.path().join(OsStr::from_bytes(b"bad\x07.so")), b"\x7fELF").unwrap();
    let run = jiscan(&[&"scan", &dir.path()]);
    let text = stdout(&run);
    assert_eq!(text.lines().count(), 4, "one row per file: {text}");
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "raw control characters: {text:?}");
    assert!(text.contains("evil\\n\\033[31mred.so"), "{text}");
    assert!(text.contains("bad\\a.so"), "{text}");
}

#[test]
fn show_prints_errors_on_standard_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.so");
    let run = jiscan(&[&"show", &missing]);
    assert_eq!(code(&run), 1);
    assert!(stderr(&run).contains("missing.so"), "{}", stderr(&run));
    let run = jiscan(&[&"show", &plain_library()]);
    assert_eq!(code(&run), 1);
    assert!(stderr(&run).contains("no payload"), "{}", stderr(&run));
}

#[test]
fn the_c_api_says_a_huge_length_is_a_length_problem() {
    let byte = 0u8;
    let (mut offset, mut size) = (0u64, 0u64);
    // SAFETY: the length is the point of the test: the function must refuse it
    // before reading anything.
    let find = unsafe { pkgimg::capi::pkgimg_find_ji_payload(&byte, usize::MAX, &mut offset, &mut size) };
    // SAFETY: as above.
    let verify = unsafe { pkgimg::capi::pkgimg_verify(&byte, usize::MAX) };
    assert_eq!((find, verify), (-16, -16), "PKGIMG_E_LENGTH, not PKGIMG_E_NULL (-1)");
    // SAFETY: strerror returns a static NUL-terminated string.
    let text = unsafe { std::ffi::CStr::from_ptr(pkgimg::capi::pkgimg_strerror(-16)) };
    assert!(text.to_str().unwrap().contains("PTRDIFF_MAX"), "{text:?}");
    let header = fs::read_to_string(common::root().join("include/pkgimg.h")).unwrap();
    let defined = header.lines().any(|l| l.split_whitespace().take(3).eq(["#define", "PKGIMG_E_LENGTH", "-16"]));
    assert!(defined, "include/pkgimg.h defines PKGIMG_E_LENGTH as -16");
}

#[test]
fn extract_syncs_the_directory_after_its_rename() {
    let probe = Command::new("strace").args(["-f", "-o", "/dev/null", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(!common::in_ci(), "strace is required under CI=true (.ci/run installs it)");
        eprintln!("SKIPPED: strace is not available (or ptrace is not permitted)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("x.ji");
    let log = d.join("trace");
    let run = Command::new("strace")
        .args(["-f", "-e", "trace=openat,rename,renameat,renameat2,fsync", "-o"])
        .arg(&log)
        .arg(JISCAN)
        .args([OsStr::new("extract"), library_with_payload().as_os_str(), OsStr::new("-o"), out.as_os_str()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let trace = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = trace.lines().collect();
    let rename = lines.iter().position(|l| l.contains("rename") && l.contains("x.ji")).expect("a rename to OUT");
    let dir_text = format!("\"{}\"", d.display());
    let dir_fds: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("openat(") && l.contains(&dir_text))
        .filter_map(|l| l.rsplit("= ").next().map(|fd| fd.trim().to_owned()))
        .collect();
    let synced = lines[rename..].iter().any(|l| dir_fds.iter().any(|fd| l.contains(&format!("fsync({fd})"))));
    assert!(synced, "no fsync of {} after the rename:\n{trace}", d.display());
}

/// Review 18 F8: a killed `--compress` run leaves its scratch file
/// (`.OUT.pkgimg-zstd.pkgimg-XXXXXX`, as large as the compressed payload).
/// The next write of OUT removes it and says so, with `--compress` or
/// without; it was removed only by a compressing run, silently.
#[test]
fn a_killed_compressing_runs_scratch_file_is_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = write_file(&d.join("p.ji"), &bytes(5000, 21));
    for compress in [false, true] {
        let scratch = d.join(".out.so.pkgimg-zstd.pkgimg-0a1b2c");
        write_file(&scratch, &bytes(1000, 22));
        let mut command = Command::new(JISCAN);
        command.args([OsStr::new("inject"), plain_library().as_os_str(), payload.as_os_str()]);
        if compress {
            command.arg("--compress");
        }
        let run = command.args(["--replace", "-o"]).arg(d.join("out.so")).output().unwrap();
        assert_eq!(code(&run), 0, "{}", stderr(&run));
        let message = stderr(&run);
        assert!(message.contains(&format!("removed {}", scratch.display())), "compress {compress}: {message}");
        assert!(hidden_in(d).is_empty(), "compress {compress}: {:?}", hidden_in(d));
    }
}
