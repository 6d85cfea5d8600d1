//! Ad-hoc code signatures for Mach-O images: read the signature a library
//! already has, and write a fresh one over the modified image.
//!
//! An embedded signature (`LC_CODE_SIGNATURE`) is a big-endian SuperBlob
//! (`0xfade0cc0`) indexing blobs by slot type: the CodeDirectory (`0xfade0c02`,
//! slot 0) holds one hash per page of the image up to `codeLimit` plus hashes
//! of the other blobs ("special slots", at negative indices); a requirements
//! set (`0xfade0c01`, slot 2), entitlements (slots 5 and 7); and for a real
//! signature a CMS blob (`0xfade0b01`, slot 0x10000) signing the CodeDirectory
//! with a certificate. Ad-hoc signatures have no CMS content: `codesign -s -`
//! writes an empty CMS wrapper (8 bytes), linkers write none. References:
//! Apple's `xnu/osfmk/kern/cs_blobs.h` and `Security/OSX/libsecurity_codesigning`.
//!
//! Every page hash covers bytes we move, so the CodeDirectory is rebuilt, with
//! SHA-256 only (the hash every macOS since 10.11.4 and iOS 11 checks), keeping
//! the original's identifier, flags, page size, platform and executable-segment
//! fields. The page hashes are computed over the output file after everything
//! before the signature has been written (a `Deferred` piece of the layout).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use sha2::{Digest, Sha256};

use crate::write::error::InjectError;

fn bad(offset: u64, reason: String) -> InjectError {
    InjectError::refused("Mach-O code signature", offset, reason)
}

const SUPERBLOB: u32 = 0xfade_0cc0;
const CODEDIRECTORY: u32 = 0xfade_0c02;
const REQUIREMENTS: u32 = 0xfade_0c01;
const CMS_WRAPPER: u32 = 0xfade_0b01;

/// Slot types in the SuperBlob index (`cs_blobs.h`, `CSSLOT_*`).
const SLOT_CODEDIRECTORY: u32 = 0;
const SLOT_REQUIREMENTS: u32 = 2;
const SLOT_ALTERNATE_FIRST: u32 = 0x1000;
const SLOT_ALTERNATE_LAST: u32 = 0x1004;
const SLOT_SIGNATURE: u32 = 0x10000;
const SLOT_TICKET: u32 = 0x10002;
/// Blobs whose hash the CodeDirectory carries in special slot `-type`:
/// requirements (2), entitlements (5), DER entitlements (7), and the launch
/// and library constraints (8 to 11). They are copied unchanged.
const HASHED_BLOBS: [u32; 7] = [2, 5, 7, 8, 9, 10, 11];
/// Special slots for things outside the signature (Info.plist 1, resource
/// directory 3, application-specific 4, rep-specific 6): their hashes can
/// only be copied, never recomputed here.
const EXTERNAL_SLOTS: [u32; 4] = [1, 3, 4, 6];

/// `kSecCodeSignatureHashSHA256`.
const HASH_SHA256: u8 = 2;
const SHA256_LEN: u32 = 32;
/// CodeDirectory version with the executable-segment fields
/// (`CS_SUPPORTSEXECSEG`), the version ld64, lld and `codesign` write today.
const VERSION_EXECSEG: u32 = 0x20400;
/// Size of a version 0x20400 CodeDirectory header, up to `execSegFlags`.
const HEADER_LEN: u32 = 88;
/// `CS_ADHOC`, `CS_LINKER_SIGNED`.
const FLAG_ADHOC: u32 = 0x2;
const FLAG_LINKER_SIGNED: u32 = 0x2_0000;
/// The page sizes signatures use: 4 KiB (ld64, lld, codesign) and 16 KiB (zig).
const PAGE_SHIFTS: [u8; 2] = [12, 14];

/// How the existing signature was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No certificate: made by a linker or by `codesign -s -`.
    AdHoc,
    /// A CMS signature with a certificate (Developer ID, App Store, ...).
    Certificate,
}

/// What a new ad-hoc signature keeps from the old one.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    identifier: Vec<u8>,
    team: Option<Vec<u8>>,
    flags: u32,
    platform: u8,
    page_shift: u8,
    exec_seg: [u64; 3],
    /// Special slot hashes, slot 1 first; `None` where the slot's hash is
    /// recomputed from a blob in `blobs`.
    special: Vec<Option<[u8; 32]>>,
    /// Blobs other than the CodeDirectory and CMS, copied verbatim, in slot
    /// order: (slot type, bytes).
    blobs: Vec<(u32, Vec<u8>)>,
    /// Whether to write an empty CMS wrapper, as `codesign -s -` does.
    empty_cms: bool,
}

/// A blob of the SuperBlob: its slot type, offset in the signature and bytes.
struct Blob<'a> {
    slot: u32,
    at: u64,
    bytes: &'a [u8],
}

fn be32(bytes: &[u8], at: u64, what: &str, base: u64) -> Result<u32, InjectError> {
    let field = usize::try_from(at)
        .ok()
        .and_then(|start| bytes.get(start..start.checked_add(4)?))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .ok_or_else(|| bad(base.saturating_add(at), format!("{what} runs past the signature")))?;
    Ok(u32::from_be_bytes(field))
}

fn be64(bytes: &[u8], at: u64, what: &str, base: u64) -> Result<u64, InjectError> {
    let high = be32(bytes, at, what, base)?;
    let low = be32(bytes, at.saturating_add(4), what, base)?;
    Ok((u64::from(high) << 32) | u64::from(low))
}

fn sub(bytes: &[u8], at: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(at).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

/// The NUL-terminated string at `at` (without the NUL).
fn cstr(bytes: &[u8], at: u64, what: &str, base: u64) -> Result<Vec<u8>, InjectError> {
    let tail = usize::try_from(at).ok().and_then(|a| bytes.get(a..)).unwrap_or(&[]);
    let len = tail
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad(base.saturating_add(at), format!("{what} is not NUL-terminated inside its blob")))?;
    Ok(tail.get(..len).unwrap_or(&[]).to_vec())
}

/// The blobs of the SuperBlob `sig`, which starts at file offset `base`.
fn blobs(sig: &[u8], base: u64) -> Result<Vec<Blob<'_>>, InjectError> {
    let magic = be32(sig, 0, "SuperBlob magic", base)?;
    if magic != SUPERBLOB {
        return Err(bad(base, format!("SuperBlob magic is {magic:#010x}, expected {SUPERBLOB:#010x}")));
    }
    let length = u64::from(be32(sig, 4, "SuperBlob length", base)?);
    let sig = sub(sig, 0, length)
        .ok_or_else(|| bad(base, format!("SuperBlob length {length} exceeds LC_CODE_SIGNATURE datasize")))?;
    let count = u64::from(be32(sig, 8, "SuperBlob count", base)?);
    // Each index entry is 8 bytes: bound the count before looping.
    if count > length / 8 {
        return Err(bad(base.saturating_add(8), format!("{count} blobs cannot fit")));
    }
    let mut out = Vec::new();
    for i in 0..count {
        let entry = 12u64.saturating_add(i.saturating_mul(8));
        let slot = be32(sig, entry, "SuperBlob index", base)?;
        let at = u64::from(be32(sig, entry.saturating_add(4), "SuperBlob index", base)?);
        let len = u64::from(be32(sig, at.saturating_add(4), "blob length", base)?);
        let bytes = sub(sig, at, len).filter(|_| len >= 8).ok_or_else(|| {
            bad(base.saturating_add(at), format!("blob of slot {slot:#x} ({len} bytes) does not fit"))
        })?;
        out.push(Blob { slot, at, bytes });
    }
    Ok(out)
}

/// Reads the signature `sig` (the bytes LC_CODE_SIGNATURE points at, at file
/// offset `base`) and returns what a new ad-hoc signature must keep.
pub(crate) fn read(sig: &[u8], base: u64) -> Result<(Kind, Template), InjectError> {
    let blobs = blobs(sig, base)?;
    // The primary CodeDirectory and its alternates (codesign writes a SHA-1
    // primary and a SHA-256 alternate for old deployment targets). The
    // template is the SHA-256 one if there is one: its special-slot hashes can
    // be reused as they are.
    let directories: Vec<&Blob<'_>> = blobs
        .iter()
        .filter(|b| b.slot == SLOT_CODEDIRECTORY || (SLOT_ALTERNATE_FIRST..=SLOT_ALTERNATE_LAST).contains(&b.slot))
        .collect();
    let mut chosen = None;
    for blob in &directories {
        let at = base.saturating_add(blob.at);
        let magic = be32(blob.bytes, 0, "CodeDirectory magic", at)?;
        if magic != CODEDIRECTORY {
            return Err(bad(
                at,
                format!(
                    "slot {:#x} holds magic {magic:#010x}, expected a CodeDirectory {CODEDIRECTORY:#010x}",
                    blob.slot
                ),
            ));
        }
        let hash_type = blob.bytes.get(37).copied().unwrap_or(0);
        if chosen.is_none() || hash_type == HASH_SHA256 {
            chosen = Some(*blob);
        }
    }
    let cd = chosen.ok_or_else(|| bad(base, "code signature has no CodeDirectory".to_string()))?;
    let at = base.saturating_add(cd.at);
    let b = cd.bytes;
    let version = be32(b, 8, "CodeDirectory version", at)?;
    let flags = be32(b, 12, "CodeDirectory flags", at)?;
    let ident_offset = u64::from(be32(b, 20, "CodeDirectory identOffset", at)?);
    let n_special = be32(b, 24, "CodeDirectory nSpecialSlots", at)?;
    let hash_offset = u64::from(be32(b, 16, "CodeDirectory hashOffset", at)?);
    let header = sub(b, 36, 4).ok_or_else(|| bad(at, "CodeDirectory header is truncated".into()))?;
    let (hash_size, hash_type, platform, page_shift) = match header {
        [a, b, c, d] => (*a, *b, *c, *d),
        _ => (0, 0, 0, 0),
    };
    if !PAGE_SHIFTS.contains(&page_shift) {
        return Err(bad(
            at.saturating_add(39),
            format!("page size 2^{page_shift}; only 4 KiB and 16 KiB pages are supported"),
        ));
    }
    if version >= 0x20100 && be32(b, 44, "CodeDirectory scatterOffset", at)? != 0 {
        return Err(bad(at.saturating_add(44), "scatter vectors are not supported".into()));
    }
    let team = match version >= 0x20200 {
        true => match be32(b, 48, "CodeDirectory teamOffset", at)? {
            0 => None,
            offset => Some(cstr(b, u64::from(offset), "team identifier", at)?),
        },
        false => None,
    };
    // execSegBase/Limit/Flags exist from version 0x20400 on; older
    // directories leave them to be derived from __TEXT by the caller.
    let exec_seg = match version >= VERSION_EXECSEG {
        true => [be64(b, 64, "execSegBase", at)?, be64(b, 72, "execSegLimit", at)?, be64(b, 80, "execSegFlags", at)?],
        false => [u64::MAX; 3],
    };
    let identifier = cstr(b, ident_offset, "identifier", at)?;

    let mut kind = Kind::AdHoc;
    let mut empty_cms = false;
    let mut kept = Vec::new();
    for blob in &blobs {
        match blob.slot {
            SLOT_CODEDIRECTORY | SLOT_ALTERNATE_FIRST..=SLOT_ALTERNATE_LAST => {}
            SLOT_SIGNATURE => {
                let magic = be32(blob.bytes, 0, "CMS blob magic", base.saturating_add(blob.at))?;
                if magic != CMS_WRAPPER {
                    return Err(bad(
                        base.saturating_add(blob.at),
                        format!("slot 0x10000 holds magic {magic:#010x}, expected {CMS_WRAPPER:#010x}"),
                    ));
                }
                // An 8-byte wrapper holds no CMS message: `codesign -s -`'s marker.
                if blob.bytes.len() > 8 {
                    kind = Kind::Certificate;
                } else {
                    empty_cms = true;
                }
            }
            SLOT_TICKET => kind = Kind::Certificate,
            slot if HASHED_BLOBS.contains(&slot) => kept.push((slot, blob.bytes.to_vec())),
            slot => {
                return Err(bad(
                    base.saturating_add(blob.at),
                    format!("blob of unknown slot type {slot:#x}; not re-signing it"),
                ))
            }
        }
    }
    kept.sort_by_key(|(slot, _)| *slot);

    let mut special = Vec::new();
    for slot in 1..=n_special {
        if kept.iter().any(|(s, _)| *s == slot) {
            special.push(None);
            continue;
        }
        let offset = hash_offset
            .checked_sub(u64::from(slot).saturating_mul(u64::from(hash_size)))
            .ok_or_else(|| bad(at.saturating_add(16), "special slots overlap the header".into()))?;
        let hash = sub(b, offset, u64::from(hash_size))
            .ok_or_else(|| bad(at.saturating_add(offset), "special slot runs past the CodeDirectory".into()))?;
        let present = hash.iter().any(|&x| x != 0);
        if !present {
            special.push(Some([0; 32]));
        } else if hash_type == HASH_SHA256 && hash_size == 32 && EXTERNAL_SLOTS.contains(&slot) {
            let mut copy = [0u8; 32];
            copy.copy_from_slice(hash);
            special.push(Some(copy));
        } else {
            return Err(bad(
                at.saturating_add(offset),
                format!(
                    "special slot {slot} hashes something that is not in the signature \
                     (hash type {hash_type}); cannot re-sign"
                ),
            ));
        }
    }
    let mut template =
        Template { identifier, team, flags, platform, page_shift, exec_seg, special, blobs: kept, empty_cms };
    template.cover_blobs();
    Ok((kind, template))
}

impl Template {
    /// The template for replacing a certificate signature by an ad-hoc one:
    /// no team, an empty designated requirement (the old one names the
    /// certificate, which an ad-hoc signature cannot satisfy), an empty CMS
    /// wrapper, as `codesign -f -s -` writes.
    pub(crate) fn ad_hoc_replacement(mut self) -> Template {
        self.team = None;
        self.blobs.retain(|(slot, _)| *slot != SLOT_REQUIREMENTS);
        // An empty requirement set: magic, length 12, count 0.
        let mut empty = Vec::with_capacity(12);
        for word in [REQUIREMENTS, 12, 0] {
            empty.extend_from_slice(&word.to_be_bytes());
        }
        self.blobs.push((SLOT_REQUIREMENTS, empty));
        self.blobs.sort_by_key(|(slot, _)| *slot);
        self.cover_blobs();
        self.flags = (self.flags | FLAG_ADHOC) & !FLAG_LINKER_SIGNED;
        self.empty_cms = true;
        self
    }

    /// Makes every kept blob's special slot hold its hash (`None`: computed
    /// when encoding), as codesign sizes `nSpecialSlots` to the highest one.
    fn cover_blobs(&mut self) {
        for (slot, _) in &self.blobs {
            let index = usize::try_from(*slot).unwrap_or(0);
            if self.special.len() < index {
                self.special.resize(index, Some([0; 32]));
            }
            if let Some(entry) = index.checked_sub(1).and_then(|i| self.special.get_mut(i)) {
                *entry = None;
            }
        }
    }

    /// The page size the page hashes use.
    pub(crate) fn page_size(&self) -> u64 {
        1u64 << self.page_shift
    }

    /// Uses `[base, limit, flags]` for the executable segment if the old
    /// CodeDirectory predates those fields.
    pub(crate) fn default_exec_seg(&mut self, exec_seg: [u64; 3]) {
        if self.exec_seg == [u64::MAX; 3] {
            self.exec_seg = exec_seg;
        }
    }

    /// The flags the new CodeDirectory carries: the old ones plus `CS_ADHOC`.
    /// `CS_LINKER_SIGNED` is kept when the old signature had it: it marks a
    /// signature a build tool made automatically, which `codesign` replaces
    /// without `--force` (llvm-objcopy and install_name_tool keep it the same way).
    pub(crate) fn flags(&self) -> u32 {
        self.flags | FLAG_ADHOC
    }

    fn team_len(&self) -> u64 {
        self.team.as_ref().map_or(0, |t| (t.len() as u64).saturating_add(1))
    }

    fn hash_offset(&self) -> Option<u64> {
        u64::from(HEADER_LEN)
            .checked_add((self.identifier.len() as u64).checked_add(1)?)?
            .checked_add(self.team_len())?
            .checked_add((self.special.len() as u64).checked_mul(u64::from(SHA256_LEN))?)
    }

    fn code_slots(&self, code_limit: u64) -> u64 {
        code_limit.div_ceil(self.page_size())
    }

    fn directory_len(&self, code_limit: u64) -> Option<u64> {
        self.hash_offset()?.checked_add(self.code_slots(code_limit).checked_mul(u64::from(SHA256_LEN))?)
    }

    /// The SuperBlob's length for an image whose signature starts at `code_limit`.
    pub(crate) fn len(&self, code_limit: u64) -> Option<u64> {
        let count = (self.blobs.len() as u64).checked_add(1)?.checked_add(u64::from(self.empty_cms))?;
        let mut len = 12u64.checked_add(count.checked_mul(8)?)?.checked_add(self.directory_len(code_limit)?)?;
        for (_, blob) in &self.blobs {
            len = len.checked_add(blob.len() as u64)?;
        }
        len.checked_add(if self.empty_cms { 8 } else { 0 })
    }

    /// The SuperBlob for an image whose first `code_limit` bytes hash to
    /// `page_hashes` (32 bytes per page, in order).
    pub(crate) fn encode(&self, code_limit: u32, page_hashes: &[u8]) -> Option<Vec<u8>> {
        let limit = u64::from(code_limit);
        let total = u32::try_from(self.len(limit)?).ok()?;
        let cd_len = u32::try_from(self.directory_len(limit)?).ok()?;
        let hash_offset = u32::try_from(self.hash_offset()?).ok()?;
        let n_code = u32::try_from(self.code_slots(limit)).ok()?;
        if page_hashes.len() as u64 != u64::from(n_code).checked_mul(u64::from(SHA256_LEN))? {
            return None;
        }
        let count = u32::try_from(self.blobs.len()).ok()?.checked_add(1)?.checked_add(u32::from(self.empty_cms))?;

        let mut out = Vec::with_capacity(usize::try_from(total).ok()?);
        let put = |out: &mut Vec<u8>, word: u32| out.extend_from_slice(&word.to_be_bytes());
        put(&mut out, SUPERBLOB);
        put(&mut out, total);
        put(&mut out, count);
        // The index: CodeDirectory, the kept blobs in slot order, the CMS wrapper.
        let mut at = 12u32.checked_add(count.checked_mul(8)?)?;
        put(&mut out, SLOT_CODEDIRECTORY);
        put(&mut out, at);
        at = at.checked_add(cd_len)?;
        for (slot, blob) in &self.blobs {
            put(&mut out, *slot);
            put(&mut out, at);
            at = at.checked_add(u32::try_from(blob.len()).ok()?)?;
        }
        if self.empty_cms {
            put(&mut out, SLOT_SIGNATURE);
            put(&mut out, at);
        }

        // The CodeDirectory, version 0x20400 (cs_blobs.h `CS_CodeDirectory`).
        let ident_offset = HEADER_LEN;
        let team_offset = match self.team {
            Some(_) => ident_offset.checked_add(u32::try_from(self.identifier.len()).ok()?.checked_add(1)?)?,
            None => 0,
        };
        let n_special = u32::try_from(self.special.len()).ok()?;
        for word in [
            CODEDIRECTORY,
            cd_len,
            VERSION_EXECSEG,
            self.flags(),
            hash_offset,
            ident_offset,
            n_special,
            n_code,
            code_limit,
        ] {
            put(&mut out, word);
        }
        out.extend_from_slice(&[SHA256_LEN as u8, HASH_SHA256, self.platform, self.page_shift]);
        for word in [0u32 /* spare2 */, 0 /* scatterOffset */, team_offset, 0 /* spare3 */] {
            put(&mut out, word);
        }
        // codeLimit64 stays 0: LC_CODE_SIGNATURE's dataoff is 32 bits, so
        // codeLimit always fits.
        for word in [0u64, self.exec_seg[0], self.exec_seg[1], self.exec_seg[2]] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(&self.identifier);
        out.push(0);
        if let Some(team) = &self.team {
            out.extend_from_slice(team);
            out.push(0);
        }
        // Special slots are stored from the highest slot number down to slot
        // 1, which sits just below hashOffset.
        for slot in (1..=self.special.len()).rev() {
            let hash = match self.special.get(slot.checked_sub(1)?)? {
                Some(hash) => *hash,
                None => {
                    let slot = u32::try_from(slot).ok()?;
                    let (_, blob) = self.blobs.iter().find(|(s, _)| *s == slot)?;
                    Sha256::digest(blob).into()
                }
            };
            out.extend_from_slice(&hash);
        }
        out.extend_from_slice(page_hashes);
        for (_, blob) in &self.blobs {
            out.extend_from_slice(blob);
        }
        if self.empty_cms {
            put(&mut out, CMS_WRAPPER);
            put(&mut out, 8);
        }
        (out.len() as u64 == u64::from(total)).then_some(out)
    }
}

/// SHA-256 of each `page`-byte page of `file[start .. start + len]`; the last
/// page is hashed over the bytes that remain, as the kernel checks it.
pub(crate) fn hash_pages(file: &File, start: u64, len: u64, page: u64) -> std::io::Result<Vec<u8>> {
    let page = usize::try_from(page).map_err(std::io::Error::other)?;
    let mut reader = file;
    reader.seek(SeekFrom::Start(start))?;
    let mut reader = reader.take(len);
    let pages = len.div_ceil(page as u64);
    let mut out = Vec::with_capacity(usize::try_from(pages.saturating_mul(32)).unwrap_or(0));
    // Read many pages per call: the payload can be large.
    let mut buffer = vec![0u8; page.saturating_mul(256)];
    let mut filled = 0usize;
    loop {
        let spare = buffer.get_mut(filled..).unwrap_or(&mut []);
        let n = reader.read(spare)?;
        filled = filled.saturating_add(n);
        let done = n == 0;
        let whole = if done { filled } else { filled.saturating_sub(filled.checked_rem(page).unwrap_or(0)) };
        for chunk in buffer.get(..whole).unwrap_or(&[]).chunks(page) {
            out.extend_from_slice(&Sha256::digest(chunk));
        }
        buffer.copy_within(whole..filled, 0);
        filled = filled.saturating_sub(whole);
        if done {
            break;
        }
    }
    if out.len() as u64 != pages.saturating_mul(32) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the output ends before the {len} bytes to hash at {start:#x}"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn be(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    /// A CodeDirectory (version 0x20400) written field by field from
    /// cs_blobs.h: identifier "lib", no special slots, one 4 KiB page.
    fn directory(flags: u32, n_special: u32, page_shift: u8) -> Vec<u8> {
        let hash_offset = 88 + 4 + 32 * n_special;
        let mut cd = be(&[CODEDIRECTORY, hash_offset + 32, 0x20400, flags, hash_offset, 88, n_special, 1, 100]);
        cd.extend_from_slice(&[32, 2, 0, page_shift]);
        cd.extend(be(&[0, 0, 0, 0]));
        cd.extend(0u64.to_be_bytes()); // codeLimit64
        for v in [0u64, 0x4000, 0] {
            cd.extend(v.to_be_bytes());
        }
        cd.extend_from_slice(b"lib\0");
        cd.extend(std::iter::repeat_n(0u8, 32 * n_special as usize + 32));
        cd
    }

    fn superblob(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let header = 12 + 8 * blobs.len() as u32;
        let total = header + blobs.iter().map(|(_, b)| b.len() as u32).sum::<u32>();
        let mut out = be(&[SUPERBLOB, total, blobs.len() as u32]);
        let mut at = header;
        for (slot, blob) in blobs {
            out.extend(be(&[*slot, at]));
            at += blob.len() as u32;
        }
        for (_, blob) in blobs {
            out.extend_from_slice(blob);
        }
        out
    }

    #[test]
    fn linker_signature_is_ad_hoc() {
        let sig = superblob(&[(0, directory(0x2_0002, 0, 12))]);
        let (kind, t) = read(&sig, 0x1000).unwrap();
        assert_eq!(kind, Kind::AdHoc);
        assert_eq!(t.identifier, b"lib");
        assert_eq!(t.flags(), 0x2_0002, "linker-signed is kept");
        assert_eq!(t.page_size(), 4096);
        assert_eq!(t.exec_seg, [0, 0x4000, 0]);
        // 88-byte header, "lib\0", two 32-byte page hashes for 5000 bytes.
        assert_eq!(t.len(5000), Some(12 + 8 + 88 + 4 + 64));
    }

    #[test]
    fn codesign_ad_hoc_keeps_requirements_and_empty_cms() {
        let requirements = be(&[REQUIREMENTS, 12, 0]);
        let sig = superblob(&[(0, directory(0x2, 2, 12)), (2, requirements.clone()), (0x10000, be(&[CMS_WRAPPER, 8]))]);
        let (kind, t) = read(&sig, 0).unwrap();
        assert_eq!(kind, Kind::AdHoc);
        let encoded = t.encode(4096, &[7u8; 32]).unwrap();
        assert_eq!(encoded.len() as u64, t.len(4096).unwrap());
        // Index: CodeDirectory, requirements, CMS wrapper.
        let word = |at: usize| u32::from_be_bytes(encoded[at..at + 4].try_into().unwrap());
        assert_eq!((word(8), word(12), word(20), word(28)), (3, 0, 2, 0x10000));
        let cd = word(16) as usize;
        let hash_offset = word(cd + 16) as usize;
        // Special slot 2 (just below slot 1, below hashOffset) is SHA-256 of the blob.
        let slot2 = &encoded[cd + hash_offset - 64..cd + hash_offset - 32];
        assert_eq!(slot2, Sha256::digest(&requirements).as_slice());
        assert_eq!(&encoded[cd + hash_offset - 32..cd + hash_offset], &[0u8; 32], "slot 1 (Info.plist) absent");
        assert_eq!(&encoded[cd + hash_offset..cd + hash_offset + 32], &[7u8; 32], "page hash");
        assert_eq!(&encoded[encoded.len() - 8..], &be(&[CMS_WRAPPER, 8])[..]);
    }

    #[test]
    fn certificate_and_unknown_blobs() {
        let cms = [be(&[CMS_WRAPPER, 12]), vec![0x30, 0x80, 0, 0]].concat();
        let sig = superblob(&[(0, directory(0, 0, 12)), (0x10000, cms)]);
        let (kind, t) = read(&sig, 0).unwrap();
        assert_eq!(kind, Kind::Certificate);
        let t = t.ad_hoc_replacement();
        assert_eq!(t.flags(), FLAG_ADHOC);
        assert_eq!(t.special.len(), 2, "an empty requirement set is hashed in slot 2");
        assert!(t.empty_cms);

        let sig = superblob(&[(0, directory(2, 0, 12)), (0x42, be(&[0xfade_0000, 8]))]);
        let err = read(&sig, 0x500).unwrap_err().to_string();
        assert!(err.contains("unknown slot type 0x42"), "{err}");

        let sig = superblob(&[(0, directory(2, 0, 13))]);
        let err = read(&sig, 0).unwrap_err().to_string();
        assert!(err.contains("page size 2^13"), "{err}");
    }

    #[test]
    fn pages_hash_the_last_partial_page_as_is() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("pkgimg-sign-test-{}", std::process::id()));
        std::fs::write(&path, [&[0xaa; 100][..], &bytes].concat()).unwrap();
        let file = File::open(&path).unwrap();
        let hashes = hash_pages(&file, 100, 10_000, 4096).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(hashes.len(), 3 * 32);
        assert_eq!(&hashes[..32], Sha256::digest(&bytes[..4096]).as_slice());
        assert_eq!(&hashes[64..], Sha256::digest(&bytes[8192..]).as_slice());
        let short = hash_pages(&File::open("/dev/null").unwrap(), 0, 10, 4096);
        assert!(short.is_err(), "a file shorter than the range is an error");
    }
}
