//! A bounds-checked, endian-aware view of an image for the section lister.
//! Every read is checked; an error names the structure and its absolute file
//! offset. (The library's own reader is private to it.)

/// The bytes of one image, which start at absolute file offset `base`.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    base: u64,
    big: bool,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], base: u64) -> Self {
        Reader { bytes, base, big: false }
    }

    pub fn big_endian(self, big: bool) -> Self {
        Reader { big, ..self }
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The absolute file offset of `at`.
    pub fn abs(&self, at: u64) -> u64 {
        self.base.saturating_add(at)
    }

    /// `len` bytes at `at`, or an error naming `what`.
    pub fn bytes(&self, what: &str, at: u64, len: u64) -> Result<&'a [u8], String> {
        let end = at.checked_add(len);
        usize::try_from(at)
            .ok()
            .zip(end.and_then(|e| usize::try_from(e).ok()))
            .and_then(|(start, end)| self.bytes.get(start..end))
            .ok_or_else(|| {
                format!(
                    "{what} at {:#x} ({len} bytes) runs past the end of the image ({:#x} bytes)",
                    self.abs(at),
                    self.len()
                )
            })
    }

    fn array<const N: usize>(&self, what: &str, at: u64) -> Result<[u8; N], String> {
        let bytes = self.bytes(what, at, N as u64)?;
        bytes.try_into().map_err(|_| format!("{what} at {:#x}: short read", self.abs(at)))
    }

    pub fn u8(&self, what: &str, at: u64) -> Result<u8, String> {
        self.array::<1>(what, at).map(|[b]| b)
    }

    pub fn u16(&self, what: &str, at: u64) -> Result<u16, String> {
        let b = self.array(what, at)?;
        Ok(if self.big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    pub fn u32(&self, what: &str, at: u64) -> Result<u32, String> {
        let b = self.array(what, at)?;
        Ok(if self.big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    pub fn u64(&self, what: &str, at: u64) -> Result<u64, String> {
        let b = self.array(what, at)?;
        Ok(if self.big { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }

    /// A `u64` in a 64-bit image, a `u32` in a 32-bit one.
    pub fn word(&self, what: &str, at: u64, wide: bool) -> Result<u64, String> {
        if wide {
            self.u64(what, at)
        } else {
            self.u32(what, at).map(u64::from)
        }
    }

    /// The NUL-terminated string at `at` inside `within` (a range of this
    /// image), without its NUL; `None` if it does not end inside `within`.
    pub fn cstr(&self, within: &'a [u8], at: u64) -> Option<&'a [u8]> {
        let rest = within.get(usize::try_from(at).ok()?..)?;
        rest.get(..rest.iter().position(|&b| b == 0)?)
    }
}

/// A fixed-size NUL-padded name field (Mach-O, COFF), as text.
pub fn padded_name(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(field.get(..end).unwrap_or(field)).into_owned()
}
