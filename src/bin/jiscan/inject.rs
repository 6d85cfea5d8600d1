//! `jiscan inject`: add a payload to a linked shared library (post-link), via
//! the library's [`pkgimg::inject()`] / [`pkgimg::inject_in_place`].

use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use pkgimg::{Arch, InjectError, InjectOptions, InjectReport};

use crate::Outcome;

/// Payloads at least this large get a progress bar (on a terminal): below it,
/// the copy takes well under a second and a bar would only flicker.
const PROGRESS_MIN: u64 = 64 << 20;

const LONG_ABOUT: &str = "\
Add the bytes of PAYLOAD to the linked shared library LIBRARY as its payload, writing the result \
to OUT (or over LIBRARY with --in-place). The result is still a library the platform loader \
accepts unchanged; 'jiscan extract' gives the payload back. To put a payload in at link time \
instead, see 'jiscan emit'.";

const AFTER_HELP: &str = "\
Where the payload goes:
  ELF      a new non-allocated section .jlji after the file's bytes (the loader never maps it);
           the section header table is rewritten after it, program headers are untouched
  PE       a new section .jlji holding the 64-byte frame; the payload in the overlay after it;
           the PE checksum is recomputed
  Mach-O   a new read-only segment __JULIA with section __ji, before __LINKEDIT, in every slice
           of a universal file; an ad-hoc or linker code signature is rebuilt
The payload starts on a page boundary (4096 bytes; 16384 for arm64 Mach-O).

Safety: the result is written to a temporary file in OUT's directory, read back to check that \
the payload is found where it was put with the right size and CRC-32C, and only then renamed to \
OUT. On any error nothing is written at OUT (a temporary file is removed) and LIBRARY is never \
opened for writing; with --in-place the checked result replaces LIBRARY by rename.

A library that already carries a payload is refused unless --replace. A signed PE file is \
refused unless --drop-signature (the signature would no longer match; re-sign the result). \
A Mach-O file with a certificate signature is refused likewise; --drop-signature replaces it \
with an ad-hoc one.

Examples:
  jiscan inject libFoo.so Foo.ji -o out/libFoo.so
  jiscan inject --in-place --replace Foo.dll Foo.ji
  jiscan inject Foo.dylib Foo-x86_64.ji --arch aarch64=Foo-arm64.ji -o out/Foo.dylib

Output: one line on standard output: the file written, its format, and per image the \
architecture and the payload's offset and size. A progress bar is drawn on standard error when \
it is a terminal and the payload is 64 MiB or more.

Exit status:
  0  the payload was injected and checked
  1  the library or payload could not be read, is refused, or the result failed its check
     (the message names the file, the structure and its offset)
  2  bad usage: not exactly one of -o and --in-place, '-o -', an unknown --arch name";

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
    /// Where to write the result (a file; it may be LIBRARY itself)
    #[arg(short, long, value_name = "OUT", value_parser = output_path)]
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
}

/// `-o` names a file: the result is checked and renamed into place, which
/// standard output cannot be.
fn output_path(text: &str) -> Result<PathBuf, String> {
    if text == "-" {
        return Err("inject writes a file (checked, then renamed into place), not standard output".to_owned());
    }
    if text.is_empty() {
        return Err("an empty path".to_owned());
    }
    Ok(PathBuf::from(text))
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

pub fn run(args: &Args) -> io::Result<Outcome> {
    let drawn = Rc::new(Cell::new(false));
    let mut options = InjectOptions {
        replace: args.replace,
        drop_signature: args.drop_signature,
        per_arch: args.per_arch.clone(),
        progress: None,
    };
    if io::stderr().is_terminal() && payload_bytes(args) >= PROGRESS_MIN {
        options.progress = Some(progress_bar(Rc::clone(&drawn)));
    }
    // clap's group guarantees exactly one of -o and --in-place.
    let result = match &args.output {
        Some(out) => pkgimg::inject(&args.library, &args.payload, out, options),
        None => pkgimg::inject_in_place(&args.library, &args.payload, options),
    };
    if drawn.get() {
        // End the bar's line so what follows starts on a fresh one.
        let _ = writeln!(io::stderr());
    }
    match result {
        Ok(report) => {
            let mut out = io::stdout().lock();
            writeln!(out, "{}", summary(&report))?;
            out.flush()?;
            Ok(Outcome::Clean)
        }
        Err(e) => {
            // Every InjectError names its file, the structure and the offset.
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "jiscan: {e}");
            // The library's message speaks of its options; name the flags.
            let hint = match e {
                InjectError::AlreadyHasPayload { .. } => Some("pass --replace to replace the payload"),
                InjectError::Signed { .. } => Some("pass --drop-signature to remove the signature (then re-sign)"),
                _ => None,
            };
            if let Some(hint) = hint {
                let _ = writeln!(err, "jiscan: {hint}");
            }
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

/// A one-line bar redrawn in place with `\r` on standard error.
fn progress_bar(drawn: Rc<Cell<bool>>) -> Box<dyn FnMut(u64, u64)> {
    Box::new(move |done, total| {
        const MIB: u64 = 1 << 20;
        const WIDTH: u64 = 30;
        let filled = done.saturating_mul(WIDTH).checked_div(total).unwrap_or(WIDTH).min(WIDTH);
        let percent = done.saturating_mul(100).checked_div(total).unwrap_or(100);
        let bar: String = (0..WIDTH).map(|i| if i < filled { '#' } else { '-' }).collect();
        let _ = write!(io::stderr(), "\rcopying payload [{bar}] {:>6} / {} MiB {percent:>3}%", done / MIB, total / MIB);
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
            "{}, payload {} bytes at {:#x} (CRC-32C {:#010x})",
            report.format, report.payload_size, report.payload_offset, report.payload_crc32c
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
            "{which}{} {}, payload {} bytes at {:#x} (CRC-32C {:#010x})",
            payload.format(),
            payload.arch(),
            payload.size(),
            payload.offset(),
            payload.frame().payload_crc32c
        ));
    }
    Some(lines)
}
