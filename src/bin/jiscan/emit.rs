//! `jiscan emit`: write a relocatable object (`.o`/`.obj`) whose container
//! holds a payload, for the platform linker to put into a shared library.
//!
//! The payload is streamed ([`pkgimg::Target::write_from_reader`]): read once
//! for its size and CRC-32C (which the frame, written before the payload,
//! needs), then copied. It is never held in memory whole.

use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use pkgimg::{EmitError, Layout, Target};

use crate::Outcome;

/// Block size for the passes over the payload.
const BLOCK: usize = 1 << 20;

const LONG_ABOUT: &str = "\
Write a relocatable object (.o, .obj) for TRIPLE whose one section holds the payload of PAYLOAD. \
Linking it into a shared library with the platform's own linker gives a library that carries \
the payload, found by 'jiscan scan' and pkgimg::find_ji_payload. For a library that is already \
linked, use 'jiscan inject' instead.";

const AFTER_HELP: &str = "\
Where the payload goes (one section, holding the 64-byte frame and then the payload, which ends \
the file):
  ELF      section .jlji, SHF_GNU_RETAIN so --gc-sections keeps it (not SHF_ALLOC)
  Mach-O   section __ji of segment __JULIA, S_ATTR_NO_DEAD_STRIP (x86_64 and arm64 only)
  COFF     section .jlji (not a COMDAT, so /OPT:REF keeps it)
Apple triples give Mach-O, Windows triples COFF, all others ELF.

Safety: the object is written to a temporary file in OBJECT's directory, read back to check \
that the payload is found where it was put with the right size and CRC-32C, and only then \
renamed to OBJECT. On any error (an unknown triple, an unreadable payload) nothing is written \
at OBJECT. PAYLOAD is only read; it must be a regular file, since it is read twice (once for \
its CRC-32C, then copied). '-o -' writes the object to standard output (unchecked, and \
partial if the payload cannot be read to the end).

Examples:
  jiscan emit --target x86_64-linux-gnu Foo.ji -o foo_ji.o && cc -shared foo.o foo_ji.o -o libFoo.so
  jiscan emit --target arm64-apple-macos Foo.ji -o foo_ji.o
  jiscan emit --target x86_64-pc-windows-msvc Foo.ji -o foo_ji.obj

Output: one line on standard output (unless '-o -'): the object written, its format and \
architecture, and the payload's offset and size.

Exit status:
  0  the object was written and checked
  1  the triple is not understood or not supported, the payload cannot be read, or the object \
cannot be written (nothing is written at OBJECT)
  2  bad usage: unknown option, missing argument";

#[derive(clap::Args)]
#[command(long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Args {
    /// The target triple, as rustc, clang, GCC or zig spell it (x86_64-unknown-linux-gnu,
    /// aarch64-linux-musl, arm64-apple-macos11, x86_64-w64-mingw32, ...)
    #[arg(long, value_name = "TRIPLE")]
    pub target: String,
    /// The file whose bytes become the payload (e.g. a Julia .ji cache)
    pub payload: PathBuf,
    /// Where to write the object ('-' for standard output)
    #[arg(short, long, value_name = "OBJECT")]
    pub output: PathBuf,
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    match emit(args) {
        Ok(Some(line)) => {
            let mut out = io::stdout().lock();
            writeln!(out, "{line}")?;
            out.flush()?;
            Ok(Outcome::Clean)
        }
        Ok(None) => Ok(Outcome::Clean),
        Err(message) => {
            let _ = writeln!(io::stderr(), "jiscan: {message}");
            Ok(Outcome::Problems)
        }
    }
}

/// Does the work; returns the summary line (none when the object went to
/// standard output), or an error message that names its file.
fn emit(args: &Args) -> Result<Option<String>, String> {
    // The triple first: an unknown one must fail before any file is touched.
    let target = Target::from_triple(&args.target).map_err(|e| e.to_string())?;
    let source = &args.payload;
    let at_source = |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", source.display());
    let mut payload = File::open(source).map_err(|e| at_source("cannot open the payload", &e))?;
    let meta = payload.metadata().map_err(|e| at_source("cannot stat the payload", &e))?;
    if !meta.is_file() {
        return Err(format!(
            "{}: not a regular file; the payload is read twice (for its CRC-32C, then copied), so it must be one",
            source.display()
        ));
    }
    let (size, crc) = crc_pass(&mut payload).map_err(|e| at_source("cannot read the payload", &e))?;
    // Fail on a payload the format cannot hold before creating anything.
    target.layout(size).map_err(|e| format!("{}: {e}", source.display()))?;
    payload.seek(SeekFrom::Start(0)).map_err(|e| at_source("cannot seek in the payload", &e))?;

    if args.output == Path::new("-") {
        let mut out = BufWriter::with_capacity(BLOCK, io::stdout().lock());
        stream(&target, size, crc, &mut payload, &mut out, source, Path::new("standard output"))?;
        out.flush().map_err(|e| format!("standard output: {e}"))?;
        return Ok(None);
    }

    let object = &args.output;
    let at_object = |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", object.display());
    let temp = Temp::create(object).map_err(|e| at_object("cannot create a temporary file next to it", &e))?;
    let layout = {
        let mut out = BufWriter::with_capacity(BLOCK, &temp.file);
        let layout = stream(&target, size, crc, &mut payload, &mut out, source, &temp.path)?;
        out.flush().map_err(|e| format!("{}: cannot write: {e}", temp.path.display()))?;
        layout
    };
    temp.file.sync_all().map_err(|e| format!("{}: cannot sync: {e}", temp.path.display()))?;
    verify(&temp, &layout, crc).map_err(|reason| {
        format!(
            "{}: the written object did not read back as expected ({reason}); the destination was not touched",
            object.display()
        )
    })?;
    temp.commit(object).map_err(|e| at_object("cannot rename the temporary file into place", &e))?;
    let image = target.image();
    Ok(Some(format!(
        "{}: {} {} {}-bit {}-endian object, payload {} bytes at {:#x} (CRC-32C {crc:#010x}); {} bytes written",
        object.display(),
        image.format,
        image.arch,
        image.bits,
        image.endian.name(),
        layout.payload.size,
        layout.payload.offset,
        layout.size
    )))
}

/// Size and CRC-32C of everything `file` holds from its position on.
fn crc_pass(file: &mut impl Read) -> io::Result<(u64, u32)> {
    let mut buffer = vec![0u8; BLOCK];
    let (mut size, mut crc) = (0u64, 0u32);
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => return Ok((size, crc)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        crc = crc32c::crc32c_append(crc, buffer.get(..n).unwrap_or_default());
        size = size.saturating_add(n as u64);
    }
}

/// Writes the object to `out`, streaming the payload; an error says whether
/// reading `source` or writing `dest` failed.
fn stream(
    target: &Target,
    size: u64,
    crc: u32,
    payload: &mut File,
    out: &mut impl Write,
    source: &Path,
    dest: &Path,
) -> Result<Layout, String> {
    let read_failed = Cell::new(false);
    let mut reader = Watched { inner: payload, failed: &read_failed };
    target.write_from_reader(size, crc, &mut reader, out).map_err(|e| match e {
        EmitError::Io(e) if read_failed.get() => format!("{}: cannot read the payload: {e}", source.display()),
        EmitError::Io(e) => format!("{}: cannot write: {e}", dest.display()),
        // Short or different bytes on the second pass: the file changed.
        e @ (EmitError::ShortPayload { .. } | EmitError::ChecksumMismatch { .. }) => {
            format!("{}: changed while being read: {e}", source.display())
        }
        e => format!("{}: {e}", source.display()),
    })
}

/// A reader that records whether it failed, so an I/O error from the writer
/// can be told apart from one reading the payload.
struct Watched<'a, R> {
    inner: R,
    failed: &'a Cell<bool>,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed.set(true);
            }
        })
    }
}

/// Reads the written object back: its size, and the payload found by the
/// reader (headers only) where the layout put it, with the frame's size and
/// CRC, and the bytes' CRC re-read from the file.
fn verify(temp: &Temp, layout: &Layout, crc: u32) -> Result<(), String> {
    let len = temp.file.metadata().map_err(|e| e.to_string())?.len();
    if len != layout.size {
        return Err(format!("the file is {len} bytes, the layout says {}", layout.size));
    }
    let map = crate::files::map(&temp.path)?;
    let payload = pkgimg::find_ji_payload(&map).map_err(|e| e.to_string())?;
    let found = (payload.offset(), payload.size(), payload.frame().payload_crc32c);
    let wanted = (layout.payload.offset, layout.payload.size, crc);
    if found != wanted {
        return Err(format!(
            "payload found at {:#x}, {} bytes, CRC-32C {:#010x}; written at {:#x}, {} bytes, CRC-32C {:#010x}",
            found.0, found.1, found.2, wanted.0, wanted.1, wanted.2
        ));
    }
    drop(map);
    // Through the file, not the map, so a large payload does not become this
    // process's resident memory.
    let mut file = &temp.file;
    file.seek(SeekFrom::Start(layout.payload.offset)).map_err(|e| e.to_string())?;
    let (size, actual) = crc_pass(&mut file).map_err(|e| e.to_string())?;
    if (size, actual) != (layout.payload.size, crc) {
        return Err(format!(
            "the payload reads back as {size} bytes with CRC-32C {actual:#010x}, expected {} with {crc:#010x}",
            layout.payload.size
        ));
    }
    Ok(())
}

/// The object being written, next to its destination; removed on drop unless
/// renamed into place.
struct Temp {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl Temp {
    /// Creates `.NAME.jiscan-PID-N.tmp` in `out`'s directory (the same file
    /// system, so the final rename is atomic).
    fn create(out: &Path) -> io::Result<Temp> {
        let dir = directory_of(out);
        let name = out.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut attempt = 0u32;
        loop {
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".jiscan-{}-{attempt}.tmp", std::process::id()));
            let path = dir.join(tmp_name);
            match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
                Ok(file) => return Ok(Temp { path, file, keep: false }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt = attempt.saturating_add(1);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Renames the file to `out` and makes the rename durable.
    fn commit(mut self, out: &Path) -> io::Result<()> {
        fs::rename(&self.path, out)?;
        self.keep = true;
        File::open(directory_of(out)).and_then(|d| d.sync_all())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The directory a path is in ("." for a bare file name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
