//! Julia `.ji` cache files: what a payload that starts with Julia's cache
//! magic says about itself, decoded as Julia's own writers lay it out.
//!
//! [`Header::decode`] reads, in file order and according to the format
//! version (12: Julia 1.9 to 1.13; 13 to 15: Julia's master branch):
//!
//! - the fixed header: magic, version, byte-order mark, pointer size, build
//!   OS, architecture and Julia version; from 15 the GC ABI; from 14 the
//!   [`ImageFlags`] word; the git branch and commit; before 14 the
//!   `pkgimage` byte; the checksum and the heap data's positions;
//! - what the header heads ([`Kind`]): a package cache file (the whole cache
//!   header below), the copy of the header in a 1.9-1.13 package-image
//!   library (the module list only), or from 14 a system image (nothing);
//! - the cache header: [`CacheFlags`], the syntax version (13+), the
//!   worklist, the dependency list (included files and required packages),
//!   the preferences, the source-text position, the module list with full
//!   build ids, and the clone targets;
//! - the source text's index, and the 8-byte trailer with both CRCs.
//!
//! Within format 12 the dependency entries and the preferences changed with
//! the Julia release ([`Layout`]); the Julia version string picks the layout
//! and the dependency list's byte count confirms it.
//!
//! Decoding never fails and never allocates: it goes as far as the bytes
//! allow and records in [`Header::stop`] where and why it stopped. The lists
//! are iterators over the bytes. Offsets count from the first byte of the
//! `.ji` data.
//!
//! ```
//! let mut ji = Vec::from(pkgimg::ji::MAGIC);
//! ji.extend_from_slice(&12u16.to_le_bytes()); // format version
//! ji.extend_from_slice(&[0xff, 0xfe]); // byte-order mark 0xFEFF, little-endian
//! let header = pkgimg::ji::Header::decode(&ji);
//! assert_eq!(header.version, Some(12));
//! // The pointer size is missing: decoding stopped there, at offset 12.
//! let stop = header.stop.unwrap();
//! assert_eq!((stop.offset, stop.field), (12, "pointer size"));
//! assert_eq!(stop.to_string(), "pointer size at offset 0xc: needs 1 bytes, only 0 remain");
//! ```

mod cursor;
mod deps;
mod flags;
mod header;
mod modules;
mod tail;

pub use cursor::{Reason, Stop};
pub use deps::{Dependencies, Dependency, Include, Names, Preferences, Require};
pub use flags::{CacheFlags, ImageFlags, Kind, Layout};
pub use modules::{BuildId, Module, Modules, Uuid};
pub use tail::{CloneTarget, CloneTargets, SourceText, SourceTexts, Trailer};

use cursor::Cursor;
use modules::List;

use crate::read::Data;
use crate::Endian;

/// Julia's cache file magic, `"\373jli\r\n\032\n"`.
pub const MAGIC: [u8; 8] = *b"\xfbjli\r\n\x1a\n";

/// The JI format versions this module decodes: 12 (Julia 1.9 to 1.13), 13
/// (the syntax version byte), 14 (the flags word; the heap in the `.ji`)
/// and 15 (the GC ABI string).
pub const VERSIONS: core::ops::RangeInclusive<u16> = 12..=15;

/// The high word of a format 12/13 checksum (`checksum | 0xfafbfcfd << 32`,
/// Julia 1.11.5 src/staticdata.c:3034); the loader rejects any other
/// (src/staticdata.c `jl_validate_cache_file`).
pub const CHECKSUM_MARK: u64 = 0xfafb_fcfd;

/// Whether `payload` starts with the `.ji` magic.
pub fn is_ji(payload: &[u8]) -> bool {
    payload.starts_with(&MAGIC)
}

/// Where a list starts and how many entries it has.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    at: u64,
    count: u32,
}

/// The decoded `.ji` data. Fields are `None` from the first one that could
/// not be decoded on, or where the format version or [`Kind`] has no such
/// field; [`Header::stop`] says where and why decoding stopped.
#[derive(Clone, Debug)]
pub struct Header<'a> {
    /// The JI format version.
    pub version: Option<u16>,
    /// The byte order of the machine that wrote the file, from the BOM.
    pub endian: Option<Endian>,
    /// `sizeof(void*)` on that machine.
    pub pointer_size: Option<u8>,
    /// Build OS (`JL_BUILD_UNAME`), e.g. "Linux".
    pub build_os: Option<&'a [u8]>,
    /// Build architecture (`JL_BUILD_ARCH`), e.g. "x86_64".
    pub build_arch: Option<&'a [u8]>,
    /// Julia version string, e.g. "1.11.5".
    pub julia_version: Option<&'a [u8]>,
    /// The GC ABI string (`jl_gc_image_abi()`); format 15 on.
    pub gc_abi: Option<&'a [u8]>,
    /// The flags word; formats 14 and 15.
    pub image_flags: Option<ImageFlags>,
    /// The `pkgimage` byte; formats 12 and 13. Every `.ji` Julia writes has
    /// 0; 1 marks the header copy in a package-image library.
    pub pkgimage: Option<u8>,
    /// Git branch of the Julia build (from 14, only in a package image).
    pub git_branch: Option<&'a [u8]>,
    /// Git commit of the Julia build (from 14, only in a package image).
    pub git_commit: Option<&'a [u8]>,
    /// The checksum: before 14 a `u64`, `0xfafbfcfd << 32` or'ed with the
    /// CRC-32C of the heap data; from 14 that CRC-32C alone.
    pub checksum: Option<u64>,
    /// Where the heap data starts (0 in a split 12/13 `.ji`, whose data is in
    /// the library).
    pub data_start: Option<u64>,
    /// Where the heap data ends.
    pub data_end: Option<u64>,
    /// What the header heads.
    pub kind: Option<Kind>,
    /// The cache flags.
    pub cache_flags: Option<CacheFlags>,
    /// The syntax version; format 13 on.
    pub syntax_version: Option<u8>,
    /// The layout the dependency list was read with.
    pub layout: Option<Layout>,
    /// The dependency list's byte count, as declared (and matched).
    pub dependency_bytes: Option<u64>,
    /// The compile-time preferences.
    pub preferences: Option<Preferences<'a>>,
    /// Where the source text starts (0: none recorded).
    pub srctext_pos: Option<u64>,
    /// The clone targets blob (empty: no native code, so Julia's loader
    /// expects no library, base/loading.jl:3764 in 1.11.5).
    pub clone_targets: Option<&'a [u8]>,
    /// Just past the source text's terminating zero.
    pub srctext_end: Option<u64>,
    /// The trailer of a cache file.
    pub trailer: Option<Trailer>,
    /// Whether everything the [`Kind`] has was decoded.
    pub complete: bool,
    /// Just past the header: after the clone targets (a cache file), the
    /// module list (a library copy) or the data positions (a system image).
    pub end: u64,
    /// Where and why decoding stopped, unless it is complete.
    pub stop: Option<Stop>,
    data: Data<'a>,
    worklist: Span,
    includes: u32,
    requires: u32,
    dependencies_at: u64,
    required: Span,
    srctext: Span,
    /// Where the clone targets blob starts in the data.
    clone_targets_at: u64,
}

impl<'a> Header<'a> {
    /// Decodes as much of the `.ji` data as its bytes allow.
    ///
    /// ```
    /// use pkgimg::ji::{Header, Reason};
    /// let header = Header::decode(b"\x7fELF");
    /// assert_eq!((header.version, header.complete), (None, false));
    /// assert_eq!(header.stop.map(|s| (s.offset, s.reason)), Some((0, Reason::NotJi)));
    /// ```
    pub fn decode(data: &'a [u8]) -> Header<'a> {
        Header::decode_with(data, header::fill)
    }

    /// Decodes only the fixed fields every version starts with: magic,
    /// version, byte-order mark, pointer size and the build strings. Reads
    /// a few hundred bytes where [`Header::decode`] reads the whole file
    /// (the trailer's CRC-32C covers it): for a caller that needs only, say,
    /// [`Header::build_os`].
    ///
    /// ```
    /// use pkgimg::ji::{Header, MAGIC};
    /// let mut ji = MAGIC.to_vec();
    /// ji.extend_from_slice(b"\x0c\x00\xff\xfe\x08Linux\0x86_64\01.11.5\0");
    /// let header = Header::decode_prologue(&ji);
    /// assert_eq!((header.version, header.build_os), (Some(12), Some(&b"Linux"[..])));
    /// // Nothing after the prologue was read, so no trailer either.
    /// assert!(header.trailer.is_none() && !header.complete && header.stop.is_none());
    /// ```
    pub fn decode_prologue(data: &'a [u8]) -> Header<'a> {
        let header = Header::decode_with(data, |h, c| header::prologue(h, c).map(drop));
        // The rest of what its kind has was not read.
        Header { complete: false, ..header }
    }

    fn decode_with(
        data: &'a [u8],
        fill: impl FnOnce(&mut Header<'a>, &mut Cursor<'a>) -> Result<(), Stop>,
    ) -> Header<'a> {
        let data = Data::new(data, 0, "the .ji data");
        let mut header = Header {
            version: None,
            endian: None,
            pointer_size: None,
            build_os: None,
            build_arch: None,
            julia_version: None,
            gc_abi: None,
            image_flags: None,
            pkgimage: None,
            git_branch: None,
            git_commit: None,
            checksum: None,
            data_start: None,
            data_end: None,
            kind: None,
            cache_flags: None,
            syntax_version: None,
            layout: None,
            dependency_bytes: None,
            preferences: None,
            srctext_pos: None,
            clone_targets: None,
            srctext_end: None,
            trailer: None,
            complete: false,
            end: 0,
            stop: None,
            data,
            worklist: Span::default(),
            includes: 0,
            requires: 0,
            dependencies_at: 0,
            required: Span::default(),
            srctext: Span::default(),
            clone_targets_at: 0,
        };
        let mut cursor = Cursor::new(data, 0);
        match fill(&mut header, &mut cursor) {
            Ok(()) => header.complete = true,
            Err(stop) => {
                // Stopped inside the header: it was read up to the stop.
                if header.end == 0 {
                    header.end = stop.offset.min(data.len());
                }
                header.stop = Some(stop);
            }
        }
        header
    }

    fn cursor(&self, at: u64) -> Cursor<'a> {
        Cursor::new(self.data, at)
    }

    /// The modules this cache file provides (`write_worklist_for_header`).
    pub fn worklist(&self) -> Modules<'a> {
        let checksum = self.checksum.unwrap_or(0);
        let list = List::Worklist { checksum };
        Modules { cursor: self.cursor(self.worklist.at), list, left: self.worklist.count }
    }

    /// How many worklist entries were decoded.
    pub fn worklist_len(&self) -> u32 {
        self.worklist.count
    }

    /// The name of worklist module `index` (1-based, as a dependency entry
    /// stores it; `None` for 0 or past the end). It walks the worklist from
    /// its start: to name many entries, collect [`Header::worklist`] once.
    pub fn worklist_module(&self, index: u32) -> Option<&'a [u8]> {
        let nth = usize::try_from(index.checked_sub(1)?).ok()?;
        self.worklist().nth(nth).map(|m| m.name)
    }

    /// The name of the package: the first worklist module (the one the
    /// loader checks, base/loading.jl:3782 in 1.11.5, `id = first(modules)`).
    pub fn package(&self) -> Option<&'a [u8]> {
        self.worklist().next().map(|m| m.name)
    }

    /// The dependency list's entries, includes and requires in file order.
    pub fn dependencies(&self) -> Dependencies<'a> {
        Dependencies {
            cursor: self.cursor(self.dependencies_at),
            layout: self.layout.unwrap_or(Layout::V1_11),
            left: if self.layout.is_some() { self.includes.saturating_add(self.requires) } else { 0 },
            worklist_len: self.worklist.count,
        }
    }

    /// The included files.
    pub fn includes(&self) -> impl Iterator<Item = Include<'a>> + 'a {
        self.dependencies().filter_map(|d| match d {
            Dependency::Include(i) => Some(i),
            Dependency::Require(_) => None,
        })
    }

    /// How many included files there are.
    pub fn includes_len(&self) -> u32 {
        self.includes
    }

    /// The required packages.
    pub fn requires(&self) -> impl Iterator<Item = Require<'a>> + 'a {
        self.dependencies().filter_map(|d| match d {
            Dependency::Require(r) => Some(r),
            Dependency::Include(_) => None,
        })
    }

    /// How many required packages there are.
    pub fn requires_len(&self) -> u32 {
        self.requires
    }

    /// The module list (`write_mod_list`): every module that must be loaded,
    /// with the build id it must have.
    pub fn required_modules(&self) -> Modules<'a> {
        Modules { cursor: self.cursor(self.required.at), list: List::Required, left: self.required.count }
    }

    /// How many module list entries were decoded.
    pub fn required_modules_len(&self) -> u32 {
        self.required.count
    }

    /// The CPU targets in the clone targets blob, in the layout of the
    /// header's format version (see [`CloneTargets`]); their offsets, and
    /// those of a stop, count from the start of the `.ji` data.
    pub fn clone_target_list(&self) -> CloneTargets<'a> {
        let blob = self.clone_targets.unwrap_or_default();
        // The data up to the blob's end, so no target reads past it.
        let end = self.clone_targets_at.saturating_add(blob.len() as u64);
        let bytes = usize::try_from(end).ok().and_then(|end| self.data.bytes.get(..end)).unwrap_or_default();
        let data = Data { bytes, ..self.data };
        let wide = self.version.is_some_and(|v| v >= header::WIDE_CLONE_TARGETS_SINCE);
        CloneTargets { cursor: Cursor::new(data, self.clone_targets_at), left: None, failed: blob.is_empty(), wide }
    }

    /// The files of the source-text section.
    pub fn source_text(&self) -> SourceTexts<'a> {
        SourceTexts { cursor: self.cursor(self.srctext.at), left: self.srctext.count }
    }

    /// How many files the source-text section has.
    pub fn source_text_len(&self) -> u32 {
        self.srctext.count
    }

    /// Whether Julia's loader takes this cache to have native code, in a
    /// library beside it: the clone targets are not empty (base/loading.jl:3764
    /// in 1.11.5, master :4588).
    pub fn native_code(&self) -> Option<bool> {
        self.clone_targets.map(|t| !t.is_empty())
    }

    /// The heap data, bytes `data_start..data_end` of the `.ji`: `None`
    /// when the positions were not decoded or are both 0 (a 12/13 `.ji`
    /// with clone targets, whose heap is in its code library); `Err(len)`
    /// when they do not lie in order inside the `len` bytes of the data.
    pub fn heap(&self) -> Option<Result<&'a [u8], u64>> {
        let (start, end) = (self.data_start?, self.data_end?);
        if (start, end) == (0, 0) {
            return None;
        }
        let bytes = self.data.bytes;
        let range = usize::try_from(start).ok().zip(usize::try_from(end).ok());
        Some(range.and_then(|(start, end)| bytes.get(start..end)).ok_or(bytes.len() as u64))
    }

    /// Whether Julia's loader reads past the source-text section with no
    /// error where decoding of it stopped (a field named "source-text ..." or
    /// "source text"). Julia 1.9 and 1.10 never read it at load: only
    /// `parse_cache_header(cachefile; srcfiles_only=true)` does (1.9.4
    /// base/loading.jl:2411-2418; `stale_cachefile` calls the IO method,
    /// :2719). From 1.11, `_parse_cache_header` ends with `srctext_files`
    /// (1.11.5 :3325, master :3949), which reads the whole file, trailer
    /// included: see `tail::srctext_files_ends` (review 20 F2, review 21
    /// F1 and F2).
    pub fn source_text_passed_over(&self) -> bool {
        let Some(stop) = self.stop else { return false };
        if !(stop.field.starts_with("source-text") || stop.field == "source text") {
            return false;
        }
        if self.version == Some(12) && matches!(self.julia_minor(), Some(9 | 10)) {
            return true;
        }
        self.srctext_pos.is_some_and(|pos| tail::srctext_files_ends(self.data, pos))
    }

    /// The minor version of the Julia that wrote the file (`1.x...`), if
    /// its version string is one.
    pub fn julia_minor(&self) -> Option<u32> {
        flags::minor_version(self.julia_version?)
    }

    /// The CRC-32C of the heap data that the checksum carries: its low word
    /// before format 14, all of it from 14.
    pub fn heap_crc32c(&self) -> Option<u32> {
        self.checksum.map(|c| (c & 0xffff_ffff) as u32)
    }

    /// For formats 12 and 13, whether the checksum's high word is
    /// [`CHECKSUM_MARK`]; `None` from 14 (a `u32` checksum has no mark).
    pub fn checksum_marked(&self) -> Option<bool> {
        match (self.version, self.checksum) {
            (Some(12 | 13), Some(c)) => Some(c >> 32 == CHECKSUM_MARK),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
