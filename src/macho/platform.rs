//! The platforms a thin Mach-O image is built for, as dyld reads them
//! (dyld-1378 mach_o/UnsafeHeader.cpp:1144-1207, `forEachPlatformLoadCommand`),
//! and whether a process of one platform loads a dylib built for others
//! (`loadableIntoProcess`, :2238-2281). dyld passes over a dylib it cannot
//! load for its platform ("incompatible platform", common/MachOFile.cpp:
//! 1813-1816) and tries the next place, as for another architecture.

use super::header;
use super::layout::{build_version_command, mach_header, CMDSIZE_READ, CPU_TYPE_ARM64, CPU_TYPE_X86, CPU_TYPE_X86_64};
use super::layout::{
    LC_BUILD_VERSION, LC_VERSION_MIN_IPHONEOS, LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_TVOS, LC_VERSION_MIN_WATCHOS,
};
use super::layout::{
    PLATFORM_IOS, PLATFORM_IOSSIMULATOR, PLATFORM_MACCATALYST, PLATFORM_MACOS, PLATFORM_TVOS, PLATFORM_TVOSSIMULATOR,
    PLATFORM_WATCHOS, PLATFORM_WATCHOSSIMULATOR, PLATFORM_XROS, PLATFORM_XROS_SIMULATOR,
};
use crate::read::{Data, Source};
use crate::Error;

/// The `PLATFORM_*` codes of an image: one, or two for a zippered dylib
/// (macOS and Mac Catalyst); further platform commands are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Platforms {
    codes: [u32; 2],
    count: u8,
}

impl Platforms {
    /// Whether the image is built for `platform`.
    pub(crate) fn has(self, platform: u32) -> bool {
        self.codes.iter().take(usize::from(self.count)).any(|&code| code == platform)
    }

    /// Whether a process running an image built for `self` loads a dylib
    /// built for `dylib`: some platform of the image is one of the dylib's,
    /// or is one that dyld lets load it (a Mac Catalyst process takes macOS
    /// dylibs, an iOS one visionOS dylibs, and their simulators alike).
    pub(crate) fn loads(self, dylib: Platforms) -> bool {
        self.codes.iter().take(usize::from(self.count)).any(|&process| {
            dylib.has(process)
                || (process == PLATFORM_MACCATALYST && dylib.has(PLATFORM_MACOS))
                || (process == PLATFORM_IOS && dylib.has(PLATFORM_XROS))
                || (process == PLATFORM_IOSSIMULATOR && dylib.has(PLATFORM_XROS_SIMULATOR))
        })
    }

    /// The first platform's name, as `LC_BUILD_VERSION` tools print it.
    pub(crate) fn name(self) -> &'static str {
        match self.codes.first().copied().filter(|_| self.count > 0) {
            Some(PLATFORM_MACOS) => "macOS",
            Some(PLATFORM_IOS) => "iOS",
            Some(PLATFORM_TVOS) => "tvOS",
            Some(PLATFORM_WATCHOS) => "watchOS",
            Some(PLATFORM_MACCATALYST) => "Mac Catalyst",
            Some(PLATFORM_IOSSIMULATOR) => "iOS Simulator",
            Some(PLATFORM_TVOSSIMULATOR) => "tvOS Simulator",
            Some(PLATFORM_WATCHOSSIMULATOR) => "watchOS Simulator",
            Some(PLATFORM_XROS) => "visionOS",
            Some(PLATFORM_XROS_SIMULATOR) => "visionOS Simulator",
            Some(_) => "another platform",
            None => "no platform",
        }
    }

    fn push(&mut self, code: u32) {
        if let Some(slot) = self.codes.get_mut(usize::from(self.count)) {
            *slot = code;
            self.count = self.count.saturating_add(1);
        }
    }
}

/// The platforms of the thin image `image`: each `LC_BUILD_VERSION`'s, and
/// for each `LC_VERSION_MIN_*` its platform (the simulator's on an Intel
/// CPU, as an old simulator binary has it). An image with none is taken by
/// dyld on macOS for a macOS one if it is for x86_64, i386 or arm64 (old
/// binaries, and the Go linker's); otherwise it has none.
pub(crate) fn platforms<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Platforms, Error> {
    let header = header::parse(image)?;
    let cputype = image.with_endian(header.image.endian).u32(mach_header::CPUTYPE)?;
    let (x86_64, intel) = (cputype == CPU_TYPE_X86_64, matches!(cputype, CPU_TYPE_X86 | CPU_TYPE_X86_64));
    let mut found = Platforms { codes: [0; 2], count: 0 };
    let mut any = false;
    for command in header.commands(CMDSIZE_READ) {
        let command = command?;
        let code = match command.cmd {
            LC_BUILD_VERSION => command.data.u32(build_version_command::PLATFORM)?,
            LC_VERSION_MIN_MACOSX => PLATFORM_MACOS,
            LC_VERSION_MIN_IPHONEOS if intel => PLATFORM_IOSSIMULATOR,
            LC_VERSION_MIN_IPHONEOS => PLATFORM_IOS,
            LC_VERSION_MIN_TVOS if x86_64 => PLATFORM_TVOSSIMULATOR,
            LC_VERSION_MIN_TVOS => PLATFORM_TVOS,
            LC_VERSION_MIN_WATCHOS if intel => PLATFORM_WATCHOSSIMULATOR,
            LC_VERSION_MIN_WATCHOS => PLATFORM_WATCHOS,
            _ => continue,
        };
        any = true;
        found.push(code);
    }
    if !any && (intel || cputype == CPU_TYPE_ARM64) {
        found.push(PLATFORM_MACOS);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn of(codes: &[u32]) -> Platforms {
        let mut p = Platforms { codes: [0; 2], count: 0 };
        codes.iter().for_each(|&c| p.push(c));
        p
    }

    /// dyld's `loadableIntoProcess` (UnsafeHeader.cpp:2238-2281), for the
    /// cases that do not depend on the path or the kind of image.
    #[test]
    fn a_process_loads_what_dyld_lets_it() {
        let (mac, ios, cat, xros) = (PLATFORM_MACOS, PLATFORM_IOS, PLATFORM_MACCATALYST, PLATFORM_XROS);
        for (process, dylib, want) in [
            (&[mac][..], &[mac][..], true),
            (&[mac], &[ios], false),
            (&[mac], &[cat], false),
            (&[mac], &[mac, cat], true),
            (&[cat], &[mac], true),
            (&[cat], &[mac, cat], true),
            (&[ios], &[xros], true),
            (&[xros], &[ios], false),
            (&[PLATFORM_IOSSIMULATOR], &[PLATFORM_XROS_SIMULATOR], true),
            (&[PLATFORM_IOSSIMULATOR], &[ios], false),
            (&[mac], &[], false),
        ] {
            assert_eq!(of(process).loads(of(dylib)), want, "{process:?} {dylib:?}");
        }
        assert_eq!(of(&[mac, cat, ios]).count, 2, "a third platform is not kept");
    }
}
