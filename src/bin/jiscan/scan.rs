//! `jiscan scan`: one line per file, or per slice of a universal file, with
//! the image's identity and its payload's place, size and CRC.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::thread;

use pkgimg::split::Resolver;
use pkgimg::{Error, Format, Image, Slice};

use crate::deps;
use crate::files::{self, Bytes, Found, OpenError, Opened, WalkOptions, WalkStats};
use crate::identify::identify;
use crate::json::Json;
use crate::Outcome;

mod order;
mod table;

use order::{default_jobs, InOrder, Output, BATCH, WINDOW};
use table::Table;

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
scan overlap; a thread is started per 32 files until there are that many, and if the system \
refuses one (a process limit), the scan goes on with those it has, saying so; the lines come out in walk order whatever the number. A file's first 4 KiB are read \
first: one that is no object file costs no more; an object file of up to 64 KiB is read whole, a \
larger one mapped. Locating a payload reads headers only. --verify also checks each payload's \
CRC-32C, which reads every payload byte.

Each --json line (one per object file or slice, and per problem; other files and skipped ones \
get none) has exactly these keys:
  path     the file, as found from the PATH given (JSON strings are Unicode: bytes of a name that
           are not UTF-8 show as U+FFFD, so such a file is named but cannot be reopened by it)
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
payload and names the data library. A library without a payload that imports the data record's \
symbol (jl_pkgimg_data) is a code cache all the same: if none of its dependencies, or more than one, \
carries a payload, its line is an error that names each dependency and why it was not taken.

Exit status: 0 if every file has a valid payload (and with --verify a matching CRC), 1 if any \
has none or fails, 2 for bad usage. A directory without object files exits 0, as nothing in it \
fails ('jiscan check' exits 1 when it finds no cache).

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
    /// Look up N files at a time, 1 to 1024 (default: twice the processors,
    /// at most 1024); the output is the same for any N
    #[arg(short, long, value_name = "N", value_parser = jobs_count)]
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

impl PayloadInfo {
    /// What the frame says of a payload of `size` bytes at `offset`, not yet verified.
    fn new(offset: u64, size: u64, frame: &pkgimg::Frame) -> PayloadInfo {
        let crc32c = frame.has_crc32c().then_some(frame.payload_crc32c);
        PayloadInfo { offset, size, crc32c, crc_ok: None, uncompressed_size: frame.uncompressed_size() }
    }
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
    let jobs = args.jobs.unwrap_or_else(default_jobs).clamp(1, MAX_JOBS);
    let (verify, roots) = (args.verify, &args.paths);
    // The walk (readdir, stat) stays on this thread and in its order; the
    // files go to up to `jobs` threads, which look them up in parallel, so
    // that the reads of a cold scan overlap; the lines come back and are
    // printed in walk order, as they were found, so the output does not
    // depend on `jobs`.
    // Files go out, and their lines come back, BATCH at a time: a hand-off
    // between threads costs a wake-up, which on a warm scan is as much as
    // looking up a file. A thread is started for each batch until there are
    // `jobs` (a scan of one file starts one); one that cannot be started (a
    // process limit) leaves the scan to those there are, or to this thread.
    let (work_tx, work_rx) = mpsc::sync_channel::<Batch>(jobs.saturating_mul(2));
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<Vec<(u64, Vec<Record>)>>();
    let stats = thread::scope(|scope| -> io::Result<WalkStats> {
        let mut threads = Threads { started: 0, wanted: jobs, inline: Resolver::default() };
        let mut order = InOrder::default();
        let mut batch = Vec::with_capacity(BATCH);
        let stopped = || io::Error::other("scan threads stopped");
        let mut hand_out = |batch: Batch, order: &mut InOrder| -> io::Result<()> {
            if threads.started < threads.wanted {
                let (work_rx, done_tx) = (&work_rx, done_tx.clone());
                let spawned = thread::Builder::new()
                    .name("jiscan-scan".to_owned())
                    .spawn_scoped(scope, move || look_up(work_rx, &done_tx, verify));
                threads.spawned(spawned.map(drop));
            }
            if threads.started == 0 {
                for (seq, path, named) in batch {
                    order.arrived(seq, guarded(&path, verify, named, &mut threads.inline));
                }
                return Ok(());
            }
            work_tx.send(batch).map_err(|_| stopped())
        };
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
                        // A send fails only if every thread has gone: they stop on a panic only.
                        hand_out(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), &mut order)?;
                    }
                }
                Found::Problem(path, why) => order.arrived(seq, vec![failed(&path, None, None, why)]),
            }
            order.drain(&done_rx, &mut out)
        });
        if !batch.is_empty() {
            hand_out(batch, &mut order)?;
        }
        drop(work_tx);
        drop(done_tx);
        let stats = walked?;
        // Lines this thread looked up itself are waiting to be printed.
        order.drain(&done_rx, &mut out)?;
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

/// Files handed to a lookup thread: each with its sequence number, and
/// whether it was named as a PATH.
type Batch = Vec<(u64, PathBuf, bool)>;

/// The most threads `scan` starts: far more than overlap a cold scan's
/// reads, and few enough to start.
const MAX_JOBS: usize = 1024;

/// --jobs: a number of threads from 1 to [`MAX_JOBS`].
fn jobs_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_JOBS).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of threads from 1 to {MAX_JOBS}")),
    }
}

/// `scan`'s lookup threads: how many are running and how many it may start,
/// and the resolver of this thread, which looks the files up itself when
/// no thread could be started.
struct Threads {
    started: usize,
    wanted: usize,
    inline: Resolver,
}

impl Threads {
    /// Counts a thread started, or, if it could not be (`EAGAIN` under a
    /// process limit), says so once and starts no more.
    fn spawned(&mut self, result: io::Result<()>) {
        match result {
            Ok(()) => self.started = self.started.saturating_add(1),
            Err(e) => {
                let who = match self.started {
                    0 => "looking the files up on the main thread alone".to_owned(),
                    n => format!("going on with {n} of the {} wanted", self.wanted),
                };
                eprintln!("jiscan: cannot start another lookup thread ({e}); {who}");
                self.wanted = self.started;
            }
        }
    }
}

/// A lookup thread: takes batches of files from `work` until it closes, and
/// sends each batch's lines to `done`.
fn look_up(work: &Mutex<mpsc::Receiver<Batch>>, done: &order::Sender, verify: bool) {
    // One resolver per thread: a dependency many libraries share is opened
    // once per thread to learn it is not a data library.
    let mut resolver = Resolver::default();
    loop {
        // The lock is held while waiting for a file, not while scanning it.
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => break,
        };
        let Ok(batch) = next else { break };
        let lines = batch.into_iter().map(|(seq, path, named)| (seq, guarded(&path, verify, named, &mut resolver)));
        if done.send(lines.collect()).is_err() {
            break;
        }
    }
}

/// [`scan_file`], and if it panics (a bug: the readers are written not
/// to), that file's line says so and the scan goes on, with a fresh
/// resolver: a thread that died would leave the walk waiting for its lines
/// (review 24).
fn guarded(path: &Path, verify: bool, named: bool, resolver: &mut Resolver) -> Vec<Record> {
    caught(path, resolver, |resolver| scan_file(path, verify, named, resolver))
}

/// `look_up(resolver)`, or the line of a file whose lookup panicked.
fn caught(path: &Path, resolver: &mut Resolver, look_up: impl FnOnce(&mut Resolver) -> Vec<Record>) -> Vec<Record> {
    let looked_up = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| look_up(&mut *resolver)));
    looked_up.unwrap_or_else(|panic| {
        *resolver = Resolver::default();
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        vec![failed(path, None, None, format!("jiscan failed on this file (a bug, please report it): {what}"))]
    })
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
            // Each slice of a universal code cache has its own records, and
            // its own slice of a universal data library.
            if let Error::NoContainer { .. } = e {
                if let Some(record) = split_record(path, slice, verify, resolver) {
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
    Record {
        path: path.to_owned(),
        slice: None,
        format: Some(located.image().format),
        image: Some(located.image()),
        payload: Some(PayloadInfo::new(located.offset(), located.size(), located.frame())),
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
    let mut info = PayloadInfo::new(payload.offset(), payload.size(), payload.frame());
    let mut error = None;
    if verify {
        map.will_read(payload.offset(), payload.size());
        let result = payload.verify();
        info.crc_ok = Some(result.is_ok());
        error = result.err().map(|e| prefixed(path, slice, e));
    }
    (info, error)
}

/// A code cache image (a thin file, or one slice of a universal file)
/// without a payload of its own: its data library's payload (of a universal
/// data library, the slice of the image's architecture), if one of its
/// dependencies is a data library (headers only, as `jiscan deps`). If none
/// is, or several are, a failed record when the image is a code cache all
/// the same (it imports the data record's symbol); `None` otherwise, and
/// the image is reported as it is.
fn split_record(path: &Path, slice: &Slice<'_>, verify: bool, resolver: &mut Resolver) -> Option<Record> {
    let (format, image) = identify(slice);
    let index = slice.index();
    let failed_split = |why: String| Record { image, ..failed(path, index, format, why) };
    let found = match resolver.find_in_slice(path, *slice) {
        Ok(found) => found,
        Err(e) if deps::imports_data_symbol(slice) => {
            return Some(failed_split(format!("no payload; {}, but {}", deps::imports_clause(), e.reason())));
        }
        Err(_) => return None,
    };
    let located = found.located();
    let mut info = PayloadInfo::new(located.offset(), located.size(), located.frame());
    let mut error = None;
    if verify {
        // Only verifying reads the payload, and so maps the data library.
        let shown = found.path.display();
        let mapped = found.map().map_err(|e| e.to_string()).map(Bytes::Mapped);
        let checked = mapped.and_then(|data| {
            let payload = found.payload(&data).map_err(|e| format!("data library {shown}: {e}"))?;
            Ok(payload_info(&payload, &data, verify, &found.path, located.slice()))
        });
        (info, error) = match checked {
            Ok(checked) => checked,
            // The line still names the data library, and what its headers said.
            Err(why) => (info, Some(prefixed(path, index, why))),
        };
    }
    Some(Record {
        path: path.to_owned(),
        slice: index,
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

#[cfg(test)]
#[allow(clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Review 24: a lookup thread that panicked left the walk waiting for
    /// its lines. A panic (a bug) now becomes that file's error line.
    #[test]
    fn a_lookup_that_panics_becomes_its_files_error_line() {
        let path = Path::new("dir/lib.so");
        let mut resolver = Resolver::default();
        let lines = caught(path, &mut resolver, |_| panic!("index out of bounds"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, Kind::Failed);
        assert_eq!(
            lines[0].error.as_deref(),
            Some("dir/lib.so: jiscan failed on this file (a bug, please report it): index out of bounds")
        );
        let fine = caught(path, &mut resolver, |_| vec![failed(path, None, None, "no payload")]);
        assert_eq!(fine[0].error.as_deref(), Some("dir/lib.so: no payload"));
    }
}
