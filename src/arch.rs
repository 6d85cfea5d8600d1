//! Architecture names shared by the three formats, and the tables that map
//! each format's machine field onto them.

use core::fmt;

/// A CPU architecture. Byte order and pointer width are separate fields of
/// [`Image`](crate::Image): `powerpc64` is the name for both ppc64 and ppc64le.
///
/// `Display` prints the names `jiscan` and `corpus/expected.json` use, and an
/// unknown machine as its raw value, so nothing is hidden behind "unknown":
///
/// ```
/// use pkgimg::Arch;
/// assert_eq!(Arch::Aarch64.to_string(), "aarch64");
/// assert_eq!(Arch::Unknown(0x1234).to_string(), "unknown(0x1234)");
///
/// // corpus/expected.json: both byte orders of ppc64 are "powerpc64".
/// for (file, endian) in [("powerpc64-linux-musl.so", "big"), ("powerpc64le-linux-musl.so", "little")] {
///     let bytes = std::fs::read(format!("corpus/elf/{file}")).unwrap();
///     let image = pkgimg::find_section(&bytes, ".jlji")?.image;
///     assert_eq!((image.arch.to_string(), image.endian.name()), ("powerpc64".to_string(), endian));
/// }
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Arch {
    /// 32-bit x86 (i386).
    X86,
    /// x86-64 (amd64).
    X86_64,
    /// 32-bit Arm.
    Arm,
    /// 64-bit Arm (arm64).
    Aarch64,
    /// 32-bit RISC-V.
    Riscv32,
    /// 64-bit RISC-V.
    Riscv64,
    /// 32-bit PowerPC.
    Powerpc,
    /// 64-bit PowerPC, either byte order.
    Powerpc64,
    /// 32-bit MIPS, either byte order.
    Mips,
    /// 64-bit MIPS, either byte order.
    Mips64,
    /// IBM Z (64-bit s390).
    S390x,
    /// SPARC V9.
    Sparc64,
    /// 64-bit LoongArch.
    Loongarch64,
    /// The format's raw machine value (ELF `e_machine`, Mach-O `cputype`,
    /// COFF `Machine`), for any other architecture.
    Unknown(u32),
}

impl Arch {
    /// The name printed by `Display`, or `None` for [`Arch::Unknown`].
    ///
    /// ```
    /// assert_eq!(pkgimg::Arch::S390x.name(), Some("s390x"));
    /// assert_eq!(pkgimg::Arch::Unknown(0xf3).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Arch::X86 => "x86",
            Arch::X86_64 => "x86_64",
            Arch::Arm => "arm",
            Arch::Aarch64 => "aarch64",
            Arch::Riscv32 => "riscv32",
            Arch::Riscv64 => "riscv64",
            Arch::Powerpc => "powerpc",
            Arch::Powerpc64 => "powerpc64",
            Arch::Mips => "mips",
            Arch::Mips64 => "mips64",
            Arch::S390x => "s390x",
            Arch::Sparc64 => "sparc64",
            Arch::Loongarch64 => "loongarch64",
            Arch::Unknown(_) => return None,
        })
    }

    /// The architecture this code was compiled for: the slice
    /// [`find_ji_payload`](crate::find_ji_payload) picks from a universal file.
    /// `Unknown(0)` on CPUs not listed here, none of which macOS runs on.
    pub const HOST: Arch = if cfg!(target_arch = "x86_64") {
        Arch::X86_64
    } else if cfg!(target_arch = "aarch64") {
        Arch::Aarch64
    } else if cfg!(target_arch = "x86") {
        Arch::X86
    } else if cfg!(target_arch = "arm") {
        Arch::Arm
    } else if cfg!(target_arch = "powerpc64") {
        Arch::Powerpc64
    } else if cfg!(target_arch = "powerpc") {
        Arch::Powerpc
    } else if cfg!(target_arch = "riscv64") {
        Arch::Riscv64
    } else {
        Arch::Unknown(0)
    };

    /// ELF `e_machine`; some machines share a value across widths.
    pub(crate) fn from_elf(machine: u16, wide: bool) -> Arch {
        use crate::elf::layout::abi::*;
        match (machine, wide) {
            (EM_386, _) => Arch::X86,
            (EM_X86_64, _) => Arch::X86_64,
            (EM_ARM, _) => Arch::Arm,
            (EM_AARCH64, _) => Arch::Aarch64,
            (EM_RISCV, false) => Arch::Riscv32,
            (EM_RISCV, true) => Arch::Riscv64,
            (EM_PPC, _) => Arch::Powerpc,
            (EM_PPC64, _) => Arch::Powerpc64,
            (EM_MIPS | EM_MIPS_RS3_LE, false) => Arch::Mips,
            (EM_MIPS | EM_MIPS_RS3_LE, true) => Arch::Mips64,
            (EM_S390, true) => Arch::S390x,
            (EM_SPARCV9, _) => Arch::Sparc64,
            (EM_LOONGARCH, true) => Arch::Loongarch64,
            (m, _) => Arch::Unknown(u32::from(m)),
        }
    }

    /// Mach-O `cputype` (`CPU_ARCH_ABI64` is bit 24; arm64_32 is aarch64 with
    /// 32-bit pointers).
    pub(crate) fn from_macho(cputype: u32) -> Arch {
        use crate::macho::layout::{
            CPU_TYPE_ARM, CPU_TYPE_ARM64, CPU_TYPE_ARM64_32, CPU_TYPE_POWERPC, CPU_TYPE_POWERPC64, CPU_TYPE_X86,
            CPU_TYPE_X86_64,
        };
        match cputype {
            CPU_TYPE_X86 => Arch::X86,
            CPU_TYPE_X86_64 => Arch::X86_64,
            CPU_TYPE_ARM => Arch::Arm,
            CPU_TYPE_ARM64 | CPU_TYPE_ARM64_32 => Arch::Aarch64,
            CPU_TYPE_POWERPC => Arch::Powerpc,
            CPU_TYPE_POWERPC64 => Arch::Powerpc64,
            other => Arch::Unknown(other),
        }
    }

    /// COFF `Machine` (IMAGE_FILE_MACHINE_*), and whether it is a 64-bit
    /// machine, which is how a COFF object (no optional header) tells its width.
    pub(crate) fn from_coff(machine: u16) -> (Arch, u8) {
        use crate::coff::layout::*;
        match machine {
            IMAGE_FILE_MACHINE_I386 => (Arch::X86, 32),
            IMAGE_FILE_MACHINE_AMD64 => (Arch::X86_64, 64),
            IMAGE_FILE_MACHINE_ARM | IMAGE_FILE_MACHINE_THUMB | IMAGE_FILE_MACHINE_ARMNT => (Arch::Arm, 32),
            IMAGE_FILE_MACHINE_ARM64 | IMAGE_FILE_MACHINE_ARM64EC | IMAGE_FILE_MACHINE_ARM64X => (Arch::Aarch64, 64),
            IMAGE_FILE_MACHINE_RISCV32 => (Arch::Riscv32, 32),
            IMAGE_FILE_MACHINE_RISCV64 => (Arch::Riscv64, 64),
            IMAGE_FILE_MACHINE_POWERPC | IMAGE_FILE_MACHINE_POWERPCFP => (Arch::Powerpc, 32),
            IMAGE_FILE_MACHINE_R3000
            | IMAGE_FILE_MACHINE_R4000
            | IMAGE_FILE_MACHINE_R10000
            | IMAGE_FILE_MACHINE_WCEMIPSV2
            | IMAGE_FILE_MACHINE_MIPS16
            | IMAGE_FILE_MACHINE_MIPSFPU
            | IMAGE_FILE_MACHINE_MIPSFPU16 => (Arch::Mips, 32),
            IMAGE_FILE_MACHINE_LOONGARCH64 => (Arch::Loongarch64, 64),
            IMAGE_FILE_MACHINE_IA64 | IMAGE_FILE_MACHINE_ALPHA64 | IMAGE_FILE_MACHINE_RISCV128 => {
                (Arch::Unknown(u32::from(machine)), 64)
            }
            other => (Arch::Unknown(u32::from(other)), 32),
        }
    }

    /// Whether `machine` is an IMAGE_FILE_MACHINE_* value. A COFF object has no
    /// magic number, so this is how it is recognised.
    pub(crate) fn is_coff_machine(machine: u16) -> bool {
        use crate::coff::layout::*;
        matches!(
            machine,
            IMAGE_FILE_MACHINE_I386
                | IMAGE_FILE_MACHINE_AMD64
                | IMAGE_FILE_MACHINE_ARM
                | IMAGE_FILE_MACHINE_THUMB
                | IMAGE_FILE_MACHINE_ARMNT
                | IMAGE_FILE_MACHINE_ARM64
                | IMAGE_FILE_MACHINE_ARM64EC
                | IMAGE_FILE_MACHINE_ARM64X
                | IMAGE_FILE_MACHINE_RISCV32
                | IMAGE_FILE_MACHINE_RISCV64
                | IMAGE_FILE_MACHINE_RISCV128
                | IMAGE_FILE_MACHINE_POWERPC
                | IMAGE_FILE_MACHINE_POWERPCFP
                | IMAGE_FILE_MACHINE_R3000
                | IMAGE_FILE_MACHINE_R4000
                | IMAGE_FILE_MACHINE_R10000
                | IMAGE_FILE_MACHINE_WCEMIPSV2
                | IMAGE_FILE_MACHINE_MIPS16
                | IMAGE_FILE_MACHINE_MIPSFPU
                | IMAGE_FILE_MACHINE_MIPSFPU16
                | IMAGE_FILE_MACHINE_LOONGARCH32
                | IMAGE_FILE_MACHINE_LOONGARCH64
                | IMAGE_FILE_MACHINE_IA64
                | IMAGE_FILE_MACHINE_ALPHA64
                | IMAGE_FILE_MACHINE_SH3
                | IMAGE_FILE_MACHINE_SH3DSP
                | IMAGE_FILE_MACHINE_SH4
                | IMAGE_FILE_MACHINE_SH5
                | IMAGE_FILE_MACHINE_EBC
                | IMAGE_FILE_MACHINE_M32R
                | IMAGE_FILE_MACHINE_ALPHA
                | IMAGE_FILE_MACHINE_AM33
                | IMAGE_FILE_MACHINE_TRICORE
                | IMAGE_FILE_MACHINE_CEE
        )
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self) {
            (Some(name), _) => f.write_str(name),
            (None, Arch::Unknown(raw)) => write!(f, "unknown({raw:#x})"),
            (None, _) => f.write_str("unknown"),
        }
    }
}
