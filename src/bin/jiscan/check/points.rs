//! The points `jiscan check` decides, as Julia's loader checks them
//! (base/loading.jl, src/staticdata.c): those of the `.ji` bytes alone, and
//! those that bind the `.ji` to its code library.

use std::path::Path;

use pkgimg::ji::{Header, Kind, Reason, Stop};
use pkgimg::MappedFile;

use super::{Report, Status};
use crate::identify::identify;

/// The frame's CRC-32C over the payload, in the file `data` (a data
/// library's) or the line's own.
pub(super) fn frame_crc_point(r: &mut Report, payload: &pkgimg::Payload<'_>, data: Option<&Path>) {
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
pub(super) struct Code {
    pub(super) pointer: u8,
    pub(super) endian: pkgimg::Endian,
}

impl Code {
    /// The image that carries `payload` (a combined file, a data library).
    pub(super) fn of_payload(payload: &pkgimg::Payload<'_>) -> Option<Code> {
        Some(Code { pointer: payload.bits().checked_div(8)?, endian: payload.endian() })
    }
}

/// The code library's [`Code`], from its host image.
pub(super) fn code_of(library: &[u8]) -> Option<Code> {
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
pub(super) fn header_points(r: &mut Report, h: &Header<'_>, library: Option<Code>, base: u64) {
    r.package = h.package().map(|p| String::from_utf8_lossy(p).into_owned());
    r.version = h.version;
    let stop = h.stop.as_ref();
    let stopped_at = |field: &str| stop.filter(|s| s.field == field).map(|s| message(s, base));
    if let Some(why) = stopped_at("magic") {
        r.point("magic", Status::Failed, why);
        return;
    }
    r.point("magic", Status::Ok, "the .ji magic");
    // The point is the field's: Julia reads the version before the mark
    // (isvalid_cache_header), so a file cut inside the version fails there.
    if let Some(why) = stopped_at("byte-order mark") {
        r.point("byte_order", Status::Failed, why);
        return;
    }
    if let Some(why) = stopped_at("JI format version") {
        r.point("format_version", Status::Failed, why);
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
    // jl_validate_cache_file wants the mark in the header it reads: the
    // .ji's for a .ji loaded alone, the library's header copy for one with
    // clone targets (1.11.5 src/staticdata.c:3602, called for both by
    // jl_restore_package_image_from_stream :3633; review 17 F7).
    if let (Some(marked), Some(c)) = (h.checksum_marked(), h.checksum) {
        match (marked, h.native_code()) {
            (true, _) => r.point("checksum", Status::Ok, format!("{c:#018x}")),
            (false, Some(true)) => r.point(
                "checksum",
                Status::NotChecked,
                format!(
                    "{c:#018x}: high word is not 0xfafbfcfd, but Julia checks the mark in the library's header \
                     copy, not here; the build ids of this package's dependents are made from this checksum"
                ),
            ),
            (false, _) => r.point(
                "checksum",
                Status::Failed,
                format!("{c:#018x}: high word is not 0xfafbfcfd (jl_validate_cache_file reads this .ji)"),
            ),
        }
    }
    // A trailer too short to hold is the ji_crc point's failure; any other
    // stop is in the cache header or the source text, both of which
    // parse_cache_header reads (base/loading.jl:3243-3325 in 1.11.5).
    let no_trailer = h.stop.filter(|s| matches!(s.reason, Reason::NoRoomForTrailer { .. }));
    // parse_cache_header ends with srctext_files, which passes over a
    // position, or a text running, to the end of the file (review 17 F5;
    // Header::source_text_passed_over).
    let passed_over = h.stop.filter(|_| h.source_text_passed_over());
    match h.stop {
        Some(stop) if no_trailer.is_none() && passed_over.is_none() => {
            r.point("cache_header", Status::Failed, message(&stop, base))
        }
        // stale_cachefile ignores a cache whose worklist is empty ("ignore
        // empty file": 1.9.4 base/loading.jl:2720-2722, master :4571-4573).
        _ if h.worklist_len() == 0 => r.point(
            "cache_header",
            Status::Failed,
            "the worklist is empty: stale_cachefile ignores such a file (\"ignore empty file\")",
        ),
        _ => {
            let note = passed_over.map_or(String::new(), |stop| {
                format!("; {}, which Julia's srctext_files passes over", message(&stop, base))
            });
            r.point("cache_header", Status::Ok, format!("worklist of {}{note}", h.worklist_len()))
        }
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
    heap_point(r, h, base);
    split_flag_point(r, h);
}

/// Whether Julia can read the heap data from the `.ji`, and for the
/// versions that compare it, whether its CRC-32C is the checksum's.
/// - 12 and 13: a `.ji` without clone targets is loaded on its own
///   (`jl_restore_incremental`), its heap read from it; before Julia 1.13
///   the read must be whole and its CRC-32C the checksum's low word, or
///   "Error reading package image file." (1.9.4 src/staticdata.c:3333,
///   1.11.5 :3661, 1.12.5 :4403, 3484331 :4375); 1.13 (:4391) only needs
///   the read whole. With clone targets the heap is in the code library.
/// - 14 and 15: every cache's heap is in its `.ji` (ad84450, "write the
///   heap image to the .ji"); the read must be whole (master :4631).
fn heap_point(r: &mut Report, h: &Header<'_>, base: u64) {
    let Some(version) = h.version else { return };
    let alone = h.native_code() == Some(false);
    if version < 14 && !alone {
        let why = "versions 12 and 13 keep the heap of a cache with clone targets in its code library";
        return r.point("heap", Status::NotApplicable, why);
    }
    let (Some(start), Some(end)) = (h.data_start, h.data_end) else {
        return r.point("heap", Status::NotChecked, "the header does not decode to the heap's positions");
    };
    let range = format!("{:#x}..{:#x}", base.saturating_add(start), base.saturating_add(end));
    let heap = match h.heap() {
        Some(Ok(heap)) => heap,
        Some(Err(len)) => {
            let why = format!(
                "the heap data {range} does not lie in the .ji's {len} bytes: Julia's read of it fails \
                 (\"Error reading package image file.\")"
            );
            return r.point("heap", Status::Failed, why);
        }
        None => return r.point("heap", Status::Failed, "the heap positions are 0: the .ji holds no heap data"),
    };
    // The Julia version that wrote a format 12 file tells whether it
    // compares the CRC (1.9 to 1.12) or not (1.13).
    let compares = match (version, h.julia_minor()) {
        (12, Some(minor)) => minor < 13,
        (12, None) => {
            let why = format!(
                "heap data {range}; the Julia version does not parse, so whether it compares the CRC is unknown"
            );
            return r.point("heap", Status::NotChecked, why);
        }
        (13, _) => true,
        _ => false,
    };
    let Some(want) = h.heap_crc32c().filter(|_| compares) else {
        return r.point(
            "heap",
            Status::Ok,
            format!("heap data {range} lies in the .ji (this version compares no CRC)"),
        );
    };
    let got = pkgimg::crc::crc32c(heap);
    if got == want {
        r.point("heap", Status::Ok, format!("heap data {range}: CRC-32C {got:#010x}, the checksum's"))
    } else {
        let why = format!(
            "heap data {range} has CRC-32C {got:#010x}, the checksum says {want:#010x}: Julia refuses it \
             (\"Error reading package image file.\")"
        );
        r.point("heap", Status::Failed, why)
    }
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

pub(super) fn library_crc_point(r: &mut Report, h: &Header<'_>, library: &Path, map: &MappedFile) {
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
pub(super) struct Binding {
    /// `JI_FLAG_SPLIT`, from version 14; `None` before (or unread).
    pub(super) split: Option<bool>,
    /// The header's checksum.
    pub(super) checksum: Option<u64>,
}

impl Binding {
    pub(super) fn of(h: &Header<'_>) -> Binding {
        Binding { split: h.image_flags.map(|f| f.split()), checksum: h.checksum }
    }
}

/// Versions 14+, split: the library's `jl_system_image_checksum` against the
/// header's checksum (master src/staticdata.c:4566).
pub(super) fn image_checksum_point(r: &mut Report, binding: Binding, library: Option<&[u8]>) {
    let Some(checksum) = binding.checksum.filter(|_| binding.split == Some(true)) else {
        let why =
            if binding.split.is_some() { "not a split image" } else { "versions 12 and 13 have no such symbol check" };
        return r.point("image_checksum", Status::NotApplicable, why);
    };
    let Some(library) = library else {
        return r.point("image_checksum", Status::Failed, "a split image, but no library beside it");
    };
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
