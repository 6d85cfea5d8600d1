//! `jiscan emit`: write a relocatable object (`.o`/`.obj`) whose container
//! holds a payload, for the platform linker to put into a shared library.
//!
//! The payload is streamed ([`pkgimg::Target::write_from_reader`]): read once
//! for its size and CRC-32C (which the frame, written before the payload,
//! needs), then copied. It is never held in memory whole. With --compress it
//! is compressed first into a temporary file next to the object
//! ([`pkgimg::inject::compress_beside`]), which is then the stored payload.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use pkgimg::emit::{Compression, DataLibrary};
use pkgimg::inject::compress_beside;
use pkgimg::write_path::{open_input, Attributes, Role, TempFile};
use pkgimg::{EmitError, FileRange, Target};

use crate::output::{self, write_exit_help, write_policy_help};
use crate::Outcome;

/// Block size for the passes over the payload.
const BLOCK: usize = 1 << 20;

const LONG_ABOUT: &str = "\
Write a relocatable object (.o, .obj) for TRIPLE whose one section holds the payload of PAYLOAD. \
Linking it into a shared library with the platform's own linker gives a library that carries \
the payload, found by 'jiscan scan' and pkgimg::find_ji_payload. For a library that is already \
linked, use 'jiscan inject' instead.

With --shared, write a data library instead: a loadable shared library with no code that carries \
the payload and exports one data symbol, so that several code caches (say one built at -O0 and \
one at -O3) can link against it and depend on it through the platform's own record (DT_NEEDED, \
LC_LOAD_DYLIB, a PE import); 'jiscan deps' finds it again from a code cache without loading it.";

const AFTER_HELP: &str = concat!(
    "\
Where the payload goes (one section, holding the 64-byte frame and then the payload, which ends \
the file):
  ELF      section .jlji, SHF_GNU_RETAIN so --gc-sections keeps it (not SHF_ALLOC)
  Mach-O   section __ji of segment __JULIA, S_ATTR_NO_DEAD_STRIP (x86_64 and arm64 only)
  COFF     section .jlji (not a COMDAT, so /OPT:REF keeps it)
Apple triples give Mach-O, Windows triples COFF, all others ELF.

Safety: the object is read back from its temporary file to check that the payload is found \
where it was put with the right size and CRC-32C before it is renamed to OBJECT. On any error (an \
unknown triple, an unreadable payload) nothing is written at OBJECT. PAYLOAD is only read; it must \
be a regular file (a FIFO is refused at once), since it is read twice (once for its CRC-32C, then \
copied). '-o -' writes the object to standard output (unchecked, and partial if the payload cannot \
be read to the end). Every byte of the object is written, holes in PAYLOAD included: the object \
goes to a linker, which copies it anyway.

",
    write_policy_help!(),
    "
  - emit's source is PAYLOAD: OBJECT gets its owner and group, and its read and write bits as far \
as the umask allows (a 0600 payload gives a 0600 object); never execute or setuid bits.

With --shared (docs/FORMAT.md, \"Data libraries\"):
  ELF      ET_DYN with DT_SONAME NAME, one exported STT_OBJECT symbol, .jlji not loaded
  Mach-O   MH_DYLIB with LC_ID_DYLIB NAME (e.g. @rpath/libFoo_data.dylib), ad-hoc signed
  PE       a DLL with no code exporting the symbol, the payload in the overlay; --implib also
           writes the import library (a short-import archive) that lld-link and GNU ld link with
  The symbol (default jl_pkgimg_data) points at a 32-byte record: magic, version, size, flags,
  the payload's size and CRC-32C, in the library's byte order.

Examples:
  jiscan emit --target x86_64-linux-gnu Foo.ji -o foo_ji.o && cc -shared foo.o foo_ji.o -o libFoo.so
  jiscan emit --shared --soname libFoo_data.so --target x86_64-linux-gnu Foo.ji -o libFoo_data.so
  cc -shared -O3 foo.c -L. -lFoo_data -Wl,-rpath,'$ORIGIN' -o libFoo.so && jiscan deps libFoo.so
  jiscan emit --shared --soname Foo_data.dll --implib libFoo_data.dll.a \\
      --target x86_64-windows-gnu Foo.ji -o Foo_data.dll
  jiscan emit --target arm64-apple-macos Foo.ji -o foo_ji.o
  jiscan emit --target x86_64-pc-windows-msvc Foo.ji -o foo_ji.obj

Compression: --compress stores the payload as one zstd frame (level 3; --compress=LEVEL for \
another of zstd's levels), compressed with libzstd's multithreaded mode on every CPU into a \
temporary file next to OBJECT (so not with '-o -'), then streamed into the object; the frame \
records the uncompressed size. 'jiscan extract' decompresses, and so does 'zstd -d' on the stored \
bytes. Data libraries (--shared) are written uncompressed: a loader maps their payload in place.

Output: one line on standard output (unless '-o -'): the object written, its format and \
architecture, and the payload's offset and size.

",
    write_exit_help!(),
    " (an unknown or unsupported triple is status 1: nothing is written)"
);

#[derive(clap::Args)]
#[command(long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Args {
    /// The target triple, as rustc, clang, GCC or zig spell it (x86_64-unknown-linux-gnu,
    /// aarch64-linux-musl, arm64-apple-macos11, x86_64-w64-mingw32, ...)
    #[arg(long, value_name = "TRIPLE")]
    pub target: String,
    /// The file whose bytes become the payload (e.g. a Julia .ji cache)
    pub payload: PathBuf,
    /// Where to write the object: a regular file or a new path ('-' for standard output)
    #[arg(short, long, value_name = "OBJECT")]
    pub output: PathBuf,
    /// Write a data library (a shared library with no code) instead of an object
    #[arg(long, requires = "soname")]
    pub shared: bool,
    /// The data library's own name: ELF DT_SONAME, Mach-O install name, PE DLL name
    #[arg(long, value_name = "NAME", requires = "shared")]
    pub soname: Option<String>,
    /// The exported data symbol's name, as C spells it
    #[arg(long, value_name = "NAME", requires = "shared", default_value = pkgimg::record::DEFAULT_SYMBOL)]
    pub symbol: String,
    /// PE only: also write the import library code caches link against
    #[arg(long, value_name = "OUT", requires = "shared")]
    pub implib: Option<PathBuf>,
    /// Store the payload zstd-compressed, at zstd's level LEVEL (default 3),
    /// using every CPU (objects only, not --shared)
    #[arg(
        long,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "3",
        allow_negative_numbers = true,
        value_parser = crate::inject::zstd_level,
        conflicts_with = "shared"
    )]
    pub compress: Option<i32>,
}

/// Where an object or a data library put the payload.
#[derive(Clone, Copy)]
struct Placed {
    payload: FileRange,
    size: u64,
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    match emit(args) {
        Ok(Some(line)) => {
            // The object is in place: a summary that cannot be printed is a warning.
            output::summary(&line);
            Ok(Outcome::Clean)
        }
        Ok(None) => Ok(Outcome::Clean),
        // A reader of '-o -' that went away: silent, as for scan.
        Err(message) if message.is_empty() => Ok(Outcome::Problems),
        Err(message) => {
            output::error(&message);
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
    // OBJECT first: a directory or device is refused before the payload is read.
    let destination = if args.output == Path::new("-") {
        None
    } else {
        Some(output::destination(&args.output).map_err(|e| e.to_string())?)
    };
    // Opened without blocking and checked on the descriptor: a FIFO is refused, not waited on.
    let input = open_input(source, Role::Payload).map_err(|e| e.to_string())?;
    if let Some(destination) = &destination {
        destination.check_input(&input, Role::Payload).map_err(|e| e.to_string())?;
    }
    // With --compress, the stored payload is a zstd frame in a temporary
    // file beside OBJECT, removed when `compressed` goes out of scope.
    let compressed = match (args.compress.and_then(Compression::with_level), &destination) {
        (Some(_), None) => {
            return Err("--compress needs -o OBJECT: the payload is compressed into a temporary file next to \
                        it first (the object's headers need the compressed size)"
                .to_string())
        }
        (Some(compression), Some(destination)) => Some(
            compress_beside(&input.file, source, destination.path(), compression, &mut |_, _| {})
                .map_err(|e| e.to_string())?,
        ),
        (None, _) => None,
    };
    // The compressed file's size and CRC-32C were computed as it was written
    // (and the stream below checks the CRC again as it copies).
    let (mut payload, size, crc, uncompressed) = match &compressed {
        Some(zstd) => {
            let done = zstd.compressed();
            (zstd.file(), done.stored_size, done.crc32c, Some(done.uncompressed_size))
        }
        None => {
            let mut payload = &input.file;
            let (size, crc) = crc_pass(&mut payload).map_err(|e| at_source("cannot read the payload", &e))?;
            (payload, size, crc, None)
        }
    };
    // Fail on a payload the format cannot hold before creating anything.
    if !args.shared {
        target.layout(size).map_err(|e| format!("{}: {e}", source.display()))?;
    }
    if args.implib.is_some() && target.format() != pkgimg::Format::Coff {
        return Err(format!(
            "--implib: {} targets need no import library; link against the data library",
            target.format()
        ));
    }
    payload.seek(SeekFrom::Start(0)).map_err(|e| at_source("cannot seek in the payload", &e))?;

    let Some(destination) = destination else {
        let mut out = BufWriter::with_capacity(BLOCK, io::stdout().lock());
        let broken = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
        match stream(
            args,
            &target,
            (size, crc, uncompressed),
            &mut payload,
            &mut out,
            source,
            Path::new("standard output"),
        ) {
            Err(Streamed::Write(e, _)) if broken(&e) => return Err(String::new()),
            other => other.map_err(String::from)?,
        };
        return match out.flush() {
            Err(e) if broken(&e) => Err(String::new()),
            other => other.map(|()| None).map_err(|e| format!("standard output: {e}")),
        };
    };

    let object = destination.requested().to_path_buf();
    let mut temp = destination.create_temp().map_err(|e| e.to_string())?;
    let layout = {
        let mut out = BufWriter::with_capacity(BLOCK, temp.file());
        let stored = (size, crc, uncompressed);
        let layout = stream(args, &target, stored, &mut payload, &mut out, source, &object).map_err(String::from)?;
        out.flush().map_err(|e| format!("{}: cannot write to its temporary file: {e}", object.display()))?;
        layout
    };
    temp.finish(&Attributes::data_from(&input.metadata), None).map_err(|e| e.to_string())?;
    drop(compressed);
    verify(&temp, &layout, crc, uncompressed).map_err(|reason| {
        format!(
            "{}: the written object did not read back as expected ({reason}); the destination was not touched",
            object.display()
        )
    })?;
    let committed = temp.commit().map_err(|e| e.to_string())?;
    output::after_commit(&committed.warnings, &committed.removed);
    if let (Some(implib), Some(soname)) = (&args.implib, &args.soname) {
        let attributes = Attributes::data_from(&input.metadata);
        write_import_library(&target, &DataLibrary { name: soname, symbol: &args.symbol }, implib, &attributes)?;
    }
    let image = target.image();
    let what = if args.shared { "data library" } else { "object" };
    let zstd = uncompressed.map_or(String::new(), |n| format!(", zstd of {n} bytes"));
    Ok(Some(format!(
        "{}: {} {} {}-bit {}-endian {what}, payload {} bytes at {:#x} (CRC-32C {crc:#010x}{zstd}); {} bytes written",
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

/// Why streaming the object stopped: a message, or a write error (which
/// for standard output may be a reader that went away).
enum Streamed {
    Message(String),
    Write(io::Error, String),
}

impl From<Streamed> for String {
    fn from(streamed: Streamed) -> String {
        match streamed {
            Streamed::Message(message) | Streamed::Write(_, message) => message,
        }
    }
}

/// Writes the import library of a data DLL to `path`, through the same
/// write path as every output.
fn write_import_library(
    target: &Target,
    library: &DataLibrary<'_>,
    path: &Path,
    attributes: &Attributes,
) -> Result<(), String> {
    let destination = output::destination(path).map_err(|e| e.to_string())?;
    let mut temp = destination.create_temp().map_err(|e| e.to_string())?;
    {
        let mut out = BufWriter::new(temp.file());
        target.write_import_library(library, &mut out).map_err(|e| format!("{}: {e}", path.display()))?;
        out.flush().map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    temp.finish(attributes, None).map_err(|e| e.to_string())?;
    let committed = temp.commit().map_err(|e| e.to_string())?;
    output::after_commit(&committed.warnings, &committed.removed);
    Ok(())
}

/// Writes the object (or with --shared the data library) to `out`,
/// streaming the payload of `(size, CRC-32C, uncompressed size if it is a
/// zstd frame)`; an error says whether reading `source` or writing `dest`
/// failed.
fn stream(
    args: &Args,
    target: &Target,
    (size, crc, uncompressed): (u64, u32, Option<u64>),
    payload: &mut &File,
    out: &mut impl Write,
    source: &Path,
    dest: &Path,
) -> Result<Placed, Streamed> {
    let read_failed = Cell::new(false);
    let mut reader = Watched { inner: payload, failed: &read_failed };
    let written = match &args.soname {
        Some(name) if args.shared => {
            let library = DataLibrary { name, symbol: &args.symbol };
            target
                .write_data_library(&library, size, crc, &mut reader, out)
                .map(|layout| Placed { payload: layout.payload, size: layout.size })
        }
        _ => match uncompressed {
            Some(n) => target.write_zstd_from_reader(size, crc, n, &mut reader, out),
            None => target.write_from_reader(size, crc, &mut reader, out),
        }
        .map(|layout| Placed { payload: layout.payload, size: layout.size }),
    };
    written.map_err(|e| match e {
        EmitError::Io(e) if read_failed.get() => {
            Streamed::Message(format!("{}: cannot read the payload: {e}", source.display()))
        }
        EmitError::Io(e) => {
            let message = format!("{}: cannot write: {e}", dest.display());
            Streamed::Write(e, message)
        }
        // Short or different bytes on the second pass: the file changed.
        e @ (EmitError::ShortPayload { .. } | EmitError::ChecksumMismatch { .. }) => {
            Streamed::Message(format!("{}: changed while being read: {e}", source.display()))
        }
        e => Streamed::Message(format!("{}: {e}", source.display())),
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
fn verify(temp: &TempFile, layout: &Placed, crc: u32, uncompressed: Option<u64>) -> Result<(), String> {
    let len = temp.file().metadata().map_err(|e| e.to_string())?.len();
    if len != layout.size {
        return Err(format!("the file is {len} bytes, the layout says {}", layout.size));
    }
    let map = crate::files::map(temp.path())?;
    let payload = pkgimg::find_ji_payload(&map).map_err(|e| e.to_string())?;
    let found = (payload.offset(), payload.size(), payload.frame().payload_crc32c);
    let wanted = (layout.payload.offset, layout.payload.size, crc);
    if payload.uncompressed_size() != uncompressed {
        return Err(format!(
            "the frame says uncompressed size {:?}, {:?} was written",
            payload.uncompressed_size(),
            uncompressed
        ));
    }
    if found != wanted {
        return Err(format!(
            "payload found at {:#x}, {} bytes, CRC-32C {:#010x}; written at {:#x}, {} bytes, CRC-32C {:#010x}",
            found.0, found.1, found.2, wanted.0, wanted.1, wanted.2
        ));
    }
    drop(map);
    // Through the file, not the map, so a large payload does not become this
    // process's resident memory.
    let mut file = temp.file();
    file.seek(SeekFrom::Start(layout.payload.offset)).map_err(|e| e.to_string())?;
    // The payload's bytes only: a Mach-O data library has `__LINKEDIT`
    // after them, a PE one the checksum word (FORMAT.md §8.2).
    let (size, actual) = crc_pass(&mut file.take(layout.payload.size)).map_err(|e| e.to_string())?;
    if (size, actual) != (layout.payload.size, crc) {
        return Err(format!(
            "the payload reads back as {size} bytes with CRC-32C {actual:#010x}, expected {} with {crc:#010x}",
            layout.payload.size
        ));
    }
    Ok(())
}
