//! The `.ji` part of `jiscan show`: everything `pkgimg::ji` decodes from a
//! Julia cache file payload, rendered as JSON and as text.
//!
//! The JSON keys are a contract (README.md, "Julia caches"); the text is for
//! people and shows the first entries of each long list unless `--full`.

use std::fmt::Write as _;

use pkgimg::ji::{CacheFlags, Header, Include, Kind, Module, Preferences, Require};

use crate::json::Json;

/// How many entries of a long list the text shows without `--full`.
const SHORT_LIST: usize = 5;

/// A decoded `.ji` payload, in both renderings.
#[derive(Clone, Debug)]
pub struct JiView {
    pub json: Json,
    pub text: String,
    /// Decoded completely, and a trailer (if the kind has one) whose CRC holds.
    pub ok: bool,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A string of the file for the text rendering: control characters
/// escaped as `ls -b` does ([`crate::text::escape`]), so that a name with
/// a newline cannot forge a line of the report (audit 24 F5).
fn shown(bytes: &[u8]) -> String {
    crate::text::escape(&String::from_utf8_lossy(bytes)).into_owned()
}

/// Decodes the `.ji` data `ji`, which starts at absolute file offset `base`;
/// the text shows the first entries of each long list. (For the tests of
/// damaged input; `show` passes `--full` through [`view_with`].)
#[cfg(test)]
pub fn view(ji: &[u8], base: u64) -> JiView {
    view_with(ji, base, false)
}

/// As `view`; `full` lists every entry in the text.
pub fn view_with(ji: &[u8], base: u64, full: bool) -> JiView {
    let h = Header::decode(ji);
    let ok = h.complete && h.trailer.is_none_or(|t| t.ji_crc_ok());
    JiView { json: to_json(&h, base), text: to_text(&h, base, full), ok }
}

fn string(s: Option<&[u8]>) -> Json {
    Json::from(s.map(text))
}

fn module_json(m: &Module<'_>) -> Json {
    Json::Obj(vec![
        ("name", text(m.name).into()),
        ("uuid", m.uuid.to_string().into()),
        ("build_id", m.build_id.to_string().into()),
    ])
}

fn cache_flags_json(f: CacheFlags) -> Json {
    Json::Obj(vec![
        ("raw", f.0.into()),
        ("use_pkgimages", f.use_pkgimages().into()),
        ("debug_level", f.debug_level().into()),
        ("check_bounds", f.check_bounds().into()),
        ("inline", f.inline().into()),
        ("opt_level", f.opt_level().into()),
    ])
}

/// The worklist's names, read once: dependency entries name their module by
/// index, and walking the worklist for each entry would cost entries ×
/// modules.
struct Worklist<'a>(Vec<&'a [u8]>);

impl<'a> Worklist<'a> {
    fn of(h: &Header<'a>) -> Self {
        Worklist(h.worklist().map(|m| m.name).collect())
    }

    /// Module `index` (1-based; `None` for 0, the top level).
    fn name(&self, index: u32) -> Option<&'a [u8]> {
        self.0.get(usize::try_from(index.checked_sub(1)?).ok()?).copied()
    }
}

fn include_json(i: &Include<'_>, worklist: &Worklist<'_>) -> Json {
    let module = worklist.name(i.module);
    let module_path = module.into_iter().chain(i.module_path.clone()).map(|n| text(n).into()).collect();
    Json::Obj(vec![
        ("path", text(i.path).into()),
        ("fsize", i.fsize.into()),
        ("hash", i.hash.into()),
        ("mtime", i.mtime.into()),
        ("module_path", Json::Arr(module_path)),
    ])
}

fn require_json(r: &Require<'_>, worklist: &Worklist<'_>) -> Json {
    let by = string(worklist.name(r.by));
    Json::Obj(vec![("name", text(r.name).into()), ("uuid", r.uuid.to_string().into()), ("by", by)])
}

fn preferences_json(p: &Preferences<'_>) -> Json {
    match p {
        Preferences::Names { names, hash } => Json::Obj(vec![
            ("names", Json::Arr(names.clone().map(|n| text(n).into()).collect())),
            ("hash", (*hash).into()),
            ("blob", Json::Null),
        ]),
        Preferences::Blob(blob) => {
            Json::Obj(vec![("names", Json::Null), ("hash", Json::Null), ("blob", text(blob).into())])
        }
    }
}

fn to_json(h: &Header<'_>, base: u64) -> Json {
    let worklist = Worklist::of(h);
    let flags = h
        .image_flags
        .map(|f| Json::Obj(vec![("raw", f.0.into()), ("pkgimage", f.pkgimage().into()), ("split", f.split().into())]));
    let trailer = h.trailer.map(|t| {
        Json::Obj(vec![
            ("offset", base.saturating_add(t.offset).into()),
            ("library_crc32c", t.library_crc32c.into()),
            ("ji_crc32c", t.ji_crc32c.into()),
            ("computed_crc32c", t.computed_crc32c.into()),
            ("ji_crc_ok", t.ji_crc_ok().into()),
        ])
    });
    let source_text = h.source_text().map(|s| {
        Json::Obj(vec![
            ("path", text(s.path).into()),
            ("offset", base.saturating_add(s.text_offset).into()),
            ("size", (s.text.len() as u64).into()),
        ])
    });
    let targets = h.clone_target_list().map_while(Result::ok).map(|t| text(t.name).into());
    // The first target that does not decode ends the list; its stop is
    // reported, as the text output reports it.
    let targets_error = h.clone_target_list().find_map(Result::err).map(|stop| stop.at(base).to_string());
    let stopped_at = h.stop.map(|s| {
        Json::Obj(vec![
            ("offset", base.saturating_add(s.offset).into()),
            ("ji_offset", s.offset.into()),
            ("field", s.field.into()),
        ])
    });
    Json::Obj(vec![
        ("format_version", h.version.into()),
        ("byte_order", h.endian.map(|e| e.name()).into()),
        ("pointer_size", h.pointer_size.into()),
        ("uname", string(h.build_os)),
        ("arch", string(h.build_arch)),
        ("julia_version", string(h.julia_version)),
        ("gc_abi", string(h.gc_abi)),
        ("flags", flags.into()),
        ("pkgimage", h.pkgimage.into()),
        ("kind", h.kind.map(kind_key).into()),
        ("branch", string(h.git_branch)),
        ("commit", string(h.git_commit)),
        ("checksum", h.checksum.into()),
        ("data_start", h.data_start.into()),
        ("data_end", h.data_end.into()),
        ("cache_flags", h.cache_flags.map(cache_flags_json).into()),
        ("syntax_version", h.syntax_version.into()),
        ("worklist", Json::Arr(h.worklist().map(|m| module_json(&m)).collect())),
        ("layout", h.layout.map(|l| l.name()).into()),
        ("dependency_bytes", h.dependency_bytes.into()),
        ("includes", Json::Arr(h.includes().map(|i| include_json(&i, &worklist)).collect())),
        ("requires", Json::Arr(h.requires().map(|r| require_json(&r, &worklist)).collect())),
        ("preferences", h.preferences.as_ref().map(preferences_json).into()),
        ("srctextpos", h.srctext_pos.into()),
        ("required_modules", Json::Arr(h.required_modules().map(|m| module_json(&m)).collect())),
        ("clone_targets_size", h.clone_targets.map(|t| t.len() as u64).into()),
        ("clone_targets", h.clone_targets.map(|_| Json::Arr(targets.collect())).into()),
        ("clone_targets_error", targets_error.into()),
        ("source_text", Json::Arr(source_text.collect())),
        ("trailer", trailer.into()),
        ("complete", h.complete.into()),
        ("stopped", h.stop.map(|s| s.at(base).to_string()).into()),
        ("stopped_at", stopped_at.into()),
    ])
}

/// The JSON spelling of a [`Kind`].
fn kind_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Cache => "cache",
        Kind::LibraryCopy => "library_copy",
        Kind::SystemImage => "system_image",
    }
}

/// Text lines, indented under "Julia .ji payload:".
struct Lines {
    s: String,
    full: bool,
}

impl Lines {
    fn field(&mut self, label: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.s, "    {label:<16}{value}");
    }

    fn item(&mut self, value: impl std::fmt::Display) {
        let _ = writeln!(self.s, "      {value}");
    }

    /// The entries of a list: all with `--full`, else the first few and a count.
    fn list<T>(&mut self, items: impl Iterator<Item = T>, total: u32, show: impl Fn(&T) -> String) {
        let limit = if self.full { usize::MAX } else { SHORT_LIST };
        for item in items.take(limit) {
            self.item(show(&item));
        }
        let shown = usize::try_from(total).unwrap_or(usize::MAX).min(limit);
        let more = usize::try_from(total).unwrap_or(usize::MAX).saturating_sub(shown);
        if more > 0 {
            self.item(format!("... and {more} more (--full lists them all)"));
        }
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn to_text(h: &Header<'_>, base: u64, full: bool) -> String {
    let mut out = Lines { s: String::new(), full };
    fixed_text(&mut out, h);
    cache_text(&mut out, h, base);
    match &h.stop {
        Some(stop) => out.field("decoding", format!("STOPPED: {}", stop.at(base))),
        None => out.field("decoding", "complete"),
    }
    out.s
}

fn fixed_text(out: &mut Lines, h: &Header<'_>) {
    if let Some(v) = h.version {
        let what = match v {
            12 => "Julia 1.9 to 1.13",
            13 => "Julia master, with the syntax version",
            14 => "Julia master, with the flags word",
            15 => "Julia master, with the GC ABI",
            _ => "unknown",
        };
        out.field("format version", format!("{v} ({what})"));
    }
    if let Some(e) = h.endian {
        out.field("byte order", format!("{}-endian", e.name()));
    }
    if let Some(p) = h.pointer_size {
        out.field("pointer size", format!("{p} bytes"));
    }
    let strings = [("uname", h.build_os), ("arch", h.build_arch), ("Julia version", h.julia_version)];
    for (label, value) in strings {
        if let Some(value) = value {
            out.field(label, shown(value));
        }
    }
    if let Some(g) = h.gc_abi {
        out.field("GC ABI", shown(g));
    }
    if let Some(f) = h.image_flags {
        out.field("flags", f);
    }
    if let Some(p) = h.pkgimage {
        let what =
            if p == 0 { "a .ji: the cache header follows" } else { "the header copy in a package-image library" };
        out.field("pkgimage", format!("{p} ({what})"));
    }
    for (label, value) in [("git branch", h.git_branch), ("git commit", h.git_commit)] {
        if let Some(value) = value {
            out.field(label, shown(value));
        }
    }
    checksum_text(out, h);
}

fn checksum_text(out: &mut Lines, h: &Header<'_>) {
    if let (Some(c), Some(crc)) = (h.checksum, h.heap_crc32c()) {
        let mark = match h.checksum_marked() {
            Some(true) => ": 0xfafbfcfd << 32 | ",
            Some(false) => ": NOT 0xfafbfcfd << 32 | ",
            None => ": ",
        };
        out.field("checksum", format!("{c:#x}{mark}CRC-32C {crc:#010x} of the heap"));
    }
    if let (Some(start), Some(end)) = (h.data_start, h.data_end) {
        let kind = h.kind;
        let value = if start == 0 && end == 0 && kind == Some(Kind::Cache) {
            "none in this file (a split 1.9-1.13 cache keeps the heap in the library)".to_owned()
        } else {
            format!("{start:#x}..{end:#x} ({} bytes)", end.saturating_sub(start))
        };
        out.field("heap data", value);
    }
    if let Some(kind) = h.kind {
        out.field("kind", kind.name());
    }
}

fn module_text(m: &Module<'_>) -> String {
    format!("{}  {}  build id {}", shown(m.name), m.uuid, m.build_id)
}

fn cache_text(out: &mut Lines, h: &Header<'_>, base: u64) {
    if let Some(f) = h.cache_flags {
        out.field("cache flags", format!("{:#04x} {f}", f.0));
    }
    if let Some(v) = h.syntax_version {
        out.field("syntax version", v);
    }
    if h.kind == Some(Kind::Cache) && h.cache_flags.is_some() {
        out.field("worklist", plural(h.worklist_len(), "module", "modules"));
        out.list(h.worklist(), h.worklist_len(), module_text);
    }
    dependencies_text(out, h);
    if h.kind.is_some() && h.cache_flags.is_some() {
        out.field("required", plural(h.required_modules_len(), "module", "modules"));
        out.list(h.required_modules(), h.required_modules_len(), module_text);
    }
    if let Some(blob) = h.clone_targets {
        let mut names = Vec::new();
        let mut problem = None;
        for target in h.clone_target_list() {
            match target {
                Ok(t) => names.push(shown(t.name)),
                Err(stop) => problem = Some(stop),
            }
        }
        let value = match (blob.is_empty(), problem) {
            (true, _) => "none (no native code: Julia expects no library)".to_owned(),
            (false, None) => format!("{} bytes: {}", blob.len(), names.join(", ")),
            (false, Some(stop)) => format!("{} bytes: {} (blob does not decode: {stop})", blob.len(), names.join(", ")),
        };
        out.field("clone targets", value);
    }
    if let Some(pos) = h.srctext_pos.filter(|&p| p != 0) {
        let files = plural(h.source_text_len(), "file", "files");
        out.field("source text", format!("at {:#x}: {files}", base.saturating_add(pos)));
        out.list(h.source_text(), h.source_text_len(), |s| format!("{}  {} bytes", shown(s.path), s.text.len()));
    }
    if let Some(t) = h.trailer {
        let verdict = if t.ji_crc_ok() { "matches" } else { "MISMATCH" };
        let at = base.saturating_add(t.offset);
        out.field(
            "trailer",
            format!(
                "at {at:#x}: library CRC-32C {:#010x}; .ji CRC-32C {:#010x} ({verdict}: computed {:#010x})",
                t.library_crc32c, t.ji_crc32c, t.computed_crc32c
            ),
        );
    }
}

fn include_text(i: &Include<'_>, worklist: &Worklist<'_>) -> String {
    let mut s = shown(i.path);
    if let Some(size) = i.fsize {
        let _ = write!(s, "  {size} bytes");
    }
    if let Some(hash) = i.hash {
        let _ = write!(s, "  hash {hash:#010x}");
    }
    // From 1.11 an include tracked by content has mtime -1.0 (1.11.5
    // base/loading.jl:2176).
    if i.mtime == -1.0 {
        s.push_str("  mtime -1 (tracked by size and hash)");
    } else {
        let _ = write!(s, "  {}", date(i.mtime));
    }
    let module = worklist.name(i.module);
    let path: Vec<String> = module.into_iter().chain(i.module_path.clone()).map(shown).collect();
    if !path.is_empty() {
        let _ = write!(s, "  in {}", path.join("."));
    }
    s
}

fn dependencies_text(out: &mut Lines, h: &Header<'_>) {
    let Some(layout) = h.layout else { return };
    let bytes = h.dependency_bytes.unwrap_or(0);
    out.field("layout", format!("{} ({bytes} bytes of dependencies)", layout.name()));
    out.field("includes", plural(h.includes_len(), "file", "files"));
    let worklist = Worklist::of(h);
    out.list(h.includes(), h.includes_len(), |i| include_text(i, &worklist));
    out.field("requires", plural(h.requires_len(), "package", "packages"));
    out.list(h.requires(), h.requires_len(), |r| {
        let by = worklist.name(r.by).map_or_else(|| "(top level)".to_owned(), shown);
        format!("{}  {}  (by {by})", shown(r.name), r.uuid)
    });
    match &h.preferences {
        Some(Preferences::Names { names, hash }) => {
            let list: Vec<String> = names.clone().map(shown).collect();
            let list = if list.is_empty() { "no names".to_owned() } else { list.join(", ") };
            out.field("preferences", format!("hash {hash:#018x}: {list}"));
        }
        Some(Preferences::Blob(blob)) => {
            // Debug formatting escapes the blob's control characters.
            let blob_text = if out.full || blob.len() <= 60 {
                text(blob)
            } else {
                format!("{}...", text(blob.get(..60).unwrap_or(blob)))
            };
            out.field("preferences", format!("blob of {} bytes: {blob_text:?}", blob.len()));
        }
        None => {}
    }
}

/// A Julia `mtime` (seconds since 1970, UTC) as a date.
fn date(mtime: f64) -> String {
    // Dates beyond ±3e7 years are shown as numbers.
    if !mtime.is_finite() || mtime.abs() > 1e15 {
        return format!("mtime {mtime}");
    }
    let secs = mtime.floor() as i64;
    let millis = ((mtime - mtime.floor()) * 1000.0).floor() as i64;
    let (days, rem) = (secs.wrapping_div_euclid(86_400), secs.wrapping_rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem.wrapping_div(3600), rem.wrapping_rem(3600).wrapping_div(60), rem.wrapping_rem(60));
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{millis:03} UTC")
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's
/// `civil_from_days`). |days| < 2^40, so no step can overflow an i64.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days.wrapping_add(719_468);
    let era = z.wrapping_div_euclid(146_097);
    let doe = z.wrapping_sub(era.wrapping_mul(146_097));
    let yoe = doe
        .wrapping_sub(doe.wrapping_div(1460))
        .wrapping_add(doe.wrapping_div(36_524))
        .wrapping_sub(doe.wrapping_div(146_096))
        .wrapping_div(365);
    let doy =
        doe.wrapping_sub(yoe.wrapping_mul(365).wrapping_add(yoe.wrapping_div(4)).wrapping_sub(yoe.wrapping_div(100)));
    let mp = doy.wrapping_mul(5).wrapping_add(2).wrapping_div(153);
    let d = doy.wrapping_sub(mp.wrapping_mul(153).wrapping_add(2).wrapping_div(5)).wrapping_add(1);
    let m = if mp < 10 { mp.wrapping_add(3) } else { mp.wrapping_sub(9) };
    let y = yoe.wrapping_add(era.wrapping_mul(400)).wrapping_add(i64::from(m <= 2));
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn dates() {
        assert_eq!(date(0.0), "1970-01-01 00:00:00.000 UTC");
        // date -u -d @1715000000: Mon May  6 12:53:20 UTC 2024
        assert_eq!(date(1_715_000_000.25), "2024-05-06 12:53:20.250 UTC");
        // date -u -d @951782400: Tue Feb 29 00:00:00 UTC 2000
        assert_eq!(date(951_782_400.0), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(date(-1.0), "1969-12-31 23:59:59.000 UTC");
        assert_eq!(date(f64::NAN), "mtime NaN");
    }
}
