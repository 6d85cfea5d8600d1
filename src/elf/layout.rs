//! The ELF format as the System V gABI defines it (chapter 4, "Object
//! Files"): its constants and the field offsets of its raw structures, for
//! both classes. Like Go's `debug/elf/elf.go`, this file holds no logic; the
//! header reader (`header.rs`), the navigator, the section walk and the
//! writers all take their numbers from here.
//!
//! Offsets are `u64`, the type `read::Data` and `write::Patch` take. Every
//! structure is checked at compile time (at the end of this file) to be
//! tiled exactly by its fields in the spec's order, so a wrong offset does
//! not build.

// Without `std` there are no writers, and what only they use is unused.
#![cfg_attr(not(feature = "std"), allow(dead_code))]

// ---------------------------------------------------------------------------
// "ELF Identification": the 16 bytes of `e_ident`, the same in both classes.

/// `ELFMAG0..ELFMAG3`: the first four bytes of every ELF file.
pub(crate) const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `EI_NIDENT`: the size of `e_ident`.
pub(crate) const EI_NIDENT: u64 = 16;
/// Index of the file class (`ELFCLASS32` / `ELFCLASS64`).
pub(crate) const EI_CLASS: u64 = 4;
/// Index of the data encoding (`ELFDATA2LSB` / `ELFDATA2MSB`).
pub(crate) const EI_DATA: u64 = 5;
/// Index of the identification's version (`EV_CURRENT`).
pub(crate) const EI_VERSION: u64 = 6;
/// Index of the OS/ABI the object targets (`ELFOSABI_*`).
pub(crate) const EI_OSABI: u64 = 7;
/// Index of the version of that ABI.
pub(crate) const EI_ABIVERSION: u64 = 8;
/// Index of the first padding byte, zero up to `EI_NIDENT`.
pub(crate) const EI_PAD: u64 = 9;

pub(crate) const ELFCLASS32: u8 = 1;
pub(crate) const ELFCLASS64: u8 = 2;
/// Two's complement, least significant byte first.
pub(crate) const ELFDATA2LSB: u8 = 1;
/// Two's complement, most significant byte first.
pub(crate) const ELFDATA2MSB: u8 = 2;
/// The only version (`EI_VERSION`, and `e_version` as a word).
pub(crate) const EV_CURRENT: u8 = 1;

/// `e_type` of a relocatable object.
pub(crate) const ET_REL: u16 = 1;
/// `e_type` of an executable (not position-independent).
pub(crate) const ET_EXEC: u16 = 2;
/// `e_type` of a shared object.
pub(crate) const ET_DYN: u16 = 3;

// ---------------------------------------------------------------------------
// "Sections".

// The special indices are compared with indices already resolved through
// section 0, which can be wider than 16 bits: hence `u64`, except the two
// escapes, which only the 16-bit header fields hold.

/// `SHN_UNDEF`: no section. As `e_shstrndx`, "the file has no section name
/// string table".
pub(crate) const SHN_UNDEF: u64 = 0;
/// `SHN_LORESERVE`: the first reserved index. A count or index from here on
/// does not fit `e_shnum` / `e_shstrndx` ("Extended Section Numbering").
pub(crate) const SHN_LORESERVE: u64 = 0xff00;
/// `SHN_XINDEX`: as `e_shstrndx`, "the real index is in section 0's `sh_link`".
pub(crate) const SHN_XINDEX: u16 = 0xffff;
/// `PN_XNUM`: as `e_phnum`, "the real count is in section 0's `sh_info`".
pub(crate) const PN_XNUM: u16 = 0xffff;

pub(crate) const SHT_PROGBITS: u32 = 1;
pub(crate) const SHT_SYMTAB: u32 = 2;
pub(crate) const SHT_STRTAB: u32 = 3;
/// The SysV symbol hash table (`.hash`).
pub(crate) const SHT_HASH: u32 = 5;
/// The dynamic table (`.dynamic`).
pub(crate) const SHT_DYNAMIC: u32 = 6;
/// The dynamic symbol table (`.dynsym`).
pub(crate) const SHT_DYNSYM: u32 = 11;
/// The GNU symbol hash table (`.gnu.hash`; a GNU extension, `SHT_LOOS` range).
pub(crate) const SHT_GNU_HASH: u32 = 0x6fff_fff6;
/// A section that occupies no file bytes (`.bss`); its `sh_offset` is nominal.
pub(crate) const SHT_NOBITS: u32 = 8;

/// Writable in memory.
pub(crate) const SHF_WRITE: u64 = 0x1;
/// Occupies memory while the program runs: a loaded section.
pub(crate) const SHF_ALLOC: u64 = 0x2;

/// "Retain the section through garbage collection": a GNU extension in the
/// OS-specific flag range (`SHF_MASKOS`), honoured by GNU ld only in objects
/// whose `EI_OSABI` is GNU or FreeBSD.
pub(crate) const SHF_GNU_RETAIN: u64 = 0x20_0000;

// ---------------------------------------------------------------------------
// "Symbol Table".

/// `STB_LOCAL`: a symbol not visible outside its object.
pub(crate) const STB_LOCAL: u8 = 0;
/// `STB_GLOBAL`: visible to every object being combined.
pub(crate) const STB_GLOBAL: u8 = 1;
/// `STB_WEAK`: global, with lower precedence.
pub(crate) const STB_WEAK: u8 = 2;
/// `STB_GNU_UNIQUE`: global, and one definition per process (a GNU
/// extension in the `STB_LOOS` range).
pub(crate) const STB_GNU_UNIQUE: u8 = 10;
/// `STT_OBJECT`: a data object.
pub(crate) const STT_OBJECT: u8 = 1;
/// `STT_SECTION`: a symbol that stands for a section.
pub(crate) const STT_SECTION: u8 = 3;
/// `STT_TLS`: a thread-local object; `st_value` is an offset in the TLS
/// template, not an address.
pub(crate) const STT_TLS: u8 = 6;
/// `STV_DEFAULT` (`st_other`): visibility as the binding says.
pub(crate) const STV_DEFAULT: u8 = 0;
/// `SHN_ABS` (`st_shndx`): the value is absolute, not in any section.
pub(crate) const SHN_ABS: u64 = 0xfff1;

/// `ELF32_ST_BIND(info)` (the same in ELF64).
pub(crate) const fn st_bind(info: u8) -> u8 {
    info >> 4
}

/// `ELF32_ST_TYPE(info)` (the same in ELF64).
pub(crate) const fn st_type(info: u8) -> u8 {
    info & 0xf
}

/// `ELF32_ST_INFO(bind, type)` (the same in ELF64): binding in the high
/// nibble, type in the low one.
pub(crate) const fn st_info(bind: u8, kind: u8) -> u8 {
    bind.wrapping_shl(4) | (kind & 0xf)
}

// ---------------------------------------------------------------------------
// "Program Header" (gABI chapter 5).

/// `PT_LOAD`: a loadable segment.
pub(crate) const PT_LOAD: u32 = 1;
/// `PT_DYNAMIC`: the dynamic table.
pub(crate) const PT_DYNAMIC: u32 = 2;
/// `PT_GNU_STACK`: its `p_flags` say whether the stack must be executable.
pub(crate) const PT_GNU_STACK: u32 = 0x6474_e551;
/// `PT_GNU_RELRO`: made read-only once the loader has relocated it.
pub(crate) const PT_GNU_RELRO: u32 = 0x6474_e552;

/// Segment permissions (`p_flags`).
pub(crate) const PF_W: u32 = 0x2;
pub(crate) const PF_R: u32 = 0x4;

// ---------------------------------------------------------------------------
// "Dynamic Section" (gABI chapter 5): `d_tag` values. Tags are signed words;
// every one used here is small and positive, so they are compared as the
// unsigned word read from the file.

pub(crate) const DT_NULL: u64 = 0;
pub(crate) const DT_NEEDED: u64 = 1;
/// The global offset table's address (processor-defined use).
pub(crate) const DT_PLTGOT: u64 = 3;
/// The SysV hash table's address.
pub(crate) const DT_HASH: u64 = 4;
pub(crate) const DT_STRTAB: u64 = 5;
pub(crate) const DT_SYMTAB: u64 = 6;
pub(crate) const DT_STRSZ: u64 = 10;
pub(crate) const DT_SYMENT: u64 = 11;
pub(crate) const DT_SONAME: u64 = 14;
pub(crate) const DT_RPATH: u64 = 15;
pub(crate) const DT_RUNPATH: u64 = 29;
/// The GNU hash table's address (a GNU extension, `DT_LOOS` range).
pub(crate) const DT_GNU_HASH: u64 = 0x6fff_fef5;

/// MIPS (SYSV MIPS psABI, "Dynamic Section"; LLVM's ELF.h): the tags every
/// MIPS shared object carries. glibc's loader reads `DT_PLTGOT`,
/// `DT_MIPS_LOCAL_GOTNO`, `DT_MIPS_GOTSYM` and `DT_MIPS_SYMTABNO` without
/// checking that they exist (`elf_machine_got_rel`).
pub(crate) const DT_MIPS_RLD_VERSION: u64 = 0x7000_0001;
pub(crate) const DT_MIPS_FLAGS: u64 = 0x7000_0005;
pub(crate) const DT_MIPS_BASE_ADDRESS: u64 = 0x7000_0006;
pub(crate) const DT_MIPS_LOCAL_GOTNO: u64 = 0x7000_000a;
pub(crate) const DT_MIPS_SYMTABNO: u64 = 0x7000_0011;
pub(crate) const DT_MIPS_GOTSYM: u64 = 0x7000_0013;
/// `DT_MIPS_FLAGS`: the hash table's bucket count need not be a power of two.
pub(crate) const RHF_NOTPOT: u64 = 0x2;
/// `sh_flags` of a MIPS `.got`: addressed through the global pointer.
pub(crate) const SHF_MIPS_GPREL: u64 = 0x1000_0000;

/// The SysV hash table (gABI chapter 5, "Hash Table"): `nbucket`,
/// `nchain`, then the buckets and the chains, all `Elf_Word` (4 bytes) in
/// both classes, except on 64-bit s390 (and Alpha), whose Linux ABI makes
/// every entry 8 bytes (glibc's and musl's `Elf_Symndx`). `nchain` is the
/// number of symbols in the dynamic symbol table.
pub(crate) const HASH_NBUCKET: u64 = 0;
/// The width of a `.hash` entry on machines other than 64-bit s390.
pub(crate) const HASH_ENTRY: u64 = 4;
/// ... and on 64-bit s390.
pub(crate) const HASH_ENTRY_S390X: u64 = 8;

/// The GNU hash table's header: four `u32` (`nbuckets`, `symoffset`,
/// `bloom_size`, `bloom_shift`), then `bloom_size` Bloom filter words of
/// the class's width, `nbuckets` `u32` buckets and one `u32` chain entry per
/// symbol from `symoffset` on, whose low bit marks the end of a chain.
pub(crate) const GNU_HASH_NBUCKETS: u64 = 0;
pub(crate) const GNU_HASH_SYMOFFSET: u64 = 4;
pub(crate) const GNU_HASH_BLOOM_SIZE: u64 = 8;
pub(crate) const GNU_HASH_BLOOM_SHIFT: u64 = 12;
/// The header's size: the Bloom filter follows.
pub(crate) const GNU_HASH_HEADER: u64 = 16;
/// The width of a bucket or chain entry.
pub(crate) const GNU_HASH_ENTRY: u64 = 4;

// ---------------------------------------------------------------------------
// What the writers add: not gABI constants, but this crate's choices.

/// The page the injector puts the payload on, so that it can be `mmap`ed by
/// itself (docs/FORMAT.md, "Writing rules": 4096 for ELF).
pub(crate) const PAGE_SIZE: u64 = 4096;

/// The largest page size among the machines pkgimg writes for (64 KiB:
/// aarch64, ppc64 and MIPS kernels may use it), which the data library's
/// `PT_LOAD` segments are aligned to (`p_align`) so that they load under any
/// of them: a multiple of every smaller page.
pub(crate) const MAX_PAGE_SIZE: u64 = 0x1_0000;

// ---------------------------------------------------------------------------
// The raw structures: field offsets in `Elf32_*` and `Elf64_*`.

/// `Elf32_Ehdr` / `Elf64_Ehdr`, after the 16 bytes of `e_ident`.
#[derive(Debug)]
pub(crate) struct FileHeader {
    /// The structure's size, which `e_ehsize` holds.
    pub size: u64,
    pub e_type: u64,
    pub e_machine: u64,
    pub e_version: u64,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
    pub e_flags: u64,
    pub e_ehsize: u64,
    pub e_phentsize: u64,
    pub e_phnum: u64,
    pub e_shentsize: u64,
    pub e_shnum: u64,
    pub e_shstrndx: u64,
}

/// `Elf32_Shdr` / `Elf64_Shdr`.
#[derive(Debug)]
pub(crate) struct SectionHeader {
    /// The structure's size, the least `e_shentsize` a reader accepts.
    pub size: u64,
    pub sh_name: u64,
    pub sh_type: u64,
    pub sh_flags: u64,
    pub sh_addr: u64,
    pub sh_offset: u64,
    pub sh_size: u64,
    pub sh_link: u64,
    pub sh_info: u64,
    pub sh_addralign: u64,
    pub sh_entsize: u64,
}

/// `Elf32_Phdr` / `Elf64_Phdr` (chapter 5, "Program Header"): the classes
/// order the fields differently (`p_flags`).
#[derive(Debug)]
pub(crate) struct ProgramHeader {
    pub size: u64,
    pub p_type: u64,
    pub p_flags: u64,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

/// `Elf32_Sym` / `Elf64_Sym`: the classes order the fields differently.
#[derive(Debug)]
pub(crate) struct Symbol {
    pub size: u64,
    pub st_name: u64,
    pub st_value: u64,
    pub st_size: u64,
    pub st_info: u64,
    pub st_other: u64,
    pub st_shndx: u64,
}

/// `Elf32_Dyn` / `Elf64_Dyn` (chapter 5, "Dynamic Section"): a tag and a
/// value or address, each a word of the class.
#[derive(Debug)]
pub(crate) struct Dyn {
    pub size: u64,
    pub d_tag: u64,
    pub d_un: u64,
}

/// One ELF class: 32- and 64-bit files differ in the width of addresses,
/// offsets and some sizes (`Elf32_Addr` / `Elf64_Addr`, ...), and so in
/// where the fields after them sit.
#[derive(Debug)]
pub(crate) struct Class {
    /// Its `EI_CLASS`.
    pub ident: u8,
    /// ELFCLASS64: the word fields are 64-bit.
    pub wide: bool,
    /// The pointer width: 32 or 64.
    pub bits: u8,
    /// The size of `Elf_Addr` / `Elf_Off` (and of `sh_flags`, `sh_size`,
    /// ...: `Elf32_Word` / `Elf64_Xword`), which is also the alignment of
    /// the tables of the class (symbols, section headers).
    pub word: u64,
    pub file: FileHeader,
    pub section: SectionHeader,
    pub program: ProgramHeader,
    pub symbol: Symbol,
    pub dynamic: Dyn,
}

impl Class {
    /// The class whose words are 64-bit if `wide`.
    #[inline(always)]
    pub(crate) fn of(wide: bool) -> &'static Class {
        if wide {
            &ELF64
        } else {
            &ELF32
        }
    }
}

pub(crate) const ELF32: Class = Class {
    ident: ELFCLASS32,
    wide: false,
    bits: 32,
    word: 4,
    file: FileHeader {
        size: 52,
        e_type: 16,
        e_machine: 18,
        e_version: 20,
        e_entry: 24,
        e_phoff: 28,
        e_shoff: 32,
        e_flags: 36,
        e_ehsize: 40,
        e_phentsize: 42,
        e_phnum: 44,
        e_shentsize: 46,
        e_shnum: 48,
        e_shstrndx: 50,
    },
    section: SectionHeader {
        size: 40,
        sh_name: 0,
        sh_type: 4,
        sh_flags: 8,
        sh_addr: 12,
        sh_offset: 16,
        sh_size: 20,
        sh_link: 24,
        sh_info: 28,
        sh_addralign: 32,
        sh_entsize: 36,
    },
    program: ProgramHeader {
        size: 32,
        p_type: 0,
        p_offset: 4,
        p_vaddr: 8,
        p_paddr: 12,
        p_filesz: 16,
        p_memsz: 20,
        p_flags: 24,
        p_align: 28,
    },
    symbol: Symbol { size: 16, st_name: 0, st_value: 4, st_size: 8, st_info: 12, st_other: 13, st_shndx: 14 },
    dynamic: Dyn { size: 8, d_tag: 0, d_un: 4 },
};

pub(crate) const ELF64: Class = Class {
    ident: ELFCLASS64,
    wide: true,
    bits: 64,
    word: 8,
    file: FileHeader {
        size: 64,
        e_type: 16,
        e_machine: 18,
        e_version: 20,
        e_entry: 24,
        e_phoff: 32,
        e_shoff: 40,
        e_flags: 48,
        e_ehsize: 52,
        e_phentsize: 54,
        e_phnum: 56,
        e_shentsize: 58,
        e_shnum: 60,
        e_shstrndx: 62,
    },
    section: SectionHeader {
        size: 64,
        sh_name: 0,
        sh_type: 4,
        sh_flags: 8,
        sh_addr: 16,
        sh_offset: 24,
        sh_size: 32,
        sh_link: 40,
        sh_info: 44,
        sh_addralign: 48,
        sh_entsize: 56,
    },
    program: ProgramHeader {
        size: 56,
        p_type: 0,
        p_flags: 4,
        p_offset: 8,
        p_vaddr: 16,
        p_paddr: 24,
        p_filesz: 32,
        p_memsz: 40,
        p_align: 48,
    },
    symbol: Symbol { size: 24, st_name: 0, st_info: 4, st_other: 5, st_shndx: 6, st_value: 8, st_size: 16 },
    dynamic: Dyn { size: 16, d_tag: 0, d_un: 8 },
};

/// The leading bytes of a section header that hold `sh_name`, `sh_type`,
/// `sh_flags`, `sh_offset` and `sh_size` in either class (ELF64's `sh_size`
/// ends at 40, which is also the whole ELF32 header): a fixed-size view of
/// that many bytes reads them all after one bounds check.
pub(crate) const SECTION_HEADER_HEAD: usize = 40;

// ---------------------------------------------------------------------------
// ABI supplements: OS ABIs, machines and processor flags (`e_flags`). The
// writers' ABI policy in `src/emit/abi.rs` and `Arch::from_elf` in
// `src/arch.rs` use these. (`EM_SPARC` and the like are used only by the
// writers, which need `std`.)
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) mod abi {
    /// `EI_OSABI` values (gABI, "ELF Identification").
    pub(crate) const ELFOSABI_NONE: u8 = 0;
    pub(crate) const ELFOSABI_GNU: u8 = 3;
    pub(crate) const ELFOSABI_FREEBSD: u8 = 9;
    /// Arm EABI objects (ARM IHI 0044), which glibc on Arm also takes.
    pub(crate) const ELFOSABI_ARM_AEABI: u8 = 64;

    /// `e_machine` values (gABI, "ELF Header", and the processor supplements).
    pub(crate) const EM_SPARC: u16 = 2;
    pub(crate) const EM_386: u16 = 3;
    pub(crate) const EM_MIPS: u16 = 8;
    pub(crate) const EM_MIPS_RS3_LE: u16 = 10;
    pub(crate) const EM_PPC: u16 = 20;
    pub(crate) const EM_PPC64: u16 = 21;
    pub(crate) const EM_S390: u16 = 22;
    pub(crate) const EM_ARM: u16 = 40;
    pub(crate) const EM_SPARCV9: u16 = 43;
    pub(crate) const EM_X86_64: u16 = 62;
    pub(crate) const EM_AARCH64: u16 = 183;
    pub(crate) const EM_RISCV: u16 = 243;
    pub(crate) const EM_LOONGARCH: u16 = 258;

    /// ARM (ARM IHI 0044 "ELF for the Arm Architecture", "ELF header"):
    /// EABI version 5 and the float calling convention.
    pub(crate) const EF_ARM_EABI_VER5: u32 = 0x0500_0000;
    pub(crate) const EF_ARM_EABIMASK: u32 = 0xff00_0000;
    pub(crate) const EF_ARM_ABI_FLOAT_SOFT: u32 = 0x200;
    pub(crate) const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;

    /// RISC-V (RISC-V ELF psABI, "File Header").
    pub(crate) const EF_RISCV_RVC: u32 = 0x1;
    pub(crate) const EF_RISCV_FLOAT_ABI_SINGLE: u32 = 0x2;
    pub(crate) const EF_RISCV_FLOAT_ABI_DOUBLE: u32 = 0x4;
    pub(crate) const EF_RISCV_RVE: u32 = 0x8;
    pub(crate) const EF_RISCV_FLOAT_ABI: u32 = 0x6;

    /// PowerPC64 (64-bit ELF V2 ABI, "ELF Header"): `e_flags & 3` is the ABI
    /// version; 0 means unspecified.
    pub(crate) const EF_PPC64_ABI_V2: u32 = 2;
    pub(crate) const EF_PPC64_ABI_V1: u32 = 1;
    pub(crate) const EF_PPC64_ABI: u32 = 3;

    /// SPARC V9 memory model (SPARC Compliance Definition 2.4,
    /// `EF_SPARCV9_MM`): relaxed memory order.
    pub(crate) const EF_SPARCV9_RMO: u32 = 2;

    /// MIPS (SYSV MIPS psABI; names as in LLVM's ELF.h).
    pub(crate) const EF_MIPS_PIC: u32 = 0x2;
    pub(crate) const EF_MIPS_CPIC: u32 = 0x4;
    pub(crate) const EF_MIPS_ABI2: u32 = 0x20;
    pub(crate) const EF_MIPS_NAN2008: u32 = 0x400;
    /// The old O32 FP64 ABI, which Linux never supports.
    pub(crate) const EF_MIPS_FP64: u32 = 0x200;
    pub(crate) const EF_MIPS_ABI_O32: u32 = 0x1000;
    pub(crate) const EF_MIPS_ARCH_32: u32 = 0x5000_0000;
    pub(crate) const EF_MIPS_ARCH_64: u32 = 0x6000_0000;
    pub(crate) const EF_MIPS_ARCH_32R6: u32 = 0x9000_0000;
    pub(crate) const EF_MIPS_ARCH_64R6: u32 = 0xa000_0000;

    /// LoongArch (LoongArch ELF psABI, "e_flags"): the float ABI modifier
    /// (`EF_LOONGARCH_ABI_MODIFIER_MASK`) and object ABI version 1.
    pub(crate) const EF_LOONGARCH_ABI_SOFT_FLOAT: u32 = 0x1;
    pub(crate) const EF_LOONGARCH_ABI_SINGLE_FLOAT: u32 = 0x2;
    pub(crate) const EF_LOONGARCH_ABI_DOUBLE_FLOAT: u32 = 0x3;
    pub(crate) const EF_LOONGARCH_OBJABI_V1: u32 = 0x40;
}

// ---------------------------------------------------------------------------
// Compile-time checks: each structure is exactly its fields, in the order
// the spec declares them, each as wide as its type.

/// `unsigned char`.
const CHAR: u64 = 1;
/// `Elf_Half`.
const HALF: u64 = 2;
/// `Elf_Word`.
const WORD: u64 = 4;

/// Whether `fields` (offset, width), in order, follow each other from
/// `start` without gap or overlap and end at `size`.
const fn tiles(start: u64, fields: &[(u64, u64)], size: u64) -> bool {
    match fields {
        [] => start == size,
        [(offset, width), rest @ ..] => match start.checked_add(*width) {
            Some(end) => *offset == start && tiles(end, rest, size),
            None => false,
        },
    }
}

/// The five structures of `c` against their declarations in the gABI;
/// `w` is the width of `Elf_Addr`, `Elf_Off` (and `Elf64_Xword`).
const fn declared(c: &Class) -> bool {
    let (f, s, p, y, d, w) = (&c.file, &c.section, &c.program, &c.symbol, &c.dynamic, c.word);
    #[rustfmt::skip]
    let file = [
        (0, EI_NIDENT), (f.e_type, HALF), (f.e_machine, HALF), (f.e_version, WORD), (f.e_entry, w),
        (f.e_phoff, w), (f.e_shoff, w), (f.e_flags, WORD), (f.e_ehsize, HALF), (f.e_phentsize, HALF),
        (f.e_phnum, HALF), (f.e_shentsize, HALF), (f.e_shnum, HALF), (f.e_shstrndx, HALF),
    ];
    #[rustfmt::skip]
    let section = [
        (s.sh_name, WORD), (s.sh_type, WORD), (s.sh_flags, w), (s.sh_addr, w), (s.sh_offset, w),
        (s.sh_size, w), (s.sh_link, WORD), (s.sh_info, WORD), (s.sh_addralign, w), (s.sh_entsize, w),
    ];
    #[rustfmt::skip]
    let (program, symbol) = if c.wide {
        (
            [(p.p_type, WORD), (p.p_flags, WORD), (p.p_offset, w), (p.p_vaddr, w), (p.p_paddr, w),
             (p.p_filesz, w), (p.p_memsz, w), (p.p_align, w)],
            [(y.st_name, WORD), (y.st_info, CHAR), (y.st_other, CHAR), (y.st_shndx, HALF), (y.st_value, w),
             (y.st_size, w)],
        )
    } else {
        (
            [(p.p_type, WORD), (p.p_offset, w), (p.p_vaddr, w), (p.p_paddr, w), (p.p_filesz, w),
             (p.p_memsz, w), (p.p_flags, WORD), (p.p_align, w)],
            [(y.st_name, WORD), (y.st_value, w), (y.st_size, w), (y.st_info, CHAR), (y.st_other, CHAR),
             (y.st_shndx, HALF)],
        )
    };
    let dynamic = [(d.d_tag, w), (d.d_un, w)];
    tiles(0, &file, f.size)
        && tiles(0, &section, s.size)
        && tiles(0, &program, p.size)
        && tiles(0, &symbol, y.size)
        && tiles(0, &dynamic, d.size)
}

const _: () = assert!(declared(&ELF32) && declared(&ELF64));
const _: () = assert!(ELF32.word == WORD && ELF64.word == 8 && ELF32.bits == 32 && ELF64.bits == 64);
// The navigator tests a raw header's name with `read::first_u32`, and the
// symbol walk a raw symbol's name, the segment walk a raw `p_type`.
const _: () = assert!(ELF32.section.sh_name == 0 && ELF64.section.sh_name == 0);
const _: () = assert!(ELF32.symbol.st_name == 0 && ELF64.symbol.st_name == 0);
const _: () = assert!(ELF32.program.p_type == 0 && ELF64.program.p_type == 0);
// The hash tables' headers: two entries (SysV), four u32 (GNU).
const _: () = assert!(GNU_HASH_BLOOM_SHIFT + GNU_HASH_ENTRY == GNU_HASH_HEADER && HASH_NBUCKET == 0);
const _: () = assert!(MAX_PAGE_SIZE % PAGE_SIZE == 0 && MAX_PAGE_SIZE.is_power_of_two());
// SECTION_HEADER_HEAD ends with ELF64's sh_size and is ELF32's whole header.
const _: () = assert!(ELF64.section.sh_size + ELF64.word == SECTION_HEADER_HEAD as u64);
const _: () = assert!(ELF32.section.size == SECTION_HEADER_HEAD as u64);
