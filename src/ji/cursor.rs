//! The one sequential reader of `.ji` bytes, and what it reports when a field
//! does not fit: [`Stop`] (where) and [`Reason`] (why).
//!
//! Every read goes through the bounds-checked [`Data`] view; Julia writes all
//! multi-byte fields in the writer's byte order (`write_uint*` store the
//! machine's bytes), which the byte-order mark reveals.

use core::fmt;

use crate::read::Data;

/// Why decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The data does not start with [`MAGIC`](super::MAGIC).
    NotJi,
    /// The field needs more bytes than remain.
    Truncated {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left from the field's offset to the end of the part being read.
        available: u64,
    },
    /// A string has no NUL terminator before the end of the data.
    Unterminated,
    /// The byte-order mark is neither `FF FE` nor `FE FF`, so no multi-byte
    /// field can be read.
    BadByteOrderMark([u8; 2]),
    /// A format version whose layout this module does not know.
    UnknownVersion(u16),
    /// A length below zero (Julia reads lengths as `Int32`).
    NegativeLength(i32),
    /// A dependency entry names worklist module `index` (1-based), but the
    /// worklist has `worklist` entries (Julia's `modules[n1]` would fail).
    ModuleIndex {
        /// The index as stored.
        index: i32,
        /// How many worklist entries there are.
        worklist: u32,
    },
    /// A `requires` entry (a name starting with NUL) shorter than the 17 bytes
    /// of `binpack`'s NUL and UUID.
    ShortRequire {
        /// The entry's length.
        len: u64,
    },
    /// The dependency list's byte count does not match what any layout reads.
    DependencyBytes {
        /// The count the header declares.
        declared: u64,
        /// The count the layout chosen from the Julia version reads.
        read: u64,
    },
    /// The source-text position points into the header.
    SourceTextInHeader {
        /// Where the header ends.
        header_end: u64,
    },
    /// The data is too short to hold a trailer after the decoded header.
    NoRoomForTrailer {
        /// Where the decoded header ends.
        header_end: u64,
    },
}

/// Where decoding stopped, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    /// Offset of the field that could not be decoded, from the first byte of
    /// the `.ji` data.
    pub offset: u64,
    /// The field, e.g. "git branch string".
    pub field: &'static str,
    /// Why.
    pub reason: Reason,
}

impl Stop {
    /// The message with the offset counted from `base` (the `.ji` data's
    /// position in its file): "FIELD at file offset 0x.. (.ji offset 0x..): WHY".
    pub fn at(&self, base: u64) -> impl fmt::Display + '_ {
        StopAt { stop: self, base }
    }
}

struct StopAt<'s> {
    stop: &'s Stop,
    base: u64,
}

impl fmt::Display for StopAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Stop { offset, field, reason } = self.stop;
        let file = self.base.saturating_add(*offset);
        write!(f, "{field} at file offset {file:#x} (.ji offset {offset:#x}): ")?;
        reason.explain(f)
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Stop { offset, field, reason } = self;
        write!(f, "{field} at offset {offset:#x}: ")?;
        reason.explain(f)
    }
}

impl Reason {
    fn explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::NotJi => f.write_str("the data does not start with the .ji magic"),
            Reason::Truncated { needed, available } => write!(f, "needs {needed} bytes, only {available} remain"),
            Reason::Unterminated => f.write_str("no NUL terminator before the end of the data"),
            Reason::BadByteOrderMark([a, b]) => write!(
                f,
                "is {a:02x} {b:02x}, expected ff fe (little-endian) or fe ff (big-endian); \
                 without it no multi-byte field, not even the version before it, can be read"
            ),
            Reason::UnknownVersion(v) => {
                write!(f, "is {v}; the layout is known for versions 12 (Julia 1.9 to 1.13) to 15 only")
            }
            Reason::NegativeLength(n) => write!(f, "is {n}, a negative length"),
            Reason::ModuleIndex { index, worklist } => {
                write!(f, "names worklist module {index}, but the worklist has {worklist}")
            }
            Reason::ShortRequire { len } => write!(
                f,
                "is a requires entry (it starts with NUL) of {len} bytes; binpack writes a NUL and a \
                 16-byte UUID before the name"
            ),
            Reason::DependencyBytes { declared, read } => write!(
                f,
                "declares {declared} bytes, but the layout of this Julia version reads {read} \
                 (and no other layout reads {declared})"
            ),
            Reason::SourceTextInHeader { header_end } => {
                write!(f, "points into the header, which runs to offset {header_end:#x}")
            }
            Reason::NoRoomForTrailer { header_end } => {
                write!(f, "the last 8 bytes would overlap the header, which runs to offset {header_end:#x}")
            }
        }
    }
}

/// A bounds-checked reader that moves through the data field by field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    pub data: Data<'a>,
    pub at: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(data: Data<'a>, at: u64) -> Self {
        Cursor { data, at }
    }

    /// A stop at the cursor's position.
    pub fn stop(&self, field: &'static str, reason: Reason) -> Stop {
        Stop { offset: self.at, field, reason }
    }

    pub fn truncated(&self, field: &'static str, needed: u64) -> Stop {
        let available = self.data.len().saturating_sub(self.at);
        self.stop(field, Reason::Truncated { needed, available })
    }

    /// The next `size` bytes, as a view.
    fn view(&mut self, field: &'static str, size: u64) -> Result<Data<'a>, Stop> {
        let view = self.data.table(field, self.at, size, 1).map_err(|_| self.truncated(field, size))?;
        // Cannot saturate: the view lies inside the data.
        self.at = self.at.saturating_add(size);
        Ok(view)
    }

    /// The next `size` bytes.
    pub fn bytes(&mut self, field: &'static str, size: u64) -> Result<&'a [u8], Stop> {
        self.view(field, size).map(|v| v.bytes)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, Stop> {
        let at = *self;
        self.view(field, 1)?.u8(0).map_err(|_| at.truncated(field, 1))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, Stop> {
        let at = *self;
        self.view(field, 4)?.u32(0).map_err(|_| at.truncated(field, 4))
    }

    pub fn i32(&mut self, field: &'static str) -> Result<i32, Stop> {
        self.u32(field).map(|word| i32::from_ne_bytes(word.to_ne_bytes()))
    }

    pub fn u64(&mut self, field: &'static str) -> Result<u64, Stop> {
        let at = *self;
        self.view(field, 8)?.u64(0).map_err(|_| at.truncated(field, 8))
    }

    /// A `Float64`, stored as the bits of a `u64` (`write_float64`).
    pub fn f64(&mut self, field: &'static str) -> Result<f64, Stop> {
        self.u64(field).map(f64::from_bits)
    }

    /// A `UInt128` as Julia's `write(io, ::UInt128)` stores it: 16 bytes in
    /// the writer's byte order. Returns (high half, low half).
    pub fn u128(&mut self, field: &'static str) -> Result<(u64, u64), Stop> {
        let at = *self;
        let view = self.view(field, 16)?;
        let (first, second) = match (view.u64(0), view.u64(8)) {
            (Ok(first), Ok(second)) => (first, second),
            _ => return Err(at.truncated(field, 16)),
        };
        Ok(if view.endian.is_big() { (first, second) } else { (second, first) })
    }

    /// A length written by `write_int32`; negative lengths are an error.
    pub fn len32(&mut self, field: &'static str) -> Result<u64, Stop> {
        let at = *self;
        let n = self.i32(field)?;
        u64::try_from(n).map_err(|_| at.stop(field, Reason::NegativeLength(n)))
    }

    /// An `Int32` length and that many bytes; `None` at a zero length (the
    /// terminator of Julia's lists).
    pub fn name(&mut self, len_field: &'static str, field: &'static str) -> Result<Option<&'a [u8]>, Stop> {
        match self.len32(len_field)? {
            0 => Ok(None),
            len => self.bytes(field, len).map(Some),
        }
    }

    /// A NUL-terminated string, without its NUL.
    pub fn cstr(&mut self, field: &'static str) -> Result<&'a [u8], Stop> {
        let rest = usize::try_from(self.at).ok().and_then(|at| self.data.bytes.get(at..)).unwrap_or(&[]);
        let len = rest.iter().position(|&b| b == 0).ok_or(self.stop(field, Reason::Unterminated))?;
        let string = rest.get(..len).unwrap_or(&[]);
        self.bytes(field, (len as u64).saturating_add(1))?;
        Ok(string)
    }
}
