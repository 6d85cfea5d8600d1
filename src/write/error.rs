//! The writers' errors: [`EmitError`] for objects written from nothing,
//! [`InjectError`] for libraries rewritten with a payload. Both name the
//! format's field or structure; an inject error also names the file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::{Misfit, Problem};
use crate::{Error, Format};

/// Why an object could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmitError {
    /// A part of the target triple is not understood.
    Triple {
        /// The whole triple as given.
        triple: String,
        /// The component that was not understood ("" when one is missing).
        part: String,
        /// What was expected there.
        problem: &'static str,
    },
    /// The triple is understood, but this writer makes no object for it.
    Unsupported {
        /// The whole triple as given, when parsing refused it; a writer
        /// handed a parsed [`Target`](crate::Target), which keeps no text,
        /// names what it saw instead (`PE machine 0x01c4`, `ELF`).
        triple: String,
        /// Why not.
        reason: &'static str,
    },
    /// The payload is too large for a size field of the format.
    TooLarge {
        /// The object format.
        format: Format,
        /// The field that cannot hold the value.
        field: &'static str,
        /// The value that does not fit.
        value: u64,
        /// The largest value the field holds.
        limit: u64,
    },
    /// The request cannot be written in the format: a data library's name or
    /// symbol that is empty or holds a NUL byte, a universal file with no
    /// slice or the same architecture twice.
    BadRequest {
        /// The object format.
        format: Format,
        /// What cannot be written, and why.
        reason: String,
    },
    /// A header field the writer placed lies outside the object it is
    /// writing: a bug in this writer, never caused by the payload.
    Misplaced {
        /// The object format.
        format: Format,
        /// The field.
        field: &'static str,
        /// Where the writer tried to put it.
        offset: u64,
    },
    /// The payload reader ended before `payload_size` bytes.
    ShortPayload {
        /// The size promised.
        expected: u64,
        /// The bytes the reader gave.
        got: u64,
    },
    /// The streamed payload's CRC-32C is not the one given (and written into
    /// the frame): the object that was written is wrong and must be discarded.
    ChecksumMismatch {
        /// The CRC given by the caller.
        expected: u32,
        /// The CRC of the bytes read.
        actual: u32,
    },
    /// Writing the object (or reading the payload) failed.
    Io(io::Error),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::Triple { triple, part, problem } if part.is_empty() => {
                write!(f, "target triple \"{triple}\" not understood: {problem}")
            }
            EmitError::Triple { triple, part, problem } => {
                write!(f, "target triple \"{triple}\" not understood: \"{part}\" is not {problem}")
            }
            EmitError::Unsupported { triple, reason } => {
                write!(f, "no object writer for target \"{triple}\": {reason}")
            }
            EmitError::TooLarge { format, field, value, limit } => {
                write!(f, "{format} {field} would be {value:#x}, above its limit {limit:#x}: payload too large")
            }
            EmitError::BadRequest { format, reason } => write!(f, "cannot write this {format} library: {reason}"),
            EmitError::Misplaced { format, field, offset } => {
                write!(f, "{format} {field} at {offset:#x} lies outside the object being written (a bug in this writer)")
            }
            EmitError::ShortPayload { expected, got } => {
                write!(f, "payload reader ended after {got} bytes; {expected} were promised (object is incomplete)")
            }
            EmitError::ChecksumMismatch { expected, actual } => write!(
                f,
                "streamed payload has CRC-32C {actual:#010x}, but {expected:#010x} was given and written (object is wrong)"
            ),
            EmitError::Io(e) => write!(f, "writing the object: {e}"),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmitError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for EmitError {
    fn from(e: io::Error) -> Self {
        EmitError::Io(e)
    }
}

impl From<Misfit> for EmitError {
    fn from(m: Misfit) -> EmitError {
        match m.problem {
            Problem::TooLarge { value, limit } => {
                EmitError::TooLarge { format: m.format, field: m.field, value, limit }
            }
            // Header fields the writer itself placed: out of range only by a bug.
            Problem::Outside { .. } | Problem::Overflow => {
                EmitError::Misplaced { format: m.format, field: m.field, offset: m.at }
            }
        }
    }
}

/// Why an injection did not happen. Nothing was written at the destination.
#[derive(Debug)]
#[non_exhaustive]
pub enum InjectError {
    /// An operation on a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done, e.g. "create the temporary file".
        operation: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// The library's headers are malformed (or the written file's, see
    /// [`InjectError::Verify`]).
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        source: Error,
    },
    /// The library already carries a payload and `replace` was not set.
    AlreadyHasPayload {
        /// The library.
        path: PathBuf,
        /// File offset of the existing container's data.
        offset: u64,
    },
    /// The PE library is signed and `drop_signature` was not set.
    Signed {
        /// The library.
        path: PathBuf,
        /// File offset of the certificate table.
        offset: u64,
        /// Its size.
        size: u64,
    },
    /// The library cannot take a payload as it is: `structure` at `offset`,
    /// and why.
    Refused {
        /// The library.
        path: PathBuf,
        /// The structure concerned, e.g. "PE section table".
        structure: &'static str,
        /// Its file offset.
        offset: u64,
        /// Why, and what would make it possible.
        reason: String,
    },
    /// The written file did not read back as the layout said; it was removed.
    Verify {
        /// The destination.
        path: PathBuf,
        /// What differed.
        reason: String,
    },
}

impl InjectError {
    /// A refusal from a format module; the driver adds the path.
    pub(crate) fn refused(structure: &'static str, offset: u64, reason: impl Into<String>) -> InjectError {
        InjectError::Refused { path: PathBuf::new(), structure, offset, reason: reason.into() }
    }

    /// Fills in the file the error is about, where a format module left it empty.
    pub(crate) fn at(mut self, file: &Path) -> InjectError {
        let path = match &mut self {
            InjectError::Io { path, .. }
            | InjectError::Format { path, .. }
            | InjectError::AlreadyHasPayload { path, .. }
            | InjectError::Signed { path, .. }
            | InjectError::Refused { path, .. }
            | InjectError::Verify { path, .. } => path,
        };
        if path.as_os_str().is_empty() {
            *path = file.to_path_buf();
        }
        self
    }
}

impl From<Error> for InjectError {
    fn from(source: Error) -> InjectError {
        InjectError::Format { path: PathBuf::new(), source }
    }
}

impl fmt::Display for InjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InjectError::Io { path, operation, source } => {
                write!(f, "{}: cannot {operation}: {source}", path.display())
            }
            InjectError::Format { path, source } => write!(f, "{}: {source}", path.display()),
            InjectError::AlreadyHasPayload { path, offset } => write!(
                f,
                "{}: already carries a payload (container data at {offset:#x}); use replace to overwrite it",
                path.display()
            ),
            InjectError::Signed { path, offset, size } => write!(
                f,
                "{}: PE security directory points to an Authenticode signature ({size} bytes at {offset:#x}); \
                 adding a payload changes the signed bytes, so the signature would no longer match; \
                 set InjectOptions::drop_signature (jiscan inject --drop-signature) to remove it, and re-sign \
                 the result",
                path.display()
            ),
            InjectError::Refused { path, structure, offset, reason } => {
                write!(f, "{}: {structure} at {offset:#x}: {reason}", path.display())
            }
            InjectError::Verify { path, reason } => write!(
                f,
                "{}: the written file did not read back as expected ({reason}); the destination was not touched",
                path.display()
            ),
        }
    }
}

impl std::error::Error for InjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InjectError::Io { source, .. } => Some(source),
            InjectError::Format { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Misfit> for InjectError {
    fn from(m: Misfit) -> InjectError {
        let reason = match m.problem {
            Problem::TooLarge { value, limit } => {
                format!("{value:#x} does not fit the {} field {} (at most {limit:#x})", m.format, m.field)
            }
            Problem::Outside { len } => format!("{len} bytes lie outside the header (internal error)"),
            Problem::Overflow => "the offset overflows 64 bits".to_string(),
        };
        InjectError::refused(m.field, m.at, reason)
    }
}

/// Turns an I/O error on `path` during `operation` into an [`InjectError`].
pub(crate) fn io_error<'a>(path: &'a Path, operation: &'static str) -> impl FnOnce(io::Error) -> InjectError + 'a {
    move |source| InjectError::Io { path: path.to_path_buf(), operation, source }
}
