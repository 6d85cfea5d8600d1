//! `jiscan inject`: add a payload to a linked shared library (post-link), via
//! the library's [`pkgimg::inject()`] / [`pkgimg::inject_in_place`].

use std::cell::Cell;
use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use pkgimg::inject::Compression;
use pkgimg::{Arch, InjectError, InjectOptions, InjectReport};

use crate::output::{self, write_exit_help, write_policy_help};
use crate::Outcome;

/// Payloads at least this large get a progress bar (on a terminal): below it,
/// the copy takes well under a second and a bar would only flicker.
const PROGRESS_MIN: u64 = 64 << 20;

const LONG_ABOUT: &str = "\
Add the bytes of PAYLOAD to the linked shared library LIBRARY as its payload, writing the result \
to OUT (or over LIBRARY with --in-place). The result is still a library the platform loader \
accepts unchanged; 'jiscan extract' gives the payload back. To put a payload in at link time \
instead, see 'jiscan emit'.";

const AFTER_HELP: &str = concat!(
    "\
Where the payload goes:
  ELF      a new non-allocated section .jlji after the file's bytes (the loader never maps it);
           new section name and header tables just before it, program headers untouched
  PE       a new section .jlji holding the 64-byte frame; the payload in the overlay after it;
           the PE checksum is recomputed
  Mach-O   a new read-only segment __JULIA with section __ji, before __LINKEDIT, in every slice
           of a universal file; an ad-hoc or linker code signature is rebuilt
The payload starts on a page boundary (4096 bytes; 16384 for arm64 Mach-O).

Safety: the result is read back from its temporary file to check that the payload is found \
where it was put with the right size and CRC-32C before it is renamed to OUT. On any error \
nothing is written at OUT and LIBRARY is never opened for writing; with --in-place the checked \
result replaces LIBRARY by rename. LIBRARY and PAYLOAD must be regular files (a FIFO is refused at \
once, never waited on). PAYLOAD is read once (with --compress, twice if the multithreaded mode \
fails), with pread: a payload cut short meanwhile is an error \
that says where it ended, never a crash, and its holes stay holes in OUT.

Compression: --compress stores the payload as one zstd frame (level 3, zstd's default; \
--compress=LEVEL for another of zstd's levels, e.g. --compress=19 or --compress=-5), compressed with \
libzstd's multithreaded mode on every CPU (on one thread, with a warning, if the system refuses \
its threads) into a temporary file next to OUT, then injected; the \
frame records the uncompressed size and the CRC-32C of the stored bytes (so 'jiscan scan --verify' \
never decompresses). 'jiscan extract' decompresses; the stored bytes also decode with 'zstd -d'. \
Uncompressed is the default: only an uncompressed payload can be mapped in place by a loader.

A library that already carries a payload is refused unless --replace. A data library (written \
by 'jiscan emit --shared') is always refused: its exported record describes its payload, so \
write a new data library instead. A signed PE file is \
refused unless --drop-signature (the signature would no longer match; re-sign the result). \
A Mach-O file with a certificate signature is refused likewise; --drop-signature replaces it \
with an ad-hoc one.

",
    write_policy_help!(),
    "
  - inject's source is LIBRARY: OUT gets LIBRARY's owner, group and mode, setuid and setgid \
included (dropped, with a warning, where the owner or group cannot be kept). OUT may be LIBRARY \
itself (or, with --in-place, a symbolic link to it): that is the one case where an output is an \
input, and the checked result replaces the file by rename.
  - --in-place makes a new file: other hard links to LIBRARY keep showing the old one (a warning \
says so; a rewrite in place would give up the guarantee that LIBRARY is never half-written). Its \
extended attributes (ACLs, security.capability, SELinux labels) are copied on Linux, and a warning \
names any that could not be; elsewhere they are not kept.

Examples:
  jiscan inject libFoo.so Foo.ji -o out/libFoo.so
  jiscan inject --in-place --replace Foo.dll Foo.ji
  jiscan inject --compress=19 libFoo.so Foo.ji -o out/libFoo.so
  jiscan inject Foo.dylib Foo-x86_64.ji --arch aarch64=Foo-arm64.ji -o out/Foo.dylib

Output: one line on standard output: the file written, its format, and per image the \
architecture and the payload's offset and size. A progress bar is drawn on standard error when \
it is a terminal and the payload is 64 MiB or more; --progress prints a line per 16 MiB instead \
when it is not a terminal (a log).

",
    write_exit_help!(),
    " (-o and --in-place together or neither, '-o -', an unknown --arch name or two for one architecture are usage errors)"
);

#[derive(clap::Args)]
#[command(
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    group(clap::ArgGroup::new("destination").required(true).args(["output", "in_place"])),
)]
pub struct Args {
    /// The shared library (.so, .dylib, .dll) to add the payload to
    pub library: PathBuf,
    /// The file whose bytes become the payload (e.g. a Julia .ji cache)
    pub payload: PathBuf,
    /// Where to write the result: a regular file or a new path (it may be LIBRARY itself)
    #[arg(short, long, value_name = "OUT", value_parser = OutputPath)]
    pub output: Option<PathBuf>,
    /// Replace LIBRARY itself with the result
    #[arg(long)]
    pub in_place: bool,
    /// Replace a payload the library already carries
    #[arg(long)]
    pub replace: bool,
    /// Remove a signature that the injection would invalidate (PE
    /// Authenticode; a Mach-O certificate signature becomes ad-hoc)
    #[arg(long)]
    pub drop_signature: bool,
    /// Universal Mach-O: give the slice of architecture NAME (x86_64, aarch64,
    /// arm64, ...) this payload instead of PAYLOAD; may be repeated
    #[arg(long = "arch", value_name = "NAME=PAYLOAD", value_parser = arch_payload)]
    pub per_arch: Vec<(Arch, PathBuf)>,
    /// Report the copy's progress on standard error even when it is not a
    /// terminal: a line per 16 MiB, whatever the payload's size
    #[arg(long)]
    pub progress: bool,
    /// Store the payload zstd-compressed, at zstd's level LEVEL (default 3;
    /// zstd's levels, negative ones faster), using every CPU
    #[arg(
        long,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "3",
        allow_negative_numbers = true,
        value_parser = zstd_level
    )]
    pub compress: Option<i32>,
}

/// A zstd level, as `zstd -#` and `--fast=#` take them: within
/// `ZSTD_minCLevel()..=ZSTD_maxCLevel()`.
pub(crate) fn zstd_level(text: &str) -> Result<i32, String> {
    let levels = Compression::levels();
    match text.parse::<i32>() {
        Ok(level) if levels.contains(&level) => Ok(level),
        _ => Err(format!("not a zstd level: expected an integer from {} to {}", levels.start(), levels.end())),
    }
}

/// `-o` names a file, any bytes (not only UTF-8, like every other path
/// argument): the result is checked and renamed into place, which standard
/// output cannot be.
#[derive(Clone)]
struct OutputPath;

impl clap::builder::TypedValueParser for OutputPath {
    type Value = PathBuf;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<PathBuf, clap::Error> {
        let problem = if value == "-" {
            Some("inject writes a file (checked, then renamed into place), not standard output")
        } else if value.is_empty() {
            Some("an empty path")
        } else {
            None
        };
        match problem {
            None => Ok(PathBuf::from(value)),
            Some(problem) => {
                let name = arg.map_or_else(|| "--output".to_owned(), |a| a.to_string());
                let message = format!("invalid value '{}' for '{name}': {problem}\n", value.to_string_lossy());
                Err(clap::Error::raw(clap::error::ErrorKind::ValueValidation, message).with_cmd(cmd))
            }
        }
    }
}

/// Architectures a `--arch` name can give; Mach-O universal files carry these.
const ARCHS: [Arch; 13] = [
    Arch::X86,
    Arch::X86_64,
    Arch::Arm,
    Arch::Aarch64,
    Arch::Riscv32,
    Arch::Riscv64,
    Arch::Powerpc,
    Arch::Powerpc64,
    Arch::Mips,
    Arch::Mips64,
    Arch::S390x,
    Arch::Sparc64,
    Arch::Loongarch64,
];

/// Parses `NAME=PAYLOAD`; NAME is jiscan's architecture name or Apple's
/// (arm64, i386) or amd64, in any case.
fn arch_payload(text: &str) -> Result<(Arch, PathBuf), String> {
    let (name, path) = text.split_once('=').ok_or_else(|| "expected NAME=PAYLOAD, e.g. arm64=Foo.ji".to_owned())?;
    if path.is_empty() {
        return Err(format!("no payload file after \"{name}=\""));
    }
    let wanted = name.to_ascii_lowercase();
    let alias = match wanted.as_str() {
        "arm64" => "aarch64",
        "i386" | "i686" => "x86",
        "amd64" => "x86_64",
        "ppc" => "powerpc",
        "ppc64" => "powerpc64",
        other => other,
    };
    let arch = ARCHS.iter().copied().find(|a| a.name() == Some(alias)).ok_or_else(|| {
        let known: Vec<&str> = ARCHS.iter().filter_map(|a| a.name()).collect();
        format!("unknown architecture \"{name}\"; known: {}, and arm64, i386, amd64", known.join(", "))
    })?;
    Ok((arch, PathBuf::from(path)))
}

/// The first architecture two `--arch` values name, if any.
pub fn repeated_arch(args: &Args) -> Option<Arch> {
    let archs = args.per_arch.iter().map(|(arch, _)| *arch);
    archs
        .clone()
        .enumerate()
        .find_map(|(i, arch)| archs.clone().skip(i.saturating_add(1)).any(|a| a == arch).then_some(arch))
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let drawn = Rc::new(Cell::new(false));
    let mut options = InjectOptions {
        replace: args.replace,
        drop_signature: args.drop_signature,
        per_arch: args.per_arch.clone(),
        progress: None,
        compress: args.compress.and_then(Compression::with_level),
    };
    // With --compress, progress is that of the compression, the slow part.
    let doing = if args.compress.is_some() { "compressing" } else { "copying" };
    if io::stderr().is_terminal() && (args.progress || payload_bytes(args) >= PROGRESS_MIN) {
        options.progress = Some(progress_bar(Rc::clone(&drawn), doing));
    } else if args.progress {
        options.progress = Some(progress_lines(doing));
    }
    // clap's group guarantees exactly one of -o and --in-place. In place, the
    // library is the destination (a symbolic link is followed).
    let out = args.output.as_deref().unwrap_or(&args.library);
    let result = match output::destination(out) {
        Ok(destination) => pkgimg::inject::inject_into(&args.library, &args.payload, destination, options),
        Err(e) => Err(InjectError::from(e)),
    };
    if drawn.get() {
        // End the bar's line so what follows starts on a fresh one.
        let _ = writeln!(io::stderr());
    }
    match result {
        Ok(report) => {
            output::after_commit(&report.warnings, &report.removed);
            // The result is in place: a summary that cannot be printed is a warning.
            output::summary(&summary(&report));
            Ok(Outcome::Clean)
        }
        Err(e) => {
            // Every InjectError names its file, the structure and the offset;
            // where the library's message speaks of its options, name the flags.
            let message = match e {
                InjectError::AlreadyHasPayload { path, offset } => format!(
                    "{}: already carries a payload (container data at {offset:#x}); pass --replace to replace it",
                    path.display()
                ),
                InjectError::Signed { path, offset, size } => format!(
                    "{}: PE security directory points to an Authenticode signature ({size} bytes at {offset:#x}), \
                     which the payload would invalidate; pass --drop-signature to remove it (then re-sign)",
                    path.display()
                ),
                e => e.to_string(),
            };
            output::error(&message);
            Ok(Outcome::Problems)
        }
    }
}

/// The total size of the payload files, as far as they can be stat'ed (a
/// missing file is reported by the injection itself).
fn payload_bytes(args: &Args) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    args.per_arch.iter().fold(size(&args.payload), |sum, (_, p)| sum.saturating_add(size(p)))
}

/// A line per step on standard error, for a log (`--progress` when standard
/// error is not a terminal).
fn progress_lines(doing: &'static str) -> Box<dyn FnMut(u64, u64)> {
    Box::new(move |done, total| {
        const MIB: u64 = 1 << 20;
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
        let _ = writeln!(io::stderr(), "jiscan: {doing} payload: {} / {} MiB ({percent}%)", done / MIB, total / MIB);
    })
}

/// A one-line bar redrawn in place with `\r` on standard error.
fn progress_bar(drawn: Rc<Cell<bool>>, doing: &'static str) -> Box<dyn FnMut(u64, u64)> {
    Box::new(move |done, total| {
        const MIB: u64 = 1 << 20;
        const WIDTH: u64 = 30;
        let filled = done.saturating_mul(WIDTH).checked_div(total).unwrap_or(WIDTH).min(WIDTH);
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
        let bar: String = (0..WIDTH).map(|i| if i < filled { '#' } else { '-' }).collect();
        let _ = write!(io::stderr(), "\r{doing} payload [{bar}] {:>6} / {} MiB {percent:>3}%", done / MIB, total / MIB);
        drawn.set(true);
    })
}

/// `OUT: ELF x86_64, payload 1234 bytes at 0x3000 (CRC-32C 0x…)`, one image
/// after another for a universal file.
fn summary(report: &InjectReport) -> String {
    let path = report.output.display();
    let replaced = if report.replaced { ", replacing the old payload" } else { "" };
    let images = match images_of(&report.output) {
        Some(images) if !images.is_empty() => images.join("; "),
        // The file was checked before the rename; if it cannot be reopened
        // now, the report still says where the payload is.
        _ => format!(
            "{}, payload {} bytes at {:#x} (CRC-32C {:#010x}){}",
            report.format,
            report.payload_size,
            report.payload_offset,
            report.payload_crc32c,
            report.uncompressed_size.map_or(String::new(), |n| format!(", zstd of {n} bytes"))
        ),
    };
    format!("{path}: {images}{replaced}; {} bytes written", report.output_size)
}

/// Per image of the written file: format, architecture, payload offset and
/// size (headers only, so this costs a few page reads).
fn images_of(path: &Path) -> Option<Vec<String>> {
    let map = crate::files::map(path).ok()?;
    let mut lines = Vec::new();
    for item in pkgimg::payloads(&map).ok()? {
        let (slice, payload) = item.ok()?;
        let payload = payload.ok()?;
        let which = slice.index().map(|i| format!("slice {i} ")).unwrap_or_default();
        lines.push(format!(
            "{which}{} {}, payload {} bytes at {:#x} (CRC-32C {:#010x}){}",
            payload.format(),
            payload.arch(),
            payload.size(),
            payload.offset(),
            payload.frame().payload_crc32c,
            payload.uncompressed_size().map_or(String::new(), |n| format!(", zstd of {n} bytes"))
        ));
    }
    Some(lines)
}
