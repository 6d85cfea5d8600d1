//! A bounds-checked, endian-aware view of a byte range: the only way the
//! navigators and the frame decoder touch file bytes.
//!
//! Every read goes through `get`, every `offset + size` through `checked_*`,
//! so a hostile header can produce an error but never a panic or a read
//! outside the file.

use crate::{Endian, Error};

/// A view of `bytes`, which start at absolute file offset `base`.
///
/// `what` names the view in error messages ("the file", "the slice", or a
/// structure such as "ELF section header").
#[derive(Clone, Copy, Debug)]
pub(crate) struct Data<'a> {
    pub bytes: &'a [u8],
    pub base: u64,
    pub what: &'static str,
    pub endian: Endian,
}

impl<'a> Data<'a> {
    pub fn new(bytes: &'a [u8], base: u64, what: &'static str) -> Self {
        Data { bytes, base, what, endian: Endian::Little }
    }

    pub fn with_endian(self, endian: Endian) -> Self {
        Data { endian, ..self }
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The sub-view of `count` entries of `size` bytes each at `offset` in this
    /// view, or an error naming `what` if it does not fit.
    #[inline(always)]
    pub fn table(&self, what: &'static str, offset: u64, size: u64, count: u64) -> Result<Data<'a>, Error> {
        let range = size.checked_mul(count).and_then(|len| offset.checked_add(len)).and_then(|end| {
            let (start, end) = (usize::try_from(offset).ok()?, usize::try_from(end).ok()?);
            self.bytes.get(start..end)
        });
        match range {
            Some(bytes) => Ok(Data { bytes, base: self.base.saturating_add(offset), what, endian: self.endian }),
            None => Err(truncated(what, offset, size, count, (self.what, self.base, self.len()))),
        }
    }

    /// The `N` bytes at `offset`, as a [`Fixed`] structure named `what`.
    #[inline(always)]
    pub fn fixed<const N: usize>(&self, what: &'static str, offset: u64) -> Result<Fixed<'a, N>, Error> {
        let bytes = usize::try_from(offset).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<N>());
        match bytes {
            Some(bytes) => Ok(Fixed { bytes, endian: self.endian }),
            None => Err(truncated(what, offset, N as u64, 1, (self.what, self.base, self.len()))),
        }
    }

    /// Entry `index` of a table of `size`-byte entries.
    #[inline(always)]
    pub fn entry(&self, what: &'static str, index: u64, size: u64) -> Result<Data<'a>, Error> {
        match index.checked_mul(size) {
            Some(offset) => self.table(what, offset, size, 1),
            None => Err(Error::Overflow { what, offset: self.base, size, count: index }),
        }
    }

    /// The view's bytes as consecutive entries of `size` bytes (the caller has
    /// sized the view as `count * size`).
    #[cfg(feature = "std")]
    pub fn entries(&self, what: &'static str, size: u64) -> impl Iterator<Item = Data<'a>> + 'a {
        let step = usize::try_from(size).unwrap_or(usize::MAX).max(1);
        let (base, endian, bytes) = (self.base, self.endian, self.bytes);
        bytes.chunks_exact(step).zip(0u64..).map(move |(bytes, i)| Data {
            bytes,
            base: base.saturating_add(i.saturating_mul(size)),
            what,
            endian,
        })
    }

    /// The entries of `size` bytes whose raw bytes satisfy `matches`, as views
    /// named `what`. The test sees only the entry's bytes, so the loop over a
    /// table costs one comparison per entry; a view is made only for a match.
    pub fn matching<F>(&self, what: &'static str, size: u64, matches: F) -> impl Iterator<Item = Data<'a>> + 'a
    where
        F: Fn(&[u8]) -> bool + 'a,
    {
        let step = usize::try_from(size).unwrap_or(usize::MAX).max(1);
        let (mut base, endian, mut rest) = (self.base, self.endian, self.bytes);
        // Split off one entry at a time (`chunks_exact` would divide to count them).
        core::iter::from_fn(move || loop {
            let (bytes, tail) = rest.split_at_checked(step)?;
            let at = base;
            (rest, base) = (tail, base.saturating_add(size));
            if matches(bytes) {
                return Some(Data { bytes, base: at, what, endian });
            }
        })
    }

    #[inline(always)]
    fn array<const N: usize>(&self, at: u64) -> Result<[u8; N], Error> {
        let field = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<N>());
        match field {
            Some(field) => Ok(*field),
            None => Err(truncated(self.what, at, N as u64, 1, (self.what, self.base, self.len()))),
        }
    }

    /// The two `u32` fields of the 8-byte structure `what` at `at` (as a load
    /// command's `cmd` and `cmdsize`), with one bounds check and one load.
    #[inline(always)]
    pub fn u32_pair(&self, what: &'static str, at: u64) -> Result<[u32; 2], Error> {
        let both = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<8>());
        let Some(&both) = both else {
            return Err(truncated(what, at, 8, 1, (self.what, self.base, self.len())));
        };
        // In either byte order, the first field is the one at `at`.
        let v = self.endian.u64(both);
        let (first, second) = if self.endian.is_big() { (v >> 32, v) } else { (v, v >> 32) };
        Ok([first as u32, second as u32])
    }

    #[inline(always)]
    pub fn u8(&self, at: u64) -> Result<u8, Error> {
        self.array::<1>(at).map(|[b]| b)
    }

    #[inline(always)]
    pub fn u16(&self, at: u64) -> Result<u16, Error> {
        self.array(at).map(|b| self.endian.u16(b))
    }

    #[inline(always)]
    pub fn u32(&self, at: u64) -> Result<u32, Error> {
        self.array(at).map(|b| self.endian.u32(b))
    }

    #[inline(always)]
    pub fn u64(&self, at: u64) -> Result<u64, Error> {
        self.array(at).map(|b| self.endian.u64(b))
    }

    /// A `u64` field in 64-bit files, a `u32` one in 32-bit files.
    #[inline(always)]
    pub fn word(&self, at: u64, wide: bool) -> Result<u64, Error> {
        if wide {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }

    /// Whether the NUL-terminated string at `at` is exactly `name`. A string
    /// that runs off the end of the view matches nothing.
    // Inline across the crate: the ELF walk's loop calls it once per section,
    // and a call that cannot be inlined costs +11% instructions per lookup.
    #[inline]
    pub fn cstr_is(&self, at: u64, name: &[u8]) -> bool {
        let Some(field) = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)) else {
            return false;
        };
        // Most names differ within their first four bytes: one word compare rejects them.
        if let (Some(head), Some(want)) = (field.first_chunk::<4>(), name.first_chunk::<4>()) {
            if head != want {
                return false;
            }
        }
        let mut field = field.iter();
        name.iter().all(|b| field.next() == Some(b)) && field.next() == Some(&0)
    }

    /// Whether the `N` bytes at `at` are `padded` (a name NUL-padded by [`pad`]):
    /// one fixed-size comparison per header, no scanning.
    #[cfg(feature = "std")]
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

/// Why `count` entries of `size` bytes at `offset` do not fit in a view
/// (`scope`: its name, base and length). Out of line and taking plain values,
/// so that the callers' fast paths neither carry nor spill what only an error needs.
#[cold]
#[inline(never)]
fn truncated(what: &'static str, offset: u64, size: u64, count: u64, scope: (&'static str, u64, u64)) -> Error {
    let (scope, base, available) = scope;
    let abs = base.saturating_add(offset);
    match size.checked_mul(count).and_then(|len| offset.checked_add(len)) {
        None => Error::Overflow { what, offset: abs, size, count },
        Some(_) => Error::Truncated { what, offset: abs, size, count, scope, available },
    }
}

/// A fixed-size structure of the file, bounds-checked once, so that reading
/// its fields needs no further checks or error paths. It borrows the bytes:
/// a copy on the stack, read back in wider loads than it was written with,
/// stalls the CPU's store forwarding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed<'a, const N: usize> {
    pub bytes: &'a [u8; N],
    pub endian: Endian,
}

impl<const N: usize> Fixed<'_, N> {
    /// The `W` bytes at `at`. Every caller passes a constant offset inside
    /// the structure, so the zero fallback is unreachable and compiles away.
    #[inline(always)]
    fn field<const W: usize>(&self, at: u64) -> [u8; W] {
        let field = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<W>());
        field.copied().unwrap_or([0; W])
    }

    #[inline(always)]
    pub fn u16(&self, at: u64) -> u16 {
        self.endian.u16(self.field(at))
    }

    #[inline(always)]
    pub fn u32(&self, at: u64) -> u32 {
        self.endian.u32(self.field(at))
    }

    #[inline(always)]
    pub fn u64(&self, at: u64) -> u64 {
        self.endian.u64(self.field(at))
    }

    /// A `u64` field in 64-bit files, a `u32` one in 32-bit files.
    #[inline(always)]
    pub fn word(&self, at: u64, wide: bool) -> u64 {
        if wide {
            self.u64(at)
        } else {
            u64::from(self.u32(at))
        }
    }
}

/// The `u32` at the start of a raw table entry (an ELF `sh_name`), for the
/// tests of [`Data::matching`]; `None` if the entry is shorter.
#[inline(always)]
pub(crate) fn first_u32(entry: &[u8], endian: Endian) -> Option<u32> {
    Some(endian.u32(*entry.first_chunk::<4>()?))
}

/// `name` NUL-padded to `N` bytes, as fixed-size name fields store it, or
/// `None` if it does not fit.
pub(crate) fn pad<const N: usize>(name: &[u8]) -> Option<[u8; N]> {
    let mut padded = [0u8; N];
    padded.get_mut(..name.len())?.copy_from_slice(name);
    Some(padded)
}
