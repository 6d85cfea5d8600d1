//! The slice's code signature in an injection: what the new one keeps of
//! the old ([`template`]), where it goes in the rebuilt `__LINKEDIT`
//! ([`append`]), and its page hashes, computed over the output once
//! everything before it is written. The blobs themselves are [`super::sign`]'s.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use sha2::{Digest, Sha256};

use super::parse::Parsed;
use super::place::Place;
use super::refuse;
use super::sign::{self, Kind, Template};
use crate::macho::layout::{CS_SHA256_LEN, SEG_TEXT};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::{InjectOptions, Piece};
use crate::write::{add, aligned};
use crate::{Error, Format};

/// ld64, lld and codesign start the signature on a 16-byte boundary, and
/// pad its size to one.
const SIGNATURE_ALIGN: u64 = 16;
/// A page hash: SHA-256.
const HASH_LEN: u64 = CS_SHA256_LEN as u64;

/// The template for the new signature, if the slice is signed, with the old
/// signature's offset. The old signature must be the last thing in
/// `__LINKEDIT`, as codesign requires.
pub(super) fn template(
    parsed: &Parsed<'_>,
    image: Data<'_>,
    place: &Place,
    options: &InjectOptions,
) -> Result<Option<(u64, Template)>, InjectError> {
    let Some((_, off, size)) = parsed.signature else { return Ok(None) };
    let at = image.base.saturating_add(off);
    let end = add("LC_CODE_SIGNATURE", off, size)?;
    if off < place.linkedit.fileoff || end != place.linkedit_end {
        let reason = format!(
            "the signature [{off:#x}, {end:#x}) is not at the end of __LINKEDIT (which ends at {:#x})",
            place.linkedit_end
        );
        return Err(refuse("Mach-O LC_CODE_SIGNATURE", at, reason));
    }
    let bytes = image.table("code signature", off, size, 1)?;
    let (kind, template) = sign::read(bytes.bytes, bytes.base)?;
    let mut template = match (kind, options.drop_signature) {
        (Kind::AdHoc, _) => template,
        (Kind::Certificate, true) => template.ad_hoc_replacement(),
        (Kind::Certificate, false) => {
            return Err(refuse(
                "Mach-O code signature",
                at,
                "the library is signed with a certificate (CMS signature); adding a payload changes signed pages, \
                 so that signature would no longer verify. Set InjectOptions::drop_signature (jiscan inject \
                 --drop-signature) to replace it with an ad-hoc signature, then sign the result again \
                 (codesign -f -s IDENTITY)",
            ))
        }
    };
    let text = parsed.segments.iter().find(|s| s.is(SEG_TEXT));
    template.default_exec_seg([text.map_or(0, |t| t.fileoff), text.map_or(0, |t| t.filesize), 0]);
    Ok(Some((off, template)))
}

/// Appends the new signature to `pieces`, which end at `data_end` in the
/// slice (at `out_base` in the output; `at` in the input): padding to
/// [`SIGNATURE_ALIGN`] and the deferred signature. Its `dataoff` and `datasize`.
pub(super) fn append(
    template: Template,
    data_end: u64,
    at: u64,
    out_base: u64,
    pieces: &mut Vec<Piece>,
) -> Result<(u64, u64), InjectError> {
    let dataoff = aligned(Format::MachO, "LC_CODE_SIGNATURE dataoff", data_end, SIGNATURE_ALIGN)?;
    // The signature hashes every page before it: codeLimit is its offset.
    let code_limit = u32::try_from(dataoff).map_err(|_| {
        let reason = format!("the signature would start at {dataoff:#x}, beyond 4 GiB: too large to sign");
        refuse("Mach-O code signature", at, reason)
    })?;
    let overflow = Error::Overflow { what: "the code signature", offset: dataoff, size: 0, count: 1 };
    let len = template.len(u64::from(code_limit)).ok_or(overflow)?;
    let datasize = aligned(Format::MachO, "LC_CODE_SIGNATURE datasize", len, SIGNATURE_ALIGN)?;
    pieces.push(Piece::Zeros(dataoff.saturating_sub(data_end)));
    pieces.push(deferred(template, out_base, code_limit, datasize));
    Ok((dataoff, datasize))
}

/// The signature piece: page hashes over the slice as written.
fn deferred(template: Template, out_base: u64, code_limit: u32, datasize: u64) -> Piece {
    let fill = move |file: &File| -> std::io::Result<Vec<u8>> {
        let hashes = hash_pages(file, out_base, u64::from(code_limit), template.page_size())?;
        let mut blob = template
            .encode(code_limit, &hashes)
            .ok_or_else(|| std::io::Error::other("code signature: the encoded size differs from the planned size"))?;
        let len = usize::try_from(datasize).map_err(std::io::Error::other)?;
        if blob.len() > len {
            return Err(std::io::Error::other("code signature: larger than the space reserved for it"));
        }
        blob.resize(len, 0);
        Ok(blob)
    };
    Piece::Deferred { len: datasize, fill: Box::new(fill) }
}

/// SHA-256 of each `page`-byte page of `file[start .. start + len]`; the last
/// page is hashed over the bytes that remain, as the kernel checks it.
pub(crate) fn hash_pages(file: &File, start: u64, len: u64, page: u64) -> std::io::Result<Vec<u8>> {
    let page = usize::try_from(page).map_err(std::io::Error::other)?;
    let mut reader = file;
    reader.seek(SeekFrom::Start(start))?;
    let mut reader = reader.take(len);
    let pages = len.div_ceil(page as u64);
    let mut out = Vec::with_capacity(usize::try_from(pages.saturating_mul(HASH_LEN)).unwrap_or(0));
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
    if out.len() as u64 != pages.saturating_mul(HASH_LEN) {
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
