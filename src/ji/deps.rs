//! The dependency list (`write_dependency_list`): the files the worklist
//! included and the packages it required, then the preferences, then the
//! position of the source text.
//!
//! Julia 1.11.5 src/staticdata_utils.c:750-890 writes it as: a `u64` byte
//! count (patched at :886), the entries (:808-830), an `i32` 0 (:832), the
//! preferences (:866-878), and the `u64` source-text position (patched by
//! `write_srctext`, src/precompile.c:30). base/loading.jl:3243
//! (`_parse_cache_header`) reads it back and asserts the byte count (:3310).

use super::cursor::{Cursor, Reason, Stop};
use super::flags::Layout;
use super::modules::Uuid;
use crate::read::Data;

/// One entry of the dependency list: an included file, or (a name starting
/// with NUL, base/loading.jl:3290) a required package.
#[derive(Clone, Debug)]
pub enum Dependency<'a> {
    /// A file the worklist included (or declared with `include_dependency`).
    Include(Include<'a>),
    /// A package the worklist required.
    Require(Require<'a>),
}

/// An included file (Julia's `CacheHeaderIncludes`).
#[derive(Clone, Debug)]
pub struct Include<'a> {
    /// The path; from Julia 1.11 a depot path may start with `@depot`.
    pub path: &'a [u8],
    /// The file's size; `None` in the 1.9 layout, which does not store it.
    pub fsize: Option<u64>,
    /// The CRC-32C of the file's contents; `None` in the 1.9 layout.
    pub hash: Option<u32>,
    /// The file's modification time, in seconds since 1970 (`Float64`).
    pub mtime: f64,
    /// The worklist module that included it, as Julia stores it: its
    /// 1-based index in the worklist, or 0 for a file outside the worklist's
    /// modules (e.g. `include_dependency` from `Main`). Always at most the
    /// worklist's length; [`Header::worklist_module`](super::Header::worklist_module)
    /// names it.
    pub module: u32,
    /// The path of submodules below `module` (`write_module_path`), e.g.
    /// `["Sub", "Inner"]` for `Module.Sub.Inner`.
    pub module_path: Names<'a>,
    /// Offset of the entry's path length field.
    pub offset: u64,
}

/// A required package (`binunpack` of the entry's name, base/pkgid.jl).
#[derive(Clone, Debug)]
pub struct Require<'a> {
    /// The worklist module that required it: its 1-based index, or 0 (as
    /// [`Include::module`]).
    pub by: u32,
    /// The required package's name.
    pub name: &'a [u8],
    /// Its UUID (all zero: none).
    pub uuid: Uuid,
    /// Offset of the entry's path length field.
    pub offset: u64,
}

/// A list of `Int32`-length-prefixed strings that ends with a zero length:
/// a module path, or the preference names.
#[derive(Clone, Debug)]
pub struct Names<'a> {
    cursor: Cursor<'a>,
    left: u32,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.left = self.left.checked_sub(1)?;
        self.cursor.name("name length", "name").ok().flatten()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::try_from(self.left).unwrap_or(usize::MAX)))
    }
}

/// Reads a zero-terminated list of names, returning it as [`Names`].
fn names<'a>(c: &mut Cursor<'a>, len: &'static str, field: &'static str) -> Result<Names<'a>, Stop> {
    let start = *c;
    let mut left = 0u32;
    while c.name(len, field)?.is_some() {
        left = left.saturating_add(1);
    }
    Ok(Names { cursor: start, left })
}

/// The compile-time preferences of the worklist.
#[derive(Clone, Debug)]
pub enum Preferences<'a> {
    /// Julia 1.9 to 1.12 and format 13: the names of the preferences read
    /// at compile time, and `get_preferences_hash` of their values.
    Names {
        /// The preference names.
        names: Names<'a>,
        /// The hash of their values (0: Julia could not compute it).
        hash: u64,
    },
    /// Julia 1.13 and formats 14, 15: `get_preferences_blob()`, one string.
    Blob(&'a [u8]),
}

/// An entry as stored, before its name is split into include or require.
struct Raw<'a> {
    name: &'a [u8],
    fsize: Option<u64>,
    hash: Option<u32>,
    mtime: f64,
    /// The worklist index (1-based; 0 for none).
    module: u32,
    module_path: Names<'a>,
    offset: u64,
}

/// Reads one entry, or `None` at the terminating zero length.
fn next_raw<'a>(c: &mut Cursor<'a>, layout: Layout, worklist: u32) -> Result<Option<Raw<'a>>, Stop> {
    let offset = c.at;
    // Julia 1.11.5 src/staticdata_utils.c:808-812.
    let Some(name) = c.name("dependency path length", "dependency path")? else { return Ok(None) };
    let (fsize, hash) = if layout.has_fsize_and_hash() {
        (Some(c.u64("dependency file size")?), Some(c.u32("dependency hash")?))
    } else {
        (None, None)
    };
    let mtime = c.f64("dependency mtime")?;
    // :824 the 1-based worklist index, then (write_module_path) the submodule
    // names, then :830 the zero that ends both.
    let index_at = *c;
    let index = c.i32("dependency module index")?;
    let module = u32::try_from(index).ok().filter(|&i| i <= worklist);
    let Some(module) = module else {
        return Err(index_at.stop("dependency module index", Reason::ModuleIndex { index, worklist }));
    };
    let module_path = if module == 0 {
        Names { cursor: *c, left: 0 }
    } else {
        names(c, "module path name length", "module path name")?
    };
    Ok(Some(Raw { name, fsize, hash, mtime, module, module_path, offset }))
}

/// What a walk of the dependency list found.
#[derive(Clone, Debug)]
pub(crate) struct Summary<'a> {
    pub layout: Layout,
    pub entries_at: u64,
    pub includes: u32,
    pub requires: u32,
    pub preferences: Preferences<'a>,
    pub srctext_pos: u64,
    /// The byte count the header declares.
    pub declared: u64,
}

/// Reads the dependency list at the cursor with `layout`: the entries, the
/// preferences and the source-text position. Fails at the first field that
/// does not decode, or if the byte count differs from what was read.
fn walk<'a>(c: &mut Cursor<'a>, layout: Layout, worklist: u32) -> Result<Summary<'a>, Stop> {
    let start = c.at;
    let declared = c.u64("dependency list byte count")?;
    let entries_at = c.at;
    let (mut includes, mut requires) = (0u32, 0u32);
    while let Some(raw) = next_raw(c, layout, worklist)? {
        if raw.name.first() == Some(&0) {
            requires = requires.saturating_add(1);
            if (raw.name.len() as u64) < 17 {
                let at = Cursor::new(c.data, raw.offset);
                let reason = Reason::ShortRequire { len: raw.name.len() as u64 };
                return Err(at.stop("requires entry", reason));
            }
        } else {
            includes = includes.saturating_add(1);
        }
    }
    let preferences = if layout.preferences_blob() {
        // release-1.13 src/staticdata_utils.c:829-830.
        let len = c.len32("preferences blob length")?;
        Preferences::Blob(c.bytes("preferences blob", len)?)
    } else {
        // 1.11.5 src/staticdata_utils.c:866-870 (or :878, the same bytes).
        let names = names(c, "preference name length", "preference name")?;
        Preferences::Names { names, hash: c.u64("preferences hash")? }
    };
    // The count covers the count itself up to the source-text position
    // (src/staticdata_utils.c:884-886: `pos - initial_pos`).
    let read = c.at.saturating_sub(start);
    let srctext_pos = c.u64("source-text position")?;
    if read != declared {
        let at = Cursor::new(c.data, start);
        return Err(at.stop("dependency list byte count", Reason::DependencyBytes { declared, read }));
    }
    Ok(Summary { layout, entries_at, includes, requires, preferences, srctext_pos, declared })
}

/// Reads the dependency list with the first of `candidates` whose walk
/// decodes and matches the byte count. On failure, reports the first
/// candidate's stop, the one the Julia version chose.
pub(crate) fn read<'a>(
    c: &mut Cursor<'a>,
    candidates: [Option<Layout>; 3],
    worklist: u32,
) -> Result<Summary<'a>, Stop> {
    let mut first: Option<Stop> = None;
    for layout in candidates.into_iter().flatten() {
        let mut attempt = *c;
        match walk(&mut attempt, layout, worklist) {
            Ok(summary) => {
                *c = attempt;
                return Ok(summary);
            }
            Err(stop) => {
                first.get_or_insert(stop);
            }
        }
    }
    // Leave the cursor where the preferred layout stopped.
    let stop = first.unwrap_or(c.stop("dependency list", Reason::Truncated { needed: 8, available: 0 }));
    c.at = stop.offset;
    Err(stop)
}

/// The entries of the dependency list: see
/// [`Header::dependencies`](super::Header::dependencies).
#[derive(Clone, Debug)]
pub struct Dependencies<'a> {
    pub(crate) cursor: Cursor<'a>,
    pub(crate) layout: Layout,
    pub(crate) left: u32,
    /// The worklist's length, which bounds each entry's module index.
    pub(crate) worklist_len: u32,
}

impl<'a> Iterator for Dependencies<'a> {
    type Item = Dependency<'a>;

    fn next(&mut self) -> Option<Dependency<'a>> {
        self.left = self.left.checked_sub(1)?;
        let raw = next_raw(&mut self.cursor, self.layout, self.worklist_len).ok().flatten()?;
        let module = raw.module;
        let Some(packed) = raw.name.strip_prefix(&[0]) else {
            let Raw { name, fsize, hash, mtime, module_path, offset, .. } = raw;
            return Some(Dependency::Include(Include { path: name, fsize, hash, mtime, module, module_path, offset }));
        };
        // binpack (base/pkgid.jl): NUL, the UUID as a `UInt128`, the name.
        let mut c = Cursor::new(Data { bytes: packed, ..self.cursor.data }, 0);
        let (hi, lo) = c.u128("requires UUID").ok()?;
        let name = packed.get(16..)?;
        Some(Dependency::Require(Require { by: module, name, uuid: Uuid { hi, lo }, offset: raw.offset }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::try_from(self.left).unwrap_or(usize::MAX)))
    }
}
