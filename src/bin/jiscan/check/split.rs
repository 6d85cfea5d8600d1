//! Split images (docs/FORMAT.md §8.4): a code cache is checked with the
//! `.ji` of its data library, and a data library on its own for the `.ji`
//! it holds. A data library's `.ji` is checked once per run, however many
//! code caches link against it.

use std::collections::hash_map::{Entry, HashMap};
use std::path::{Path, PathBuf};

use pkgimg::ji::Header;
use pkgimg::split::{FoundDataLibrary, Resolver, SplitError};
use pkgimg::Payload;

use super::points::{code_of, frame_crc_point, header_points, image_checksum_point, Binding, Code};
use super::{CacheKind, Point, Report, Status};
use crate::files;

/// What one run of `check` remembers across files.
#[derive(Default)]
pub struct Run {
    /// Follows code caches to their data libraries; remembers the
    /// libraries they share.
    resolver: Resolver,
    /// Each data library's `.ji`, checked ([`DataKey`]); `Ok(Err(why))` if
    /// the file holds no data library with a `.ji`, `Err` if it cannot be
    /// read.
    checked: HashMap<DataKey, Result<Result<DataChecked, String>, String>>,
}

/// A data library's file, its slice (`None`: a thin file) and the code its
/// `.ji` is checked for.
type DataKey = (PathBuf, Option<u32>, Option<Code>);

/// The points of a data library's `.ji`, as the code caches' lines share them.
#[derive(Clone)]
struct DataChecked {
    /// `frame_crc`, then the `.ji`'s own points, their details unprefixed.
    points: Vec<Point>,
    package: Option<String>,
    version: Option<u16>,
    /// The trailer's library CRC-32C word, which a split image ignores.
    word: u32,
    binding: Binding,
    /// Whether the `.ji` has clone targets, the mark of native code
    /// (`None` if its cache header does not decode that far).
    native: Option<bool>,
}

/// Whether the host image of `code` imports the data record's symbol.
pub fn imports_data_symbol(code: &[u8]) -> bool {
    pkgimg::host_slice(code).is_ok_and(|image| crate::deps::imports_data_symbol(&image))
}

/// What a library without a `.ji` payload of its own is, as a split image's
/// code cache: a report, or `None` if it is none (in a directory, another
/// file; named on the command line, the caller says so with `why`).
/// `dependencies`: its dependency records were read, so it is a code
/// library whose data library is missing or no data library.
pub enum CodeCache {
    Report(Report),
    None { why: Option<String>, dependencies: bool },
}

impl Run {
    /// The library at `path` (`code`, its bytes), which carries no payload:
    /// checked with its data library's `.ji` if it is a split image's code
    /// cache. `explicit`: named on the command line, where a file that is
    /// none gets the reason.
    pub fn code_cache(&mut self, path: &Path, code: &[u8], explicit: bool) -> CodeCache {
        let found = match self.resolver.find_in(path, code) {
            Ok(found) => found,
            Err(e @ SplitError::Ambiguous { .. }) => {
                // In a directory, only a split image gone wrong is a cache.
                let any_ji = matches!(&e, SplitError::Ambiguous { found, .. } if found.iter().any(|p| holds_ji(p)));
                if !explicit && !any_ji && !imports_data_symbol(code) {
                    return CodeCache::None { why: None, dependencies: true };
                }
                let mut r = Report::new(path, CacheKind::Split);
                r.point("data_library", Status::Failed, e.reason().to_string());
                return CodeCache::Report(r);
            }
            Err(SplitError::NoDataLibrary { candidates, .. }) if candidates.is_empty() => {
                return CodeCache::None { why: Some("it has no dependencies".into()), dependencies: false }
            }
            Err(e @ SplitError::NoDataLibrary { .. }) => {
                return CodeCache::None { why: Some(e.reason().to_string()), dependencies: true };
            }
            Err(e) => {
                let why = format!("its dependencies cannot be read: {}", e.reason());
                return CodeCache::None { why: Some(why), dependencies: false };
            }
        };
        let data = self.data_library(&found, code_of(code));
        let shown = found.path.display();
        let data = match data {
            Err(why) => {
                let mut r = Report::new(path, CacheKind::Split);
                r.data_library = Some(found.path.clone());
                r.unreadable = Some(format!("{shown}: {why}"));
                return CodeCache::Report(r);
            }
            Ok(Err(not)) => {
                let why =
                    format!("its dependency {shown} carries a payload but is no data library holding a .ji: {not}");
                return CodeCache::None { why: Some(why), dependencies: true };
            }
            Ok(Ok(data)) => data,
        };
        let mut r = Report::new(path, CacheKind::Split);
        r.library = Some(path.to_owned());
        r.data_library = Some(found.path.clone());
        (r.package, r.version) = (data.package, data.version);
        // The .ji's offsets are in the data library's file: say which file.
        r.points = data.points;
        for point in r.points.iter_mut().filter(|p| p.status != Status::Ok || p.name == "frame_crc") {
            point.detail = format!("{shown}: {}", point.detail);
        }
        if r.points.iter().any(|p| p.name == "payload") {
            // A compressed .ji: nothing more can be checked before it is extracted.
            return CodeCache::Report(r);
        }
        if data.native == Some(false) {
            // No clone targets: Julia loads the .ji alone (base/loading.jl
            // `pkgimage = !isempty(clone_targets)`), as for a .ji beside a library.
            let unused = format!("the .ji in {shown} has no clone targets: Julia loads no code library with it");
            r.point("library_crc", Status::NotApplicable, format!("{unused}, so this code cache is not used"));
            r.point("image_checksum", Status::NotApplicable, unused);
            return CodeCache::Report(r);
        }
        let detail = format!(
            "a split image: the .ji in {shown} serves every code cache linked against it, so the trailer's \
             library CRC-32C word ({:#010x}) is not checked; the frame CRC covers the .ji (docs/FORMAT.md 8.4)",
            data.word
        );
        r.point("library_crc", Status::NotApplicable, detail);
        // (A standalone .ji with clone targets is the split_flag point's failure.)
        image_checksum_point(&mut r, data.binding, Some(code));
        CodeCache::Report(r)
    }

    /// The line of the data library at `path` (`map`, its bytes; `payload`,
    /// its host image's `.ji` payload), which [`is_data_library`] said it is.
    pub fn data_library_line(&mut self, path: &Path, map: &[u8], payload: &Payload<'_>) -> Report {
        let mut r = Report::new(path, CacheKind::DataLibrary);
        let code = Code::of_payload(payload);
        // The key a code cache of this slice uses too.
        let slice = payload.slice();
        let data = self.memo(path, slice, code, || check_data(map, slice, code));
        let data = match data {
            Ok(Ok(data)) => data,
            // Its bytes were read and judged moments ago: the file changed.
            Ok(Err(_)) | Err(_) => {
                r.unreadable = Some("the file changed while it was read".into());
                return r;
            }
        };
        (r.package, r.version, r.points) = (data.package, data.version, data.points);
        let detail = format!(
            "a data library holds no code: the trailer's library CRC-32C word ({:#010x}) is not checked \
             (docs/FORMAT.md 8.4)",
            data.word
        );
        r.point("library_crc", Status::NotApplicable, detail);
        let detail = "a data library holds no code: each code cache linked against it is checked for its symbol";
        r.point("image_checksum", Status::NotApplicable, detail);
        r
    }

    /// The found data library's `.ji`, checked for the code `code`.
    fn data_library(
        &mut self,
        found: &FoundDataLibrary,
        code: Option<Code>,
    ) -> Result<Result<DataChecked, String>, String> {
        let slice = found.located().slice();
        self.memo(&found.path, slice, code, || {
            let map = found.map().map_err(|e| e.to_string())?;
            check_data(&map, slice, code)
        })
    }

    /// `check()`'s result for the file at `path` (its slice `slice`, or the
    /// host's), for the code `code`, computed once per run.
    fn memo(
        &mut self,
        path: &Path,
        slice: Option<u32>,
        code: Option<Code>,
        check: impl FnOnce() -> Result<Result<DataChecked, String>, String>,
    ) -> Result<Result<DataChecked, String>, String> {
        // One key however the path is spelt (a walk's, a dependency's).
        let key = (path.canonicalize().unwrap_or_else(|_| path.to_owned()), slice, code);
        match self.checked.entry(key) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(slot) => slot.insert(check()).clone(),
        }
    }
}

/// The `.ji` points of the data library `file` (its slice `slice`, or the
/// host's), for the code `code`; `Ok(Err(why))` if it holds no data library
/// with a `.ji`.
fn check_data(file: &[u8], slice: Option<u32>, code: Option<Code>) -> Result<Result<DataChecked, String>, String> {
    let image = match slice {
        None => pkgimg::host_slice(file).map_err(|e| e.to_string())?,
        Some(i) => {
            let mut slices = pkgimg::slices(file).map_err(|e| e.to_string())?;
            let nth = slices.nth(usize::try_from(i).unwrap_or(usize::MAX));
            nth.ok_or("the file has fewer slices than when it was looked up")?.map_err(|e| e.to_string())?
        }
    };
    let payload = image.find_ji_payload().map_err(|e| e.to_string())?;
    if payload.compressed() && super::starts_with_ji(&payload) && record_of(&image, &payload) {
        // Julia reads no compressed .ji: nothing past the frame can be checked.
        let detail = format!(
            "the .ji is zstd-compressed ({} bytes stored, {} decompressed): its points can be checked only \
             once it is decompressed (`jiscan extract`)",
            payload.size(),
            payload.uncompressed_size().unwrap_or(0)
        );
        let point = Point { name: "payload", status: Status::NotChecked, detail };
        let binding = Binding { split: None, checksum: None };
        return Ok(Ok(DataChecked {
            points: vec![point],
            package: None,
            version: None,
            word: 0,
            binding,
            native: None,
        }));
    }
    if payload.compressed() {
        return Ok(Err("its payload is zstd-compressed, and no .ji".into()));
    }
    if !pkgimg::ji::is_ji(payload.data()) {
        return Ok(Err("its payload is no .ji".into()));
    }
    if !record_of(&image, &payload) {
        return Ok(Err("no data record names its payload (a combined file, not a data library)".into()));
    }
    let mut r = Report::new(Path::new(""), CacheKind::DataLibrary);
    frame_crc_point(&mut r, &payload, None);
    let h = Header::decode(payload.data());
    header_points(&mut r, &h, code, payload.offset());
    let word = h.trailer.map_or(0, |t| t.library_crc32c);
    let (binding, native) = (Binding::of(&h), h.native_code());
    Ok(Ok(DataChecked { points: r.points, package: r.package, version: r.version, word, binding, native }))
}

/// Whether `payload`, in `image`, is described by a data record: the image
/// is a data library (docs/FORMAT.md §8.1).
fn record_of(image: &pkgimg::Slice<'_>, payload: &Payload<'_>) -> bool {
    image.image().is_ok_and(|i| pkgimg::record::find(image.bytes(), i.endian, payload.frame()).is_some())
}

/// Whether the file `library`, whose host image carries `payload`, is a data
/// library holding a `.ji`.
pub fn is_data_library(library: &[u8], payload: &Payload<'_>) -> bool {
    pkgimg::ji::is_ji(payload.data()) && pkgimg::host_slice(library).is_ok_and(|image| record_of(&image, payload))
}

/// Whether the file at `path` is a data library holding a `.ji`.
fn holds_ji(path: &Path) -> bool {
    files::map(path).is_ok_and(|map| pkgimg::find_ji_payload(&map).is_ok_and(|payload| is_data_library(&map, &payload)))
}
