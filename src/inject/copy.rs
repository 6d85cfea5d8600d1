//! Copying one payload file into the output: a single pass that checksums
//! the bytes on their way, so the payload is read exactly once, and that
//! notices a payload changed by another process meanwhile.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::mapping::map_window;
use crate::write::error::{io_error, InjectError};
use crate::write::plan::PayloadInfo;

/// The payload is copied and checksummed in windows of 16 MiB, reporting
/// progress after each.
const COPY_STEP: u64 = 16 << 20;

/// The caller's progress callback, if any (`InjectOptions::progress`).
pub(super) type Progress = Option<Box<dyn FnMut(u64, u64)>>;

/// Copies exactly `info.size` bytes of `source` to `out` and returns their
/// CRC-32C: one pass over windows of `COPY_STEP` bytes, each mapped,
/// checksummed, written and unmapped (so resident memory stays at one
/// window), with progress reported before the first and after each. A
/// payload that shrinks or changes during the copy is an error, not a torn
/// copy.
pub(super) fn copy_payload(
    mut out: &File,
    source: &Path,
    info: PayloadInfo,
    temp: &Path,
    progress: &mut Progress,
) -> Result<u32, InjectError> {
    let file = File::open(source).map_err(io_error(source, "open the payload"))?;
    let metadata = |file: &File| stamp(file).map_err(io_error(source, "read the payload's metadata"));
    let before = metadata(&file)?;
    let total = info.size;
    let (mut done, mut crc) = (0u64, 0u32);
    if let Some(report) = progress.as_mut() {
        report(done, total);
    }
    while done < total {
        let step = COPY_STEP.min(total.saturating_sub(done));
        let now = metadata(&file)?.0;
        if now < done.saturating_add(step) {
            return Err(InjectError::Refused {
                path: source.to_path_buf(),
                structure: "payload",
                offset: now,
                reason: format!("the file ended at {now} bytes, but it had {total} when the output was laid out"),
            });
        }
        let len = usize::try_from(step)
            .map_err(|_| io_error(source, "map the payload")(io::ErrorKind::InvalidInput.into()))?;
        let window = map_window(&file, done, len).map_err(io_error(source, "map the payload"))?;
        crc = crc32c::crc32c_append(crc, &window);
        out.write_all(&window).map_err(io_error(temp, "write the payload"))?;
        drop(window);
        start_writeback(out, step);
        done = done.saturating_add(step);
        if let Some(report) = progress.as_mut() {
            report(done, total);
        }
    }
    if metadata(&file)? != before {
        let reason = "the file changed while it was copied; the output would mix old and new bytes".to_string();
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    Ok(crc)
}

/// What `copy_payload` compares before and after the copy to notice a
/// payload changed meanwhile: size, modification and status-change times.
fn stamp(file: &File) -> io::Result<(u64, Option<std::time::SystemTime>, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata()?;
    Ok((metadata.len(), metadata.modified().ok(), metadata.ctime(), metadata.ctime_nsec()))
}

/// Asks the kernel to start writing the `len` bytes just written (ending at
/// the file position) to disk now, without waiting, so that the disk works
/// while the rest is copied and the final `sync_all` has less left to do. A
/// hint only: if it fails, `sync_all` still writes everything.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn start_writeback(mut out: &File, len: u64) {
    use std::io::Seek;
    use std::os::fd::AsRawFd;
    let Ok(end) = out.stream_position() else { return };
    let (Ok(start), Ok(len)) = (i64::try_from(end.saturating_sub(len)), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range(2) only reads its integer arguments; the
    // descriptor is open for the duration of the call.
    unsafe { libc::sync_file_range(out.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_out: &File, _len: u64) {}
