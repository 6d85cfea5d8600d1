//! The write-path policy: how every writer of this crate ([`inject()`](crate::inject())
//! (crate::inject())) and of `jiscan` (`inject`, `extract`, `emit`) puts a
//! file in place. One implementation, so that the rules below hold for all of
//! them; README.md, "Writing files safely", says the same for users.
//!
//! 1. **Destinations** ([`Destination`]). The output must be a regular file
//!    or a path that does not exist yet. A device, FIFO, socket or directory
//!    is refused before any work, with a message that says what it is. A
//!    symbolic link is followed and the file it points to is replaced
//!    atomically, the link kept (a link to nothing is refused). An output
//!    that is the same file (device and inode) as an input is refused,
//!    except `inject`'s in-place case, where the library is replaced.
//! 2. **Owner, group and mode** ([`Attributes`], [`TempFile::finish`]). The
//!    temporary file is created `0600` and gets its final mode only when
//!    complete. An output's mode is never wider than its source's (the
//!    library for `inject` and `extract`, the payload for `emit`). Owner and
//!    group are kept where the process may; where it may not, setuid and
//!    setgid are dropped, with a warning. An in-place write copies the
//!    extended attributes (ACLs, `security.capability`, on Linux). Hard
//!    links are not kept: the other names keep showing the old file, and a
//!    warning says so.
//! 3. **Temporary files** ([`TempFile`], [`is_temporary_name`]). One naming
//!    scheme, `.NAME.pkgimg-XXXXXX`, falling back to a 31-byte name for a
//!    destination name too long for it, so any legal name works. Removed on
//!    every error, and on SIGINT, SIGTERM and SIGHUP once
//!    [`remove_temporary_files_on_signals`] is installed. Each is locked by
//!    its writer, so a later write to the same destination tells a dead
//!    writer's file (removed) from a live one's (left alone).
//! 4. **Exit codes tell the truth.** [`TempFile::commit`] succeeds once the
//!    rename is done; what fails after it (syncing the directory) is a
//!    warning in [`Committed`], never an error, since the destination then
//!    holds the new content.
//! 5. **Locks.** An existing destination is locked (`flock(2)`) from
//!    [`Destination::prepare`] to the commit: a second writer waits, then
//!    sees the first one's result ([`Wait`]). A new destination created by
//!    someone else meanwhile is not replaced ([`WriteError::Raced`]).
//! 6. **Inputs** ([`open_input`], [`copy_range`]). Opened with
//!    `O_NONBLOCK` and checked to be regular files on the open descriptor,
//!    so a FIFO never hangs. Copied with `pread`, never a mapping: a source
//!    that shrinks is a clear error, not a SIGBUS. Holes stay holes.
//!
//! ```
//! use std::io::Write;
//! use pkgimg::write_path::{open_input, Attributes, Destination, Role, Wait};
//!
//! let dir = std::env::temp_dir().join(format!("pkgimg-doc-write-path-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let source = open_input(std::path::Path::new("corpus/elf/x86_64-linux-musl.so"), Role::Library)?;
//! let out = dir.join("copy.bin");
//!
//! let destination = Destination::prepare(&out, Wait::Block)?; // checked and locked, nothing written yet
//! destination.check_input(&source, Role::Library)?;            // not the same file
//! let mut temp = destination.create_temp()?;                   // .copy.bin.pkgimg-XXXXXX, mode 0600
//! temp.file().write_all(b"the result")?;
//! temp.finish(&Attributes::data_from(&source.metadata), None)?; // owner, group, mode; fsync
//! let committed = temp.commit()?;                              // rename, sync the directory
//! assert!(committed.warnings.is_empty());
//! assert_eq!(std::fs::read(&out)?, b"the result");
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attributes;
mod copy;
mod destination;
mod error;
mod input;
mod names;
mod signals;
mod sys;
mod temp;

pub use attributes::Attributes;
pub use copy::{copy_range, CopyError, STEP};
pub use destination::{Destination, Wait};
pub use error::{Role, WriteError};
pub use input::{open_input, Input};
pub use names::is_temporary_name;
pub(crate) use names::{companion, COMPRESS_SCRATCH};
pub use signals::remove_temporary_files_on_signals;
pub use temp::{Committed, TempFile};
