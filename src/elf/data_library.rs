//! Writes an ELF data library: a loadable shared object (`ET_DYN`) with no
//! code, written directly (no linker), that exports one data symbol pointing
//! at the 32-byte [`DataRecord`] and carries the container (`.jlji`: the frame,
//! then the payload). Code caches link against it, so it becomes their
//! `DT_NEEDED` dependency (docs/FORMAT.md, "Data libraries"). Every offset
//! and constant comes from [`super::layout`]; the bytes depend only on the
//! header and the spec.
//!
//! ```text
//! offset = address (read-only PT_LOAD)                 writable PT_LOAD: address = offset + 64 KiB·k
//! ELF header | program headers (5) | .hash | .dynsym | .dynstr | .rodata (record) | .dynamic [| .got]
//! | .shstrtab | section headers | zeros | .jlji: frame | payload
//!                                          ^ page − 64  ^ page (4096·n)
//! ```
//!
//! - **Two `PT_LOAD` segments.** Everything the loader reads is in one
//!   read-only segment, except `.dynamic`, which has a writable one of its
//!   own: glibc before 2.35 adds the load address to the address entries of
//!   every DSO's `.dynamic` in place (`elf_get_dynamic_info`, except on
//!   MIPS and RISC-V), and faults if they are read-only (glibc BZ #28340,
//!   fixed by `l_ld_readonly` in 2.35); Julia supports glibc 2.17. The
//!   segment maps `.dynamic`'s file page again, at an address one maximum
//!   page (64 KiB) higher, as GNU ld places a data segment. Its memory
//!   extends to the next 64 KiB boundary (zero-filled) and `PT_GNU_RELRO`
//!   covers it, so that the loader, which protects only whole pages, makes
//!   `.dynamic` read-only again once it has relocated it. `PT_GNU_STACK`
//!   asks for a non-executable stack.
//! - **`DT_HASH` (SysV), not `DT_GNU_HASH`**: every loader reads the SysV
//!   table (glibc, musl, bionic, the BSDs' rtld, and illumos' ld.so.1, which
//!   knows no other), its `nchain` gives tools the symbol count, and for one
//!   symbol the GNU table's Bloom filter saves nothing. Except on 64-bit
//!   s390: its Linux ABI makes `.hash` entries 8 bytes (glibc's and musl's
//!   `Elf_Symndx`), while lld and llvm-readobj read 4, so there the table is
//!   `DT_GNU_HASH`, whose layout is the same on every machine and which
//!   glibc and musl read there.
//! - **The container is not allocated** (`.jlji` has no `SHF_ALLOC`, and no
//!   segment covers it): loading the library never maps the payload. The
//!   payload starts on a page (4096, FORMAT.md "Writing rules"), the frame in
//!   the 64 bytes before it, as `inject` places them; the file minus the
//!   payload is one page unless the names are long. On a kernel with larger
//!   pages (64 KiB on some aarch64 and ppc64 systems) the headers' page also
//!   spans the payload's first bytes, which are then mapped but never read.
//! - **Section headers** as a linker writes them, because linkers (GNU ld,
//!   lld) read a shared library's symbols through `SHT_DYNSYM`, and bionic
//!   checks `.dynamic`'s `sh_link`.
//! - **MIPS** shared objects carry a GOT and `DT_PLTGOT`, `DT_MIPS_*` tags:
//!   glibc's MIPS loader reads them without checking they exist, and without
//!   them segfaults loading the library (checked under qemu-mips64el). The
//!   GOT has its two reserved entries only (`DT_MIPS_LOCAL_GOTNO` 2,
//!   `DT_MIPS_GOTSYM` = `DT_MIPS_SYMTABNO` = 2), in the writable segment,
//!   since the loader writes them.

// Writers build headers in a Vec and write through std::io (see crate::emit).
#![cfg(feature = "std")]

use std::io::{self, Read, Write};

use super::emit::{add_name, identification, misplaced, structure, ElfHeader, Section};
use super::layout::{
    abi::{EM_MIPS, EM_S390},
    st_info, Class, DT_GNU_HASH, DT_HASH, DT_MIPS_BASE_ADDRESS, DT_MIPS_FLAGS, DT_MIPS_GOTSYM, DT_MIPS_LOCAL_GOTNO,
    DT_MIPS_RLD_VERSION, DT_MIPS_SYMTABNO, DT_NULL, DT_PLTGOT, DT_SONAME, DT_STRSZ, DT_STRTAB, DT_SYMENT, DT_SYMTAB,
    ET_DYN, GNU_HASH_HEADER, HASH_ENTRY, MAX_PAGE_SIZE, PAGE_SIZE, PF_R, PF_W, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK,
    PT_LOAD, RHF_NOTPOT, SHF_ALLOC, SHF_MIPS_GPREL, SHF_WRITE, SHT_DYNAMIC, SHT_DYNSYM, SHT_GNU_HASH, SHT_HASH,
    SHT_PROGBITS, SHT_STRTAB, STB_GLOBAL, STT_OBJECT, STV_DEFAULT,
};
use crate::frame::{self, Frame, CONTAINER_ALIGN};
use crate::record::{self, DataRecord};
use crate::write::data_library::{DataLibraryLayout, DataLibrarySpec};
use crate::write::error::EmitError;
use crate::write::{aligned, Patch};
use crate::{Endian, FileRange, Format};

/// Section indices, in header table order (`.hash` is 1; `.jlji` and
/// `.shstrtab` follow `.dynamic`, and MIPS's `.got`).
const DYNSYM: u16 = 2;
const DYNSTR: u16 = 3;
const RODATA: u16 = 4;
/// Program headers: two `PT_LOAD`, `PT_DYNAMIC`, `PT_GNU_RELRO`, `PT_GNU_STACK`.
const SEGMENTS: u16 = 5;
/// Dynamic symbols: the null symbol, then the record's.
const SYMBOLS: u64 = 2;
/// The MIPS GOT's entries: the two the psABI reserves (the lazy resolver's
/// and the module pointer's), both local; no symbol has a global entry.
const GOT_ENTRIES: u64 = 2;
/// The frame's size, which is also its `payload_offset`: the payload follows it.
const FRAME: u64 = frame::SIZE as u64;
const RECORD: u64 = record::SIZE as u64;
/// The record's alignment: it holds a `uint64_t`.
const RECORD_ALIGN: u64 = 8;
/// The GNU hash table's Bloom filter shift (any value below the word's bits
/// works for one symbol; 6 is BFD's).
const BLOOM_SHIFT: u32 = 6;

/// Writes the data library for `spec` to `out`, streaming exactly
/// `spec.payload_size` bytes from `payload`, and returns where things are.
/// A reader that ends early is [`EmitError::ShortPayload`], bytes whose
/// CRC-32C is not `spec.payload_crc32c` [`EmitError::ChecksumMismatch`]; the
/// bytes already written are then an unusable file.
pub(crate) fn write(
    header: &ElfHeader,
    spec: &DataLibrarySpec<'_>,
    payload: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<DataLibraryLayout, EmitError> {
    let (head, layout) = head(header, spec)?;
    out.write_all(&head)?;
    out.write_all(&Frame::new(FRAME, spec.payload_size, spec.payload_crc32c).to_bytes())?;
    let mut sink = CrcWriter { inner: out, crc: 0 };
    let got = io::copy(&mut payload.take(spec.payload_size), &mut sink)?;
    if got != spec.payload_size {
        return Err(EmitError::ShortPayload { expected: spec.payload_size, got });
    }
    if sink.crc != spec.payload_crc32c {
        return Err(EmitError::ChecksumMismatch { expected: spec.payload_crc32c, actual: sink.crc });
    }
    Ok(layout)
}

/// What differs between targets: the symbol hash table (see the module
/// docs), and MIPS's GOT and dynamic tags.
#[derive(Clone, Copy)]
struct Variant {
    gnu_hash: bool,
    mips: bool,
}

impl Variant {
    fn of(h: &ElfHeader) -> Variant {
        Variant { gnu_hash: h.machine == EM_S390 && h.wide, mips: h.machine == EM_MIPS }
    }

    /// How many section headers: with `.got` on MIPS.
    fn sections(self) -> u16 {
        8u16.saturating_add(self.mips.into())
    }

    /// How many dynamic entries: `DT_SONAME`, the hash table, `DT_STRTAB`,
    /// `DT_SYMTAB`, `DT_STRSZ`, `DT_SYMENT`, `DT_NULL`; on MIPS also
    /// `DT_PLTGOT` and six `DT_MIPS_*`.
    fn dynamic_entries(self) -> u64 {
        if self.mips {
            14
        } else {
            7
        }
    }
}

/// The string tables, and where each name is in them.
struct Strings {
    dynstr: Vec<u8>,
    soname: u64,
    symbol: u64,
    shstrtab: Vec<u8>,
    /// `sh_name` of each section, in header table order (0 for the null section).
    names: Vec<u32>,
}

impl Strings {
    fn new(spec: &DataLibrarySpec<'_>, variant: Variant) -> Result<Strings, EmitError> {
        for (what, name) in [("DT_SONAME", spec.name), ("dynamic symbol name", spec.symbol)] {
            if name.is_empty() || name.contains('\0') {
                let reason =
                    format!("{what} {name:?}: a data library's name and symbol must be non-empty and hold no NUL byte");
                return Err(EmitError::BadRequest { format: crate::Format::Elf, reason });
            }
        }
        let mut dynstr = vec![0u8];
        let soname = add_name(&mut dynstr, spec.name.as_bytes()).into();
        let symbol = add_name(&mut dynstr, spec.symbol.as_bytes()).into();
        let mut shstrtab = vec![0u8];
        let hash: &[u8] = if variant.gnu_hash { b".gnu.hash" } else { b".hash" };
        let got: &[&[u8]] = if variant.mips { &[b".got"] } else { &[] };
        let names_in_order =
            [&[hash, b".dynsym", b".dynstr", b".rodata", b".dynamic"][..], got, &[b".jlji", b".shstrtab"]];
        let mut names = vec![0];
        names.extend(names_in_order.concat().iter().map(|name| add_name(&mut shstrtab, name)));
        Ok(Strings { dynstr, soname, symbol, shstrtab, names })
    }

    /// `sh_name` of section `index`.
    fn name(&self, index: usize) -> u32 {
        self.names.get(index).copied().unwrap_or(0)
    }
}

/// Where everything goes: file offsets (which are also the addresses in the
/// read-only segment) and the writable segment's addresses.
struct Places {
    phoff: u64,
    hash: u64,
    hash_size: u64,
    dynsym: u64,
    dynstr: u64,
    record: u64,
    /// The end of the read-only segment.
    load_end: u64,
    dynamic: u64,
    dynamic_size: u64,
    /// The MIPS GOT, after `.dynamic` (`got_size` 0 elsewhere).
    got: u64,
    got_size: u64,
    /// The writable segment's address minus its offset: a multiple of the
    /// maximum page, at least the read-only segment's size.
    shift: u64,
    /// Where the writable segment's memory (and `PT_GNU_RELRO`) ends: a
    /// multiple of the maximum page.
    relro_end: u64,
    shstrtab: u64,
    shoff: u64,
    frame: u64,
    payload: u64,
    size: u64,
}

impl Places {
    fn new(class: &Class, variant: Variant, strings: &Strings, payload_size: u64) -> Result<Places, EmitError> {
        let at = |field, value, align| aligned(Format::Elf, field, value, align).map_err(EmitError::from);
        let sum = |field, a: u64, b: u64| a.checked_add(b).ok_or(misplaced(field, a));
        let phoff = class.file.size;
        let phdrs = class.program.size.saturating_mul(SEGMENTS.into());
        let (hash_align, hash_size) = match variant.gnu_hash {
            false => (HASH_ENTRY, HASH_ENTRY.saturating_mul(5)),
            true => (class.word, GNU_HASH_HEADER.saturating_add(class.word).saturating_add(8)),
        };
        let hash = at(".hash", phoff.saturating_add(phdrs), hash_align)?;
        let dynsym = at(".dynsym", hash.saturating_add(hash_size), class.word)?;
        let dynstr = dynsym.saturating_add(class.symbol.size.saturating_mul(SYMBOLS));
        let record = at(".rodata", sum(".dynstr", dynstr, strings.dynstr.len() as u64)?, RECORD_ALIGN)?;
        let load_end = record.saturating_add(RECORD);
        let dynamic = at(".dynamic", load_end, class.word)?;
        let dynamic_size = class.dynamic.size.saturating_mul(variant.dynamic_entries());
        let got = dynamic.saturating_add(dynamic_size);
        let got_size = if variant.mips { class.word.saturating_mul(GOT_ENTRIES) } else { 0 };
        let shift = at("PT_LOAD address", dynamic, MAX_PAGE_SIZE)?;
        let data_end = sum("PT_LOAD address", got.saturating_add(got_size), shift)?;
        let relro_end = at("PT_GNU_RELRO", data_end, MAX_PAGE_SIZE)?;
        let shstrtab = got.saturating_add(got_size);
        let shoff = at("e_shoff", sum(".shstrtab", shstrtab, strings.shstrtab.len() as u64)?, class.word)?;
        let headers_end = shoff.saturating_add(class.section.size.saturating_mul(variant.sections().into()));
        // The payload on the first page after the headers and the frame.
        let payload = at(".jlji", headers_end.saturating_add(FRAME), PAGE_SIZE)?;
        let too_large =
            |limit| EmitError::TooLarge { format: Format::Elf, field: "file size", value: payload_size, limit };
        let size = payload.checked_add(payload_size).ok_or(too_large(u64::MAX.saturating_sub(payload)))?;
        let frame = payload.saturating_sub(FRAME);
        #[rustfmt::skip]
        let places = Places {
            phoff, hash, hash_size, dynsym, dynstr, record, load_end, dynamic, dynamic_size, got, got_size,
            shift, relro_end, shstrtab, shoff, frame, payload, size,
        };
        Ok(places)
    }

    /// The address of the writable segment's byte at file offset `offset`.
    fn data_addr(&self, offset: u64) -> u64 {
        offset.saturating_add(self.shift)
    }
}

/// The bytes before the frame, and the layout.
fn head(h: &ElfHeader, spec: &DataLibrarySpec<'_>) -> Result<(Vec<u8>, DataLibraryLayout), EmitError> {
    let (class, variant) = (Class::of(h.wide), Variant::of(h));
    let strings = Strings::new(spec, variant)?;
    let at = Places::new(class, variant, &strings, spec.payload_size)?;
    let mut head = vec![0u8; usize::try_from(at.frame).map_err(|_| misplaced(".jlji", at.frame))?];

    file_header(&mut structure(&mut head, h, "ELF header", 0, class.file.size)?, h, variant, &at)?;
    for (index, segment) in (0u64..).zip(segments(class, &at)) {
        let offset = class.program.size.saturating_mul(index).saturating_add(at.phoff);
        segment.write(&mut structure(&mut head, h, "program header", offset, class.program.size)?, class)?;
    }
    tables(&mut head, h, variant, spec, &strings, &at)?;
    let names_size = strings.shstrtab.len() as u64;
    structure(&mut head, h, ".shstrtab", at.shstrtab, names_size)?.raw(".shstrtab", 0, &strings.shstrtab)?;
    for (index, section) in (0u64..).zip(sections(class, variant, &strings, &at, spec.payload_size)) {
        let offset = class.section.size.saturating_mul(index).saturating_add(at.shoff);
        section.write(&mut structure(&mut head, h, "section header", offset, class.section.size)?, class)?;
    }
    let layout = DataLibraryLayout {
        container: FileRange { offset: at.frame, size: FRAME.saturating_add(spec.payload_size) },
        payload: FileRange { offset: at.payload, size: spec.payload_size },
        record: FileRange { offset: at.record, size: RECORD },
        size: at.size,
    };
    Ok((head, layout))
}

/// What the loader reads: the hash table, `.dynsym`, `.dynstr`, the record,
/// `.dynamic` and, on MIPS, the GOT.
fn tables(
    head: &mut [u8],
    h: &ElfHeader,
    variant: Variant,
    spec: &DataLibrarySpec<'_>,
    strings: &Strings,
    at: &Places,
) -> Result<(), EmitError> {
    let (class, endian) = (Class::of(h.wide), Endian::big_if(h.big));
    let table = hash_table(variant, class, spec.symbol.as_bytes(), endian);
    structure(head, h, ".hash", at.hash, at.hash_size)?.raw(".hash", 0, &table)?;
    // .dynsym: the null symbol (zeros), then the record's symbol.
    let symbol_at = at.dynsym.saturating_add(class.symbol.size);
    let mut symbol = structure(head, h, "symbol", symbol_at, class.symbol.size)?;
    let y = &class.symbol;
    symbol.u32("st_name", y.st_name, strings.symbol)?;
    symbol.word("st_value", y.st_value, at.record)?;
    symbol.word("st_size", y.st_size, RECORD)?;
    symbol.raw("st_info", y.st_info, &[st_info(STB_GLOBAL, STT_OBJECT)])?;
    symbol.raw("st_other", y.st_other, &[STV_DEFAULT])?;
    symbol.u16("st_shndx", y.st_shndx, RODATA.into())?;
    let dynstr_size = strings.dynstr.len() as u64;
    structure(head, h, ".dynstr", at.dynstr, dynstr_size)?.raw(".dynstr", 0, &strings.dynstr)?;
    let record = DataRecord::new(spec.payload_size, spec.payload_crc32c).to_bytes(endian);
    structure(head, h, ".rodata", at.record, RECORD)?.raw("data record", 0, &record)?;
    let hash_tag = if variant.gnu_hash { DT_GNU_HASH } else { DT_HASH };
    let mut entries = vec![
        (DT_SONAME, strings.soname),
        (hash_tag, at.hash),
        (DT_STRTAB, at.dynstr),
        (DT_SYMTAB, at.dynsym),
        (DT_STRSZ, dynstr_size),
        (DT_SYMENT, class.symbol.size),
    ];
    if variant.mips {
        // Every symbol is below DT_MIPS_GOTSYM (= the symbol count): none
        // has a global GOT entry; the two reserved entries are local.
        entries.extend([
            (DT_PLTGOT, at.data_addr(at.got)),
            (DT_MIPS_RLD_VERSION, 1),
            (DT_MIPS_FLAGS, RHF_NOTPOT),
            (DT_MIPS_BASE_ADDRESS, 0),
            (DT_MIPS_LOCAL_GOTNO, GOT_ENTRIES),
            (DT_MIPS_SYMTABNO, SYMBOLS),
            (DT_MIPS_GOTSYM, SYMBOLS),
        ]);
        // GOT[1]'s top bit marks an object from a GNU-compatible linker,
        // whose GOT[1] the loader may use (glibc `ELF_MIPS_GNU_GOT1_MASK`).
        let mark = 1u64.wrapping_shl(u32::from(class.bits).saturating_sub(1));
        structure(head, h, ".got", at.got, at.got_size)?.word("GOT[1]", class.word, mark)?;
    }
    entries.push((DT_NULL, 0));
    let mut dynamic = structure(head, h, ".dynamic", at.dynamic, at.dynamic_size)?;
    for (index, (tag, value)) in (0u64..).zip(entries) {
        let entry = class.dynamic.size.saturating_mul(index);
        dynamic.word("d_tag", entry.saturating_add(class.dynamic.d_tag), tag)?;
        dynamic.word("d_un", entry.saturating_add(class.dynamic.d_un), value)?;
    }
    Ok(())
}

/// The ELF header (gABI, "ELF Header").
fn file_header(b: &mut Patch<'_>, h: &ElfHeader, variant: Variant, at: &Places) -> Result<(), EmitError> {
    let class = Class::of(h.wide);
    let f = &class.file;
    identification(b, h, class, ET_DYN)?;
    b.word("e_phoff", f.e_phoff, at.phoff)?;
    b.word("e_shoff", f.e_shoff, at.shoff)?;
    b.u16("e_phentsize", f.e_phentsize, class.program.size)?;
    b.u16("e_phnum", f.e_phnum, SEGMENTS.into())?;
    b.u16("e_shentsize", f.e_shentsize, class.section.size)?;
    b.u16("e_shnum", f.e_shnum, variant.sections().into())?;
    // The name table is the last section.
    b.u16("e_shstrndx", f.e_shstrndx, variant.sections().saturating_sub(1).into())?;
    Ok(())
}

/// One program header (`Elf32_Phdr` / `Elf64_Phdr`); `p_paddr` = `p_vaddr`.
#[derive(Clone, Copy, Default)]
struct Segment {
    kind: u32,
    flags: u32,
    offset: u64,
    addr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

impl Segment {
    fn write(&self, b: &mut Patch<'_>, class: &Class) -> Result<(), EmitError> {
        let at = &class.program;
        b.u32("p_type", at.p_type, self.kind.into())?;
        b.u32("p_flags", at.p_flags, self.flags.into())?;
        b.word("p_offset", at.p_offset, self.offset)?;
        b.word("p_vaddr", at.p_vaddr, self.addr)?;
        b.word("p_paddr", at.p_paddr, self.addr)?;
        b.word("p_filesz", at.p_filesz, self.filesz)?;
        b.word("p_memsz", at.p_memsz, self.memsz)?;
        b.word("p_align", at.p_align, self.align)?;
        Ok(())
    }
}

/// The program headers, `PT_LOAD`s first, by address (gABI).
fn segments(class: &Class, at: &Places) -> [Segment; SEGMENTS as usize] {
    let text = Segment {
        kind: PT_LOAD,
        flags: PF_R,
        filesz: at.load_end,
        memsz: at.load_end,
        align: MAX_PAGE_SIZE,
        ..Segment::default()
    };
    let dynamic = Segment {
        kind: PT_DYNAMIC,
        flags: PF_R | PF_W,
        offset: at.dynamic,
        addr: at.data_addr(at.dynamic),
        filesz: at.dynamic_size,
        memsz: at.dynamic_size,
        align: class.word,
    };
    // .dynamic and the GOT; in memory, zeros up to the next maximum page.
    let filesz = at.dynamic_size.saturating_add(at.got_size);
    let memsz = at.relro_end.saturating_sub(dynamic.addr);
    let data = Segment { kind: PT_LOAD, filesz, memsz, align: MAX_PAGE_SIZE, ..dynamic };
    let relro = Segment { kind: PT_GNU_RELRO, flags: PF_R, filesz, memsz, align: 1, ..dynamic };
    let stack = Segment { kind: PT_GNU_STACK, flags: PF_R | PF_W, ..Segment::default() };
    [text, data, dynamic, relro, stack]
}

/// The section headers, in index order.
fn sections(class: &Class, variant: Variant, s: &Strings, at: &Places, payload_size: u64) -> Vec<Section> {
    let alloc = |name, kind, offset, size, align| Section {
        name: s.name(name),
        kind,
        flags: SHF_ALLOC,
        addr: offset,
        offset,
        size,
        align,
        ..Section::default()
    };
    let (kind, entsize, align) = match variant.gnu_hash {
        false => (SHT_HASH, HASH_ENTRY, HASH_ENTRY),
        true => (SHT_GNU_HASH, 0, class.word),
    };
    let hash = Section { link: DYNSYM.into(), entsize, ..alloc(1, kind, at.hash, at.hash_size, align) };
    let symbols_size = class.symbol.size.saturating_mul(SYMBOLS);
    // sh_info of a symbol table: one past the last local symbol (the null one).
    let dynsym = Section {
        link: DYNSTR.into(),
        info: 1,
        entsize: class.symbol.size,
        ..alloc(2, SHT_DYNSYM, at.dynsym, symbols_size, class.word)
    };
    let dynstr = alloc(3, SHT_STRTAB, at.dynstr, s.dynstr.len() as u64, 1);
    let rodata = alloc(4, SHT_PROGBITS, at.record, RECORD, RECORD_ALIGN);
    let data = |name, kind, offset, size| Section {
        flags: SHF_ALLOC | SHF_WRITE,
        addr: at.data_addr(offset),
        ..alloc(name, kind, offset, size, class.word)
    };
    let dynamic = Section {
        link: DYNSTR.into(),
        entsize: class.dynamic.size,
        ..data(5, SHT_DYNAMIC, at.dynamic, at.dynamic_size)
    };
    let mut sections = vec![Section::default(), hash, dynsym, dynstr, rodata, dynamic];
    if variant.mips {
        let got = data(6, SHT_PROGBITS, at.got, at.got_size);
        sections.push(Section { flags: got.flags | SHF_MIPS_GPREL, entsize: class.word, ..got });
    }
    let next = sections.len();
    // Not SHF_ALLOC: the loader never maps the container (FORMAT.md).
    let size = FRAME.saturating_add(payload_size);
    sections.push(Section {
        name: s.name(next),
        kind: SHT_PROGBITS,
        offset: at.frame,
        size,
        align: CONTAINER_ALIGN,
        ..Section::default()
    });
    let names_size = s.shstrtab.len() as u64;
    let shstrtab = Section { kind: SHT_STRTAB, offset: at.shstrtab, size: names_size, align: 1, ..Section::default() };
    sections.push(Section { name: s.name(next.saturating_add(1)), ..shstrtab });
    sections
}

/// The hash table's bytes for the one symbol (index 1) named `symbol`.
fn hash_table(variant: Variant, class: &Class, symbol: &[u8], endian: Endian) -> Vec<u8> {
    if !variant.gnu_hash {
        // nbucket 1, nchain 2; bucket 0 starts at symbol 1; both chains end.
        return [1u32, 2, 1, 0, 0].iter().flat_map(|&v| endian.u32_bytes(v)).collect();
    }
    // nbuckets 1, symoffset 1, one Bloom word; bucket 0 starts at symbol 1,
    // whose chain entry (its hash, low bit set) ends the chain.
    let h = symbol.iter().fold(5381u32, |h, &c| h.wrapping_mul(33).wrapping_add(u32::from(c)));
    let mut table: Vec<u8> = [1u32, 1, 1, BLOOM_SHIFT].iter().flat_map(|&v| endian.u32_bytes(v)).collect();
    // The bits `h % C` and `(h >> shift) % C` of a C-bit word: `wrapping_shl`
    // takes the shift modulo the width.
    let h2 = h.wrapping_shr(BLOOM_SHIFT);
    if class.wide {
        table.extend(endian.u64_bytes(1u64.wrapping_shl(h) | 1u64.wrapping_shl(h2)));
    } else {
        table.extend(endian.u32_bytes(1u32.wrapping_shl(h) | 1u32.wrapping_shl(h2)));
    }
    table.extend(endian.u32_bytes(1));
    table.extend(endian.u32_bytes(h | 1));
    table
}

/// Passes bytes through, keeping a running CRC-32C of them.
struct CrcWriter<'a> {
    inner: &'a mut dyn Write,
    crc: u32,
}

impl Write for CrcWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests;
