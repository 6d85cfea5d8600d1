//! The proof with real tools: code caches linked against data libraries by
//! GNU ld (gcc) and lld (zig) keep them as `DT_NEEDED`, glibc loads them
//! and resolves the record, and the ELF dumpers read every file without a
//! warning.

use std::path::{Path, PathBuf};

use super::*;

/// A small loader: `dlopen`s argv[1], calls `cache_payload_size`, says
/// whether a loaded object's name contains argv[2] (`dl_iterate_phdr`), and
/// how that library is mapped (`/proc/self/maps`): how many mappings, how
/// many accessible ones reach file offset argv[3] (the payload) or beyond,
/// how many are writable, and the page size. (glibc 2.36 reserves the
/// library's span by mapping the file once, then leaves the gap between the
/// segments as an inaccessible `---p` mapping of the file: not counted.)
const LOADER: &str = r#"#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int seen;
static int visit(struct dl_phdr_info *info, size_t size, void *name) {
    (void)size;
    if (strstr(info->dlpi_name, name)) seen = 1;
    return 0;
}
int main(int argc, char **argv) {
    if (argc != 4) return 1;
    void *cache = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!cache) { printf("dlopen: %s\n", dlerror()); return 2; }
    uint64_t (*size)(void) = (uint64_t (*)(void))dlsym(cache, "cache_payload_size");
    if (!size) { printf("dlsym: %s\n", dlerror()); return 3; }
    dl_iterate_phdr(visit, argv[2]);
    unsigned long long payload = strtoull(argv[3], 0, 10), start, end, offset;
    int mapped = 0, past = 0, writable = 0;
    char line[4096], perms[8];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        if (!strstr(line, argv[2]) || sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &offset) != 4) continue;
        mapped++;
        past += perms[0] == 'r' && offset + (end - start) > payload;
        writable += perms[1] == 'w';
    }
    printf("size=%llu seen=%d mapped=%d past=%d writable=%d page=%ld\n", (unsigned long long)size(), seen, mapped,
           past, writable, sysconf(_SC_PAGESIZE));
    return 0;
}
"#;

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `DT_NEEDED` names `readelf -d` lists for `path`.
fn readelf_needed(path: &Path) -> Vec<String> {
    let out = String::from_utf8(run("readelf", &["-d", "-W", s(path)]).stdout).unwrap();
    out.lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split('[').nth(1)?.trim_end_matches(']').to_string()))
        .collect()
}

/// The code cache at `path` depends on the data library: readelf, this
/// crate's walk and the peers agree.
fn depends_on_data_library(cache: &Path) {
    let what = cache.display();
    assert!(readelf_needed(cache).contains(&"libfoo_data.so".to_string()), "{what}: {:?}", readelf_needed(cache));
    let bytes = std::fs::read(cache).unwrap();
    let ours = walk(&bytes).unwrap();
    assert!(ours.contains(&(DependencyKind::Needed, b"libfoo_data.so".to_vec())), "{what}: {ours:?}");
    assert_eq!(same_as_peers(cache, &bytes), 2, "{what}: object and goblin read it");
    // The link resolved the record through the data library's .dynsym.
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let undefined =
        elf.dynsyms.iter().any(|sym| sym.st_shndx == 0 && elf.dynstrtab.get_at(sym.st_name) == Some(DEFAULT_SYMBOL));
    assert!(undefined, "{what}: {DEFAULT_SYMBOL} is an import");
}

/// Writes the data library (100 KiB payload) for `triple` and the code
/// cache's source into `dir`.
fn prepare(dir: &Path, triple: &str) -> (PathBuf, Vec<u8>) {
    let data = payload(100 * 1024);
    let library = dir.join("libfoo_data.so");
    std::fs::write(&library, super::library(triple, "libfoo_data.so", &data)).unwrap();
    std::fs::write(dir.join("cache.c"), CACHE).unwrap();
    (library, data)
}

#[test]
fn x86_64_code_caches_link_with_gnu_ld_and_lld_and_load() {
    if !(require(&["gcc", "--version"])
        && require(&["readelf", "--version"])
        && require(&["llvm-readobj", "--version"])
        && have_zig())
    {
        return;
    }
    let dir = scratch("x86_64-code-caches");
    let (library, data) = prepare(&dir, "x86_64-linux-gnu");
    let (source, lib_dir) = (dir.join("cache.c"), format!("-L{}", s(&dir)));
    let common = ["-shared", "-fPIC", "-Wl,--as-needed", "-Wl,-z,defs", "-Wl,-rpath,$ORIGIN"];
    let gnu = dir.join("libcache_gcc.so");
    run("gcc", &[&common[..], &["-O2", "-o", s(&gnu), s(&source), &lib_dir, "-lfoo_data"]].concat());
    let lld = dir.join("libcache_zig.so");
    let zig_args = [
        "-m",
        "ziglang",
        "cc",
        "-target",
        "x86_64-linux-gnu",
        "-O0",
        "-o",
        s(&lld),
        s(&source),
        &lib_dir,
        "-lfoo_data",
    ];
    run("python3", &[&zig_args[..3], &common[..], &zig_args[3..]].concat());
    let loader = dir.join("loader");
    std::fs::write(dir.join("loader.c"), LOADER).unwrap();
    run("gcc", &["-o", s(&loader), s(&dir.join("loader.c")), "-ldl"]);

    no_warnings(&library);
    for cache in [&gnu, &lld] {
        depends_on_data_library(cache);
        no_warnings(cache);
        let out = String::from_utf8(run(s(&loader), &[s(cache), "libfoo_data.so", "4096"]).stdout).unwrap();
        loaded(&out, &data, &cache.display().to_string());
    }
}

/// What [`LOADER`] printed says the code cache loaded and ran, the data
/// library came with it and its record was read, and the payload stayed
/// out of memory: no accessible mapping reaches it (with 4 KiB pages, the
/// payload's 4096-byte alignment), and `.dynamic` is read-only again.
fn loaded(out: &str, data: &[u8], what: &str) {
    let field = |name: &str| -> i64 {
        let value = out.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
        value.unwrap_or_else(|| panic!("{what}: no {name} in {out:?}")).parse().unwrap()
    };
    let what = format!("{what}: {out}");
    assert_eq!(field("size"), data.len() as i64, "{what}: the function read the record");
    assert_eq!(field("seen"), 1, "{what}: the data library is loaded");
    assert!(field("mapped") >= 2, "{what}");
    // PT_GNU_RELRO made .dynamic read-only again after relocation.
    assert_eq!(field("writable"), 0, "{what}");
    if field("page") == 4096 {
        assert_eq!(field("past"), 0, "{what}: a mapping reaches the payload");
    }
}

#[test]
fn every_target_links_with_lld_and_dumps_cleanly() {
    if !(require(&["readelf", "--version"]) && require(&["llvm-readobj", "--version"]) && have_zig()) {
        return;
    }
    for (triple, zig_target) in TARGETS {
        let dir = scratch(&format!("link-{triple}"));
        let (library, _) = prepare(&dir, triple);
        no_warnings(&library);
        let Some(zig_target) = zig_target else { continue };
        let (cache, source) = (dir.join("libcache.so"), dir.join("cache.c"));
        let lib_dir = format!("-L{}", s(&dir));
        // -nostdlib: zig has no libc for some targets, and the cache needs none
        // (nor UBSan's runtime, which zig's default debug mode calls).
        let args =
            ["-m", "ziglang", "cc", "-target", zig_target, "-shared", "-fPIC", "-nostdlib", "-fno-sanitize=undefined"];
        let rest = ["-Wl,-z,defs", "-Wl,--as-needed", "-o", s(&cache), s(&source), &lib_dir, "-lfoo_data"];
        // lld writes s390x's .hash with 4-byte entries, where the ABI (and
        // readelf, and glibc) has 8: the code cache gets only .gnu.hash there.
        let hash: &[&str] = if triple.starts_with("s390x") { &["-Wl,--hash-style=gnu"] } else { &[] };
        run("python3", &[&args[..], hash, &rest[..]].concat());
        // (Not `no_warnings`: that is for our file. lld's own sparc64 output
        // has a PT_DYNAMIC size llvm-readobj 14 calls invalid.)
        depends_on_data_library(&cache);
    }
}

/// Other machines' glibc loaders, under qemu-user: a code cache linked by
/// that machine's GNU ld against the data library, `dlopen`ed by a loader
/// built for it, with the checks of the x86_64 test. Needs Debian's
/// `qemu-user` and `gcc-<triple>` cross compilers with their C libraries
/// (`.ci/run` installs them): one 32-bit and one 64-bit big-endian machine,
/// and MIPS, whose loader reads the GOT and `DT_MIPS_*` tags.
#[test]
fn other_machines_load_data_libraries_under_qemu() {
    // (emit triple, cross gcc and sysroot triple, qemu)
    let targets = [
        ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu", "qemu-aarch64"),
        ("s390x-unknown-linux-gnu", "s390x-linux-gnu", "qemu-s390x"),
        ("powerpc-unknown-linux-gnu", "powerpc-linux-gnu", "qemu-ppc"),
        ("mips64el-unknown-linux-gnuabi64", "mips64el-linux-gnuabi64", "qemu-mips64el"),
        ("mipsel-unknown-linux-gnu", "mipsel-linux-gnu", "qemu-mipsel"),
    ];
    for (triple, gnu, qemu) in targets {
        let gcc = format!("{gnu}-gcc");
        if !(require(&[&gcc, "--version"]) && require(&[qemu, "--version"])) {
            continue;
        }
        let dir = scratch(&format!("qemu-{triple}"));
        let (_, data) = prepare(&dir, triple);
        let (cache, loader) = (dir.join("libcache.so"), dir.join("loader"));
        std::fs::write(dir.join("loader.c"), LOADER).unwrap();
        let lib_dir = format!("-L{}", s(&dir));
        let link = ["-shared", "-fPIC", "-O2", "-Wl,--as-needed", "-Wl,-z,defs", "-Wl,-rpath,$ORIGIN", "-o"];
        run(&gcc, &[&link[..], &[s(&cache), s(&dir.join("cache.c")), &lib_dir, "-lfoo_data"]].concat());
        depends_on_data_library(&cache);
        run(&gcc, &["-o", s(&loader), s(&dir.join("loader.c")), "-ldl"]);
        let sysroot = format!("/usr/{gnu}");
        let out = run(qemu, &["-L", &sysroot, s(&loader), s(&cache), "libfoo_data.so", "4096"]);
        let out = String::from_utf8(out.stdout).unwrap();
        loaded(&out, &data, triple);
        eprintln!("{triple}: {}", out.trim());
    }
}
