//! `jiscan scan`: one line per file, or per slice of a universal file, with
//! the image's identity and its payload's place, size and CRC.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::thread;

use pkgimg::split::Resolver;
use pkgimg::{Error, Format, Image, Slice};

use crate::files::{self, Bytes, Found, OpenError, Opened, WalkOptions, WalkStats};
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

Files are looked up --jobs at a time (default: twice the processors), so that the reads of a cold \
scan overlap; the lines come out in walk order whatever the number. A file's first 4 KiB are read \
first: one that is no object file costs no more; an object file of up to 64 KiB is read whole, a \
larger one mapped. Locating a payload reads headers only. --verify also checks each payload's \
CRC-32C, which reads every payload byte.

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
    /// Look up N files at a time (default: twice the processors); the output
    /// is the same for any N
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
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
    let mut out = Output { out: BufWriter::new(stdout.lock()), table: Table::new(), clean: true, json: args.json };
    let options = WalkOptions { follow: args.follow };
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let (verify, roots) = (args.verify, &args.paths);
    // The walk (readdir, stat) stays on this thread and in its order; the
    // files go to `jobs` threads, which look them up in parallel, so that
    // the reads of a cold scan overlap; the lines come back and are printed
    // in walk order, as they were found, so the output does not depend on
    // `jobs`.
    // Files go out, and their lines come back, BATCH at a time: a hand-off
    // between threads costs a wake-up, which on a warm scan is as much as
    // looking up a file.
    let (work_tx, work_rx) = mpsc::sync_channel::<Vec<(u64, PathBuf, bool)>>(jobs.saturating_mul(2));
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<Vec<(u64, Vec<Record>)>>();
    let stats = thread::scope(|scope| -> io::Result<WalkStats> {
        for _ in 0..jobs {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            scope.spawn(move || {
                // One resolver per thread: a dependency many libraries share
                // is opened once per thread to learn it is not a data library.
                let mut resolver = Resolver::default();
                loop {
                    // The lock is held while waiting for a file, not while scanning it.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(batch) = next else { break };
                    let done = batch
                        .into_iter()
                        .map(|(seq, path, named)| (seq, scan_file(&path, verify, named, &mut resolver)))
                        .collect();
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut order = InOrder::default();
        let mut batch = Vec::with_capacity(BATCH);
        let stopped = || io::Error::other("scan threads stopped");
        let walked = files::walk_with(roots, options, &mut |found| {
            let seq = order.take_seq();
            match found {
                Found::File(path) => {
                    let named = roots.contains(&path);
                    // Never more than WINDOW files between the oldest not yet
                    // printed and the newest: memory stays bounded behind a
                    // slow file (a large payload under --verify).
                    while order.in_flight() >= WINDOW {
                        order.wait(&done_rx, &mut out)?;
                    }
                    batch.push((seq, path, named));
                    if batch.len() >= BATCH {
                        // A send fails only if every worker has gone: they stop on a panic only.
                        work_tx
                            .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                            .map_err(|_| stopped())?;
                    }
                }
                Found::Problem(path, why) => order.arrived(seq, vec![failed(&path, None, None, why)]),
            }
            order.drain(&done_rx, &mut out)
        });
        if !batch.is_empty() {
            work_tx.send(batch).map_err(|_| stopped())?;
        }
        drop(work_tx);
        let stats = walked?;
        while order.in_flight() > 0 {
            order.wait(&done_rx, &mut out)?;
        }
        Ok(stats)
    })?;
    if !args.json {
        out.table.finish(&mut out.out, &stats)?;
    }
    out.out.flush()?;
    Ok(if out.clean { Outcome::Clean } else { Outcome::Problems })
}

/// Files looked up at once by default: twice the processors, so that while
/// one thread waits for a cold read another computes.
fn default_jobs() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get().saturating_mul(2))
}

/// At most this many files between the oldest not yet printed and the newest sent.
const WINDOW: u64 = 4096;
/// Files handed to a thread at once.
const BATCH: usize = 32;

/// Where the lines go, and what the summary and exit status need.
struct Output<W: Write> {
    out: W,
    table: Table,
    clean: bool,
    json: bool,
}

impl<W: Write> Output<W> {
    /// One file's lines.
    fn file(&mut self, records: Vec<Record>) -> io::Result<()> {
        self.table.files = self.table.files.saturating_add(1);
        for record in records {
            self.clean &= matches!(record.kind, Kind::Valid | Kind::Other);
            if record.kind == Kind::Other {
                self.table.other = self.table.other.saturating_add(1);
                self.table.images = self.table.images.saturating_add(1);
            } else if self.json {
                writeln!(self.out, "{}", to_json(&record))?;
            } else {
                self.table.push(&mut self.out, record)?;
            }
        }
        Ok(())
    }
}

/// Where the threads send the lines of each batch of files, with their sequence numbers.
type Done = mpsc::Receiver<Vec<(u64, Vec<Record>)>>;

/// The files' lines back in walk order: each file has a sequence number,
/// and a file's lines wait here until those of every earlier file are out.
#[derive(Default)]
struct InOrder {
    /// The next sequence number to hand out, and the next to print.
    next_seq: u64,
    next_out: u64,
    waiting: BTreeMap<u64, Vec<Record>>,
}

impl InOrder {
    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq = seq.saturating_add(1);
        seq
    }

    fn in_flight(&self) -> u64 {
        self.next_seq.saturating_sub(self.next_out)
    }

    fn arrived(&mut self, seq: u64, records: Vec<Record>) {
        self.waiting.insert(seq, records);
    }

    /// Prints what can be printed in order.
    fn flush<W: Write>(&mut self, out: &mut Output<W>) -> io::Result<()> {
        while let Some(records) = self.waiting.remove(&self.next_out) {
            self.next_out = self.next_out.saturating_add(1);
            out.file(records)?;
        }
        Ok(())
    }

    /// Takes the lines that have come back, without waiting, and prints what it can.
    fn drain<W: Write>(&mut self, done: &Done, out: &mut Output<W>) -> io::Result<()> {
        while let Ok(batch) = done.try_recv() {
            batch.into_iter().for_each(|(seq, records)| self.arrived(seq, records));
        }
        self.flush(out)
    }

    /// Waits for one file's lines, then prints what it can.
    fn wait<W: Write>(&mut self, done: &Done, out: &mut Output<W>) -> io::Result<()> {
        match done.recv() {
            Ok(batch) => batch.into_iter().for_each(|(seq, records)| self.arrived(seq, records)),
            Err(_) => return Err(io::Error::other("scan threads stopped")),
        }
        self.drain(done, out)
    }
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
    let map = match files::open_for_lookup(path) {
        Ok(Opened::Bytes(bytes)) => bytes,
        Ok(Opened::Large(file)) => {
            // A payload found with a few reads needs no mapping; anything
            // else (no payload: the dependencies are read; a damaged header;
            // --verify, which reads the payload) is looked at mapped.
            if !verify {
                if let Ok(located) = pkgimg::find_ji_payload_file(&file, path) {
                    return vec![located_record(path, &located)];
                }
            }
            match files::map_opened(&file) {
                Ok(bytes) => bytes,
                Err(why) => return vec![failed(path, None, None, why)],
            }
        }
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
    map: &Bytes,
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

/// The line of a thin file whose payload was located from its headers alone:
/// what [`scan_slice`] says of the same file mapped.
fn located_record(path: &Path, located: &pkgimg::Located) -> Record {
    let frame = located.frame();
    Record {
        path: path.to_owned(),
        slice: None,
        format: Some(located.image().format),
        image: Some(located.image()),
        payload: Some(PayloadInfo {
            offset: located.offset(),
            size: located.size(),
            crc32c: frame.has_crc32c().then_some(frame.payload_crc32c),
            crc_ok: None,
            uncompressed_size: frame.uncompressed_size(),
        }),
        data_library: None,
        kind: Kind::Valid,
        error: None,
    }
}

/// What a line says of `payload`, found in `map` (the file at `path`), and
/// with `verify` whether its CRC-32C holds: the error then names the file.
fn payload_info(
    payload: &pkgimg::Payload<'_>,
    map: &Bytes,
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
fn split_record(path: &Path, map: &Bytes, slice: &Slice<'_>, verify: bool, resolver: &mut Resolver) -> Option<Record> {
    let found = resolver.find_in(path, map).ok()?;
    let (info, error) = if verify {
        // Only verifying reads the payload, and so maps the data library.
        let data = Bytes::Mapped(found.map().ok()?);
        let payload = pkgimg::find_ji_payload(&data).ok()?;
        payload_info(&payload, &data, verify, &found.path, None)
    } else {
        let (located, frame) = (found.located(), found.located().frame());
        let crc32c = frame.has_crc32c().then_some(frame.payload_crc32c);
        let uncompressed_size = frame.uncompressed_size();
        (PayloadInfo { offset: located.offset(), size: located.size(), crc32c, crc_ok: None, uncompressed_size }, None)
    };
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
