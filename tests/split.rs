//! Split images end to end, with real linkers: a data library written by
//! pkgimg, code caches linked against it by gcc/GNU ld, zig's lld (ELF and
//! COFF) and zig's Mach-O linker, and `find_data_library` / `jiscan deps`
//! going from each code cache back to the payload without loading anything.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/mod.rs"]
mod common;

use common::run;

use std::path::{Path, PathBuf};
use std::process::Command;

use pkgimg::emit::{DataLibrary, Target};
use pkgimg::split::{find_data_library, SplitError};
use pkgimg::DependencyKind;

/// A code cache's source: a function that reads the data record through the
/// exported symbol, so every linker keeps the dependency.
const CODE: &str = include_str!("fixtures/split/code.c");

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("split-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// A [`tempdir`] holding the directories `a/` and `b/`, the two places of
/// the run paths the search-order tests give their code caches.
fn tempdir_with_a_and_b() -> tempfile::TempDir {
    let dir = tempdir();
    for sub in ["a", "b"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    dir
}

/// Writes the data library for `triple` into `dir` and the code cache's source.
fn data_library(dir: &Path, triple: &str, name: &str, file: &str, bytes: &[u8]) -> PathBuf {
    let target = Target::from_triple(triple).unwrap();
    let library = target.data_library_to_vec(&DataLibrary::new(name), bytes).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, library).unwrap();
    std::fs::write(dir.join("code.c"), CODE).unwrap();
    path
}

/// `find_data_library` from `code` finds `data` and its payload, intact.
fn assert_finds(code: &Path, data: &Path, bytes: &[u8]) {
    let found = find_data_library(code).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.path.canonicalize().unwrap(), data.canonicalize().unwrap(), "{}", code.display());
    let map = found.map().unwrap();
    let payload = pkgimg::find_ji_payload(&map).unwrap();
    assert_eq!(payload.data(), bytes);
    payload.verify().unwrap();
    // What it read from the headers is what the bytes say.
    assert_eq!((found.located().offset(), found.located().size()), (payload.offset(), payload.size()));
}

/// Links the code cache `out` in `dir` with gcc from `code.c` (which
/// [`data_library`] wrote there): `-shared -fPIC code.c`, then `args` (the
/// search directories, libraries and run path of each test).
fn gcc_code_cache(dir: &Path, out: &str, args: &[&str]) -> PathBuf {
    run(Command::new("gcc").current_dir(dir).args(["-shared", "-fPIC", "code.c"]).args(args).args(["-o", out]));
    dir.join(out)
}

/// The `DT_NEEDED` names of the ELF file `bytes`, by pkgimg's walk.
fn needed(bytes: &[u8]) -> Vec<String> {
    pkgimg::dependencies(bytes)
        .unwrap()
        .map(|d| d.unwrap())
        .filter(|d| d.kind == DependencyKind::Needed)
        .map(|d| String::from_utf8_lossy(d.name).into_owned())
        .collect()
}

#[test]
fn elf_code_caches_from_gnu_ld_and_lld_find_their_data_library() {
    let zig = common::require(&["python3", "-m", "ziglang", "version"]);
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(300_000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    // gcc passes --as-needed on Debian: the reference keeps DT_NEEDED.
    let gcc = gcc_code_cache(dir.path(), "libfoo_O2.so", &["-O2", "-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN"]);
    let mut linked = vec![("gcc -O2", gcc)];
    if zig {
        let out = dir.path().join("libfoo_O0.so");
        run(Command::new("python3")
            .current_dir(dir.path())
            .args(["-m", "ziglang", "cc", "-target", "x86_64-linux-gnu", "-shared", "-O0", "code.c", "-L."])
            .args(["-lfoo_data", "-o"])
            .arg(&out));
        linked.push(("zig cc -O0", out));
    }
    for (how, code) in &linked {
        let needed = needed(&std::fs::read(code).unwrap());
        assert!(needed.contains(&"libfoo_data.so".to_owned()), "{how}: {needed:?}");
        assert_finds(code, &data, &bytes);
    }
}

#[test]
fn macho_code_dylib_finds_its_data_dylib_through_rpath() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = tempdir();
    let bytes = payload(70_000);
    let data = data_library(dir.path(), "arm64-apple-macos", "@rpath/libfoo_data.dylib", "libfoo_data.dylib", &bytes);
    let code = dir.path().join("libcode.dylib");
    run(Command::new("python3")
        .current_dir(dir.path())
        .args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-shared", "-O2", "code.c", "-L.", "-lfoo_data"])
        .args(["-Wl,-rpath,@loader_path", "-o"])
        .arg(&code));
    assert_finds(&code, &data, &bytes);
    // Without the LC_RPATH the @rpath name cannot be resolved: an error that names it.
    let bare = dir.path().join("libbare.dylib");
    run(Command::new("python3")
        .current_dir(dir.path())
        .args([
            "-m",
            "ziglang",
            "cc",
            "-target",
            "aarch64-macos",
            "-shared",
            "-O2",
            "code.c",
            "-L.",
            "-lfoo_data",
            "-o",
        ])
        .arg(&bare));
    match find_data_library(&bare) {
        Err(e @ SplitError::NoDataLibrary { .. }) => {
            let text = e.to_string();
            assert!(text.contains("@rpath/libfoo_data.dylib (not found through any LC_RPATH"), "{text}");
        }
        other => panic!("expected NoDataLibrary, got {other:?}"),
    }
}

/// The code DLL imports the data DLL by the name its import library gives:
/// `foo_data.dll`, or `foo_data` (`--soname foo_data`; llvm-dlltool keeps a
/// `LIBRARY` name as written), to which the loader appends ".dll" as
/// LoadLibrary does (review 19 F2: Wine loads foo_data.dll for it).
#[test]
fn windows_code_dll_finds_its_data_dll_beside_it() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let top = tempdir();
    let bytes = payload(50_000);
    let target = Target::from_triple("x86_64-windows-gnu").unwrap();
    for (case, soname) in ["foo_data.dll", "foo_data"].into_iter().enumerate() {
        let dir = top.path().join(case.to_string());
        std::fs::create_dir(&dir).unwrap();
        let data = data_library(&dir, "x86_64-windows-gnu", soname, "foo_data.dll", &bytes);
        let mut implib = Vec::new();
        target.write_import_library(&DataLibrary::new(soname), &mut implib).unwrap();
        std::fs::write(dir.join("libfoo_data.dll.a"), implib).unwrap();
        let code = dir.join("code.dll");
        run(Command::new("python3")
            .current_dir(&dir)
            .args(["-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", "-shared", "-O2", "code.c", "-L."])
            .args(["-lfoo_data", "-o"])
            .arg(&code));
        let imports: Vec<_> = pkgimg::dependencies(&std::fs::read(&code).unwrap())
            .unwrap()
            .map(|d| String::from_utf8_lossy(d.unwrap().name).to_ascii_lowercase())
            .collect();
        assert!(imports.contains(&soname.to_owned()), "{imports:?}");
        assert_finds(&code, &data, &bytes);
    }
}

/// Two data libraries among one code cache's dependencies: an error naming both.
#[test]
fn two_data_libraries_are_an_error_that_names_both() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    for name in ["liba_data.so", "libb_data.so"] {
        data_library(dir.path(), "x86_64-linux-gnu", name, name, &payload(1000));
    }
    let links = ["-L.", "-Wl,--no-as-needed", "-la_data", "-lb_data", "-Wl,-rpath,$ORIGIN"];
    let code = gcc_code_cache(dir.path(), "libcode.so", &links);
    match find_data_library(&code) {
        Err(e @ SplitError::Ambiguous { .. }) => {
            let text = e.to_string();
            assert!(text.contains("liba_data.so") && text.contains("libb_data.so"), "{text}");
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
}

/// `jiscan deps --json` on a code cache: the keys scripts rely on.
#[test]
fn jiscan_deps_reports_the_data_library() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(4096);
    let jiscan = PathBuf::from(env!("CARGO_BIN_EXE_jiscan"));
    std::fs::write(dir.path().join("Foo.ji"), &bytes).unwrap();
    run(Command::new(&jiscan).current_dir(dir.path()).args([
        "emit",
        "--shared",
        "--soname",
        "libfoo_data.so",
        "--target",
        "x86_64-linux-gnu",
        "Foo.ji",
        "-o",
        "libfoo_data.so",
    ]));
    std::fs::write(dir.path().join("code.c"), CODE).unwrap();
    gcc_code_cache(dir.path(), "libcode.so", &["-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN"]);
    let out = Command::new(&jiscan)
        .current_dir(dir.path())
        .args(["deps", "--json", "--verify", "libcode.so"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["data_library"]["name"], "libfoo_data.so");
    assert_eq!(line["data_library"]["payload"]["size"], bytes.len() as u64);
    assert_eq!(line["data_library"]["payload"]["crc_ok"], true);
    assert_eq!(line["error"], serde_json::Value::Null);
    // scan: the code cache has no payload of its own, but its data library has.
    let out = Command::new(&jiscan)
        .current_dir(dir.path())
        .args(["scan", "--json", "--verify", "libcode.so"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["payload"], serde_json::Value::Null);
    assert!(line["data_library"]["path"].as_str().unwrap().ends_with("libfoo_data.so"), "{line}");
    assert_eq!(line["data_library"]["payload"]["size"], bytes.len() as u64);
    assert_eq!(line["data_library"]["payload"]["crc_ok"], true);
    // A library with no data library among its dependencies: exit 1.
    let out = Command::new(&jiscan).current_dir(dir.path()).args(["deps", "libfoo_data.so"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    // show and extract act on a file's own payload: of a code cache, they
    // say that it has none and which file to give them instead.
    let hint =
        |command: &str| format!("its data library ./libfoo_data.so carries one: jiscan {command} ./libfoo_data.so");
    let out = Command::new(&jiscan)
        .current_dir(dir.path())
        .args(["extract", "libcode.so", "-o", "it's x.ji"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    // The output's name, quoted for a shell.
    assert!(stderr.contains(&format!("{} -o \"it's x.ji\"", hint("extract"))), "{stderr}");
    assert!(!dir.path().join("it's x.ji").exists());
    // The command it suggests works, and gives the payload.
    let suggested = stderr.trim_end().rsplit_once(": jiscan ").unwrap().1;
    let out = Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!("'{}' {suggested}", jiscan.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{suggested}: {}", common::stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("it's x.ji")).unwrap(), bytes);
    // An output that is the data library itself: no command to suggest
    // (the write path would refuse it), and the data library unchanged.
    let before = std::fs::read(dir.path().join("libfoo_data.so")).unwrap();
    let out = Command::new(&jiscan)
        .current_dir(dir.path())
        .args(["extract", "libcode.so", "-o", "./libfoo_data.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(stderr.contains("-o names that data library itself") && !stderr.contains(": jiscan"), "{stderr}");
    assert_eq!(std::fs::read(dir.path().join("libfoo_data.so")).unwrap(), before);
    // To standard output: `-o -` again, not a file named `-`.
    let out =
        Command::new(&jiscan).current_dir(dir.path()).args(["extract", "libcode.so", "-o", "-"]).output().unwrap();
    let stderr = common::stderr(&out);
    assert!(stderr.trim_end().ends_with(&format!("{} -o -", hint("extract"))), "{stderr}");
    let out = Command::new(&jiscan).current_dir(dir.path()).args(["show", "libcode.so"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains(&hint("show")), "{}", common::stderr(&out));
}

/// `jiscan scan` of a directory: a code cache whose data library is missing
/// (told from other libraries by its import of jl_pkgimg_data), one linked
/// with none, and one with two data libraries, are errors naming why; a
/// library without a payload that imports nothing of the kind is just a
/// library without one.
#[test]
fn jiscan_scan_names_code_caches_whose_data_library_is_missing_or_ambiguous() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let jiscan = PathBuf::from(env!("CARGO_BIN_EXE_jiscan"));
    std::fs::write(dir.path().join("Foo.ji"), payload(300)).unwrap();
    for name in ["liba_data.so", "libb_data.so"] {
        let args = ["emit", "--shared", "--soname", name, "--target", "x86_64-linux-gnu", "Foo.ji", "-o", name];
        run(Command::new(&jiscan).current_dir(dir.path()).args(args));
    }
    std::fs::write(dir.path().join("code.c"), CODE).unwrap();
    std::fs::write(dir.path().join("plain.c"), "int plain(void) { return 1; }\n").unwrap();
    let scanned = dir.path().join("scanned");
    std::fs::create_dir(&scanned).unwrap();
    let rpath = "-Wl,-rpath,$ORIGIN/..";
    gcc_code_cache(dir.path(), "scanned/libmissing.so", &["-L.", "-la_data", "-Wl,-rpath,$ORIGIN"]);
    gcc_code_cache(dir.path(), "scanned/libtwo.so", &["-L.", "-Wl,--no-as-needed", "-la_data", "-lb_data", rpath]);
    run(Command::new("gcc").current_dir(dir.path()).args(["-shared", "-fPIC", "plain.c", "-o", "scanned/plain.so"]));
    // Linked with no -l at all: no dependency, but the import.
    gcc_code_cache(dir.path(), "scanned/libunlinked.so", &[]);
    let out = Command::new(&jiscan).args(["scan", "--json"]).arg(&scanned).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let error = |name: &str| {
        let line = lines.iter().find(|l| l["path"].as_str().unwrap().ends_with(name)).unwrap();
        assert_eq!((&line["payload"], &line["data_library"]), (&serde_json::Value::Null, &serde_json::Value::Null));
        line["error"].as_str().unwrap().to_owned()
    };
    let missing = error("libmissing.so");
    assert!(
        missing.contains("no payload; it imports jl_pkgimg_data, as a split image's code cache does, but "),
        "{missing}"
    );
    assert!(missing.contains("no dependency is a data library: liba_data.so (not found through $ORIGIN"), "{missing}");
    let two = error("libtwo.so");
    assert!(two.contains("imports jl_pkgimg_data, as a split image's code cache does, but more than one dependency is a data library: "), "{two}");
    assert!(two.contains("liba_data.so") && two.contains("libb_data.so"), "{two}");
    let unlinked = error("libunlinked.so");
    assert!(unlinked.ends_with("but no dependency is a data library (it has no dependencies)"), "{unlinked}");
    let plain = error("plain.so");
    assert!(plain.ends_with("no payload: this ELF x86_64 image has no .jlji container"), "{plain}");
    // The table's summary: one library without a payload, two errors.
    let out = Command::new(&jiscan).arg("scan").arg(&scanned).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("4 files, 0 with payload, 1 without, 3 errors"), "{text}");
}

/// Not a test on its own: run by
/// [`checking_a_code_cache_reads_each_file_once_and_stats_nothing`] under
/// strace, with the code cache in `PKGIMG_SPLIT_CHECK`. The two failed
/// `stat`s mark where the check begins and ends in the log.
#[test]
fn check_child() {
    use std::os::unix::fs::FileExt;
    if let Some(code) = std::env::var_os("PKGIMG_SPLIT_CHECK") {
        let _ = std::fs::metadata("/pkgimg-split-check-begins");
        let found = find_data_library(Path::new(&code)).unwrap();
        let mut first = [0; 64];
        found.file().read_exact_at(&mut first, found.located().offset()).unwrap();
        drop(found);
        let _ = std::fs::metadata("/pkgimg-split-check-ends");
    }
}

/// The file system calls of one [`check_child`] run on `code`, as strace
/// logs them: from the start marker to the end marker, without the
/// allocator's anonymous mappings.
fn traced_check(code: &Path, log: &Path) -> Vec<String> {
    let file_calls = "openat,open,stat,lstat,fstat,newfstatat,statx,access,faccessat,faccessat2,readlink,readlinkat,\
                      lseek,read,pread64,preadv,preadv2,mmap,munmap,close";
    run(Command::new("strace")
        .args(["-f", "-e", &format!("trace={file_calls}"), "-o"])
        .arg(log)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "check_child", "--test-threads=1"])
        .env("PKGIMG_SPLIT_CHECK", code));
    let trace = std::fs::read_to_string(log).unwrap();
    // With -f each line starts with the thread id.
    let lines: Vec<&str> = trace.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest.trim_start())).collect();
    let begin = lines.iter().position(|l| l.contains("pkgimg-split-check-begins")).expect("the start marker");
    let end = lines.iter().position(|l| l.contains("pkgimg-split-check-ends")).expect("the end marker");
    lines[begin + 1..end].iter().filter(|l| !l.contains("MAP_ANONYMOUS")).map(|l| (*l).to_owned()).collect()
}

/// The check BENCHMARKS.md §7 times, as strace sees it: the code cache read
/// whole with one `pread` (its length from the read, no `lseek`), the data
/// library opened where the loader would look (no `stat` of the place
/// first), its headers read with one `pread` after an `lseek` for its
/// length, the payload's first bytes, and nothing mapped. The floor it is
/// measured against makes six of these calls.
#[test]
fn checking_a_code_cache_reads_each_file_once_and_stats_nothing() {
    if !common::require(&["strace", "-f", "-o", "/dev/null", "true"]) || !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(1 << 20);
    data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    let code = gcc_code_cache(dir.path(), "libfoo_code.so", &["-O2", "-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN"]);
    let calls = traced_check(&code, &dir.path().join("check.trace"));
    let mut names: Vec<&str> = calls.iter().map(|l| l.split('(').next().unwrap()).collect();
    names.sort_unstable();
    let log = calls.join("\n");
    assert_eq!(names, ["close", "close", "lseek", "openat", "openat", "pread64", "pread64", "pread64"], "\n{log}");
    // The lseek is the data library's, not the code cache's.
    let code_fd = calls[0].rsplit("= ").next().unwrap().trim();
    assert!(
        calls[0].contains("libfoo_code.so") && !calls.iter().any(|l| l.starts_with(&format!("lseek({code_fd},"))),
        "\n{log}"
    );
    // A place a file names is opened without ever becoming the controlling
    // terminal (a dependency may name /dev/tty1: review 19 F3).
    let data_open = calls.iter().find(|l| l.starts_with("openat") && l.contains("libfoo_data.so")).unwrap();
    assert!(data_open.contains("O_NOCTTY") && data_open.contains("O_NONBLOCK"), "\n{log}");
}

/// ld.so's search, as far as `find_data_library` follows it, with glibc's
/// loader as the oracle: a `$ORIGIN` directory without the library is
/// passed over (the open fails with `ENOENT` or `ENOTDIR`), and a directory
/// where the library should be is a file the loader cannot read, where
/// glibc fails the load ("cannot read file data: Is a directory") and
/// `find_data_library` reports that dependency rather than look further.
#[test]
fn elf_search_passes_over_missing_places_and_reports_unreadable_ones() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(10_000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    let runpath = "-Wl,-rpath,$ORIGIN/missing:$ORIGIN/libcode.so:$ORIGIN/lib:$ORIGIN";
    let code = gcc_code_cache(dir.path(), "libcode.so", &["-L.", "-lfoo_data", runpath]);
    // $ORIGIN/missing does not exist, $ORIGIN/libcode.so is a file (ENOTDIR),
    // $ORIGIN/lib does not exist yet: $ORIGIN has it, for glibc too.
    assert_finds(&code, &data, &bytes);
    assert_eq!(dlopen_error(&code), None);
    // $ORIGIN/lib/libfoo_data.so is a directory: the loader stops there.
    std::fs::create_dir_all(dir.path().join("lib/libfoo_data.so")).unwrap();
    let refused = dlopen_error(&code).expect("glibc refuses to load it");
    assert!(refused.ends_with("lib/libfoo_data.so: cannot read file data: Is a directory"), "{refused}");
    match find_data_library(&code) {
        Err(SplitError::NoDataLibrary { candidates, .. }) => {
            assert_eq!(candidates.len(), 1, "{candidates:?}");
            let reason = &candidates[0].reason;
            assert!(reason.ends_with("lib/libfoo_data.so: cannot read: Is a directory (os error 21)"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// glibc expands `$ORIGIN` in a `DT_NEEDED` name that has a slash, and
/// opens the result as a path (`_dl_map_object`): a data library named
/// `$ORIGIN/libfoo_data.so` needs no run path in its code caches. A
/// relative name with a slash is opened from the working directory of the
/// program, which the file does not tell, and `$PLATFORM` is the running
/// loader's: both are reported, not guessed.
#[test]
fn elf_needed_names_with_a_slash_are_paths_once_origin_is_expanded() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(3000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "$ORIGIN/libfoo_data.so", "libfoo_data.so", &bytes);
    let code = gcc_code_cache(dir.path(), "libcode.so", &["-L.", "-lfoo_data"]);
    assert!(needed(&std::fs::read(&code).unwrap()).contains(&"$ORIGIN/libfoo_data.so".to_owned()));
    // The tests run in the crate's directory, not the code cache's.
    assert_eq!(dlopen_error(&code), None, "glibc loads it");
    assert_finds(&code, &data, &bytes);
    let braced = data_library(dir.path(), "x86_64-linux-gnu", "${ORIGIN}/./libbr_data.so", "libbr_data.so", &bytes);
    let code = gcc_code_cache(dir.path(), "libbraced.so", &["-L.", "-lbr_data"]);
    assert_eq!(dlopen_error(&code), None, "glibc loads it");
    assert_finds(&code, &braced, &bytes);

    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    data_library(&sub, "x86_64-linux-gnu", "sub/librel_data.so", "librel_data.so", &bytes);
    data_library(&sub, "x86_64-linux-gnu", "$ORIGIN/$PLATFORM/libpl_data.so", "libpl_data.so", &bytes);
    // Tokens are expanded in every name, with or without a slash (glibc's
    // elf/dl-deps.c), and only whole ones: $ORIGINAL is none.
    data_library(&sub, "x86_64-linux-gnu", "libd_$PLATFORM.so", "libnoslash_data.so", &bytes);
    data_library(&sub, "x86_64-linux-gnu", "$ORIGINAL/libx_data.so", "libal_data.so", &bytes);
    data_library(&sub, "x86_64-linux-gnu", "x/$ORIGIN/libmid_data.so", "libmid_data.so", &bytes);
    let cases = [
        ("librel.so", "-lrel_data", "sub/librel_data.so (a relative path: it depends on the working directory"),
        ("libpl.so", "-lpl_data", "$ORIGIN/$PLATFORM/libpl_data.so ($ORIGIN/$PLATFORM/libpl_data.so: $PLATFORM"),
        ("libnoslash.so", "-lnoslash_data", "libd_$PLATFORM.so (libd_$PLATFORM.so: $PLATFORM and $LIB depend"),
        ("libal.so", "-lal_data", "$ORIGINAL/libx_data.so (a relative path: it depends on the working directory"),
        // A token inside a relative path leaves it relative.
        ("libmid.so", "-lmid_data", "x/$ORIGIN/libmid_data.so (a relative path: it depends on the working directory"),
    ];
    for (file, lib, reason) in cases {
        let code = gcc_code_cache(dir.path(), file, &["-Lsub", lib]);
        match find_data_library(&code) {
            Err(e @ SplitError::NoDataLibrary { .. }) => assert!(e.to_string().contains(reason), "{e}"),
            other => panic!("{file}: {other:?}"),
        }
    }
    // A run path entry whose place the file does not tell, before the
    // place the data library is found: glibc may take a file there first
    // (with $LIB, glibc 2.36 here loads lib/x86_64-linux-gnu/ 's), so the
    // answer is not known. After it, it does not matter.
    data_library(dir.path(), "x86_64-linux-gnu", "libplain_data.so", "libplain_data.so", &bytes);
    // An empty run path is ignored (glibc's decompose_rpath); an empty
    // entry in a list is the working directory; so is x/$ORIGIN's place.
    let runpaths = [
        ("$ORIGIN/$LIB:$ORIGIN", false),
        (":$ORIGIN", false),
        ("x/$ORIGIN:$ORIGIN", false),
        ("$ORIGIN:$ORIGIN/$LIB:", true),
        ("/opt/$LIB:$ORIGIN", true),
        ("", true),
    ];
    for (runpath, known) in runpaths {
        let args = ["-L.", "-lplain_data", &format!("-Wl,-rpath,{runpath}")];
        let code = gcc_code_cache(dir.path(), "libentry.so", &args);
        match find_data_library(&code) {
            Ok(found) => assert!(known, "{runpath}: {}", found.path.display()),
            Err(e) => {
                assert!(!known, "{runpath}: {e}");
                let first = runpath.split(':').next().unwrap();
                let expected =
                    format!("the run path entry '{first}' depends on the program that loads it, and comes before");
                assert!(e.to_string().contains(&expected), "{runpath}: {e}");
            }
        }
    }
    // glibc opens the relative one from its working directory, not the code cache's.
    let code = dir.path().join("librel.so");
    let refused = dlopen_error(&code).expect("glibc does not find sub/ from the crate's directory");
    assert!(refused.contains("sub/librel_data.so: cannot open shared object file"), "{refused}");
    let loaded = Command::new("python3")
        .current_dir(dir.path())
        .args(["-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])"])
        .arg(&code)
        .status()
        .unwrap();
    assert!(loaded.success(), "from the code cache's directory, glibc finds it");
}

/// glibc's `$ORIGIN` is absolute: `${ORIGIN}_libs/…` names a sibling of
/// the code cache's directory however the code cache's path is spelt, here
/// `libglued.so` from its own directory (where `.` + `_libs` would be
/// another place).
#[test]
fn origin_glued_to_more_of_a_name_is_the_absolute_directory() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let sibling = PathBuf::from(format!("{}_libs", dir.path().display()));
    std::fs::create_dir(&sibling).unwrap();
    let bytes = payload(1000);
    let data = data_library(&sibling, "x86_64-linux-gnu", "${ORIGIN}_libs/libg_data.so", "libg_data.so", &bytes);
    std::fs::write(dir.path().join("code.c"), CODE).unwrap();
    let libdir = format!("-L{}", sibling.display());
    let code = gcc_code_cache(dir.path(), "libglued.so", &[&libdir, "-lg_data"]);
    assert_eq!(dlopen_error(&code), None, "glibc loads it");
    let jiscan = PathBuf::from(env!("CARGO_BIN_EXE_jiscan"));
    let out = Command::new(&jiscan).current_dir(dir.path()).args(["deps", "--json", "libglued.so"]).output().unwrap();
    std::fs::remove_dir_all(&sibling).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["data_library"]["path"], data.display().to_string(), "{line}");
}

/// What glibc's loader says of the library `path`, in a fresh process (a
/// process that has loaded it once remembers its dependencies): `None` if
/// it loads, otherwise the loader's message.
fn dlopen_error(path: &Path) -> Option<String> {
    let load = "import ctypes, sys\ntry:\n    ctypes.CDLL(sys.argv[1])\nexcept OSError as e:\n    print(e)";
    let out = Command::new("python3").args(["-c", load]).arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!said.is_empty()).then_some(said)
}

/// A code cache of `MiB` mebibytes of read-only data beside the function
/// that reads the data record: real code caches are megabytes, far past the
/// first read of `find_data_library`.
fn big_code_cache(dir: &Path, mib: usize) -> PathBuf {
    let source = format!(
        "{CODE}\nconst unsigned char big_table[{mib} << 20] = {{1}};\n\
         const unsigned char *big_ref(void) {{ return big_table; }}\n"
    );
    std::fs::write(dir.join("big.c"), source).unwrap();
    let code = dir.join("libfoo_big.so");
    run(Command::new("gcc")
        .current_dir(dir)
        .args(["-shared", "-fPIC", "-O2", "big.c", "-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN", "-o"])
        .arg(&code));
    assert!(std::fs::metadata(&code).unwrap().len() >= (mib as u64) << 20);
    code
}

/// A code cache larger than the first read is not mapped: its length from
/// `lseek`, and one more `pread` (its `PT_DYNAMIC`, near the end), as the
/// payload lookup reads a large library.
#[test]
fn a_big_code_cache_is_read_with_pread_and_never_mapped() {
    if !common::require(&["strace", "-f", "-o", "/dev/null", "true"]) || !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(100_000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    let code = big_code_cache(dir.path(), 3);
    assert_finds(&code, &data, &bytes);
    let calls = traced_check(&code, &dir.path().join("check.trace"));
    let log = calls.join("\n");
    assert!(calls[0].starts_with("openat(") && calls[0].contains("libfoo_big.so"), "\n{log}");
    let fd = calls[0].rsplit("= ").next().unwrap().trim();
    let on_code: Vec<&str> = calls.iter().map(String::as_str).filter(|l| l.contains(&format!("({fd}, "))).collect();
    let code_log = on_code.join("\n");
    // No file is mapped (a mapping of the code cache passes the descriptor
    // as its fifth argument), nor stat-ed.
    assert!(!calls.iter().any(|l| l.starts_with("mmap(") || l.starts_with("munmap(")), "\n{log}");
    assert!(!on_code.iter().any(|l| l.contains("stat")), "\n{code_log}");
    let preads = on_code.iter().filter(|l| l.starts_with("pread64(")).count();
    assert!((1..=2).contains(&preads), "{preads} preads of the code cache:\n{code_log}");
    assert_eq!(on_code.iter().filter(|l| l.starts_with("lseek(")).count(), 1, "\n{code_log}");
}

/// A Windows code cache linked by zig's lld-link keeps its imports at the
/// end of `.rdata`, with everything the package's constants put there: the
/// walk took every import table and name as a view to the end of its
/// section, so the check of a code cache with an 8 MiB table read that
/// whole section (a 50 MB one took 43 ms a check, against 40 µs). Now it
/// reads a few blocks near the import directory; the answer is the same.
#[test]
fn a_big_windows_code_cache_is_read_near_its_import_directory_only() {
    if !common::require(&["strace", "-f", "-o", "/dev/null", "true"])
        || !common::require(&["python3", "-m", "ziglang", "version"])
    {
        return;
    }
    let dir = tempdir();
    let bytes = payload(20_000);
    let target = Target::from_triple("x86_64-windows-gnu").unwrap();
    let data = data_library(dir.path(), "x86_64-windows-gnu", "foo_data.dll", "foo_data.dll", &bytes);
    let mut implib = Vec::new();
    target.write_import_library(&DataLibrary::new("foo_data.dll"), &mut implib).unwrap();
    std::fs::write(dir.path().join("libfoo_data.dll.a"), implib).unwrap();
    let source = format!("{CODE}\n__declspec(dllexport) const unsigned char big_table[8 << 20] = {{1}};\n");
    std::fs::write(dir.path().join("big.c"), source).unwrap();
    let code = dir.path().join("code.dll");
    run(Command::new("python3")
        .current_dir(dir.path())
        .args(["-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", "-shared", "-O2", "big.c", "-L."])
        .args(["-lfoo_data", "-o"])
        .arg(&code));
    assert_finds(&code, &data, &bytes);
    let calls = traced_check(&code, &dir.path().join("check.trace"));
    let log = calls.join("\n");
    let fd = calls[0].rsplit("= ").next().unwrap().trim();
    let read: u64 = calls
        .iter()
        .filter(|l| l.starts_with(&format!("pread64({fd}, ")))
        .map(|l| l.rsplit("= ").next().unwrap().trim().parse::<u64>().unwrap())
        .sum();
    assert!(
        read < 1 << 20,
        "{read} bytes of the {}-byte code cache read:\n{log}",
        std::fs::metadata(&code).unwrap().len()
    );
}

/// The errors of a big code cache's walk from the file are the walk's on
/// its bytes: the same `Error`, naming the code cache, for the file cut at
/// places past the first read (inside and around its dynamic table) and
/// with a broken `DT_STRTAB`.
#[test]
fn a_big_code_cache_fails_as_its_bytes_do() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &payload(1000));
    let code = big_code_cache(dir.path(), 2);
    let whole = std::fs::read(&code).unwrap();
    let elf = goblin::elf::Elf::parse(&whole).unwrap();
    let dynamic = elf.program_headers.iter().find(|ph| ph.p_type == goblin::elf::program_header::PT_DYNAMIC).unwrap();
    let (start, size) = (dynamic.p_offset as usize, dynamic.p_filesz as usize);
    let cut = dir.path().join("libcut.so");
    let same = |bytes: &[u8], what: &str| {
        std::fs::write(&cut, bytes).unwrap();
        let from_file = find_data_library(&cut);
        let in_memory = pkgimg::split::find_data_library_in(&cut, bytes);
        match (&from_file, &in_memory) {
            (Err(SplitError::Format { path, source }), Err(SplitError::Format { path: p, source: s })) => {
                assert_eq!((path, source), (p, s), "{what}");
                assert_eq!(path, &cut, "{what}");
            }
            (Ok(a), Ok(b)) => assert_eq!((&a.path, &a.name, &a.skipped), (&b.path, &b.name, &b.skipped), "{what}"),
            (
                Err(SplitError::NoDataLibrary { candidates: a, .. }),
                Err(SplitError::NoDataLibrary { candidates: b, .. }),
            ) => {
                assert_eq!(a, b, "{what}")
            }
            _ => panic!("{what}: from the file {from_file:?}, in memory {in_memory:?}"),
        }
        from_file.is_err()
    };
    let mut failed = 0;
    for len in [70_000, start - 1, start, start + 8, start + size / 2, start + size - 1, whole.len() - 1] {
        failed += usize::from(same(&whole[..len], &format!("cut to {len} bytes")));
    }
    assert!(failed >= 5, "only {failed} cuts fail");
    // DT_STRTAB pointing past every PT_LOAD: an Invalid error at the entry.
    let mut broken = whole.clone();
    let strtab = (start..start + size).step_by(16).find(|&at| whole[at..at + 8] == 5u64.to_le_bytes()).unwrap();
    broken[strtab + 8..strtab + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(same(&broken, "a DT_STRTAB outside the file"));
    assert!(!same(&whole, "the whole file"));
}

/// `jiscan emit --shared` writes every format's data library, byte for byte
/// what `Target::data_library_to_vec` writes (whose output the tests above
/// link, load and sign-check with the real tools), and `--implib` the
/// import library `write_import_library` writes. Before this test, only the
/// ELF target was run through the command, and its read-back check failed
/// every Mach-O and PE data library: it read from the payload to the end of
/// the file, past which those formats keep `__LINKEDIT` and the checksum word.
#[test]
fn jiscan_emit_shared_writes_every_data_library_format() {
    let dir = tempdir();
    let jiscan = PathBuf::from(env!("CARGO_BIN_EXE_jiscan"));
    let triples = [
        ("x86_64-linux-gnu", "libfoo_data.so"),
        ("powerpc64-linux-gnu", "libfoo_data.so"),
        ("x86_64-apple-macos", "@rpath/libfoo_data.dylib"),
        ("arm64-apple-macos", "@rpath/libfoo_data.dylib"),
        ("x86_64-windows-gnu", "foo_data.dll"),
        ("i686-windows-gnu", "foo_data.dll"),
        ("aarch64-windows-gnu", "foo_data.dll"),
    ];
    // A payload shorter than a page, one of a whole 16 KiB page, and one
    // whose last page is all but empty (the most padding before __LINKEDIT).
    for size in [100, 16384, 3 * 16384 + 1] {
        let bytes = payload(size);
        std::fs::write(dir.path().join("Foo.ji"), &bytes).unwrap();
        for (triple, soname) in triples {
            let out = dir.path().join("out");
            let implib = dir.path().join("implib.a");
            let mut cmd = Command::new(&jiscan);
            cmd.current_dir(dir.path()).args(["emit", "--shared", "--soname", soname, "--target", triple]);
            let windows = triple.contains("windows");
            if windows {
                cmd.arg("--implib").arg(&implib);
            }
            run(cmd.arg("Foo.ji").arg("-o").arg(&out));
            let target = Target::from_triple(triple).unwrap();
            let library = DataLibrary::new(soname);
            let written = std::fs::read(&out).unwrap();
            assert!(written == target.data_library_to_vec(&library, &bytes).unwrap(), "{triple}, {size} bytes");
            assert_eq!(pkgimg::find_ji_payload(&written).unwrap().data(), &bytes[..], "{triple}, {size} bytes");
            if windows {
                let mut expected = Vec::new();
                target.write_import_library(&library, &mut expected).unwrap();
                assert!(std::fs::read(&implib).unwrap() == expected, "{triple}: import library");
            }
        }
    }
}

/// `inject --replace` refuses a data library, naming its data record: the
/// record holds the size and CRC-32C of the payload it was written with
/// (FORMAT.md §8.1), and code caches read it, so a new payload would leave
/// it stale (ELF and Mach-O were replaced with the old record kept; PE was
/// refused with a message about the checksum word). The record's offset is
/// where the exported symbol points; nothing is written.
#[test]
fn inject_refuses_a_data_library_and_names_its_record() {
    let dir = tempdir();
    let (old, new) = (payload(100), dir.path().join("new.ji"));
    std::fs::write(&new, payload(3000)).unwrap();
    let library = DataLibrary::new("libfoo_data");
    let mut inputs: Vec<(String, Vec<u8>)> =
        ["x86_64-linux-gnu", "powerpc64-linux-gnu", "arm64-apple-macos", "x86_64-windows-gnu"]
            .iter()
            .map(|triple| {
                (triple.to_string(), Target::from_triple(triple).unwrap().data_library_to_vec(&library, &old).unwrap())
            })
            .collect();
    let targets = ["x86_64-apple-macos", "arm64-apple-macos"].map(|t| Target::from_triple(t).unwrap());
    let mut universal = Vec::new();
    let crc = crc32c::crc32c(&old);
    let mut reader = std::io::Cursor::new(&old);
    pkgimg::emit::write_universal_data_library(&targets, &library, old.len() as u64, crc, &mut reader, &mut universal)
        .unwrap();
    inputs.push(("universal".to_owned(), universal));
    for (what, bytes) in inputs {
        let path = dir.path().join(format!("{what}.lib"));
        std::fs::write(&path, &bytes).unwrap();
        // Where the record is: the exported symbol's bytes (an absolute
        // file offset), in the first slice, which is the one named.
        let first = pkgimg::slices(&bytes).unwrap().next().unwrap().unwrap();
        let record = first.find_symbol(pkgimg::record::DEFAULT_SYMBOL).unwrap().unwrap().range.unwrap().offset;
        let out = dir.path().join(format!("{what}.out"));
        let options = pkgimg::InjectOptions { replace: true, ..pkgimg::InjectOptions::default() };
        match pkgimg::inject(&path, &new, &out, options) {
            Err(pkgimg::InjectError::Refused { structure: "data record", offset, reason, .. }) => {
                assert_eq!(offset, record, "{what}");
                assert!(reason.contains("jiscan emit --shared"), "{what}: {reason}");
            }
            other => panic!("{what}: {other:?}"),
        }
        assert!(!out.exists(), "{what}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{what}");
    }
}

/// `jiscan deps --json --verify` names a data library whose payload fails
/// the CRC check in `error`, as `scan` does, so that the filter the help
/// suggests (`select(.error != null)`) finds it; the exit status is 1.
#[test]
fn deps_reports_a_failed_verify_as_the_error() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(5000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    gcc_code_cache(dir.path(), "libcode.so", &["-L.", "-lfoo_data", "-Wl,-rpath,$ORIGIN"]);
    let offset = pkgimg::find_ji_payload(&std::fs::read(&data).unwrap()).unwrap().offset() as usize;
    let mut damaged = std::fs::read(&data).unwrap();
    damaged[offset + 16] ^= 1;
    std::fs::write(&data, damaged).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jiscan"))
        .current_dir(dir.path())
        .args(["deps", "--json", "--verify", "libcode.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["data_library"]["payload"]["crc_ok"], false, "{line}");
    let error = line["error"].as_str().unwrap_or_else(|| panic!("no error: {line}"));
    assert!(error.contains("libfoo_data.so") && error.contains("CRC-32C"), "{error}");
}

/// A data library of another machine on the search path is passed over, as
/// ld.so's `open_verify` passes over a library of another class or machine
/// and looks further: with glibc as the oracle, an x86_64 code cache whose
/// `DT_RUNPATH` lists an aarch64 data library first loads the x86_64 one
/// after it, and `find_data_library` finds that one. With only the aarch64
/// one, both refuse, and the reason names the file passed over.
#[test]
fn a_data_library_of_another_machine_is_passed_over_as_ld_so_does() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(6000);
    for (sub, triple) in [("a", "aarch64-linux-gnu"), ("b", "x86_64-linux-gnu")] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        let library =
            Target::from_triple(triple).unwrap().data_library_to_vec(&DataLibrary::new("libfoo_data.so"), &bytes);
        std::fs::write(dir.path().join(sub).join("libfoo_data.so"), library.unwrap()).unwrap();
    }
    link_searching_a_then_b(dir.path());
    let code = dir.path().join("libcode.so");
    assert_eq!(dlopen_error(&code), None, "glibc passes over a/ and loads b/'s");
    assert_finds(&code, &dir.path().join("b/libfoo_data.so"), &bytes);
    std::fs::remove_file(dir.path().join("b/libfoo_data.so")).unwrap();
    let refused = dlopen_error(&code).expect("glibc finds none it can load");
    assert!(refused.contains("libfoo_data.so"), "{refused}");
    match find_data_library(&code) {
        Err(SplitError::NoDataLibrary { candidates, .. }) => {
            let reason = &candidates[0].reason;
            assert!(reason.contains("passed over") && reason.contains("a/libfoo_data.so"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// Audit 24: with `DT_RUNPATH` `$ORIGIN`, the code cache's directory is
/// searched twice (the run path, then the directory pkgimg searches in
/// place of the system's), and a file passed over there was named twice.
#[test]
fn a_file_passed_over_is_named_once() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(2000);
    let other = data_library(dir.path(), "aarch64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    let x86 = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "x86.so", &bytes);
    // The same directory spelt alike, or not (review 25 F3).
    for runpath in ["-Wl,-rpath,$ORIGIN", "-Wl,-rpath,$ORIGIN/."] {
        let code = gcc_code_cache(dir.path(), "libcode.so", &[x86.to_str().unwrap(), runpath]);
        assert_eq!(needed(&std::fs::read(&code).unwrap()), ["libfoo_data.so"]);
        match find_data_library(&code) {
            Err(SplitError::NoDataLibrary { candidates, .. }) => {
                let reason = &candidates[0].reason;
                assert_eq!(reason.matches("passed over ").count(), 1, "{runpath}: {reason}");
                assert!(
                    reason.contains(&format!("{}: an ELF file for aarch64", other.display()))
                        || reason.contains("/./libfoo_data.so: an ELF file for aarch64"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// The file a process that `dlopen`s `code` maps as libfoo_data.so, or
/// glibc's error: the oracle for where ld.so's search ends.
fn dlopen_maps(code: &Path) -> Result<PathBuf, String> {
    let load = "import ctypes, sys\ntry:\n    ctypes.CDLL(sys.argv[1])\nexcept OSError as e:\n    print('error', e)\n    \
                sys.exit(0)\nfor line in open('/proc/self/maps'):\n    if line.rstrip().endswith('/libfoo_data.so'):\n        \
                print(line.split()[-1])\n        break";
    let out = Command::new("python3").args(["-c", load]).arg(code).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match said.strip_prefix("error ") {
        Some(error) => Err(error.to_owned()),
        None => Ok(PathBuf::from(said)),
    }
}

/// glibc's `open_verify` (elf/dl-load.c), with glibc as the oracle: an
/// x86_64 data library earlier on the code cache's `DT_RUNPATH`, its header
/// changed one field at a time, is taken, passed over (another class or
/// machine: the one after it is loaded), or ends the search with glibc's
/// message. `find_data_library` gives the same answer each time. Before,
/// a FreeBSD, relocatable or wrong-endian one was taken or passed over.
#[test]
fn a_data_library_header_ld_so_refuses_ends_the_search_as_it_does() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir_with_a_and_b();
    let d = dir.path();
    let bytes = payload(5000);
    for sub in ["a", "b"] {
        data_library(&d.join(sub), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    }
    link_searching_a_then_b(d);
    let code = d.join("libcode.so");
    let good = std::fs::read(d.join("a/libfoo_data.so")).unwrap();
    let a = d.join("a/libfoo_data.so");
    // (what, [(offset, byte)]): ELF64 little-endian offsets (gABI "ELF Header").
    let cases: &[(&str, &[(usize, u8)])] = &[
        ("as written", &[]),
        ("ELFCLASS32", &[(4, 1)]),
        ("ELFCLASSNONE", &[(4, 0)]),
        ("EI_CLASS 3", &[(4, 3)]),
        ("big-endian", &[(5, 2)]),
        ("EI_VERSION 0", &[(6, 0)]),
        ("FreeBSD OS ABI", &[(7, 9)]),
        ("GNU OS ABI, ABI version 3", &[(7, 3), (8, 3)]),
        ("GNU OS ABI, ABI version 4", &[(7, 3), (8, 4)]),
        ("System V OS ABI, ABI version 1", &[(7, 0), (8, 1)]),
        ("padding", &[(12, 1)]),
        ("e_version 0", &[(20, 0)]),
        ("EM_AARCH64", &[(18, 183)]),
        ("ET_REL", &[(16, 1)]),
        ("ET_EXEC", &[(16, 2)]),
        ("e_phentsize 55", &[(54, 55)]),
        // Debian's ld.so asks elf_machine_matches_host right after the class
        // (any/unsubmitted-ldso-machine-mismatch.diff): another machine is
        // passed over whatever follows; e_machine is read little-endian.
        ("EM_AARCH64, FreeBSD OS ABI", &[(18, 183), (7, 9)]),
        ("EM_AARCH64, padding", &[(18, 183), (12, 1)]),
        ("big-endian, e_machine byte-swapped", &[(5, 2), (18, 0), (19, 62)]),
        // ... but only when the identification fails: a valid one (GNU ABI
        // version 1) goes on to e_version first (review 25 F1).
        ("GNU OS ABI 1, e_version 0, EM_AARCH64", &[(7, 3), (8, 1), (20, 0), (18, 183)]),
        // Cut to 60 bytes (the patch's offset is the length kept).
        ("60 bytes", &[(usize::MAX, 60)]),
    ];
    let mut outcomes = Vec::new();
    for (what, patch) in cases {
        let mut changed = good.clone();
        for &(at, byte) in *patch {
            match at {
                usize::MAX => changed.truncate(usize::from(byte)),
                at => changed[at] = byte,
            }
        }
        std::fs::write(&a, &changed).unwrap();
        let glibc = dlopen_maps(&code);
        outcomes.push((*what, agrees_with_glibc(what, glibc, &code, d)));
    }
    // The oracle's answers themselves, so that a change of glibc shows.
    let taken: Vec<_> = outcomes.iter().filter(|(_, o)| o.as_ref().is_ok_and(|p| *p == "a")).map(|(w, _)| *w).collect();
    let passed: Vec<_> =
        outcomes.iter().filter(|(_, o)| o.as_ref().is_ok_and(|p| *p == "b")).map(|(w, _)| *w).collect();
    assert_eq!(taken, ["as written", "GNU OS ABI, ABI version 3"], "{outcomes:?}");
    assert_eq!(
        passed,
        [
            "ELFCLASS32",
            "ELFCLASSNONE",
            "EI_CLASS 3",
            "EM_AARCH64",
            "EM_AARCH64, FreeBSD OS ABI",
            "EM_AARCH64, padding",
            "big-endian, e_machine byte-swapped"
        ],
        "{outcomes:?}"
    );
}

/// Asserts that `find_data_library` from `code` (in `dir`, which holds
/// `a/` and `b/`) gives glibc's answer, `glibc`: the same file, or an error
/// that quotes glibc's message and names `a/libfoo_data.so`. Returns that
/// answer as "a" or "b", or glibc's error.
fn agrees_with_glibc(
    what: &str,
    glibc: Result<PathBuf, String>,
    code: &Path,
    dir: &Path,
) -> Result<&'static str, String> {
    match (&glibc, find_data_library(code)) {
        (Ok(path), Ok(found)) => assert_eq!(&found.path, path, "{what}"),
        (Err(error), Err(SplitError::NoDataLibrary { candidates, .. })) => {
            let reason = &candidates[0].reason;
            let message = error.rsplit(": ").next().unwrap();
            assert!(
                reason.contains(&format!("\"{message}\"")) && reason.contains("a/libfoo_data.so"),
                "{what}: {reason}"
            );
        }
        (glibc, ours) => panic!("{what}: glibc {glibc:?}, find_data_library {ours:?}"),
    }
    glibc.map(|path| match path {
        p if p == dir.join("a/libfoo_data.so") => "a",
        p if p == dir.join("b/libfoo_data.so") => "b",
        _ => "?",
    })
}

/// A loader for the machines under qemu: `dlopen`s argv[1] and prints the
/// file mapped as libfoo_data.so (`/proc/self/maps`, which qemu-user gives
/// for the guest), or "error " and `dlerror()`.
const MAPS_LOADER: &str = r#"#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    if (argc != 2) return 1;
    if (!dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) { printf("error %s\n", dlerror()); return 0; }
    char line[4096];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        char *name = strrchr(line, ' ');
        if (name && strstr(name, "/libfoo_data.so\n")) { fputs(name + 1, stdout); return 0; }
    }
    return 4;
}
"#;

/// glibc's `elf_machine_matches_host` (the float ABI on RISC-V, the ABI
/// version on ppc64, o32/n32, the NaN encoding and FP64 on MIPS) and Arm's
/// `VALID_FLOAT_ABI` and EABI OS ABI, with each machine's own glibc under
/// qemu-user as the oracle: a data library earlier on the run path, its
/// `e_flags` (or OS ABI) changed, is taken, passed over, or ends the search,
/// and `find_data_library` says the same. Before, every one was taken. The
/// code caches are linked by Debian's cross gcc, whose flags stand for the
/// process's. (`.ci/run` installs the cross compilers and C libraries.)
#[test]
fn a_data_library_glibc_refuses_by_its_flags_is_treated_as_each_machines_glibc_does() {
    // e_flags (or with `Ident`, EI_OSABI) of a/'s copy, from those written.
    enum Change {
        Flags(fn(u32) -> u32),
        /// EI_OSABI and EI_ABIVERSION.
        Ident(u8, u8),
        /// Both: Debian's ld.so asks elf_machine_matches_host before it
        /// looks at the OS ABI.
        FlagsAndIdent(fn(u32) -> u32, u8, u8),
    }
    use Change::{Flags, FlagsAndIdent, Ident};
    type Case = (&'static str, Change);
    // (emit triple, cross gcc and sysroot triple, qemu, cases, glibc's answers)
    type Machine = (&'static str, &'static str, &'static str, Vec<Case>, &'static [&'static str]);
    let machines: [Machine; 5] = [
        (
            "mipsel-unknown-linux-gnu",
            "mipsel-linux-gnu",
            "qemu-mipsel",
            vec![
                ("as written", Flags(|f| f)),
                ("NaN2008", Flags(|f| f | 0x400)),
                ("FP64", Flags(|f| f | 0x200)),
                ("n32 (EF_MIPS_ABI2)", Flags(|f| f | 0x20)),
                ("GNU OS ABI, ABI version 5", Ident(3, 5)),
                ("GNU OS ABI, ABI version 6", Ident(3, 6)),
                ("System V OS ABI, ABI version 5", Ident(0, 5)),
                ("System V OS ABI, ABI version 6", Ident(0, 6)),
                ("NaN2008, FreeBSD OS ABI", FlagsAndIdent(|f| f | 0x400, 9, 0)),
            ],
            &["a", "b", "b", "b", "a", "error", "a", "error", "b"],
        ),
        (
            "mips64el-unknown-linux-gnuabi64",
            "mips64el-linux-gnuabi64",
            "qemu-mips64el",
            vec![
                ("as written", Flags(|f| f)),
                ("NaN2008", Flags(|f| f | 0x400)),
                ("FP64", Flags(|f| f | 0x200)),
                ("EF_MIPS_ABI2", Flags(|f| f | 0x20)),
            ],
            &["a", "b", "b", "a"],
        ),
        (
            "armv7-unknown-linux-gnueabihf",
            "arm-linux-gnueabihf",
            "qemu-arm",
            vec![
                ("as written", Flags(|f| f)),
                ("soft float", Flags(|f| (f & !0x400) | 0x200)),
                ("no float flag", Flags(|f| f & !0x600)),
                ("EABI 4, soft float", Flags(|f| (f & 0x00ff_f9ff) | 0x0400_0200)),
                ("Arm EABI OS ABI", Ident(64, 0)),
                ("Arm OS ABI", Ident(97, 0)),
                ("soft float, FreeBSD OS ABI", FlagsAndIdent(|f| (f & !0x400) | 0x200, 9, 0)),
            ],
            &["a", "b", "a", "a", "a", "error", "b"],
        ),
        (
            "riscv64gc-unknown-linux-gnu",
            "riscv64-linux-gnu",
            "qemu-riscv64",
            vec![
                ("as written", Flags(|f| f)),
                ("soft float", Flags(|f| f & !0x6)),
                ("single float", Flags(|f| (f & !0x6) | 0x2)),
                ("GNU OS ABI, ABI version 3", Ident(3, 3)),
                ("GNU OS ABI, ABI version 4", Ident(3, 4)),
                ("soft float, FreeBSD OS ABI", FlagsAndIdent(|f| f & !0x6, 9, 0)),
            ],
            &["a", "b", "b", "a", "error", "b"],
        ),
        (
            "powerpc64-unknown-linux-gnu",
            "powerpc64-linux-gnu",
            "qemu-ppc64",
            vec![
                ("as written", Flags(|f| f)),
                ("ELFv1", Flags(|f| (f & !3) | 1)),
                ("ELFv2", Flags(|f| (f & !3) | 2)),
                ("ABI version 3", Flags(|f| f | 3)),
                ("GNU OS ABI, ABI version 3", Ident(3, 3)),
                ("GNU OS ABI, ABI version 4", Ident(3, 4)),
                ("ELFv2, FreeBSD OS ABI", FlagsAndIdent(|f| (f & !3) | 2, 9, 0)),
            ],
            &["a", "a", "b", "b", "a", "error", "b"],
        ),
    ];
    for (triple, gnu, qemu, cases, expected) in machines {
        let gcc = format!("{gnu}-gcc");
        if !(common::require_tool(&gcc) && common::require_tool(qemu)) {
            continue;
        }
        let dir = tempdir_with_a_and_b();
        let d = dir.path();
        let bytes = payload(3000);
        for sub in ["a", "b"] {
            data_library(&d.join(sub), triple, "libfoo_data.so", "libfoo_data.so", &bytes);
        }
        std::fs::write(d.join("code.c"), CODE).unwrap();
        std::fs::write(d.join("loader.c"), MAPS_LOADER).unwrap();
        let link = ["-shared", "-fPIC", "code.c", "-Lb", "-lfoo_data", "-Wl,-rpath,$ORIGIN/a:$ORIGIN/b"];
        run(Command::new(&gcc).current_dir(d).args(link).args(["-o", "libcode.so"]));
        run(Command::new(&gcc).current_dir(d).args(["loader.c", "-ldl", "-o", "loader"]));
        let code = d.join("libcode.so");
        let (a, good) = (d.join("a/libfoo_data.so"), std::fs::read(d.join("a/libfoo_data.so")).unwrap());
        // e_flags: offset 36 in ELF32, 48 in ELF64 (gABI "ELF Header"), in
        // the file's byte order (EI_DATA 2: big-endian).
        let (at, big) = (if good[4] == 2 { 48 } else { 36 }, good[5] == 2);
        let mut outcomes = Vec::new();
        for (what, change) in &cases {
            let mut changed = good.clone();
            let (flags, ident) = match change {
                Flags(f) => (Some(*f), None),
                Ident(osabi, version) => (None, Some((*osabi, *version))),
                FlagsAndIdent(f, osabi, version) => (Some(*f), Some((*osabi, *version))),
            };
            if let Some(f) = flags {
                let field: [u8; 4] = changed[at..at + 4].try_into().unwrap();
                let old = if big { u32::from_be_bytes(field) } else { u32::from_le_bytes(field) };
                let new = f(old);
                changed[at..at + 4].copy_from_slice(&if big { new.to_be_bytes() } else { new.to_le_bytes() });
            }
            if let Some((osabi, version)) = ident {
                (changed[7], changed[8]) = (osabi, version);
            }
            std::fs::write(&a, &changed).unwrap();
            let out = Command::new(qemu).args(["-L", &format!("/usr/{gnu}")]).arg(d.join("loader")).arg(&code).output();
            let out = out.unwrap();
            assert!(out.status.success(), "{triple} {what}: {out:?}");
            let said = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            let glibc = match said.strip_prefix("error ") {
                Some(error) => Err(error.to_owned()),
                None => Ok(PathBuf::from(said)),
            };
            let outcome = agrees_with_glibc(&format!("{triple} {what}"), glibc, &code, d);
            outcomes.push(outcome.map_or("error", |o| o));
        }
        // The oracle's answers themselves, so that a change of glibc shows.
        assert_eq!(outcomes, expected, "{triple}: {:?}", cases.iter().map(|c| c.0).collect::<Vec<_>>());
    }
}

/// An arm64 macOS code dylib (zig) linked against `b/libfoo_data.dylib`,
/// whose `LC_RPATH`s are `@loader_path/a`, then `@loader_path/b`.
fn macho_code_searching_a_then_b(dir: &Path) -> PathBuf {
    let code = dir.join("libcode.dylib");
    run(Command::new("python3")
        .current_dir(dir)
        .args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-shared", "b/code.c", "-Lb", "-lfoo_data"])
        .args(["-Wl,-rpath,@loader_path/a", "-Wl,-rpath,@loader_path/b", "-o"])
        .arg(&code));
    code
}

/// A data library `soname` at `path` for one triple, or a universal file of
/// one slice per triple (llvm-lipo), built in `dir`.
fn data_library_of_slices(dir: &Path, triples: &[&str], soname: &str, path: &Path, bytes: &[u8]) {
    let thin: Vec<PathBuf> =
        triples.iter().enumerate().map(|(i, t)| data_library(dir, t, soname, &format!("t{i}"), bytes)).collect();
    match thin.as_slice() {
        [one] => std::fs::rename(one, path).unwrap(),
        many => run(Command::new("llvm-lipo-14").arg("-create").args(many).arg("-output").arg(path)),
    }
}

/// F4 of the adversarial pass: a file that is no ELF file (a Mach-O or PE
/// data library, a universal file) earlier on an ELF code cache's
/// `DT_RUNPATH` is not passed over: ld.so's `open_verify` stops there with
/// "invalid ELF header" (the oracle, glibc, refuses the code cache), and so
/// does `find_data_library`, naming that file.
#[test]
fn a_data_library_of_another_format_ends_an_elf_search_as_ld_so_does() {
    if !(common::require_tool("gcc") && common::require(&["llvm-lipo-14", "-version"])) {
        return;
    }
    for (case, triples) in [
        ("macho", &["x86_64-apple-macos"][..]),
        ("pe", &["x86_64-windows-gnu"][..]),
        ("universal", &["x86_64-apple-macos", "arm64-apple-macos"][..]),
    ] {
        let dir = tempdir_with_a_and_b();
        let d = dir.path();
        let bytes = payload(4000);
        data_library(&d.join("b"), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
        data_library_of_slices(d, triples, "libfoo_data.so", &d.join("a/libfoo_data.so"), &bytes);
        link_searching_a_then_b(d);
        let code = d.join("libcode.so");
        let refused = dlopen_error(&code).unwrap_or_else(|| panic!("{case}: glibc loads it"));
        assert!(refused.contains("invalid ELF header"), "{case}: {refused}");
        match find_data_library(&code) {
            Err(SplitError::NoDataLibrary { candidates, .. }) => {
                let reason = &candidates[0].reason;
                assert!(
                    reason.contains("a/libfoo_data.so") && reason.contains("invalid ELF header"),
                    "{case}: {reason}"
                );
            }
            other => panic!("{case}: {other:?}"),
        }
    }
}

/// F5 of the adversarial pass: dyld tries each `@rpath` place in turn and
/// takes the first file it can make a loader of, passing over a file that
/// is no Mach-O, an empty one or a directory (dyld `Loader::getLoader`:
/// "tried: '…' (…)", then the next path). So does the lookup for a Mach-O
/// code cache: it finds the data library in `b/` past each of them in `a/`.
#[test]
fn a_macho_code_cache_passes_over_what_dyld_cannot_use() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    for case in ["text", "empty", "directory"] {
        let dir = tempdir_with_a_and_b();
        let d = dir.path();
        let bytes = payload(2000);
        let data =
            data_library(&d.join("b"), "arm64-apple-macos", "@rpath/libfoo_data.dylib", "libfoo_data.dylib", &bytes);
        let first = d.join("a/libfoo_data.dylib");
        match case {
            "text" => std::fs::write(&first, "not a dylib\n").unwrap(),
            "empty" => std::fs::write(&first, "").unwrap(),
            _ => std::fs::create_dir(&first).unwrap(),
        }
        let code = macho_code_searching_a_then_b(d);
        let found = find_data_library(&code).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(found.path.canonicalize().unwrap(), data.canonicalize().unwrap(), "{case}");
    }
}

/// dyld passes over a dylib built for another platform ("mach-o file, but
/// incompatible platform", dyld-1378 common/MachOFile.cpp:1813-1816, after
/// `loadableIntoProcess`, mach_o/UnsafeHeader.cpp:2238) and tries the next
/// place, as for another architecture; of a universal file, the slice it
/// picks by CPU. So does the lookup: a macOS code dylib finds its data
/// dylib in `b/` past an iOS, a Mac Catalyst and a universal iOS one in
/// `a/`, and with none in `b/` names what it passed over.
#[test]
fn a_macho_data_library_of_another_platform_is_passed_over_as_dyld_does() {
    if !(common::require(&["python3", "-m", "ziglang", "version"]) && common::require(&["llvm-lipo-14", "-version"])) {
        return;
    }
    for (case, triples) in [
        ("iOS", &["arm64-apple-ios"][..]),
        ("Mac Catalyst", &["arm64-apple-ios14.0-macabi"][..]),
        ("iOS", &["arm64-apple-ios", "x86_64-apple-ios-simulator"][..]),
    ] {
        let dir = tempdir_with_a_and_b();
        let d = dir.path();
        let bytes = payload(3000);
        let name = "@rpath/libfoo_data.dylib";
        let data = data_library(&d.join("b"), "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
        data_library_of_slices(d, triples, name, &d.join("a/libfoo_data.dylib"), &bytes);
        let code = macho_code_searching_a_then_b(d);
        let found = find_data_library(&code).unwrap_or_else(|e| panic!("{case} {triples:?}: {e}"));
        assert_eq!(found.path.canonicalize().unwrap(), data.canonicalize().unwrap(), "{case} {triples:?}");
        std::fs::remove_file(&data).unwrap();
        match find_data_library(&code) {
            Err(SplitError::NoDataLibrary { candidates, .. }) => {
                let reason = &candidates.iter().find(|c| c.name == name).unwrap().reason;
                let want = format!("built for {case}, not macOS: dyld passes over it");
                assert!(reason.contains(&want) && reason.contains("a/libfoo_data.dylib"), "{triples:?}: {reason}");
            }
            other => panic!("{case} {triples:?}: {other:?}"),
        }
    }
}

/// An arm64 code dylib's process grades a data dylib by its whole CPU
/// subtype as macOS's dyld does (review 22 F6, F7): an arm64e one
/// (0x80000002) is taken, for an arm64 process runs with pointer
/// authentication keys off and takes arm64e first (`load_arm64e_keysOff`,
/// dyld-1378 mach_o/GradedArchitectures.cpp:161, dyld/DyldProcessConfig.cpp:
/// 811-815); one whose subtype is 0x80000000 or arm64e without its ABI
/// version (2) is none of that list, and is passed over.
#[test]
fn a_macho_data_library_is_graded_by_its_whole_cpu_subtype() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    for (subtype, taken) in [(0x8000_0002u32, true), (0x8100_0002, true), (0x8000_0000, false), (2, false)] {
        let dir = tempdir_with_a_and_b();
        let d = dir.path();
        let bytes = payload(3000);
        let name = "@rpath/libfoo_data.dylib";
        let b = data_library(&d.join("b"), "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
        let a = data_library(&d.join("a"), "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
        let mut image = std::fs::read(&a).unwrap();
        image[8..12].copy_from_slice(&subtype.to_le_bytes()); // mach_header_64.cpusubtype
        std::fs::write(&a, image).unwrap();
        let code = macho_code_searching_a_then_b(d);
        let found = find_data_library(&code).unwrap_or_else(|e| panic!("{subtype:#x}: {e}"));
        let want = if taken { &a } else { &b };
        assert_eq!(found.path.canonicalize().unwrap(), want.canonicalize().unwrap(), "{subtype:#x}");
        // An arm64e code dylib runs in Julia's arm64 process too, which
        // grades its data library the same way (review 23 F1).
        let mut image = std::fs::read(&code).unwrap();
        image[8..12].copy_from_slice(&0x8000_0002u32.to_le_bytes());
        std::fs::write(&code, image).unwrap();
        let found = find_data_library(&code).unwrap_or_else(|e| panic!("arm64e code, {subtype:#x}: {e}"));
        assert_eq!(found.path.canonicalize().unwrap(), want.canonicalize().unwrap(), "arm64e code, {subtype:#x}");
    }
}

/// Review 22 F11: a data dylib whose load commands do not parse (here its
/// `LC_BUILD_VERSION` says it is 8 bytes long, so the next command is read
/// from inside it) is passed over, as dyld passes over a file it cannot
/// make a loader of ("tried: ...", `Loader::getLoader`), and named if
/// nothing else is found.
#[test]
fn a_malformed_macho_data_library_is_passed_over_as_dyld_does() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = tempdir_with_a_and_b();
    let d = dir.path();
    let bytes = payload(3000);
    let name = "@rpath/libfoo_data.dylib";
    let b = data_library(&d.join("b"), "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
    let a = data_library(&d.join("a"), "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
    let mut image = std::fs::read(&a).unwrap();
    // mach_header_64: ncmds at 16; the commands from 32, each cmd and cmdsize.
    let ncmds = u32::from_le_bytes(image[16..20].try_into().unwrap());
    let mut at = 32;
    for _ in 0..ncmds {
        let cmd = u32::from_le_bytes(image[at..at + 4].try_into().unwrap());
        let size = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
        if cmd == 0x32 {
            image[at + 4..at + 8].copy_from_slice(&8u32.to_le_bytes());
            break;
        }
        at += size;
    }
    std::fs::write(&a, image).unwrap();
    let code = macho_code_searching_a_then_b(d);
    let found = find_data_library(&code).unwrap();
    assert_eq!(found.path.canonicalize().unwrap(), b.canonicalize().unwrap());
    std::fs::remove_file(&b).unwrap();
    match find_data_library(&code) {
        Err(SplitError::NoDataLibrary { candidates, .. }) => {
            let reason = &candidates.iter().find(|c| c.name == name).unwrap().reason;
            assert!(reason.contains("dyld cannot use it") && reason.contains("a/libfoo_data.dylib"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// Review 19 F4: dyld tries `LC_RPATH` entries in order, and an
/// `@executable_path` or relative one names a place the file does not tell
/// (the program's directory, the working directory), as `@loader_pathX`
/// does (dyld expands `@loader_path` only before a `/` or the end). Before
/// the place found, the answer is unknown and said so, as for ELF; after
/// it, it does not matter.
#[test]
fn a_macho_rpath_entry_the_file_does_not_place_makes_the_answer_unknown() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    for (entries, found) in [
        (&["@executable_path/../lib", "@loader_path"][..], false),
        (&["lib", "@loader_path"][..], false),
        (&["@loader_pathx", "@loader_path"][..], false),
        (&["@loader_path", "@executable_path/../lib"][..], true),
    ] {
        let dir = tempdir();
        let bytes = payload(1000);
        let data =
            data_library(dir.path(), "arm64-apple-macos", "@rpath/libfoo_data.dylib", "libfoo_data.dylib", &bytes);
        let code = dir.path().join("libcode.dylib");
        let rpaths: Vec<String> = entries.iter().map(|e| format!("-Wl,-rpath,{e}")).collect();
        run(Command::new("python3")
            .current_dir(dir.path())
            .args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-shared", "code.c", "-L.", "-lfoo_data"])
            .args(&rpaths)
            .arg("-o")
            .arg(&code));
        match find_data_library(&code) {
            Ok(_) if found => assert_finds(&code, &data, &bytes),
            Err(SplitError::NoDataLibrary { candidates, .. }) if !found => {
                let reason = &candidates.iter().find(|c| c.name == "@rpath/libfoo_data.dylib").unwrap().reason;
                let why = format!(
                    "the LC_RPATH entry '{}' depends on the program that loads it, and comes before",
                    entries[0]
                );
                assert!(reason.starts_with(&why), "{entries:?}: {reason}");
            }
            other => panic!("{entries:?}: {other:?}"),
        }
    }
}

/// Review 19 F9: dyld resolves `@loader_path` beside the file's real path
/// (it names a loaded image by `fcntl(F_GETPATH)` of the file it opened,
/// dyld/JustInTimeLoader.cpp:1323-1426), where glibc's `$ORIGIN` is the
/// directory of the path as opened. A code dylib reached through a link in
/// `depot/` finds the data library beside its target in `store/`, not the
/// other one beside the link.
#[test]
fn a_macho_code_cache_reached_through_a_link_finds_the_data_library_beside_its_target() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = tempdir();
    let (store, depot) = (dir.path().join("store"), dir.path().join("depot"));
    std::fs::create_dir(&store).unwrap();
    std::fs::create_dir(&depot).unwrap();
    let bytes = payload(3000);
    let name = "@rpath/libfoo_data.dylib";
    let data = data_library(&store, "arm64-apple-macos", name, "libfoo_data.dylib", &bytes);
    data_library(&depot, "arm64-apple-macos", name, "libfoo_data.dylib", &payload(4000));
    run(Command::new("python3")
        .current_dir(&store)
        .args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-shared", "code.c", "-L.", "-lfoo_data"])
        .args(["-Wl,-rpath,@loader_path", "-o", "libcode.dylib"]));
    let link = depot.join("libcode.dylib");
    std::os::unix::fs::symlink("../store/libcode.dylib", &link).unwrap();
    assert_finds(&link, &data, &bytes);
}

/// Links `libcode.so` in `dir` from the code cache's source, against
/// `b/libfoo_data.so`, with `DT_RUNPATH` `$ORIGIN/a:$ORIGIN/b`: the loader
/// looks in `a/` first.
fn link_searching_a_then_b(dir: &Path) {
    std::fs::write(dir.join("code.c"), CODE).unwrap();
    gcc_code_cache(dir, "libcode.so", &["-Lb", "-lfoo_data", "-Wl,-rpath,$ORIGIN/a:$ORIGIN/b"]);
}

/// A target with no data-library writer (32-bit Arm PE) is refused by its
/// triple before the payload is opened: the payload here does not exist,
/// and the message is about the target, not the payload or a machine number.
#[test]
fn jiscan_emit_shared_refuses_a_target_without_a_writer_by_its_triple() {
    let dir = tempdir();
    let out = Command::new(env!("CARGO_BIN_EXE_jiscan"))
        .current_dir(dir.path())
        .args(["emit", "--shared", "--soname", "x.dll", "--target", "armv7-windows-gnu", "missing.ji", "-o", "x.dll"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("--target armv7-windows-gnu: no data library can be written for this target"),
        "{message}"
    );
    assert!(!dir.path().join("x.dll").exists());
}

/// F10 of the adversarial pass: two dependency records that reach one
/// file, here `libfoo_data.so` and a symbolic link to it, are one data
/// library, as glibc, which knows a loaded file by device and inode, maps it
/// once (the oracle: it loads the code cache). The second record is made by
/// renaming `libm.so.6` in the code cache's string table.
#[test]
fn two_records_of_one_data_library_are_one_data_library() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = tempdir();
    let bytes = payload(5000);
    let data = data_library(dir.path(), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    let links = ["-L.", "-Wl,--no-as-needed", "-lfoo_data", "-lm", "-Wl,-rpath,$ORIGIN"];
    let code = gcc_code_cache(dir.path(), "libcode.so", &links);
    let mut elf = std::fs::read(&code).unwrap();
    let at = elf.windows(10).position(|w| w == b"libm.so.6\0").expect("libm.so.6 in .dynstr");
    elf[at..at + 10].copy_from_slice(b"libfd.so\0\0");
    std::fs::write(&code, &elf).unwrap();
    std::os::unix::fs::symlink("libfoo_data.so", dir.path().join("libfd.so")).unwrap();
    let needed = needed(&elf);
    assert!(needed.contains(&"libfoo_data.so".into()) && needed.contains(&"libfd.so".into()), "{needed:?}");
    assert_eq!(dlopen_error(&code), None, "glibc loads it");
    assert_finds(&code, &data, &bytes);
}

/// F3 of the adversarial pass: a file the reader may not open (`EACCES`)
/// earlier on `DT_RUNPATH` is passed over, as glibc's `open_path` passes
/// over it (elf/dl-load.c: only an error other than `ENOENT` and `EACCES`
/// ends the search). Both run as `nobody`, for whom `chmod 000` holds; the
/// oracle is glibc loading the code cache under that user.
#[test]
fn a_data_library_the_reader_may_not_open_is_passed_over() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: changing to user nobody needs root (CI runs as root)");
        return;
    }
    if !(common::require_tool("gcc") && common::require(&["setpriv", "--version"])) {
        return;
    }
    let dir = tempdir_with_a_and_b();
    let d = dir.path();
    let bytes = payload(3000);
    for sub in ["a", "b"] {
        data_library(&d.join(sub), "x86_64-linux-gnu", "libfoo_data.so", "libfoo_data.so", &bytes);
    }
    link_searching_a_then_b(d);
    let mode = |path: &Path, mode: u32| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    for sub in [d, &d.join("a"), &d.join("b")] {
        mode(sub, 0o755);
    }
    mode(&d.join("a/libfoo_data.so"), 0o000);
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let load = "#include <dlfcn.h>\n#include <stdio.h>\n\
                int main(int c, char **v) { (void)c; if (!dlopen(v[1], RTLD_NOW)) { puts(dlerror()); return 1; } return 0; }\n";
    std::fs::write(d.join("load.c"), load).unwrap();
    run(Command::new("gcc").current_dir(d).args(["load.c", "-ldl", "-o", "load"]));
    let out = Command::new("setpriv").args(nobody).arg(d.join("load")).arg(d.join("libcode.so")).output().unwrap();
    assert!(out.status.success(), "glibc as nobody: {}{}", String::from_utf8_lossy(&out.stdout), common::stderr(&out));
    let jiscan = env!("CARGO_BIN_EXE_jiscan");
    let out = Command::new("setpriv").args(nobody).args([jiscan, "deps", "--json"]).arg(d.join("libcode.so")).output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), common::stderr(&out));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = line["data_library"]["path"].as_str().unwrap();
    assert!(path.ends_with("/b/libfoo_data.so"), "{line}");
}

/// `Target::data_library_supported` says before any payload is read what
/// writing the data library would say, for every format's targets, one
/// without a writer (32-bit Arm PE) among them.
#[test]
fn data_library_supported_agrees_with_writing() {
    let triples = [
        "x86_64-linux-gnu",
        "aarch64-linux-gnu",
        "mips-linux-gnu",
        "powerpc64-linux-gnu",
        "arm64-apple-macos",
        "x86_64-apple-macos",
        "x86_64-windows-gnu",
        "i686-windows-gnu",
        "aarch64-windows-gnu",
        "armv7-windows-gnu",
    ];
    let mut refused = 0;
    for triple in triples {
        let target = Target::from_triple(triple).unwrap();
        let wrote = target.data_library_to_vec(&DataLibrary::new("libx_data"), b"payload");
        assert_eq!(target.data_library_supported().is_ok(), wrote.is_ok(), "{triple}: {wrote:?}");
        refused += usize::from(wrote.is_err());
    }
    assert_eq!(refused, 1, "armv7-windows-gnu alone has no writer");
}
