//! Copying one payload file into the output: a single pass that checksums
//! the bytes on their way, so the payload is read exactly once, and that
//! notices a payload changed by another process meanwhile.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::write::error::{io_error, InjectError};
use crate::write::plan::PayloadInfo;
use crate::write_path::{copy_range, CopyError};

/// The caller's progress callback, if any (`InjectOptions::progress`).
pub(super) type Progress = Option<Box<dyn FnMut(u64, u64)>>;

/// Copies exactly `info.size` bytes of `file` (the payload at `source`,
/// already opened and checked to be a regular file) to `out` and returns
/// their CRC-32C: one pass with `pread` through a small buffer (so resident
/// memory stays small), holes kept as holes, with progress reported before
/// the first byte and after every 16 MiB. A payload whose length is no
/// longer `info.size` is refused before the copy, one that shrinks during
/// it is "the file ended at N bytes", and one that changes otherwise is
/// refused too: never a torn copy, never a fault.
pub(super) fn copy_payload(
    out: &File,
    file: &File,
    source: &Path,
    info: PayloadInfo,
    destination: &Path,
    progress: &mut Progress,
) -> Result<u32, InjectError> {
    let metadata = |file: &File| stamp(file).map_err(io_error(source, "read the payload's metadata"));
    let before = metadata(file)?;
    let total = info.size;
    // The output was laid out for `total` bytes: a file grown since (or
    // replaced by a rename, for a payload opened again by its path) would be
    // cut to the old size with a CRC that matches the cut copy.
    if before.0 != total {
        let reason = format!("the file has {} bytes, but it had {total} when the output was laid out", before.0);
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    if let Some(report) = progress.as_mut() {
        report(0, total);
    }
    let mut step = |done: u64| {
        if let Some(report) = progress.as_mut() {
            report(done, total);
        }
    };
    let crc = copy_range(file, 0, total, out, &mut step).map_err(|e| match e {
        CopyError::Ended { at } => InjectError::Refused {
            path: source.to_path_buf(),
            structure: "payload",
            offset: at,
            reason: format!("the file ended at {at} bytes, but it had {total} when the output was laid out"),
        },
        CopyError::Read(e) => io_error(source, "read the payload")(e),
        CopyError::Write(e) => io_error(destination, "write the payload into its temporary file")(e),
    })?;
    if metadata(file)? != before {
        let reason = "the file changed while it was copied; the output would mix old and new bytes".to_string();
        return Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: 0, reason });
    }
    ends_at(file, source, total)?;
    Ok(crc)
}

/// Refuses a payload that holds more than the `size` bytes its `stat` gave:
/// a file under `/proc` or `/sys` is a regular file whose size is 0 however
/// much it holds, and the copy (or compression) of `size` bytes would have
/// been a silent, shorter payload. One `pread` of one byte past the end.
pub(super) fn ends_at(file: &File, source: &Path, size: u64) -> Result<(), InjectError> {
    use std::os::unix::fs::FileExt;
    let mut byte = [0u8; 1];
    let more = loop {
        match file.read_at(&mut byte, size) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => break other.map_err(io_error(source, "read the payload"))?,
        }
    };
    if more == 0 {
        return Ok(());
    }
    let reason = format!(
        "the file holds more than the {size} bytes its size says (a file under /proc or /sys reports a size \
         it does not have); copy it to a regular file first"
    );
    Err(InjectError::Refused { path: source.to_path_buf(), structure: "payload", offset: size, reason })
}

/// What `copy_payload` compares before and after the copy to notice a
/// payload changed meanwhile: size, modification and status-change times.
/// (`compress` compares the same.)
pub(super) fn stamp(file: &File) -> io::Result<(u64, Option<std::time::SystemTime>, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata()?;
    Ok((metadata.len(), metadata.modified().ok(), metadata.ctime(), metadata.ctime_nsec()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Review 18 F1: a payload rewritten (grown) between the layout and
    /// the copy was cut to the old size, and its frame's CRC matched the
    /// cut bytes.
    #[test]
    fn a_payload_grown_since_the_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("payload");
        std::fs::write(&source, b"0123456789").unwrap();
        let out = File::create(dir.path().join("out")).unwrap();
        let file = File::open(&source).unwrap();
        let mut progress: Progress = None;
        let error = copy_payload(&out, &file, &source, PayloadInfo { size: 5 }, &source, &mut progress).unwrap_err();
        assert!(error.to_string().contains("has 10 bytes, but it had 5 when the output was laid out"), "{error}");
        let crc = copy_payload(&out, &file, &source, PayloadInfo { size: 10 }, &source, &mut progress).unwrap();
        assert_eq!(crc, crate::crc::crc32c(b"0123456789"));
    }

    /// `/proc/version` is a regular file whose `stat` size is 0 but which
    /// holds a line of text: copying "all 0 bytes" of it made an empty
    /// payload, reported as a success.
    #[test]
    fn a_payload_holding_more_than_its_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = File::create(dir.path().join("out")).unwrap();
        let source = Path::new("/proc/version");
        let file = File::open(source).unwrap();
        assert_eq!(file.metadata().unwrap().len(), 0, "the premise: /proc reports size 0");
        let mut progress: Progress = None;
        let error = copy_payload(&out, &file, source, PayloadInfo { size: 0 }, source, &mut progress).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/proc/version: payload at 0x0: the file holds more than the 0 bytes its size says (a file under \
             /proc or /sys reports a size it does not have); copy it to a regular file first"
        );
    }
}
