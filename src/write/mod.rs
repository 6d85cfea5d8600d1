//! The writers' counterpart of [`crate::read`]: building header bytes and
//! patching fields in bytes that exist, in the image's byte order and width,
//! with every value checked to fit the field it goes into.
//!
//! Under it sit the two things every writer shares: the errors
//! ([`error`]) and the plan a format module hands the inject driver
//! ([`plan`]). The format modules (`src/{elf,macho,coff}/{emit,inject}.rs`)
//! and the dispatchers (`src/emit`, `src/inject`) both depend on this module,
//! and it on neither, so the module graph has no circle.

pub(crate) mod data_library;
pub(crate) mod error;
pub(crate) mod plan;

use crate::{Endian, Format};

/// Why a value could not be written into a field at `at`: the field is too
/// narrow, lies outside the bytes being patched (a writer's own mistake), or
/// its offset overflowed. Each writer turns it into its own error type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub format: Format,
    pub field: &'static str,
    pub at: u64,
    pub problem: Problem,
}

/// What a [`Misfit`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// `value` is above `limit`, the largest value the field holds.
    TooLarge { value: u64, limit: u64 },
    /// The field's `len` bytes are not inside the bytes being patched.
    Outside { len: u64 },
    /// Computing the field's position overflowed 64 bits.
    Overflow,
}

/// `value` rounded up to a multiple of `align` (a power of two), or `None`
/// if that overflows or `align` is 0. The only rounding in the writers.
pub(crate) fn align_up(value: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    Some(value.checked_add(mask)? & !mask)
}

/// [`align_up`] for a field the writer places: a [`Misfit`] naming `field`
/// on overflow.
pub(crate) fn aligned(format: Format, field: &'static str, value: u64, align: u64) -> Result<u64, Misfit> {
    align_up(value, align).ok_or(Misfit { format, field, at: value, problem: Problem::Overflow })
}

/// `a + b`, or an [`crate::Error::Overflow`] naming `what` at `a`: the one
/// overflow check of offsets computed from the input's headers.
pub(crate) fn add(what: &'static str, a: u64, b: u64) -> Result<u64, crate::Error> {
    a.checked_add(b).ok_or(crate::Error::Overflow { what, offset: a, size: 0, count: 1 })
}

/// `value` narrowed to the field type `T`, or a [`Misfit`] naming `field`.
fn narrow<T: TryFrom<u64> + Into<u64>>(at: (Format, &'static str, u64), value: u64, limit: T) -> Result<T, Misfit> {
    let (format, field, at) = at;
    let problem = Problem::TooLarge { value, limit: limit.into() };
    T::try_from(value).map_err(|_| Misfit { format, field, at, problem })
}

/// Header bytes under construction, in the image's byte order. Offsets are
/// `u64`; a field that must be narrowed (`u32_field`) refuses a value that
/// does not fit, naming the field. Class-dependent layouts (ELF) are written
/// with [`Patch`] at the offsets their layout module gives.
pub(crate) struct Bytes {
    pub(crate) bytes: Vec<u8>,
    endian: Endian,
    pub(crate) format: Format,
}

impl Bytes {
    pub(crate) fn new(format: Format, endian: Endian) -> Bytes {
        Bytes { bytes: Vec::with_capacity(512), endian, format }
    }

    /// Where the next byte goes.
    pub(crate) fn at(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Bytes {
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Bytes {
        self.bytes.push(v);
        self
    }

    pub(crate) fn u16(&mut self, v: u16) -> &mut Bytes {
        let bytes = self.endian.u16_bytes(v);
        self.raw(&bytes)
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Bytes {
        let bytes = self.endian.u32_bytes(v);
        self.raw(&bytes)
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Bytes {
        let bytes = self.endian.u64_bytes(v);
        self.raw(&bytes)
    }

    /// A field that is 32-bit in every class of the format.
    pub(crate) fn u32_field(&mut self, field: &'static str, v: u64) -> Result<&mut Bytes, Misfit> {
        Ok(self.u32(narrow((self.format, field, self.at()), v, u32::MAX)?))
    }

    /// A NUL-padded name of exactly `N` bytes (the caller's names fit).
    pub(crate) fn name<const N: usize>(&mut self, name: &[u8]) -> &mut Bytes {
        let mut field = [0u8; N];
        for (slot, byte) in field.iter_mut().zip(name) {
            *slot = *byte;
        }
        self.raw(&field)
    }

    /// Zero bytes up to the next multiple of `align`.
    pub(crate) fn pad_to(&mut self, field: &'static str, align: u64) -> Result<&mut Bytes, Misfit> {
        let at = self.at();
        let end = align_up(at, align).and_then(|end| usize::try_from(end).ok());
        let end = end.ok_or(Misfit { format: self.format, field, at, problem: Problem::Overflow })?;
        self.bytes.resize(end, 0);
        Ok(self)
    }
}

/// Fields written into bytes that already exist (a copied header), in the
/// image's byte order and width. Each write names its field; a value that
/// does not fit, or a field outside the bytes, is a [`Misfit`].
pub(crate) struct Patch<'b> {
    bytes: &'b mut [u8],
    format: Format,
    endian: Endian,
    wide: bool,
}

impl<'b> Patch<'b> {
    pub(crate) fn new(bytes: &'b mut [u8], format: Format, endian: Endian, wide: bool) -> Patch<'b> {
        Patch { bytes, format, endian, wide }
    }

    /// The bytes being patched, as patched so far.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.bytes
    }

    /// `value`'s bytes, already in the image's order, at `at`.
    pub(crate) fn raw(&mut self, field: &'static str, at: u64, value: &[u8]) -> Result<(), Misfit> {
        let len = value.len();
        let slot = usize::try_from(at).ok().and_then(|at| self.bytes.get_mut(at..at.checked_add(len)?));
        let problem = Problem::Outside { len: len as u64 };
        let slot = slot.ok_or(Misfit { format: self.format, field, at, problem })?;
        slot.copy_from_slice(value);
        Ok(())
    }

    pub(crate) fn u16(&mut self, field: &'static str, at: u64, value: u64) -> Result<(), Misfit> {
        let bytes = self.endian.u16_bytes(narrow((self.format, field, at), value, u16::MAX)?);
        self.raw(field, at, &bytes)
    }

    pub(crate) fn u32(&mut self, field: &'static str, at: u64, value: u64) -> Result<(), Misfit> {
        let bytes = self.endian.u32_bytes(narrow((self.format, field, at), value, u32::MAX)?);
        self.raw(field, at, &bytes)
    }

    pub(crate) fn u64(&mut self, field: &'static str, at: u64, value: u64) -> Result<(), Misfit> {
        let bytes = self.endian.u64_bytes(value);
        self.raw(field, at, &bytes)
    }

    /// A field that is 64-bit in 64-bit files and 32-bit in 32-bit ones.
    pub(crate) fn word(&mut self, field: &'static str, at: u64, value: u64) -> Result<(), Misfit> {
        if self.wide {
            self.u64(field, at, value)
        } else {
            self.u32(field, at, value)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn align_up_checks_overflow() {
        assert_eq!(align_up(4097, 4096), Some(8192));
        assert_eq!(align_up(4096, 4096), Some(4096));
        assert_eq!(align_up(u64::MAX, 64), None);
        assert_eq!(align_up(5, 0), None);
    }

    #[test]
    fn patch_refuses_what_does_not_fit_and_names_the_field() {
        let mut bytes = [0u8; 8];
        let mut patch = Patch::new(&mut bytes, Format::Elf, Endian::Big, false);
        patch.u32("e_shoff", 4, 0x0102_0304).unwrap();
        let misfit = patch.word("e_shoff", 0, 1 << 32).unwrap_err();
        assert_eq!(misfit.problem, Problem::TooLarge { value: 1 << 32, limit: u64::from(u32::MAX) });
        assert_eq!(misfit.field, "e_shoff");
        assert_eq!(patch.u16("e_shnum", 7, 1).unwrap_err().problem, Problem::Outside { len: 2 });
        assert_eq!(bytes, [0, 0, 0, 0, 1, 2, 3, 4]);
    }
}
