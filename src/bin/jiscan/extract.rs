//! `jiscan extract`: write one image's payload to a file or to stdout.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use pkgimg::{Arch, Slice};

use crate::files;
use crate::Outcome;

const AFTER_HELP: &str = "\
The payload's CRC-32C is checked before anything is written; on a mismatch nothing is written. \
OUT is written through a temporary file in its directory and renamed into place, so OUT is \
either the whole payload or untouched. '-o -' writes to standard output.

For a universal Mach-O file, the slice is the one for this machine's CPU unless --slice or --arch \
picks another; when there is none, the error lists the slices.

Examples:
  jiscan extract Foo.so -o Foo.ji
  jiscan extract --arch aarch64 Foo.dylib -o Foo-arm64.ji
  jiscan extract --slice 1 Foo.dylib -o - | head -c 16 | xxd";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The library to read
    pub file: PathBuf,
    /// Where to write the payload ('-' for standard output)
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
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    match extract(args) {
        Ok(()) => Ok(Outcome::Clean),
        Err(message) => {
            let _ = writeln!(io::stderr(), "jiscan: {message}");
            Ok(Outcome::Problems)
        }
    }
}

/// Does the work; an error is a message that names its file.
fn extract(args: &Args) -> Result<(), String> {
    let path = &args.file;
    let here = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let map = files::map(path).map_err(|e| here(&e))?;
    let slice = choose(&map, args).map_err(|e| here(&e))?;
    let payload = slice.find_ji_payload().map_err(|e| here(&e))?;
    if !args.no_verify {
        map.will_read(payload.offset(), payload.size());
        payload.verify().map_err(|e| here(&e))?;
    }
    if args.output == Path::new("-") {
        let mut out = io::stdout().lock();
        return out.write_all(payload.data()).and_then(|()| out.flush()).map_err(|e| format!("standard output: {e}"));
    }
    write_atomically(&args.output, payload.data()).map_err(|e| format!("{}: {e}", args.output.display()))
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

/// Writes `bytes` to a new file in `out`'s directory, then renames it to
/// `out`: a reader never sees a partial `out`, and a failure leaves it as it was.
fn write_atomically(out: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = out.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".jiscan-{}-{attempt}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt = attempt.saturating_add(1),
            Err(e) => return Err(e),
        }
    };
    let result = write_and_sync(&mut file, bytes).and_then(|()| fs::rename(&tmp, out));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_and_sync(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}
