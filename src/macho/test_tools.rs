//! What the Mach-O unit tests share: the targets, and the Mach-O files to
//! compare readers on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::path::{Path, PathBuf};

use crate::macho::emit::MachOHeader;
use crate::macho::layout::PLATFORM_MACOS;
use crate::macho::layout::{CPU_SUBTYPE_ARM64_ALL, CPU_SUBTYPE_X86_64_ALL, CPU_TYPE_ARM64, CPU_TYPE_X86_64};

/// The two targets: (zig target, header as the emitter makes it for macOS).
pub(crate) fn targets() -> [(&'static str, MachOHeader); 2] {
    let header = |cputype, cpusubtype, minos| MachOHeader { cputype, cpusubtype, platform: PLATFORM_MACOS, minos };
    [
        ("x86_64-macos", header(CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_ALL, 0x000a_0f00)),
        ("aarch64-macos", header(CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64_ALL, 0x000b_0000)),
    ]
}

/// The repository's corpus directory.
pub(crate) fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Every Mach-O file of the corpus that is not deliberately broken, and the
/// Mach-O files found on this machine outside the project (Apple ld64
/// outputs shipped in the Google Cloud SDK: a 32/64-bit universal bundle
/// with stabs, and an x86_64 dylib); a missing one is reported, not failed.
pub(crate) fn machos() -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = ["macho/aarch64-macos.dylib", "macho/x86_64-macos.dylib", "macho/universal.dylib"]
        .iter()
        .chain(&["nopayload/aarch64-macos.dylib", "obj/aarch64-macos.o"])
        .map(|p| corpus().join(p))
        .collect();
    for system in [
        "/usr/lib/google-cloud-sdk/platform/gsutil/third_party/crcmod_osx/crcmod/_crcfunext.so",
        "/usr/lib/google-cloud-sdk/platform/google_appengine/google/appengine/tools/java/jetty94/jetty-home/lib/setuid/libsetuid-osx.so",
    ] {
        match Path::new(system).exists() {
            true => paths.push(PathBuf::from(system)),
            false => eprintln!("NOTE: {system} is not on this machine; comparing without it"),
        }
    }
    paths.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

/// The thin images of `file`, as `(slice base, bytes)`.
pub(crate) fn images(file: &[u8]) -> Vec<(u64, &[u8])> {
    crate::slices(file).unwrap().map(|s| s.unwrap()).map(|s| (s.range().offset, s.bytes())).collect()
}
