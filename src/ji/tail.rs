//! What follows the module list: the clone targets, the source text (found
//! through the header's source-text position), and the 8-byte trailer.

use super::cursor::{Cursor, Stop};

/// One CPU target the native code was compiled for, from the clone-targets
/// blob (`jl_get_llvm_clone_targets`, read back by `parse_image_target`:
/// base/loading.jl:1698-1708 in Julia 1.11.5, :1994-2007 on master).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloneTarget<'a> {
    /// The target's flags word.
    pub flags: u32,
    /// The index of the target this one is cloned from (`base`; negative:
    /// none); stored from format 14 on, `None` before.
    pub base: Option<i32>,
    /// The CPU name, e.g. "x86-64-v3" or "generic".
    pub name: &'a [u8],
    /// How many feature words each of the enabled and disabled sets has:
    /// `u32` words before format 14, `u64` words from 14 on.
    pub feature_words: u32,
    /// Extra LLVM feature string, e.g. "-rdrnd,+sse3".
    pub ext_features: &'a [u8],
    /// Offset of the entry in the `.ji` data.
    pub offset: u64,
}

/// The targets in a clone-targets blob: an `Int32` count, then per target
/// `Int32` flags, from format 14 an `Int32` base, an `Int32` feature-word
/// count, the enabled and disabled feature words (4 bytes each before
/// format 14, 8 from 14 on), and the length-prefixed name and extra
/// features (base/loading.jl:1698-1718 in Julia 1.11.5 and at commit
/// 3484331 (format 13) :1882-1892; :1994-2007 at ad84450 (format 14) and on
/// master). Yields an error, once, where the blob does not decode.
#[derive(Clone, Debug)]
pub struct CloneTargets<'a> {
    pub(crate) cursor: Cursor<'a>,
    pub(crate) left: Option<u32>,
    pub(crate) failed: bool,
    /// The layout of format 14 on: a base index and `u64` feature words.
    pub(crate) wide: bool,
}

impl<'a> CloneTargets<'a> {
    fn target(&mut self) -> Result<CloneTarget<'a>, Stop> {
        let c = &mut self.cursor;
        let offset = c.at;
        let flags = c.u32("clone target flags")?;
        let base = if self.wide { Some(c.i32("clone target base")?) } else { None };
        let feature_words = c.len32("clone target feature count")?;
        let words = feature_words.saturating_mul(if self.wide { 8 } else { 4 });
        c.bytes("clone target enabled features", words)?;
        c.bytes("clone target disabled features", words)?;
        let len = c.len32("clone target name length")?;
        let name = c.bytes("clone target name", len)?;
        let len = c.len32("clone target feature string length")?;
        let ext_features = c.bytes("clone target feature string", len)?;
        let feature_words = u32::try_from(feature_words).unwrap_or(u32::MAX);
        Ok(CloneTarget { flags, base, name, feature_words, ext_features, offset })
    }
}

impl<'a> Iterator for CloneTargets<'a> {
    type Item = Result<CloneTarget<'a>, Stop>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let left = match self.left {
            Some(left) => left,
            None => match self.cursor.len32("clone target count") {
                Ok(n) => u32::try_from(n).unwrap_or(u32::MAX),
                Err(stop) => {
                    self.failed = true;
                    return Some(Err(stop));
                }
            },
        };
        // Stored even at the end, so that a count of 0 is not read again.
        self.left = Some(left.saturating_sub(1));
        left.checked_sub(1)?;
        let target = self.target();
        self.failed = target.is_err();
        Some(target)
    }
}

/// One file of the source-text section (`write_srctext`, Julia 1.11.5
/// src/precompile.c:24-96).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceText<'a> {
    /// The file's path (from 1.11, possibly starting with `@depot`).
    pub path: &'a [u8],
    /// The file's text.
    pub text: &'a [u8],
    /// Offset of the text.
    pub text_offset: u64,
    /// Offset of the entry's path length field.
    pub offset: u64,
}

/// Reads one source-text entry, or `None` at the terminating zero length.
pub(crate) fn next_source<'a>(c: &mut Cursor<'a>) -> Result<Option<SourceText<'a>>, Stop> {
    let offset = c.at;
    // src/precompile.c:80-87 (1.11.5): Int32 path length, path, UInt64 text
    // length, text; :96 an Int32 0 ends the section.
    let Some(path) = c.name("source-text path length", "source-text path")? else { return Ok(None) };
    let len = c.u64("source-text length")?;
    let text_offset = c.at;
    let text = c.bytes("source text", len)?;
    Ok(Some(SourceText { path, text, text_offset, offset }))
}

/// Whether Julia's `srctext_files` (master base/loading.jl:4112-4125,
/// 1.11.5 :3488-3501) ends with no error reading `data`, the whole `.ji`,
/// from `pos`. It loops `while !eof(f)`: an `Int32` name length (0 ends
/// the loop; too few bytes: `EOFError`; negative: `read` throws), the name
/// (`read(f, n)` takes what there is), a `UInt64` text length, and
/// `seek(f, position(f) + len)`, where `Int64 + UInt64` wraps as `UInt64`
/// and `seek` throws an `InexactError` past `typemax(Int64)`. A position
/// seen twice is a loop Julia never leaves: Brent's method finds one within
/// twice the steps to its second visit (review 22 F9: counting to the file's
/// length took 2 s for a 200 MiB file), and more steps than there are
/// positions in the file must have repeated one.
pub(crate) fn srctext_files_ends(data: crate::read::Data<'_>, pos: u64) -> bool {
    // The position is an Int64: a negative one fails the first seek
    // (`lseek` gives EINVAL; review 22 F1).
    if i64::try_from(pos).is_err() {
        return false;
    }
    let len = data.len();
    let mut c = Cursor::new(data, pos);
    let mut steps = len.saturating_add(1);
    // Brent: the position at the start of the current power-of-two run.
    let (mut saved, mut run, mut power) = (pos, 0u64, 1u64);
    while c.at < len {
        let Some(left) = steps.checked_sub(1) else { return false };
        steps = left;
        if run == power {
            (saved, run, power) = (c.at, 0, power.saturating_mul(2));
        }
        run = run.saturating_add(1);
        let Ok(name_len) = c.i32("source-text path length") else { return false };
        let Ok(name_len) = u64::try_from(name_len) else { return false };
        if name_len == 0 {
            return true;
        }
        c.at = c.at.saturating_add(name_len).min(len);
        let Ok(text_len) = c.u64("source-text length") else { return false };
        let next = c.at.wrapping_add(text_len);
        if i64::try_from(next).is_err() {
            return false;
        }
        c.at = next;
        if c.at == saved {
            return false;
        }
    }
    true
}

/// The files of the source-text section: see
/// [`Header::source_text`](super::Header::source_text).
#[derive(Clone, Debug)]
pub struct SourceTexts<'a> {
    pub(crate) cursor: Cursor<'a>,
    pub(crate) left: u32,
}

impl<'a> Iterator for SourceTexts<'a> {
    type Item = SourceText<'a>;

    fn next(&mut self) -> Option<SourceText<'a>> {
        self.left = self.left.checked_sub(1)?;
        next_source(&mut self.cursor).ok().flatten()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::try_from(self.left).unwrap_or(usize::MAX)))
    }
}

/// The last 8 bytes of a cache file, appended by `compilecache`
/// (base/loading.jl:3106-3108 in Julia 1.11.5) in the writer's byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Offset of the first word.
    pub offset: u64,
    /// CRC-32C of the whole code library beside the `.ji` (0 if none),
    /// which `isvalid_pkgimage_crc` checks (base/loading.jl:3190).
    pub library_crc32c: u32,
    /// CRC-32C of every byte before this word, as recorded.
    pub ji_crc32c: u32,
    /// The CRC-32C of those bytes, computed (`isvalid_file_crc`,
    /// base/loading.jl:3188).
    pub computed_crc32c: u32,
}

impl Trailer {
    /// Whether the recorded CRC of the `.ji` bytes matches the computed one.
    pub fn ji_crc_ok(&self) -> bool {
        self.ji_crc32c == self.computed_crc32c
    }

    /// Whether `library` (the whole code library file beside the `.ji`) has
    /// the recorded CRC-32C, as `isvalid_pkgimage_crc` checks it
    /// (base/loading.jl:3190-3195 in 1.11.5). Reads every byte of `library`.
    /// Not meaningful for a `.ji` carried by its library (docs/FORMAT.md 7.6).
    pub fn library_crc_ok(&self, library: &[u8]) -> bool {
        crate::crc::crc32c(library) == self.library_crc32c
    }
}
