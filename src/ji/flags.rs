//! The flag words of a `.ji` header, what the header is the header of, and
//! which of Julia's layouts its dependency list and preferences follow.

use core::fmt;

/// The cache flags byte, `jl_cache_flags()`: "OOICCDDP" from bit 7 down.
///
/// Julia 1.11.5 src/staticdata_utils.c:625 (`jl_cache_flags`): bit 0
/// `use_pkgimages`, bits 1-2 `debug_level`, bits 3-4 `check_bounds`, bit 5
/// `can_inline`, bits 6-7 `opt_level`; base/loading.jl:1628 decodes it the
/// same way (`CacheFlags(f::UInt8)`).
///
/// ```
/// use pkgimg::ji::CacheFlags;
/// let f = CacheFlags(0b1010_0011); // -O2, inline, check-bounds 0, -g1, pkgimages
/// assert_eq!(
///     f.to_string(),
///     "CacheFlags(; use_pkgimages=true, debug_level=1, check_bounds=0, inline=true, opt_level=2)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheFlags(pub u8);

impl CacheFlags {
    /// `bits` bits of the byte, starting at bit `from`.
    fn field(self, from: u32, bits: u32) -> u8 {
        let mask = u8::MAX.checked_shr(8u32.saturating_sub(bits)).unwrap_or(0);
        self.0.checked_shr(from).unwrap_or(0) & mask
    }

    /// `use_pkgimages`: the writing session had package images enabled.
    pub fn use_pkgimages(self) -> bool {
        self.field(0, 1) != 0
    }

    /// `debug_level`, 0 to 3 (`-g`).
    pub fn debug_level(self) -> u8 {
        self.field(1, 2)
    }

    /// `check_bounds`, 0 to 3 (`--check-bounds`: 0 default, 1 yes, 2 no).
    pub fn check_bounds(self) -> u8 {
        self.field(3, 2)
    }

    /// `inline` (`--inline`).
    pub fn inline(self) -> bool {
        self.field(5, 1) != 0
    }

    /// `opt_level`, 0 to 3 (`-O`).
    pub fn opt_level(self) -> u8 {
        self.field(6, 2)
    }
}

/// As Julia 1.11 and later print it (base/loading.jl:1675 in 1.11.5,
/// `show(io, cf::CacheFlags)`).
impl fmt::Display for CacheFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CacheFlags(; use_pkgimages={}, debug_level={}, check_bounds={}, inline={}, opt_level={})",
            self.use_pkgimages(),
            self.debug_level(),
            self.check_bounds(),
            self.inline(),
            self.opt_level()
        )
    }
}

/// The `u32` flags word of format versions 14 and 15.
///
/// Julia master src/staticdata_utils.c:720-723: `JI_FLAG_PKGIMAGE` (bit 0,
/// "this .ji is for an incremental image and not a system image") and
/// `JI_FLAG_SPLIT` (bit 1, "this .ji must be loaded from the associated
/// native image").
///
/// ```
/// use pkgimg::ji::ImageFlags;
/// assert_eq!(ImageFlags(3).to_string(), "0x3 (JI_FLAG_PKGIMAGE | JI_FLAG_SPLIT)");
/// assert_eq!(ImageFlags(0).to_string(), "0x0 (a system image, not split)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageFlags(pub u32);

impl ImageFlags {
    /// `JI_FLAG_PKGIMAGE`.
    pub const PKGIMAGE: u32 = 1;
    /// `JI_FLAG_SPLIT`.
    pub const SPLIT: u32 = 2;

    /// A package (incremental) image, not a system image; the git branch
    /// and commit follow the flags only then.
    pub fn pkgimage(self) -> bool {
        self.0 & Self::PKGIMAGE != 0
    }

    /// Split: the native code is in a library beside the `.ji`, which holds
    /// the heap image; the library's `jl_system_image_checksum` must equal the
    /// header's checksum.
    pub fn split(self) -> bool {
        self.0 & Self::SPLIT != 0
    }

    /// Bits Julia does not define.
    pub fn unknown(self) -> u32 {
        self.0 & !(Self::PKGIMAGE | Self::SPLIT)
    }
}

impl fmt::Display for ImageFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x} (", self.0)?;
        match (self.pkgimage(), self.split()) {
            (true, true) => f.write_str("JI_FLAG_PKGIMAGE | JI_FLAG_SPLIT")?,
            (true, false) => f.write_str("JI_FLAG_PKGIMAGE: a package image, not split")?,
            (false, true) => f.write_str("JI_FLAG_SPLIT: a split system image")?,
            (false, false) => f.write_str("a system image, not split")?,
        }
        if self.unknown() != 0 {
            write!(f, "; unknown bits {:#x}", self.unknown())?;
        }
        f.write_str(")")
    }
}

/// What the header heads, from the `pkgimage` byte (12, 13) or
/// [`ImageFlags::pkgimage`] (14, 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A package cache file, as Julia writes `Foo_xyz.ji`: `pkgimage` 0, or
    /// `JI_FLAG_PKGIMAGE` set. The whole cache header follows, then (12, 13)
    /// the source text or (14, 15) the heap image and the source text, then
    /// the trailer.
    Cache,
    /// Versions 12 and 13 only: the copy of the header that starts
    /// `jl_system_image_data` in a package-image library (`write_header(ff,
    /// 1)`, Julia 1.11.5 src/staticdata.c:2986). Only the cache flags, the
    /// syntax version (13) and the module list follow; the data positions
    /// count from the copy's first byte; there is no trailer.
    LibraryCopy,
    /// Versions 14 and 15: a system image (`JI_FLAG_PKGIMAGE` clear). Nothing
    /// but padding and the heap follows the header.
    SystemImage,
}

impl Kind {
    /// A short description.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cache => "package cache",
            Kind::LibraryCopy => "header copy in a package-image library",
            Kind::SystemImage => "system image",
        }
    }
}

/// The layout of the dependency list's entries and of the preferences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Julia 1.9 and 1.10: an entry is the path and its mtime; preferences
    /// are a list of names and a `u64` hash (1.10.9 src/staticdata_utils.c:730-793).
    V1_9,
    /// Julia 1.11 and 1.12, and format 13: the entry gains the file size and
    /// a CRC-32C of its contents before the mtime (1.11.5
    /// src/staticdata_utils.c:810-812); preferences as in 1.9.
    V1_11,
    /// Julia 1.13, and formats 14 and 15: entries as in 1.11; the preferences
    /// are one length-prefixed blob (release-1.13 src/staticdata_utils.c:829-830).
    V1_13,
}

impl Layout {
    /// Whether an include entry has the file size and hash.
    pub fn has_fsize_and_hash(self) -> bool {
        !matches!(self, Layout::V1_9)
    }

    /// Whether the preferences are one blob (else names and a hash).
    pub fn preferences_blob(self) -> bool {
        matches!(self, Layout::V1_13)
    }

    /// The Julia releases that write it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::V1_9 => "Julia 1.9-1.10 (path, mtime; preference names and hash)",
            Layout::V1_11 => "Julia 1.11-1.12 (path, size, hash, mtime; preference names and hash)",
            Layout::V1_13 => "Julia 1.13+ (path, size, hash, mtime; preferences blob)",
        }
    }

    /// The layouts to try for format `version` and Julia version string
    /// `julia`, the likeliest first. Within format 12 the Julia release
    /// decides; the dependency list's byte count confirms the choice.
    pub(crate) fn candidates(version: u16, julia: &[u8]) -> [Option<Layout>; 3] {
        match version {
            13 => [Some(Layout::V1_11), None, None],
            14.. => [Some(Layout::V1_13), None, None],
            _ => match minor_version(julia) {
                Some(9 | 10) => [Some(Layout::V1_9), Some(Layout::V1_11), Some(Layout::V1_13)],
                Some(13..) => [Some(Layout::V1_13), Some(Layout::V1_11), Some(Layout::V1_9)],
                _ => [Some(Layout::V1_11), Some(Layout::V1_9), Some(Layout::V1_13)],
            },
        }
    }
}

/// The minor version of a Julia `1.x...` version string.
pub(crate) fn minor_version(julia: &[u8]) -> Option<u32> {
    let rest = julia.strip_prefix(b"1.")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit());
    let mut minor: u32 = 0;
    let mut any = false;
    for &d in digits {
        minor = minor.checked_mul(10)?.checked_add(u32::from(d.checked_sub(b'0')?))?;
        any = true;
    }
    any.then_some(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_versions() {
        assert_eq!(minor_version(b"1.11.5"), Some(11));
        assert_eq!(minor_version(b"1.9.4"), Some(9));
        assert_eq!(minor_version(b"1.13.0-rc1"), Some(13));
        assert_eq!(minor_version(b"1.14.0-DEV.1234"), Some(14));
        assert_eq!(minor_version(b"2.0"), None);
        assert_eq!(minor_version(b"1."), None);
        assert_eq!(minor_version(b"1.99999999999"), None);
    }

    #[test]
    fn candidates_follow_the_release() {
        assert_eq!(Layout::candidates(12, b"1.10.9")[0], Some(Layout::V1_9));
        assert_eq!(Layout::candidates(12, b"1.12.5")[0], Some(Layout::V1_11));
        assert_eq!(Layout::candidates(12, b"1.13.0")[0], Some(Layout::V1_13));
        assert_eq!(Layout::candidates(12, b"garbage")[0], Some(Layout::V1_11));
        assert_eq!(Layout::candidates(13, b"1.13.0-DEV"), [Some(Layout::V1_11), None, None]);
        assert_eq!(Layout::candidates(15, b"1.14.0-DEV"), [Some(Layout::V1_13), None, None]);
    }

    #[test]
    fn cache_flag_bits() {
        let f = CacheFlags(0b0101_0110);
        assert!(!f.use_pkgimages());
        assert_eq!((f.debug_level(), f.check_bounds(), f.inline(), f.opt_level()), (3, 2, false, 1));
    }

    #[test]
    fn image_flags_text() {
        assert_eq!(ImageFlags(1).to_string(), "0x1 (JI_FLAG_PKGIMAGE: a package image, not split)");
        assert_eq!(ImageFlags(6).to_string(), "0x6 (JI_FLAG_SPLIT: a split system image; unknown bits 0x4)");
    }
}
