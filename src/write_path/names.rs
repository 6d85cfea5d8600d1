//! The one naming scheme of temporary files, for every writer:
//!
//! - `.NAME.pkgimg-XXXXXX` beside a destination called NAME, where `XXXXXX`
//!   is six lowercase hex digits, different for every attempt;
//! - `.pkgimg-HHHHHHHHHHHHHHHH-XXXXXX` when that would not fit in a file
//!   name (NAME longer than 240 bytes, or a file system whose names are
//!   shorter than 255 bytes), where the 16 hex digits are a hash of NAME.
//!
//! Both are hidden, both say what made them, and both tie the file to its
//! destination exactly, so that a later run for the same destination can
//! find the ones a killed process left behind.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The longest file name (one path component) in bytes, on the common file
/// systems (ext4, XFS, Btrfs, APFS, tmpfs).
pub(super) const NAME_MAX: usize = 255;

const MARK: &[u8] = b".pkgimg-";
const TAG_DIGITS: usize = 6;
const HASH_DIGITS: usize = 16;

/// `.NAME.pkgimg-XXXXXX`, if it fits in `NAME_MAX` bytes.
pub(super) fn long_form(name: &OsStr, tag: u32) -> Option<OsString> {
    let mut bytes = Vec::with_capacity(NAME_MAX);
    bytes.push(b'.');
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(MARK);
    bytes.extend_from_slice(format!("{:06x}", tag & 0xff_ffff).as_bytes());
    (bytes.len() <= NAME_MAX).then(|| OsString::from_vec(bytes))
}

/// `.pkgimg-HHHHHHHHHHHHHHHH-XXXXXX`: 31 bytes, whatever the destination's name.
pub(super) fn short_form(name: &OsStr, tag: u32) -> OsString {
    OsString::from(format!(".pkgimg-{:016x}-{:06x}", fnv1a(name.as_bytes()), tag & 0xff_ffff))
}

/// The suffix of the destination that holds a compressed payload while an
/// output NAME is written with `--compress` ([`companion`] of NAME): its
/// dead writers' files are removed by any later write of NAME.
pub(crate) const COMPRESS_SCRATCH: &str = ".pkgimg-zstd";

/// The name of a file of the destination called `name`: NAME and then
/// `suffix`, or `.pkgimg-HHHHHHHHHHHHHHHH` and then `suffix` (the hash of
/// NAME, as in [`short_form`]) when that would pass `NAME_MAX`, so that every
/// legal NAME has one, and the same one in every run.
pub(crate) fn companion(name: &OsStr, suffix: &str) -> OsString {
    let mut long = name.to_os_string();
    long.push(suffix);
    if long.len() <= NAME_MAX {
        return long;
    }
    OsString::from(format!(".pkgimg-{:016x}{suffix}", fnv1a(name.as_bytes())))
}

/// Whether `candidate` is a temporary file of the destination called `name`,
/// in either form.
pub(super) fn belongs_to(candidate: &OsStr, name: &OsStr) -> bool {
    let c = candidate.as_bytes();
    let long = c
        .strip_prefix(b".")
        .and_then(|rest| rest.strip_prefix(name.as_bytes()))
        .and_then(|rest| rest.strip_prefix(MARK))
        .is_some_and(is_tag);
    long || short_parts(c).is_some_and(|(hash, _)| hash == format!("{:016x}", fnv1a(name.as_bytes())).as_bytes())
}

/// Whether `name` is a temporary file of this scheme: a partial output, or
/// one left behind by a process that was killed. Directory walkers skip
/// these (`jiscan scan` counts them in its summary).
///
/// ```
/// use std::ffi::OsStr;
/// use pkgimg::write_path::is_temporary_name;
/// assert!(is_temporary_name(OsStr::new(".libFoo.so.pkgimg-0a1b2c")));
/// assert!(is_temporary_name(OsStr::new(".pkgimg-00112233445566ff-0a1b2c")));
/// assert!(!is_temporary_name(OsStr::new("libFoo.so")));
/// assert!(!is_temporary_name(OsStr::new(".libFoo.so.pkgimg-notHEX")));
/// ```
pub fn is_temporary_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    if short_parts(bytes).is_some() {
        return true;
    }
    let Some(split) = bytes.len().checked_sub(MARK.len().saturating_add(TAG_DIGITS)) else { return false };
    let (head, tail) = bytes.split_at(split);
    head.len() > 1 && head.starts_with(b".") && tail.strip_prefix(MARK).is_some_and(is_tag)
}

/// The hash and tag of a short-form name.
fn short_parts(name: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = name.strip_prefix(MARK)?;
    if rest.len() != HASH_DIGITS.saturating_add(1).saturating_add(TAG_DIGITS) {
        return None;
    }
    let (hash, rest) = rest.split_at(HASH_DIGITS);
    let tag = rest.strip_prefix(b"-")?;
    (hash.iter().all(u8::is_ascii_hexdigit) && is_tag(tag)).then_some((hash, tag))
}

fn is_tag(tag: &[u8]) -> bool {
    tag.len() == TAG_DIGITS && tag.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// FNV-1a, 64 bits: stable across runs and versions (unlike `std`'s
/// hasher), which a later run needs to find a destination's files.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Review 18 F7: `--compress` needs a file of its own per destination,
    /// and NAME.pkgimg-zstd passed NAME_MAX for names of 244 to 255 bytes.
    #[test]
    fn every_legal_name_gets_a_companion_that_fits() {
        for len in [1usize, 243, 244, 255] {
            let name = OsString::from("k".repeat(len));
            let companion = companion(&name, ".pkgimg-zstd");
            assert!(companion.len() <= NAME_MAX, "{len}");
            assert_eq!(companion.as_bytes().starts_with(name.as_bytes()), len <= 243, "{len}");
            assert_eq!(companion, super::companion(&name, ".pkgimg-zstd"), "{len}: the same in every run");
        }
    }

    #[test]
    fn every_legal_name_gets_a_temporary_name_that_fits() {
        for len in [1usize, 200, 240, 241, 250, 255] {
            let name = OsString::from("n".repeat(len));
            let temp = long_form(&name, 0xabcdef).unwrap_or_else(|| short_form(&name, 0xabcdef));
            assert!(temp.len() <= NAME_MAX, "{len}: {}", temp.len());
            assert!(is_temporary_name(&temp) && belongs_to(&temp, &name), "{len}: {temp:?}");
            assert_eq!(long_form(&name, 1).is_some(), len <= 240, "{len}");
        }
    }

    #[test]
    fn a_temporary_name_belongs_to_one_destination() {
        let (a, b) = (OsStr::new("libA.so"), OsStr::new("libA.so.1"));
        let temp = long_form(a, 7).unwrap();
        assert_eq!(temp, ".libA.so.pkgimg-000007");
        assert!(belongs_to(&temp, a) && !belongs_to(&temp, b));
        let short = short_form(a, 7);
        assert!(belongs_to(&short, a) && !belongs_to(&short, b));
        assert!(!belongs_to(OsStr::new(".libA.so.pkgimg-00000g"), a));
        assert!(!belongs_to(OsStr::new("libA.so"), a));
    }

    #[test]
    fn only_this_schemes_names_are_temporary() {
        for name in [".a.pkgimg-000000", ".pkgimg-0123456789abcdef-ffffff", ".x.y.pkgimg-123abc"] {
            assert!(is_temporary_name(OsStr::new(name)), "{name}");
        }
        for name in
            ["a.pkgimg-000000", "..pkgimg-000000", ".a.pkgimg-00000", ".a.pkgimg-ABCDEF", ".pkgimg-0-000000", ""]
        {
            assert!(!is_temporary_name(OsStr::new(name)), "{name}");
        }
    }
}
