//! The write path as `inject`, `extract` and `emit` use it
//! ([`pkgimg::write_path`]): preparing the destination (saying so when
//! another writer holds it), and telling the user what happened once the
//! result is in place. What they print follows one rule: standard output
//! carries the result or the summary line, standard error every message, one
//! line each, control characters escaped.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use pkgimg::write_path::{Destination, Wait, WriteError};

use crate::text::escape;

/// The write-path policy, as each write subcommand's `--help` states it.
macro_rules! write_policy_help {
    () => {
        "\
Writing OUT (the same rules for inject, extract and emit; README.md, \"Writing files safely\"):
  - OUT must be a regular file or a path that does not exist yet. A device, FIFO, socket or directory \
is refused before any work, as is a symbolic link to nothing. A symbolic link to a regular file is \
followed: the file it points to is replaced and the link is kept.
  - OUT may not be the same file as an input (compared by device and inode, so hard and symbolic \
links count); 'inject --in-place' (or 'inject -o LIBRARY') is the one exception.
  - The result is written to a temporary file in OUT's directory (.NAME.pkgimg-XXXXXX, or a 31-byte \
name when NAME is too long for that), private (mode 0600) until it is complete, checked, synced, and \
renamed over OUT: OUT is the old file or the new one, never a mix. The temporary file is removed on \
any error and on a signal that ends the process (Ctrl-C, Ctrl-\\, SIGTERM, SIGHUP, SIGUSR1, ...); one that a killed run left (kill -9) is removed by the \
next run that writes OUT, and 'jiscan scan' skips it.
  - An existing OUT is locked (flock) while it is written (one this user may not read cannot be, and \
is written unlocked): a second jiscan writing it waits, says \
so, and then works on the first one's result. If OUT did not exist and another process creates it \
meanwhile, it is not replaced (exit status 1).
  - The owner and group of the source are kept where the process may set them (root may; anyone may \
use a group they are in); where not, the setuid and setgid bits are dropped, with a warning, as cp -p \
and install do. The mode is never wider than the source's (see below for which file that is)."
    };
}
pub(crate) use write_policy_help;

/// The exit status a write subcommand's `--help` states; `(stdout)` for one
/// that can write to standard output (`-o -`).
macro_rules! write_exit_help {
    () => {
        write_exit_help!(@ "")
    };
    (stdout) => {
        write_exit_help!(@ "; with '-o -', also when the reader went away before the end (silently, as for scan)")
    };
    (@ $stdout:literal) => {
        concat!(
            "\
Exit status:
  0  OUT holds the new result; a warning on standard error may say what could not be kept (an owner, \
an extended attribute, hard links) or that the summary line could not be printed
  1  nothing was written at OUT and no input changed (the message names the file and what is wrong \
with it)",
            $stdout,
            "
  2  bad usage: unknown option, missing or malformed argument"
        )
    };
}
pub(crate) use write_exit_help;

/// Checks and locks `out` ([`Destination::prepare`]); if another process
/// holds its lock, says so on standard error and waits for it.
pub fn destination(out: &Path) -> Result<Destination, WriteError> {
    match Destination::prepare(out, Wait::Fail) {
        Err(WriteError::Busy { path }) => {
            let message = format!("{}: another process is writing it; waiting for it to finish", path.display());
            let _ = writeln!(io::stderr(), "jiscan: {}", escape(&message));
            Destination::prepare(out, Wait::Block)
        }
        other => other,
    }
}

/// An error, on standard error: `jiscan: MESSAGE`.
pub fn error(message: &str) {
    let _ = writeln!(io::stderr(), "jiscan: {}", escape(message));
}

/// A warning about a result that is in place.
pub fn warning(message: &str) {
    let _ = writeln!(io::stderr(), "jiscan: warning: {}", escape(message));
}

/// What the write path reports after a commit: warnings, and the temporary
/// files of dead runs it removed.
pub fn after_commit(warnings: &[String], removed: &[PathBuf]) {
    for path in removed {
        let message = format!("removed {}, a temporary file left by an interrupted run", path.display());
        let _ = writeln!(io::stderr(), "jiscan: {}", escape(&message));
    }
    for message in warnings {
        warning(message);
    }
}

/// Prints the summary line of a result that is in place. It cannot fail the
/// command: a full or closed standard output is a warning (a reader that
/// went away, not even that).
pub fn summary(line: &str) {
    let mut out = io::stdout().lock();
    let result = writeln!(out, "{}", escape(line)).and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => warning(&format!("the result is in place, but its summary could not be printed: {e}")),
        Ok(()) => {}
    }
}
