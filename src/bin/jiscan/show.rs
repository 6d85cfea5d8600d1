//! `jiscan show`: everything about one file — each image's identity and
//! sections, the payload frame and CRC, and the payload's `.ji` header (or a
//! hex dump of an opaque payload).

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use pkgimg::{container_name, Arch, Error, FileRange, Format, Frame, Image, Slice};

use crate::files;
use crate::identify::identify;
use crate::json::Json;
use crate::listing::{self, Listing};
use crate::show_ji::{self, JiView};
use crate::text::escape;
use crate::Outcome;

const AFTER_HELP: &str = "\
For each image (the file, or each slice of a universal Mach-O file): format, pointer width, byte \
order and architecture; the table of sections (and Mach-O segments, and a PE overlay) with the \
payload container marked '*'; the payload frame's fields; and the payload's CRC-32C, checked.

A payload that starts with Julia's cache magic is decoded as Julia writes a .ji (format versions \
12 to 15: Julia 1.9 to 1.13 and master): the build strings, the pkgimage byte (12, 13) or the \
flags word (14, 15), the checksum and heap data positions, the cache flags as Julia prints them, \
the worklist (names, UUIDs, build ids), the included files (size, hash, mtime as a date, module), \
the required packages, the preferences, the module list with 128-bit build ids, the clone \
targets, the source-text files and the trailer's two CRCs (the .ji's own one checked). Long \
lists show their first entries; --full shows all. Decoding goes as far as the bytes allow and \
says where (file offset) and why it stopped. Any other payload is shown as a hex dump. A bare .ji \
file (Foo_xyz.ji in a depot) is decoded the same way, under the top-level JSON key \"ji\".

Exit status: 0 if every image has a payload whose CRC-32C matches, 1 otherwise (the report is \
printed in full either way), 2 for bad usage.

Examples:
  jiscan show Foo.so
  jiscan show --full ~/.julia/compiled/v1.11/Example/Example_abc12.ji
  jiscan show --json Foo.dylib | jq '.images[].payload.ji.worklist'
  jiscan show --json Foo.so | jq '.images[0].payload.ji.includes[].path'
  jiscan show --hex 256 data.dll

To check a depot's caches as Julia's loader would, see 'jiscan check'.";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The library (or bare .ji file) to describe
    pub file: PathBuf,
    /// Print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// How many bytes of an opaque (non-.ji) payload to dump
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub hex: u64,
    /// List every entry of a .ji's long lists (includes, requires, modules,
    /// source files), not only the first few
    #[arg(long)]
    pub full: bool,
}

/// Everything shown about one file.
struct Report {
    path: PathBuf,
    universal: bool,
    /// Why the file could not be looked at, if it could not.
    error: Option<String>,
    images: Vec<ImageReport>,
    /// The decoded file, when it is a bare `.ji` rather than a library.
    ji: Option<JiView>,
}

struct ImageReport {
    slice: Option<u32>,
    fat_arch: Option<Arch>,
    range: FileRange,
    format: Option<Format>,
    image: Option<Image>,
    listing: Option<Listing>,
    payload: Option<PayloadReport>,
    /// Why there is no (valid) payload, prefixed with the path.
    error: Option<String>,
}

struct PayloadReport {
    container: FileRange,
    frame: Frame,
    offset: u64,
    size: u64,
    computed_crc32c: u32,
    content: Content,
}

impl PayloadReport {
    /// `None` when the frame carries no CRC.
    fn crc_ok(&self) -> Option<bool> {
        self.frame.has_crc32c().then_some(self.computed_crc32c == self.frame.payload_crc32c)
    }
}

enum Content {
    Ji(JiView),
    /// The first bytes of an opaque payload.
    Opaque(Vec<u8>),
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let report = build(&args.file, args.hex, args.full);
    // A bare .ji is clean when it decodes and its CRC holds; a library when
    // every image has a payload whose CRC matches.
    let clean = match &report.ji {
        Some(ji) => ji.ok,
        None => {
            report.error.is_none()
                && !report.images.is_empty()
                && report
                    .images
                    .iter()
                    .all(|i| i.error.is_none() && i.payload.as_ref().is_some_and(|p| p.crc_ok() == Some(true)))
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        writeln!(out, "{}", to_json(&report).pretty())?;
    } else {
        out.write_all(to_text(&report).as_bytes())?;
    }
    out.flush()?;
    // The report above includes its errors; they also go to standard error,
    // where a script or a terminal looks for them.
    let errors = report.error.iter().chain(report.images.iter().filter_map(|i| i.error.as_ref()));
    for error in errors {
        crate::output::error(error);
    }
    Ok(if clean { Outcome::Clean } else { Outcome::Problems })
}

fn build(path: &Path, hex: u64, full: bool) -> Report {
    let mut report = Report { path: path.to_owned(), universal: false, error: None, images: Vec::new(), ji: None };
    let here = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let map = match files::map(path) {
        Ok(map) => map,
        Err(why) => {
            report.error = Some(here(&why));
            return report;
        }
    };
    // A bare .ji (Foo_xyz.ji in a depot) is decoded as it is.
    if pkgimg::ji::is_ji(&map) {
        report.ji = Some(show_ji::view_with(&map, 0, full));
        return report;
    }
    let slices = match pkgimg::slices(&map) {
        Ok(slices) => slices,
        Err(e) => {
            report.error = Some(here(&e));
            return report;
        }
    };
    for (index, slice) in (0u32..).zip(slices) {
        match slice {
            Ok(slice) => {
                report.universal |= slice.index().is_some();
                report.images.push(image_report(path, &map, &slice, hex, full));
            }
            Err(e) => {
                report.universal = true;
                report.images.push(ImageReport {
                    slice: Some(index),
                    fat_arch: None,
                    range: FileRange { offset: 0, size: 0 },
                    format: None,
                    image: None,
                    listing: None,
                    payload: None,
                    error: Some(format!("{}: slice {index}: {e}", path.display())),
                });
            }
        }
    }
    if report.images.is_empty() {
        report.error = Some(here(&"universal file with no slices"));
    }
    report
}

fn image_report(path: &Path, map: &pkgimg::MappedFile, slice: &Slice<'_>, hex: u64, full: bool) -> ImageReport {
    let (format, image) = identify(slice);
    let range = slice.range();
    let listing = format.map(|_| listing::list(slice));
    let prefix = match slice.index() {
        Some(i) => format!("{}: slice {i}", path.display()),
        None => path.display().to_string(),
    };
    let mut report = ImageReport {
        slice: slice.index(),
        fat_arch: slice.fat_arch(),
        range,
        format,
        image,
        listing,
        payload: None,
        error: None,
    };
    let payload = match slice.find_ji_payload() {
        Ok(payload) => payload,
        Err(e @ Error::NoContainer { .. }) => {
            // A split image's code cache: its payload is in its data library.
            let hint = crate::deps::data_library_of(path, *slice).map_or(String::new(), |found| {
                let said = crate::deps::carried_by(&found);
                match crate::deps::shell_word(&found.path) {
                    Some(data) => format!("{said}: jiscan show {data}"),
                    None => said,
                }
            });
            report.error = Some(format!("{prefix}: {e}{hint}"));
            return report;
        }
        Err(e) => {
            report.error = Some(format!("{prefix}: {e}"));
            return report;
        }
    };
    map.will_read(payload.offset(), payload.size());
    let data = payload.data();
    let content = if pkgimg::ji::is_ji(data) {
        Content::Ji(show_ji::view_with(data, payload.offset(), full))
    } else {
        let n = usize::try_from(hex).unwrap_or(usize::MAX).min(data.len());
        Content::Opaque(data.get(..n).unwrap_or_default().to_vec())
    };
    let p = PayloadReport {
        container: payload.container(),
        frame: *payload.frame(),
        offset: payload.offset(),
        size: payload.size(),
        computed_crc32c: payload.crc32c(),
        content,
    };
    // The payload is shown either way; a CRC that does not match is an error.
    if let Err(e @ (Error::ChecksumMismatch { .. } | Error::NoChecksum { .. })) = payload.verify() {
        report.error = Some(format!("{prefix}: {e}"));
    }
    report.payload = Some(p);
    report
}

fn range_json(r: FileRange) -> Json {
    Json::Obj(vec![("offset", r.offset.into()), ("size", r.size.into())])
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Whether `row` is the container of an image of `format`.
fn is_container(format: Option<Format>, row: &listing::Row) -> bool {
    row.kind != "segment" && format.is_some_and(|f| row.name == container_name(f))
}

fn to_json(report: &Report) -> Json {
    let images = report.images.iter().map(|i| {
        let (rows, sections_error) = match &i.listing {
            Some(l) => (Json::Arr(l.rows.iter().map(|r| row_json(i.format, r)).collect()), Json::from(l.error.clone())),
            None => (Json::Arr(Vec::new()), Json::Null),
        };
        Json::Obj(vec![
            ("slice", i.slice.into()),
            ("fat_arch", i.fat_arch.map(|a| a.to_string()).into()),
            ("range", range_json(i.range)),
            ("format", i.format.map(Format::name).into()),
            ("bits", i.image.map(|i| i.bits).into()),
            ("endian", i.image.map(|i| i.endian.name()).into()),
            ("arch", i.image.map(|i| i.arch.to_string()).into()),
            ("sections", rows),
            ("sections_error", sections_error),
            ("payload", i.payload.as_ref().map(payload_json).into()),
            ("error", i.error.clone().into()),
        ])
    });
    Json::Obj(vec![
        ("path", report.path.display().to_string().into()),
        ("universal", report.universal.into()),
        ("images", Json::Arr(images.collect())),
        ("ji", report.ji.as_ref().map(|v| v.json.clone()).into()),
        ("error", report.error.clone().into()),
    ])
}

fn row_json(format: Option<Format>, r: &listing::Row) -> Json {
    Json::Obj(vec![
        ("name", r.name.clone().into()),
        ("kind", r.kind.clone().into()),
        ("offset", r.offset.into()),
        ("size", r.size.into()),
        ("flags", r.flags.clone().into()),
        ("container", is_container(format, r).into()),
    ])
}

fn payload_json(p: &PayloadReport) -> Json {
    let f = &p.frame;
    let frame = Json::Obj(vec![
        ("offset", p.container.offset.into()),
        ("version", f.version.into()),
        ("header_size", f.header_size.into()),
        ("flags", f.flags.into()),
        ("payload_offset", f.payload_offset.into()),
        ("payload_size", f.payload_size.into()),
        ("payload_crc32c", f.payload_crc32c.into()),
        ("uncompressed_size", f.uncompressed_size().into()),
    ]);
    let (kind, ji, hex) = match &p.content {
        Content::Ji(view) => ("ji", view.json.clone(), Json::Null),
        // The first stored bytes of a compressed payload: a zstd frame.
        Content::Opaque(bytes) if f.is_zstd() => ("zstd", Json::Null, hex_string(bytes).into()),
        Content::Opaque(bytes) => ("opaque", Json::Null, hex_string(bytes).into()),
    };
    Json::Obj(vec![
        ("container", range_json(p.container)),
        ("frame", frame),
        ("offset", p.offset.into()),
        ("size", p.size.into()),
        ("crc32c", p.computed_crc32c.into()),
        ("crc_ok", p.crc_ok().into()),
        ("compressed", f.is_zstd().into()),
        ("uncompressed_size", f.uncompressed_size().into()),
        ("content", kind.into()),
        ("ji", ji),
        ("hex", hex),
    ])
}

fn to_text(report: &Report) -> String {
    let mut s = String::new();
    // Paths, names and errors come from files: escaped, as `scan` does.
    let _ = writeln!(s, "{}", escape(&report.path.display().to_string()));
    if let Some(e) = &report.error {
        let _ = writeln!(s, "  error: {}", escape(e));
    }
    if report.universal {
        let _ = writeln!(s, "  universal Mach-O file, {} slices", report.images.len());
    }
    if let Some(ji) = &report.ji {
        let _ = writeln!(s, "  Julia .ji file:");
        push_lines(&mut s, &ji.text);
    }
    for i in &report.images {
        image_text(&mut s, i);
    }
    s
}

fn image_text(s: &mut String, i: &ImageReport) {
    if let Some(index) = i.slice {
        let arch = i.fat_arch.map_or_else(|| "?".to_owned(), |a| a.to_string());
        let _ = writeln!(s, "\nslice {index} ({arch}) at {:#x}, {} bytes", i.range.offset, i.range.size);
    }
    match (i.image, i.format) {
        (Some(im), _) => {
            let _ = writeln!(s, "  {} {}-bit {}-endian {}", im.format, im.bits, im.endian.name(), im.arch);
        }
        (None, Some(f)) => {
            let _ = writeln!(s, "  {f} (headers unreadable)");
        }
        (None, None) => {}
    }
    if let Some(listing) = &i.listing {
        sections_text(s, i.format, listing);
    }
    if let Some(p) = &i.payload {
        payload_text(s, p);
    }
    if let Some(e) = &i.error {
        let _ = writeln!(s, "  error: {}", escape(e));
    }
}

fn sections_text(s: &mut String, format: Option<Format>, listing: &Listing) {
    let names: Vec<_> = listing.rows.iter().map(|r| escape(&r.name)).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(4);
    let kind_width = listing.rows.iter().map(|r| r.kind.len()).max().unwrap_or(0).max(4);
    let _ = writeln!(s, "  sections:");
    let _ =
        writeln!(s, "    {:<name_width$}  {:<kind_width$}  {:>12}  {:>12}  FLAGS", "NAME", "KIND", "OFFSET", "SIZE");
    for (r, name) in listing.rows.iter().zip(&names) {
        let mark = if is_container(format, r) { '*' } else { ' ' };
        let offset = format!("{:#x}", r.offset);
        let row =
            format!("  {mark} {name:<name_width$}  {:<kind_width$}  {offset:>12}  {:>12}  {}", r.kind, r.size, r.flags);
        let _ = writeln!(s, "{}", row.trim_end());
    }
    if let Some(e) = &listing.error {
        let _ = writeln!(s, "    (listing stopped: {})", escape(e));
    }
}

fn payload_text(s: &mut String, p: &PayloadReport) {
    let f = &p.frame;
    let _ = writeln!(
        s,
        "  frame at {:#x}: version {}, header_size {}, flags {:#x}{}, payload_offset {}, payload_size {}, payload_crc32c {:#010x}{}",
        p.container.offset,
        f.version,
        f.header_size,
        f.flags,
        match (f.has_crc32c(), f.is_zstd()) {
            (true, true) => " (crc32c, zstd)",
            (true, false) => " (crc32c)",
            (false, true) => " (zstd)",
            (false, false) => "",
        },
        f.payload_offset,
        f.payload_size,
        f.payload_crc32c,
        f.uncompressed_size().map_or(String::new(), |n| format!(", uncompressed_size {n}"))
    );
    let verdict = match p.crc_ok() {
        Some(true) => "matches the frame",
        Some(false) => "MISMATCH with the frame",
        None => "the frame carries none",
    };
    let _ =
        writeln!(s, "  payload at {:#x}, {} bytes, CRC-32C {:#010x}: {verdict}", p.offset, p.size, p.computed_crc32c);
    match &p.content {
        Content::Ji(view) => {
            let _ = writeln!(s, "  Julia .ji payload:");
            push_lines(s, &view.text);
        }
        Content::Opaque(bytes) if f.is_zstd() => {
            let _ = writeln!(
                s,
                "  zstd-compressed payload ('jiscan extract' decompresses it); first {} stored bytes:",
                bytes.len()
            );
            hexdump(s, bytes, p.offset);
        }
        Content::Opaque(bytes) => {
            let _ = writeln!(s, "  opaque payload (no .ji magic); first {} bytes:", bytes.len());
            hexdump(s, bytes, p.offset);
        }
    }
}

/// `xxd`-style lines of 16 bytes, with absolute file offsets.
fn hexdump(s: &mut String, bytes: &[u8], base: u64) {
    for (line, chunk) in (0u64..).zip(bytes.chunks(16)) {
        let _ = write!(s, "    {:08x}  ", base.saturating_add(line.saturating_mul(16)));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(s, "{b:02x} ");
                }
                None => s.push_str("   "),
            }
        }
        let ascii: String =
            chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' }).collect();
        let _ = writeln!(s, " {ascii}");
    }
}

/// `text`, the text rendering of a `.ji`, whose strings from the file
/// (paths, names) [`crate::show_ji`] has escaped: escaping its lines here
/// would let a newline in a name through as a line break, and escape a
/// backslash twice.
fn push_lines(s: &mut String, text: &str) {
    s.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        s.push('\n');
    }
}
