//! Writing a relocatable object (`.o` / `.obj`) that carries a payload, for the
//! platform linker to put into a shared library.
//!
//! The object has one section, the container of FORMAT.md (`.jlji`, or
//! `__JULIA,__ji` for Mach-O), holding the 64-byte frame and then the payload.
//! Every table comes *before* the container, so the payload is the last thing
//! in the file and can be streamed from a reader after the headers are written
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

use std::io::{self, Read, Write};

use crate::coff::emit::CoffHeader;
use crate::elf::emit::ElfHeader;
use crate::frame::{self, Frame};
use crate::macho::emit::MachOHeader;
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

/// The format-specific header values that a triple decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Elf(ElfHeader),
    MachO(MachOHeader),
    Coff(CoffHeader),
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
        let parsed = parse(triple)?;
        let header = match parsed.os {
            Os::Apple(platform) => Header::MachO(macho_header(&parsed, platform)?),
            Os::Windows => Header::Coff(coff_header(&parsed)?),
            Os::Elf(os) => Header::Elf(elf_header(&parsed, os)?),
        };
        Ok(Target { image: image_of(&header), header })
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
    /// COFF). Linkers compare these across inputs; see the module source.
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
        let (head, layout) = self.head(payload_size)?;
        out.write_all(&head)?;
        out.write_all(&frame_bytes(payload_size, payload_crc32c))?;
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
/// // FORMAT.md: the payload follows the 64-byte frame at the start of `__JULIA,__ji`.
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
/// // FORMAT.md, "Writing rules": the payload starts on a multiple of 64, and
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

/// The frame every writer puts first in the container (FORMAT.md: payload
/// right after the 64-byte header, CRC always present).
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

fn image_of(header: &Header) -> Image {
    match *header {
        Header::Elf(e) => Image {
            format: Format::Elf,
            arch: Arch::from_elf(e.machine, e.wide),
            bits: if e.wide { 64 } else { 32 },
            endian: if e.big { Endian::Big } else { Endian::Little },
        },
        Header::MachO(m) => {
            Image { format: Format::MachO, arch: Arch::from_macho(m.cputype), bits: 64, endian: Endian::Little }
        }
        Header::Coff(c) => {
            let (arch, bits) = Arch::from_coff(c.machine);
            Image { format: Format::Coff, arch, bits, endian: Endian::Little }
        }
    }
}

// ---------------------------------------------------------------------------
// Target triples.

/// A triple split into its parts: `arch-vendor-os-env`, with vendor and env
/// optional (`aarch64-linux-gnu`, `x86_64-apple-darwin`, `x86_64-macos`).
struct Triple<'a> {
    text: &'a str,
    arch: &'a str,
    os: Os,
    /// The OS component as written (`macosx11.0`).
    os_text: &'a str,
    /// The OS component's version suffix (`11.0` in `macosx11.0`).
    version: &'a str,
    env: Env,
    /// The environment component as written ("" if none).
    env_text: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Os {
    Elf(ElfOs),
    Apple(ApplePlatform),
    Windows,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ElfOs {
    Linux,
    FreeBsd,
    /// Solaris and illumos, whose linker has its own OS ABI.
    Solaris,
    /// Another hosted Unix (NetBSD, OpenBSD, Hurd, ...).
    Unix,
    /// No OS: `none`, `elf`, `unknown`.
    Bare,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ApplePlatform {
    /// `darwin` counts Darwin kernel versions, not macOS versions.
    Darwin,
    MacOs,
    Ios,
    TvOs,
    WatchOs,
    VisionOs,
}

/// The environment part, as far as it changes the object.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Env {
    /// Hard-float calling convention (`gnueabihf`, `musleabihf`, `eabihf`).
    hard_float: bool,
    /// musl libc.
    musl: bool,
    /// `gnux32` / `muslx32`: x86-64 with 32-bit pointers (ELF32).
    x32: bool,
    /// `gnuabin32` / `muslabin32`: MIPS n32 (ELF32).
    n32: bool,
    /// LoongArch float ABI from `gnuf32` / `gnusf` (`None`: double).
    loongarch_float: Option<u32>,
    /// Apple `simulator`.
    simulator: bool,
    /// Apple `macabi` (Mac Catalyst).
    macabi: bool,
}

fn triple_error(triple: &str, part: &str, problem: &'static str) -> EmitError {
    EmitError::Triple { triple: triple.to_owned(), part: part.to_owned(), problem }
}

fn unsupported(triple: &Triple<'_>, reason: &'static str) -> EmitError {
    EmitError::Unsupported { triple: triple.text.to_owned(), reason }
}

fn parse(text: &str) -> Result<Triple<'_>, EmitError> {
    let parts: Vec<&str> = text.split('-').collect();
    if let Some(empty) = parts.iter().find(|p| p.is_empty()) {
        return Err(triple_error(text, empty, "it has an empty component"));
    }
    // Which parts are the OS and the environment depends on the count: GCC and
    // clang allow dropping the vendor (`aarch64-linux-gnu`, `arm-none-eabi`).
    let (arch, os_part, env_part) = match parts.as_slice() {
        [arch, os] => (*arch, *os, None),
        [arch, _vendor, b] if os_of(b).is_some() => (*arch, *b, None),
        [arch, a, b] if os_of(a).is_some() => (*arch, *a, Some(*b)),
        [_, _, b] => return Err(triple_error(text, b, "a known operating system")),
        [arch, _vendor, os, env] => (*arch, *os, Some(*env)),
        [_] => return Err(triple_error(text, "", "expected at least arch-os, e.g. x86_64-linux-gnu")),
        _ => return Err(triple_error(text, "", "it has more than four components")),
    };
    let (os, version) = os_of(os_part)
        .or_else(|| (parts.len() == 4 && os_part == "unknown").then_some((Os::Elf(ElfOs::Bare), "")))
        .ok_or_else(|| triple_error(text, os_part, "a known operating system"))?;
    let env = match env_part {
        None => Env::default(),
        Some(env) => env_of(env).ok_or_else(|| triple_error(text, env, "a known environment (ABI)"))?,
    };
    let env_text = env_part.unwrap_or_default();
    // Apple targets take only the Apple environments, which mean nothing elsewhere.
    let apple_env = env.simulator || env.macabi;
    if (matches!(os, Os::Apple(_)) && !env_text.is_empty() && !apple_env) || (!matches!(os, Os::Apple(_)) && apple_env)
    {
        return Err(triple_error(text, env_text, "an environment for this operating system"));
    }
    Ok(Triple { text, arch, os, os_text: os_part, version, env, env_text })
}

/// The OS named by a triple component, and its version suffix.
fn os_of(part: &str) -> Option<(Os, &str)> {
    // Names that end in digits which are not a version.
    match part {
        "win32" | "mingw32" | "cygwin" | "windows" | "uefi" => return Some((Os::Windows, "")),
        _ => {}
    }
    let split = part.find(|c: char| c.is_ascii_digit()).unwrap_or(part.len());
    let (name, version) = part.split_at(split);
    let os = match name {
        "linux" => Os::Elf(ElfOs::Linux),
        "freebsd" => Os::Elf(ElfOs::FreeBsd),
        "solaris" | "illumos" => Os::Elf(ElfOs::Solaris),
        "netbsd" | "openbsd" | "dragonfly" | "haiku" | "hurd" | "fuchsia" | "redox" | "nto" | "l4re" => {
            Os::Elf(ElfOs::Unix)
        }
        "none" | "elf" => Os::Elf(ElfOs::Bare),
        "darwin" => Os::Apple(ApplePlatform::Darwin),
        "macos" | "macosx" => Os::Apple(ApplePlatform::MacOs),
        "ios" => Os::Apple(ApplePlatform::Ios),
        "tvos" => Os::Apple(ApplePlatform::TvOs),
        "watchos" => Os::Apple(ApplePlatform::WatchOs),
        "xros" | "visionos" => Os::Apple(ApplePlatform::VisionOs),
        _ => return None,
    };
    Some((os, version))
}

fn env_of(part: &str) -> Option<Env> {
    let mut env = Env::default();
    match part {
        "gnu" | "gnueabi" | "gnuabi64" | "gnuspe" | "gnullvm" | "musl" | "musleabi" | "muslabi64" | "android"
        | "androideabi" | "eabi" | "elf" | "msvc" | "itanium" | "cygnus" | "uclibc" | "uclibceabi" | "ohos" => {}
        "gnueabihf" | "musleabihf" | "eabihf" | "uclibceabihf" => env.hard_float = true,
        "gnux32" | "muslx32" => env.x32 = true,
        "gnuabin32" | "muslabin32" => env.n32 = true,
        // LoongArch ABI modifiers (EF_LOONGARCH_ABI_SINGLE_FLOAT / SOFT_FLOAT).
        "gnuf32" | "muslf32" => env.loongarch_float = Some(0x2),
        "gnusf" | "muslsf" => env.loongarch_float = Some(0x1),
        "simulator" => env.simulator = true,
        "macabi" => env.macabi = true,
        _ => return None,
    }
    env.musl = part.starts_with("musl");
    Some(env)
}

// ---------------------------------------------------------------------------
// ELF header values. Linkers compare e_flags across their inputs, so an object
// must carry what a compiler for the same triple would, or values every
// compatible input is compatible with. Each choice below was checked by
// linking with lld (zig cc; tests/emit_link.rs), and by hand with GNU ld 2.40
// for aarch64, arm, riscv64, ppc64, s390x and mips next to zig's objects.
// Negative controls showed lld rejecting a different RISC-V float ABI, ppc64
// ABI version 1, a different MIPS ABI/NaN/ISA (and warning on non-PIC), and
// GNU ld rejecting ppc64 ABI 2 next to ABI 1 and MIPS n64 next to o32. GNU ld
// skips the ARM and RISC-V checks for objects without code.

/// `EI_OSABI` values (gABI, "ELF Identification").
const ELFOSABI_NONE: u8 = 0;
const ELFOSABI_GNU: u8 = 3;
const ELFOSABI_FREEBSD: u8 = 9;

/// ARM (ARM IHI 0044 "ELF for the Arm Architecture", "ELF header"): EABI
/// version 5 and the float calling convention. GNU ld rejects inputs whose
/// EABI version differs from the output's.
const EF_ARM_EABI_VER5: u32 = 0x0500_0000;
const EF_ARM_ABI_FLOAT_SOFT: u32 = 0x200;
const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;

/// RISC-V (RISC-V ELF psABI, "File Header"). lld and GNU ld refuse to link
/// objects with different float ABIs or RVE bits; RVC is or-ed together.
const EF_RISCV_RVC: u32 = 0x1;
const EF_RISCV_FLOAT_ABI_SINGLE: u32 = 0x2;
const EF_RISCV_FLOAT_ABI_DOUBLE: u32 = 0x4;
const EF_RISCV_RVE: u32 = 0x8;

/// PowerPC64 (64-bit ELF V2 ABI, "ELF Header"): `e_flags & 3` is the ABI
/// version; 0 means unspecified, which both lld and GNU ld accept with either.
const EF_PPC64_ABI_V2: u32 = 2;

/// SPARC V9 memory model (SPARC Compliance Definition 2.4, `EF_SPARCV9_MM`):
/// GNU ld gives the output the strictest model of its inputs (TSO = 0), so
/// code-free data asks for the weakest, relaxed memory order, which is also
/// what LLVM writes.
const EF_SPARCV9_RMO: u32 = 2;

/// MIPS (SYSV MIPS psABI; names as in LLVM's ELF.h). lld errors on a
/// different ABI, NaN encoding or FP64 bit, or an ISA it cannot combine, and
/// warns when PIC and non-PIC (abicalls) inputs are mixed.
const EF_MIPS_PIC: u32 = 0x2;
const EF_MIPS_CPIC: u32 = 0x4;
const EF_MIPS_ABI2: u32 = 0x20;
const EF_MIPS_NAN2008: u32 = 0x400;
const EF_MIPS_ABI_O32: u32 = 0x1000;
const EF_MIPS_ARCH_32: u32 = 0x5000_0000;
const EF_MIPS_ARCH_64: u32 = 0x6000_0000;
const EF_MIPS_ARCH_32R6: u32 = 0x9000_0000;
const EF_MIPS_ARCH_64R6: u32 = 0xa000_0000;

/// LoongArch (LoongArch ELF psABI, "e_flags"): the float ABI modifier (lld
/// refuses mixing) and object ABI version 1 (lld refuses version 0).
const EF_LOONGARCH_ABI_DOUBLE_FLOAT: u32 = 0x3;
const EF_LOONGARCH_OBJABI_V1: u32 = 0x40;

fn elf_header(t: &Triple<'_>, os: ElfOs) -> Result<ElfHeader, EmitError> {
    let hosted = os != ElfOs::Bare;
    let arm_float = if t.env.hard_float { EF_ARM_ABI_FLOAT_HARD } else { EF_ARM_ABI_FLOAT_SOFT };
    // (e_machine, 64-bit class, big-endian, e_flags)
    let (machine, wide, big, flags) = match t.arch {
        "x86_64" | "amd64" => (62, !t.env.x32, false, 0),
        "i386" | "i486" | "i586" | "i686" | "x86" => (3, false, false, 0),
        "aarch64" | "arm64" => (183, true, false, 0),
        "aarch64_be" => (183, true, true, 0),
        "powerpc" | "ppc" => (20, false, true, 0),
        "powerpcle" | "ppcle" => (20, false, false, 0),
        // Big-endian ppc64 is ELFv1 with glibc and ELFv2 with musl (and on
        // FreeBSD 13+): "unspecified" links with both. lld refuses ELFv1 (1)
        // outright and GNU ld refuses 2 next to 1, so 0 is the only safe value
        // when the triple does not say; little-endian is always ELFv2.
        "powerpc64" | "ppc64" => (21, true, true, if t.env.musl { EF_PPC64_ABI_V2 } else { 0 }),
        "powerpc64le" | "ppc64le" => (21, true, false, EF_PPC64_ABI_V2),
        "s390x" => (22, true, true, 0),
        "sparc64" | "sparcv9" => (43, true, true, EF_SPARCV9_RMO),
        "sparc" => (2, false, true, 0),
        "loongarch64" => {
            let float = t.env.loongarch_float.unwrap_or(EF_LOONGARCH_ABI_DOUBLE_FLOAT);
            (258, true, false, float | EF_LOONGARCH_OBJABI_V1)
        }
        a if a.starts_with("mips") => mips(t, hosted)?,
        a if a.starts_with("riscv") => riscv(t, hosted)?,
        a if arch_version(a, "arm").or_else(|| arch_version(a, "thumb")).is_some() => {
            (40, false, a.ends_with("eb"), EF_ARM_EABI_VER5 | arm_float)
        }
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    if t.env.x32 && machine != 62 {
        return Err(triple_error(t.text, t.env_text, "an environment for this architecture (x32 is x86_64's)"));
    }
    if t.env.n32 && machine != 8 {
        return Err(triple_error(t.text, t.env_text, "an environment for this architecture (n32 is mips64's)"));
    }
    // EI_OSABI: GNU ld honours SHF_GNU_RETAIN only in objects marked GNU or
    // FreeBSD (bfd's _bfd_elf_make_section_from_shdr; FORMAT.md, "Writing
    // rules"); otherwise --gc-sections drops the container. lld, run without
    // -m, brands its output with the first input's OSABI, so a FreeBSD object
    // says FreeBSD (an executable marked GNU would run under FreeBSD's Linux
    // emulation). Solaris's linker knows only its own ABI and SYSV, and not
    // the GNU flag, so there the object says SYSV.
    let osabi = match os {
        ElfOs::FreeBsd => ELFOSABI_FREEBSD,
        ElfOs::Solaris => ELFOSABI_NONE,
        ElfOs::Linux | ElfOs::Unix | ElfOs::Bare => ELFOSABI_GNU,
    };
    Ok(ElfHeader { machine, flags, osabi, wide, big })
}

/// For `armv7a`, `thumbv8m.main`, `armeb`: the part after `prefix`, if it is
/// empty, `eb`, or `v` and an architecture version (`arm64` is not Arm).
fn arch_version<'a>(arch: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = arch.strip_prefix(prefix)?;
    let core = rest.strip_suffix("eb").unwrap_or(rest);
    let ok = core.is_empty()
        || core.strip_prefix('v').is_some_and(|v| {
            v.starts_with(|c: char| c.is_ascii_digit())
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        });
    ok.then_some(rest)
}

/// MIPS: o32 for 32-bit, n64 for 64-bit (n32 with `gnuabin32`). The ISA level
/// written is the lowest of the family (MIPS32 / MIPS64, or release 6 for
/// `mipsisa*r6`), which lld combines with any later pre-R6 level; R6 implies
/// the 2008 NaN encoding. Hosted targets are PIC+CPIC (abicalls), like every
/// Linux object, so lld does not warn about mixing abicalls and non-abicalls.
fn mips(t: &Triple<'_>, hosted: bool) -> Result<(u16, bool, bool, u32), EmitError> {
    let (wide, big, r6) = match t.arch {
        "mips" => (false, true, false),
        "mipsel" => (false, false, false),
        "mips64" => (true, true, false),
        "mips64el" => (true, false, false),
        "mipsisa32r6" => (false, true, true),
        "mipsisa32r6el" => (false, false, true),
        "mipsisa64r6" => (true, true, true),
        "mipsisa64r6el" => (true, false, true),
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    if t.env.n32 && !wide {
        return Err(triple_error(t.text, t.env_text, "an environment for this architecture (n32 is mips64's)"));
    }
    let isa = match (wide, r6) {
        (false, false) => EF_MIPS_ARCH_32,
        (false, true) => EF_MIPS_ARCH_32R6,
        (true, false) => EF_MIPS_ARCH_64,
        (true, true) => EF_MIPS_ARCH_64R6,
    };
    let abi = match (wide, t.env.n32) {
        (false, _) => EF_MIPS_ABI_O32,
        (true, true) => EF_MIPS_ABI2,
        (true, false) => 0, // n64 has no ABI bits
    };
    let nan = if r6 { EF_MIPS_NAN2008 } else { 0 };
    let pic = if hosted { EF_MIPS_PIC | EF_MIPS_CPIC } else { 0 };
    // n32 is a 64-bit ISA in an ELF32 file.
    Ok((8, wide && !t.env.n32, big, isa | abi | nan | pic))
}

/// RISC-V: the float ABI and RVC from the ISA string in the arch part
/// (`riscv64gc`, `riscv32imac`); a bare `riscv64` means `gc` on a hosted OS
/// (clang's and GCC's Linux default, lp64d) and `imac` on bare metal.
fn riscv(t: &Triple<'_>, hosted: bool) -> Result<(u16, bool, bool, u32), EmitError> {
    let (wide, isa) = match (t.arch.strip_prefix("riscv64"), t.arch.strip_prefix("riscv32")) {
        (Some(isa), _) => (true, isa),
        (None, Some(isa)) => (false, isa),
        (None, None) => return Err(triple_error(t.text, t.arch, "a known architecture")),
    };
    // Single-letter extensions come first; `_zba` and the like follow.
    let letters = isa.split('_').next().unwrap_or_default();
    if !letters.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(triple_error(t.text, t.arch, "a RISC-V ISA string (e.g. riscv64gc)"));
    }
    let letters = match letters {
        "" if hosted => "gc",
        "" => "imac",
        other => other,
    };
    let has = |c: char| letters.contains(c);
    let float = if has('g') || has('d') || has('q') {
        EF_RISCV_FLOAT_ABI_DOUBLE
    } else if has('f') {
        EF_RISCV_FLOAT_ABI_SINGLE
    } else {
        0
    };
    let rvc = if has('c') { EF_RISCV_RVC } else { 0 };
    let rve = if letters.starts_with('e') { EF_RISCV_RVE } else { 0 };
    Ok((243, wide, false, float | rvc | rve))
}

// ---------------------------------------------------------------------------
// Mach-O header values (<mach-o/loader.h>, <mach/machine.h>).

const CPU_TYPE_X86_64: u32 = 0x0100_0007;
const CPU_TYPE_ARM64: u32 = 0x0100_000c;
const CPU_SUBTYPE_X86_64_ALL: u32 = 3;
const CPU_SUBTYPE_X86_64_H: u32 = 8;
const CPU_SUBTYPE_ARM64_ALL: u32 = 0;

/// `PLATFORM_*` of `LC_BUILD_VERSION`.
const PLATFORM_MACOS: u32 = 1;
const PLATFORM_IOS: u32 = 2;
const PLATFORM_TVOS: u32 = 3;
const PLATFORM_WATCHOS: u32 = 4;
const PLATFORM_MACCATALYST: u32 = 6;
const PLATFORM_IOSSIMULATOR: u32 = 7;
const PLATFORM_TVOSSIMULATOR: u32 = 8;
const PLATFORM_WATCHOSSIMULATOR: u32 = 9;
const PLATFORM_XROS: u32 = 11;
const PLATFORM_XROS_SIMULATOR: u32 = 12;

fn macho_header(t: &Triple<'_>, platform: ApplePlatform) -> Result<MachOHeader, EmitError> {
    let (cputype, cpusubtype) = match t.arch {
        "x86_64" => (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL),
        "x86_64h" => (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H),
        "arm64" | "aarch64" => (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL),
        "arm64e" => return Err(unsupported(t, "arm64e objects carry a pointer-authentication ABI version; use arm64")),
        "i386" | "i486" | "i586" | "i686" | "x86" | "arm64_32" | "powerpc" | "ppc" | "powerpc64" | "ppc64" => {
            return Err(unsupported(t, "only 64-bit x86_64 and arm64 Mach-O objects are written"))
        }
        a if arch_version(a, "arm").or_else(|| arch_version(a, "thumb")).is_some() => {
            return Err(unsupported(t, "only 64-bit x86_64 and arm64 Mach-O objects are written"))
        }
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    let arm = cputype == CPU_TYPE_ARM64;
    let (sim, macabi) = (t.env.simulator, t.env.macabi);
    // The platform, and the lowest minimum OS version that platform supports
    // on this CPU: a linker warns about objects built for a *newer* OS than
    // the output, never an older one. The triple's version, if any, wins.
    let (code, default) = match platform {
        ApplePlatform::Darwin | ApplePlatform::MacOs if !sim && !macabi => {
            (PLATFORM_MACOS, if arm { (11, 0, 0) } else { (10, 12, 0) })
        }
        ApplePlatform::Ios if macabi => (PLATFORM_MACCATALYST, if arm { (14, 0, 0) } else { (13, 1, 0) }),
        ApplePlatform::Ios if sim => (PLATFORM_IOSSIMULATOR, if arm { (14, 0, 0) } else { (10, 0, 0) }),
        ApplePlatform::Ios => (PLATFORM_IOS, (10, 0, 0)),
        ApplePlatform::TvOs if sim => (PLATFORM_TVOSSIMULATOR, if arm { (14, 0, 0) } else { (10, 0, 0) }),
        ApplePlatform::TvOs if !macabi => (PLATFORM_TVOS, (10, 0, 0)),
        ApplePlatform::WatchOs if sim => (PLATFORM_WATCHOSSIMULATOR, if arm { (7, 0, 0) } else { (5, 0, 0) }),
        ApplePlatform::WatchOs if !macabi => (PLATFORM_WATCHOS, (5, 0, 0)),
        ApplePlatform::VisionOs if sim => (PLATFORM_XROS_SIMULATOR, (1, 0, 0)),
        ApplePlatform::VisionOs if !macabi => (PLATFORM_XROS, (1, 0, 0)),
        _ => return Err(triple_error(t.text, t.env_text, "an environment for this operating system")),
    };
    let (major, minor, patch) = if t.version.is_empty() {
        default
    } else if platform == ApplePlatform::Darwin {
        darwin_to_macos(t.version)
            .ok_or_else(|| triple_error(t.text, t.os_text, "a Darwin version (darwin4 .. darwin99)"))?
    } else {
        parse_version(t.version)
            .ok_or_else(|| triple_error(t.text, t.os_text, "an OS name with a version like 11.0"))?
    };
    let minos = (u32::from(major) << 16) | (u32::from(minor) << 8) | u32::from(patch);
    Ok(MachOHeader { cputype, cpusubtype, platform: code, minos })
}

/// `X[.Y[.Z]]`, each part within its `LC_BUILD_VERSION` nibble field.
fn parse_version(text: &str) -> Option<(u16, u8, u8)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    parts.next().is_none().then_some((major, minor, patch))
}

/// Darwin kernel version to macOS version: darwin4 = 10.0 ... darwin19 =
/// 10.15, then darwin20 = 11, darwin21 = 12, ...
fn darwin_to_macos(text: &str) -> Option<(u16, u8, u8)> {
    let (major, _, _) = parse_version(text)?;
    match major {
        4..=19 => Some((10, u8::try_from(major.checked_sub(4)?).ok()?, 0)),
        20..=99 => Some((major.checked_sub(9)?, 0, 0)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// COFF header values (PE Format, "Machine Types").

fn coff_header(t: &Triple<'_>) -> Result<CoffHeader, EmitError> {
    let machine = match t.arch {
        "x86_64" | "amd64" => 0x8664,
        "i386" | "i486" | "i586" | "i686" | "x86" => 0x014c,
        "aarch64" | "arm64" => 0xaa64,
        "arm64ec" => return Err(unsupported(t, "arm64ec objects are not written; use aarch64")),
        // Windows on 32-bit Arm is Thumb-2 only: IMAGE_FILE_MACHINE_ARMNT.
        a if arch_version(a, "arm").or_else(|| arch_version(a, "thumb")).is_some() => 0x01c4,
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    Ok(CoffHeader { machine })
}
