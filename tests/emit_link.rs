//! The relocatable objects `pkgimg::emit_object` writes, checked three ways:
//!
//! 1. read back by two independent parsers (goblin and object) and by
//!    `llvm-readobj`, against header values written down here from the specs
//!    (and, for ELF `e_flags`, from what `zig cc -c` writes for each target);
//! 2. linked by real linkers into shared libraries — zig's lld (ELF, COFF)
//!    and zig's Mach-O linker for every corpus target, GNU ld for x86-64 —
//!    with dead-code elimination on, after which `find_ji_payload` must find
//!    exactly the payload at a 64-aligned offset;
//! 3. negative controls showing those links do strip an unprotected section,
//!    so the survival checks can fail.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod common;

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection};
use pkgimg::{EmitError, Endian, Format, Target};

/// A deterministic payload whose length is not a multiple of 64 or 8.
fn payload(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// What an object for one triple must look like.
struct Case {
    triple: &'static str,
    format: Format,
    /// ELF `e_machine`, Mach-O `cputype`, COFF `Machine`.
    machine: u32,
    bits: u8,
    endian: Endian,
    /// ELF `e_flags` (see `pkgimg::emit` for why each value).
    flags: u32,
    /// ELF `EI_OSABI`.
    osabi: u8,
}

const fn elf(triple: &'static str, machine: u32, bits: u8, endian: Endian, flags: u32) -> Case {
    Case { triple, format: Format::Elf, machine, bits, endian, flags, osabi: 3 }
}

const fn macho(triple: &'static str, cputype: u32) -> Case {
    Case { triple, format: Format::MachO, machine: cputype, bits: 64, endian: Endian::Little, flags: 0, osabi: 0 }
}

const fn coff(triple: &'static str, machine: u32, bits: u8) -> Case {
    Case { triple, format: Format::Coff, machine, bits, endian: Endian::Little, flags: 0, osabi: 0 }
}

use Endian::{Big as BE, Little as LE};

/// Triples as rustc, clang, GCC and zig spell them. e_machine values are the
/// gABI's EM_* numbers; e_flags equal `zig cc -c`'s for the same target except
/// where noted (ISA level, ppc64 ABI version: see src/emit/abi.rs).
const CASES: &[Case] = &[
    elf("x86_64-unknown-linux-gnu", 62, 64, LE, 0),
    elf("x86_64-linux-gnu", 62, 64, LE, 0),
    elf("aarch64-unknown-linux-gnu", 183, 64, LE, 0),
    elf("aarch64-linux-gnu", 183, 64, LE, 0),
    elf("i686-unknown-linux-gnu", 3, 32, LE, 0),
    elf("x86-linux-gnu", 3, 32, LE, 0),
    // EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD / _SOFT
    elf("armv7-unknown-linux-gnueabihf", 40, 32, LE, 0x0500_0400),
    elf("arm-linux-gnueabihf", 40, 32, LE, 0x0500_0400),
    elf("arm-unknown-linux-gnueabi", 40, 32, LE, 0x0500_0200),
    elf("thumbv7em-none-eabihf", 40, 32, LE, 0x0500_0400),
    elf("armeb-unknown-linux-gnueabi", 40, 32, BE, 0x0500_0200),
    // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE; bare-metal imac: RVC, soft float
    elf("riscv64gc-unknown-linux-gnu", 243, 64, LE, 0x5),
    elf("riscv64-linux-gnu", 243, 64, LE, 0x5),
    elf("riscv32imac-unknown-none-elf", 243, 32, LE, 0x1),
    elf("riscv32imafc-unknown-none-elf", 243, 32, LE, 0x3),
    elf("powerpc64le-unknown-linux-gnu", 21, 64, LE, 2),
    // ELFv1 or v2 unknown: unspecified (zig itself writes 2)
    elf("powerpc64-unknown-linux-gnu", 21, 64, BE, 0),
    elf("powerpc64-unknown-linux-musl", 21, 64, BE, 2),
    elf("powerpc-unknown-linux-gnu", 20, 32, BE, 0),
    elf("s390x-unknown-linux-gnu", 22, 64, BE, 0),
    // MIPS32 (zig: MIPS32R2 and .noreorder), o32, PIC|CPIC
    elf("mips-unknown-linux-gnu", 8, 32, BE, 0x5000_1006),
    elf("mipsel-unknown-linux-musl", 8, 32, LE, 0x5000_1006),
    // MIPS64 (zig: MIPS64R2), n64 (no ABI bits), PIC|CPIC; n32 adds EF_MIPS_ABI2 in ELF32
    elf("mips64-unknown-linux-gnuabi64", 8, 64, BE, 0x6000_0006),
    elf("mips64el-unknown-linux-gnuabi64", 8, 64, LE, 0x6000_0006),
    elf("mips64-unknown-linux-gnuabin32", 8, 32, BE, 0x6000_0026),
    elf("mipsisa32r6el-unknown-linux-gnu", 8, 32, LE, 0x9000_1406),
    elf("sparc64-unknown-linux-gnu", 43, 64, BE, 2),
    elf("loongarch64-unknown-linux-gnu", 258, 64, LE, 0x43),
    elf("x86_64-unknown-linux-gnux32", 62, 32, LE, 0),
    elf("aarch64-linux-android", 183, 64, LE, 0),
    // EI_OSABI: FreeBSD's own (GNU ld honours SHF_GNU_RETAIN there too);
    // SYSV for Solaris, whose linker does not know the GNU flag.
    Case { osabi: 9, ..elf("x86_64-unknown-freebsd", 62, 64, LE, 0) },
    Case { osabi: 0, ..elf("sparcv9-sun-solaris", 43, 64, BE, 2) },
    Case { osabi: 0, ..elf("x86_64-pc-solaris2.11", 62, 64, LE, 0) },
    elf("x86_64-unknown-netbsd", 62, 64, LE, 0),
    macho("x86_64-apple-darwin", 0x0100_0007),
    macho("x86_64-apple-macosx11.0", 0x0100_0007),
    macho("x86_64-macos", 0x0100_0007),
    macho("aarch64-apple-darwin", 0x0100_000c),
    macho("arm64-apple-macos", 0x0100_000c),
    macho("arm64-apple-ios17.0-simulator", 0x0100_000c),
    coff("x86_64-pc-windows-gnu", 0x8664, 64),
    coff("x86_64-pc-windows-msvc", 0x8664, 64),
    coff("x86_64-w64-mingw32", 0x8664, 64),
    coff("i686-pc-windows-msvc", 0x014c, 32),
    coff("x86-windows-gnu", 0x014c, 32),
    coff("aarch64-pc-windows-msvc", 0xaa64, 64),
];

fn emit(triple: &str, payload: &[u8]) -> Vec<u8> {
    pkgimg::emit_object_to_vec(triple, payload).unwrap_or_else(|e| panic!("{triple}: {e}"))
}

/// The container's file range and bytes as goblin sees them, with the header
/// fields the case pins down.
fn check_with_goblin(case: &Case, file: &[u8]) -> (u64, u64) {
    let t = case.triple;
    match goblin::Object::parse(file).unwrap_or_else(|e| panic!("{t}: goblin: {e}")) {
        goblin::Object::Elf(elf) => {
            assert_eq!(case.format, Format::Elf, "{t}");
            assert_eq!(u32::from(elf.header.e_machine), case.machine, "{t}: e_machine");
            assert_eq!(elf.header.e_flags, case.flags, "{t}: e_flags {:#x}", elf.header.e_flags);
            assert_eq!(elf.header.e_ident[7], case.osabi, "{t}: EI_OSABI");
            assert_eq!(elf.header.e_type, goblin::elf::header::ET_REL, "{t}: e_type");
            assert_eq!(elf.is_64, case.bits == 64, "{t}: class");
            assert_eq!(elf.little_endian, case.endian == LE, "{t}: byte order");
            let named: Vec<_> =
                elf.section_headers.iter().filter(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".jlji")).collect();
            assert_eq!(named.len(), 1, "{t}: one .jlji");
            let sh = named[0];
            assert_eq!(sh.sh_type, goblin::elf::section_header::SHT_PROGBITS, "{t}");
            // SHF_GNU_RETAIN and nothing else: not SHF_ALLOC (FORMAT.md).
            assert_eq!(sh.sh_flags, 0x20_0000, "{t}: sh_flags");
            assert_eq!(sh.sh_addralign, 64, "{t}");
            let stack =
                elf.section_headers.iter().find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".note.GNU-stack"));
            assert_eq!(stack.map(|s| (s.sh_size, s.sh_flags)), Some((0, 0)), "{t}: .note.GNU-stack");
            (sh.sh_offset, sh.sh_size)
        }
        goblin::Object::Mach(goblin::mach::Mach::Binary(m)) => {
            assert_eq!(case.format, Format::MachO, "{t}");
            assert_eq!(m.header.cputype, case.machine, "{t}: cputype");
            assert_eq!(m.header.filetype, goblin::mach::header::MH_OBJECT, "{t}");
            assert!(m.is_64 && m.little_endian, "{t}");
            let mut found = Vec::new();
            for segment in &m.segments {
                for (section, _) in segment.sections().unwrap_or_else(|e| panic!("{t}: {e}")) {
                    if section.name().ok() == Some("__ji") && section.segname().ok() == Some("__JULIA") {
                        found.push(section);
                    }
                }
            }
            assert_eq!(found.len(), 1, "{t}: one __JULIA,__ji");
            let s = &found[0];
            // S_REGULAR | S_ATTR_NO_DEAD_STRIP, 2^6 alignment.
            assert_eq!((s.flags, s.align), (0x1000_0000, 6), "{t}: flags, align");
            (u64::from(s.offset), s.size)
        }
        goblin::Object::COFF(c) => {
            assert_eq!(case.format, Format::Coff, "{t}");
            assert_eq!(u32::from(c.header.machine), case.machine, "{t}: Machine");
            let found: Vec<_> = c.sections.iter().filter(|s| s.name().ok() == Some(".jlji")).collect();
            assert_eq!(found.len(), 1, "{t}: one .jlji");
            let s = found[0];
            // CNT_INITIALIZED_DATA | ALIGN_64BYTES | MEM_READ
            assert_eq!(s.characteristics, 0x4070_0040, "{t}: Characteristics");
            // At least the section symbol (x86 also has @feat.00).
            assert!(c.header.number_of_symbol_table >= 2, "{t}: symbols");
            (u64::from(s.pointer_to_raw_data), u64::from(s.size_of_raw_data))
        }
        _ => panic!("{t}: goblin sees neither ELF, Mach-O nor COFF"),
    }
}

/// The container's file range as the `object` crate sees it.
fn check_with_object(case: &Case, file: &[u8]) -> (u64, u64) {
    let t = case.triple;
    let parsed = object::File::parse(file).unwrap_or_else(|e| panic!("{t}: object: {e}"));
    if case.format == Format::Coff {
        // `object` calls every COFF object 32-bit; its architecture tells.
        let expected = match case.machine {
            0x8664 => object::Architecture::X86_64,
            0x014c => object::Architecture::I386,
            _ => object::Architecture::Aarch64,
        };
        assert_eq!(parsed.architecture(), expected, "{t}: object architecture");
    } else {
        assert_eq!(parsed.is_64(), case.bits == 64, "{t}: object is_64");
    }
    assert_eq!(parsed.is_little_endian(), case.endian == LE, "{t}: object endianness");
    let (name, segment) = match case.format {
        Format::MachO => ("__ji", Some("__JULIA")),
        _ => (".jlji", None),
    };
    let matches: Vec<_> = parsed
        .sections()
        .filter(|s| s.name().ok() == Some(name) && s.segment_name().ok().flatten() == segment)
        .collect();
    assert_eq!(matches.len(), 1, "{t}: object finds one container");
    matches[0].file_range().unwrap_or_else(|| panic!("{t}: object: container has no file range"))
}

#[test]
fn every_target_parses_in_goblin_and_object() {
    let data = payload(5003);
    for case in CASES {
        let t = case.triple;
        let target = Target::from_triple(t).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!((target.format(), target.bits(), target.endian()), (case.format, case.bits, case.endian), "{t}");
        let file = emit(t, &data);
        let layout = target.layout(data.len() as u64).expect("layout");
        assert_eq!(layout.size, file.len() as u64, "{t}: the payload ends the object");
        assert_eq!(layout.payload.offset % 64, 0, "{t}: payload 64-aligned");
        assert_eq!(layout.payload.offset, layout.container.offset + 64, "{t}");
        assert_eq!(layout.container.size, data.len() as u64 + 64, "{t}");

        let by_goblin = check_with_goblin(case, &file);
        let by_object = check_with_object(case, &file);
        let reported = (layout.container.offset, layout.container.size);
        assert_eq!(by_goblin, reported, "{t}: goblin's container range vs pkgimg's layout");
        assert_eq!(by_object, reported, "{t}: object's container range vs pkgimg's layout");

        // The container holds exactly frame + payload.
        let container = &file[by_object.0 as usize..][..by_object.1 as usize];
        assert_eq!(&container[..8], b"\x89JLJI\r\n\x1a", "{t}: frame magic");
        assert_eq!(&container[64..], &data[..], "{t}: payload bytes after the frame");

        let found = pkgimg::find_ji_payload(&file).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(found.data(), &data[..], "{t}");
        assert_eq!(found.offset(), layout.payload.offset, "{t}");
        assert_eq!(found.container(), layout.container, "{t}");
        assert_eq!(found.image(), target.image(), "{t}: reader and writer agree on the image");
        found.verify().unwrap_or_else(|e| panic!("{t}: {e}"));
    }
}

#[test]
fn mach_o_build_version() {
    // (triple, PLATFORM_* from loader.h, minimum OS version)
    let cases = [
        ("x86_64-apple-darwin", 1, (10, 12, 0)),
        ("x86_64-apple-darwin19", 1, (10, 15, 0)), // Darwin 19 is macOS 10.15
        ("x86_64-apple-darwin20.1.0", 1, (11, 0, 0)), // Darwin 20 is macOS 11
        ("x86_64-apple-macosx11.0", 1, (11, 0, 0)),
        ("arm64-apple-macos", 1, (11, 0, 0)),
        ("aarch64-apple-macos13.4.1", 1, (13, 4, 1)),
        ("arm64-apple-ios", 2, (10, 0, 0)),
        ("arm64-apple-ios17.0-simulator", 7, (17, 0, 0)),
        ("x86_64-apple-ios-macabi", 6, (13, 1, 0)),
        ("arm64-apple-tvos", 3, (10, 0, 0)),
        ("arm64-apple-xros", 11, (1, 0, 0)),
    ];
    for (triple, platform, (major, minor, patch)) in cases {
        let file = emit(triple, b"x");
        let parsed = object::read::macho::MachOFile64::<object::Endianness>::parse(&*file).expect(triple);
        let (command, tools) = parsed.build_version().expect(triple).expect("LC_BUILD_VERSION");
        let e = object::Endianness::Little;
        let expected = (object::macho::Platform(platform), object::macho::Version::new(major, minor, patch));
        assert_eq!((command.platform.get(e), command.minos.get(e)), expected, "{triple}");
        assert!(tools.is_empty(), "{triple}");
    }
}

#[test]
fn llvm_readobj_prints_no_warnings() {
    if !common::require_tool("llvm-readobj") {
        return;
    }
    let dir = scratch("readobj");
    let data = payload(300);
    for case in CASES {
        let path = dir.join(format!("{}.o", case.triple));
        std::fs::write(&path, emit(case.triple, &data)).expect("write object");
        let mut args = vec!["--file-headers", "--sections", "--symbols", "--section-data"];
        if case.format == Format::MachO {
            args.push("--macho-version-min");
        }
        let out = Command::new("llvm-readobj").args(&args).arg(&path).output().expect("run llvm-readobj");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{}: llvm-readobj failed: {stderr}", case.triple);
        assert!(stderr.trim().is_empty(), "{}: llvm-readobj stderr: {stderr}", case.triple);
        assert!(!stdout.to_lowercase().contains("warning"), "{}: llvm-readobj: {stdout}", case.triple);
    }
}

#[test]
fn triples_name_the_part_not_understood() {
    let triple_error = |triple: &str| match Target::from_triple(triple) {
        Err(EmitError::Triple { triple: t, part, .. }) => {
            assert_eq!(t, triple);
            let message = Target::from_triple(triple).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(triple), "{message}");
            assert!(message.contains(&part), "{message}");
            part
        }
        other => panic!("{triple}: expected a triple error, got {other:?}"),
    };
    assert_eq!(triple_error("foo-unknown-linux-gnu"), "foo");
    assert_eq!(triple_error("x86_64-unknown-plan9"), "plan9");
    assert_eq!(triple_error("x86_64-linux-gnuq"), "gnuq");
    assert_eq!(triple_error("x86_64-pc-linux-gnu-extra"), "");
    assert_eq!(triple_error("x86_64"), "");
    assert_eq!(triple_error("x86_64--linux"), "");
    assert_eq!(triple_error("x86_64-apple-macosx11.x"), "macosx11.x");
    assert_eq!(triple_error("aarch64-unknown-linux-gnux32"), "gnux32");
    assert_eq!(triple_error("mips-unknown-linux-gnuabin32"), "gnuabin32");
    assert_eq!(triple_error("x86_64-unknown-linux-simulator"), "simulator");
    assert_eq!(triple_error("x86_64-apple-macos-gnu"), "gnu");
    assert_eq!(triple_error("riscv64g+c-unknown-linux-gnu"), "riscv64g+c");
    assert_eq!(triple_error("wasm32-unknown-linux"), "wasm32");
    for unsupported in ["armv7-apple-ios", "i386-apple-macosx10.6", "arm64e-apple-macos", "arm64ec-pc-windows-msvc"] {
        match Target::from_triple(unsupported) {
            Err(e @ EmitError::Unsupported { .. }) => assert!(e.to_string().contains(unsupported), "{e}"),
            other => panic!("{unsupported}: expected Unsupported, got {other:?}"),
        }
    }
}

/// Hands out the payload a few bytes at a time, as a pipe would.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(777);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn streamed_payload_gives_the_same_object() {
    let data = payload(3 << 20);
    let crc = pkgimg::crc::crc32c(&data);
    for triple in
        ["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu", "aarch64-apple-darwin", "i686-pc-windows-msvc"]
    {
        let target = Target::from_triple(triple).unwrap();
        let mut streamed = Vec::new();
        let layout = target.write_from_reader(data.len() as u64, crc, &mut Trickle(&data), &mut streamed).unwrap();
        assert_eq!(streamed, target.to_vec(&data).unwrap(), "{triple}");
        let mut written = Vec::new();
        pkgimg::emit_object(triple, &data, &mut written).unwrap();
        assert_eq!(written, streamed, "{triple}");
        let found = pkgimg::find_ji_payload(&streamed).unwrap();
        assert_eq!((found.offset(), found.size()), (layout.payload.offset, data.len() as u64));
        found.verify().unwrap();

        let short = target.write_from_reader(data.len() as u64 + 1, crc, &mut Trickle(&data), &mut Vec::new());
        assert!(matches!(short, Err(EmitError::ShortPayload { got, .. }) if got == data.len() as u64), "{short:?}");
        let wrong = target.write_from_reader(data.len() as u64, crc ^ 1, &mut Trickle(&data), &mut Vec::new());
        assert!(
            matches!(wrong, Err(EmitError::ChecksumMismatch { expected, actual }) if expected == crc ^ 1 && actual == crc),
            "{wrong:?}"
        );
    }
}

#[test]
fn sizes_beyond_32_bit_fields_are_refused() {
    // A 32-bit ELF sh_size and COFF SizeOfRawData hold at most 2^32 - 1 bytes,
    // frame included. `layout` needs no payload bytes to tell.
    let limit = u64::from(u32::MAX) - 64;
    for triple in ["i686-unknown-linux-gnu", "x86_64-pc-windows-msvc"] {
        let target = Target::from_triple(triple).unwrap();
        assert!(target.layout(limit).is_ok(), "{triple}");
        match target.layout(limit + 1) {
            Err(e @ EmitError::TooLarge { .. }) => assert!(e.to_string().contains("too large"), "{e}"),
            other => panic!("{triple}: {other:?}"),
        }
    }
    for triple in ["x86_64-unknown-linux-gnu", "aarch64-apple-darwin"] {
        let layout = Target::from_triple(triple).unwrap().layout(1 << 40).unwrap();
        assert_eq!(layout.payload.size, 1 << 40, "{triple}");
    }
    let overflow = Target::from_triple("x86_64-unknown-linux-gnu").unwrap().layout(u64::MAX - 10);
    assert!(matches!(overflow, Err(EmitError::TooLarge { .. })), "{overflow:?}");
}

// ---------------------------------------------------------------------------
// Real linkers.

/// A directory for one test's files, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("emit_link-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

const LIB_C: &str = "int jl_answer(void) { return 42; }\n";
/// With `-nostdlib` (no CRT) a DLL needs its own entry point.
const LIB_C_WINDOWS: &str = "int jl_answer(void) { return 42; }\n\
    int __stdcall DllMainCRTStartup(void *module, unsigned reason, void *reserved)\n\
    { (void)module; (void)reason; (void)reserved; return 1; }\n";

/// Runs a link command; panics with its output unless it succeeds silently
/// (a warning about our object would be a defect).
fn link(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: cannot run linker: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: link failed:\n{stderr}");
    assert!(stderr.trim().is_empty(), "{what}: linker printed:\n{stderr}");
}

/// The linked library must carry exactly `data`, 64-aligned, CRC intact.
fn assert_payload(path: &Path, data: &[u8], target: &Target, what: &str) {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    let found = pkgimg::find_ji_payload(&file).unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    assert_eq!(found.data(), data, "{what}: payload bytes");
    found.verify().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(found.offset() % 64, 0, "{what}: payload offset {:#x} not 64-aligned", found.offset());
    let linked = match target.format() {
        Format::Coff => Format::Pe,
        other => other,
    };
    assert_eq!((found.format(), found.arch(), found.bits()), (linked, target.arch(), target.bits()), "{what}");
}

/// (triple we emit for, zig's triple for the link). Both spellings must parse
/// to the same target.
const ZIG_LINKS: &[(&str, &str)] = &[
    ("x86_64-unknown-linux-gnu", "x86_64-linux-gnu"),
    ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu"),
    ("i686-unknown-linux-gnu", "x86-linux-gnu"),
    ("armv7-unknown-linux-gnueabihf", "arm-linux-gnueabihf"),
    ("riscv64gc-unknown-linux-gnu", "riscv64-linux-gnu"),
    ("powerpc64le-unknown-linux-gnu", "powerpc64le-linux-gnu"),
    ("powerpc64-unknown-linux-gnu", "powerpc64-linux-gnu"),
    ("powerpc64-unknown-linux-musl", "powerpc64-linux-musl"),
    ("s390x-unknown-linux-gnu", "s390x-linux-gnu"),
    ("mips-unknown-linux-gnu", "mips-linux-gnueabihf"),
    ("mips64el-unknown-linux-gnuabi64", "mips64el-linux-gnuabi64"),
    ("loongarch64-unknown-linux-gnu", "loongarch64-linux-gnu"),
    ("x86_64-apple-darwin", "x86_64-macos"),
    ("aarch64-apple-darwin", "aarch64-macos"),
    ("x86_64-pc-windows-gnu", "x86_64-windows-gnu"),
    ("i686-pc-windows-gnu", "x86-windows-gnu"),
    ("aarch64-pc-windows-gnullvm", "aarch64-windows-gnu"),
];

#[test]
fn zig_links_every_corpus_target() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = scratch("zig");
    let data = payload(5003);
    std::fs::write(dir.join("lib.c"), LIB_C).unwrap();
    std::fs::write(dir.join("libw.c"), LIB_C_WINDOWS).unwrap();
    // Sequential on purpose: each link is a compiler and a linker process.
    for &(ours, zigs) in ZIG_LINKS {
        let target = Target::from_triple(ours).unwrap();
        assert_eq!(Target::from_triple(zigs).unwrap(), target, "{ours} and {zigs} are one target");
        let object = dir.join(format!("{zigs}.o"));
        std::fs::write(&object, emit(ours, &data)).unwrap();
        // Dead-code elimination on: the container must survive it.
        let (source, gc, ext) = match target.format() {
            Format::Elf => ("lib.c", "-Wl,--gc-sections", "so"),
            Format::MachO => ("lib.c", "-Wl,-dead_strip", "dylib"),
            _ => ("libw.c", "-Wl,--gc-sections", "dll"),
        };
        let output = dir.join(format!("lib-{zigs}.{ext}"));
        // -nostdlib: no libc to build per target (minutes on a cold cache); the
        // output is still a complete shared library.
        link(
            Command::new("python3")
                .args(["-m", "ziglang", "cc", "-target", zigs, "-shared", "-nostdlib", gc, "-o"])
                .arg(&output)
                .arg(dir.join(source))
                .arg(&object),
            &format!("zig cc -target {zigs}"),
        );
        assert_payload(&output, &data, &target, &format!("zig cc -target {zigs}"));
    }
}

/// Patches one byte of an emitted object.
fn patched(mut file: Vec<u8>, at: usize, value: u8) -> Vec<u8> {
    file[at] = value;
    file
}

#[test]
fn zig_dead_strip_keeps_only_a_no_dead_strip_section() {
    if !common::require(&["python3", "-m", "ziglang", "version"]) {
        return;
    }
    let dir = scratch("zig-dead-strip");
    std::fs::write(dir.join("lib.c"), LIB_C).unwrap();
    // Negative control: the same object with section flags 0 (the high byte of
    // the little-endian `flags` of section_64 at 32 + 72 + 64) is stripped, so
    // `zig_links_every_corpus_target` shows S_ATTR_NO_DEAD_STRIP at work.
    let file = emit("aarch64-apple-darwin", b"payload");
    assert_eq!(file[32 + 72 + 64 + 3], 0x10, "S_ATTR_NO_DEAD_STRIP where expected");
    std::fs::write(dir.join("strippable.o"), patched(file, 32 + 72 + 64 + 3, 0)).unwrap();
    let output = dir.join("lib.dylib");
    link(
        Command::new("python3")
            .args(["-m", "ziglang", "cc", "-target", "aarch64-macos", "-shared", "-nostdlib", "-Wl,-dead_strip", "-o"])
            .arg(&output)
            .arg(dir.join("lib.c"))
            .arg(dir.join("strippable.o")),
        "zig cc -target aarch64-macos (control)",
    );
    let linked = std::fs::read(&output).unwrap();
    assert!(
        matches!(pkgimg::find_ji_payload(&linked), Err(pkgimg::Error::NoContainer { .. })),
        "control: -dead_strip should drop a section without S_ATTR_NO_DEAD_STRIP"
    );
}

#[test]
fn gnu_ld_keeps_the_container_with_and_without_gc_sections() {
    if !common::require_tool("gcc") {
        return;
    }
    let dir = scratch("gnu-ld");
    let data = payload(5003);
    let target = Target::from_triple("x86_64-unknown-linux-gnu").unwrap();
    std::fs::write(dir.join("lib.c"), LIB_C).unwrap();
    let file = emit("x86_64-unknown-linux-gnu", &data);
    std::fs::write(dir.join("payload.o"), &file).unwrap();
    for gc in [None, Some("-Wl,--gc-sections")] {
        let output = dir.join(format!("lib{}.so", if gc.is_some() { "-gc" } else { "" }));
        let what = format!("gcc -shared {}", gc.unwrap_or(""));
        link(
            Command::new("gcc")
                .args(["-shared", "-fPIC", "-o"])
                .arg(&output)
                .arg(dir.join("lib.c"))
                .arg(dir.join("payload.o"))
                .args(gc),
            &what,
        );
        assert_payload(&output, &data, &target, &what);
    }
    // Negative control: with EI_OSABI = SYSV (byte 7), GNU ld ignores
    // SHF_GNU_RETAIN and --gc-sections drops the section — which is why the
    // writer marks objects ELFOSABI_GNU (FORMAT.md, "Writing rules").
    assert_eq!(file[7], 3, "ELFOSABI_GNU");
    std::fs::write(dir.join("sysv.o"), patched(file, 7, 0)).unwrap();
    let output = dir.join("control.so");
    link(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-Wl,--gc-sections", "-o"])
            .arg(&output)
            .arg(dir.join("lib.c"))
            .arg(dir.join("sysv.o")),
        "gcc -shared -Wl,--gc-sections (control)",
    );
    let linked = std::fs::read(&output).unwrap();
    assert!(
        matches!(pkgimg::find_ji_payload(&linked), Err(pkgimg::Error::NoContainer { .. })),
        "control: GNU ld --gc-sections should drop .jlji from an OSABI=SYSV object"
    );
}
