//! Ad-hoc code signatures for Mach-O images: read the signature a library
//! already has, and write a fresh one over the modified image.
//!
//! An embedded signature (`LC_CODE_SIGNATURE`) is a big-endian SuperBlob
//! (`CSMAGIC_EMBEDDED_SIGNATURE`) indexing blobs by slot type: the
//! CodeDirectory (slot 0) holds one hash per page of the image up to
//! `codeLimit` plus hashes of the other blobs ("special slots", at negative
//! indices); a requirements set (slot 2), entitlements (slots 5 and 7); and
//! for a real signature a CMS blob (slot 0x10000) signing the CodeDirectory
//! with a certificate. Ad-hoc signatures have no CMS content: `codesign -s -`
//! writes an empty CMS wrapper (8 bytes), linkers write none. References:
//! Apple's `xnu/osfmk/kern/cs_blobs.h` (every number is in [`layout`]) and
//! `Security/OSX/libsecurity_codesigning`.
//!
//! Every page hash covers bytes we move, so the CodeDirectory is rebuilt, with
//! SHA-256 only (the hash every macOS since 10.11.4 and iOS 11 checks), keeping
//! the original's identifier, flags, page size, platform and executable-segment
//! fields. The page hashes are computed over the output file after everything
//! before the signature has been written (a `Deferred` piece of the layout).
//!
//! [`layout`]: crate::macho::layout

use sha2::{Digest, Sha256};

use crate::macho::layout::{
    blob_index, code_directory as cd, generic_blob, super_blob, CSMAGIC_BLOBWRAPPER, CSMAGIC_CODEDIRECTORY,
    CSMAGIC_EMBEDDED_SIGNATURE, CSMAGIC_REQUIREMENTS, CSSLOT_ALTERNATE_CODEDIRECTORIES,
    CSSLOT_ALTERNATE_CODEDIRECTORY_LAST, CSSLOT_APPLICATION, CSSLOT_CODEDIRECTORY, CSSLOT_DER_ENTITLEMENTS,
    CSSLOT_ENTITLEMENTS, CSSLOT_INFOSLOT, CSSLOT_LAUNCH_CONSTRAINT_PARENT, CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE,
    CSSLOT_LAUNCH_CONSTRAINT_SELF, CSSLOT_LIBRARY_CONSTRAINT, CSSLOT_REP_SPECIFIC, CSSLOT_REQUIREMENTS,
    CSSLOT_RESOURCEDIR, CSSLOT_SIGNATURESLOT, CSSLOT_TICKETSLOT, CS_ADHOC, CS_HASHTYPE_SHA256, CS_LINKER_SIGNED,
    CS_SHA256_LEN, CS_SUPPORTSEXECSEG, CS_SUPPORTSSCATTER, CS_SUPPORTSTEAMID, PAGE_SHIFT_ARM64, PAGE_SHIFT_X86_64,
};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::Bytes;
use crate::{Endian, Format};

fn bad(offset: u64, reason: String) -> InjectError {
    InjectError::refused("Mach-O code signature", offset, reason)
}

/// Blobs whose hash the CodeDirectory carries in the special slot of their
/// type: requirements, entitlements (plist and DER), and the launch and
/// library constraints. They are copied unchanged.
const HASHED_BLOBS: [u32; 7] = [
    CSSLOT_REQUIREMENTS,
    CSSLOT_ENTITLEMENTS,
    CSSLOT_DER_ENTITLEMENTS,
    CSSLOT_LAUNCH_CONSTRAINT_SELF,
    CSSLOT_LAUNCH_CONSTRAINT_PARENT,
    CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE,
    CSSLOT_LIBRARY_CONSTRAINT,
];
/// Special slots for things outside the signature (Info.plist, resource
/// directory, application-specific, rep-specific): their hashes can only be
/// copied, never recomputed here.
const EXTERNAL_SLOTS: [u32; 4] = [CSSLOT_INFOSLOT, CSSLOT_RESOURCEDIR, CSSLOT_APPLICATION, CSSLOT_REP_SPECIFIC];
/// SHA-256 hashes, the only kind written.
const SHA256_LEN: u64 = CS_SHA256_LEN as u64;
const HASH_LEN: usize = CS_SHA256_LEN as usize;
type Hash = [u8; HASH_LEN];
/// The page sizes signatures use: 4 KiB (ld64, lld, codesign) and 16 KiB (zig).
const PAGE_SHIFTS: [u8; 2] = [PAGE_SHIFT_X86_64, PAGE_SHIFT_ARM64];
/// An empty requirement set: its blob header and a count of 0.
const EMPTY_REQUIREMENTS_LEN: u32 = generic_blob::LEN as u32 + 4;

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
    special: Vec<Option<Hash>>,
    /// Blobs other than the CodeDirectory and CMS, copied verbatim, in slot
    /// order: (slot type, bytes).
    blobs: Vec<(u32, Vec<u8>)>,
    /// Whether to write an empty CMS wrapper, as `codesign -s -` does.
    empty_cms: bool,
}

/// A blob of the SuperBlob: its slot type and its bytes (`data.base` is its
/// absolute offset).
#[derive(Clone, Copy)]
struct Blob<'a> {
    slot: u32,
    data: Data<'a>,
}

/// The big-endian `u32` at `at` in `data`, or a refusal naming the field.
fn u32_at(data: Data<'_>, at: u64, what: &str) -> Result<u32, InjectError> {
    data.u32(at).map_err(|_| bad(data.base.saturating_add(at), format!("{what} runs past the signature")))
}

fn u64_at(data: Data<'_>, at: u64, what: &str) -> Result<u64, InjectError> {
    data.u64(at).map_err(|_| bad(data.base.saturating_add(at), format!("{what} runs past the signature")))
}

/// `len` bytes at `at` in `data`, if they are there.
fn sub<'a>(data: Data<'a>, at: u64, len: u64) -> Option<Data<'a>> {
    data.table("code signature", at, len, 1).ok()
}

/// The NUL-terminated string at `at` (without the NUL).
fn cstr(data: Data<'_>, at: u64, what: &str) -> Result<Vec<u8>, InjectError> {
    let tail = usize::try_from(at).ok().and_then(|a| data.bytes.get(a..)).unwrap_or(&[]);
    let len = tail
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad(data.base.saturating_add(at), format!("{what} is not NUL-terminated inside its blob")))?;
    Ok(tail.get(..len).unwrap_or(&[]).to_vec())
}

/// The blobs of the SuperBlob `sig`.
fn blobs(sig: Data<'_>) -> Result<Vec<Blob<'_>>, InjectError> {
    let base = sig.base;
    let magic = u32_at(sig, super_blob::MAGIC, "SuperBlob magic")?;
    if magic != CSMAGIC_EMBEDDED_SIGNATURE {
        let expected = CSMAGIC_EMBEDDED_SIGNATURE;
        return Err(bad(base, format!("SuperBlob magic is {magic:#010x}, expected {expected:#010x}")));
    }
    let length = u64::from(u32_at(sig, super_blob::LENGTH, "SuperBlob length")?);
    let sig = sub(sig, 0, length)
        .ok_or_else(|| bad(base, format!("SuperBlob length {length} exceeds LC_CODE_SIGNATURE datasize")))?;
    let count = u64::from(u32_at(sig, super_blob::COUNT, "SuperBlob count")?);
    // Each index entry is 8 bytes: bound the count before looping.
    if count > length / blob_index::LEN {
        return Err(bad(base.saturating_add(super_blob::COUNT), format!("{count} blobs cannot fit")));
    }
    let mut out = Vec::new();
    for i in 0..count {
        let entry = super_blob::LEN.saturating_add(i.saturating_mul(blob_index::LEN));
        let slot = u32_at(sig, entry.saturating_add(blob_index::TYPE), "SuperBlob index")?;
        let at = u64::from(u32_at(sig, entry.saturating_add(blob_index::OFFSET), "SuperBlob index")?);
        let len = u64::from(u32_at(sig, at.saturating_add(generic_blob::LENGTH), "blob length")?);
        let data = sub(sig, at, len).filter(|_| len >= generic_blob::LEN).ok_or_else(|| {
            bad(base.saturating_add(at), format!("blob of slot {slot:#x} ({len} bytes) does not fit"))
        })?;
        out.push(Blob { slot, data });
    }
    Ok(out)
}

/// Reads the signature `sig` (the bytes LC_CODE_SIGNATURE points at, at file
/// offset `base`) and returns what a new ad-hoc signature must keep.
pub(crate) fn read(sig: &[u8], base: u64) -> Result<(Kind, Template), InjectError> {
    let blobs = blobs(Data::new(sig, base, "the code signature").with_endian(Endian::Big))?;
    let directory = Directory::read(chosen_directory(&blobs, base)?)?;
    let (kind, empty_cms, kept) = other_blobs(&blobs)?;
    let special = directory.special_slots(&kept)?;
    let Directory { identifier, team, flags, platform, page_shift, exec_seg, .. } = directory;
    let mut template =
        Template { identifier, team, flags, platform, page_shift, exec_seg, special, blobs: kept, empty_cms };
    template.cover_blobs();
    Ok((kind, template))
}

/// The CodeDirectory to take as the template: the primary and its
/// alternates (codesign writes a SHA-1 primary and a SHA-256 alternate for
/// old deployment targets) are each checked, and the SHA-256 one is chosen
/// if there is one, since its special-slot hashes can be reused as they are.
fn chosen_directory<'a>(blobs: &[Blob<'a>], base: u64) -> Result<Blob<'a>, InjectError> {
    let alternates = CSSLOT_ALTERNATE_CODEDIRECTORIES..=CSSLOT_ALTERNATE_CODEDIRECTORY_LAST;
    let mut chosen = None;
    for blob in blobs.iter().filter(|b| b.slot == CSSLOT_CODEDIRECTORY || alternates.contains(&b.slot)) {
        let magic = u32_at(blob.data, cd::MAGIC, "CodeDirectory magic")?;
        if magic != CSMAGIC_CODEDIRECTORY {
            let (slot, expected) = (blob.slot, CSMAGIC_CODEDIRECTORY);
            let reason = format!("slot {slot:#x} holds magic {magic:#010x}, expected a CodeDirectory {expected:#010x}");
            return Err(bad(blob.data.base, reason));
        }
        let hash_type = blob.data.u8(cd::HASH_TYPE).unwrap_or(0);
        if chosen.is_none() || hash_type == CS_HASHTYPE_SHA256 {
            chosen = Some(*blob);
        }
    }
    chosen.ok_or_else(|| bad(base, "code signature has no CodeDirectory".to_string()))
}

/// What the chosen CodeDirectory says.
struct Directory<'a> {
    data: Data<'a>,
    flags: u32,
    hash_offset: u64,
    n_special: u32,
    hash_size: u8,
    hash_type: u8,
    platform: u8,
    page_shift: u8,
    team: Option<Vec<u8>>,
    exec_seg: [u64; 3],
    identifier: Vec<u8>,
}

impl<'a> Directory<'a> {
    fn read(blob: Blob<'a>) -> Result<Directory<'a>, InjectError> {
        let (b, at) = (blob.data, blob.data.base);
        let version = u32_at(b, cd::VERSION, "CodeDirectory version")?;
        let flags = u32_at(b, cd::FLAGS, "CodeDirectory flags")?;
        let ident_offset = u64::from(u32_at(b, cd::IDENT_OFFSET, "CodeDirectory identOffset")?);
        let n_special = u32_at(b, cd::N_SPECIAL_SLOTS, "CodeDirectory nSpecialSlots")?;
        let hash_offset = u64::from(u32_at(b, cd::HASH_OFFSET, "CodeDirectory hashOffset")?);
        // hashSize, hashType, platform, pageSize: four bytes.
        let bytes = usize::try_from(cd::HASH_SIZE).ok().and_then(|at| b.bytes.get(at..)?.first_chunk());
        let truncated = || bad(at, "CodeDirectory header is truncated".into());
        let &[hash_size, hash_type, platform, page_shift] = bytes.ok_or_else(truncated)?;
        if !PAGE_SHIFTS.contains(&page_shift) {
            return Err(bad(
                at.saturating_add(cd::PAGE_SIZE),
                format!("page size 2^{page_shift}; only 4 KiB and 16 KiB pages are supported"),
            ));
        }
        if version >= CS_SUPPORTSSCATTER && u32_at(b, cd::SCATTER_OFFSET, "CodeDirectory scatterOffset")? != 0 {
            return Err(bad(at.saturating_add(cd::SCATTER_OFFSET), "scatter vectors are not supported".into()));
        }
        let team = match version >= CS_SUPPORTSTEAMID {
            true => match u32_at(b, cd::TEAM_OFFSET, "CodeDirectory teamOffset")? {
                0 => None,
                offset => Some(cstr(b, u64::from(offset), "team identifier")?),
            },
            false => None,
        };
        // execSegBase/Limit/Flags exist from version 0x20400 on; older
        // directories leave them to be derived from __TEXT by the caller.
        let exec_seg = match version >= CS_SUPPORTSEXECSEG {
            true => [
                u64_at(b, cd::EXEC_SEG_BASE, "execSegBase")?,
                u64_at(b, cd::EXEC_SEG_LIMIT, "execSegLimit")?,
                u64_at(b, cd::EXEC_SEG_FLAGS, "execSegFlags")?,
            ],
            false => [u64::MAX; 3],
        };
        let identifier = cstr(b, ident_offset, "identifier")?;
        Ok(Directory {
            data: b,
            flags,
            hash_offset,
            n_special,
            hash_size,
            hash_type,
            platform,
            page_shift,
            team,
            exec_seg,
            identifier,
        })
    }

    /// The special slots' hashes, slot 1 first: `None` for a blob in `kept`
    /// (its hash is recomputed), zeros for an empty slot, and the hash of
    /// something outside the signature copied if it is SHA-256.
    fn special_slots(&self, kept: &[(u32, Vec<u8>)]) -> Result<Vec<Option<Hash>>, InjectError> {
        let (b, at, hash_size) = (self.data, self.data.base, u64::from(self.hash_size));
        // The count is checked against the bytes before the loop: the special
        // slots sit below hashOffset, so no more of them fit than hashOffset
        // divided by hashSize (none if hashSize is 0). Otherwise a hostile
        // nSpecialSlots would make this loop push up to 2^32 entries.
        let room = self.hash_offset.checked_div(hash_size).unwrap_or(0);
        if u64::from(self.n_special) > room {
            let reason = format!(
                "nSpecialSlots {} of {hash_size} bytes each do not fit below hashOffset {:#x}",
                self.n_special, self.hash_offset
            );
            return Err(bad(at.saturating_add(cd::N_SPECIAL_SLOTS), reason));
        }
        let mut special = Vec::new();
        for slot in 1..=self.n_special {
            if kept.iter().any(|(s, _)| *s == slot) {
                special.push(None);
                continue;
            }
            let offset = self
                .hash_offset
                .checked_sub(u64::from(slot).saturating_mul(hash_size))
                .ok_or_else(|| bad(at.saturating_add(cd::HASH_OFFSET), "special slots overlap the header".into()))?;
            let hash = sub(b, offset, hash_size)
                .ok_or_else(|| bad(at.saturating_add(offset), "special slot runs past the CodeDirectory".into()))?;
            let present = hash.bytes.iter().any(|&x| x != 0);
            let sha256 = self.hash_type == CS_HASHTYPE_SHA256 && hash_size == SHA256_LEN;
            match (present, sha256 && EXTERNAL_SLOTS.contains(&slot), hash.bytes.first_chunk()) {
                (false, _, _) => special.push(Some([0; HASH_LEN])),
                (true, true, Some(&copy)) => special.push(Some(copy)),
                _ => {
                    let hash_type = self.hash_type;
                    return Err(bad(
                        at.saturating_add(offset),
                        format!(
                            "special slot {slot} hashes something that is not in the signature \
                             (hash type {hash_type}); cannot re-sign"
                        ),
                    ));
                }
            }
        }
        Ok(special)
    }
}

/// The blobs other than CodeDirectories: whether a certificate signed the
/// image, whether an empty CMS wrapper is there, and the hashed blobs to keep.
#[allow(clippy::type_complexity)]
fn other_blobs(blobs: &[Blob<'_>]) -> Result<(Kind, bool, Vec<(u32, Vec<u8>)>), InjectError> {
    let alternates = CSSLOT_ALTERNATE_CODEDIRECTORIES..=CSSLOT_ALTERNATE_CODEDIRECTORY_LAST;
    let (mut kind, mut empty_cms, mut kept) = (Kind::AdHoc, false, Vec::new());
    for blob in blobs {
        match blob.slot {
            slot if slot == CSSLOT_CODEDIRECTORY || alternates.contains(&slot) => {}
            CSSLOT_SIGNATURESLOT => {
                let magic = u32_at(blob.data, generic_blob::MAGIC, "CMS blob magic")?;
                if magic != CSMAGIC_BLOBWRAPPER {
                    let expected = CSMAGIC_BLOBWRAPPER;
                    let reason = format!("slot 0x10000 holds magic {magic:#010x}, expected {expected:#010x}");
                    return Err(bad(blob.data.base, reason));
                }
                // A wrapper with nothing after its header holds no CMS message: `codesign -s -`'s marker.
                if blob.data.len() > generic_blob::LEN {
                    kind = Kind::Certificate;
                } else {
                    empty_cms = true;
                }
            }
            CSSLOT_TICKETSLOT => kind = Kind::Certificate,
            slot if HASHED_BLOBS.contains(&slot) => kept.push((slot, blob.data.bytes.to_vec())),
            slot => {
                let reason = format!("blob of unknown slot type {slot:#x}; not re-signing it");
                return Err(bad(blob.data.base, reason));
            }
        }
    }
    kept.sort_by_key(|(slot, _)| *slot);
    Ok((kind, empty_cms, kept))
}

impl Template {
    /// A fresh signature as a linker writes one (ld64, zig): ad hoc and
    /// linker-signed, no requirements, entitlements or CMS blob, so the
    /// SuperBlob holds the CodeDirectory alone; not a platform binary.
    /// `page_shift` is log2 of the page the hashes cover, `exec_seg` the
    /// executable segment's `[base, limit, flags]`.
    pub(crate) fn linker(identifier: &[u8], page_shift: u8, exec_seg: [u64; 3]) -> Template {
        Template {
            identifier: identifier.to_vec(),
            team: None,
            flags: CS_ADHOC | CS_LINKER_SIGNED,
            platform: 0,
            page_shift,
            exec_seg,
            special: Vec::new(),
            blobs: Vec::new(),
            empty_cms: false,
        }
    }

    /// The template for replacing a certificate signature by an ad-hoc one:
    /// no team, an empty designated requirement (the old one names the
    /// certificate, which an ad-hoc signature cannot satisfy), an empty CMS
    /// wrapper, as `codesign -f -s -` writes.
    pub(crate) fn ad_hoc_replacement(mut self) -> Template {
        self.team = None;
        self.blobs.retain(|(slot, _)| *slot != CSSLOT_REQUIREMENTS);
        let mut empty = Bytes::new(Format::MachO, Endian::Big);
        empty.u32(CSMAGIC_REQUIREMENTS).u32(EMPTY_REQUIREMENTS_LEN).u32(0); // magic, length, count
        self.blobs.push((CSSLOT_REQUIREMENTS, empty.bytes));
        self.blobs.sort_by_key(|(slot, _)| *slot);
        self.cover_blobs();
        self.flags = (self.flags | CS_ADHOC) & !CS_LINKER_SIGNED;
        self.empty_cms = true;
        self
    }

    /// Makes every kept blob's special slot hold its hash (`None`: computed
    /// when encoding), as codesign sizes `nSpecialSlots` to the highest one.
    fn cover_blobs(&mut self) {
        for (slot, _) in &self.blobs {
            let index = usize::try_from(*slot).unwrap_or(0);
            if self.special.len() < index {
                self.special.resize(index, Some([0; HASH_LEN]));
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
        self.flags | CS_ADHOC
    }

    fn team_len(&self) -> u64 {
        self.team.as_ref().map_or(0, |t| (t.len() as u64).saturating_add(1))
    }

    /// The CodeDirectory's `hashOffset`: its header, the identifiers, and the
    /// special slots below the page hashes.
    fn hash_offset(&self) -> Option<u64> {
        cd::LEN
            .checked_add((self.identifier.len() as u64).checked_add(1)?)?
            .checked_add(self.team_len())?
            .checked_add((self.special.len() as u64).checked_mul(SHA256_LEN)?)
    }

    fn code_slots(&self, code_limit: u64) -> u64 {
        code_limit.div_ceil(self.page_size())
    }

    fn directory_len(&self, code_limit: u64) -> Option<u64> {
        self.hash_offset()?.checked_add(self.code_slots(code_limit).checked_mul(SHA256_LEN)?)
    }

    /// The number of blobs: the CodeDirectory, the kept ones, the CMS wrapper.
    fn count(&self) -> Option<u64> {
        (self.blobs.len() as u64).checked_add(1)?.checked_add(u64::from(self.empty_cms))
    }

    /// The SuperBlob's length for an image whose signature starts at `code_limit`.
    pub(crate) fn len(&self, code_limit: u64) -> Option<u64> {
        let index = super_blob::LEN.checked_add(self.count()?.checked_mul(blob_index::LEN)?)?;
        let mut len = index.checked_add(self.directory_len(code_limit)?)?;
        for (_, blob) in &self.blobs {
            len = len.checked_add(blob.len() as u64)?;
        }
        len.checked_add(if self.empty_cms { generic_blob::LEN } else { 0 })
    }

    /// The SuperBlob for an image whose first `code_limit` bytes hash to
    /// `page_hashes` (32 bytes per page, in order).
    pub(crate) fn encode(&self, code_limit: u32, page_hashes: &[u8]) -> Option<Vec<u8>> {
        let limit = u64::from(code_limit);
        let total = u32::try_from(self.len(limit)?).ok()?;
        let n_code = u32::try_from(self.code_slots(limit)).ok()?;
        if page_hashes.len() as u64 != u64::from(n_code).checked_mul(SHA256_LEN)? {
            return None;
        }
        let mut out = Bytes::new(Format::MachO, Endian::Big);
        out.bytes.reserve(usize::try_from(total).ok()?);
        let count = u32::try_from(self.count()?).ok()?;
        out.u32(CSMAGIC_EMBEDDED_SIGNATURE).u32(total).u32(count);
        // The index: CodeDirectory, the kept blobs in slot order, the CMS wrapper.
        let mut at =
            u32::try_from(super_blob::LEN.checked_add(u64::from(count).checked_mul(blob_index::LEN)?)?).ok()?;
        out.u32(CSSLOT_CODEDIRECTORY).u32(at);
        at = at.checked_add(u32::try_from(self.directory_len(limit)?).ok()?)?;
        for (slot, blob) in &self.blobs {
            out.u32(*slot).u32(at);
            at = at.checked_add(u32::try_from(blob.len()).ok()?)?;
        }
        if self.empty_cms {
            out.u32(CSSLOT_SIGNATURESLOT).u32(at);
        }
        self.directory(&mut out, code_limit, n_code)?;
        out.raw(page_hashes);
        for (_, blob) in &self.blobs {
            out.raw(blob);
        }
        if self.empty_cms {
            out.u32(CSMAGIC_BLOBWRAPPER).u32(generic_blob::LEN as u32);
        }
        (out.bytes.len() as u64 == u64::from(total)).then_some(out.bytes)
    }

    /// The CodeDirectory up to its page hashes, version `CS_SUPPORTSEXECSEG`
    /// (cs_blobs.h `CS_CodeDirectory`), field by field.
    fn directory(&self, out: &mut Bytes, code_limit: u32, n_code: u32) -> Option<()> {
        let limit = u64::from(code_limit);
        let ident_offset = u32::try_from(cd::LEN).ok()?;
        let team_offset = match self.team {
            Some(_) => ident_offset.checked_add(u32::try_from(self.identifier.len()).ok()?.checked_add(1)?)?,
            None => 0,
        };
        let (length, hash_offset) = (self.directory_len(limit)?, self.hash_offset()?);
        out.u32(CSMAGIC_CODEDIRECTORY).u32(u32::try_from(length).ok()?).u32(CS_SUPPORTSEXECSEG).u32(self.flags());
        out.u32(u32::try_from(hash_offset).ok()?).u32(ident_offset);
        out.u32(u32::try_from(self.special.len()).ok()?).u32(n_code).u32(code_limit);
        out.u8(CS_SHA256_LEN).u8(CS_HASHTYPE_SHA256).u8(self.platform).u8(self.page_shift);
        out.u32(0).u32(0).u32(team_offset).u32(0); // spare2, scatterOffset, teamOffset, spare3
                                                   // codeLimit64 stays 0: LC_CODE_SIGNATURE's dataoff is 32 bits, so
                                                   // codeLimit always fits.
        out.u64(0).u64(self.exec_seg[0]).u64(self.exec_seg[1]).u64(self.exec_seg[2]);
        out.raw(&self.identifier).u8(0);
        if let Some(team) = &self.team {
            out.raw(team).u8(0);
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
            out.raw(&hash);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests;
