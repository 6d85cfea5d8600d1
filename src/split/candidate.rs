//! What the file at a place a loader would look is, for a code cache of a
//! given machine: its data library, or why not, told apart as the loader
//! tells it apart: a file it passes over and looks further (another class
//! or machine for ld.so, anything dyld cannot make a loader of), or one it
//! stops at. The checks of the header are the loader's own: glibc's
//! `open_verify` for ELF, dyld's CPU and platform grading for Mach-O.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use crate::path::{find_ji_payload_for, Machine, NotTaken};
use crate::{Error, Format, Located};

/// The file at `path`, and where its payload is, if it carries one for a
/// code cache of `machine` (found by reading its headers, not mapping it):
/// of a universal file, in the slice the loader would map with that code
/// cache; a thin file must be of that machine, or the loader refuses it.
/// Otherwise why not.
pub(super) fn carries_payload(mut file: File, path: &Path, machine: Machine) -> Result<(File, Located), Refusal> {
    // dyld tries each place in turn and takes the first it can make a
    // loader of, passing over anything else ("tried: '…' (…)", dyld
    // Loader::getLoader): a file that is no Mach-O, or that cannot be read.
    let macho = machine.image.format == Format::MachO;
    let unusable = |why: String| match macho {
        true => Refusal::OtherMachine(format!("dyld cannot use it: {why}")),
        false => Refusal::NotData(why),
    };
    let len = file.seek(SeekFrom::End(0)).map_err(|e| unusable(format!("cannot read: {e}")))?;
    // ld.so's open_verify passes over an ELF file of another class or
    // machine, but stops at a file without the ELF magic ("invalid ELF
    // header"): a Mach-O or PE file, or a universal one, ends an ELF search.
    let elf = machine.image.format == Format::Elf;
    let stops_ld_so =
        |what: &str| Refusal::NotData(format!("{what}, not ELF: ld.so stops here (\"invalid ELF header\")"));
    let verify = |head: &[u8]| if elf { open_verify(head, &machine) } else { Ok(()) };
    match find_ji_payload_for(&file, len, path, machine, verify) {
        Ok(Ok(located)) => Ok((file, located)),
        Ok(Err(NotTaken::Refused(refusal))) => Err(refusal),
        // dyld passes over a file it cannot make a loader of (review 22 F11).
        Ok(Err(NotTaken::Malformed(error))) => Err(unusable(format!("not a data library: {error}"))),
        Ok(Err(NotTaken::OtherMachine(other))) if elf && other.image.format != Format::Elf => {
            Err(stops_ld_so(&format!("a {} {} file", other.image.format, other.image.arch)))
        }
        Ok(Err(NotTaken::OtherMachine(other))) if !machine.takes_platform(&other) => {
            let name = |m: &Machine| m.platforms.map_or("no platform", |p| p.name());
            Err(Refusal::OtherMachine(format!(
                "built for {}, not {}: dyld passes over it (\"incompatible platform\")",
                name(&other),
                name(&machine)
            )))
        }
        Ok(Err(NotTaken::OtherMachine(other))) => {
            Err(Refusal::OtherMachine(format!("not a data library for {machine}: its only image is {other}")))
        }
        // The caller names the file: the reasons do not.
        Err(crate::LocateError::Format { source: Error::NoHostSlice { .. }, .. }) if elf => {
            Err(stops_ld_so("a universal Mach-O file"))
        }
        Err(crate::LocateError::Format { source: source @ Error::NoHostSlice { .. }, .. }) => {
            Err(Refusal::OtherMachine(format!("not a data library for {machine}: {source}")))
        }
        Err(crate::LocateError::Format { source: source @ Error::UnknownFormat { .. }, .. }) => {
            Err(unusable(format!("not a data library: {source}")))
        }
        Err(crate::LocateError::Format { source, .. }) => {
            Err(Refusal::NotData(format!("not a data library: {source}")))
        }
        Err(crate::LocateError::Io { source, .. }) => Err(unusable(format!("cannot read: {source}"))),
    }
}

/// glibc's `open_verify` (elf/dl-load.c) on `head`, a file's first bytes
/// (64 of them if it has them), for an ELF code cache of machine `code`,
/// in its order: a file shorter than the code cache's `ElfW(Ehdr)` ends the
/// search ("file too short"); one without the ELF magic is left to the
/// caller; another class (any `EI_CLASS` but the code cache's), another
/// `e_machine`, or flags the machine's glibc refuses ([`flags_refused`],
/// [`arm_float_abi`]) is passed over (`ENOENT`); any other header it does
/// not accept ends the search with its message, as `_dl_map_object_from_fd`
/// ends it at an executable. glibc on Linux takes the OS ABI
/// `ELFOSABI_SYSV` (on Arm also `ELFOSABI_ARM_AEABI`), or `ELFOSABI_GNU` with an ABI version below its
/// `LIBC_ABI_MAX` (sysdeps/gnu/ldsodefs.h), one past the features its
/// libc-abis lists for the target (glibc 2.36): `UNIQUE` and `ABSOLUTE`
/// everywhere, `IFUNC` on x86, PowerPC, SPARC and RISC-V, and on MIPS its
/// own list, `MIPS_PLT`, `UNIQUE`, `MIPS_O32_FP64`, `ABSOLUTE` and
/// `MIPS_XHASH` (sysdeps/unix/sysv/linux/mips/libc-abis); MIPS also takes
/// `ELFOSABI_SYSV` with a version below 6 (its ldsodefs.h). glibc 2.36 here
/// on x86_64 takes GNU versions 0 to 3, and refuses 4. The checks come in
/// the order of Debian's glibc, the loaders of the tests (Debian and
/// Ubuntu are where most code caches run): its
/// any/unsubmitted-ldso-machine-mismatch.diff and
/// arm/unsubmitted-ldso-multilib.diff pass over another machine, refused
/// flags and the other Arm float ABI right after the class, before the
/// identification's other fields (upstream glibc stops at those first).
fn open_verify(head: &[u8], code: &Machine) -> Result<(), Refusal> {
    use crate::elf::layout::abi::{ELFOSABI_GNU, ELFOSABI_NONE};
    use crate::elf::layout::{Class, ELFDATA2LSB, ELFDATA2MSB, ELFMAG, ET_DYN, ET_EXEC, EV_CURRENT};
    use crate::{Arch, Endian};
    let class = Class::of(code.image.bits == 64);
    if (head.len() as u64) < class.file.size {
        return ld_so_stops("file too short");
    }
    if head.first_chunk::<4>() != Some(&ELFMAG) {
        return Ok(());
    }
    let endian = code.image.endian;
    let data = if endian == Endian::Little { ELFDATA2LSB } else { ELFDATA2MSB };
    let half = |at: u64| Some(endian.u16(*head.get(usize::try_from(at).ok()?..)?.first_chunk()?));
    let word = |at: u64| Some(endian.u32(*head.get(usize::try_from(at).ok()?..)?.first_chunk()?));
    // Every data library pkgimg writes has one of these two `e_ident`s: one
    // comparison each passes them (this runs on every check of a cache).
    let usual = |osabi: u8| {
        let mut ident = [0u8; 16];
        ident[..4].copy_from_slice(&ELFMAG);
        (ident[4], ident[5], ident[6], ident[7]) = (class.ident, data, EV_CURRENT, osabi);
        ident
    };
    // Read in the process's byte order, as ld.so reads its `ElfW(Ehdr)`.
    let flags = word(class.file.e_flags).unwrap_or(0);
    let machine = half(class.file.e_machine).map(|m| Arch::from_elf(m, class.wide));
    let ident = head.first_chunk::<16>();
    if ident != Some(&usual(ELFOSABI_NONE)) && ident != Some(&usual(ELFOSABI_GNU)) {
        identification(head, code, (class.ident, data), (machine, flags))?;
    } else {
        arm_float_abi(code, flags)?;
    }
    if word(class.file.e_version) != Some(u32::from(EV_CURRENT)) {
        return ld_so_stops("ELF file version does not match current one");
    }
    matches_host(code, machine, flags)?;
    let e_type = half(class.file.e_type);
    if e_type != Some(ET_DYN) && e_type != Some(ET_EXEC) {
        return ld_so_stops("only ET_DYN and ET_EXEC can be loaded");
    }
    if half(class.file.e_phentsize).map(u64::from) != Some(class.program.size) {
        return ld_so_stops("ELF file's phentsize not the expected size");
    }
    if e_type == Some(ET_EXEC) {
        return ld_so_stops("cannot dynamically load executable");
    }
    Ok(())
}

/// [`open_verify`]'s checks of `e_ident` (`head`, of the ELF magic), for a
/// code cache of class `class` and data encoding `data`, in glibc's order.
fn identification(
    head: &[u8],
    code: &Machine,
    (class, data): (u8, u8),
    (machine, flags): (Option<crate::Arch>, u32),
) -> Result<(), Refusal> {
    use crate::elf::layout::abi::{ELFOSABI_ARM_AEABI, ELFOSABI_GNU, ELFOSABI_NONE};
    use crate::elf::layout::{EI_ABIVERSION, EI_CLASS, EI_DATA, EI_NIDENT, EI_OSABI, EI_PAD, EI_VERSION, EV_CURRENT};
    use crate::{Arch, Endian};
    let byte = |at: u64| usize::try_from(at).ok().and_then(|at| head.get(at)).copied();
    let (osabi, version) = (byte(EI_OSABI), byte(EI_ABIVERSION));
    let mips = matches!(code.image.arch, Arch::Mips | Arch::Mips64);
    let abi_max = match code.image.arch {
        Arch::X86_64 | Arch::X86 | Arch::Powerpc | Arch::Powerpc64 | Arch::Sparc64 | Arch::Riscv32 | Arch::Riscv64 => 4,
        Arch::Mips | Arch::Mips64 => 6,
        _ => 3,
    };
    // glibc on Arm also takes Arm's EABI OS ABI (its `EXTRA_OSABI`).
    let arm_eabi = code.image.arch == Arch::Arm && osabi == Some(ELFOSABI_ARM_AEABI);
    let osabi_ok = osabi == Some(ELFOSABI_NONE) || osabi == Some(ELFOSABI_GNU) || arm_eabi;
    let version_ok = version == Some(0)
        || (mips && osabi == Some(ELFOSABI_NONE) && version.is_some_and(|v| v < 6))
        || (osabi == Some(ELFOSABI_GNU) && version.is_some_and(|v| v < abi_max));
    let pad_end = usize::try_from(EI_NIDENT).unwrap_or(16);
    let pad = head.get(usize::try_from(EI_PAD).unwrap_or(9)..pad_end);
    let pad_ok = pad.is_some_and(|pad| pad.iter().all(|&b| b == 0));
    let float_ok = arm_float_abi(code, flags).is_ok();
    // glibc's test of the identification (VALID_ELF_HEADER, with Arm's
    // float ABI, VALID_ELF_ABIVERSION, the padding): if it holds, none of
    // what follows is asked (review 25 F1: the machine check below came
    // before the `e_version` check for every ident but the usual two).
    let valid = byte(EI_CLASS) == Some(class)
        && byte(EI_DATA) == Some(data)
        && byte(EI_VERSION) == Some(EV_CURRENT)
        && osabi_ok
        && version_ok
        && pad_ok
        && float_ok;
    if valid {
        return Ok(());
    }
    // "Something is wrong": which, in the order of Debian's open_verify.
    if byte(EI_CLASS) != Some(class) {
        let what = byte(EI_CLASS).map_or(String::new(), |c| format!(" (EI_CLASS {c})"));
        return Err(Refusal::OtherMachine(format!("an ELF file of another class{what}: ld.so passes over it")));
    }
    arm_float_abi(code, flags)?;
    // Debian's any/unsubmitted-ldso-machine-mismatch.diff asks
    // elf_machine_matches_host here too, so that a file of another machine
    // is passed over whatever else its identification says (a byte-swapped
    // one's `e_machine` is another machine); upstream glibc asks it only
    // after the identification passes.
    matches_host(code, machine, flags)?;
    if byte(EI_DATA) != Some(data) {
        return ld_so_stops(match code.image.endian {
            Endian::Little => "ELF file data encoding not little-endian",
            Endian::Big => "ELF file data encoding not big-endian",
        });
    }
    if byte(EI_VERSION) != Some(EV_CURRENT) {
        return ld_so_stops("ELF file version ident does not match current one");
    }
    if !osabi_ok {
        return ld_so_stops("ELF file OS ABI invalid");
    }
    if !version_ok {
        return ld_so_stops("ELF file ABI version invalid");
    }
    if !pad_ok {
        return ld_so_stops("nonzero padding in e_ident");
    }
    // Every field holds on its own: glibc has no name for what failed.
    ld_so_stops("internal error")
}

/// glibc's `elf_machine_matches_host` for a file of `machine` (its
/// `e_machine` read in the process's byte order) and `e_flags` `flags`: the
/// code cache's machine, and flags it does not refuse ([`flags_refused`]),
/// or passed over.
fn matches_host(code: &Machine, machine: Option<crate::Arch>, flags: u32) -> Result<(), Refusal> {
    if machine != Some(code.image.arch) {
        let what = machine.map_or(String::new(), |m| format!(" for {m}"));
        return Err(Refusal::OtherMachine(format!("an ELF file{what}: ld.so passes over it")));
    }
    match flags_refused(code, flags) {
        Some(why) => Err(Refusal::OtherMachine(format!("{why} (e_flags {flags:#x}): ld.so passes over it"))),
        None => Ok(()),
    }
}

/// What glibc's `elf_machine_matches_host` refuses in a data library of
/// the code cache's machine, by its `e_flags` (`flags`), or `None`. The
/// process is one that runs the code cache, whose flags passed the same
/// test, so they stand for the process's own. (The `dl-machine.h` of each
/// machine: elsewhere only `e_machine` is compared.)
fn flags_refused(code: &Machine, flags: u32) -> Option<&'static str> {
    use crate::elf::layout::abi::{
        EF_MIPS_ABI2, EF_MIPS_FP64, EF_MIPS_NAN2008, EF_PPC64_ABI, EF_PPC64_ABI_V1, EF_PPC64_ABI_V2, EF_RISCV_FLOAT_ABI,
    };
    use crate::{Arch, Endian};
    let differs = |mask: u32| (code.flags ^ flags) & mask != 0;
    match code.image.arch {
        // sysdeps/riscv/dl-machine.h: the float ABI is the process's.
        Arch::Riscv32 | Arch::Riscv64 if differs(EF_RISCV_FLOAT_ABI) => Some("another float ABI"),
        // sysdeps/powerpc/powerpc64/dl-machine.h: an ABI version, if given,
        // is the process's: ELFv2 where the code cache says so, or on
        // little-endian (glibc's only ppc64le ABI); else ELFv1, glibc's
        // only big-endian ABI (_CALL_ELF 2 big-endian is musl's). Unlike
        // Arm's float ABI, where glibc builds both ways and a code cache
        // without the flag loads in either, the process is known here.
        Arch::Powerpc64 => {
            let process = match code.flags & EF_PPC64_ABI {
                0 if code.image.endian == Endian::Little => EF_PPC64_ABI_V2,
                0 => EF_PPC64_ABI_V1,
                abi => abi,
            };
            let abi = flags & EF_PPC64_ABI;
            (abi != 0 && abi != process).then_some("another ppc64 ABI version")
        }
        // sysdeps/mips/dl-machine.h: o32 and n32 apart, the NaN encoding
        // the process's, and never the O32 FP64 ABI.
        Arch::Mips if differs(EF_MIPS_ABI2) => Some("another MIPS ABI (o32 and n32 do not mix)"),
        Arch::Mips | Arch::Mips64 if differs(EF_MIPS_NAN2008) => Some("another NaN encoding (EF_MIPS_NAN2008)"),
        Arch::Mips | Arch::Mips64 if flags & EF_MIPS_FP64 != 0 => Some("the O32 FP64 ABI, which Linux does not run"),
        _ => None,
    }
}

/// glibc's `VALID_FLOAT_ABI` on Arm (sysdeps/unix/sysv/linux/arm/ldsodefs.h)
/// for a library of e_flags `flags`, checked right after the class as
/// Debian's and Ubuntu's glibc check it: their
/// `arm/unsubmitted-ldso-multilib.diff` passes over a library of the other
/// float ABI (`ENOENT`), so that armel and armhf libraries can share a
/// search path; upstream glibc ends the search there with "internal error".
/// The Debian behaviour is what their `qemu-arm` loader does in the tests,
/// and those distributions are where 32-bit Arm Linux mostly runs.
fn arm_float_abi(code: &Machine, flags: u32) -> Result<(), Refusal> {
    if code.image.arch != crate::Arch::Arm || arm_float_abi_valid(code.flags, flags) {
        return Ok(());
    }
    Err(Refusal::OtherMachine(format!(
        "an ELF file of the other float ABI (e_flags {flags:#x}): Debian's and Ubuntu's ld.so pass over it \
         (upstream glibc stops here: \"internal error\")"
    )))
}

/// Whether a library of e_flags `library` is of a float ABI that glibc
/// loads into a process running a code cache of e_flags `code`: an EABI
/// version 5 library must not be of the other float ABI than the
/// process's. The process's is the code cache's where its flags say; where
/// they do not (no float flag, or an older EABI), the code cache loads in
/// either process, and so is taken to be in one of the library's ABI.
fn arm_float_abi_valid(code: u32, library: u32) -> bool {
    use crate::elf::layout::abi::{EF_ARM_ABI_FLOAT_HARD, EF_ARM_ABI_FLOAT_SOFT, EF_ARM_EABIMASK, EF_ARM_EABI_VER5};
    let eabi5 = |flags: u32| flags & EF_ARM_EABIMASK == EF_ARM_EABI_VER5;
    let process_float = match eabi5(code) {
        true => code & (EF_ARM_ABI_FLOAT_SOFT | EF_ARM_ABI_FLOAT_HARD),
        false => 0,
    };
    let refused = match process_float {
        EF_ARM_ABI_FLOAT_HARD => EF_ARM_ABI_FLOAT_SOFT,
        EF_ARM_ABI_FLOAT_SOFT => EF_ARM_ABI_FLOAT_HARD,
        _ => 0,
    };
    !eabi5(library) || library & refused == 0
}

/// ld.so's answer for a file it takes and fails on, with its message: the
/// search ends there.
fn ld_so_stops(why: &str) -> Result<(), Refusal> {
    Err(Refusal::NotData(format!("ld.so stops here: \"{why}\"")))
}

/// Why a file is not the data library a code cache needs.
pub(super) enum Refusal {
    /// The loader would take the file and fail, or find no payload in it.
    NotData(String),
    /// The loader cannot load the file with this code cache (ld.so's
    /// `open_verify` on another class or machine, dyld on anything it cannot
    /// make a loader of), and looks further along its search path.
    OtherMachine(String),
}
