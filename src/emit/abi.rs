//! Which header values a target's objects carry: for ELF the machine, class,
//! byte order, `e_flags` and `EI_OSABI`; for Mach-O the CPU type and subtype
//! and `LC_BUILD_VERSION`'s platform and minimum OS; for COFF the machine.
//! Linkers compare these across their inputs, so this is policy, not
//! parsing: an object must carry what a compiler for the same triple would,
//! or values every compatible input is compatible with. The format modules
//! then write whatever values they are given.

use super::triple::{is_arm32, triple_error, unsupported, ApplePlatform, ElfOs, LoongArchFloat, Os, Triple};
use crate::coff::emit::CoffHeader;
use crate::coff::layout::{
    IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64, IMAGE_FILE_MACHINE_ARMNT, IMAGE_FILE_MACHINE_I386,
};
use crate::elf::emit::ElfHeader;
use crate::elf::layout::abi::*;
use crate::macho::emit::MachOHeader;
use crate::macho::layout::{
    CPU_SUBTYPE_ARM64_ALL, CPU_SUBTYPE_X86_64_ALL, CPU_SUBTYPE_X86_64_H, CPU_TYPE_ARM64, CPU_TYPE_X86_64, PLATFORM_IOS,
    PLATFORM_IOSSIMULATOR, PLATFORM_MACCATALYST, PLATFORM_MACOS, PLATFORM_TVOS, PLATFORM_TVOSSIMULATOR,
    PLATFORM_WATCHOS, PLATFORM_WATCHOSSIMULATOR, PLATFORM_XROS, PLATFORM_XROS_SIMULATOR,
};
use crate::write::error::EmitError;
use crate::{Arch, Endian, Format, Image};

/// The format-specific header values that a triple decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Header {
    Elf(ElfHeader),
    MachO(MachOHeader),
    Coff(CoffHeader),
}

impl Header {
    /// The headers of an object for `triple`: Apple operating systems give
    /// Mach-O, Windows gives COFF, everything else ELF.
    pub(super) fn of(triple: &Triple<'_>) -> Result<Header, EmitError> {
        Ok(match triple.os {
            Os::Apple(platform) => Header::MachO(macho_header(triple, platform)?),
            Os::Windows => Header::Coff(coff_header(triple)?),
            Os::Elf(os) => Header::Elf(elf_header(triple, os)?),
        })
    }

    /// The image an object with these headers is, as the lookup reports it.
    pub(super) fn image(&self) -> Image {
        match *self {
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

// The constants are the spec's, in src/elf/layout.rs; why each is chosen:
// `EI_OSABI` values (gABI, "ELF Identification").

// ARM (ARM IHI 0044 "ELF for the Arm Architecture", "ELF header"): EABI
// version 5 and the float calling convention. GNU ld rejects inputs whose
// EABI version differs from the output's.

// RISC-V (RISC-V ELF psABI, "File Header"). lld and GNU ld refuse to link
// objects with different float ABIs or RVE bits; RVC is or-ed together.

// PowerPC64 (64-bit ELF V2 ABI, "ELF Header"): `e_flags & 3` is the ABI
// version; 0 means unspecified, which both lld and GNU ld accept with either.

// SPARC V9 memory model (SPARC Compliance Definition 2.4, `EF_SPARCV9_MM`):
// GNU ld gives the output the strictest model of its inputs (TSO = 0), so
// code-free data asks for the weakest, relaxed memory order, which is also
// what LLVM writes.

// MIPS (SYSV MIPS psABI; names as in LLVM's ELF.h). lld errors on a
// different ABI, NaN encoding or FP64 bit, or an ISA it cannot combine, and
// warns when PIC and non-PIC (abicalls) inputs are mixed.

// LoongArch (LoongArch ELF psABI, "e_flags"): the float ABI modifier (lld
// refuses mixing) and object ABI version 1 (lld refuses version 0).

fn elf_header(t: &Triple<'_>, os: ElfOs) -> Result<ElfHeader, EmitError> {
    let hosted = os != ElfOs::Bare;
    let arm_float = if t.env.hard_float { EF_ARM_ABI_FLOAT_HARD } else { EF_ARM_ABI_FLOAT_SOFT };
    // (e_machine, 64-bit class, big-endian, e_flags)
    let (machine, wide, big, flags) = match t.arch {
        "x86_64" | "amd64" => (EM_X86_64, !t.env.x32, false, 0),
        "i386" | "i486" | "i586" | "i686" | "x86" => (EM_386, false, false, 0),
        "aarch64" | "arm64" => (EM_AARCH64, true, false, 0),
        "aarch64_be" => (EM_AARCH64, true, true, 0),
        "powerpc" | "ppc" => (EM_PPC, false, true, 0),
        "powerpcle" | "ppcle" => (EM_PPC, false, false, 0),
        // Big-endian ppc64 is ELFv1 with glibc and ELFv2 with musl (and on
        // FreeBSD 13+): "unspecified" links with both. lld refuses ELFv1 (1)
        // outright and GNU ld refuses 2 next to 1, so 0 is the only safe value
        // when the triple does not say; little-endian is always ELFv2.
        "powerpc64" | "ppc64" => (EM_PPC64, true, true, if t.env.musl { EF_PPC64_ABI_V2 } else { 0 }),
        "powerpc64le" | "ppc64le" => (EM_PPC64, true, false, EF_PPC64_ABI_V2),
        "s390x" => (EM_S390, true, true, 0),
        "sparc64" | "sparcv9" => (EM_SPARCV9, true, true, EF_SPARCV9_RMO),
        "sparc" => (EM_SPARC, false, true, 0),
        "loongarch64" => {
            let float = match t.env.loongarch_float {
                None => EF_LOONGARCH_ABI_DOUBLE_FLOAT,
                Some(LoongArchFloat::Single) => EF_LOONGARCH_ABI_SINGLE_FLOAT,
                Some(LoongArchFloat::Soft) => EF_LOONGARCH_ABI_SOFT_FLOAT,
            };
            (EM_LOONGARCH, true, false, float | EF_LOONGARCH_OBJABI_V1)
        }
        a if a.starts_with("mips") => mips(t, hosted)?,
        a if a.starts_with("riscv") => riscv(t, hosted)?,
        a if is_arm32(a) => (EM_ARM, false, a.ends_with("eb"), EF_ARM_EABI_VER5 | arm_float),
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    if t.env.x32 && machine != EM_X86_64 {
        return Err(triple_error(t.text, t.env_text, "an environment for this architecture (x32 is x86_64's)"));
    }
    if t.env.n32 && machine != EM_MIPS {
        return Err(triple_error(t.text, t.env_text, "an environment for this architecture (n32 is mips64's)"));
    }
    Ok(ElfHeader { machine, flags, osabi: osabi(os), wide, big })
}

/// `EI_OSABI`: GNU ld honours SHF_GNU_RETAIN only in objects marked GNU or
/// FreeBSD (bfd's _bfd_elf_make_section_from_shdr; docs/FORMAT.md, "Writing
/// rules"); otherwise --gc-sections drops the container. lld, run without
/// -m, brands its output with the first input's OSABI, so a FreeBSD object
/// says FreeBSD (an executable marked GNU would run under FreeBSD's Linux
/// emulation). Solaris's linker knows only its own ABI and SYSV, and not
/// the GNU flag, so there the object says SYSV.
fn osabi(os: ElfOs) -> u8 {
    match os {
        ElfOs::FreeBsd => ELFOSABI_FREEBSD,
        ElfOs::Solaris => ELFOSABI_NONE,
        ElfOs::Linux | ElfOs::Unix | ElfOs::Bare => ELFOSABI_GNU,
    }
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
    Ok((EM_MIPS, wide && !t.env.n32, big, isa | abi | nan | pic))
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
    Ok((EM_RISCV, wide, false, float | rvc | rve))
}

// ---------------------------------------------------------------------------
// Mach-O header values (<mach-o/loader.h>, <mach/machine.h>).

// The CPU and platform numbers are loader.h's, in src/macho/layout.rs.
fn macho_header(t: &Triple<'_>, platform: ApplePlatform) -> Result<MachOHeader, EmitError> {
    let (cputype, cpusubtype) = match t.arch {
        "x86_64" => (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL),
        "x86_64h" => (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H),
        "arm64" | "aarch64" => (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL),
        "arm64e" => return Err(unsupported(t, "arm64e objects carry a pointer-authentication ABI version; use arm64")),
        "i386" | "i486" | "i586" | "i686" | "x86" | "arm64_32" | "powerpc" | "ppc" | "powerpc64" | "ppc64" => {
            return Err(unsupported(t, "only 64-bit x86_64 and arm64 Mach-O objects are written"))
        }
        a if is_arm32(a) => return Err(unsupported(t, "only 64-bit x86_64 and arm64 Mach-O objects are written")),
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    let (platform, default) = apple_platform(t, platform, cputype == CPU_TYPE_ARM64)?;
    let (major, minor, patch) = t.os_version()?.unwrap_or(default);
    let minos = (u32::from(major) << 16) | (u32::from(minor) << 8) | u32::from(patch);
    Ok(MachOHeader { cputype, cpusubtype, platform, minos })
}

/// The `PLATFORM_*` code for `platform` and the triple's environment, and
/// the lowest minimum OS version that platform supports on this CPU (`arm`:
/// arm64, else x86_64): a linker warns about objects built for a *newer* OS
/// than the output, never an older one. The triple's version, if any, wins.
fn apple_platform(t: &Triple<'_>, platform: ApplePlatform, arm: bool) -> Result<(u32, (u16, u8, u8)), EmitError> {
    let (sim, macabi) = (t.env.simulator, t.env.macabi);
    Ok(match platform {
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
    })
}

// ---------------------------------------------------------------------------
// COFF header values (PE Format, "Machine Types").

fn coff_header(t: &Triple<'_>) -> Result<CoffHeader, EmitError> {
    let machine = match t.arch {
        "x86_64" | "amd64" => IMAGE_FILE_MACHINE_AMD64,
        "i386" | "i486" | "i586" | "i686" | "x86" => IMAGE_FILE_MACHINE_I386,
        "aarch64" | "arm64" => IMAGE_FILE_MACHINE_ARM64,
        "arm64ec" => return Err(unsupported(t, "arm64ec objects are not written; use aarch64")),
        // Windows on 32-bit Arm is Thumb-2 only: IMAGE_FILE_MACHINE_ARMNT.
        a if is_arm32(a) => IMAGE_FILE_MACHINE_ARMNT,
        a => return Err(triple_error(t.text, a, "a known architecture")),
    };
    Ok(CoffHeader { machine })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::triple;
    use super::*;

    fn header(text: &str) -> Result<Header, EmitError> {
        Header::of(&triple::parse(text)?)
    }

    #[test]
    fn loongarch_float_abi_comes_from_the_environment() {
        let flags = |text| match header(text).unwrap() {
            Header::Elf(elf) => Some(elf.flags),
            _ => None,
        };
        assert_eq!(flags("loongarch64-unknown-linux-gnu"), Some(0x43));
        assert_eq!(flags("loongarch64-unknown-linux-gnuf32"), Some(0x42));
        assert_eq!(flags("loongarch64-unknown-linux-muslsf"), Some(0x41));
    }

    #[test]
    fn apple_versions_default_to_the_oldest_the_cpu_runs() {
        let minos = |text| match header(text).unwrap() {
            Header::MachO(macho) => Some((macho.platform, macho.minos)),
            _ => None,
        };
        assert_eq!(minos("arm64-apple-macos"), Some((PLATFORM_MACOS, 0x000b_0000)));
        assert_eq!(minos("x86_64-apple-darwin"), Some((PLATFORM_MACOS, 0x000a_0c00)));
        assert_eq!(minos("x86_64-apple-darwin19"), Some((PLATFORM_MACOS, 0x000a_0f00)));
        assert_eq!(minos("arm64-apple-ios14.2-macabi"), Some((PLATFORM_MACCATALYST, 0x000e_0200)));
        // The environment is checked before the version.
        let error = header("arm64-apple-tvos99.x-macabi").unwrap_err().to_string();
        assert!(error.ends_with(r#""macabi" is not an environment for this operating system"#), "{error}");
    }
}
