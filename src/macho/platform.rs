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

/// The platform of an image as dyld folds its platform commands
/// (`platformAndVersions`, mach_o/UnsafeHeader.cpp:363-372, with
/// `PlatformAndVersions::zip`, mach_o/Platform.cpp:819-859): the first
/// command's platform; a macOS and a Mac Catalyst command together make a
/// zippered image, built for both; any other second platform is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Platforms {
    /// The first platform (0: none).
    first: u32,
    /// Built for macOS and Mac Catalyst alike.
    zippered: bool,
}

impl Platforms {
    /// dyld's `builtForPlatform(platform)`: the platform, or one of a
    /// zippered image's two.
    pub(crate) fn has(self, platform: u32) -> bool {
        match self.zippered {
            true => platform == PLATFORM_MACOS || platform == PLATFORM_MACCATALYST,
            false => self.first != 0 && self.first == platform,
        }
    }

    /// dyld's `builtForPlatform(platform, onlyOnePlatform = true)`.
    fn only(self, platform: u32) -> bool {
        !self.zippered && self.first != 0 && self.first == platform
    }

    /// Whether a process running an image built for `self` loads a dylib
    /// built for `dylib` (`loadableIntoProcess`, UnsafeHeader.cpp:2238-2281):
    /// the dylib is built for the process's platform, or is a macOS one in a
    /// Mac Catalyst process, or a visionOS one in an iOS process (and their
    /// simulators). A zippered image's process may be either platform.
    pub(crate) fn loads(self, dylib: Platforms) -> bool {
        let process: &[u32] = match self.zippered {
            true => &[PLATFORM_MACOS, PLATFORM_MACCATALYST],
            false => core::slice::from_ref(&self.first),
        };
        process.iter().any(|&process| {
            dylib.has(process)
                || (process == PLATFORM_MACCATALYST && dylib.only(PLATFORM_MACOS))
                || (process == PLATFORM_IOS && dylib.only(PLATFORM_XROS))
                || (process == PLATFORM_IOSSIMULATOR && dylib.only(PLATFORM_XROS_SIMULATOR))
        })
    }

    /// The platform's name, as `LC_BUILD_VERSION` tools print it.
    pub(crate) fn name(self) -> &'static str {
        match (self.zippered, self.first) {
            (true, _) => "macOS and Mac Catalyst",
            (_, PLATFORM_MACOS) => "macOS",
            (_, PLATFORM_IOS) => "iOS",
            (_, PLATFORM_TVOS) => "tvOS",
            (_, PLATFORM_WATCHOS) => "watchOS",
            (_, PLATFORM_MACCATALYST) => "Mac Catalyst",
            (_, PLATFORM_IOSSIMULATOR) => "iOS Simulator",
            (_, PLATFORM_TVOSSIMULATOR) => "tvOS Simulator",
            (_, PLATFORM_WATCHOSSIMULATOR) => "watchOS Simulator",
            (_, PLATFORM_XROS) => "visionOS",
            (_, PLATFORM_XROS_SIMULATOR) => "visionOS Simulator",
            (_, 0) => "no platform",
            _ => "another platform",
        }
    }

    /// Folds in the next platform command's platform, as `zip` does.
    fn push(&mut self, code: u32) {
        let pair = [self.first, code];
        if self.first == 0 {
            self.first = code;
        } else if !self.zippered
            && (pair == [PLATFORM_MACOS, PLATFORM_MACCATALYST] || pair == [PLATFORM_MACCATALYST, PLATFORM_MACOS])
        {
            self.zippered = true;
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
    let mut found = Platforms { first: 0, zippered: false };
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
        let mut p = Platforms { first: 0, zippered: false };
        codes.iter().for_each(|&c| p.push(c));
        p
    }

    /// dyld's `loadableIntoProcess` (UnsafeHeader.cpp:2238-2281) over
    /// `platformAndVersions` (the first platform; macOS with Mac Catalyst
    /// zippered; any other second one ignored), for the cases that do not
    /// depend on the path or the kind of image.
    #[test]
    fn a_process_loads_what_dyld_lets_it() {
        let (mac, ios, cat, xros) = (PLATFORM_MACOS, PLATFORM_IOS, PLATFORM_MACCATALYST, PLATFORM_XROS);
        for (process, dylib, want) in [
            (&[mac][..], &[mac][..], true),
            (&[mac], &[ios], false),
            (&[mac], &[cat], false),
            (&[mac], &[mac, cat], true),
            (&[mac], &[cat, mac], true),
            (&[mac], &[ios, mac], false),
            (&[mac], &[mac, ios], true),
            (&[cat], &[mac], true),
            (&[cat], &[mac, cat], true),
            (&[mac, cat], &[cat], true),
            (&[ios], &[xros], true),
            (&[xros], &[ios], false),
            (&[PLATFORM_IOSSIMULATOR], &[PLATFORM_XROS_SIMULATOR], true),
            (&[PLATFORM_IOSSIMULATOR], &[ios], false),
            (&[mac], &[], false),
            (&[], &[], false),
        ] {
            assert_eq!(of(process).loads(of(dylib)), want, "{process:?} {dylib:?}");
        }
    }
}
