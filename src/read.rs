//! A bounds-checked, endian-aware view of a byte range: the only way the
//! navigators and the frame decoder touch file bytes.
//!
//! Every read goes through `get`, every `offset + size` through `checked_*`,
//! so a hostile header can produce an error but never a panic or a read
//! outside the file.

use core::cell::Cell;

use crate::{Endian, Error};

/// A view of `bytes`, which start at absolute file offset `base`.
///
/// `what` names the view in error messages ("the file", "the slice", or a
/// structure such as "ELF section header").
///
/// A view of a whole image normally holds all of its bytes (`S` is
/// [`Whole`], which takes no space). For a lookup from a path (`S` is
/// `&Far`) it holds only the image's first block: every access outside
/// `bytes` is served from a window read since, or recorded as missing. The
/// walks that take a whole image are generic over `S`; every sub-view is
/// whole, so a walk that iterates a table's bytes never sees part of one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Data<'a, S = Whole> {
    pub bytes: &'a [u8],
    pub base: u64,
    pub what: &'static str,
    pub endian: Endian,
    pub source: S,
}

/// Where a view's bytes outside `bytes` come from: nowhere ([`Whole`]: the
/// view holds all of them), or the windows of a [`Far`].
pub(crate) trait Source<'a>: Copy + core::fmt::Debug {
    /// The windows, if any: `None` is a constant for [`Whole`], so the
    /// walks over bytes in memory compile as if this did not exist.
    fn far(self) -> Option<&'a Far<'a>>;
}

/// A view that holds all of its bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Whole;

impl<'a> Source<'a> for Whole {
    #[inline(always)]
    fn far(self) -> Option<&'a Far<'a>> {
        None
    }
}

impl<'a> Source<'a> for &'a Far<'a> {
    #[inline(always)]
    fn far(self) -> Option<&'a Far<'a>> {
        Some(self)
    }
}

/// Either source, chosen when a view is made: for a walk that keeps its
/// image to read more of it as it goes, in an iterator that is generic over
/// neither (the PE dependency walk).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Either<'a>(pub Option<&'a Far<'a>>);

impl<'a> Source<'a> for Either<'a> {
    #[inline(always)]
    fn far(self) -> Option<&'a Far<'a>> {
        self.0
    }
}

impl<'a, S: Source<'a>> Data<'a, S> {
    /// This view, with its source chosen at run time ([`Either`]).
    pub fn either(self) -> Data<'a, Either<'a>> {
        Data {
            bytes: self.bytes,
            base: self.base,
            what: self.what,
            endian: self.endian,
            source: Either(self.source.far()),
        }
    }
}

/// The parts of a file read so far by a lookup from a path (pread, not
/// mmap): the windows, each at its absolute offset, and the length of the
/// image they belong to. An access that no window covers is recorded in
/// `missing` (the first only) and fails; the caller reads that range and runs
/// the lookup again, so the walks themselves stay the ones that run on bytes
/// in memory.
#[derive(Debug)]
pub(crate) struct Far<'a> {
    /// The image's length: what the whole-image view's bounds are checked against.
    pub len: u64,
    /// `(absolute offset, bytes)`, in the order they were read.
    pub windows: &'a [(u64, &'a [u8])],
    /// The first `(absolute offset, length)` asked for and not in a window.
    pub missing: Cell<Option<(u64, u64)>>,
}

impl<'a> Data<'a> {
    pub fn new(bytes: &'a [u8], base: u64, what: &'static str) -> Self {
        Data { bytes, base, what, endian: Endian::Little, source: Whole }
    }
}

impl<'a> Data<'a, &'a Far<'a>> {
    /// The view of an image of `far.len` bytes at `base` of which `first`
    /// (its first bytes, possibly all of them) and `far`'s windows are read.
    #[cfg(feature = "std")]
    pub fn partial(first: &'a [u8], base: u64, what: &'static str, far: &'a Far<'a>) -> Self {
        Data { bytes: first, base, what, endian: Endian::Little, source: far }
    }
}

impl<'a, S: Source<'a>> Data<'a, S> {
    pub fn with_endian(self, endian: Endian) -> Self {
        Data { endian, ..self }
    }

    /// The view's length: for a partially read image, the image's, not what was read.
    #[inline(always)]
    pub fn len(&self) -> u64 {
        match self.source.far() {
            Some(far) => far.len,
            None => self.bytes.len() as u64,
        }
    }

    /// Checks that `size` bytes at `offset` lie inside the view, without
    /// reading them: for a range a lookup reports but does not read (the
    /// container, the payload).
    #[inline(always)]
    pub fn within(&self, what: &'static str, offset: u64, size: u64) -> Result<(), Error> {
        // For a whole view, the same check as `table` (which measures a few
        // instructions cheaper per lookup than comparing with the length).
        if self.source.far().is_none() {
            return self.table(what, offset, size, 1).map(|_| ());
        }
        let range = offset.checked_add(size).and_then(|end| {
            let (start, end) = (usize::try_from(offset).ok()?, usize::try_from(end).ok()?);
            self.bytes.get(start..end)
        });
        match range {
            Some(_) => Ok(()),
            None if self.source.far().is_none() => Err(truncated(what, offset, size, 1, self.scope())),
            None => far_within(self.far(), what, offset, size),
        }
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
            Some(bytes) => {
                Ok(Data { bytes, base: self.base.saturating_add(offset), what, endian: self.endian, source: Whole })
            }
            None if self.source.far().is_none() => Err(truncated(what, offset, size, count, self.scope())),
            None => far_table(self.far(), what, offset, size, count, self.endian),
        }
    }

    /// The view's name, base and length, for an error.
    #[inline(always)]
    fn scope(&self) -> (&'static str, u64, u64) {
        (self.what, self.base, self.bytes.len() as u64)
    }

    /// What a read outside `bytes` gets: a window of a partially read
    /// image, or an error. Its arguments are plain values, like
    /// [`truncated`]'s, so that the fast paths of the callers need not put
    /// the view in memory to pass it.
    #[inline(always)]
    fn far(&self) -> Outside<'a> {
        Outside { far: self.source.far(), scope: self.what, base: self.base, len: self.bytes.len() as u64 }
    }
    /// The `N` bytes at `offset`, as a [`Fixed`] structure named `what`.
    #[inline(always)]
    pub fn fixed<const N: usize>(&self, what: &'static str, offset: u64) -> Result<Fixed<'a, N>, Error> {
        let bytes = usize::try_from(offset).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<N>());
        match bytes {
            Some(bytes) => Ok(Fixed { bytes, endian: self.endian }),
            None if self.source.far().is_none() => Err(truncated(what, offset, N as u64, 1, self.scope())),
            None => far_fixed(self.far(), what, offset, self.endian),
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
            source: Whole,
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
                return Some(Data { bytes, base: at, what, endian, source: Whole });
            }
        })
    }

    #[inline(always)]
    fn array<const N: usize>(&self, at: u64) -> Result<[u8; N], Error> {
        let field = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<N>());
        match field {
            Some(field) => Ok(*field),
            None if self.source.far().is_none() => Err(truncated(self.what, at, N as u64, 1, self.scope())),
            None => far_fixed::<N>(self.far(), self.what, at, self.endian).map(|f| *f.bytes),
        }
    }

    /// The two `u32` fields of the 8-byte structure `what` at `at` (as a load
    /// command's `cmd` and `cmdsize`), with one bounds check and one load.
    #[inline(always)]
    pub fn u32_pair(&self, what: &'static str, at: u64) -> Result<[u32; 2], Error> {
        let both = usize::try_from(at).ok().and_then(|at| self.bytes.get(at..)?.first_chunk::<8>());
        let both = match both {
            Some(&both) => both,
            None if self.source.far().is_none() => return Err(truncated(what, at, 8, 1, self.scope())),
            None => *far_fixed::<8>(self.far(), what, at, self.endian)?.bytes,
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

/// A view's identity for a read outside its bytes: see [`Data::far`].
#[derive(Clone, Copy)]
struct Outside<'a> {
    far: Option<&'a Far<'a>>,
    scope: &'static str,
    base: u64,
    /// The bytes the view holds.
    len: u64,
}

impl Outside<'_> {
    /// The view's name, base and length for an error: the image's length
    /// for a partially read image.
    fn scope(&self) -> (&'static str, u64, u64) {
        (self.scope, self.base, self.far.map_or(self.len, |far| far.len))
    }
}

/// [`Data::table`] for a range outside the view's bytes: from a window of a
/// partially read image, or an error (recording the range as missing if it
/// lies inside the image).
#[cold]
#[inline(never)]
fn far_table<'a>(
    view: Outside<'a>,
    what: &'static str,
    offset: u64,
    size: u64,
    count: u64,
    endian: Endian,
) -> Result<Data<'a>, Error> {
    let scope = view.scope();
    let (Some(far), Some(len)) = (view.far, size.checked_mul(count)) else {
        return Err(truncated(what, offset, size, count, scope));
    };
    match offset.checked_add(len) {
        Some(end) if end <= far.len => {}
        _ => return Err(truncated(what, offset, size, count, scope)),
    }
    let start = view.base.saturating_add(offset);
    let found = far.windows.iter().find_map(|&(at, bytes)| {
        let from = usize::try_from(start.checked_sub(at)?).ok()?;
        bytes.get(from..from.checked_add(usize::try_from(len).ok()?)?)
    });
    match found {
        Some(bytes) => Ok(Data { bytes, base: start, what, endian, source: Whole }),
        None => {
            if far.missing.get().is_none() {
                far.missing.set(Some((start, len)));
            }
            Err(truncated(what, offset, size, count, scope))
        }
    }
}

/// [`far_table`] for a fixed-size structure.
#[cold]
#[inline(never)]
fn far_fixed<'a, const N: usize>(
    view: Outside<'a>,
    what: &'static str,
    offset: u64,
    endian: Endian,
) -> Result<Fixed<'a, N>, Error> {
    let data = far_table(view, what, offset, N as u64, 1, endian)?;
    match data.bytes.first_chunk::<N>() {
        Some(bytes) => Ok(Fixed { bytes, endian }),
        None => Err(truncated(what, offset, N as u64, 1, view.scope())),
    }
}

/// [`Data::within`] for a range outside the view's bytes: inside a partially
/// read image is enough, since nothing is read.
#[cold]
#[inline(never)]
fn far_within(view: Outside<'_>, what: &'static str, offset: u64, size: u64) -> Result<(), Error> {
    match (view.far, offset.checked_add(size)) {
        (Some(far), Some(end)) if end <= far.len => Ok(()),
        _ => Err(truncated(what, offset, size, 1, view.scope())),
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
