//! Decoding in file order: the fixed header (which differs by format
//! version), then what the header heads.

use super::cursor::{Cursor, Reason, Stop};
use super::deps;
use super::flags::{CacheFlags, ImageFlags, Kind, Layout};
use super::modules::{self, List};
use super::tail::{self, Trailer};
use super::{Header, Span, MAGIC, VERSIONS};
use crate::Endian;

/// The first format version with the syntax version byte after the cache
/// flags (commit 3484331 src/staticdata.c:3325).
const SYNTAX_VERSION_SINCE: u16 = 13;
/// The first format version with the `u32` flags word and `u32` checksum
/// (commit ad84450 src/staticdata_utils.c:734-743).
const FLAGS_WORD_SINCE: u16 = 14;
/// The first format version with the GC ABI string (master
/// src/staticdata_utils.c:734-735).
const GC_ABI_SINCE: u16 = 15;
/// The first format version whose clone targets carry a base index and
/// `u64` feature words (`parse_image_target`, commit ad84450
/// base/loading.jl:1994-2007; at commit 3484331, format 13, :1882-1892 has
/// neither). Masters between those two commits wrote format 13 with either
/// layout: the version alone cannot tell (docs/FORMAT.md §7.3).
pub(super) const WIDE_CLONE_TARGETS_SINCE: u16 = 14;

/// Reads everything in file order; the first field that fails ends decoding.
pub(super) fn fill<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>) -> Result<(), Stop> {
    let version = prologue(h, c)?;
    if version >= FLAGS_WORD_SINCE {
        fixed_v14(h, c, version)?;
    } else {
        fixed_v12(h, c)?;
    }
    match h.kind {
        Some(Kind::Cache) => {
            cache_header(h, c, version)?;
            h.end = c.at;
            after_header(h, c)
        }
        Some(Kind::LibraryCopy) => {
            // Julia 1.11.5 src/staticdata.c:2986-2988 (commit 3484331 :3375-3378
            // adds the syntax version): flags, then the module list.
            h.cache_flags = Some(CacheFlags(c.u8("cache flags")?));
            if version >= SYNTAX_VERSION_SINCE {
                h.syntax_version = Some(c.u8("syntax version")?);
            }
            required_modules(h, c)?;
            h.end = c.at;
            Ok(())
        }
        Some(Kind::SystemImage) | None => {
            h.end = c.at;
            Ok(())
        }
    }
}

/// Magic, version, byte-order mark, pointer size, and the build strings
/// common to all versions (Julia 1.11.5 src/staticdata_utils.c:699-705).
pub(super) fn prologue<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>) -> Result<u16, Stop> {
    let bytes = c.data.bytes;
    if !bytes.starts_with(&MAGIC) {
        // A prefix of the magic is a cut file; anything else is not a .ji.
        if MAGIC.starts_with(bytes) {
            return Err(c.truncated("magic", MAGIC.len() as u64));
        }
        return Err(c.stop("magic", Reason::NotJi));
    }
    c.bytes("magic", MAGIC.len() as u64)?;
    // The version is written in the writer's byte order, which only the BOM
    // after it reveals.
    let version = c.bytes("JI format version", 2)?;
    let bom_at = *c;
    // Julia compares the version before it reads the mark
    // (`jl_read_verify_header`): a version no byte order makes known fails
    // there on every machine, whatever follows (review 22 F10).
    let unknown = match *version {
        [a, b] => [Endian::Little, Endian::Big].iter().all(|e| !VERSIONS.contains(&e.u16([a, b]))),
        _ => false,
    };
    let unknown_version = || {
        let found = version.first_chunk::<2>().map_or(0, |&v| Endian::Little.u16(v));
        Stop { offset: 8, field: "JI format version", reason: Reason::UnknownVersion(found) }
    };
    let endian = match c.bytes("byte-order mark", 2).ok().and_then(|bom| bom.first_chunk::<2>()) {
        Some([0xff, 0xfe]) => Endian::Little,
        Some([0xfe, 0xff]) => Endian::Big,
        _ if unknown => return Err(unknown_version()),
        Some(&[a, b]) => return Err(bom_at.stop("byte-order mark", Reason::BadByteOrderMark([a, b]))),
        None => return Err(bom_at.truncated("byte-order mark", 2)),
    };
    h.endian = Some(endian);
    c.data = c.data.with_endian(endian);
    h.data = c.data;
    let version = match *version {
        [a, b] => endian.u16([a, b]),
        _ => return Err(bom_at.truncated("JI format version", 2)),
    };
    h.version = Some(version);
    if !VERSIONS.contains(&version) {
        return Err(Stop { offset: 8, field: "JI format version", reason: Reason::UnknownVersion(version) });
    }
    h.pointer_size = Some(c.u8("pointer size")?);
    h.build_os = Some(c.cstr("build OS string")?);
    h.build_arch = Some(c.cstr("build arch string")?);
    h.julia_version = Some(c.cstr("Julia version string")?);
    Ok(version)
}

/// Versions 12 and 13 (Julia 1.11.5 src/staticdata_utils.c:707-713): branch,
/// commit, the pkgimage byte, checksum and data positions, patched at
/// src/staticdata.c:3034-3036 (checksum, then start, then end: the comments
/// at staticdata_utils.c:712-713 name the two positions the other way round).
fn fixed_v12<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>) -> Result<(), Stop> {
    h.git_branch = Some(c.cstr("git branch string")?);
    h.git_commit = Some(c.cstr("git commit string")?);
    let pkgimage = c.u8("pkgimage byte")?;
    h.pkgimage = Some(pkgimage);
    // write_header(f, 0) for the .ji, write_header(ff, 1) for the copy in the
    // library (src/staticdata.c:2924 and :2986).
    h.kind = Some(if pkgimage == 0 { Kind::Cache } else { Kind::LibraryCopy });
    h.checksum = Some(c.u64("checksum")?);
    h.data_start = Some(c.u64("data start position")?);
    h.data_end = Some(c.u64("data end position")?);
    Ok(())
}

/// Versions 14 and 15 (master src/staticdata_utils.c:734-745): the GC ABI
/// (15), the flags word, branch and commit only for a package image, a `u32`
/// checksum and the data positions (patched at src/staticdata.c:3560-3562).
fn fixed_v14<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>, version: u16) -> Result<(), Stop> {
    if version >= GC_ABI_SINCE {
        h.gc_abi = Some(c.cstr("GC ABI string")?);
    }
    let flags = ImageFlags(c.u32("image flags")?);
    h.image_flags = Some(flags);
    h.kind = Some(if flags.pkgimage() { Kind::Cache } else { Kind::SystemImage });
    if flags.pkgimage() {
        h.git_branch = Some(c.cstr("git branch string")?);
        h.git_commit = Some(c.cstr("git commit string")?);
    }
    h.checksum = Some(u64::from(c.u32("checksum")?));
    h.data_start = Some(c.u64("data start position")?);
    h.data_end = Some(c.u64("data end position")?);
    Ok(())
}

/// The cache header after the fixed part (Julia 1.11.5 src/staticdata.c:2925-2937;
/// master :3421-3439): cache flags, syntax version (13+), worklist, dependency
/// list, module list; then the clone targets (1.11.5 src/staticdata.c:3008 or
/// src/aotcompile.cpp's `jl_dump_native`; master src/staticdata.c:3518-3523).
fn cache_header<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>, version: u16) -> Result<(), Stop> {
    h.cache_flags = Some(CacheFlags(c.u8("cache flags")?));
    if version >= SYNTAX_VERSION_SINCE {
        h.syntax_version = Some(c.u8("syntax version")?);
    }
    let checksum = h.checksum.unwrap_or(0);
    h.worklist = Span { at: c.at, count: 0 };
    modules::count(c, List::Worklist { checksum }, &mut h.worklist.count)?;
    let candidates = Layout::candidates(version, h.julia_version.unwrap_or_default());
    let summary = deps::read(c, candidates, h.worklist.count)?;
    h.layout = Some(summary.layout);
    h.dependency_bytes = Some(summary.declared);
    h.includes = summary.includes;
    h.requires = summary.requires;
    h.dependencies_at = summary.entries_at;
    h.preferences = Some(summary.preferences);
    h.srctext_pos = Some(summary.srctext_pos);
    required_modules(h, c)?;
    // Written with write_int32 (1.9-1.13) or write_uint32 (14+); read as
    // Int32 (base/loading.jl:3322-3323 in 1.11.5).
    let len = c.len32("clone targets length")?;
    h.clone_targets_at = c.at;
    h.clone_targets = Some(c.bytes("clone targets", len)?);
    Ok(())
}

fn required_modules<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>) -> Result<(), Stop> {
    h.required = Span { at: c.at, count: 0 };
    modules::count(c, List::Required, &mut h.required.count)
}

/// After a cache header: the trailer (the last 8 bytes), then the source
/// text at the position the dependency list records.
fn after_header<'a>(h: &mut Header<'a>, c: &mut Cursor<'a>) -> Result<(), Stop> {
    let len = c.data.len();
    let at = len.saturating_sub(8);
    let no_room = Stop { offset: at, field: "trailer", reason: Reason::NoRoomForTrailer { header_end: h.end } };
    if len < 8 || at < h.end {
        return Err(no_room);
    }
    let mut t = Cursor::new(c.data, at);
    let library_crc32c = t.u32("trailer library CRC-32C")?;
    let ji_crc32c = t.u32("trailer .ji CRC-32C")?;
    let body = usize::try_from(len.saturating_sub(4)).ok().and_then(|n| c.data.bytes.get(..n)).unwrap_or_default();
    let computed_crc32c = crate::crc::crc32c(body);
    h.trailer = Some(Trailer { offset: at, library_crc32c, ji_crc32c, computed_crc32c });

    let pos = h.srctext_pos.unwrap_or(0);
    if pos == 0 {
        // No source text recorded (base/loading.jl: `srctextpos == 0 && return`).
        return Ok(());
    }
    // The source text never reaches into the trailer.
    let before = c.data.table("source text", 0, at, 1).map_err(|_| no_room)?;
    let mut s = Cursor::new(before, pos);
    if pos < h.end {
        return Err(s.stop("source-text position", Reason::SourceTextInHeader { header_end: h.end }));
    }
    h.srctext = Span { at: pos, count: 0 };
    while tail::next_source(&mut s)?.is_some() {
        h.srctext.count = h.srctext.count.saturating_add(1);
    }
    h.srctext_end = Some(s.at);
    c.at = s.at;
    Ok(())
}
