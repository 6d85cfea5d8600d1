//! `jiscan extract`: write one image's payload to a file or to stdout,
//! decompressed if it is stored as a zstd frame (unless `--raw`).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use pkgimg::write_path::{copy_range, Attributes, CopyError, Input, Role};
use pkgimg::{Arch, Error, Payload, Slice};

use crate::files;
use crate::output::{self, write_exit_help, write_policy_help};
use crate::Outcome;

const AFTER_HELP: &str = concat!(
    "\
The payload's CRC-32C is checked before OUT is replaced; on a mismatch nothing is written. The \
payload is read from the file with pread, so a library cut short meanwhile is an error, never a \
crash. '-o -' writes to standard output (the CRC is checked first, in a pass of its own).

A payload stored compressed (one zstd frame; see 'jiscan inject --compress') is decompressed as \
it streams, and must decode to the uncompressed size its frame records; --raw writes the stored \
bytes instead (a .zst file that 'zstd -d' reads). The CRC-32C covers the stored bytes.

For a universal Mach-O file, the slice is the one for this machine's CPU unless --slice or --arch \
picks another; when there is none, the error lists the slices.

",
    write_policy_help!(),
    "
  - extract's source is the library: OUT gets the library's owner and group, and its read and \
write bits as far as the umask allows (a 0600 library gives a 0600 payload, a 0755 library a 0644 \
one under umask 022); never execute or setuid bits. Holes in the payload stay holes in OUT (of a \
compressed payload, each 4 KiB block of zeros is a hole, as zstd -d leaves them).

",
    write_exit_help!(stdout),
    "

Examples:
  jiscan extract Foo.so -o Foo.ji
  jiscan extract --arch aarch64 Foo.dylib -o Foo-arm64.ji
  jiscan extract --raw libFoo.so -o Foo.ji.zst && zstd -d Foo.ji.zst
  jiscan extract --slice 1 Foo.dylib -o - | head -c 16 | xxd"
);

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The library to read
    pub file: PathBuf,
    /// Where to write the payload: a regular file or a new path ('-' for standard output)
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// In a universal file, the slice with this index (from 0)
    #[arg(long, value_name = "N", conflicts_with = "arch")]
    pub slice: Option<u32>,
    /// The slice (or thin image) with this architecture, e.g. x86_64, aarch64
    #[arg(long, value_name = "NAME")]
    pub arch: Option<String>,
    /// Do not check the payload's CRC-32C before writing
    #[arg(long)]
    pub no_verify: bool,
    /// Write a compressed payload's stored bytes (its zstd frame) instead of
    /// decompressing it
    #[arg(long)]
    pub raw: bool,
}

/// Why nothing (or not everything) was written.
enum Failure {
    /// A message for standard error, naming its file.
    Message(String),
    /// Standard output's reader went away: silent, as for `scan | head`.
    BrokenPipe,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    match extract(args) {
        Ok(()) => Ok(Outcome::Clean),
        Err(Failure::Message(message)) => {
            output::error(&message);
            Ok(Outcome::Problems)
        }
        Err(Failure::BrokenPipe) => Ok(Outcome::Problems),
    }
}

/// Does the work; an error is a message that names its file.
fn extract(args: &Args) -> Result<(), Failure> {
    let path = &args.file;
    let here = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if args.output == Path::new("-") {
        let (file, _, map) = files::open(path).map_err(|e| here(&e))?;
        let payload = located(&map, args).map_err(|e| here(&e))?;
        // Checked before a byte is written, and computed again on the way
        // out: bytes changed in between are an error, not a silent damaged
        // copy (review 18 F9).
        let checked = if args.no_verify {
            None
        } else {
            let crc = checksum(&file, &payload).map_err(|e| here(&e))?;
            check(&payload, crc).map_err(|e| here(&e))?;
            Some(crc)
        };
        let streamed = if payload.compressed() && !args.raw {
            decompress(&file, &payload, io::stdout(), path, Path::new("standard output"))?.1
        } else {
            to_stdout(&file, &payload, path)?
        };
        if checked.is_some_and(|crc| crc != streamed) {
            let why = "the payload changed while it was written: the bytes on standard output are not the ones checked";
            return Err(here(&why).into());
        }
        return Ok(());
    }
    // OUT first: a directory or device is refused before the library is read.
    let destination = output::destination(&args.output).map_err(|e| e.to_string())?;
    let (file, metadata, map) = files::open(path).map_err(|e| here(&e))?;
    let input = Input { path: path.clone(), file, metadata };
    destination.check_input(&input, Role::Library).map_err(|e| e.to_string())?;
    let payload = located(&map, args).map_err(|e| here(&e))?;
    let out = destination.requested().to_path_buf();
    let at_out = |e: &dyn std::fmt::Display| format!("{}: {e}", out.display());
    let mut temp = destination.create_temp().map_err(|e| e.to_string())?;
    if payload.compressed() && !args.raw {
        // The CRC-32C of the stored bytes is computed as the decoder reads
        // them; a frame that does not decode is first checked against it, so
        // that damage is reported as a CRC mismatch, its cause.
        let decoded = decompress(&input.file, &payload, Sparse::new(temp.file()), path, &out);
        if !args.no_verify {
            let crc = match &decoded {
                Ok((_, crc)) => *crc,
                Err(_) => checksum(&input.file, &payload).map_err(|e| here(&e))?,
            };
            check(&payload, crc).map_err(|e| here(&e))?;
        }
        decoded?;
    } else {
        let crc = copy_range(&input.file, payload.offset(), payload.size(), temp.file(), &mut |_| {})
            .map_err(|e| copy_failure(e, path, &out, payload.offset().saturating_add(payload.size())))?;
        temp.file().set_len(payload.size()).map_err(|e| at_out(&format_args!("cannot set its length: {e}")))?;
        if !args.no_verify {
            check(&payload, crc).map_err(|e| here(&e))?;
        }
    }
    temp.finish(&Attributes::data_from(&input.metadata), None).map_err(|e| e.to_string())?;
    drop(map);
    let committed = temp.commit().map_err(|e| e.to_string())?;
    output::after_commit(&committed.warnings, &committed.removed);
    Ok(())
}

/// The payload of the slice that `--slice`, `--arch` or the host CPU picks.
/// A split image's code cache has none: the message says where it is.
fn located<'a>(map: &'a [u8], args: &Args) -> Result<Payload<'a>, String> {
    let slice = choose(map, args)?;
    slice.find_ji_payload().map_err(|e| match e {
        pkgimg::Error::NoContainer { .. } => match crate::deps::data_library_of(&args.file, slice) {
            Some(found) => {
                let said = format!("{e}{}", crate::deps::carried_by(&found));
                // The suggested command would be refused: its output is its input.
                if args.output != Path::new("-") && same_file(&args.output, &found.path) {
                    return format!("{said}; -o names that data library itself: extract its payload to another file");
                }
                // `-o -` is standard output, not a file named `-`.
                let out = match args.output == Path::new("-") {
                    true => Some("-".to_owned()),
                    false => crate::deps::shell_word(&args.output),
                };
                let (Some(data), Some(out)) = (crate::deps::shell_word(&found.path), out) else {
                    return said;
                };
                // The same options; of a universal data library, the code cache's slice.
                let mut options = found.located().slice().map_or(String::new(), |i| format!("--slice {i} "));
                for (set, flag) in [(args.raw, "--raw "), (args.no_verify, "--no-verify ")] {
                    if set {
                        options.push_str(flag);
                    }
                }
                format!("{said}: jiscan extract {options}{data} -o {out}")
            }
            None => e.to_string(),
        },
        e => e.to_string(),
    })
}

/// Whether `a` and `b` are one file (device and inode), as the write path
/// compares an output with its inputs.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// The CRC-32C of the payload's bytes, read from the file with pread (not
/// from the mapping, which would fault if the file were cut short).
fn checksum(file: &File, payload: &Payload<'_>) -> Result<u32, String> {
    let mut buffer = vec![0u8; 1 << 20];
    let (mut at, end, mut crc) = (payload.offset(), payload.offset().saturating_add(payload.size()), 0u32);
    while at < end {
        let want = usize::try_from(end.saturating_sub(at)).map_or(buffer.len(), |w| w.min(buffer.len()));
        let chunk = buffer.get_mut(..want).unwrap_or_default();
        match file.read_at(chunk, at) {
            Ok(0) => return Err(format!("the file ended at {at} bytes, before the payload's end at {end}")),
            Ok(n) => {
                crc = crc32c::crc32c_append(crc, chunk.get(..n).unwrap_or_default());
                at = at.saturating_add(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read the payload: {e}")),
        }
    }
    Ok(crc)
}

/// The payload's CRC-32C against its frame's, with the library's own errors.
fn check(payload: &Payload<'_>, crc: u32) -> Result<(), Error> {
    let frame = payload.frame();
    if !frame.has_crc32c() {
        return Err(Error::NoChecksum { offset: payload.container().offset });
    }
    if crc != frame.payload_crc32c {
        return Err(Error::ChecksumMismatch { offset: payload.offset(), expected: frame.payload_crc32c, actual: crc });
    }
    Ok(())
}

/// Copies the stored bytes of `payload` to standard output with pread, and
/// returns their CRC-32C, computed on the way; a reader that went away is
/// silent.
fn to_stdout(file: &File, payload: &Payload<'_>, path: &Path) -> Result<u32, Failure> {
    let mut out = io::stdout().lock();
    let mut crc = 0;
    let mut buffer = vec![0u8; 1 << 20];
    let (mut at, end) = (payload.offset(), payload.offset().saturating_add(payload.size()));
    let written = |e: io::Error| match e.kind() {
        io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
        _ => Failure::Message(format!("standard output: {e}")),
    };
    while at < end {
        let want = usize::try_from(end.saturating_sub(at)).map_or(buffer.len(), |w| w.min(buffer.len()));
        let chunk = buffer.get_mut(..want).unwrap_or_default();
        match file.read_at(chunk, at) {
            Ok(0) => {
                return Err(format!(
                    "{}: the file ended at {at} bytes, before the payload's end at {end}",
                    path.display()
                )
                .into())
            }
            Ok(n) => {
                let bytes = chunk.get(..n).unwrap_or_default();
                crc = crc32c::crc32c_append(crc, bytes);
                out.write_all(bytes).map_err(written)?;
                at = at.saturating_add(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{}: cannot read the payload: {e}", path.display()).into()),
        }
    }
    out.flush().map_err(written)?;
    Ok(crc)
}

/// Decodes the compressed `payload` of `file` (the library at `library`)
/// into `out` (named `dest` in messages): the stored bytes read with pread
/// (never the mapping), their CRC-32C computed on the way, and the output
/// written by a thread of its own, so that decoding and writing overlap (as
/// `zstd -d` overlaps them with its asynchronous I/O). Returns the bytes
/// written and that CRC; an error names the file that failed, or the
/// payload's offset when its bytes do not decode.
fn decompress(
    file: &File,
    payload: &Payload<'_>,
    out: impl Write + Send,
    library: &Path,
    dest: &Path,
) -> Result<(u64, u32), Failure> {
    let end = payload.offset().saturating_add(payload.size());
    let mut stored = Stored { file, at: payload.offset(), end, crc: 0, failed: Cell::new(None) };
    // The output is lent to the writing thread through this slot, so that
    // it is still here to write to if that thread cannot be started (a
    // process limit): then this thread decodes and writes in turn.
    let out = Mutex::new(Some(out));
    let (result, written) = std::thread::scope(|scope| {
        let (full, to_write) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (done, empty) = mpsc::channel::<Vec<u8>>();
        let out = &out;
        let writer = std::thread::Builder::new().name("jiscan-write".to_owned()).spawn_scoped(scope, move || {
            let mut out =
                out.lock().ok().and_then(|mut slot| slot.take()).ok_or_else(|| io::Error::other("no output"))?;
            for mut chunk in to_write {
                out.write_all(&chunk)?;
                chunk.clear();
                // The decoder may have finished meanwhile: a buffer it does not need.
                let _ = done.send(chunk);
            }
            out.flush()
        });
        let reader = BufReader::with_capacity(1 << 20, &mut stored);
        let Ok(writer) = writer else {
            let Some(mut out) = out.lock().ok().and_then(|mut slot| slot.take()) else {
                return (Ok(0), Err(io::Error::other("the output was lost with the writing thread")));
            };
            let mut sink = Watched { inner: &mut out, failed: None };
            let result = payload.decompress_from(reader, &mut sink).and_then(|n| sink.flush().map(|()| n));
            return match sink.failed {
                Some(e) => (Ok(0), Err(e)),
                None => (result, Ok(())),
            };
        };
        let mut sink = Pipe { chunk: Vec::with_capacity(CHUNK), full, empty };
        let result = payload.decompress_from(reader, &mut sink).and_then(|n| sink.send().map(|()| n));
        // Closing the channel ends the writer's loop.
        drop(sink);
        let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
        (result, written)
    });
    match (result, written) {
        (Ok(n), Ok(())) => Ok((n, stored.crc)),
        (_, Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failure::BrokenPipe),
        (_, Err(e)) => Err(Failure::Message(format!("{}: cannot write: {e}", dest.display()))),
        (Err(e), Ok(())) => Err(Failure::Message(match stored.failed.take() {
            Some(Some(at)) => {
                format!("{}: the file ended at {at} bytes, before the payload's end at {end}", library.display())
            }
            Some(None) => format!("{}: cannot read the payload: {e}", library.display()),
            None => format!("{}: {e}", library.display()),
        })),
    }
}

/// The output written on this thread, when the writing thread could not be
/// started: a write error is kept, so that it is reported as the output's
/// (not as a decoding failure) as the writing thread's errors are.
struct Watched<W> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.inner.write(buf) {
            // `write_all` tries again after an interruption: not a failure.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => Err(self.keep(e)),
            // The writer took nothing: `write_all` would make this its own
            // error, which must be the output's too (review 24 F8).
            Ok(0) if !buf.is_empty() => Err(self.keep(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => Ok(n),
        }
    }

    // Nothing retries a flush: any error of it is the output's (review 25 F6).
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.keep(e))
    }
}

impl<W> Watched<W> {
    /// Keeps `e` for the report and gives the decoder one to stop with.
    fn keep(&mut self, e: io::Error) -> io::Error {
        let stop = io::Error::new(e.kind(), e.to_string());
        self.failed.get_or_insert(e);
        stop
    }
}

/// A new, empty file written with its zero blocks left as holes, as
/// `zstd -d` writes a file (audit 24 F13: a 2 GiB hole of a payload took
/// 2 GiB once extracted; uncompressed payloads keep theirs, `copy_range`).
/// Bytes go where they belong with `pwrite`; a whole [`HOLE`]-byte block of
/// zeros at a multiple of [`HOLE`] is not written, and `flush` sets the
/// length, so that a file ending in a hole has it.
struct Sparse<'a> {
    file: &'a File,
    at: u64,
}

/// The blocks [`Sparse`] leaves out: a page, the file systems' usual block.
const HOLE: u64 = 4096;

impl<'a> Sparse<'a> {
    fn new(file: &'a File) -> Sparse<'a> {
        Sparse { file, at: 0 }
    }
}

impl Write for Sparse<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The bytes not yet written, from `start` (of `buf`) to `end`: one
        // `pwrite` for each run between holes.
        let (mut start, mut end) = (0usize, 0usize);
        let base = self.at;
        while end < buf.len() {
            // Up to the next block boundary.
            let room = HOLE.saturating_sub(base.saturating_add(end as u64) % HOLE);
            let next = usize::try_from(room).map_or(buf.len(), |r| end.saturating_add(r).min(buf.len()));
            let piece = buf.get(end..next).unwrap_or_default();
            if piece.len() as u64 == HOLE && piece.iter().all(|&b| b == 0) {
                self.file.write_all_at(buf.get(start..end).unwrap_or_default(), base.saturating_add(start as u64))?;
                start = next;
            }
            end = next;
        }
        self.file.write_all_at(buf.get(start..end).unwrap_or_default(), base.saturating_add(start as u64))?;
        self.at = base.saturating_add(buf.len() as u64);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.set_len(self.at)
    }
}

/// The size of the chunks handed to the writing thread, and how many may
/// wait for it: enough to keep both threads busy, little memory.
const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 2;

/// The decoder's writer: fills a chunk, hands it to the writing thread, and
/// reuses the chunks that thread hands back.
struct Pipe {
    chunk: Vec<u8>,
    full: mpsc::SyncSender<Vec<u8>>,
    empty: mpsc::Receiver<Vec<u8>>,
}

impl Pipe {
    /// Hands the current chunk over (waiting while `IN_FLIGHT` are queued).
    fn send(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let next = self.empty.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.chunk, next);
        // A closed channel: the writing thread stopped on an error, which its result reports.
        self.full.send(chunk).map_err(|_| io::Error::other("the output stopped taking bytes"))
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK.saturating_sub(self.chunk.len());
        let n = buf.len().min(room);
        self.chunk.extend_from_slice(buf.get(..n).unwrap_or_default());
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The stored bytes of a payload, read with pread from `at` to `end`, with
/// their CRC-32C. `failed` says why reading stopped early: `Some(Some(n))`
/// the file ended at `n`, `Some(None)` a read error.
struct Stored<'a> {
    file: &'a File,
    at: u64,
    end: u64,
    crc: u32,
    failed: Cell<Option<Option<u64>>>,
}

impl Read for Stored<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.end.saturating_sub(self.at)).map_or(buf.len(), |w| w.min(buf.len()));
        if want == 0 {
            return Ok(0);
        }
        let chunk = buf.get_mut(..want).unwrap_or_default();
        match self.file.read_at(chunk, self.at) {
            Ok(0) => {
                let at = self.file.metadata().map_or(self.at, |m| m.len().min(self.at));
                self.failed.set(Some(Some(at)));
                Err(io::Error::from(io::ErrorKind::UnexpectedEof))
            }
            Ok(n) => {
                self.crc = crc32c::crc32c_append(self.crc, chunk.get(..n).unwrap_or_default());
                self.at = self.at.saturating_add(n as u64);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed.set(Some(None));
                }
                Err(e)
            }
        }
    }
}

fn copy_failure(error: CopyError, library: &Path, out: &Path, end: u64) -> Failure {
    Failure::Message(match error {
        CopyError::Ended { at } => {
            format!("{}: the file ended at {at} bytes, before the payload's end at {end}", library.display())
        }
        CopyError::Read(e) => format!("{}: cannot read the payload: {e}", library.display()),
        CopyError::Write(e) => format!("{}: cannot write to its temporary file: {e}", out.display()),
        _ => format!("{}: cannot copy the payload", library.display()),
    })
}

/// The slice that `--slice`, `--arch`, or the host CPU picks.
fn choose<'a>(file: &'a [u8], args: &Args) -> Result<Slice<'a>, String> {
    let slices = pkgimg::slices(file).map_err(|e| e.to_string())?;
    let all: Vec<_> = slices.collect();
    let universal =
        all.first().is_some_and(|s| s.as_ref().is_ok_and(|s| s.index().is_some())) || all.iter().any(|s| s.is_err());
    let arch_of = |s: &Slice<'_>| s.fat_arch().or_else(|| crate::identify::identify(s).1.map(|i| i.arch));
    let listing = || {
        let names: Vec<String> = all
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Ok(s) => format!("{i}: {}", arch_of(s).map_or_else(|| "?".to_owned(), |a| a.to_string())),
                Err(e) => format!("{i}: unusable ({e})"),
            })
            .collect();
        names.join(", ")
    };
    if let Some(n) = args.slice {
        if !universal {
            return Err(format!("--slice {n}: this is not a universal file"));
        }
        let index = usize::try_from(n).unwrap_or(usize::MAX);
        return match all.get(index) {
            Some(Ok(slice)) => Ok(*slice),
            Some(Err(e)) => Err(format!("slice {n}: {e}")),
            None => Err(format!("--slice {n}: the file has {} slices ({})", all.len(), listing())),
        };
    }
    if let Some(name) = &args.arch {
        let wanted = name.to_ascii_lowercase();
        let found = all.iter().flatten().find(|s| arch_of(s).is_some_and(|a| matches_name(a, &wanted)));
        return match found {
            Some(slice) => Ok(*slice),
            None if universal => Err(format!("--arch {name}: no such slice; the file has {}", listing())),
            None => Err(format!("--arch {name}: the image is {}", listing().trim_start_matches("0: "))),
        };
    }
    // The library's choice for a universal file; its error lists the slices.
    pkgimg::host_slice(file).map_err(|e| format!("{e} (pick one with --slice or --arch)"))
}

/// `arch` by its jiscan name, or by Apple's name (arm64, i386).
fn matches_name(arch: Arch, wanted: &str) -> bool {
    let alias = match arch {
        Arch::Aarch64 => Some("arm64"),
        Arch::X86 => Some("i386"),
        Arch::X86_64 => Some("amd64"),
        _ => None,
    };
    arch.to_string() == wanted || alias == Some(wanted)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A writer that is interrupted once, then takes `n` bytes a call.
    struct Stuttering {
        interrupted: bool,
        n: usize,
        got: Vec<u8>,
    }

    impl Write for Stuttering {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            let n = self.n.min(buf.len());
            self.got.extend_from_slice(buf.get(..n).unwrap_or_default());
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Review 24 F8: the one-thread writer kept an interruption, which
    /// `write_all` retries, as the output's failure; and a writer that
    /// takes nothing failed in `write_all` without being kept, so the
    /// decoder's error was reported as the library's.
    #[test]
    fn the_one_thread_writer_keeps_only_real_failures() {
        let mut sink = Watched { inner: Stuttering { interrupted: false, n: 3, got: Vec::new() }, failed: None };
        sink.write_all(b"0123456789").unwrap();
        assert_eq!((sink.inner.got.as_slice(), sink.failed.is_none()), (&b"0123456789"[..], true));
        let mut sink = Watched { inner: Stuttering { interrupted: true, n: 0, got: Vec::new() }, failed: None };
        assert!(sink.write_all(b"x").is_err());
        assert_eq!(sink.failed.map(|e| e.kind()), Some(io::ErrorKind::WriteZero));
    }
}
