//! Target triples as rustc, clang, GCC and zig spell them, split into the
//! parts that decide an object's headers: the architecture name, the
//! operating system (with its version, which Apple objects record) and the
//! environment. What those parts mean for the headers is decided in `abi`;
//! this module only reads them, and names the part it did not understand.

use crate::write::error::EmitError;

/// A triple split into its parts: `arch-vendor-os-env`, with vendor and env
/// optional (`aarch64-linux-gnu`, `x86_64-apple-darwin`, `x86_64-macos`).
pub(super) struct Triple<'a> {
    pub(super) text: &'a str,
    pub(super) arch: &'a str,
    pub(super) os: Os,
    /// The OS component as written (`macosx11.0`).
    pub(super) os_text: &'a str,
    /// The OS component's version suffix (`11.0` in `macosx11.0`); read by
    /// [`Triple::os_version`].
    version: &'a str,
    pub(super) env: Env,
    /// The environment component as written ("" if none).
    pub(super) env_text: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Os {
    Elf(ElfOs),
    Apple(ApplePlatform),
    Windows,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ElfOs {
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
pub(super) enum ApplePlatform {
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
pub(super) struct Env {
    /// Hard-float calling convention (`gnueabihf`, `musleabihf`, `eabihf`).
    pub(super) hard_float: bool,
    /// musl libc.
    pub(super) musl: bool,
    /// `gnux32` / `muslx32`: x86-64 with 32-bit pointers (ELF32).
    pub(super) x32: bool,
    /// `gnuabin32` / `muslabin32`: MIPS n32 (ELF32).
    pub(super) n32: bool,
    /// LoongArch float ABI from `gnuf32` / `gnusf` (`None`: double).
    pub(super) loongarch_float: Option<LoongArchFloat>,
    /// Apple `simulator`.
    pub(super) simulator: bool,
    /// Apple `macabi` (Mac Catalyst).
    pub(super) macabi: bool,
}

/// A LoongArch float ABI other than the default, double.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum LoongArchFloat {
    /// `gnuf32` / `muslf32`.
    Single,
    /// `gnusf` / `muslsf`.
    Soft,
}

pub(super) fn triple_error(triple: &str, part: &str, problem: &'static str) -> EmitError {
    EmitError::Triple { triple: triple.to_owned(), part: part.to_owned(), problem }
}

pub(super) fn unsupported(triple: &Triple<'_>, reason: &'static str) -> EmitError {
    EmitError::Unsupported { triple: triple.text.to_owned(), reason }
}

pub(super) fn parse(text: &str) -> Result<Triple<'_>, EmitError> {
    let parts: Vec<&str> = text.split('-').collect();
    if let Some(empty) = parts.iter().find(|p| p.is_empty()) {
        return Err(triple_error(text, empty, "it has an empty component"));
    }
    let (arch, os_part, env_part) = components(text, &parts)?;
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

/// The architecture, OS and environment components of `text`, split into
/// `parts`. Which parts they are depends on the count: GCC and clang allow
/// dropping the vendor (`aarch64-linux-gnu`, `arm-none-eabi`).
fn components<'a>(text: &str, parts: &[&'a str]) -> Result<(&'a str, &'a str, Option<&'a str>), EmitError> {
    match *parts {
        [arch, os] => Ok((arch, os, None)),
        [arch, _vendor, b] if os_of(b).is_some() => Ok((arch, b, None)),
        [arch, a, b] if os_of(a).is_some() => Ok((arch, a, Some(b))),
        [_, _, b] => Err(triple_error(text, b, "a known operating system")),
        [arch, _vendor, os, env] => Ok((arch, os, Some(env))),
        [_] => Err(triple_error(text, "", "expected at least arch-os, e.g. x86_64-linux-gnu")),
        _ => Err(triple_error(text, "", "it has more than four components")),
    }
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
        "gnuf32" | "muslf32" => env.loongarch_float = Some(LoongArchFloat::Single),
        "gnusf" | "muslsf" => env.loongarch_float = Some(LoongArchFloat::Soft),
        "simulator" => env.simulator = true,
        "macabi" => env.macabi = true,
        _ => return None,
    }
    env.musl = part.starts_with("musl");
    Some(env)
}

impl Triple<'_> {
    /// The OS version the triple names as (major, minor, patch), `None` if it
    /// names none: `11.0` in `macosx11.0`; for `darwin20`, the macOS version
    /// of that Darwin kernel (11.0). Only Apple objects record a version.
    pub(super) fn os_version(&self) -> Result<Option<(u16, u8, u8)>, EmitError> {
        if self.version.is_empty() {
            return Ok(None);
        }
        let version = if self.os == Os::Apple(ApplePlatform::Darwin) {
            darwin_to_macos(self.version)
                .ok_or_else(|| triple_error(self.text, self.os_text, "a Darwin version (darwin4 .. darwin99)"))?
        } else {
            parse_version(self.version)
                .ok_or_else(|| triple_error(self.text, self.os_text, "an OS name with a version like 11.0"))?
        };
        Ok(Some(version))
    }
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

/// Whether `arch` names 32-bit Arm or Thumb: `arm`, `armeb`, `armv7a`,
/// `thumbv8m.main` (but not `arm64`, which is AArch64).
pub(super) fn is_arm32(arch: &str) -> bool {
    arch_version(arch, "arm").or_else(|| arch_version(arch, "thumb")).is_some()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_may_be_left_out() {
        let full = parse("aarch64-unknown-linux-gnu").unwrap();
        let short = parse("aarch64-linux-gnu").unwrap();
        for t in [full, short] {
            assert_eq!((t.arch, t.os_text, t.env_text), ("aarch64", "linux", "gnu"));
            assert!(t.os == Os::Elf(ElfOs::Linux));
        }
        let apple = parse("x86_64-apple-darwin").unwrap();
        assert_eq!((apple.os_text, apple.env_text), ("darwin", ""));
    }

    #[test]
    fn versions_are_macos_versions() {
        assert_eq!(parse("x86_64-apple-macosx10.12.6").unwrap().os_version().unwrap(), Some((10, 12, 6)));
        assert_eq!(parse("x86_64-apple-darwin19").unwrap().os_version().unwrap(), Some((10, 15, 0)));
        assert_eq!(parse("aarch64-apple-darwin20.1").unwrap().os_version().unwrap(), Some((11, 0, 0)));
        assert_eq!(parse("arm64-apple-macos").unwrap().os_version().unwrap(), None);
        assert!(parse("x86_64-apple-darwin3").unwrap().os_version().is_err());
        assert!(parse("x86_64-apple-macosx11.x").unwrap().os_version().is_err());
    }

    #[test]
    fn arm32_is_not_arm64() {
        for arch in ["arm", "armeb", "armv7", "armv7a", "armv7eb", "thumbv7em", "thumbv8m.main"] {
            assert!(is_arm32(arch), "{arch}");
        }
        for arch in ["arm64", "arm64e", "arm64_32", "armx", "armv", "thumbx"] {
            assert!(!is_arm32(arch), "{arch}");
        }
    }
}
