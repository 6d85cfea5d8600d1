//! A bounds-checked, endian-aware view of a byte range: the only way the
//! navigators and the frame decoder touch file bytes.
//!
//! Every read goes through `get`, every `offset + size` through `checked_*`,
//! so a hostile header can produce an error but never a panic or a read
//! outside the file.

use crate::Error;

/// A view of `bytes`, which start at absolute file offset `base`.
///
/// `what` names the view in error messages ("the file", "the slice", or a
/// structure such as "ELF section header").
#[derive(Clone, Copy, Debug)]
pub(crate) struct Data<'a> {
    pub bytes: &'a [u8],
    pub base: u64,
    pub what: &'static str,
    pub big_endian: bool,
}

impl<'a> Data<'a> {
    pub fn new(bytes: &'a [u8], base: u64, what: &'static str) -> Self {
        Data { bytes, base, what, big_endian: false }
    }

    pub fn with_endian(self, big_endian: bool) -> Self {
        Data { big_endian, ..self }
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The sub-view of `count` entries of `size` bytes each at `offset` in this
    /// view, or an error naming `what` if it does not fit.
    pub fn table(&self, what: &'static str, offset: u64, size: u64, count: u64) -> Result<Data<'a>, Error> {
        let abs = self.base.saturating_add(offset);
        let overflow = || Error::Overflow { what, offset: abs, size, count };
        let end = size.checked_mul(count).and_then(|len| offset.checked_add(len)).ok_or_else(overflow)?;
        let bytes = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(start, end)| self.bytes.get(start..end))
            .ok_or_else(|| Error::Truncated {
                what,
                offset: abs,
                size,
                count,
                scope: self.what,
                available: self.len(),
            })?;
        Ok(Data { bytes, base: abs, what, big_endian: self.big_endian })
    }

    /// Entry `index` of a table of `size`-byte entries.
    pub fn entry(&self, what: &'static str, index: u64, size: u64) -> Result<Data<'a>, Error> {
        let offset = index.checked_mul(size).ok_or(Error::Overflow { what, offset: self.base, size, count: index })?;
        self.table(what, offset, size, 1)
    }

    /// The view's bytes as consecutive entries of `size` bytes (the caller has
    /// sized the view as `count * size`).
    pub fn entries(&self, what: &'static str, size: u64) -> impl Iterator<Item = Data<'a>> + 'a {
        let step = usize::try_from(size).unwrap_or(usize::MAX).max(1);
        let (base, big_endian, bytes) = (self.base, self.big_endian, self.bytes);
        bytes.chunks_exact(step).zip(0u64..).map(move |(bytes, i)| Data {
            bytes,
            base: base.saturating_add(i.saturating_mul(size)),
            what,
            big_endian,
        })
    }

    fn array<const N: usize>(&self, at: u64) -> Result<[u8; N], Error> {
        let field = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<N>());
        match field {
            Some(field) => Ok(*field),
            None => Err(self.table(self.what, at, N as u64, 1).err().unwrap_or(Error::Overflow {
                what: self.what,
                offset: self.base,
                size: N as u64,
                count: 1,
            })),
        }
    }

    pub fn u8(&self, at: u64) -> Result<u8, Error> {
        self.array::<1>(at).map(|[b]| b)
    }

    pub fn u16(&self, at: u64) -> Result<u16, Error> {
        let b = self.array(at)?;
        Ok(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    pub fn u32(&self, at: u64) -> Result<u32, Error> {
        let b = self.array(at)?;
        Ok(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    pub fn u64(&self, at: u64) -> Result<u64, Error> {
        let b = self.array(at)?;
        Ok(if self.big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }

    /// A `u64` field in 64-bit files, a `u32` one in 32-bit files.
    pub fn word(&self, at: u64, wide: bool) -> Result<u64, Error> {
        if wide {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }

    /// Whether the NUL-terminated string at `at` is exactly `name`. A string
    /// that runs off the end of the view matches nothing.
    pub fn cstr_is(&self, at: u64, name: &[u8]) -> bool {
        // A byte loop, not a slice comparison: names usually differ in their
        // first bytes, and this stays inline instead of calling memcmp.
        let Some(mut field) = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)).map(|f| f.iter()) else {
            return false;
        };
        name.iter().all(|b| field.next() == Some(b)) && field.next() == Some(&0)
    }

    /// Whether the `N` bytes at `at` are `padded` (a name NUL-padded by [`pad`]):
    /// one fixed-size comparison per header, no scanning.
    pub fn name_is<const N: usize>(&self, at: u64, padded: &[u8; N]) -> Result<bool, Error> {
        Ok(self.array::<N>(at)? == *padded)
    }

    /// Whether the `N`-byte NUL-padded name at `at` is exactly `name` (for the
    /// writers, which check names once; the navigators pad once per lookup).
    #[cfg(feature = "std")]
    pub fn padded_is<const N: usize>(&self, at: u64, name: &[u8]) -> Result<bool, Error> {
        match pad::<N>(name) {
            Some(padded) => self.name_is(at, &padded),
            None => Ok(false),
        }
    }
}

/// `name` NUL-padded to `N` bytes, as fixed-size name fields store it, or
/// `None` if it does not fit.
pub(crate) fn pad<const N: usize>(name: &[u8]) -> Option<[u8; N]> {
    let mut padded = [0u8; N];
    padded.get_mut(..name.len())?.copy_from_slice(name);
    Some(padded)
}
