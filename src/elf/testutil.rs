//! What the ELF unit tests share: the rule for external tools
//! ([`crate::testing`]), the ELF files of the corpus and of this machine, the
//! ELF header a triple gets, and running tools.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::arithmetic_side_effects, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::emit::ElfHeader;
use super::layout::{EI_CLASS, EI_DATA, EI_OSABI, ELF32, ELF64, ELFCLASS64, ELFDATA2MSB, ELFMAG};

pub(crate) use crate::testing::{have_zig, in_ci, require};

/// Runs `program` with `args`; panics with its output if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Output {
    run_in(program, args, &[])
}

/// [`run`] with extra environment variables.
pub(crate) fn run_in(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::new(program).args(args).envs(env.iter().copied()).output().unwrap();
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether `bytes` start like an ELF file of either class.
pub(crate) fn is_elf(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&ELFMAG[..]) && matches!(bytes.get(4), Some(1 | 2)) && matches!(bytes.get(5), Some(1 | 2))
}

/// Every ELF file of the committed corpus, sorted.
pub(crate) fn corpus_elf() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files = Vec::new();
    for dir in ["elf", "nopayload", "obj", "malformed"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            if is_elf(&bytes) {
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 30, "corpus has only {} ELF files", files.len());
    files
}

/// About `limit` shared libraries of this machine, spread evenly over the
/// sorted list of every one found (regular files, by canonical path, so each
/// library once however many symlinks or merged directories name it).
/// Fewer than `least`: a failure under CI, a loud skip elsewhere (empty list).
pub(crate) fn system_libraries(limit: usize, least: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths = Vec::new();
    let mut stack: Vec<(PathBuf, u32)> =
        ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
            .iter()
            .map(|d| (PathBuf::from(d), 0))
            .collect();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let (path, Ok(kind)) = (entry.path(), entry.file_type()) else { continue };
            if kind.is_dir() && depth < 3 {
                stack.push((path, depth + 1));
            } else if kind.is_file() && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".so")) {
                paths.extend(std::fs::canonicalize(&path).ok());
            }
        }
    }
    paths.sort();
    paths.dedup();
    let stride = (paths.len() / limit.max(1)).max(1);
    let mut libraries = Vec::new();
    for path in paths.into_iter().step_by(stride) {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        // ET_DYN (3) in either byte order.
        if is_elf(&bytes) && matches!(bytes.get(16..18), Some([3, 0] | [0, 3])) {
            libraries.push((path, bytes));
        }
    }
    if libraries.len() < least {
        assert!(!in_ci(), "only {} shared libraries found on this machine under CI=true", libraries.len());
        eprintln!("SKIPPED: only {} shared libraries found on this machine (need {least})", libraries.len());
        return Vec::new();
    }
    libraries
}

/// The ELF header values `emit` gives `triple`, read back from the object it
/// writes (so the tests use the triple policy of `src/emit/abi.rs` without
/// reaching into it).
pub(crate) fn elf_header(triple: &str) -> ElfHeader {
    let object = crate::emit_object_to_vec(triple, b"").unwrap();
    let wide = object[EI_CLASS as usize] == ELFCLASS64;
    let big = object[EI_DATA as usize] == ELFDATA2MSB;
    let class = if wide { &ELF64 } else { &ELF32 };
    let field = |at: u64, len: usize| {
        let bytes = &object[at as usize..at as usize + len];
        bytes.iter().fold(0u64, |v, &b| v << 8 | u64::from(b)) // big-endian fold
    };
    let (machine, flags) = (field(class.file.e_machine, 2), field(class.file.e_flags, 4));
    let (machine, flags) =
        if big { (machine as u16, flags as u32) } else { ((machine as u16).swap_bytes(), (flags as u32).swap_bytes()) };
    ElfHeader { machine, flags, osabi: object[EI_OSABI as usize], wide, big }
}

/// A fresh directory under the target directory for one test's files.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = base.join("elf-unit-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
