//! `jiscan deps`: each file's dependency records, the one that resolves to a
//! data library, and that library's payload.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use pkgimg::split::{find_data_library_in, FoundDataLibrary, SplitError};
use pkgimg::{DependencyKind, MappedFile};

use crate::json::Json;
use crate::Outcome;

const AFTER_HELP: &str = "\
Split images: a data library is a shared library with no code that carries the payload; code caches \
(for example one at -O0 and one at -O3) link against it and record it as an ordinary dependency \
(ELF DT_NEEDED, Mach-O LC_LOAD_DYLIB, a PE import), so one .ji serves several code caches.

For each FILE this lists its dependency records in header order, then resolves them the way the \
platform loader would, as far as the file and the file system tell ($ORIGIN in DT_RUNPATH/DT_RPATH \
and the file's directory; @loader_path, @rpath through LC_RPATH and absolute install names; the \
DLL's directory), without loading anything and without opening system libraries. The one \
dependency that carries a payload is the data library; its payload is shown.

Each --json line has exactly these keys:
  path          the file
  dependencies  a list of {\"kind\", \"name\"}: kind is needed, runpath, rpath, soname, load_dylib,
                load_weak_dylib, reexport_dylib, load_upward_dylib, lc_rpath, id_dylib, import or
                delay_import
  data_library  null, or {\"path\", \"name\", \"payload\": {\"offset\", \"size\", \"crc32c\", \"crc_ok\"}}
                (crc_ok: null without --verify)
  skipped       a list of {\"name\", \"reason\"}: dependencies not followed, and why
  error         null, or the message

Exit status: 0 if every file has exactly one data library (and with --verify a matching CRC), \
1 otherwise, 2 for bad usage.

Example:
  jiscan emit --shared --soname libFoo_data.so --target x86_64-linux-gnu Foo.ji -o libFoo_data.so
  cc -shared -fPIC -O3 foo.c -L. -lFoo_data -Wl,-rpath,'$ORIGIN' -o libFoo_O3.so
  jiscan deps libFoo_O3.so";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Print JSON Lines (one object per file) instead of text
    #[arg(long)]
    pub json: bool,
    /// Also check the data library's payload CRC-32C (reads the payload)
    #[arg(long)]
    pub verify: bool,
    /// Code caches (or any shared libraries) to look at
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &Args) -> io::Result<Outcome> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut all_ok = true;
    for path in &args.files {
        let report = report(path, args.verify);
        all_ok &= report.ok();
        if args.json {
            writeln!(out, "{}", report.json())?;
        } else {
            out.write_all(report.text().as_bytes())?;
        }
    }
    out.flush()?;
    Ok(if all_ok { Outcome::Clean } else { Outcome::Problems })
}

struct Report {
    path: PathBuf,
    dependencies: Vec<(DependencyKind, String)>,
    data_library: Option<DataLibraryReport>,
    skipped: Vec<(String, String)>,
    error: Option<String>,
}

struct DataLibraryReport {
    path: PathBuf,
    name: String,
    offset: u64,
    size: u64,
    crc32c: Option<u32>,
    crc_ok: Option<bool>,
}

impl Report {
    fn ok(&self) -> bool {
        self.error.is_none() && self.data_library.as_ref().is_some_and(|d| d.crc_ok != Some(false))
    }

    fn json(&self) -> Json {
        let deps = self
            .dependencies
            .iter()
            .map(|(kind, name)| Json::Obj(vec![("kind", kind_name(*kind).into()), ("name", name.clone().into())]));
        let data = self.data_library.as_ref().map(|d| {
            let payload = Json::Obj(vec![
                ("offset", d.offset.into()),
                ("size", d.size.into()),
                ("crc32c", d.crc32c.into()),
                ("crc_ok", d.crc_ok.into()),
            ]);
            Json::Obj(vec![
                ("path", d.path.display().to_string().into()),
                ("name", d.name.clone().into()),
                ("payload", payload),
            ])
        });
        let skipped = self
            .skipped
            .iter()
            .map(|(name, reason)| Json::Obj(vec![("name", name.clone().into()), ("reason", reason.clone().into())]));
        Json::Obj(vec![
            ("path", self.path.display().to_string().into()),
            ("dependencies", Json::Arr(deps.collect())),
            ("data_library", data.into()),
            ("skipped", Json::Arr(skipped.collect())),
            ("error", self.error.clone().into()),
        ])
    }

    fn text(&self) -> String {
        let mut s = format!("{}\n", crate::text::escape(&self.path.display().to_string()));
        for (kind, name) in &self.dependencies {
            let mark = match &self.data_library {
                Some(d) if kind.is_library() && d.name == *name => "*",
                _ => " ",
            };
            s.push_str(&format!("  {mark} {:<17} {}\n", kind_name(*kind), crate::text::escape(name)));
        }
        if let Some(d) = &self.data_library {
            let crc = match (d.crc32c, d.crc_ok) {
                (Some(crc), Some(true)) => format!("CRC-32C {crc:#010x}: matches"),
                (Some(crc), Some(false)) => format!("CRC-32C {crc:#010x}: DOES NOT MATCH"),
                (Some(crc), None) => format!("CRC-32C {crc:#010x} (not checked; --verify)"),
                (None, _) => "no CRC-32C".to_owned(),
            };
            s.push_str(&format!(
                "  data library: {} (payload at {:#x}, {} bytes, {crc})\n",
                crate::text::escape(&d.path.display().to_string()),
                d.offset,
                d.size
            ));
        }
        for (name, reason) in &self.skipped {
            s.push_str(&format!("  skipped {}: {}\n", crate::text::escape(name), crate::text::escape(reason)));
        }
        // The error and the reasons name files: escaped as the paths are.
        if let Some(e) = &self.error {
            s.push_str(&format!("  error: {}\n", crate::text::escape(e)));
        }
        s
    }
}

fn report(path: &Path, verify: bool) -> Report {
    let mut report = Report {
        path: path.to_path_buf(),
        dependencies: Vec::new(),
        data_library: None,
        skipped: Vec::new(),
        error: None,
    };
    // Opened once, as every jiscan input is (a FIFO or an empty file is
    // refused, not waited on), for the listing and the resolution both.
    let map = match crate::files::map(path) {
        Ok(map) => map,
        Err(e) => {
            report.error = Some(format!("{}: {e}", path.display()));
            return report;
        }
    };
    match dependencies(&map) {
        Ok(deps) => report.dependencies = deps,
        Err(e) => {
            report.error = Some(format!("{}: {e}", path.display()));
            return report;
        }
    }
    match find_data_library_in(path, map.bytes()) {
        Ok(found) => {
            report.skipped = found.skipped.iter().map(|s| (s.name.clone(), s.reason.clone())).collect();
            match data_library_report(&found, verify) {
                Ok((d, failed)) => {
                    report.data_library = Some(d);
                    // A payload that fails --verify is this file's error, as
                    // in scan: a consumer filtering on "error" sees it.
                    report.error = failed;
                }
                Err(e) => report.error = Some(e),
            }
        }
        Err(SplitError::NoDataLibrary { candidates, .. }) => {
            report.skipped = candidates.into_iter().map(|s| (s.name, s.reason)).collect();
            report.error = Some(format!("{}: no dependency is a data library", path.display()));
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    report
}

fn dependencies(file: &MappedFile) -> Result<Vec<(DependencyKind, String)>, String> {
    let deps = pkgimg::dependencies(file.bytes()).map_err(|e| e.to_string())?;
    deps.map(|d| d.map(|d| (d.kind, String::from_utf8_lossy(d.name).into_owned())).map_err(|e| e.to_string())).collect()
}

/// The data library's report, and with `verify` why its payload failed the
/// check, if it did.
fn data_library_report(found: &FoundDataLibrary, verify: bool) -> Result<(DataLibraryReport, Option<String>), String> {
    let located = found.located();
    let frame = located.frame();
    let (crc_ok, failed) = match verify {
        // Verifying reads the payload: only then is the data library mapped.
        true => {
            let map = found.map().map_err(|e| e.to_string())?;
            map.will_read(located.offset(), located.size());
            match found.payload(&map).and_then(|p| p.verify()) {
                Ok(()) => (Some(true), None),
                Err(e) => (Some(false), Some(format!("{}: {e}", found.path.display()))),
            }
        }
        false => (None, None),
    };
    let report = DataLibraryReport {
        path: found.path.clone(),
        name: found.name.clone(),
        offset: located.offset(),
        size: located.size(),
        crc32c: frame.has_crc32c().then_some(frame.payload_crc32c),
        crc_ok,
    };
    Ok((report, failed))
}

/// For an image with no payload of its own (`slice`, of the file at
/// `path`): its data library, if the image is a split image's code cache
/// (it imports the data record's symbol), to name in a hint. One resolver
/// serves the whole run, so the slices of a universal file (which may all
/// be one image) do not search the same places again (review 19 F1: 8,000
/// slices of one image with 1,000 `@rpath` dependencies took 16.9 s in
/// `show`).
pub fn data_library_of(path: &Path, slice: pkgimg::Slice<'_>) -> Option<FoundDataLibrary> {
    thread_local! {
        static RESOLVER: std::cell::RefCell<pkgimg::split::Resolver> = std::cell::RefCell::default();
    }
    if !imports_data_symbol(&slice) {
        return None;
    }
    RESOLVER.with(|resolver| resolver.try_borrow_mut().ok()?.find_in_slice(path, slice).ok())
}

/// What `show` and `extract` add to "no payload" for a split image's code
/// cache, whose data library was `found`.
pub fn carried_by(found: &FoundDataLibrary) -> String {
    format!("; it is a code cache, and its data library {} carries one", found.path.display())
}

/// Whether `image` imports the data record's symbol, as a split image's
/// code cache does (docs/FORMAT.md §8.3): a library without a payload that
/// does is a code cache whose data library is missing or wrong, for `scan`
/// and `check` alike. A malformed import table counts as no import: the
/// image is then reported for its missing payload alone.
pub fn imports_data_symbol(image: &pkgimg::Slice<'_>) -> bool {
    image.imports_symbol(pkgimg::record::DEFAULT_SYMBOL).unwrap_or(false)
}

/// How `scan` and `check` say why such a library is a code cache.
pub fn imports_clause() -> String {
    format!("it imports {}, as a split image's code cache does", pkgimg::record::DEFAULT_SYMBOL)
}

/// `path` as one shell word, for a command in a message: as it is if it
/// holds only characters no shell treats specially, else in single quotes,
/// else (it holds one) in double quotes; after `./` if it starts with `-`,
/// so that no command takes it for an option. `None` if no quoting spells it in
/// a message: not UTF-8, or a backslash or control character (which the
/// terminal escaping of messages, `text::escape`, would change), or both a
/// single quote and a character special in double quotes.
pub fn shell_word(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let text = match text.starts_with('-') {
        true => Cow::Owned(format!("./{text}")),
        false => Cow::Borrowed(text),
    };
    if text.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./@%+=:,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        Some(text.into_owned())
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else if !text.contains(['$', '`', '"', '!']) {
        Some(format!("\"{text}\""))
    } else {
        None
    }
}

fn kind_name(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Needed => "needed",
        DependencyKind::RunPath => "runpath",
        DependencyKind::RPath => "rpath",
        DependencyKind::SoName => "soname",
        DependencyKind::LoadDylib => "load_dylib",
        DependencyKind::LoadWeakDylib => "load_weak_dylib",
        DependencyKind::ReexportDylib => "reexport_dylib",
        DependencyKind::LoadUpwardDylib => "load_upward_dylib",
        DependencyKind::Rpath => "lc_rpath",
        DependencyKind::IdDylib => "id_dylib",
        DependencyKind::Import => "import",
        DependencyKind::DelayImport => "delay_import",
        _ => "other",
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::shell_word;
    use std::path::Path;

    /// What `shell_word` spells, a shell reads back as the path; what it
    /// cannot spell in a message, it refuses.
    #[test]
    fn shell_words_read_back_as_the_path() {
        let spelt = ["./libFoo_data.so", "a b/c d.so", "it's.so", "$HOME `x`.so", "-o.so", "ünï.so", ""];
        for path in spelt {
            let Some(word) = shell_word(Path::new(path)) else { panic!("{path:?} not spelt") };
            let out = std::process::Command::new("sh").arg("-c").arg(format!("printf %s {word}")).output();
            let out = out.map(|o| o.stdout).unwrap_or_default();
            // A leading `-` gains `./`: the same file.
            let same = if path.starts_with('-') { format!("./{path}") } else { path.to_owned() };
            assert_eq!(String::from_utf8_lossy(&out), same, "{path:?} as {word}");
        }
        for path in ["it's $HOME.so", "back\\slash.so", "new\nline.so"] {
            assert_eq!(shell_word(Path::new(path)), None, "{path:?}");
        }
    }
}
