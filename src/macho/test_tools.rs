//! What the Mach-O unit tests share: the external tools (under
//! [`crate::testing`]'s rule), scratch directories, zig's C compiler, and the
//! Mach-O files to compare readers on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::macho::emit::MachOHeader;
use crate::macho::layout::PLATFORM_MACOS;
use crate::macho::layout::{CPU_SUBTYPE_ARM64_ALL, CPU_SUBTYPE_X86_64_ALL, CPU_TYPE_ARM64, CPU_TYPE_X86_64};

pub(crate) use crate::testing::{have_zig, require};

pub(crate) fn lief() -> bool {
    require(&["python3", "-c", "import lief"])
}

/// Runs a command, panicking only if it cannot start.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed and print nothing on stderr; its stdout.
pub(crate) fn clean(cmd: &mut Command) -> String {
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.trim().is_empty(), "{cmd:?} complains:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh scratch directory (removed when dropped).
pub(crate) fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("pkgimg-macho-{name}-")).tempdir().unwrap()
}

/// `zig cc -target TARGET ARGS -o OUT`, which must succeed.
pub(crate) fn zig_cc(target: &str, args: &[&str], out: &Path) {
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "ziglang", "cc", "-target", target]).args(args).arg("-o").arg(out);
    let output = run(&mut cmd);
    assert!(
        output.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

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

// ---------------------------------------------------------------- fixtures

/// C that uses the data record, so the linker must keep the data library.
pub(crate) const CODE_C: &str = r#"
#include <stdint.h>
struct pkgimg_data_record {
    unsigned char magic[8];
    uint16_t version, record_size;
    uint32_t flags;
    uint64_t payload_size;
    uint32_t payload_crc32c, reserved;
};
extern const struct pkgimg_data_record jl_pkgimg_data;
uint64_t pkgimg_payload_size(void) { return jl_pkgimg_data.payload_size; }
"#;

/// C exporting the v14 split image's checksum symbol (docs/FORMAT.md §7.4).
pub(crate) const CHECKSUM_C: &str = "#include <stdint.h>\nconst uint32_t jl_system_image_checksum = 0x12345678;\n";

/// The install name of the data libraries the code libraries link against.
pub(crate) const DATA_NAME: &str = "@rpath/libfoo_data.dylib";

/// A library linked by a real linker.
#[derive(Clone, Debug)]
pub(crate) struct Linked {
    pub path: PathBuf,
    /// The target and how it was made, for messages.
    pub how: String,
    /// The dependency record the data library must appear as.
    pub kind: crate::DependencyKind,
}

/// Everything the tests link, made once per test run in the target directory.
#[derive(Debug)]
pub(crate) struct Fixtures {
    /// Per target: the thin data library (`<target>/libfoo_data.dylib`).
    pub data: Vec<(&'static str, PathBuf)>,
    /// Code libraries linked against those data libraries.
    pub code: Vec<Linked>,
    /// Per target: a zig `-shared` dylib exporting `jl_system_image_checksum`.
    pub checksum: Vec<(&'static str, PathBuf)>,
}

/// The fixtures, or `None` (reported) if zig is missing.
pub(crate) fn fixtures() -> Option<&'static Fixtures> {
    static FIXTURES: std::sync::OnceLock<Option<Fixtures>> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| have_zig().then(build_fixtures)).as_ref()
}

/// ld64.lld: the `rust-lld` of the toolchain running the tests.
fn rust_lld() -> Option<PathBuf> {
    let sysroot = run(Command::new("rustc").args(["--print", "sysroot"]));
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let found = std::fs::read_dir(sysroot.join("lib/rustlib")).ok()?.flatten().map(|e| e.path().join("bin/rust-lld"));
    let found = found.into_iter().find(|p| p.exists());
    found.or_else(|| require(&["rust-lld", "-flavor", "darwin", "--version"]).then(|| PathBuf::from("rust-lld")))
}

fn build_fixtures() -> Fixtures {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("pkgimg-macho-fixtures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("code.c"), CODE_C).unwrap();
    std::fs::write(dir.join("checksum.c"), CHECKSUM_C).unwrap();
    let (code_c, checksum_c) = (dir.join("code.c"), dir.join("checksum.c"));
    let lld = rust_lld();
    let mut fixtures = Fixtures { data: Vec::new(), code: Vec::new(), checksum: Vec::new() };
    for (i, (target, header)) in targets().into_iter().enumerate() {
        let sub = dir.join(target);
        std::fs::create_dir_all(&sub).unwrap();
        let payload: Vec<u8> = (0..5000u32 + 777 * i as u32).map(|n| (n * 31 + 7) as u8).collect();
        let spec = crate::write::data_library::DataLibrarySpec {
            name: DATA_NAME,
            symbol: crate::record::DEFAULT_SYMBOL,
            payload_size: payload.len() as u64,
            payload_crc32c: crate::crc::crc32c(&payload),
        };
        let mut bytes = Vec::new();
        crate::macho::data_library::write(&header, &spec, &mut &payload[..], &mut bytes).unwrap();
        let data = sub.join("libfoo_data.dylib");
        std::fs::write(&data, bytes).unwrap();
        fixtures.data.push((target, data));
        let checksum = sub.join("libchecksum.dylib");
        zig_cc(target, &["-shared", "-O2", checksum_c.to_str().unwrap()], &checksum);
        fixtures.checksum.push((target, checksum));
        link_code(&mut fixtures, target, &sub, &code_c, lld.as_deref());
    }
    fixtures
}

/// The code libraries for `target`, linked against `dir/libfoo_data.dylib`.
fn link_code(fixtures: &mut Fixtures, target: &'static str, dir: &Path, code_c: &Path, lld: Option<&Path>) {
    use crate::DependencyKind::{LoadDylib, LoadWeakDylib, ReexportDylib};
    let libdir = format!("-L{}", dir.display());
    let src = code_c.to_str().unwrap();
    let zig_ways: [(&str, &[&str], crate::DependencyKind); 3] = [
        ("zig-O0", &["-O0", "-lfoo_data"], LoadDylib),
        ("zig-O2-dead-strip", &["-O2", "-Wl,-dead_strip", "-Wl,-dead_strip_dylibs", "-lfoo_data"], LoadDylib),
        ("zig-weak", &["-O2", "-weak-lfoo_data"], LoadWeakDylib),
    ];
    for (how, flags, kind) in zig_ways {
        let path = dir.join(format!("libcode-{how}.dylib"));
        let mut args = vec!["-shared", src, libdir.as_str(), "-Wl,-rpath,@loader_path"];
        args.extend_from_slice(flags);
        zig_cc(target, &args, &path);
        fixtures.code.push(Linked { path, how: format!("{target} {how}"), kind });
    }
    let Some(lld) = lld else { return };
    let object = dir.join("code.o");
    zig_cc(target, &["-O2", "-c", src], &object);
    let arch = if target.starts_with("x86_64") { "x86_64" } else { "arm64" };
    let data = dir.join("libfoo_data.dylib");
    let lld_ways: [(&str, Vec<&std::ffi::OsStr>, crate::DependencyKind); 2] = [
        (
            "lld-fixup-chains-dead-strip",
            vec!["-lfoo_data".as_ref(), "-dead_strip".as_ref(), "-dead_strip_dylibs".as_ref()],
            LoadDylib,
        ),
        ("lld-reexport", vec!["-reexport_library".as_ref(), data.as_os_str()], ReexportDylib),
    ];
    for (how, flags, kind) in lld_ways {
        let path = dir.join(format!("libcode-{how}.dylib"));
        let mut cmd = Command::new(lld);
        cmd.args(["-flavor", "darwin", "-dylib", "-arch", arch, "-platform_version", "macos", "13.0", "13.0"]);
        cmd.args([
            "-fixup_chains",
            "-adhoc_codesign",
            "-install_name",
            "@rpath/libcode.dylib",
            "-rpath",
            "@loader_path",
        ]);
        cmd.arg(format!("-L{}", dir.display())).args(flags).arg(&object).arg("-o").arg(&path);
        let out = run(&mut cmd);
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        fixtures.code.push(Linked { path, how: format!("{target} {how}"), kind });
    }
}
