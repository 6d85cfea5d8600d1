//! Why a write did not happen. Each message names the file it is about.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::InjectError;

/// What an input is to the command: its messages name the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// The shared library read by `inject` and `extract`.
    Library,
    /// The payload file read by `inject` and `emit`.
    Payload,
}

impl Role {
    /// "library" or "payload".
    pub fn name(self) -> &'static str {
        match self {
            Role::Library => "library",
            Role::Payload => "payload",
        }
    }

    /// The operation an [`InjectError::Io`] names for a refused input.
    fn operation(self) -> &'static str {
        match self {
            Role::Library => "use it as the library",
            Role::Payload => "use it as the payload",
        }
    }
}

/// Why the write path refused or failed. Nothing was written at the
/// destination, and no input was changed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError {
    /// The destination is not a regular file or a path that does not exist
    /// yet (a device, FIFO, socket, directory, a symbolic link to nothing),
    /// or its directory does not exist.
    Destination {
        /// The destination, as given.
        path: PathBuf,
        /// What it is, and what would be accepted.
        reason: String,
    },
    /// The destination is the same file (device and inode) as an input.
    SameFile {
        /// The destination, as given.
        path: PathBuf,
        /// The input it is.
        input: PathBuf,
        /// What that input is.
        role: Role,
    },
    /// An input is not a regular file, or is empty where it may not be.
    Input {
        /// The input.
        path: PathBuf,
        /// What it is.
        role: Role,
        /// Why it cannot be used.
        reason: String,
    },
    /// Another process holds the destination's lock, and the caller asked
    /// not to wait ([`Wait::Fail`](super::Wait::Fail)).
    Busy {
        /// The destination.
        path: PathBuf,
    },
    /// The destination did not exist when the write began, and another
    /// process created it meanwhile: it was left as that process wrote it.
    Raced {
        /// The destination.
        path: PathBuf,
    },
    /// An operation on a file failed.
    Io {
        /// The file the message names (the destination for anything done to
        /// the temporary file: that is the file the user asked for).
        path: PathBuf,
        /// What was being done, e.g. "create a temporary file in its directory".
        operation: &'static str,
        /// The system's error.
        source: io::Error,
    },
}

impl WriteError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            WriteError::Destination { path, .. }
            | WriteError::SameFile { path, .. }
            | WriteError::Input { path, .. }
            | WriteError::Busy { path }
            | WriteError::Raced { path }
            | WriteError::Io { path, .. } => path,
        }
    }

    /// What follows "PATH: cannot " in the message, split as an
    /// [`InjectError::Io`] has it: the operation and the detail.
    fn parts(&self) -> (&'static str, String) {
        match self {
            WriteError::Destination { reason, .. } => ("write the result there", reason.clone()),
            WriteError::SameFile { input, role, .. } => (
                "write the result there",
                format!(
                    "it is the same file as the {} {}, which the output would destroy",
                    role.name(),
                    input.display()
                ),
            ),
            WriteError::Input { role, reason, .. } => (role.operation(), reason.clone()),
            WriteError::Busy { .. } => ("write the result there", "another process is writing it".to_string()),
            WriteError::Raced { .. } => (
                "rename the result into place",
                "another process created it while this one was writing it; it was left as that process \
                 wrote it, and this result was discarded"
                    .to_string(),
            ),
            WriteError::Io { operation, source, .. } => (operation, source.to_string()),
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (operation, detail) = self.parts();
        write!(f, "{}: cannot {operation}: {detail}", self.path().display())
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The library's [`inject()`](crate::inject()) reports a write-path refusal
/// as an [`InjectError::Io`] with the same message.
impl From<WriteError> for InjectError {
    fn from(error: WriteError) -> InjectError {
        let kind = match &error {
            WriteError::Io { source, .. } => source.kind(),
            WriteError::Busy { .. } => io::ErrorKind::WouldBlock,
            WriteError::Raced { .. } => io::ErrorKind::AlreadyExists,
            _ => io::ErrorKind::InvalidInput,
        };
        let (operation, detail) = error.parts();
        let path = error.path().to_path_buf();
        let source = match error {
            WriteError::Io { source, .. } => source,
            _ => io::Error::new(kind, detail),
        };
        InjectError::Io { path, operation, source }
    }
}

/// Turns an I/O error on `path` during `operation` into a [`WriteError`].
pub(super) fn io_error<'a>(
    path: &'a std::path::Path,
    operation: &'static str,
) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io { path: path.to_path_buf(), operation, source }
}

/// What a file is, for messages: "a directory", "a FIFO", ...
pub(super) fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        "a regular file"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}
