//! `jiscan scan`: one line per file, or per slice of a universal file, with
//! the image's identity and its payload's place, size and CRC.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use pkgimg::MappedFile;
use pkgimg::{Error, Format, Image, Slice};

use crate::files::{self, Found};
use crate::identify::identify;
use crate::json::Json;
use crate::Outcome;

const AFTER_HELP: &str = "\
Every file under each PATH is reported, one line per file or per slice of a universal Mach-O file: \
files that are not object files, cannot be read, or are empty get a line with an error, which \
names the file. Symbolic links are followed, except into a directory already being scanned.

Locating a payload reads headers only. --verify also checks each payload's CRC-32C, which reads \
every payload byte.

Each --json line has exactly these keys:
  path     the file, as found from the PATH given
  slice    the slice index in a universal file, else null
  format   \"elf\", \"macho\", \"pe\", \"coff\", or null if not an object file
  bits     32 or 64; endian \"little\" or \"big\"; arch e.g. \"x86_64\" (null if unknown)
  payload  null, or {\"offset\", \"size\", \"crc32c\", \"crc_ok\"}: absolute file offset, bytes,
           the frame's CRC-32C (null if it has none), and with --verify whether it matches
           (null without --verify)
  error    null, or the message (\"PATH: why\")

Exit status: 0 if every file has a valid payload (and with --verify a matching CRC), 1 if any \
has none or fails, 2 for bad usage.

Examples:
  jiscan scan ~/.julia/compiled/v1.11
  jiscan scan --verify --json build/ | jq -c 'select(.error != null)'";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Print JSON Lines (one object per file or slice) instead of a table
    #[arg(long)]
    pub json: bool,
    /// Also check every payload's CRC-32C (reads each payload in full)
    #[arg(long)]
    pub verify: bool,
    /// Files and directories to scan (directories recursively)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// What one line says.
#[derive(Clone, Debug)]
struct Record {
    path: PathBuf,
    slice: Option<u32>,
    format: Option<Format>,
    image: Option<Image>,
    payload: Option<PayloadInfo>,
    /// The error message, prefixed with the path (and slice).
    error: Option<String>,
    kind: Kind,
}

#[derive(Clone, Copy, Debug)]
struct PayloadInfo {
    offset: u64,
    size: u64,
    crc32c: Option<u32>,
    crc_ok: Option<bool>,
}

/// How a line counts in the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A payload, located (and with --verify, checked).
    Valid,
    /// An object file without a container.
    NoPayload,
    /// Anything else.
    Failed,
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // JSON lines stream out as files are scanned; the table needs every
    // line's width first.
    let mut table: Vec<Record> = Vec::new();
    let (mut files, mut clean) = (0u64, true);
    files::walk(&args.paths, &mut |found| {
        files = files.saturating_add(1);
        let records = match found {
            Found::File(path) => scan_file(&path, args.verify),
            Found::Problem(path, why) => vec![failed(&path, None, None, why)],
        };
        clean &= records.iter().all(|r| r.kind == Kind::Valid);
        if args.json {
            for record in &records {
                writeln!(out, "{}", to_json(record))?;
            }
            Ok(())
        } else {
            table.extend(records);
            Ok(())
        }
    })?;
    if !args.json {
        write_table(&mut out, &table, files)?;
    }
    out.flush()?;
    Ok(if clean { Outcome::Clean } else { Outcome::Problems })
}

/// `path: message`, or `path: slice N: message`.
fn prefixed(path: &Path, slice: Option<u32>, message: impl std::fmt::Display) -> String {
    match slice {
        Some(i) => format!("{}: slice {i}: {message}", path.display()),
        None => format!("{}: {message}", path.display()),
    }
}

fn failed(path: &Path, slice: Option<u32>, format: Option<Format>, message: impl std::fmt::Display) -> Record {
    Record {
        path: path.to_owned(),
        slice,
        format,
        image: None,
        payload: None,
        error: Some(prefixed(path, slice, message)),
        kind: Kind::Failed,
    }
}

fn scan_file(path: &Path, verify: bool) -> Vec<Record> {
    let map = match files::map(path) {
        Ok(map) => map,
        Err(why) => return vec![failed(path, None, None, why)],
    };
    let slices = match pkgimg::slices(&map) {
        Ok(slices) => slices,
        // Only a universal header can fail here; the format is not certain
        // (Java class files share its magic).
        Err(e) => return vec![failed(path, None, None, e)],
    };
    let mut records = Vec::new();
    for (index, slice) in (0u32..).zip(slices) {
        records.push(match slice {
            Ok(slice) => scan_slice(path, &map, &slice, verify),
            Err(e) => failed(path, Some(index), Some(Format::MachO), e),
        });
    }
    if records.is_empty() {
        records.push(failed(path, None, Some(Format::MachO), "universal file with no slices"));
    }
    records
}

fn scan_slice(path: &Path, map: &MappedFile, slice: &Slice<'_>, verify: bool) -> Record {
    let index = slice.index();
    let payload = match slice.find_ji_payload() {
        Ok(payload) => payload,
        Err(e) => {
            let (format, image) = identify(slice);
            let kind = if matches!(e, Error::NoContainer { .. }) { Kind::NoPayload } else { Kind::Failed };
            return Record { image, kind, ..failed(path, index, format, e) };
        }
    };
    let frame = payload.frame();
    let mut info = PayloadInfo {
        offset: payload.offset(),
        size: payload.size(),
        crc32c: frame.has_crc32c().then_some(frame.payload_crc32c),
        crc_ok: None,
    };
    let mut error = None;
    if verify {
        map.will_read(payload.offset(), payload.size());
        let result = payload.verify();
        info.crc_ok = Some(result.is_ok());
        error = result.err().map(|e| prefixed(path, index, e));
    }
    Record {
        path: path.to_owned(),
        slice: index,
        format: Some(payload.format()),
        image: Some(payload.image()),
        payload: Some(info),
        kind: if error.is_none() { Kind::Valid } else { Kind::Failed },
        error,
    }
}

fn to_json(r: &Record) -> Json {
    let payload = r.payload.map(|p| {
        Json::Obj(vec![
            ("offset", p.offset.into()),
            ("size", p.size.into()),
            ("crc32c", p.crc32c.into()),
            ("crc_ok", p.crc_ok.into()),
        ])
    });
    Json::Obj(vec![
        ("path", r.path.display().to_string().into()),
        ("slice", r.slice.into()),
        ("format", r.format.map(Format::name).into()),
        ("bits", r.image.map(|i| i.bits).into()),
        ("endian", r.image.map(|i| i.endian.name()).into()),
        ("arch", r.image.map(|i| i.arch.to_string()).into()),
        ("payload", payload.into()),
        ("error", r.error.clone().into()),
    ])
}

/// The aligned table and the summary line.
fn write_table(out: &mut impl Write, records: &[Record], files: u64) -> io::Result<()> {
    let universal = records.iter().any(|r| r.slice.is_some());
    let dash = || "-".to_owned();
    let mut rows: Vec<Vec<String>> =
        vec![["PATH", "SLICE", "FORMAT", "ARCH", "OFFSET", "SIZE", "CRC32C", "CRC", "ERROR"]
            .iter()
            .map(|s| s.to_string())
            .collect()];
    for r in records {
        let p = r.payload;
        rows.push(vec![
            r.path.display().to_string(),
            r.slice.map_or_else(dash, |i| i.to_string()),
            r.format.map_or_else(dash, |f| f.name().to_owned()),
            r.image.map_or_else(dash, |i| i.arch.to_string()),
            p.map_or_else(dash, |p| format!("{:#x}", p.offset)),
            p.map_or_else(dash, |p| p.size.to_string()),
            p.and_then(|p| p.crc32c).map_or_else(dash, |c| format!("{c:#010x}")),
            match p {
                None => dash(),
                Some(PayloadInfo { crc32c: None, .. }) => "none".to_owned(),
                Some(PayloadInfo { crc_ok: None, .. }) => "unchecked".to_owned(),
                Some(PayloadInfo { crc_ok: Some(true), .. }) => "ok".to_owned(),
                Some(PayloadInfo { crc_ok: Some(false), .. }) => "MISMATCH".to_owned(),
            },
            r.error.clone().unwrap_or_default(),
        ]);
    }
    // Columns 0..8 are padded to their widest cell; the last (error) is not.
    let columns = 8;
    let mut widths = vec![0usize; columns];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == 1 && !universal {
                continue;
            }
            match widths.get(i) {
                Some(&w) => line.push_str(&format!("{cell:<w$}  ")),
                None => line.push_str(cell),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let count = |kind: Kind| records.iter().filter(|r| r.kind == kind).count();
    let images = if universal { format!(" ({} images)", records.len()) } else { String::new() };
    writeln!(
        out,
        "{files} files{images}, {} with payload, {} without, {} errors",
        count(Kind::Valid),
        count(Kind::NoPayload),
        count(Kind::Failed)
    )
}
