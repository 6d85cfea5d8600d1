//! Universal ("fat") Mach-O files: a big-endian table of slices, each a whole
//! thin Mach-O image at its own file offset (`<mach-o/fat.h>`).

use super::layout::{fat_header, FatArch, FAT_ARCH, FAT_ARCH_64, FAT_MAGIC, FAT_MAGIC_64};
#[cfg(all(feature = "std", unix))]
use super::layout::{mach_header, CPU_SUBTYPE_X86_64_H, CPU_TYPE_X86_64};
use crate::read::{Data, Source};
use crate::{Arch, Endian, Error, FileRange, MAX_LISTED_SLICES};

/// The validated `fat_arch` table of a universal file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Table<'a> {
    entries: Data<'a>,
    /// `fat_arch_64` entries (`FAT_MAGIC_64`) rather than `fat_arch`.
    wide: bool,
    pub count: u32,
}

/// Whether the file starts with a universal header.
pub(crate) fn is_fat(file: &[u8]) -> bool {
    matches!(file.first_chunk().map(|magic| Endian::Big.u32(*magic)), Some(FAT_MAGIC | FAT_MAGIC_64))
}

/// The slice table, with its size checked against the file before any entry
/// is read.
#[inline]
pub(crate) fn table<'a, S: Source<'a>>(file: Data<'a, S>) -> Result<Table<'a>, Error> {
    let file = file.with_endian(Endian::Big);
    let wide = file.fixed::<4>("Mach-O universal header", fat_header::MAGIC)?.u32(0) == FAT_MAGIC_64;
    let count = file.u32(fat_header::NFAT_ARCH)?;
    let entries = file.table("Mach-O universal slice table", fat_header::LEN, layout(wide).len, u64::from(count))?;
    Ok(Table { entries, wide, count })
}

/// The entries' layout: `fat_arch_64` or `fat_arch`.
#[inline(always)]
fn layout(wide: bool) -> FatArch {
    if wide {
        FAT_ARCH_64
    } else {
        FAT_ARCH
    }
}

/// The capability bits of a `cpusubtype` (`CPU_SUBTYPE_MASK`,
/// `<mach/machine.h>`): arm64e's pointer-authentication ABI version lives
/// there, `CPU_SUBTYPE_LIB64` too. The loader matches the subtype without them.
const CPU_SUBTYPE_MASK: u32 = 0xff00_0000;

/// A Mach-O image's CPU as the loader matches it: `cputype` and the whole
/// `cpusubtype`, capability bits included (dyld compares arm64's whole
/// subtype, Architecture.cpp:155-164). [`Arch`] is coarser: arm64, arm64e
/// and arm64_32 are all [`Arch::Aarch64`].
#[cfg(all(feature = "std", unix))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cpu {
    pub cputype: u32,
    pub cpusubtype: u32,
}

#[cfg(all(feature = "std", unix))]
impl Cpu {
    pub(crate) fn new(cputype: u32, cpusubtype: u32) -> Cpu {
        Cpu { cputype, cpusubtype }
    }

    /// The CPU in the `mach_header` of the thin image `image`.
    pub(crate) fn of<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Cpu, Error> {
        let (endian, _) = super::header::magic(image)?;
        let fields = image.with_endian(endian).fixed::<{ mach_header::FILETYPE as usize }>("Mach-O header", 0)?;
        Ok(Cpu::new(fields.u32(mach_header::CPUTYPE), fields.u32(mach_header::CPUSUBTYPE)))
    }

    /// How well a process running an image of this CPU takes an image of
    /// CPU `other` ([`grade`]: higher is better), or `None` if dyld would
    /// refuse it.
    pub(crate) fn grade(self, other: Cpu) -> Option<u8> {
        Some(grade((self.cputype, self.cpusubtype), (other.cputype, other.cpusubtype))).filter(|&g| g > 0)
    }

    /// The name `lipo` and `-arch` use where it says more than [`Arch`]
    /// (arm64e, x86_64h, arm64_32); otherwise `None`.
    pub(crate) fn special_name(self) -> Option<&'static str> {
        use super::layout::{CPU_SUBTYPE_ARM64E, CPU_TYPE_ARM64, CPU_TYPE_ARM64_32};
        match (self.cputype, self.cpusubtype & !CPU_SUBTYPE_MASK) {
            (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E) => Some("arm64e"),
            (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H) => Some("x86_64h"),
            (CPU_TYPE_ARM64_32, _) => Some("arm64_32"),
            _ => None,
        }
    }
}

/// How dyld grades a slice of CPU `slice` (`cputype`, whole `cpusubtype`)
/// for a process whose main executable is of CPU `process`: higher is
/// better, 0 is never. dyld takes the first slice of the best grade
/// (`GradedArchitectures::hasCompatibleSlice`, mach_o/
/// GradedArchitectures.cpp:42-56), from the list for the process
/// (`ProcessConfig::Process::getMainArchs`, dyld/DyldProcessConfig.cpp:
/// 800-831, and `currentLoad`, GradedArchitectures.cpp:113-131, 157-166):
/// - x86_64 (`load_macHaswell`, on a Haswell or later CPU, which every Intel
///   Mac that macOS 13 or later runs on has): x86_64h, then x86_64
///   (`CPU_SUBTYPE_X86_64_ALL`), the capability bits ignored.
/// - arm64: macOS's dyld is built arm64e, and for an arm64 main executable
///   (Julia's) it turns pointer-authentication keys off and takes
///   `load_arm64e_keysOff`: arm64e, arm64e_v1, arm64, arm64_alt, the whole
///   subtype compared. The process is Julia's whatever the CPU of the code
///   cache it loads, arm64e included (review 23 F1), so an arm64 `process`
///   of any subtype grades so.
/// - anything else: the same CPU type and subtype, without capability bits.
pub(crate) fn grade(process: (u32, u32), slice: (u32, u32)) -> u8 {
    use super::layout::{CPU_SUBTYPE_ARM64E, CPU_SUBTYPE_ARM64_ALL, CPU_SUBTYPE_ARM64_V8, CPU_TYPE_ARM64};
    use super::layout::{CPU_SUBTYPE_X86_64_ALL, CPU_SUBTYPE_X86_64_H, CPU_TYPE_X86_64};
    // Architecture.cpp:300-330: arm64e carries its ABI version in the
    // capability byte (0x80: version 0; 0x81: arm64e_v1).
    const ARM64E: u32 = CPU_SUBTYPE_ARM64E | 0x8000_0000;
    const ARM64E_V1: u32 = CPU_SUBTYPE_ARM64E | 0x8100_0000;
    let masked = |subtype: u32| subtype & !CPU_SUBTYPE_MASK;
    match (process.0, slice.0) {
        (CPU_TYPE_X86_64, CPU_TYPE_X86_64) if masked(slice.1) == CPU_SUBTYPE_X86_64_H => 2,
        (CPU_TYPE_X86_64, CPU_TYPE_X86_64) if masked(slice.1) == CPU_SUBTYPE_X86_64_ALL => 1,
        (CPU_TYPE_X86_64, _) => 0,
        (CPU_TYPE_ARM64, CPU_TYPE_ARM64) => match slice.1 {
            ARM64E => 4,
            ARM64E_V1 => 3,
            CPU_SUBTYPE_ARM64_ALL => 2,
            CPU_SUBTYPE_ARM64_V8 => 1,
            _ => 0,
        },
        (CPU_TYPE_ARM64, _) => 0,
        (process_type, slice_type) => u8::from(process_type == slice_type && masked(process.1) == masked(slice.1)),
    }
}

/// One `fat_arch`/`fat_arch_64` entry.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// Absolute offset of the entry.
    pub at: u64,
    pub cputype: u32,
    /// The slice's file range.
    pub offset: u64,
    pub size: u64,
    /// log2 of the slice's alignment.
    pub align: u32,
}

/// How a slice of CPU `cputype`/`cpusubtype` suits a process on `host`:
/// [`grade`] for an arm64 process on aarch64 (an ordinary macOS process,
/// Julia's) and an x86_64 one on x86_64; on any other host (no dyld), 1 for
/// every slice of its [`Arch`].
fn host_grade(host: Arch, cputype: u32, cpusubtype: u32) -> u8 {
    use super::layout::{CPU_SUBTYPE_ARM64_ALL, CPU_SUBTYPE_X86_64_ALL, CPU_TYPE_ARM64, CPU_TYPE_X86_64};
    match host {
        Arch::Aarch64 => grade((CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL), (cputype, cpusubtype)),
        Arch::X86_64 => grade((CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL), (cputype, cpusubtype)),
        host => u8::from(Arch::from_macho(cputype) == host),
    }
}

impl<'a> Table<'a> {
    /// Slice `index`: its architecture and its bytes, checked against the file.
    #[inline]
    pub fn slice(&self, file: Data<'a>, index: u32) -> Result<(Arch, Data<'a>), Error> {
        let (arch, range) = self.range(file, index)?;
        let bytes = file.table("Mach-O universal slice", range.offset, range.size, 1)?;
        Ok((arch, Data { what: "the slice", ..bytes }))
    }

    /// Slice `index`: its architecture and its file range, checked against
    /// the file (which need not be read: a lookup from a path reads only
    /// the host slice's headers).
    #[inline]
    pub fn range<S: Source<'a>>(&self, file: Data<'a, S>, index: u32) -> Result<(Arch, FileRange), Error> {
        let layout = layout(self.wide);
        let entry = self.entries.entry("Mach-O universal slice entry", u64::from(index), layout.len)?;
        let (offset, size) = (entry.word(layout.offset, layout.wide)?, entry.word(layout.size, layout.wide)?);
        file.within("Mach-O universal slice", offset, size)?;
        Ok((Arch::from_macho(entry.u32(layout.cputype)?), FileRange { offset, size }))
    }

    /// The slice a loader on this CPU would pick ([`Arch::HOST`]): its
    /// index, architecture and range. Every entry is checked, so a damaged
    /// one is reported, not skipped.
    ///
    /// [`Arch`] is coarse, so the first slice of the best [`host_grade`] is
    /// taken, as dyld takes it for an ordinary process of this CPU: on
    /// arm64, arm64e before arm64 (review 22 F7), on x86_64, x86_64h
    /// before x86_64 (review 20 F3).
    #[inline]
    pub fn host<S: Source<'a>>(&self, file: Data<'a, S>) -> Result<(u32, Arch, FileRange), Error> {
        self.best(file, Arch::HOST, |cputype, cpusubtype| host_grade(Arch::HOST, cputype, cpusubtype))
    }

    /// The slice a loader would map into a process that runs an image of
    /// `want` (the best graded by [`Cpu::grade`]; the first of equal ones, as
    /// dyld takes them), or, for an image that is no Mach-O one (`want` is
    /// `None`), none. Every entry is checked, as [`Table::host`] checks them;
    /// the error names `arch`, the architecture looked for.
    #[cfg(all(feature = "std", unix))]
    pub fn for_cpu<S: Source<'a>>(
        &self,
        file: Data<'a, S>,
        want: Option<Cpu>,
        arch: Arch,
    ) -> Result<(u32, Arch, FileRange), Error> {
        self.best(file, arch, |cputype, cpusubtype| {
            want.and_then(|want| want.grade(Cpu::new(cputype, cpusubtype))).unwrap_or(0)
        })
    }

    /// The first slice of the best nonzero `grade` (of its `cputype` and
    /// `cpusubtype`), with every entry checked first, as dyld checks the
    /// whole header before it picks a slice (MachOFile.cpp:1775; review 23
    /// F3); none is [`Error::NoHostSlice`] for `looked_for`.
    fn best<S: Source<'a>>(
        &self,
        file: Data<'a, S>,
        looked_for: Arch,
        grade: impl Fn(u32, u32) -> u8,
    ) -> Result<(u32, Arch, FileRange), Error> {
        let layout = layout(self.wide);
        let mut listed = [Arch::Unknown(0); MAX_LISTED_SLICES];
        let mut best: Option<(u8, u32, Arch, FileRange)> = None;
        for index in 0..self.count {
            let (arch, range) = self.range(file, index)?;
            let entry = self.entries.entry("Mach-O universal slice entry", u64::from(index), layout.len)?;
            let grade = grade(entry.u32(layout.cputype)?, entry.u32(layout.cpusubtype)?);
            if grade > 0 && best.is_none_or(|(best, ..)| grade > best) {
                best = Some((grade, index, arch, range));
            }
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| listed.get_mut(i)) {
                *slot = arch;
            }
        }
        match best {
            Some((_, index, arch, range)) => Ok((index, arch, range)),
            None => Err(Error::NoHostSlice { host: looked_for, slices: listed, count: self.count }),
        }
    }

    /// `fat_arch` or `fat_arch_64`.
    #[cfg(feature = "std")]
    pub fn layout(&self) -> FatArch {
        layout(self.wide)
    }

    /// The size of the header: `fat_header` and the entries.
    #[cfg(feature = "std")]
    pub fn header_len(&self) -> u64 {
        fat_header::LEN.saturating_add(self.entries.len())
    }

    /// Entry `index`, as found (the slice's range is not checked here).
    #[cfg(feature = "std")]
    pub fn entry(&self, index: u32) -> Result<Entry, Error> {
        let layout = layout(self.wide);
        let entry = self.entries.entry("Mach-O universal slice entry", u64::from(index), layout.len)?;
        Ok(Entry {
            at: entry.base,
            cputype: entry.u32(layout.cputype)?,
            offset: entry.word(layout.offset, layout.wide)?,
            size: entry.word(layout.size, layout.wide)?,
            align: entry.u32(layout.align)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::macho::layout::{CPU_SUBTYPE_ARM64E, CPU_SUBTYPE_X86_64_H, CPU_TYPE_ARM64, CPU_TYPE_X86_64};

    /// A `FAT_MAGIC` file of one-page slices of these (cputype, cpusubtype).
    fn fat(cpus: &[(u32, u32)]) -> std::vec::Vec<u8> {
        let mut file = std::vec::Vec::new();
        file.extend_from_slice(&FAT_MAGIC.to_be_bytes());
        file.extend_from_slice(&(cpus.len() as u32).to_be_bytes());
        for (i, &(cputype, subtype)) in cpus.iter().enumerate() {
            let offset = 4096 * (i as u32 + 1);
            for word in [cputype, subtype, offset, 4096, 12] {
                file.extend_from_slice(&word.to_be_bytes());
            }
        }
        file.resize(4096 * (cpus.len() + 1), 0);
        file
    }

    /// A code cache's process takes a data library slice as dyld grades it
    /// (GradedArchitectures.cpp:157-166, DyldProcessConfig.cpp:800-831): an
    /// arm64 one, and an arm64e one, which Julia's arm64 process loads too,
    /// arm64e, arm64e_v1, arm64, then arm64's V8 spelling (keys off), the
    /// whole subtype compared; an x86_64 or x86_64h one x86_64h, then x86_64
    /// (Haswell and later).
    #[cfg(all(feature = "std", unix))]
    #[test]
    fn a_process_grades_slices_as_dyld_does() {
        let arm64 = |subtype| Cpu::new(CPU_TYPE_ARM64, subtype);
        let (plain, v8, e, e_v1, e_old) =
            (arm64(0), arm64(1), arm64(0x8000_0002), arm64(0x8100_0002), arm64(CPU_SUBTYPE_ARM64E));
        let (x86_64, x86_64h) = (Cpu::new(CPU_TYPE_X86_64, 3), Cpu::new(CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H));
        for (process, slice, want) in [
            (plain, e, Some(4)),
            (plain, e_v1, Some(3)),
            (plain, plain, Some(2)),
            (plain, v8, Some(1)),
            (plain, e_old, None),
            (plain, arm64(0x8000_0000), None),
            (v8, plain, Some(2)),
            (e, e, Some(4)),
            (e, plain, Some(2)),
            (e, e_v1, Some(3)),
            (x86_64h, x86_64h, Some(2)),
            (x86_64h, x86_64, Some(1)),
            (x86_64, x86_64h, Some(2)),
            (x86_64, x86_64, Some(1)),
            (x86_64, Cpu::new(CPU_TYPE_X86_64, 4), None),
            (x86_64, plain, None),
            (plain, x86_64, None),
        ] {
            assert_eq!(process.grade(slice), want, "{process:?} {slice:?}");
        }
    }

    /// The host's process: an arm64 one on aarch64, an x86_64 one on x86_64;
    /// on other hosts any slice of the architecture.
    #[test]
    fn slices_are_graded_as_dyld_grades_them() {
        use crate::macho::layout::CPU_TYPE_ARM64_32;
        for (host, cputype, subtype, want) in [
            (Arch::Aarch64, CPU_TYPE_ARM64, 0x8000_0002, 4),
            (Arch::Aarch64, CPU_TYPE_ARM64, 0x8100_0002, 3),
            (Arch::Aarch64, CPU_TYPE_ARM64, 0, 2),
            (Arch::Aarch64, CPU_TYPE_ARM64, 1, 1),
            (Arch::Aarch64, CPU_TYPE_ARM64, 0x8000_0000, 0),
            (Arch::Aarch64, CPU_TYPE_ARM64, 3, 0),
            (Arch::Aarch64, CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E, 0),
            (Arch::Aarch64, CPU_TYPE_ARM64_32, 1, 0),
            (Arch::Aarch64, CPU_TYPE_X86_64, 3, 0),
            (Arch::X86_64, CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H, 2),
            (Arch::X86_64, CPU_TYPE_X86_64, 3, 1),
            (Arch::X86_64, CPU_TYPE_X86_64, 3 | 0x8000_0000, 1),
            (Arch::X86_64, CPU_TYPE_X86_64, 4, 0),
            (Arch::X86_64, CPU_TYPE_ARM64, 0, 0),
            (Arch::X86, 7, 3, 1),
        ] {
            assert_eq!(host_grade(host, cputype, subtype), want, "{host:?} {cputype:#x} {subtype:#x}");
        }
    }

    #[test]
    fn the_host_slice_is_the_one_dyld_takes_first() {
        // (first choice, fallback, never) for this host.
        let (first, fallback, never) = match Arch::HOST {
            Arch::X86_64 => ((CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H), (CPU_TYPE_X86_64, 3), (CPU_TYPE_X86_64, 4)),
            Arch::Aarch64 => ((CPU_TYPE_ARM64, 0x8000_0002), (CPU_TYPE_ARM64, 0), (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E)),
            _ => return,
        };
        for (cpus, want) in [
            (&[fallback, first][..], Some(1)),
            (&[first, fallback][..], Some(0)),
            (&[fallback][..], Some(0)),
            (&[first][..], Some(0)),
            (&[never, fallback][..], Some(1)),
            (&[never][..], None),
        ] {
            let file = fat(cpus);
            let data = Data::new(&file, 0, "the file");
            let host = table(data).unwrap().host(data);
            assert_eq!(host.as_ref().ok().map(|(index, ..)| *index), want, "{cpus:x?}");
            if let Ok((index, arch, range)) = host {
                assert_eq!((arch, range.offset), (Arch::HOST, 4096 * (u64::from(index) + 1)), "{cpus:x?}");
            }
        }
        // A damaged entry after the best slice is reported, as dyld checks
        // the whole header first (review 23 F3): its slice runs past the file.
        let mut file = fat(&[first, fallback]);
        file[8 + 20 + 8..8 + 20 + 12].copy_from_slice(&0x00ff_0000u32.to_be_bytes());
        let data = Data::new(&file, 0, "the file");
        assert!(table(data).unwrap().host(data).is_err());
    }
}
