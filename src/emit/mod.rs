//! Writing a relocatable object (`.o` / `.obj`) that carries a payload, for the
//! platform linker to put into a shared library.
//!
//! The object carries the container of docs/FORMAT.md (`.jlji`, or
//! `__JULIA,__ji` for Mach-O): the 64-byte frame and then the payload. The
//! rest of it is the headers and tables the format requires, and they all
//! come *before* the container, so the payload is the last thing in the file
//! and can be streamed from a reader after the headers are written
//! ([`Target::write_from_reader`]). `write` and `write_from_reader` never
//! buffer the payload; `to_vec` copies it once, into the object it returns.
//!
//! ```
//! let target = pkgimg::Target::from_triple("x86_64-unknown-linux-gnu")?;
//! let object = target.to_vec(b"hello")?;
//! let payload = pkgimg::find_ji_payload(&object)?;
//! assert_eq!(payload.data(), b"hello");
//! assert_eq!(payload.offset(), target.layout(5)?.payload.offset);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// A target is a triple read by `triple`, given header values by `abi`; the
// format modules (`crate::{elf,macho,coff}::emit`) turn those into bytes.
mod abi;
mod compress;
mod data_library;
mod triple;

use std::io::{self, Read, Write};

use self::abi::Header;
pub use self::compress::{compress, CompressError, Compressed, Compression};
pub use self::data_library::{emit_data_library, write_universal_data_library, DataLibrary, DataLibraryLayout};
use crate::frame::{self, Frame};
pub use crate::write::error::EmitError;
use crate::{Arch, Endian, FileRange, Format, Image};

/// Where things are in an object [`Target`] writes, as absolute file offsets.
/// Known before any byte is written ([`Target::layout`]), so a caller can
/// plan around the payload's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The container section's data: the frame, then the payload.
    pub container: FileRange,
    /// The payload (`container.offset + 64`, a multiple of 64).
    pub payload: FileRange,
    /// The size of the whole object; the payload ends it.
    pub size: u64,
}

/// What an object for one target looks like: the parsed target triple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    image: Image,
    header: Header,
}

impl Target {
    /// Parses a target triple as rustc, clang, GCC or zig spell it:
    /// `x86_64-unknown-linux-gnu`, `aarch64-linux-gnu`, `arm64-apple-macos`,
    /// `x86_64-apple-macosx11.0`, `i686-pc-windows-msvc`, `x86-windows-gnu`,
    /// `riscv64gc-unknown-linux-gnu`, `armv7-unknown-linux-gnueabihf`, ...
    ///
    /// Apple operating systems give Mach-O (x86_64 and arm64 only), Windows
    /// gives COFF, everything else ELF. An error names the component that was
    /// not understood.
    ///
    /// ```
    /// use pkgimg::{Arch, Endian, Format, Target};
    /// let mac = Target::from_triple("arm64-apple-macos")?;
    /// assert_eq!((mac.format(), mac.arch(), mac.bits()), (Format::MachO, Arch::Aarch64, 64));
    /// let win: Target = "i686-pc-windows-msvc".parse()?;
    /// assert_eq!((win.format(), win.arch(), win.bits()), (Format::Coff, Arch::X86, 32));
    /// let ppc = Target::from_triple("powerpc64-unknown-linux-gnu")?;
    /// assert_eq!((ppc.format(), ppc.endian()), (Format::Elf, Endian::Big));
    ///
    /// // RISC-V ELF psABI: "gc" means the double-float ABI (EF_RISCV_FLOAT_ABI_DOUBLE,
    /// // 0x4) and compressed code (EF_RISCV_RVC, 0x1); linkers refuse to mix ABIs.
    /// assert_eq!(Target::from_triple("riscv64gc-unknown-linux-gnu")?.elf_flags(), Some(0x5));
    ///
    /// let error = Target::from_triple("x86_64-unknown-plan9").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     r#"target triple "x86_64-unknown-plan9" not understood: "plan9" is not a known operating system"#
    /// );
    /// # Ok::<(), pkgimg::EmitError>(())
    /// ```
    pub fn from_triple(triple: &str) -> Result<Target, EmitError> {
        let header = Header::of(&triple::parse(triple)?)?;
        Ok(Target { image: header.image(), header })
    }

    /// The image an object for this target is: format, architecture, width,
    /// byte order, as [`find_ji_payload`](crate::find_ji_payload) reports them.
    pub fn image(&self) -> Image {
        self.image
    }

    /// The object format: ELF, Mach-O or COFF.
    pub fn format(&self) -> Format {
        self.image.format
    }

    /// The CPU architecture.
    pub fn arch(&self) -> Arch {
        self.image.arch
    }

    /// Pointer width: 32 or 64 (the ELF class; 32 for x32 and MIPS n32).
    pub fn bits(&self) -> u8 {
        self.image.bits
    }

    /// Byte order of the object's headers.
    pub fn endian(&self) -> Endian {
        self.image.endian
    }

    /// The ELF `e_flags` this target's objects carry (`None` for Mach-O and
    /// COFF). Linkers compare these across inputs; `src/emit/abi.rs` says
    /// why each target gets the flags it does.
    pub fn elf_flags(&self) -> Option<u32> {
        match self.header {
            Header::Elf(elf) => Some(elf.flags),
            _ => None,
        }
    }

    /// Where the container and the payload will be in an object carrying
    /// `payload_size` bytes.
    pub fn layout(&self, payload_size: u64) -> Result<Layout, EmitError> {
        Ok(self.head(payload_size)?.1)
    }

    /// Writes the object carrying `payload` to `out`.
    pub fn write(&self, payload: &[u8], out: &mut impl Write) -> Result<Layout, EmitError> {
        let (head, layout) = self.head(payload.len() as u64)?;
        out.write_all(&head)?;
        out.write_all(&frame_bytes(layout.payload.size, crate::crc::crc32c(payload)))?;
        out.write_all(payload)?;
        Ok(layout)
    }

    /// The object carrying `payload`, in memory.
    pub fn to_vec(&self, payload: &[u8]) -> Result<Vec<u8>, EmitError> {
        let (head, layout) = self.head(payload.len() as u64)?;
        let mut out = Vec::with_capacity(usize::try_from(layout.size).unwrap_or(0));
        out.extend_from_slice(&head);
        out.extend_from_slice(&frame_bytes(layout.payload.size, crate::crc::crc32c(payload)));
        out.extend_from_slice(payload);
        Ok(out)
    }

    /// Writes the object, streaming the payload from `payload`: the headers
    /// and frame first (they need only the size and the CRC-32C), then exactly
    /// `payload_size` bytes copied through a small buffer.
    ///
    /// The CRC of the bytes read is checked against `payload_crc32c`; on
    /// [`EmitError::ShortPayload`] or [`EmitError::ChecksumMismatch`] the
    /// bytes already written are an unusable object.
    ///
    /// ```
    /// use pkgimg::{EmitError, Format, Target};
    /// let target = Target::from_triple("x86_64-pc-windows-msvc")?;
    /// // "123456789" has the CRC catalogue's check value 0xe3069283.
    /// let data = b"123456789";
    /// let mut object = Vec::new();
    /// let layout = target.write_from_reader(9, 0xe306_9283, &mut &data[..], &mut object)?;
    /// assert_eq!(layout.size, object.len() as u64);
    /// let payload = pkgimg::find_ji_payload(&object)?;
    /// assert_eq!((payload.format(), payload.offset(), payload.data()), (Format::Coff, layout.payload.offset, &data[..]));
    ///
    /// // A CRC that does not match the bytes is caught once they have streamed by.
    /// let error = target.write_from_reader(9, 0, &mut &data[..], &mut Vec::new()).unwrap_err();
    /// assert!(matches!(error, EmitError::ChecksumMismatch { expected: 0, actual: 0xe306_9283 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_from_reader(
        &self,
        payload_size: u64,
        payload_crc32c: u32,
        payload: &mut impl Read,
        out: &mut impl Write,
    ) -> Result<Layout, EmitError> {
        self.stream(payload_size, payload_crc32c, None, payload, out)
    }

    /// [`Target::write_from_reader`] for a payload stored compressed: the
    /// `stored_size` bytes read from `payload` are one zstd frame (made by
    /// [`compress()`], say) that decodes to `uncompressed_size` bytes, and the
    /// frame says so (flags bit 1, docs/FORMAT.md "The frame"). The CRC-32C
    /// is that of the stored bytes, checked as they stream by.
    ///
    /// ```
    /// use pkgimg::emit::{compress, Compression, Target};
    /// let text = "123456789".repeat(1000);
    /// let mut frame = Vec::new();
    /// let done = compress(&mut text.as_bytes(), 9000, &mut frame, Compression::default(), &mut |_| {})?;
    /// let target = Target::from_triple("x86_64-unknown-linux-gnu")?;
    /// let mut object = Vec::new();
    /// target.write_zstd_from_reader(done.stored_size, done.crc32c, 9000, &mut &frame[..], &mut object)?;
    /// let payload = pkgimg::find_ji_payload(&object)?;
    /// assert_eq!((payload.compressed(), payload.uncompressed_size()), (true, Some(9000)));
    /// assert_eq!(payload.data(), &frame[..]);
    /// let mut content = Vec::new();
    /// payload.decompress_to(&mut content)?;
    /// assert_eq!(content, text.as_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_zstd_from_reader(
        &self,
        stored_size: u64,
        stored_crc32c: u32,
        uncompressed_size: u64,
        payload: &mut impl Read,
        out: &mut impl Write,
    ) -> Result<Layout, EmitError> {
        self.stream(stored_size, stored_crc32c, Some(uncompressed_size), payload, out)
    }

    /// Headers, the frame (compressed if `uncompressed_size` is given), then
    /// the stored bytes streamed and checked.
    fn stream(
        &self,
        payload_size: u64,
        payload_crc32c: u32,
        uncompressed_size: Option<u64>,
        payload: &mut impl Read,
        out: &mut impl Write,
    ) -> Result<Layout, EmitError> {
        let (head, layout) = self.head(payload_size)?;
        out.write_all(&head)?;
        let frame = Frame::new(u64::from(frame::SIZE), payload_size, payload_crc32c);
        let frame = match uncompressed_size {
            Some(size) => frame.with_zstd(size),
            None => frame,
        };
        out.write_all(&frame.to_bytes())?;
        let mut sink = CrcWriter { inner: out, crc: 0 };
        let got = io::copy(&mut payload.take(payload_size), &mut sink)?;
        if got != payload_size {
            return Err(EmitError::ShortPayload { expected: payload_size, got });
        }
        if sink.crc != payload_crc32c {
            return Err(EmitError::ChecksumMismatch { expected: payload_crc32c, actual: sink.crc });
        }
        Ok(layout)
    }

    /// The bytes before the frame, and the layout they imply.
    fn head(&self, payload_size: u64) -> Result<(Vec<u8>, Layout), EmitError> {
        let too_large = |limit| EmitError::TooLarge {
            format: self.image.format,
            field: "container size",
            value: payload_size,
            limit,
        };
        let container_size = payload_size.checked_add(u64::from(frame::SIZE)).ok_or(too_large(u64::MAX))?;
        let head = match &self.header {
            Header::Elf(elf) => crate::elf::emit::head(elf, container_size)?,
            Header::MachO(macho) => crate::macho::emit::head(macho, container_size)?,
            Header::Coff(coff) => crate::coff::emit::head(coff, container_size)?,
        };
        let at = head.len() as u64;
        let payload_at = at.checked_add(u64::from(frame::SIZE)).ok_or(too_large(u64::MAX))?;
        let size = payload_at.checked_add(payload_size).ok_or(too_large(u64::MAX))?;
        let layout = Layout {
            container: FileRange { offset: at, size: container_size },
            payload: FileRange { offset: payload_at, size: payload_size },
            size,
        };
        Ok((head, layout))
    }
}

impl core::str::FromStr for Target {
    type Err = EmitError;

    fn from_str(triple: &str) -> Result<Target, EmitError> {
        Target::from_triple(triple)
    }
}

/// Writes a relocatable object for `target` (a triple, see
/// [`Target::from_triple`]) whose container holds the frame and `payload`.
///
/// ```
/// use pkgimg::{Arch, FileRange, Format};
/// let mut object = Vec::new();
/// pkgimg::emit_object("arm64-apple-macos", b"123456789", &mut object)?;
/// let payload = pkgimg::find_ji_payload(&object)?;
/// assert_eq!((payload.format(), payload.arch()), (Format::MachO, Arch::Aarch64));
/// // docs/FORMAT.md: the payload follows the 64-byte frame at the start of `__JULIA,__ji`.
/// let container = pkgimg::find_section(&object, "__JULIA,__ji")?.section.unwrap();
/// assert_eq!(container, FileRange { offset: payload.offset() - 64, size: 64 + 9 });
/// payload.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn emit_object(target: &str, payload: &[u8], out: &mut impl Write) -> Result<(), EmitError> {
    Target::from_triple(target)?.write(payload, out).map(drop)
}

/// [`emit_object`] into a new `Vec`.
///
/// ```
/// let object = pkgimg::emit_object_to_vec("x86_64-unknown-linux-gnu", b"123456789")?;
/// let payload = pkgimg::find_ji_payload(&object)?;
/// assert_eq!(payload.data(), b"123456789");
/// assert_eq!(payload.frame().payload_crc32c, 0xe306_9283); // the CRC catalogue's check value
/// // docs/FORMAT.md, "Writing rules": the payload starts on a multiple of 64, and
/// // this writer puts it last so it can be streamed.
/// assert_eq!(payload.offset() % 64, 0);
/// assert_eq!(payload.offset() + 9, object.len() as u64);
/// // EI_OSABI (byte 7) is ELFOSABI_GNU (3): GNU ld honours SHF_GNU_RETAIN only then.
/// assert_eq!(object[7], 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn emit_object_to_vec(target: &str, payload: &[u8]) -> Result<Vec<u8>, EmitError> {
    Target::from_triple(target)?.to_vec(payload)
}

/// The frame an object's container starts with (docs/FORMAT.md): the payload
/// right after the 64-byte header, CRC always present. (The injectors write
/// theirs with a placeholder CRC and seal it after the copy.)
fn frame_bytes(payload_size: u64, crc: u32) -> [u8; 64] {
    Frame::new(u64::from(frame::SIZE), payload_size, crc).to_bytes()
}

/// Passes bytes through, keeping a running CRC-32C of them.
struct CrcWriter<'a, W: Write> {
    inner: &'a mut W,
    crc: u32,
}

impl<W: Write> Write for CrcWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
