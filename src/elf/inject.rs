//! Post-link injection into an ELF file (shared object, executable or
//! relocatable object; 32 or 64 bit; either byte order).
//!
//! The output is the input's bytes, unchanged except three ELF header fields
//! (`e_shoff`, `e_shnum`, `e_shstrndx`; also `e_shentsize` for a file that had
//! no section headers), followed by:
//!
//! ```text
//! zero padding | frame (64) | payload | section name table | padding | section header table
//!              ^ 4096·k − 64  ^ 4096·k
//! ```
//!
//! - The `.jlji` section (`SHT_PROGBITS`, no flags, so no `SHF_ALLOC`: the
//!   loader never maps it; alignment 64) holds the frame and the payload.
//!   The frame sits in the 64 bytes just below a page boundary and says
//!   `payload_offset = 64`, so the payload starts on a page (FORMAT.md,
//!   "Writing rules") at the cost of less than one page of padding. Starting
//!   the frame on a page with `payload_offset = 4096` would waste most of a
//!   page more for the same result.
//! - The new section name table is the old one with `.jlji` appended, so every
//!   existing name offset stays valid (also where one string table serves as
//!   both the name table and the symbol string table). The section that held the old table
//!   is pointed at the new copy; the old bytes stay where they were, unused.
//! - The new section header table is the old one, entry for entry, plus the
//!   `.jlji` entry at the end, so no section index changes (symbols,
//!   `sh_link`, groups and `SHT_SYMTAB_SHNDX` stay right). When the count
//!   reaches `SHN_LORESERVE` (0xff00), it goes into section 0's `sh_size` and
//!   `e_shnum` becomes 0; a name-table index at or above 0xff00 goes into
//!   section 0's `sh_link` with `e_shstrndx = SHN_XINDEX` (gABI, "Extended
//!   Section Numbering").
//!
//! Program headers and every byte a segment covers stay where they are, so
//! the loader sees the same file.
//!
//! Replacing (`replace`): the old `.jlji` entry is reused. Everything from the
//! old container on is dropped if nothing the file still uses lies after it
//! (always so for files made here: injecting twice gives the size of
//! injecting once); otherwise the old container and payload bytes are zeroed.
//! The one exception is a `.jlji` that a linker placed inside a loaded segment
//! (`SHF_ALLOC`, e.g. a C array with a `section` attribute): those bytes are
//! part of the mapped image, so they stay as they were, no longer pointed to
//! by any section header.
//!
//! # `strip`
//!
//! Checked by `tests/inject_elf.rs` with GNU strip 2.40 and llvm-strip 14:
//! - GNU `strip` (default `--strip-all`) keeps `.jlji`, as it keeps every
//!   non-allocated section that is not debug information or a symbol table,
//!   and rewrites the file: the section moves, but the frame moves with it and
//!   its `payload_offset` is relative, so the payload is found intact (no
//!   longer page-aligned). `strip --remove-section=.jlji` removes it.
//! - `llvm-strip` (default `--strip-all`) removes every non-allocated section
//!   it does not know, `.jlji` included: afterwards `find_ji_payload` reports
//!   `NoContainer`. `llvm-strip --keep-section=.jlji` keeps it.

use crate::frame::Frame;
use crate::read::Data;
use crate::write::align_up;
use crate::write::error::InjectError;
use crate::write::plan::{copy_with_holes, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::{Error, FileRange};

const SHT_PROGBITS: u32 = 1;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
/// First reserved section index; counts and indices from here on are escaped.
const SHN_LORESERVE: u64 = 0xff00;
const SHN_XINDEX: u16 = 0xffff;
/// `e_phnum` escape: the real count is in section 0's `sh_info`.
const PN_XNUM: u16 = 0xffff;
const PAGE: u64 = 4096;
const NAME: &[u8] = b".jlji";

/// Field offsets for one ELF class.
struct Class {
    wide: bool,
    ehsize: u64,
    phoff: u64,
    shoff: u64,
    phentsize: u64,
    shentsize: u64,
    /// Size of a section header.
    sh_size: u64,
    /// Section header fields: sh_offset, sh_size, sh_link, sh_info, sh_addralign.
    sh: [u64; 5],
    /// Program header fields: p_offset, p_filesz.
    ph: [u64; 2],
}

const CLASS32: Class = Class {
    wide: false,
    ehsize: 52,
    phoff: 28,
    shoff: 32,
    phentsize: 42,
    shentsize: 46,
    sh_size: 40,
    sh: [16, 20, 24, 28, 32],
    ph: [4, 16],
};
const CLASS64: Class = Class {
    wide: true,
    ehsize: 64,
    phoff: 32,
    shoff: 40,
    phentsize: 54,
    shentsize: 58,
    sh_size: 64,
    sh: [24, 32, 40, 44, 48],
    ph: [8, 32],
};

/// Writes fields in the file's byte order and width.
struct Put {
    big: bool,
    wide: bool,
}

impl Put {
    fn bytes(&self, buf: &mut [u8], at: u64, le: &[u8]) -> Result<(), InjectError> {
        let field = usize::try_from(at)
            .ok()
            .and_then(|at| buf.get_mut(at..at.checked_add(le.len())?))
            .ok_or_else(|| InjectError::refused("ELF header field", at, "outside the header (internal error)"))?;
        field.copy_from_slice(le);
        if self.big {
            field.reverse();
        }
        Ok(())
    }
    fn u16(&self, buf: &mut [u8], at: u64, v: u16) -> Result<(), InjectError> {
        self.bytes(buf, at, &v.to_le_bytes())
    }
    fn u32(&self, buf: &mut [u8], at: u64, v: u32) -> Result<(), InjectError> {
        self.bytes(buf, at, &v.to_le_bytes())
    }
    /// A 64-bit field in ELF64, a 32-bit one in ELF32 (checked to fit).
    fn word(&self, buf: &mut [u8], at: u64, v: u64, what: &'static str) -> Result<(), InjectError> {
        if self.wide {
            return self.bytes(buf, at, &v.to_le_bytes());
        }
        let v = u32::try_from(v).map_err(|_| {
            InjectError::refused(
                what,
                at,
                format!("{v:#x} does not fit a 32-bit ELF file; the output would pass 4 GiB"),
            )
        })?;
        self.bytes(buf, at, &v.to_le_bytes())
    }
}

fn overflow(what: &'static str, offset: u64) -> InjectError {
    InjectError::from(Error::Overflow { what, offset, size: 0, count: 1 })
}

fn add(a: u64, b: u64, what: &'static str) -> Result<u64, InjectError> {
    a.checked_add(b).ok_or_else(|| overflow(what, a))
}

/// The output layout for `library` with `payload` added. See the module docs.
pub(crate) fn layout(library: &[u8], payload: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    let file = Data::new(library, 0, "the file");
    let ident = file.table("ELF identification", 0, 16, 1)?;
    let c = match ident.u8(4)? {
        1 => &CLASS32,
        2 => &CLASS64,
        v => return Err(Error::invalid("ELF EI_CLASS", 4, v, "1 (32-bit) or 2 (64-bit)").into()),
    };
    let big = match ident.u8(5)? {
        1 => false,
        2 => true,
        v => return Err(Error::invalid("ELF EI_DATA", 5, v, "1 (little) or 2 (big endian)").into()),
    };
    let put = Put { big, wide: c.wide };
    let file = file.with_endian(crate::Endian::big_if(big));
    let header = file.table("ELF header", 0, c.ehsize, 1)?;
    let shoff = header.word(c.shoff, c.wide)?;
    let e_shnum = header.u16(c.shentsize.saturating_add(2))?;
    let e_shstrndx = header.u16(c.shentsize.saturating_add(4))?;
    let entsize = if shoff == 0 { c.sh_size } else { u64::from(header.u16(c.shentsize)?) };
    if entsize < c.sh_size {
        let expected = "at least 40 (32-bit) or 64 (64-bit)";
        return Err(Error::invalid("ELF e_shentsize", c.shentsize, entsize, expected).into());
    }

    // The old section header table, with the counts the gABI escapes decoded.
    let zero = if shoff == 0 { None } else { Some(file.table("ELF section header 0", shoff, entsize, 1)?) };
    let count = match (zero, e_shnum) {
        (None, _) => 0,
        (Some(zero), 0) => zero.word(c.sh[1], c.wide)?,
        (Some(_), n) => u64::from(n),
    };
    let table = file.table("ELF section header table", shoff, entsize, count)?;
    let strndx = match (zero, e_shstrndx) {
        (Some(zero), SHN_XINDEX) => u64::from(zero.u32(c.sh[2])?),
        (_, n) => u64::from(n),
    };
    // Index 0 (SHN_UNDEF) means the file has no name table; one is added.
    let names_entry =
        if strndx == 0 { None } else { Some(table.entry("ELF section name table header", strndx, entsize)?) };
    let old_names = match names_entry {
        Some(sh) => {
            let range = range(sh, c)?;
            file.table("ELF section name table", range.offset, range.size, 1)?.bytes
        }
        None => &[],
    };
    let names_view = Data::new(old_names, 0, "ELF section name table");
    let mut existing = None;
    for (index, sh) in (0u64..).zip(table.entries("ELF section header", entsize)) {
        if names_entry.is_some() && names_view.cstr_is(u64::from(sh.u32(0)?), NAME) {
            if let Some((_, first)) = existing {
                let first: FileRange = first;
                return Err(Error::Ambiguous { first: first.offset, second: range(sh, c)?.offset }.into());
            }
            existing = Some((index, range(sh, c)?));
        }
    }

    // How much of the input to keep (`keep`), and which bytes of it to blank.
    let len = file.len();
    let (keep, holes) = match existing {
        None => (len, Vec::new()),
        Some((_, container)) if options.replace => {
            kept_part(file, c, &table, entsize, strndx, existing.map(|(i, _)| i), container)?
        }
        Some((_, container)) => {
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset: container.offset })
        }
    };

    // frame | payload | names | table, the payload on a page boundary.
    let frame_at = add(keep, 64, "ELF .jlji section")?;
    let frame_at = align_up(frame_at, PAGE).ok_or_else(|| overflow("ELF .jlji section", keep))?.saturating_sub(64);
    let payload_at = add(frame_at, 64, "payload")?;
    let names_at = add(payload_at, payload.size, "payload")?;
    let mut names = old_names.to_vec();
    if names.is_empty() {
        // Offset 0 must hold the empty name: section 0 (and any unnamed one) points there.
        names.push(0);
    }
    let jlji_name = names.len() as u64;
    if existing.is_none() {
        names.extend_from_slice(NAME);
        names.push(0);
    }
    let shstrtab_name = names.len() as u64;
    if names_entry.is_none() {
        names.extend_from_slice(b".shstrtab\0");
    }
    let names_len = names.len() as u64;
    let table_at = add(names_at, names_len, "ELF section name table")?;
    let table_at =
        align_up(table_at, if c.wide { 8 } else { 4 }).ok_or_else(|| overflow("ELF section header table", names_at))?;

    // The new table: the old entries, then .jlji (and a name table, and a null
    // section 0, when the file had none).
    let mut new_table = Vec::new();
    if count == 0 {
        new_table.resize(usize::try_from(entsize).unwrap_or(0), 0);
    }
    new_table.extend_from_slice(table.bytes);
    let entry = |i: u64| i.checked_mul(entsize).ok_or_else(|| overflow("ELF section header", i));
    let base_count = count.max(1);
    let jlji_index = match existing {
        Some((index, _)) => index,
        None => base_count,
    };
    let names_index = match names_entry {
        Some(_) => strndx,
        None => add(base_count, u64::from(existing.is_none()), "ELF section count")?,
    };
    let new_count =
        base_count.saturating_add(u64::from(existing.is_none())).saturating_add(u64::from(names_entry.is_none()));
    new_table
        .resize(usize::try_from(entry(new_count)?).map_err(|_| overflow("ELF section header table", table_at))?, 0);

    let container_size = add(payload.size, 64, "ELF .jlji section")?;
    let at = entry(jlji_index)?;
    if existing.is_none() {
        put.u32(&mut new_table, at, u32::try_from(jlji_name).map_err(|_| overflow("ELF section name", jlji_name))?)?;
    }
    put.u32(&mut new_table, add(at, 4, "ELF section header")?, SHT_PROGBITS)?;
    put.word(&mut new_table, add(at, 8, "ELF section header")?, 0, "ELF sh_flags")?;
    put.word(&mut new_table, add(at, if c.wide { 16 } else { 12 }, "ELF section header")?, 0, "ELF sh_addr")?;
    put.word(&mut new_table, add(at, c.sh[0], "ELF section header")?, frame_at, "ELF .jlji sh_offset")?;
    put.word(&mut new_table, add(at, c.sh[1], "ELF section header")?, container_size, "ELF .jlji sh_size")?;
    put.u32(&mut new_table, add(at, c.sh[2], "ELF section header")?, 0)?;
    put.u32(&mut new_table, add(at, c.sh[3], "ELF section header")?, 0)?;
    put.word(&mut new_table, add(at, c.sh[4], "ELF section header")?, 64, "ELF sh_addralign")?;
    put.word(
        &mut new_table,
        add(at, c.sh[4].saturating_add(if c.wide { 8 } else { 4 }), "ELF section header")?,
        0,
        "ELF sh_entsize",
    )?;

    let at = entry(names_index)?;
    if names_entry.is_none() {
        let name = u32::try_from(shstrtab_name).map_err(|_| overflow("ELF section name", shstrtab_name))?;
        put.u32(&mut new_table, at, name)?;
        put.u32(&mut new_table, add(at, 4, "ELF section header")?, SHT_STRTAB)?;
        put.word(&mut new_table, add(at, c.sh[4], "ELF section header")?, 1, "ELF sh_addralign")?;
    }
    put.word(&mut new_table, add(at, c.sh[0], "ELF section header")?, names_at, "ELF section name table sh_offset")?;
    put.word(&mut new_table, add(at, c.sh[1], "ELF section header")?, names_len, "ELF section name table sh_size")?;

    // Section 0 carries the escaped count and name-table index, and is 0 otherwise.
    let escaped_count = new_count >= SHN_LORESERVE;
    let escaped_names = names_index >= SHN_LORESERVE;
    put.word(&mut new_table, c.sh[1], if escaped_count { new_count } else { 0 }, "ELF section 0 sh_size")?;
    let link =
        if escaped_names { u32::try_from(names_index).map_err(|_| overflow("ELF sh_link", names_index))? } else { 0 };
    put.u32(&mut new_table, c.sh[2], link)?;

    let mut elf_header = header.bytes.to_vec();
    put.word(&mut elf_header, c.shoff, table_at, "ELF e_shoff")?;
    let table_end = add(table_at, new_table.len() as u64, "ELF section header table")?;
    if !c.wide && table_end > u64::from(u32::MAX) {
        let reason = "the output would pass 4 GiB, which a 32-bit ELF file cannot address";
        return Err(InjectError::refused("ELF section header table", table_at, reason));
    }
    put.u16(&mut elf_header, c.shentsize, u16::try_from(entsize).map_err(|_| overflow("ELF e_shentsize", entsize))?)?;
    put.u16(&mut elf_header, c.shentsize.saturating_add(2), if escaped_count { 0 } else { new_count as u16 })?;
    put.u16(
        &mut elf_header,
        c.shentsize.saturating_add(4),
        if escaped_names { SHN_XINDEX } else { names_index as u16 },
    )?;

    let frame = Frame::new(64, payload.size, UNSEALED).to_bytes();
    let mut pieces = vec![Piece::Bytes(elf_header)];
    pieces.extend(copy_with_holes(c.ehsize, keep, &holes));
    pieces.push(Piece::Zeros(frame_at.saturating_sub(keep)));
    pieces.push(Piece::Bytes(frame.to_vec()));
    pieces.push(Piece::Payload);
    pieces.push(Piece::Bytes(names));
    pieces.push(Piece::Zeros(table_at.saturating_sub(add(names_at, names_len, "ELF section name table")?)));
    pieces.push(Piece::Bytes(new_table));
    Ok(Plan { pieces, payload_offset: payload_at })
}

/// A section's file range (size 0 for `SHT_NOBITS`).
fn range(sh: Data<'_>, c: &Class) -> Result<FileRange, Error> {
    let size = if sh.u32(4)? == SHT_NOBITS { 0 } else { sh.word(c.sh[1], c.wide)? };
    Ok(FileRange { offset: sh.word(c.sh[0], c.wide)?, size })
}

/// When replacing: how much of the input to keep, and the ranges in it to blank.
///
/// Everything the file still uses — the ELF header, the program headers, every
/// segment's bytes, every section but the old `.jlji` and the name table
/// (both rewritten) — must be kept. The old container and payload are dropped
/// when they come after all of that, and blanked otherwise.
fn kept_part(
    file: Data<'_>,
    c: &Class,
    table: &Data<'_>,
    entsize: u64,
    strndx: u64,
    jlji: Option<u64>,
    container: FileRange,
) -> Result<(u64, Vec<(u64, u64)>), InjectError> {
    let header = file.table("ELF header", 0, c.ehsize, 1)?;
    let mut used: Vec<(u64, u64)> = vec![(0, c.ehsize)];
    let phoff = header.word(c.phoff, c.wide)?;
    let phentsize = u64::from(header.u16(c.phentsize)?);
    let phnum = match header.u16(c.phentsize.saturating_add(2))? {
        PN_XNUM => u64::from(table.entry("ELF section header 0", 0, entsize)?.u32(c.sh[3])?),
        n => u64::from(n),
    };
    if phoff != 0 && phnum != 0 {
        let phdrs = file.table("ELF program header table", phoff, phentsize, phnum)?;
        used.push((phoff, phdrs.base.saturating_add(phdrs.len())));
        for ph in phdrs.entries("ELF program header", phentsize) {
            let (offset, size) = (ph.word(c.ph[0], c.wide)?, ph.word(c.ph[1], c.wide)?);
            used.push((offset, offset.saturating_add(size)));
        }
    }
    for (index, sh) in (0u64..).zip(table.entries("ELF section header", entsize)) {
        if index == 0 || index == strndx || Some(index) == jlji {
            continue;
        }
        let r = range(sh, c)?;
        if r.size > 0 {
            used.push((r.offset, r.offset.saturating_add(r.size)));
        }
    }
    let used_end = used.iter().map(|&(_, end)| end).max().unwrap_or(0).min(file.len());

    let old_payload = Frame::decode(file, container).ok().map(|(_, p)| (p.base, p.base.saturating_add(p.len())));
    let container = (container.offset, container.offset.saturating_add(container.size));
    let keep = if container.0 >= used_end { container.0.min(file.len()) } else { used_end };
    // Blank what is left of the old container and payload, unless the file
    // still uses those bytes for something else.
    let overlaps = |(a, b): (u64, u64)| used.iter().any(|&(x, y)| a < y && x < b);
    let holes = [Some(container), old_payload].into_iter().flatten().filter(|&r| r.0 < keep && !overlaps(r)).collect();
    Ok((keep, holes))
}
