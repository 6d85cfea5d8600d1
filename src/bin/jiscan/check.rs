//! `jiscan check`: for each Julia cache (a `.ji` with the code library beside
//! it, a library that carries its `.ji` as its payload, or a split image: a
//! code cache and the data library holding its `.ji`), whether Julia's
//! loader would accept it on the points that need no running Julia, and why
//! not.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

mod split;

use pkgimg::ji::{Header, Kind, Reason, Stop};
use pkgimg::MappedFile;

use crate::files::{self, Found};
use crate::identify::identify;
use crate::json::Json;
use crate::Outcome;

const AFTER_HELP: &str = "\
Each PATH is a cache file (Foo_xyz.ji), a code library, or a directory searched recursively (a \
depot's compiled/v1.11, say). A .ji is checked together with the library beside it (same name, \
.so, .dylib or .dll); a library that carries a .ji as its payload (a combined file) is checked on \
its own. Split images: a code cache without a payload is checked with the .ji of its data library \
(the dependency that carries it, found as `jiscan deps` finds it, with the data record that names \
it), and a data library on its own for the .ji it holds. In a directory, other files are counted \
and ignored.

What is checked, as Julia's loader does it (base/loading.jl, src/staticdata.c):
  magic, byte_order, format_version, pointer_size
              the .ji header can be read (versions 12 to 15), its byte order is the library's,
              the pointer size is 4 or 8 and matches the library's width
  kind        it is a package cache: pkgimage byte 0 (12, 13) or JI_FLAG_PKGIMAGE (14, 15);
              isvalid_cache_header rejects the rest
  checksum    (12, 13) the checksum carries the 0xfafbfcfd mark jl_validate_cache_file wants
  cache_header  the whole cache header decodes (parse_cache_header)
  ji_crc      the trailer's CRC-32C of the .ji matches its bytes (isvalid_file_crc)
  library_crc if the .ji has clone targets (native code), the library beside it exists and its
              whole-file CRC-32C is the trailer's first word (isvalid_pkgimage_crc); not
              applicable to combined files and split images (docs/FORMAT.md 7.6, 8.4)
  image_checksum  (14, 15, JI_FLAG_SPLIT set) the library's jl_system_image_checksum equals the
              header's checksum, read from the library's file with pkgimg::find_symbol (no
              dlopen); of a split image, the code cache's
  split_flag  (14, 15) JI_FLAG_SPLIT is set exactly when the .ji has clone targets: Julia loads
              a code library with it then, and refuses a .ji whose flag says otherwise
  frame_crc   (combined file, split image, data library) the payload frame's CRC-32C holds
Not checked: what needs the running Julia (its version, build and flags, the CPU targets, the
source files' staleness, the dependencies' build ids).

Verdicts: ok (every point holds), unchecked (none fails, but one could not be checked: the reason \
says which), rejected (the reason is the first point that fails), unreadable.

Each --json line has these keys: path, library (the code library checked with it, or null), \
data_library (a split image's data library, or null), kind (\"ji\", \"combined\", \"split\" or \
\"data library\"), package (the first worklist module), format_version, verdict, reason (null when \
ok), checks (a list of {name, status: \"ok\" | \"failed\" | \"not checked\" | \"not applicable\", \
detail}).

Exit status: 0 if no cache is rejected or unreadable (with --strict: and none is unchecked) and at \
least one cache was found, 1 otherwise, 2 for bad usage.

Examples:
  jiscan check ~/.julia/compiled/v1.11
  jiscan check --json ~/.julia/compiled | jq -c 'select(.verdict != \"ok\")'
  jiscan check Foo_abc.ji";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Print JSON Lines (one object per cache) instead of a table
    #[arg(long)]
    pub json: bool,
    /// Exit 1 also when a point could not be checked
    #[arg(long)]
    pub strict: bool,
    /// Cache files, libraries and depot directories (searched recursively)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// The code library extensions Julia uses (`Libc.dlext`), in the order they are looked for.
const LIBRARY_EXTENSIONS: [&str; 3] = ["so", "dylib", "dll"];

/// What a line checks: where the `.ji` is, and where the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CacheKind {
    /// A `.ji` file, with the library beside it.
    Ji,
    /// A library carrying its own `.ji` as its payload.
    Combined,
    /// A code cache, whose `.ji` is its data library's payload.
    Split,
    /// A data library: a `.ji` payload, no code.
    DataLibrary,
}

impl CacheKind {
    fn name(self) -> &'static str {
        match self {
            CacheKind::Ji => "ji",
            CacheKind::Combined => "combined",
            CacheKind::Split => "split",
            CacheKind::DataLibrary => "data library",
        }
    }
}

/// The result of one point.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    Failed,
    NotChecked,
    NotApplicable,
}

impl Status {
    fn name(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::NotChecked => "not checked",
            Status::NotApplicable => "not applicable",
        }
    }
}

#[derive(Clone, Debug)]
struct Point {
    name: &'static str,
    status: Status,
    detail: String,
}

/// What one line says.
#[derive(Clone, Debug)]
struct Report {
    path: PathBuf,
    library: Option<PathBuf>,
    data_library: Option<PathBuf>,
    kind: CacheKind,
    package: Option<String>,
    version: Option<u16>,
    points: Vec<Point>,
    /// Why the file could not be read at all.
    unreadable: Option<String>,
}

impl Report {
    fn new(path: &Path, kind: CacheKind) -> Report {
        Report {
            path: path.to_owned(),
            library: None,
            data_library: None,
            kind,
            package: None,
            version: None,
            points: Vec::new(),
            unreadable: None,
        }
    }

    fn point(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.points.push(Point { name, status, detail: detail.into() });
    }

    fn verdict(&self) -> &'static str {
        let any = |s: Status| self.points.iter().any(|p| p.status == s);
        if self.unreadable.is_some() {
            "unreadable"
        } else if any(Status::Failed) {
            "rejected"
        } else if any(Status::NotChecked) {
            "unchecked"
        } else {
            "ok"
        }
    }

    /// The first failure, else the first unchecked point.
    fn reason(&self) -> Option<String> {
        if let Some(why) = &self.unreadable {
            return Some(why.clone());
        }
        let first = |s: Status| self.points.iter().find(|p| p.status == s);
        let point = first(Status::Failed).or_else(|| first(Status::NotChecked))?;
        let status = if point.status == Status::NotChecked { "not checked: " } else { "" };
        Some(format!("{}: {status}{}", point.name, point.detail))
    }
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let (reports, ignored) = collect(&args.paths)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        for r in &reports {
            writeln!(out, "{}", to_json(r))?;
        }
    } else {
        write_table(&mut out, &reports, ignored)?;
    }
    out.flush()?;
    let bad =
        |r: &Report| matches!(r.verdict(), "rejected" | "unreadable") || (args.strict && r.verdict() == "unchecked");
    Ok(if reports.is_empty() || reports.iter().any(bad) { Outcome::Problems } else { Outcome::Clean })
}

/// Every cache under the paths, checked, and how many other files were ignored.
fn collect(paths: &[PathBuf]) -> io::Result<(Vec<Report>, u64)> {
    let (mut reports, mut ignored) = (Vec::new(), 0u64);
    // One for the run: what code caches share is read and checked once.
    let mut run = split::Run::default();
    for root in paths {
        let explicit = !root.is_dir();
        files::walk(std::slice::from_ref(root), &mut |found| {
            match found {
                Found::File(path) => match classify(&path, explicit, &mut run) {
                    Class::Cache(report) => reports.push(report),
                    Class::Companion => {}
                    Class::Other => ignored = ignored.saturating_add(1),
                },
                Found::Problem(path, why) => {
                    let mut r = Report::new(&path, CacheKind::Ji);
                    r.unreadable = Some(why);
                    reports.push(r);
                }
            }
            Ok(())
        })?;
    }
    Ok((reports, ignored))
}

fn extension(path: &Path) -> Option<&str> {
    path.extension().and_then(|e| e.to_str())
}

/// What a file found under a PATH is.
enum Class {
    /// A cache, checked.
    Cache(Report),
    /// The code library of a `.ji` beside it, checked with that `.ji`.
    Companion,
    /// Anything else in a directory.
    Other,
}

/// Whether a compressed payload decompresses to something that starts as a
/// `.ji` does: only its first bytes are decoded.
fn starts_with_ji(payload: &pkgimg::Payload<'_>) -> bool {
    /// Keeps the first bytes written to it, then refuses more, which ends the decoding.
    struct Head(Vec<u8>);
    impl std::io::Write for Head {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = 64usize.saturating_sub(self.0.len());
            if room == 0 {
                return Err(std::io::Error::other("enough"));
            }
            let take = buf.get(..room.min(buf.len())).unwrap_or_default();
            self.0.extend_from_slice(take);
            Ok(take.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut head = Head(Vec::with_capacity(64));
    let _ = payload.decompress_to(&mut head);
    pkgimg::ji::is_ji(&head.0)
}

/// A report for `path` if it is a cache: a `.ji`, a file carrying a `.ji`
/// payload, or a code cache whose data library carries one. Any other file
/// named on the command line gets a report that says so; in a directory it
/// is ignored.
fn classify(path: &Path, explicit: bool, run: &mut split::Run) -> Class {
    if extension(path) == Some("ji") {
        return Class::Cache(check_ji(path));
    }
    let companion =
        extension(path).is_some_and(|e| LIBRARY_EXTENSIONS.contains(&e)) && path.with_extension("ji").is_file();
    let map = match files::map(path) {
        Ok(map) => map,
        Err(_) if companion => return Class::Companion,
        Err(why) if explicit => {
            let mut r = Report::new(path, CacheKind::Combined);
            r.unreadable = Some(why);
            return Class::Cache(r);
        }
        Err(_) => return Class::Other,
    };
    let payload = pkgimg::find_ji_payload(&map);
    if let Some(p) = payload.as_ref().ok().filter(|p| p.compressed() && starts_with_ji(p)) {
        // A compressed cache is checked once decompressed: say so, rather
        // than calling it "no .ji payload" (or, in a directory, nothing).
        let mut r = Report::new(path, CacheKind::Combined);
        let detail = format!(
            "the .ji is zstd-compressed ({} bytes stored, {} decompressed): `jiscan extract` \
             decompresses it, and `jiscan check` checks the result",
            p.size(),
            p.uncompressed_size().unwrap_or(0)
        );
        r.point("payload", Status::NotChecked, detail);
        return Class::Cache(r);
    }
    let (why, kind) = match payload {
        Ok(p) if pkgimg::ji::is_ji(p.data()) && split::is_data_library(&map) => {
            return Class::Cache(run.data_library_line(path, &map, &p))
        }
        Ok(p) if pkgimg::ji::is_ji(p.data()) => return Class::Cache(check_combined(path, &map)),
        Ok(_) => ("it carries a payload, but not a .ji".to_owned(), CacheKind::Combined),
        Err(_) if companion => return Class::Companion,
        // A container that holds no sound payload: a broken cache (a combined
        // file or a data library), in a directory too.
        Err(e) if !matches!(e, pkgimg::Error::NoContainer { .. }) && has_container(&map) => {
            let mut r = Report::new(path, CacheKind::Combined);
            r.point("payload", Status::Failed, e.to_string());
            return Class::Cache(r);
        }
        // No payload of its own: a split image's code cache, if a dependency
        // is a data library holding a .ji.
        Err(e) => match run.code_cache(path, &map, explicit) {
            split::CodeCache::Report(report) => return Class::Cache(report),
            // Its dependencies were read: it is a code library, whose data is
            // not where a split image's would be.
            split::CodeCache::None { why: Some(why), dependencies: true } => (why, CacheKind::Split),
            // No container: what its dependencies are is the news.
            split::CodeCache::None { why: Some(why), .. } if matches!(e, pkgimg::Error::NoContainer { .. }) => {
                (why, CacheKind::Combined)
            }
            // Otherwise its own error says more than its dependencies can.
            split::CodeCache::None { .. } => (e.to_string(), CacheKind::Combined),
        },
    };
    if companion {
        return Class::Companion;
    }
    if !explicit {
        return Class::Other;
    }
    let mut r = Report::new(path, kind);
    if kind == CacheKind::Split {
        // A code library whose dependencies were read: the data library is
        // what is wrong, and the line names the library it checked.
        r.library = Some(path.to_owned());
        r.point("data_library", Status::Failed, format!("it carries no .ji payload, and {why}"));
    } else {
        r.point("magic", Status::Failed, format!("not a .ji file, and it carries no .ji payload: {why}"));
    }
    Class::Cache(r)
}

/// Whether `file`'s host image has a container section (docs/FORMAT.md §2),
/// whatever it holds.
fn has_container(file: &[u8]) -> bool {
    let Ok(image) = pkgimg::host_slice(file) else { return false };
    let Ok(format) = image.format() else { return false };
    match image.find_section(pkgimg::container_name(format)) {
        Ok(lookup) => lookup.section.is_some(),
        // Two containers, or one whose bytes are not all in the file (the
        // check `find_section` makes of the range it found).
        Err(pkgimg::Error::Ambiguous { .. }) => true,
        Err(pkgimg::Error::Truncated { what, .. } | pkgimg::Error::Overflow { what, .. }) => {
            what == "container section data"
        }
        Err(_) => false,
    }
}

/// The code library beside a `.ji`: the same path with a library extension
/// (base/loading.jl `ocachefile_from_cachefile`).
fn library_beside(ji: &Path) -> Option<PathBuf> {
    LIBRARY_EXTENSIONS.iter().map(|ext| ji.with_extension(ext)).find(|p| p.is_file())
}

fn check_ji(path: &Path) -> Report {
    let mut r = Report::new(path, CacheKind::Ji);
    let map = match files::map(path) {
        Ok(map) => map,
        Err(why) => {
            r.unreadable = Some(why);
            return r;
        }
    };
    let h = Header::decode(&map);
    let library = library_beside(path);
    let library_map = library.as_deref().map(files::map);
    let library_code = match &library_map {
        Some(Ok(lib)) => code_of(lib),
        _ => None,
    };
    header_points(&mut r, &h, library_code, 0);
    r.library = library.clone();
    match h.native_code() {
        None => r.point("library_crc", Status::NotChecked, "the cache header does not decode to its clone targets"),
        Some(false) => {
            let note = match &library {
                Some(lib) => format!("no clone targets, so Julia loads no library ({} is not used)", lib.display()),
                None => "no clone targets: no native code, no library".to_owned(),
            };
            r.point("library_crc", Status::NotApplicable, note);
        }
        Some(true) => match (&library, &library_map) {
            (Some(lib), Some(Ok(map))) => library_crc_point(&mut r, &h, lib, map),
            (Some(lib), Some(Err(why))) => r.point("library_crc", Status::Failed, format!("{}: {why}", lib.display())),
            _ => {
                let stem = path.with_extension("");
                let detail = format!("the .ji has clone targets, but no library {}.{{so,dylib,dll}}", stem.display());
                r.point("library_crc", Status::Failed, detail);
            }
        },
    }
    match &library_map {
        Some(Ok(map)) => image_checksum_point(&mut r, Binding::of(&h), map),
        _ => image_checksum_point(&mut r, Binding::of(&h), &[]),
    }
    r
}

fn check_combined(path: &Path, map: &MappedFile) -> Report {
    let mut r = Report::new(path, CacheKind::Combined);
    r.library = Some(path.to_owned());
    let payload = match pkgimg::find_ji_payload(map) {
        Ok(payload) => payload,
        Err(e) => {
            r.point("frame_crc", Status::Failed, e.to_string());
            return r;
        }
    };
    frame_crc_point(&mut r, &payload, None);
    let h = Header::decode(payload.data());
    header_points(&mut r, &h, Code::of_payload(&payload), payload.offset());
    let word = h.trailer.map_or(0, |t| t.library_crc32c);
    let detail = format!(
        "a combined file: the trailer's library CRC-32C word ({word:#010x}) is not checked; the frame CRC \
         covers the payload, and code and data are one file"
    );
    r.point("library_crc", Status::NotApplicable, detail);
    image_checksum_point(&mut r, Binding::of(&h), map);
    r
}

/// The frame's CRC-32C over the payload, in the file `data` (a data
/// library's) or the line's own.
fn frame_crc_point(r: &mut Report, payload: &pkgimg::Payload<'_>, data: Option<&Path>) {
    let file = data.map_or(String::new(), |p| format!("{}: ", p.display()));
    match payload.verify() {
        Ok(()) => r.point(
            "frame_crc",
            Status::Ok,
            format!("{file}payload CRC-32C {:#010x} matches the frame", payload.crc32c()),
        ),
        Err(e) => r.point("frame_crc", Status::Failed, format!("{file}{e}")),
    }
}

/// What a `.ji` must match in the code it is loaded with: the pointer width
/// in bytes and the byte order of the code library's image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Code {
    pointer: u8,
    endian: pkgimg::Endian,
}

impl Code {
    /// The image that carries `payload` (a combined file, a data library).
    fn of_payload(payload: &pkgimg::Payload<'_>) -> Option<Code> {
        Some(Code { pointer: payload.bits().checked_div(8)?, endian: payload.endian() })
    }
}

/// The code library's [`Code`], from its host image.
fn code_of(library: &[u8]) -> Option<Code> {
    let slice = pkgimg::host_slice(library).ok()?;
    let image = identify(&slice).1?;
    Some(Code { pointer: image.bits.checked_div(8)?, endian: image.endian })
}

/// Where and why decoding stopped, with the file offset when the `.ji`
/// starts at `base` in its file.
fn message(stop: &Stop, base: u64) -> String {
    if base == 0 {
        stop.to_string()
    } else {
        stop.at(base).to_string()
    }
}

/// The points the `.ji` bytes alone decide: header, kind, checksum mark,
/// cache header, and its own CRC. The `.ji` starts at `base` in its file.
fn header_points(r: &mut Report, h: &Header<'_>, library: Option<Code>, base: u64) {
    r.package = h.package().map(|p| String::from_utf8_lossy(p).into_owned());
    r.version = h.version;
    let stop = h.stop.as_ref();
    let stopped_at = |field: &str| stop.filter(|s| s.field == field).map(|s| message(s, base));
    if let Some(why) = stopped_at("magic") {
        r.point("magic", Status::Failed, why);
        return;
    }
    r.point("magic", Status::Ok, "the .ji magic");
    if let Some(why) = stopped_at("byte-order mark").or(stopped_at("JI format version")) {
        let name = if h.endian.is_none() { "byte_order" } else { "format_version" };
        r.point(name, Status::Failed, why);
        return;
    }
    // Julia reads a .ji only on a machine of its byte order, which is the
    // order of the code it loads with it.
    match (h.endian, library) {
        (Some(ji), Some(code)) if ji != code.endian => r.point(
            "byte_order",
            Status::Failed,
            format!("{}-endian, but the library is {}-endian", ji.name(), code.endian.name()),
        ),
        (endian, _) => r.point("byte_order", Status::Ok, format!("{}-endian", endian.map_or("?", |e| e.name()))),
    }
    r.point("format_version", Status::Ok, format!("{}", h.version.unwrap_or(0)));
    match (h.pointer_size, library.map(|code| code.pointer)) {
        (None, _) => return r.point("pointer_size", Status::Failed, stop.map_or(String::new(), |s| message(s, base))),
        (Some(p), _) if p != 4 && p != 8 => r.point("pointer_size", Status::Failed, format!("{p}, not 4 or 8")),
        (Some(p), Some(lib)) if p != lib => r.point(
            "pointer_size",
            Status::Failed,
            format!("{p} bytes, but the library is {}-bit", u32::from(lib).saturating_mul(8)),
        ),
        (Some(p), _) => r.point("pointer_size", Status::Ok, format!("{p} bytes")),
    }
    kind_points(r, h, base);
}

fn kind_points(r: &mut Report, h: &Header<'_>, base: u64) {
    match h.kind {
        Some(Kind::Cache) => r.point("kind", Status::Ok, "a package cache"),
        Some(Kind::LibraryCopy) => r.point(
            "kind",
            Status::Failed,
            format!(
                "pkgimage byte {}: the header copy from a package-image library, which isvalid_cache_header \
                 rejects as a .ji",
                h.pkgimage.unwrap_or(0)
            ),
        ),
        Some(Kind::SystemImage) => r.point(
            "kind",
            Status::Failed,
            "JI_FLAG_PKGIMAGE is clear: a system image, which isvalid_cache_header rejects",
        ),
        None => {
            let why = h.stop.map_or(String::new(), |s| message(&s, base));
            r.point("kind", Status::Failed, why);
        }
    }
    if h.kind != Some(Kind::Cache) {
        return;
    }
    if let (Some(marked), Some(c)) = (h.checksum_marked(), h.checksum) {
        let status = if marked { Status::Ok } else { Status::Failed };
        r.point("checksum", status, format!("{c:#018x}{}", if marked { "" } else { ": high word is not 0xfafbfcfd" }));
    }
    // A trailer too short to hold is the ji_crc point's failure; any other
    // stop is in the cache header or the source text, both of which
    // parse_cache_header reads (base/loading.jl:3243-3325 in 1.11.5).
    let no_trailer = h.stop.filter(|s| matches!(s.reason, Reason::NoRoomForTrailer { .. }));
    match h.stop {
        Some(stop) if no_trailer.is_none() => r.point("cache_header", Status::Failed, message(&stop, base)),
        _ => r.point("cache_header", Status::Ok, format!("worklist of {}", h.worklist_len())),
    }
    match (h.trailer, no_trailer) {
        (Some(t), _) if t.ji_crc_ok() => r.point("ji_crc", Status::Ok, format!("{:#010x}", t.ji_crc32c)),
        (Some(t), _) => r.point(
            "ji_crc",
            Status::Failed,
            format!("recorded {:#010x}, but the bytes give {:#010x}", t.ji_crc32c, t.computed_crc32c),
        ),
        (None, Some(stop)) => r.point("ji_crc", Status::Failed, message(&stop, base)),
        (None, None) => r.point("ji_crc", Status::NotChecked, "the cache header does not decode"),
    }
    split_flag_point(r, h);
}

/// Versions 14+: `JI_FLAG_SPLIT` says whether the `.ji` is loaded with a
/// code library, which Julia does exactly when it has clone targets
/// (base/loading.jl `pkgimage = !isempty(clone_targets)`); a mismatch stops
/// it (master src/staticdata.c:4555-4558).
fn split_flag_point(r: &mut Report, h: &Header<'_>) {
    let Some(split) = h.image_flags.map(|f| f.split()) else {
        return r.point("split_flag", Status::NotApplicable, "versions 12 and 13 have no JI_FLAG_SPLIT");
    };
    let Some(native) = h.native_code() else {
        return r.point("split_flag", Status::NotChecked, "the cache header does not decode to its clone targets");
    };
    let (status, detail) = match (split, native) {
        (true, true) => (Status::Ok, "split, with clone targets: loaded with its code library"),
        (false, false) => (Status::Ok, "standalone, without clone targets: loaded without a code library"),
        (false, true) => (
            Status::Failed,
            "JI_FLAG_SPLIT is clear, but the .ji has clone targets: Julia loads it with its code library and stops \
             with \"Expected split image, but got standalone\"",
        ),
        (true, false) => (
            Status::Failed,
            "JI_FLAG_SPLIT is set, but the .ji has no clone targets: Julia loads it without a code library and \
             stops with \"Expected standalone image, but got split\"",
        ),
    };
    r.point("split_flag", status, detail);
}

fn library_crc_point(r: &mut Report, h: &Header<'_>, library: &Path, map: &MappedFile) {
    let Some(t) = h.trailer else {
        return r.point("library_crc", Status::Failed, "no trailer to compare with");
    };
    if t.library_crc_ok(map) {
        let crc = t.library_crc32c;
        r.point("library_crc", Status::Ok, format!("{} has CRC-32C {crc:#010x}", library.display()));
    } else {
        let crc = pkgimg::crc::crc32c(map);
        let detail = format!(
            "{} has CRC-32C {crc:#010x}, the .ji recorded {:#010x}: the library changed after the .ji was written",
            library.display(),
            t.library_crc32c
        );
        r.point("library_crc", Status::Failed, detail);
    }
}

/// What a `.ji` says that binds a code library to it.
#[derive(Clone, Copy, Debug)]
struct Binding {
    /// `JI_FLAG_SPLIT`, from version 14; `None` before (or unread).
    split: Option<bool>,
    /// The header's checksum.
    checksum: Option<u64>,
}

impl Binding {
    fn of(h: &Header<'_>) -> Binding {
        Binding { split: h.image_flags.map(|f| f.split()), checksum: h.checksum }
    }
}

/// Versions 14+, split: the library's `jl_system_image_checksum` against the
/// header's checksum (master src/staticdata.c:4566).
fn image_checksum_point(r: &mut Report, binding: Binding, library: &[u8]) {
    let Some(checksum) = binding.checksum.filter(|_| binding.split == Some(true)) else {
        let why =
            if binding.split.is_some() { "not a split image" } else { "versions 12 and 13 have no such symbol check" };
        return r.point("image_checksum", Status::NotApplicable, why);
    };
    if library.is_empty() {
        return r.point("image_checksum", Status::Failed, "a split image, but no library beside it");
    }
    match image_checksum(library) {
        Err(why) => r.point("image_checksum", Status::NotChecked, why),
        Ok(None) => r.point("image_checksum", Status::Failed, "the library exports no jl_system_image_checksum"),
        Ok(Some(value)) if u64::from(value) == checksum => {
            r.point("image_checksum", Status::Ok, format!("jl_system_image_checksum is {value:#010x}"))
        }
        Ok(Some(value)) => r.point(
            "image_checksum",
            Status::Failed,
            format!("jl_system_image_checksum is {value:#010x}, the header says {checksum:#010x}"),
        ),
    }
}

/// The `u32` that `library` exports as `jl_system_image_checksum`, read from
/// the file in the library's byte order, without loading it; `Ok(None)` if it
/// has no such symbol; `Err` if it could not be looked up or read.
fn image_checksum(library: &[u8]) -> Result<Option<u32>, String> {
    let slice = pkgimg::host_slice(library).map_err(|e| e.to_string())?;
    let image = slice.image().map_err(|e| e.to_string())?;
    let Some(symbol) = slice.find_symbol("jl_system_image_checksum").map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let range = symbol.range.ok_or("jl_system_image_checksum has no bytes in the file")?;
    let at = usize::try_from(range.offset).map_err(|e| e.to_string())?;
    let bytes = library.get(at..).and_then(|b| b.first_chunk::<4>()).filter(|_| range.size >= 4);
    let bytes = *bytes.ok_or(format!("jl_system_image_checksum at {:#x} is not 4 bytes long", range.offset))?;
    Ok(Some(match image.endian {
        pkgimg::Endian::Big => u32::from_be_bytes(bytes),
        pkgimg::Endian::Little => u32::from_le_bytes(bytes),
    }))
}

fn path_json(p: &Option<PathBuf>) -> Json {
    p.as_ref().map(|p| p.display().to_string()).into()
}

fn to_json(r: &Report) -> Json {
    let checks = r.points.iter().map(|p| {
        Json::Obj(vec![
            ("name", p.name.into()),
            ("status", p.status.name().into()),
            ("detail", p.detail.clone().into()),
        ])
    });
    Json::Obj(vec![
        ("path", r.path.display().to_string().into()),
        ("library", path_json(&r.library)),
        ("data_library", path_json(&r.data_library)),
        ("kind", r.kind.name().into()),
        ("package", r.package.clone().into()),
        ("format_version", r.version.into()),
        ("verdict", r.verdict().into()),
        ("reason", r.reason().into()),
        ("checks", Json::Arr(checks.collect())),
    ])
}

/// The aligned table and the summary line.
fn write_table(out: &mut impl Write, reports: &[Report], ignored: u64) -> io::Result<()> {
    let dash = || "-".to_owned();
    let mut rows: Vec<[String; 5]> = vec![["PATH", "PACKAGE", "FORMAT", "VERDICT", "REASON"].map(str::to_owned)];
    for r in reports {
        // Paths and names come from files: escaped, as `scan` and `deps` do.
        rows.push([
            crate::text::escape(&r.path.display().to_string()).into_owned(),
            r.package.as_deref().map_or_else(dash, |p| crate::text::escape(p).into_owned()),
            r.version.map_or_else(dash, |v| v.to_string()),
            r.verdict().to_owned(),
            crate::text::escape(&r.reason().unwrap_or_default()).into_owned(),
        ]);
    }
    let mut widths = [0usize; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            match widths.get(i) {
                Some(&w) => line.push_str(&format!("{cell:<w$}  ")),
                None => line.push_str(cell),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let count = |v: &str| reports.iter().filter(|r| r.verdict() == v).count();
    writeln!(
        out,
        "{} caches: {} ok, {} unchecked, {} rejected, {} unreadable; {ignored} other files ignored",
        reports.len(),
        count("ok"),
        count("unchecked"),
        count("rejected"),
        count("unreadable")
    )
}
