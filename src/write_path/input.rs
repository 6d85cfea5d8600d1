//! Opening an input: without blocking, and checked to be a regular file on
//! the descriptor that will be read, so that neither a FIFO (whose `open`
//! waits for a writer) nor a file swapped in between a check and the open
//! gets through.

use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::error::{io_error, kind_of, Role, WriteError};

/// An input opened for reading and checked to be a regular file.
#[derive(Debug)]
pub struct Input {
    /// The path given.
    pub path: PathBuf,
    /// The file, open read-only (with `O_NONBLOCK`, which regular files ignore).
    pub file: File,
    /// Its metadata, from the open descriptor.
    pub metadata: Metadata,
}

/// Opens `path` read-only with `O_NONBLOCK`, then checks on the descriptor
/// that it is a regular file (and, for a [`Role::Library`], not empty). The
/// error names the file and says what it is: "not a regular file (it is a
/// FIFO (named pipe))", "empty file".
///
/// ```
/// use std::path::Path;
/// use pkgimg::write_path::{open_input, Role};
/// let input = open_input(Path::new("corpus/elf/x86_64-linux-musl.so"), Role::Library)?;
/// assert!(input.metadata.len() > 0);
/// let error = open_input(Path::new("corpus"), Role::Library).unwrap_err();
/// assert_eq!(error.to_string(), "corpus: cannot use it as the library: not a regular file (it is a directory)");
/// # Ok::<(), pkgimg::write_path::WriteError>(())
/// ```
pub fn open_input(path: &Path, role: Role) -> Result<Input, WriteError> {
    let operation = match role {
        Role::Library => "open the library",
        Role::Payload => "open the payload",
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(io_error(path, operation))?;
    let metadata = file.metadata().map_err(io_error(path, "read its metadata"))?;
    let reason = if !metadata.is_file() {
        Some(format!("not a regular file (it is {})", kind_of(metadata.file_type())))
    } else if role == Role::Library && metadata.len() == 0 {
        Some("empty file".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(WriteError::Input { path: path.to_path_buf(), role, reason }),
        None => Ok(Input { path: path.to_path_buf(), file, metadata }),
    }
}
