//! Post-link injection into an ELF file (shared object, executable or
//! relocatable object; 32 or 64 bit; either byte order).
//!
//! The output is the input's bytes, unchanged except three ELF header fields
//! (`e_shoff`, `e_shnum`, `e_shstrndx`; also `e_shentsize` for a file that had
//! no section headers), followed by:
//!
//! ```text
//! zero padding | section name table | section header table | frame (64) | payload
//!                                     (e_shoff, aligned)     ^ 4096·k − 64 ^ 4096·k
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
//! - Placement ([`Places`]): the two tables go between the input's bytes and
//!   the container, packed against the frame, and the payload ends the file.
//!   A cold lookup reads the ELF header (page 0), then the section header
//!   table, the name table and the frame (FORMAT.md §4, item 6): with the
//!   tables ending where the frame starts, those three are one contiguous
//!   run of bytes, usually inside the one or two pages just below the
//!   payload, so the lookup costs page 0 and one more read, whatever the
//!   payload's size. (The tables used to follow the payload, which cost a
//!   third, far-away read.) Readers must not depend on this: it is where
//!   this writer puts things, not part of the format.
//!
//! Program headers and every byte a segment covers stay where they are, so
//! the loader sees the same file.
//!
//! Replacing (`replace`): the old `.jlji` entry is reused. What a new
//! injection rewrites (the old container, name table and section header
//! table) is dropped from the first of them on if nothing the file still
//! uses lies after it: always so for files made here, and injecting twice
//! then gives exactly the size of injecting once. That covers both this
//! layout (old tables, then the old container, end the file) and the one
//! pkgimg wrote before (old container, then the old tables; the zero
//! padding before that container goes too, so such a file does not grow by
//! moving to this layout). Otherwise the old container and payload bytes are
//! zeroed.
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
//!
//! [`layout`] reads the input through the navigator's [`Header`] and
//! [`SectionTable`], then builds the output in named steps: what to keep
//! ([`kept_part`]), where the new parts go ([`Places`]), the new name table,
//! section header table and ELF header; every field at the offset
//! [`super::layout`] gives.

use super::header::{Header, SectionTable};
use super::layout::{Class, PAGE_SIZE, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_PROGBITS, SHT_STRTAB};
use crate::frame::{self, Frame, CONTAINER_ALIGN};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::plan::{copy_with_holes, InjectOptions, PayloadInfo, Piece, Plan, UNSEALED};
use crate::write::{add, aligned, Misfit, Patch, Problem};
use crate::{Error, FileRange, Format};

const NAME: &[u8] = b".jlji";
const SHSTRTAB: &[u8] = b".shstrtab";
/// The frame's size, which is also its `payload_offset`: the payload follows it.
const FRAME: u64 = frame::SIZE as u64;

/// The input, read as the navigator reads it.
struct Input<'a> {
    header: Header<'a>,
    /// The section header table (empty if the file has none).
    table: SectionTable<'a>,
    /// The section name table, unless `e_shstrndx` is `SHN_UNDEF` (the file
    /// has none; one is added).
    names: Option<Data<'a>>,
    /// The index and data of the `.jlji` section, if there is one.
    existing: Option<(u64, FileRange)>,
}

/// Where the new parts go: names | table | frame | payload, the payload on a
/// page boundary and the two tables packed against the frame (module docs).
struct Places {
    names: u64,
    table: u64,
    frame: u64,
    payload: u64,
}

/// The new section name table, and where in it the names of the `.jlji`
/// section and of the name table itself are.
struct Names {
    bytes: Vec<u8>,
    jlji: u64,
    shstrtab: u64,
}

/// The indices in the new section header table.
struct Indices {
    jlji: u64,
    names: u64,
    count: u64,
}

impl Indices {
    /// The old entries keep their indices; `.jlji` (unless it exists) and,
    /// for a file without one, a name table are appended after them (after a
    /// null section 0 for a file with no section headers at all).
    fn new(input: &Input<'_>) -> Result<Indices, Error> {
        let table = &input.table;
        let base_count = table.count.max(1);
        let (added_jlji, added_names) = (u64::from(input.existing.is_none()), u64::from(input.names.is_none()));
        Ok(Indices {
            jlji: input.existing.map_or(base_count, |(index, _)| index),
            names: match input.names {
                Some(_) => table.names_index,
                None => add("ELF section count", base_count, added_jlji)?,
            },
            count: base_count.saturating_add(added_jlji).saturating_add(added_names),
        })
    }
}

/// The output layout for `library` with `payload` added. See the module docs.
pub(crate) fn layout(library: &[u8], payload: PayloadInfo, options: &InjectOptions) -> Result<Plan, InjectError> {
    let input = read(library)?;
    let class = input.header.class();
    let len = input.header.file.len();
    // How much of the input to keep (`keep`), and which bytes of it to blank.
    let (keep, holes) = match input.existing {
        None => (len, Vec::new()),
        Some((index, container)) if options.replace => kept_part(&input, index, container)?,
        Some((_, container)) => {
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset: container.offset })
        }
    };
    let names = new_names(&input);
    let indices = Indices::new(&input)?;
    let table_len = entry_at(&input.table, indices.count)?;
    let at = Places::new(class, keep, names.bytes.len() as u64, table_len)?;
    let end = add("payload", at.payload, payload.size)?;
    if !input.header.wide && end > u64::from(u32::MAX) {
        let reason = "the output would pass 4 GiB, which a 32-bit ELF file cannot address";
        return Err(InjectError::refused("ELF .jlji section", at.frame, reason));
    }
    let table = new_section_table(&input, &at, &names, &indices, payload.size)?;
    let elf_header = new_elf_header(&input, &at, &indices)?;

    let frame = Frame::new(FRAME, payload.size, UNSEALED).to_bytes();
    let names_end = add("ELF section name table", at.names, names.bytes.len() as u64)?;
    let table_end = add("ELF section header table", at.table, table.len() as u64)?;
    let mut pieces = vec![Piece::Bytes(elf_header)];
    pieces.extend(copy_with_holes(class.file.size, keep, &holes));
    pieces.push(Piece::Zeros(at.names.saturating_sub(keep)));
    pieces.push(Piece::Bytes(names.bytes));
    pieces.push(Piece::Zeros(at.table.saturating_sub(names_end)));
    pieces.push(Piece::Bytes(table));
    pieces.push(Piece::Zeros(at.frame.saturating_sub(table_end)));
    pieces.push(Piece::Bytes(frame.to_vec()));
    pieces.push(Piece::Payload);
    Ok(Plan { pieces, payload_offset: at.payload })
}

/// The input's headers, its name table and its `.jlji` section, if any.
fn read(library: &[u8]) -> Result<Input<'_>, Error> {
    let header = Header::parse(Data::new(library, 0, "the file"))?;
    let table = match header.section_table()? {
        Some(table) => table,
        None => SectionTable::empty(&header)?,
    };
    let names = if table.names_index == SHN_UNDEF { None } else { Some(table.names()?) };
    let existing = match names {
        Some(names) => table.find_indexed(names, NAME)?,
        None => None,
    };
    Ok(Input { header, table, names, existing })
}

impl Places {
    /// The frame goes on the first `4096·k − 64` with room for both tables
    /// between `keep` and it; the tables are then placed backwards from the
    /// frame, so the zero padding lies between the input's bytes and the
    /// tables, not between the tables and the frame. The section header
    /// table starts on a multiple of the word size (gABI, "Data
    /// Representation": file structures keep their natural alignment from
    /// the start of the file), and the frame is on a multiple of 64, so the
    /// table ends less than a word below the frame (no gap at all for the
    /// standard entry sizes); the name table (`sh_addralign` 1) ends where
    /// the header table starts.
    ///
    /// Re-injecting with `keep` at the old name table's offset (`kept_part`)
    /// therefore lands every part where it was: the size does not grow.
    fn new(class: &Class, keep: u64, names_len: u64, table_len: u64) -> Result<Places, InjectError> {
        let table_room = aligned(Format::Elf, "e_shoff", table_len, class.word)?;
        let tables = add("ELF section header table", names_len, table_room)?;
        let tables_end = add("ELF section header table", keep, tables)?;
        let frame_end = add("ELF .jlji section", tables_end, FRAME)?;
        // At least `tables_end`, so neither subtraction below can wrap.
        let frame = aligned(Format::Elf, "sh_offset", frame_end, PAGE_SIZE)?.saturating_sub(FRAME);
        let table = frame.saturating_sub(table_room);
        let names = table.saturating_sub(names_len);
        let payload = add("payload", frame, FRAME)?;
        Ok(Places { names, table, frame, payload })
    }
}

/// The old name table with `.jlji` appended, so every existing name offset
/// stays valid; for a file without one, the empty name (section 0 and any
/// unnamed section point there), `.jlji` and `.shstrtab`.
fn new_names(input: &Input<'_>) -> Names {
    let mut bytes = input.names.map_or(&[][..], |names| names.bytes).to_vec();
    if bytes.is_empty() {
        bytes.push(0);
    }
    let jlji = bytes.len() as u64;
    if input.existing.is_none() {
        bytes.extend_from_slice(NAME);
        bytes.push(0);
    }
    let shstrtab = bytes.len() as u64;
    if input.names.is_none() {
        bytes.extend_from_slice(SHSTRTAB);
        bytes.push(0);
    }
    Names { bytes, jlji, shstrtab }
}

/// The old section header table entry for entry (so no index changes), then
/// `.jlji` and, for a file without them, a name table and a null section 0.
/// Section 0 carries the count and name table index that do not fit the
/// ELF header ("Extended Section Numbering").
fn new_section_table(
    input: &Input<'_>,
    at: &Places,
    names: &Names,
    indices: &Indices,
    payload_size: u64,
) -> Result<Vec<u8>, InjectError> {
    let (table, header) = (&input.table, &input.header);
    let mut bytes = Vec::new();
    if table.count == 0 {
        bytes.resize(usize::try_from(table.entsize).unwrap_or(0), 0);
    }
    bytes.extend_from_slice(table.headers.bytes);
    let len = usize::try_from(entry_at(table, indices.count)?);
    let too_long = Error::Overflow { what: "ELF section header table", offset: at.table, size: 0, count: 1 };
    bytes.resize(len.map_err(|_| too_long)?, 0);

    let mut patch = Patch::new(&mut bytes, Format::Elf, header.image.endian, header.wide);
    let s = &header.class().section;
    let container_size = add("ELF .jlji section", payload_size, FRAME)?;
    let mut jlji = Entry { patch: &mut patch, at: entry_at(table, indices.jlji)? };
    if input.existing.is_none() {
        jlji.u32("ELF sh_name", s.sh_name, names.jlji)?;
    }
    jlji.u32("ELF sh_type", s.sh_type, SHT_PROGBITS.into())?;
    jlji.word("ELF sh_flags", s.sh_flags, 0)?;
    jlji.word("ELF sh_addr", s.sh_addr, 0)?;
    jlji.word("ELF .jlji sh_offset", s.sh_offset, at.frame)?;
    jlji.word("ELF .jlji sh_size", s.sh_size, container_size)?;
    jlji.u32("ELF sh_link", s.sh_link, 0)?;
    jlji.u32("ELF sh_info", s.sh_info, 0)?;
    jlji.word("ELF sh_addralign", s.sh_addralign, CONTAINER_ALIGN)?;
    jlji.word("ELF sh_entsize", s.sh_entsize, 0)?;

    let mut names_entry = Entry { patch: &mut patch, at: entry_at(table, indices.names)? };
    if input.names.is_none() {
        names_entry.u32("ELF sh_name", s.sh_name, names.shstrtab)?;
        names_entry.u32("ELF sh_type", s.sh_type, SHT_STRTAB.into())?;
        names_entry.word("ELF sh_addralign", s.sh_addralign, 1)?;
    }
    names_entry.word("ELF section name table sh_offset", s.sh_offset, at.names)?;
    names_entry.word("ELF section name table sh_size", s.sh_size, names.bytes.len() as u64)?;

    // Section 0's sh_size and sh_link are 0 unless they carry what the
    // ELF header cannot hold.
    let mut zero = Entry { patch: &mut patch, at: entry_at(table, SHN_UNDEF)? };
    let count = if indices.count >= SHN_LORESERVE { indices.count } else { 0 };
    zero.word("ELF section 0 sh_size", s.sh_size, count)?;
    zero.u32("ELF sh_link", s.sh_link, if indices.names >= SHN_LORESERVE { indices.names } else { 0 })?;
    Ok(bytes)
}

/// The input's ELF header with the new table's place, entry size, count and
/// name table index (escaped to section 0 where they do not fit).
fn new_elf_header(input: &Input<'_>, at: &Places, indices: &Indices) -> Result<Vec<u8>, InjectError> {
    let header = &input.header;
    let f = &header.class().file;
    let mut bytes = header.fields.bytes.to_vec();
    let mut patch = Patch::new(&mut bytes, Format::Elf, header.image.endian, header.wide);
    patch.word("ELF e_shoff", f.e_shoff, at.table).map_err(past_4_gib)?;
    patch.u16("ELF e_shentsize", f.e_shentsize, input.table.entsize)?;
    let shnum = if indices.count >= SHN_LORESERVE { 0 } else { indices.count };
    patch.u16("ELF e_shnum", f.e_shnum, shnum)?;
    let shstrndx = if indices.names >= SHN_LORESERVE { SHN_XINDEX.into() } else { indices.names };
    patch.u16("ELF e_shstrndx", f.e_shstrndx, shstrndx)?;
    Ok(bytes)
}

/// Where section header `index` starts in the table.
fn entry_at(table: &SectionTable<'_>, index: u64) -> Result<u64, Error> {
    index.checked_mul(table.entsize).ok_or(Error::Overflow {
        what: "ELF section header",
        offset: index,
        size: 0,
        count: 1,
    })
}

/// Field writes into the entry at `at` of the new section header table.
struct Entry<'p, 'b> {
    patch: &'p mut Patch<'b>,
    at: u64,
}

impl Entry<'_, '_> {
    fn u32(&mut self, field: &'static str, offset: u64, value: u64) -> Result<(), InjectError> {
        let at = add("ELF section header", self.at, offset)?;
        Ok(self.patch.u32(field, at, value)?)
    }

    /// A word field: in ELF32, a value past 32 bits means the output would
    /// pass 4 GiB.
    fn word(&mut self, field: &'static str, offset: u64, value: u64) -> Result<(), InjectError> {
        let at = add("ELF section header", self.at, offset)?;
        self.patch.word(field, at, value).map_err(past_4_gib)
    }
}

/// A word field that does not fit an ELF32 file.
fn past_4_gib(misfit: Misfit) -> InjectError {
    match misfit.problem {
        Problem::TooLarge { value, .. } => InjectError::refused(
            misfit.field,
            misfit.at,
            format!("{value:#x} does not fit a 32-bit ELF file; the output would pass 4 GiB"),
        ),
        Problem::Outside { .. } | Problem::Overflow => misfit.into(),
    }
}

/// When replacing: how much of the input to keep, and the ranges in it to blank.
///
/// Everything the file still uses — the ELF header, the program headers, every
/// segment's bytes, every section but the old `.jlji` (section `jlji`) and
/// the name table (both rewritten) — must be kept. What the injection
/// rewrites — the old container, name table and section header table — is
/// dropped from the first of them that comes after all of that: in a file
/// made here that is the old name table (tables, then container, end the
/// file), or, in one made before the tables moved in front of the container,
/// the old container (the old tables follow it), and then the zero padding
/// before it too. Either way nothing a previous injection appended is kept,
/// so re-injecting does not grow the file (in this layout every new part
/// lands where the old one was, [`Places::new`]). Other bytes between what is used and that point (e.g.
/// the input's own first tables, unused since the first injection) are kept
/// as they are. An old container that is not dropped is blanked.
fn kept_part(input: &Input<'_>, jlji: u64, container: FileRange) -> Result<(u64, Vec<(u64, u64)>), InjectError> {
    let (header, table) = (&input.header, &input.table);
    let (class, file) = (header.class(), header.file);
    let mut used: Vec<(u64, u64)> = vec![(0, class.file.size)];
    if let Some((phdrs, entsize)) = header.program_table(table)? {
        used.push((phdrs.base, phdrs.base.saturating_add(phdrs.len())));
        for ph in phdrs.entries("ELF program header", entsize) {
            let (offset, size) =
                (ph.word(class.program.p_offset, header.wide)?, ph.word(class.program.p_filesz, header.wide)?);
            used.push((offset, offset.saturating_add(size)));
        }
    }
    for (index, sh) in (0u64..).zip(table.headers.entries("ELF section header", table.entsize)) {
        if index == SHN_UNDEF || index == table.names_index || index == jlji {
            continue;
        }
        let r = table.fields(sh)?.range;
        if r.size > 0 {
            used.push((r.offset, r.offset.saturating_add(r.size)));
        }
    }
    let used_end = used.iter().map(|&(_, end)| end).max().unwrap_or(0).min(file.len());

    let old_payload = Frame::decode(file, container).ok().map(|(_, p)| (p.base, p.base.saturating_add(p.len())));
    let container = (container.offset, container.offset.saturating_add(container.size));
    // The container counts even when empty (its offset is where it was
    // written); a table of no bytes says nothing about where anything is.
    let names = input.names.filter(|n| n.len() > 0).map(|n| n.base);
    let headers = Some(table.headers.base).filter(|_| table.headers.len() > 0);
    let tail = [Some(container.0), names, headers].into_iter().flatten().filter(|&start| start >= used_end).min();
    let keep = tail.map_or(used_end, |start| start.min(file.len()));
    // A container that starts the dropped part had zero padding put before
    // it to start on its page (pkgimg's earlier layout wrote it so): the
    // padding goes too, or moving such a file to this layout would add up to
    // a page. In this layout the padding lies before the old name table and
    // is kept, which lands the new tables exactly where the old ones were.
    let keep = if tail == Some(container.0) { before_zeros(file, used_end, keep) } else { keep };
    // What is dropped must be the old container, payload, name table and
    // section headers, and zero padding between them: bytes appended after
    // them (a trailer, an archive) would be lost with them. PE and Mach-O
    // refuse the same (review 18 F6).
    let pieces = [Some(container), old_payload, input.names.map(|n| (n.base, n.base.saturating_add(n.len())))];
    let headers = (table.headers.base, table.headers.base.saturating_add(table.headers.len()));
    let pieces: Vec<(u64, u64)> = pieces.into_iter().flatten().chain([headers]).collect();
    if let Some(at) = first_stray_byte(file, keep, &pieces) {
        let reason = format!(
            "bytes from {at:#x} on are not the old payload, its frame, the section names or the section \
             headers, and replacing the payload would drop them"
        );
        return Err(InjectError::refused("ELF file tail", at, reason));
    }
    // Blank what is left of the old container and payload, unless the file
    // still uses those bytes for something else.
    let overlaps = |(a, b): (u64, u64)| used.iter().any(|&(x, y)| a < y && x < b);
    let holes = [Some(container), old_payload].into_iter().flatten().filter(|&r| r.0 < keep && !overlaps(r)).collect();
    Ok((keep, holes))
}

/// The first nonzero byte at or after `from` that no range of `pieces`
/// covers: what the tail that `--replace` drops holds besides them.
fn first_stray_byte(file: Data<'_>, from: u64, pieces: &[(u64, u64)]) -> Option<u64> {
    let mut at = from;
    while at < file.len() {
        if let Some(&(_, end)) = pieces.iter().find(|&&(start, end)| start <= at && at < end) {
            at = end;
            continue;
        }
        // Up to the next piece, or the end of the file.
        let next = pieces.iter().map(|&(start, _)| start).filter(|&start| start > at).min().unwrap_or(file.len());
        let gap = file.table("ELF file tail", at, next.min(file.len()).saturating_sub(at), 1).ok()?;
        if let Some(stray) = gap.bytes.iter().position(|&byte| byte != 0) {
            return Some(at.saturating_add(stray as u64));
        }
        at = next;
    }
    None
}

/// `end` moved back over the zero bytes just below it, but not below `floor`.
fn before_zeros(file: Data<'_>, floor: u64, end: u64) -> u64 {
    match file.table("ELF padding", floor, end.saturating_sub(floor), 1) {
        Ok(run) => match run.bytes.iter().rposition(|&byte| byte != 0) {
            // `last` is below `end - floor`: no overflow.
            Some(last) => floor.saturating_add(last as u64).saturating_add(1),
            None => floor,
        },
        Err(_) => end,
    }
}
