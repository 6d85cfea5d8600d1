//! `jiscan check`: for each Julia cache (a `.ji` with the code library beside
//! it, a library that carries its `.ji` as its payload, or a split image: a
//! code cache and the data library holding its `.ji`), whether Julia's
//! loader would accept it on the points that need no running Julia, and why
//! not.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

mod output;
mod points;
mod split;

use pkgimg::ji::Header;
use pkgimg::MappedFile;

use self::output::{to_json, write_table};
use self::points::{code_of, frame_crc_point, header_points, image_checksum_point, library_crc_point, Binding, Code};

use crate::files::{self, Found};
use crate::Outcome;

const AFTER_HELP: &str = "\
Each PATH is a cache file (Foo_xyz.ji), a code library, or a directory searched recursively (a \
depot's compiled/v1.11, say). A .ji is checked together with the library beside it (same name, \
the extension Julia on the .ji's build OS looks for: .so, .dylib for Darwin, .dll for WINNT), \
and such a library named on its own is checked as its .ji, which gets the line; a \
library that carries a .ji as its payload (a combined file) is checked on \
its own. Split images: a code cache without a payload is checked with the .ji of its data library \
(the dependency that carries it, found as `jiscan deps` finds it, with the data record that names \
it), and a data library on its own for the .ji it holds. In a directory, other files are counted \
and ignored; a library that imports the data record's symbol (jl_pkgimg_data) is a code cache all \
the same, and rejected if its data library is missing or wrong.

What is checked, as Julia's loader does it (base/loading.jl, src/staticdata.c):
  magic, byte_order, format_version, pointer_size
              the .ji header can be read (versions 12 to 15), its byte order is the library's,
              the pointer size is 4 or 8 and matches the library's width
  kind        it is a package cache: pkgimage byte 0 (12, 13) or JI_FLAG_PKGIMAGE (14, 15);
              isvalid_cache_header rejects the rest
  checksum    (12, 13) the checksum carries the 0xfafbfcfd mark jl_validate_cache_file wants (of a .ji
              without clone targets; with them Julia checks the library's header copy instead)
  cache_header  the whole cache header decodes (parse_cache_header), with a worklist:
              stale_cachefile ignores a file with none; the source text as Julia reads it
              (from 1.11 srctext_files reads to the end of the file; 1.9 and 1.10 skip it)
  ji_crc      the trailer's CRC-32C of the .ji matches its bytes (isvalid_file_crc)
  heap        where Julia reads the heap from the .ji (12, 13 without clone targets; 14, 15), its
              positions lie in the file, and for 12 before Julia 1.13 and for 13 its CRC-32C is the
              checksum's (\"Error reading package image file.\" otherwise, src/staticdata.c)
  library_crc if the .ji has clone targets (native code), the library beside it exists and its
              whole-file CRC-32C is the trailer's first word (isvalid_pkgimage_crc); not
              applicable to combined files and split images (docs/FORMAT.md 7.6, 8.4)
  image_checksum  (14, 15, JI_FLAG_SPLIT set) the library's jl_system_image_checksum equals the
              header's checksum, read from the library's file with pkgimg::find_symbol (no
              dlopen); of a split image, the code cache's
  split_flag  (14, 15) JI_FLAG_SPLIT is set exactly when the .ji has clone targets: Julia loads
              a code library with it then, and refuses a .ji whose flag says otherwise
  frame_crc   (combined file, split image, data library) the payload frame's CRC-32C holds
  payload     (a zstd-compressed combined file: its only point, not checked) the .ji is
              compressed; 'jiscan extract' decompresses it and check checks the result
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
    // The reports made for a library named alone: its `.ji`'s.
    let mut for_companions = Vec::new();
    for root in paths {
        let explicit = !root.is_dir();
        files::walk(std::slice::from_ref(root), &mut |found| {
            match found {
                Found::File(path) => match classify(&path, explicit, &mut run) {
                    Class::Cache(report) => reports.push(report),
                    // A `.ji`'s library named on its own: the user means the
                    // cache, which is checked as its `.ji` (audit 24 F3: it
                    // was dropped without a word).
                    Class::Companion if explicit => {
                        for_companions.push(reports.len());
                        reports.push(check_ji(&path.with_extension("ji")));
                    }
                    Class::Companion => {}
                    Class::Other => ignored = ignored.saturating_add(1),
                },
                // A FIFO, device or broken link named as a `.ji`'s library is
                // reported on the `.ji`'s line, not as a cache of its own.
                Found::Problem(path, _) if is_companion(&path) => {
                    if explicit {
                        for_companions.push(reports.len());
                        reports.push(check_ji(&path.with_extension("ji")));
                    }
                }
                Found::Problem(path, why) => {
                    let mut r = Report::new(&path, CacheKind::Ji);
                    r.unreadable = Some(why);
                    reports.push(r);
                }
            }
            Ok(())
        })?;
    }
    // ... unless that `.ji` has a line of its own, found another way.
    use std::os::unix::fs::MetadataExt;
    let key = |path: &Path| std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    let others: std::collections::HashSet<_> = (0..reports.len())
        .filter(|i| !for_companions.contains(i))
        .filter_map(|i| reports.get(i).and_then(|r| key(&r.path)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut index = 0usize;
    reports.retain(|r| {
        let companion = for_companions.contains(&index);
        index = index.saturating_add(1);
        !companion || key(&r.path).is_none_or(|k| !others.contains(&k) && seen.insert(k))
    });
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
    let companion = is_companion(path);
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
    // `imports`: the library imports the data record's symbol, so it is a
    // code cache whose data library is missing or wrong (docs/FORMAT.md
    // §8.3): a cache, in a directory too.
    let (why, kind, imports) = match payload {
        Ok(p) if split::is_data_library(&map, &p) => return Class::Cache(run.data_library_line(path, &map, &p)),
        Ok(p) if pkgimg::ji::is_ji(p.data()) => return Class::Cache(check_combined(path, &map)),
        Ok(_) => ("it carries a payload, but not a .ji".to_owned(), CacheKind::Combined, false),
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
            split::CodeCache::None { why, dependencies } => {
                let no_container = matches!(e, pkgimg::Error::NoContainer { .. });
                let imports = no_container && split::imports_data_symbol(&map);
                match why {
                    // Its dependencies were read, or it imports the data
                    // record's symbol: a code library, whose data is not
                    // where a split image's would be.
                    Some(why) if dependencies || imports => (why, CacheKind::Split, imports),
                    // No container: what its dependencies are is the news.
                    Some(why) if no_container => (why, CacheKind::Combined, false),
                    // Otherwise its own error says more than its dependencies can.
                    _ => (e.to_string(), CacheKind::Combined, false),
                }
            }
        },
    };
    if companion {
        return Class::Companion;
    }
    if !explicit && !imports {
        return Class::Other;
    }
    let mut r = Report::new(path, kind);
    if kind == CacheKind::Split {
        // A code library: the data library is what is wrong, and the line
        // names the library it checked.
        r.library = Some(path.to_owned());
        let detail = match imports {
            true => format!("it carries no .ji payload; {}, but {why}", crate::deps::imports_clause()),
            false => format!("it carries no .ji payload, and {why}"),
        };
        r.point("data_library", Status::Failed, detail);
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
            what == pkgimg::CONTAINER_DATA
        }
        Err(_) => false,
    }
}

/// The library extension Julia on the `.ji`'s build OS looks for
/// (`Libc.Libdl.dlext`): `None` if the header names no OS.
fn library_extension(h: &Header<'_>) -> Option<&'static str> {
    Some(match h.build_os? {
        b"Darwin" => "dylib",
        b"WINNT" => "dll",
        _ => "so",
    })
}

/// Whether `path` is the library that the `.ji` beside it is checked with
/// ([`library_beside`]), so that its own line would repeat that one. A
/// library of another extension (a `.dylib` beside a Linux `.ji`) is not:
/// it is classified as any other file (review 21 F5). A `.ji` that cannot
/// be read keeps every library beside it, which its own line reports. Only
/// the `.ji`'s prologue is decoded: the build OS is all it takes.
fn is_companion(path: &Path) -> bool {
    let ji = path.with_extension("ji");
    if !(extension(path).is_some_and(|e| LIBRARY_EXTENSIONS.contains(&e)) && ji.is_file()) {
        return false;
    }
    match files::map(&ji) {
        Ok(map) => library_beside(&ji, &Header::decode_prologue(&map)).as_deref() == Some(path),
        Err(_) => true,
    }
}

/// The code library beside a `.ji`: the same path with the library
/// extension of the `.ji`'s build OS (base/loading.jl
/// `ocachefile_from_cachefile`: `Libc.Libdl.dlext`, master :1426), or of
/// any OS if the header names none.
fn library_beside(ji: &Path, h: &Header<'_>) -> Option<PathBuf> {
    let own = library_extension(h);
    let extensions = LIBRARY_EXTENSIONS.iter().filter(|&&ext| own.is_none_or(|own| own == ext));
    // Whatever is there, a FIFO or a dangling link too, is what Julia would
    // open: the report says what it is, not "no library" (audit 24 F11).
    extensions.map(|ext| ji.with_extension(ext)).find(|p| std::fs::symlink_metadata(p).is_ok())
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
    let library = library_beside(path, &h);
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
                let detail = match library_extension(&h) {
                    Some(ext) => {
                        let os = String::from_utf8_lossy(h.build_os.unwrap_or_default());
                        format!(
                            "the .ji has clone targets, but no library {}.{ext} (Julia on {os} looks for .{ext})",
                            stem.display()
                        )
                    }
                    None => format!("the .ji has clone targets, but no library {}.{{so,dylib,dll}}", stem.display()),
                };
                r.point("library_crc", Status::Failed, detail);
            }
        },
    }
    match &library_map {
        Some(Ok(map)) => image_checksum_point(&mut r, Binding::of(&h), Some(map)),
        // There, but not mapped (an empty file cannot be): its symbol is
        // unreadable, which is not "no library".
        Some(Err(_)) => image_checksum_point(&mut r, Binding::of(&h), Some(&[])),
        None => image_checksum_point(&mut r, Binding::of(&h), None),
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
    image_checksum_point(&mut r, Binding::of(&h), Some(map));
    r
}
