//! `jiscan scan`: one line per file, or per slice of a universal file, with
//! the image's identity and its payload's place, size and CRC.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use pkgimg::split::Resolver;
use pkgimg::MappedFile;
use pkgimg::{Error, Format, Image, Slice};

use crate::files::{self, Found, OpenError, WalkOptions, WalkStats};
use crate::identify::identify;
use crate::json::Json;
use crate::text::escape;
use crate::Outcome;

const AFTER_HELP: &str = "\
Every object file under each PATH is reported, one line per file or per slice of a universal \
Mach-O file; one that cannot be read gets a line with an error, which names the file. In a \
directory, files that are not object files at all (no ELF, Mach-O, PE or COFF magic, or empty) are \
counted in the summary as other files, not reported as errors; a file named as a PATH is always \
reported.

The walk: symbolic links to files are followed; symbolic links to directories are not (the \
summary counts them) unless --follow, and even then each directory is walked once (recognised by \
device and inode) and a link back to a directory being walked is reported as a loop. Pseudo-file \
systems (/proc, /sys, /dev) are not entered unless named as a PATH. Temporary files of jiscan's \
writers (.NAME.pkgimg-XXXXXX, a write in progress or left by a killed one) are skipped, and the \
summary says how many. The table is printed as the walk goes, a block of rows at a time (its \
columns widen when a longer cell arrives); control characters in names are escaped as ls -b does.

Locating a payload reads headers only. --verify also checks each payload's CRC-32C, which reads \
every payload byte.

Each --json line (one per object file or slice, and per problem; other files and skipped ones \
get none) has exactly these keys:
  path     the file, as found from the PATH given
  slice    the slice index in a universal file, else null
  format   \"elf\", \"macho\", \"pe\", \"coff\", or null if not an object file
  bits     32 or 64; endian \"little\" or \"big\"; arch e.g. \"x86_64\" (null if unknown)
  payload  null, or {\"offset\", \"size\", \"crc32c\", \"crc_ok\", \"compressed\",
           \"uncompressed_size\"}: absolute file offset, bytes as stored, the frame's CRC-32C of
           them (null if it has none), with --verify whether it matches (null without
           --verify), whether the stored bytes are a zstd frame, and its decoded size (null if
           not compressed; a compressed payload's SIZE column reads \"STORED (zstd of N)\")
  data_library  null, or for a code cache without a payload of its own whose dependencies
           include a data library (see 'jiscan deps'): {\"path\", \"payload\"}, payload as above
  error    null, or the message (\"PATH: why\")

A code cache whose data library carries a valid payload counts as having one; the table shows that \
payload and names the data library.

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
    /// Follow symbolic links to directories (each directory is still scanned once)
    #[arg(long)]
    pub follow: bool,
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
    /// For a code cache without a payload: the data library it depends on,
    /// and that library's payload.
    data_library: Option<(PathBuf, PayloadInfo)>,
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
    /// The frame's uncompressed size, if the payload is a zstd frame.
    uncompressed_size: Option<u64>,
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
    /// Found in a directory, and not an object file at all: counted, not shown.
    Other,
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // JSON lines stream out as files are scanned, and so do the table's rows,
    // a block at a time.
    let mut table = Table::new();
    let mut clean = true;
    let options = WalkOptions { follow: args.follow };
    // One resolver for the whole walk: a dependency many libraries share is
    // opened once to learn that it is not a data library.
    let mut resolver = Resolver::default();
    let stats = files::walk_with(&args.paths, options, &mut |found| {
        let records = match found {
            Found::File(path) => {
                let named = args.paths.contains(&path);
                scan_file(&path, args.verify, named, &mut resolver)
            }
            Found::Problem(path, why) => vec![failed(&path, None, None, why)],
        };
        table.files = table.files.saturating_add(1);
        for record in records {
            clean &= matches!(record.kind, Kind::Valid | Kind::Other);
            if record.kind == Kind::Other {
                table.other = table.other.saturating_add(1);
                table.images = table.images.saturating_add(1);
            } else if args.json {
                writeln!(out, "{}", to_json(&record))?;
            } else {
                table.push(&mut out, record)?;
            }
        }
        Ok(())
    })?;
    if !args.json {
        table.finish(&mut out, &stats)?;
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
        data_library: None,
        error: Some(prefixed(path, slice, message)),
        kind: Kind::Failed,
    }
}

/// The records of one file. A file found in a directory (not `named` as a
/// PATH) that is empty or has no object-file magic is `Kind::Other`.
fn scan_file(path: &Path, verify: bool, named: bool, resolver: &mut Resolver) -> Vec<Record> {
    let map = match files::open(path) {
        Ok((_, _, map)) => map,
        Err(OpenError::Empty) if !named => return vec![Record { kind: Kind::Other, ..failed(path, None, None, "") }],
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
            Ok(slice) => scan_slice(path, &map, &slice, verify, named, resolver),
            Err(e) => failed(path, Some(index), Some(Format::MachO), e),
        });
    }
    if records.is_empty() {
        records.push(failed(path, None, Some(Format::MachO), "universal file with no slices"));
    }
    records
}

fn scan_slice(
    path: &Path,
    map: &MappedFile,
    slice: &Slice<'_>,
    verify: bool,
    named: bool,
    resolver: &mut Resolver,
) -> Record {
    let index = slice.index();
    let payload = match slice.find_ji_payload() {
        Ok(payload) => payload,
        Err(e) => {
            let (format, image) = identify(slice);
            if let (Error::NoContainer { .. }, None) = (&e, index) {
                if let Some(record) = split_record(path, map, slice, verify, resolver) {
                    return record;
                }
            }
            let kind = match e {
                Error::NoContainer { .. } => Kind::NoPayload,
                // Not an object file at all, found in a directory (a thin
                // file: inside a universal file it is a damaged slice).
                Error::UnknownFormat { .. } if !named && index.is_none() => Kind::Other,
                _ => Kind::Failed,
            };
            return Record { image, kind, ..failed(path, index, format, e) };
        }
    };
    let (info, error) = payload_info(&payload, map, verify, path, index);
    Record {
        path: path.to_owned(),
        slice: index,
        format: Some(payload.format()),
        image: Some(payload.image()),
        payload: Some(info),
        data_library: None,
        kind: if error.is_none() { Kind::Valid } else { Kind::Failed },
        error,
    }
}

/// What a line says of `payload`, found in `map` (the file at `path`), and
/// with `verify` whether its CRC-32C holds: the error then names the file.
fn payload_info(
    payload: &pkgimg::Payload<'_>,
    map: &MappedFile,
    verify: bool,
    path: &Path,
    slice: Option<u32>,
) -> (PayloadInfo, Option<String>) {
    let frame = payload.frame();
    let mut info = PayloadInfo {
        offset: payload.offset(),
        size: payload.size(),
        crc32c: frame.has_crc32c().then_some(frame.payload_crc32c),
        crc_ok: None,
        uncompressed_size: payload.uncompressed_size(),
    };
    let mut error = None;
    if verify {
        map.will_read(payload.offset(), payload.size());
        let result = payload.verify();
        info.crc_ok = Some(result.is_ok());
        error = result.err().map(|e| prefixed(path, slice, e));
    }
    (info, error)
}

/// A thin code cache without a payload of its own: its data library's
/// payload, if one of its dependencies is a data library (headers only, as
/// `jiscan deps`); `None` otherwise, and the file is reported as it is.
fn split_record(
    path: &Path,
    map: &MappedFile,
    slice: &Slice<'_>,
    verify: bool,
    resolver: &mut Resolver,
) -> Option<Record> {
    let found = resolver.find_in(path, map.bytes()).ok()?;
    let payload = found.payload().ok()?;
    let (info, error) = payload_info(&payload, found.file(), verify, &found.path, None);
    let (format, image) = identify(slice);
    Some(Record {
        path: path.to_owned(),
        slice: None,
        format,
        image,
        payload: None,
        data_library: Some((found.path.clone(), info)),
        kind: if error.is_none() { Kind::Valid } else { Kind::Failed },
        error,
    })
}

fn payload_json(p: PayloadInfo) -> Json {
    Json::Obj(vec![
        ("offset", p.offset.into()),
        ("size", p.size.into()),
        ("crc32c", p.crc32c.into()),
        ("crc_ok", p.crc_ok.into()),
        ("compressed", p.uncompressed_size.is_some().into()),
        ("uncompressed_size", p.uncompressed_size.into()),
    ])
}

fn to_json(r: &Record) -> Json {
    let payload = r.payload.map(payload_json);
    let data_library = r
        .data_library
        .as_ref()
        .map(|(path, p)| Json::Obj(vec![("path", path.display().to_string().into()), ("payload", payload_json(*p))]));
    Json::Obj(vec![
        ("path", r.path.display().to_string().into()),
        ("slice", r.slice.into()),
        ("format", r.format.map(Format::name).into()),
        ("bits", r.image.map(|i| i.bits).into()),
        ("endian", r.image.map(|i| i.endian.name()).into()),
        ("arch", r.image.map(|i| i.arch.to_string()).into()),
        ("payload", payload.into()),
        ("data_library", data_library.into()),
        ("error", r.error.clone().into()),
    ])
}

/// How many rows the table holds back at most before printing them: enough
/// to align a small scan's columns as one block, few enough that a long walk
/// shows its first rows at once.
const BLOCK: usize = 32;

/// The table, printed as the walk goes: rows are held back in blocks of
/// [`BLOCK`], each column as wide as its widest cell so far, so columns are
/// aligned within a block and widen (never narrow) from one block to the
/// next. A scan of up to `BLOCK` rows is one aligned table.
struct Table {
    pending: Vec<[String; 9]>,
    widths: [usize; 8],
    header: bool,
    /// Whether a slice column is shown (decided by the first block).
    universal: Option<bool>,
    valid: u64,
    without: u64,
    failed: u64,
    /// Rows, other files included: with a universal file, the summary's "images".
    images: u64,
    any_slice: bool,
    /// Files and problems the walk reported.
    files: u64,
    /// Files that are not object files, found in directories.
    other: u64,
}

impl Table {
    fn new() -> Table {
        Table {
            pending: Vec::new(),
            widths: [0; 8],
            header: false,
            universal: None,
            valid: 0,
            without: 0,
            failed: 0,
            images: 0,
            any_slice: false,
            files: 0,
            other: 0,
        }
    }

    fn push(&mut self, out: &mut impl Write, r: Record) -> io::Result<()> {
        let count = match r.kind {
            Kind::Valid => &mut self.valid,
            Kind::NoPayload => &mut self.without,
            Kind::Failed | Kind::Other => &mut self.failed,
        };
        *count = count.saturating_add(1);
        self.images = self.images.saturating_add(1);
        self.any_slice |= r.slice.is_some();
        self.pending.push(row(&r));
        if self.pending.len() >= BLOCK {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Prints the rows held back (with the header before the first).
    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        let universal = *self.universal.get_or_insert(self.any_slice);
        let header = ["PATH", "SLICE", "FORMAT", "ARCH", "OFFSET", "SIZE", "CRC32C", "CRC", "ERROR"].map(String::from);
        let rows: Vec<[String; 9]> = if self.header {
            std::mem::take(&mut self.pending)
        } else {
            [header].into_iter().chain(self.pending.drain(..)).collect()
        };
        self.header = true;
        for row in &rows {
            for (width, cell) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i == 1 && !universal {
                    continue;
                }
                match self.widths.get(i) {
                    Some(&w) => line.push_str(&format!("{cell:<w$}  ")),
                    None => line.push_str(cell),
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        out.flush()
    }

    /// The last rows and the summary line.
    fn finish(mut self, out: &mut impl Write, stats: &WalkStats) -> io::Result<()> {
        self.flush(out)?;
        let images = if self.any_slice { format!(" ({} images)", self.images) } else { String::new() };
        let mut line = format!(
            "{} files{images}, {} with payload, {} without, {} errors",
            self.files, self.valid, self.without, self.failed
        );
        if self.other > 0 {
            line.push_str(&format!(", {}", plural(self.other, "other file", "other files")));
        }
        let notes: Vec<String> = [
            (
                stats.links_not_followed,
                "link to a directory not followed (--follow)",
                "links to directories not followed (--follow)",
            ),
            (stats.revisited, "directory already scanned, skipped", "directories already scanned, skipped"),
            (stats.pseudo, "pseudo-file-system directory not entered", "pseudo-file-system directories not entered"),
            (stats.temporaries, "temporary file skipped", "temporary files skipped"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| plural(n, one, many))
        .collect();
        if !notes.is_empty() {
            line.push_str("; ");
            line.push_str(&notes.join(", "));
        }
        writeln!(out, "{line}")
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A record's cells; names and messages with control characters escaped.
fn row(r: &Record) -> [String; 9] {
    let dash = || "-".to_owned();
    let p = r.payload.or(r.data_library.as_ref().map(|(_, p)| *p));
    [
        escape(&r.path.display().to_string()).into_owned(),
        r.slice.map_or_else(dash, |i| i.to_string()),
        r.format.map_or_else(dash, |f| f.name().to_owned()),
        r.image.map_or_else(dash, |i| i.arch.to_string()),
        p.map_or_else(dash, |p| format!("{:#x}", p.offset)),
        p.map_or_else(dash, |p| match p.uncompressed_size {
            Some(n) => format!("{} (zstd of {n})", p.size),
            None => p.size.to_string(),
        }),
        p.and_then(|p| p.crc32c).map_or_else(dash, |c| format!("{c:#010x}")),
        match p {
            None => dash(),
            Some(PayloadInfo { crc32c: None, .. }) => "none".to_owned(),
            Some(PayloadInfo { crc_ok: None, .. }) => "unchecked".to_owned(),
            Some(PayloadInfo { crc_ok: Some(true), .. }) => "ok".to_owned(),
            Some(PayloadInfo { crc_ok: Some(false), .. }) => "MISMATCH".to_owned(),
        },
        match (&r.error, &r.data_library) {
            (Some(e), _) => escape(e).into_owned(),
            (None, Some((path, _))) => format!("payload in data library {}", escape(&path.display().to_string())),
            (None, None) => String::new(),
        },
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use super::*;

    fn record(i: usize) -> Record {
        let path = PathBuf::from(format!("dir/lib{i}.so"));
        Record { kind: Kind::NoPayload, ..failed(&path, None, Some(Format::Elf), "no payload") }
    }

    #[test]
    fn the_table_streams_a_block_at_a_time() {
        let mut table = Table::new();
        let mut out = Vec::new();
        for i in 0..BLOCK + 5 {
            table.files += 1;
            table.push(&mut out, record(i)).unwrap();
        }
        // The walk is not over, and the first block is out, with its header.
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.lines().count(), 1 + BLOCK, "{text}");
        assert!(text.starts_with("PATH"));
        table.finish(&mut out, &WalkStats { temporaries: 1, ..WalkStats::default() }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1 + BLOCK + 5 + 1, "{text}");
        assert_eq!(
            text.lines().last().unwrap(),
            "37 files, 0 with payload, 37 without, 0 errors; 1 temporary file skipped"
        );
    }
}
