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
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use pkgimg::emit::{Compression, DataLibrary};
use pkgimg::inject::compress_beside;
use pkgimg::write_path::{open_input, Attributes, Destination, Role, TempFile, Wait, WriteError};
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
goes to a linker, which copies it anyway; a data library (--shared) is written the same way, in \
one pass that hashes (Mach-O) or sums (PE) its pages as it writes them.

",
    write_policy_help!(),
    "
  - emit's source is PAYLOAD: OBJECT gets its owner and group, and its read and write bits as far \
as the umask allows (a 0600 payload gives a 0600 object); never execute or setuid bits.

With --shared (docs/FORMAT.md, \"Data libraries\"):
  ELF      ET_DYN with DT_SONAME NAME, one exported STT_OBJECT symbol, .jlji not loaded
  Mach-O   MH_DYLIB with LC_ID_DYLIB NAME (e.g. @rpath/libFoo_data.dylib), ad-hoc signed
  PE       a DLL with no code exporting the symbol, the payload in the overlay; --implib IMPLIB also
           writes the import library (a short-import archive) that lld-link and GNU ld link with
  The symbol (default jl_pkgimg_data) points at a 32-byte record: magic, version, size, flags,
  the payload's size and CRC-32C, in the library's byte order.

Writing IMPLIB (--implib): a second OUT, under the same rules as OBJECT (above), all checked before \
any work: a device, FIFO, socket, directory or missing directory is refused, a symbolic link is \
followed, and IMPLIB may not be the same file as PAYLOAD or OBJECT. Both files are written to \
temporary files and checked (the data library read back as above, the import library byte for \
byte) before either is renamed into place; then the import library is renamed, then OBJECT. \
IMPLIB gets OBJECT's owner, group and mode. Not with '-o -' (status 1, nothing written): write the \
data library to a file. If another process is writing IMPLIB, emit does not wait for it, as it \
waits for OBJECT's writer: it stops with status 1 (two runs writing each other's files would \
wait on each other for ever).

Examples:
  jiscan emit --target x86_64-linux-gnu Foo.ji -o foo_ji.o && cc -shared foo.o foo_ji.o -o libFoo.so
  jiscan emit --shared --soname libFoo_data.so --target x86_64-linux-gnu Foo.ji -o libFoo_data.so
  cc -shared -fPIC -O3 foo.c -L. -lFoo_data -Wl,-rpath,'$ORIGIN' -o libFoo.so
  jiscan deps libFoo.so
  jiscan emit --shared --soname Foo_data.dll --implib libFoo_data.dll.a \\
      --target x86_64-windows-gnu Foo.ji -o Foo_data.dll
  jiscan emit --target arm64-apple-macos Foo.ji -o foo_ji.o
  jiscan emit --target x86_64-pc-windows-msvc Foo.ji -o foo_ji.obj

Compression: --compress stores the payload as one zstd frame (level 3; --compress=LEVEL for \
another of zstd's levels), compressed with libzstd's multithreaded mode on every CPU (on one \
thread, with a warning, if the system refuses its threads) into a \
temporary file next to OBJECT (so not with '-o -'), then streamed into the object; the frame \
records the uncompressed size. 'jiscan extract' decompresses, and so does 'zstd -d' on the stored \
bytes. Data libraries (--shared) are written uncompressed: a loader maps their payload in place.

Output: one line on standard output (unless '-o -'): the object written, its format (PE for a \
Windows data library, COFF for a Windows object) and architecture, the payload's offset and size, \
and with --implib the import library written.

",
    write_exit_help!(stdout),
    " (an unknown or unsupported triple is status 1: nothing is written)
  With --implib, OUT is OBJECT and IMPLIB: 0 when both hold the new result, 1 when neither was \
replaced, with one exception that the message states: the import library was renamed into place \
and then OBJECT's rename failed (say another process created OBJECT meanwhile)"
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
    /// The exported data symbol's name, as C spells it (letters, digits and '_', not starting with
    /// a digit)
    #[arg(
        long,
        value_name = "NAME",
        requires = "shared",
        default_value = pkgimg::record::DEFAULT_SYMBOL,
        value_parser = c_identifier
    )]
    pub symbol: String,
    /// PE only: also write the import library code caches link against (a regular file or a new
    /// path, not PAYLOAD or OBJECT; not with '-o -')
    #[arg(long, value_name = "IMPLIB", requires = "shared")]
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

/// --symbol: a name a code cache's C source can spell (C11 6.4.2.1, its
/// basic characters): the data record is reached through it (audit 24 F9:
/// `a b` and `1abc` were written).
fn c_identifier(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(text.to_owned())
    } else {
        Err("expected a C identifier: letters, digits and '_', not starting with a digit".to_owned())
    }
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
    if args.shared {
        // A target with no data-library writer (32-bit Arm PE, say) fails
        // here, named by its triple, not after the payload was read and
        // named by the machine number the writer sees.
        if let Err(pkgimg::emit::EmitError::Unsupported { reason, .. }) = target.data_library_supported() {
            return Err(format!("--target {}: no data library can be written for this target: {reason}", args.target));
        }
    }
    let source = &args.payload;
    let at_source = |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", source.display());
    let to_stdout = args.output == Path::new("-");
    // The import library depends on the names alone: made (a few hundred
    // bytes) before any file is touched, so that everything --implib can
    // refuse is refused before any work.
    let import_library = match (&args.implib, &args.soname) {
        (Some(path), Some(name)) => {
            Some(import_library(&target, &DataLibrary { name, symbol: &args.symbol }, path, to_stdout)?)
        }
        _ => None,
    };
    // OBJECT first: a directory or device is refused before the payload is read.
    let destination =
        if to_stdout { None } else { Some(output::destination(&args.output).map_err(|e| e.to_string())?) };
    // --implib's destination with the same checks, and never OBJECT's file.
    let implib_destination = match (&import_library, &destination) {
        (Some(implib), Some(object)) => Some(implib_destination(&implib.path, object).map_err(|e| e.to_string())?),
        _ => None,
    };
    // Opened without blocking and checked on the descriptor: a FIFO is refused, not waited on.
    let input = open_input(source, Role::Payload).map_err(|e| e.to_string())?;
    for destination in destination.iter().chain(&implib_destination) {
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
    if let Some(zstd) = &compressed {
        temp.add_removed(zstd.removed());
    }
    let layout = {
        let mut out = BufWriter::with_capacity(BLOCK, temp.file());
        let stored = (size, crc, uncompressed);
        let layout = stream(args, &target, stored, &mut payload, &mut out, source, &object).map_err(String::from)?;
        out.flush().map_err(|e| format!("{}: cannot write to its temporary file: {e}", object.display()))?;
        layout
    };
    let attributes = Attributes::data_from(&input.metadata);
    temp.finish(&attributes, None).map_err(|e| e.to_string())?;
    let one_thread = compressed.as_ref().and_then(|zstd| zstd.warning().map(str::to_owned));
    drop(compressed);
    // The image as the reader sees the file written, for the summary: a data
    // DLL is a PE image although its triple's objects are COFF.
    let image = verify(&temp, &layout, crc, uncompressed).map_err(|reason| {
        format!(
            "{}: the written object did not read back as expected ({reason}); the destination was not touched",
            object.display()
        )
    })?;
    // Both files are complete and checked before either is renamed into
    // place, so that any error up to here leaves both destinations as they
    // were. Then the import library first: if OBJECT's rename fails after
    // it, OBJECT is untouched (exit status 1 says nothing was written
    // there) and the message says the import library is in place.
    let implib = match (import_library, implib_destination) {
        (Some(implib), Some(destination)) => Some(implib.write(destination, &attributes)?),
        _ => None,
    };
    let committed = temp.commit().map_err(|e| match &implib {
        Some(written) => format!(
            "{e}; the import library {} was written before this failure and is in place, the data library \
             was not written",
            written.path.display()
        ),
        None => e.to_string(),
    })?;
    let warnings: Vec<String> = one_thread.into_iter().chain(committed.warnings).collect();
    output::after_commit(&warnings, &committed.removed);
    let what = if args.shared { "data library" } else { "object" };
    let zstd = uncompressed.map_or(String::new(), |n| format!(", zstd of {n} bytes"));
    let implib = implib.map_or(String::new(), |written| {
        format!("; import library {}, {} bytes", written.path.display(), written.size)
    });
    Ok(Some(format!(
        "{}: {} {} {}-bit {}-endian {what}, payload {} bytes at {:#x} (CRC-32C {crc:#010x}{zstd}); {} bytes written{implib}",
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

/// The import library of a data DLL (`--implib`), made in memory before
/// any file is touched: it depends on the target and the names alone.
struct ImportLibrary {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// An import library in place.
struct WrittenImportLibrary {
    path: PathBuf,
    size: usize,
}

/// Makes the import library for `--implib path`, refusing what cannot have
/// one: a target whose data libraries are not DLLs, and `-o -` (the two
/// outputs are checked together before either is renamed into place, which
/// a data library streamed to standard output cannot be; and exit status 1
/// must keep meaning that nothing was written).
fn import_library(
    target: &Target,
    library: &DataLibrary<'_>,
    path: &Path,
    to_stdout: bool,
) -> Result<ImportLibrary, String> {
    if target.format() != pkgimg::Format::Coff {
        return Err(format!(
            "--implib: {} targets need no import library; link against the data library",
            target.format()
        ));
    }
    if to_stdout {
        return Err(format!(
            "--implib needs -o OBJECT, not '-o -': the import library and the data library are checked \
             together before either is put in place, which a data library on standard output cannot be; \
             nothing was written, {} included",
            path.display()
        ));
    }
    let mut bytes = Vec::new();
    target.write_import_library(library, &mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ImportLibrary { path: path.to_path_buf(), bytes })
}

impl ImportLibrary {
    /// Writes the import library to a temporary file at `destination`, with
    /// OBJECT's owner and mode policy (`attributes`), reads it back, and
    /// renames it into place.
    fn write(self, destination: Destination, attributes: &Attributes) -> Result<WrittenImportLibrary, String> {
        let path = self.path;
        let mut temp = destination.create_temp().map_err(|e| e.to_string())?;
        temp.file()
            .write_all(&self.bytes)
            .map_err(|e| format!("{}: cannot write to its temporary file: {e}", path.display()))?;
        temp.finish(attributes, None).map_err(|e| e.to_string())?;
        let mut written = Vec::new();
        let mut file = temp.file();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut written))
            .map_err(|e| format!("{}: cannot read its temporary file back: {e}", path.display()))?;
        if written != self.bytes {
            return Err(format!(
                "{}: the written import library did not read back as expected ({} bytes, {} were written); \
                 neither it nor the data library was written",
                path.display(),
                written.len(),
                self.bytes.len()
            ));
        }
        let committed = temp.commit().map_err(|e| e.to_string())?;
        output::after_commit(&committed.warnings, &committed.removed);
        Ok(WrittenImportLibrary { path, size: self.bytes.len() })
    }
}

/// Checks and locks `--implib`'s destination as OBJECT's is, refusing the
/// file (or new path) that OBJECT names: the import library would replace
/// the data library this command writes. Compared before the destination is
/// prepared, since preparing an existing OBJECT again would wait for the
/// lock this very process holds on it.
fn implib_destination(implib: &Path, object: &Destination) -> Result<Destination, WriteError> {
    let refused = || WriteError::Destination {
        path: implib.to_path_buf(),
        reason: format!(
            "it is the same file as the data library {} (-o), which the import library would replace",
            object.requested().display()
        ),
    };
    if names_object(implib, object) {
        return Err(refused());
    }
    match Destination::prepare(implib, Wait::Fail) {
        // Made a link to OBJECT since the comparison: refused, not waited on.
        Err(WriteError::Busy { .. }) if names_object(implib, object) => Err(refused()),
        // Another process's lock: not waited for while this process holds
        // OBJECT's, since a writer of `-o IMPLIB --implib OBJECT` would wait
        // for ours in turn, and neither would ever finish.
        Err(WriteError::Busy { path }) => Err(WriteError::Destination {
            path,
            reason: format!(
                "another process is writing it; not waiting for it while holding the lock on {} (-o), \
                 which that process may be waiting for: run again when it is done",
                object.requested().display()
            ),
        }),
        other => other,
    }
}

/// Whether `path` names the file OBJECT's destination will be: the same
/// existing file (device and inode, so through links too), or the same
/// name in the same directory when neither exists yet.
fn names_object(path: &Path, object: &Destination) -> bool {
    match std::fs::metadata(path) {
        Ok(metadata) => object.is(&metadata),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !object.existed() => {
            // A bare file name is in the current directory.
            let directory = |path: &Path| {
                let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
                std::fs::metadata(dir).map(|m| (m.dev(), m.ino())).ok()
            };
            let same_directory = directory(path).is_some_and(|dir| directory(object.path()) == Some(dir));
            same_directory && path.file_name() == object.path().file_name()
        }
        // A path that cannot be looked up is refused by `Destination::prepare`.
        Err(_) => false,
    }
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
/// CRC, and the bytes' CRC re-read from the file. Returns the image the
/// reader found, which the summary names.
fn verify(temp: &TempFile, layout: &Placed, crc: u32, uncompressed: Option<u64>) -> Result<pkgimg::Image, String> {
    let len = temp.file().metadata().map_err(|e| e.to_string())?.len();
    if len != layout.size {
        return Err(format!("the file is {len} bytes, the layout says {}", layout.size));
    }
    // The open file, not its path: the file's mode (a umask of 0477, say)
    // may not let its owner open it again for reading (review 18 F10).
    let map = pkgimg::MappedFile::from_file(temp.file()).map_err(|e| e.to_string())?;
    let payload = pkgimg::find_ji_payload(&map).map_err(|e| e.to_string())?;
    let image = payload.image();
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
    Ok(image)
}
