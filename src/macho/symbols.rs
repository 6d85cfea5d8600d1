//! One exported symbol of a Mach-O image, found in its symbol table
//! (`LC_SYMTAB`: `nlist`/`nlist_64` entries and a string table,
//! `<mach-o/nlist.h>`), and the file bytes at its address.
//!
//! The symbol table rather than the export trie: every linker's dylib keeps
//! its external definitions there (`strip -x` and `-Wl,-x` drop only local
//! symbols; stripping a dylib's globals breaks linking against it), the table is
//! a flat array whose count is checked against the bytes before one loop,
//! and both give the same thing, an address. The trie is what dyld reads;
//! a file whose trie and table disagree is not one the writers here make.
//!
//! `nlist` has no size, so a symbol's bytes run to the end of the section
//! holding its address (of the segment's file bytes if no section does).
//!
//! An image imports a symbol that its table lists as undefined and external
//! (`N_UNDF | N_EXT` with `n_value` 0; a nonzero value would make it a
//! common symbol), the entry dyld binds to a dependency's export. Linkers
//! keep these entries for `nm -u` and for the two-level namespace's library
//! ordinal in `n_desc`, which is not read here. Old prebound entries
//! (`N_PBUD`) are not counted, as `object` does not count them. Only an
//! image dyld loads (`MH_EXECUTE`, `MH_DYLIB`, `MH_BUNDLE`) has
//! dependencies: an object file imports nothing, and neither does a dSYM
//! companion, which keeps its image's symbol table.

use super::header::{self, Header};
use super::layout::{is_zerofill, nlist, nlist_64, symtab_command, CMDSIZE_READ, LC_SYMTAB};
use super::layout::{MH_BUNDLE, MH_DYLIB, MH_EXECUTE};
use super::layout::{N_EXT, N_PEXT, N_SECT, N_STAB, N_TYPE};
use crate::read::Data;
use crate::{Error, FileRange, Symbol};

/// The external symbol named `name` (the C-level name as stored, with its
/// leading `_`) defined in a section of the thin image `image`: `N_EXT`, not
/// `N_PEXT`, type `N_SECT`, not a debugger entry. The first such entry if
/// the table holds several. `None` if there is no symbol table or no such
/// symbol. `range` is absolute (from `image.base`), like every error offset.
#[cfg(test)]
pub(crate) fn find_symbol(image: Data<'_>, name: &[u8]) -> Result<Option<Symbol>, Error> {
    find(image, Name { underscore: false, name })
}

/// [`find_symbol`](crate::find_symbol) of the C name `c_name` (`jl_pkgimg_data`), stored with
/// the leading `_` C compilers add on Apple platforms, without allocating
/// the stored name.
pub(crate) fn find_c_symbol(image: Data<'_>, c_name: &[u8]) -> Result<Option<Symbol>, Error> {
    find(image, Name { underscore: true, name: c_name })
}

/// Whether the thin image `image` imports the C name `c_name` (stored with
/// its leading `_`): see the module docs.
pub(crate) fn imports_c_symbol(image: Data<'_>, c_name: &[u8]) -> Result<bool, Error> {
    imports(image, Name { underscore: true, name: c_name })
}

/// Whether the thin image `image` imports the stored name `name`.
#[cfg(test)]
pub(crate) fn imports_symbol(image: Data<'_>, name: &[u8]) -> Result<bool, Error> {
    imports(image, Name { underscore: false, name })
}

fn imports(image: Data<'_>, name: Name<'_>) -> Result<bool, Error> {
    let header = header::parse(image)?;
    if !matches!(header.filetype, MH_EXECUTE | MH_DYLIB | MH_BUNDLE) {
        return Ok(false);
    }
    let Some(table) = symbol_table(&header)? else { return Ok(false) };
    Ok(lookup(image, table, header.width.wide, name, Entry::Undefined)? == Some(0))
}

/// Which entries a lookup takes, by their `n_type`.
#[derive(Clone, Copy)]
enum Entry {
    /// Defined in a section and exported: `N_SECT | N_EXT`, not `N_PEXT`.
    Exported,
    /// Undefined and external: `N_UNDF | N_EXT` (`N_PEXT` means nothing here).
    Undefined,
}

impl Entry {
    /// The bits of `n_type` that must equal [`Self::value`].
    fn mask(self) -> u8 {
        match self {
            Entry::Exported => N_STAB | N_PEXT | N_TYPE | N_EXT,
            Entry::Undefined => N_STAB | N_TYPE | N_EXT,
        }
    }

    fn value(self) -> u8 {
        match self {
            Entry::Exported => N_SECT | N_EXT,
            // N_UNDF is 0.
            Entry::Undefined => N_EXT,
        }
    }
}

/// A stored name: `name`, after a `_` if `underscore`.
#[derive(Clone, Copy)]
struct Name<'n> {
    underscore: bool,
    name: &'n [u8],
}

impl Name<'_> {
    /// Whether the NUL-terminated string at `at` in `strings` is this name.
    fn is_at(&self, strings: Data<'_>, at: u64) -> bool {
        match self.underscore {
            false => strings.cstr_is(at, self.name),
            true => strings.u8(at) == Ok(b'_') && strings.cstr_is(at.saturating_add(1), self.name),
        }
    }
}

fn find(image: Data<'_>, name: Name<'_>) -> Result<Option<Symbol>, Error> {
    let header = header::parse(image)?;
    let Some(table) = symbol_table(&header)? else { return Ok(None) };
    let Some(address) = lookup(image, table, header.width.wide, name, Entry::Exported)? else { return Ok(None) };
    Ok(Some(Symbol { address, range: bytes_at(image, &header, address)? }))
}

/// `symoff`, `nsyms`, `stroff`, `strsize` of the image's `LC_SYMTAB`; a
/// second one is an error, as in dyld.
fn symbol_table(header: &Header<'_>) -> Result<Option<[u32; 4]>, Error> {
    let mut found = None;
    for command in header.commands(CMDSIZE_READ) {
        let command = command?;
        if command.cmd != LC_SYMTAB {
            continue;
        }
        let fields = command.data.fixed::<{ symtab_command::LEN as usize }>("Mach-O LC_SYMTAB", 0)?;
        if found.is_some() {
            return Err(Error::invalid("Mach-O LC_SYMTAB", command.data.base, LC_SYMTAB, "one per image"));
        }
        let field = |at| fields.u32(at);
        let table = [symtab_command::SYMOFF, symtab_command::NSYMS, symtab_command::STROFF, symtab_command::STRSIZE];
        found = Some(table.map(field));
    }
    Ok(found)
}

/// The `n_value` of the first entry of `table` of kind `entry` named `name`.
fn lookup(image: Data<'_>, table: [u32; 4], wide: bool, name: Name<'_>, entry: Entry) -> Result<Option<u64>, Error> {
    let [symoff, nsyms, stroff, strsize] = table.map(u64::from);
    let len = if wide { nlist_64::LEN } else { nlist::LEN };
    // The count is checked against the bytes before the loop.
    let symbols = image.table("Mach-O symbol table", symoff, len, nsyms)?;
    let strings = image.table("Mach-O string table", stroff, strsize, 1)?;
    let type_at = usize::try_from(nlist::TYPE).unwrap_or(usize::MAX);
    // One compare of n_type per entry.
    let (mask, value) = (entry.mask(), entry.value());
    let wanted = move |raw: &[u8]| raw.get(type_at).is_some_and(|t| t & mask == value);
    for raw in symbols.matching("Mach-O symbol table entry", len, wanted) {
        if name.is_at(strings, u64::from(raw.u32(nlist::STRX)?)) {
            return raw.word(nlist::VALUE, wide).map(Some);
        }
    }
    Ok(None)
}

/// The file bytes at `address`: through the segment whose memory holds it,
/// up to the end of the section holding it (or of the segment's file bytes);
/// `None` for zero-fill memory.
fn bytes_at(image: Data<'_>, header: &Header<'_>, address: u64) -> Result<Option<FileRange>, Error> {
    let (width, wide) = (header.width, header.width.wide);
    let segment = width.segment;
    for command in header.commands(CMDSIZE_READ) {
        let command = command?;
        if command.cmd != segment.cmd {
            continue;
        }
        let seg = command.data;
        let (vmaddr, vmsize) = (seg.word(segment.vmaddr, wide)?, seg.word(segment.vmsize, wide)?);
        let Some(delta) = address.checked_sub(vmaddr).filter(|d| *d < vmsize) else { continue };
        let (fileoff, filesize) = (seg.word(segment.fileoff, wide)?, seg.word(segment.filesize, wide)?);
        // Past the segment's file bytes, memory is zero-filled.
        let Some(left) = filesize.checked_sub(delta).filter(|left| *left > 0) else { return Ok(None) };
        let size = match section_left(command.section_headers(width)?, header, address)? {
            Some(None) => return Ok(None),
            Some(Some(in_section)) => in_section.min(left),
            None => left,
        };
        let offset = fileoff.checked_add(delta).ok_or(Error::Overflow {
            what: "Mach-O segment",
            offset: seg.base,
            size: delta,
            count: 1,
        })?;
        let bytes = image.table("Mach-O symbol's bytes", offset, size, 1)?;
        return Ok(Some(FileRange { offset: bytes.base, size }));
    }
    Ok(None)
}

/// How many bytes of the section holding `address` lie at and after it:
/// `None` if no section of the segment holds it, `Some(None)` if that
/// section is zero-fill.
fn section_left(sections: Data<'_>, header: &Header<'_>, address: u64) -> Result<Option<Option<u64>>, Error> {
    let (section, wide) = (header.width.section, header.width.wide);
    for raw in sections.matching("Mach-O section header", section.len, |_| true) {
        let (addr, size) = (raw.word(section.addr, wide)?, raw.word(section.size, wide)?);
        let Some(left) = address.checked_sub(addr).and_then(|d| size.checked_sub(d)).filter(|l| *l > 0) else {
            continue;
        };
        return Ok(Some((!is_zerofill(raw.u32(section.flags)?)).then_some(left)));
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use object::{Object, ObjectSection, ObjectSymbol};

    use super::*;
    use crate::macho::layout::{LC_SEGMENT_64, LC_UUID};
    use crate::macho::test_tools::{fixtures, images, machos};

    /// A symbol's name, address and (offset, size) in the file.
    type Export = (String, u64, Option<(u64, u64)>);

    /// Every exported definition goblin lists, with the file range the rule
    /// "through its section" gives from goblin's own section headers.
    fn goblin_exports(image: &[u8]) -> Vec<Export> {
        let macho = goblin::mach::MachO::parse(image, 0).unwrap();
        let sections: Vec<_> =
            macho.segments.iter().flat_map(|s| s.sections().unwrap()).map(|(section, _)| section).collect();
        let mut out: Vec<Export> = Vec::new();
        for symbol in macho.symbols() {
            let (name, nlist) = symbol.unwrap();
            if nlist.n_type & (N_STAB | N_PEXT | N_TYPE | N_EXT) != N_SECT | N_EXT
                || out.iter().any(|(n, ..)| n == name)
            {
                continue;
            }
            let section = &sections[nlist.n_sect - 1];
            let inside = nlist.n_value >= section.addr && nlist.n_value < section.addr + section.size;
            let range = (inside && !is_zerofill(section.flags)).then(|| {
                let delta = nlist.n_value - section.addr;
                (u64::from(section.offset) + delta, section.size - delta)
            });
            out.push((name.to_string(), nlist.n_value, range));
        }
        out
    }

    /// Our lookup of each of them: the same address and bytes, and `object`
    /// finds the symbol at that address in a section whose file range agrees.
    fn assert_agrees(label: &str, image: &[u8], base: u64) -> usize {
        let file = object::File::parse(image).unwrap();
        let exports = goblin_exports(image);
        for (name, address, range) in &exports {
            let found = find_symbol(Data::new(image, base, "the slice"), name.as_bytes()).unwrap();
            let found = found.unwrap_or_else(|| panic!("{label}: {name} not found"));
            if let Some(c_name) = name.strip_prefix('_') {
                let c = find_c_symbol(Data::new(image, base, "the slice"), c_name.as_bytes()).unwrap();
                assert_eq!(c, Some(found), "{label}: {name} by its C name");
            }
            assert_eq!(found.address, *address, "{label}: {name}");
            if let Some((offset, size)) = range {
                assert_eq!(found.range, Some(FileRange { offset: base + offset, size: *size }), "{label}: {name}");
            }
            let theirs = file.symbols().find(|s| s.name_bytes() == Ok(name.as_bytes()) && s.is_definition()).unwrap();
            assert_eq!(theirs.address(), *address, "{label}: object's {name}");
            let section = file.section_by_index(theirs.section_index().unwrap()).unwrap();
            if let (Some((offset, _)), Some((start, _))) = (range, section.file_range()) {
                assert_eq!(*offset, start + (address - section.address()), "{label}: object's section of {name}");
            }
        }
        exports.len()
    }

    #[test]
    fn agrees_with_goblin_and_object_on_every_macho_at_hand() {
        let mut symbols = 0;
        for (path, file) in machos() {
            for (base, image) in images(&file) {
                let compared = assert_agrees(&format!("{} @{base:#x}", path.display()), image, base);
                eprintln!("{} @{base:#x}: {compared} exported symbols compared", path.display());
                symbols += compared;
            }
        }
        assert!(symbols > 20, "{symbols} symbols compared");
        let Some(fixtures) = fixtures() else { return };
        for path in fixtures.code.iter().map(|c| &c.path).chain(fixtures.checksum.iter().map(|c| &c.1)) {
            assert_agrees(&path.display().to_string(), &std::fs::read(path).unwrap(), 0);
        }
    }

    /// Whether `image` imports the stored name `name`; by its C name too, if it has a `_`.
    fn imports(image: &[u8], base: u64, name: &str) -> bool {
        let data = Data::new(image, base, "the slice");
        let raw = imports_symbol(data, name.as_bytes()).unwrap();
        if let Some(c_name) = name.strip_prefix('_') {
            assert_eq!(imports_c_symbol(data, c_name.as_bytes()).unwrap(), raw, "{name} by its C name");
        }
        raw
    }

    /// object's reading of a linked image: the names its binds import
    /// (`Object::imports`, from the dyld info or chained fixups), the
    /// undefined globals of its symbol table, and its global definitions
    /// that are not also undefined.
    fn object_imports(image: &[u8]) -> [Vec<String>; 3] {
        let file = object::File::parse(image).unwrap();
        let name = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
        let named = |i: object::Import<'_>| match i.name() {
            object::read::NameOrOrdinal::Name(bytes) => Some(name(bytes)),
            object::read::NameOrOrdinal::Ordinal(_) => None,
        };
        let bound = file.imports().unwrap().map(|i| i.unwrap()).filter_map(named).collect();
        let (mut undefined, mut defined) = (Vec::new(), Vec::new());
        for symbol in file.symbols().filter(|s| s.is_global()) {
            let list = if symbol.is_undefined() { &mut undefined } else { &mut defined };
            list.push(name(symbol.name_bytes().unwrap()));
        }
        defined.retain(|name| !undefined.contains(name));
        [bound, undefined, defined]
    }

    #[test]
    fn imports_agree_with_object_on_every_macho_at_hand() {
        let mut compared = 0;
        let mut check = |label: &str, image: &[u8], base: u64| {
            let [bound, undefined, defined] = object_imports(image);
            for name in bound.iter().chain(&undefined) {
                assert!(imports(image, base, name), "{label}: {name}");
                compared += 1;
            }
            for name in &defined {
                assert!(!imports(image, base, name), "{label}: {name} is defined");
            }
        };
        for (path, file) in machos() {
            for (base, image) in images(&file) {
                check(&format!("{} @{base:#x}", path.display()), image, base);
            }
        }
        let Some(fixtures) = fixtures() else { return };
        // Every way the fixtures link a code library imports the data record's symbol.
        for code in &fixtures.code {
            let image = std::fs::read(&code.path).unwrap();
            check(&code.how, &image, 0);
            assert!(imports(&image, 0, "_jl_pkgimg_data"), "{}", code.how);
            assert!(!imports(&image, 0, "_jl_pkgimg_dat"), "{}: a prefix", code.how);
            assert!(!imports(&image, 0, "_pkgimg_payload_size"), "{}: its own function", code.how);
        }
        for (target, path) in fixtures.data.iter().chain(&fixtures.checksum) {
            let image = std::fs::read(path).unwrap();
            check(target, &image, 0);
            assert!(!imports(&image, 0, "_jl_pkgimg_data"), "{target}: {}", path.display());
        }
        // The object the lld code libraries are linked from: the same undefined entry, no import.
        let objects = fixtures.code.iter().filter_map(|c| c.path.parent()).map(|dir| dir.join("code.o"));
        for path in objects.filter(|o| o.exists()) {
            let image = std::fs::read(&path).unwrap();
            assert_eq!(object_imports(&image)[1], ["_jl_pkgimg_data"], "{}", path.display());
            assert!(!imports(&image, 0, "_jl_pkgimg_data"), "{}: an object imports nothing", path.display());
        }
        assert!(compared > 10, "{compared} imports compared");
    }

    /// `<mach-o/nlist.h>`'s kinds of entry, each with the answer the header
    /// file gives, in every kind of file.
    #[test]
    fn only_undefined_external_entries_of_loaded_images_are_imports() {
        const N_GSYM: u8 = 0x20;
        const N_INDR: u8 = 0x0a;
        const N_PBUD: u8 = 0x0c;
        let bytes = image(&[
            ("_import", N_EXT, 0),
            ("_private_import", N_PEXT | N_EXT, 0), // N_PEXT says nothing of an undefined entry
            ("_common", N_EXT, 16),                 // N_UNDF with a size: a common symbol
            ("_local_undefined", 0, 0),
            ("_global_stab", N_GSYM | N_EXT, 0),
            ("_indirect", N_INDR | N_EXT, 0),
            ("_prebound", N_PBUD | N_EXT, 0),
            ("_defined", N_SECT | N_EXT, 0xf04),
        ]);
        let expected = [
            ("_import", true),
            ("_private_import", true),
            ("_common", false),
            ("_local_undefined", false),
            ("_global_stab", false),
            ("_indirect", false),
            ("_prebound", false),
            ("_defined", false),
            ("_impor", false),
            ("_nothing", false),
        ];
        for (name, answer) in expected {
            assert_eq!(imports(&bytes, 0x10_000, name), answer, "{name}");
        }
        // mach_header_64.filetype, at offset 12.
        for (filetype, answer) in [(1, false), (2, true), (6, true), (8, true), (0xa, false)] {
            let mut file = bytes.clone();
            file[12..16].copy_from_slice(&u32::to_le_bytes(filetype));
            assert_eq!(imports(&file, 0, "_import"), answer, "filetype {filetype:#x}");
        }
        // An object with a broken symbol table imports nothing: it is not read.
        let mut object = bytes.clone();
        object[12..16].copy_from_slice(&1u32.to_le_bytes());
        let symtab = object.windows(8).position(|w| w == [2, 0, 0, 0, 24, 0, 0, 0]).unwrap();
        object[symtab + 8..symtab + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!imports(&object, 0, "_import"));
    }

    /// corpus/malformed/truncated-payload.dylib is macho/aarch64-macos.dylib
    /// cut inside the payload: the load commands are whole, the symbol
    /// table (in `__LINKEDIT`, after the payload) is gone.
    #[test]
    fn a_symbol_table_cut_off_is_an_error_naming_it() {
        let file = std::fs::read(crate::macho::test_tools::corpus().join("malformed/truncated-payload.dylib")).unwrap();
        let err = find_symbol(Data::new(&file, 0, "the file"), b"_anything").unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "Mach-O symbol table", available: 59216, .. }), "{err}");
    }

    /// docs/FORMAT.md §7.4: a v14 split library exports `jl_system_image_checksum`.
    #[test]
    fn the_checksum_a_zig_dylib_exports_reads_back() {
        let Some(fixtures) = fixtures() else { return };
        for (target, path) in &fixtures.checksum {
            let file = std::fs::read(path).unwrap();
            let symbol = find_symbol(Data::new(&file, 0, "the file"), b"_jl_system_image_checksum").unwrap().unwrap();
            let range = symbol.range.unwrap();
            assert!(range.size >= 4, "{target}: {range:?}");
            let at = range.offset as usize;
            assert_eq!(u32::from_le_bytes(file[at..at + 4].try_into().unwrap()), 0x1234_5678, "{target}");
            assert_eq!(find_symbol(Data::new(&file, 0, "the file"), b"jl_system_image_checksum").unwrap(), None);
            let by_c_name = find_c_symbol(Data::new(&file, 0, "the file"), b"jl_system_image_checksum").unwrap();
            assert_eq!(by_c_name, Some(symbol), "{target}");
            assert_eq!(find_c_symbol(Data::new(&file, 0, "the file"), b"_jl_system_image_checksum").unwrap(), None);
        }
    }

    /// A 64-bit image: `__TEXT` (0..0x1000, a section at 0xf00..0xf10),
    /// `__DATA` (0x1000..0x3000 in memory, 0x800 bytes in the file; a zero-fill
    /// section at 0x2000), and a symbol table of `symbols` (name, type, value).
    fn image(symbols: &[(&str, u8, u64)]) -> Vec<u8> {
        let section = |name: &[u8], seg: &[u8], addr: u64, size: u64, offset: u32, flags: u32| {
            let mut s = [0u8; 80];
            s[..name.len()].copy_from_slice(name);
            s[16..16 + seg.len()].copy_from_slice(seg);
            s[32..40].copy_from_slice(&addr.to_le_bytes());
            s[40..48].copy_from_slice(&size.to_le_bytes());
            s[48..52].copy_from_slice(&offset.to_le_bytes());
            s[64..68].copy_from_slice(&flags.to_le_bytes());
            s.to_vec()
        };
        let segment = |name: &[u8], vm: (u64, u64), file: (u64, u64), sections: &[Vec<u8>]| {
            let mut s = [0u8; 72];
            s[..4].copy_from_slice(&LC_SEGMENT_64.to_le_bytes());
            s[4..8].copy_from_slice(&(72 + 80 * sections.len() as u32).to_le_bytes());
            s[8..8 + name.len()].copy_from_slice(name);
            for (at, v) in [(24, vm.0), (32, vm.1), (40, file.0), (48, file.1)] {
                s[at..at + 8].copy_from_slice(&v.to_le_bytes());
            }
            s[64..68].copy_from_slice(&(sections.len() as u32).to_le_bytes());
            [s.to_vec(), sections.concat()].concat()
        };
        let text =
            segment(b"__TEXT", (0, 0x1000), (0, 0x1000), &[section(b"__text", b"__TEXT", 0xf00, 0x10, 0xf00, 0)]);
        let data = segment(
            b"__DATA",
            (0x1000, 0x2000),
            (0x1000, 0x800),
            &[
                section(b"__data", b"__DATA", 0x1000, 0x100, 0x1000, 0),
                section(b"__bss", b"__DATA", 0x2000, 0x40, 0, 1),
            ],
        );
        let mut strings = vec![0u8];
        let mut table = Vec::new();
        for (name, n_type, value) in symbols {
            let mut entry = [0u8; 16];
            entry[..4].copy_from_slice(&(strings.len() as u32).to_le_bytes());
            entry[4] = *n_type;
            entry[5] = 1;
            entry[8..].copy_from_slice(&value.to_le_bytes());
            table.extend(entry);
            strings.extend(name.as_bytes());
            strings.push(0);
        }
        let (symoff, stroff) = (0x1800u32, 0x1800 + table.len() as u32);
        let mut symtab =
            [LC_SYMTAB, 24, symoff, symbols.len() as u32, stroff, strings.len() as u32].map(u32::to_le_bytes).concat();
        let commands = [text, data, std::mem::take(&mut symtab)].concat();
        let mut b = [0xfeed_facf, 0x0100_0007, 3, 6, 3, commands.len() as u32, 0, 0].map(u32::to_le_bytes).concat();
        b.extend(commands);
        b.resize(symoff as usize, 0);
        b.extend(table);
        b.extend(strings);
        b
    }

    #[test]
    fn only_external_definitions_count_and_bytes_end_with_their_section() {
        let ext = N_SECT | N_EXT;
        let bytes = image(&[
            ("_local", N_SECT, 0xf00),
            ("_stab", 0x24 | N_EXT, 0xf00), // N_FUN with the external bit: a debugger entry
            ("_private", ext | N_PEXT, 0xf00),
            ("_undefined", N_EXT, 0),
            ("_code", ext, 0xf04),
            ("_header", ext, 0),
            ("_data", ext, 0x1010),
            ("_past_data", ext, 0x1200),
            ("_bss", ext, 0x2008),
            ("_code", ext, 0xf08),
        ]);
        let find = |name: &[u8]| find_symbol(Data::new(&bytes, 0x10_000, "the slice"), name).unwrap();
        for name in [&b"_local"[..], b"_stab", b"_private", b"_undefined", b"_nothing", b"_cod", b"_code_"] {
            assert_eq!(find(name), None, "{}", String::from_utf8_lossy(name));
        }
        let at = |offset: u64, size: u64| Some(FileRange { offset: 0x10_000 + offset, size });
        // The first definition wins; bytes up to the end of __text.
        assert_eq!(find(b"_code"), Some(Symbol { address: 0xf04, range: at(0xf04, 0xc) }));
        // In a segment but no section (the mach header): to the segment's end.
        assert_eq!(find(b"_header"), Some(Symbol { address: 0, range: at(0, 0x1000) }));
        assert_eq!(find(b"_data"), Some(Symbol { address: 0x1010, range: at(0x1010, 0xf0) }));
        assert_eq!(find(b"_past_data"), Some(Symbol { address: 0x1200, range: at(0x1200, 0x600) }));
        // Zero-fill: past the segment's file bytes, and a zero-fill section.
        assert_eq!(find(b"_bss"), Some(Symbol { address: 0x2008, range: None }));
    }

    #[test]
    fn a_table_outside_the_file_or_a_second_one_is_an_error() {
        let bytes = image(&[("_a", N_SECT | N_EXT, 0xf00)]);
        let symtab = bytes.windows(8).position(|w| w == [2, 0, 0, 0, 24, 0, 0, 0]).unwrap();
        let patched = |field: usize, value: u32| {
            let mut b = bytes.clone();
            b[symtab + field..symtab + field + 4].copy_from_slice(&value.to_le_bytes());
            find_symbol(Data::new(&b, 0, "the file"), b"_a")
        };
        // nsyms far beyond the file: refused before any entry is read.
        let err = patched(12, u32::MAX).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "Mach-O symbol table", count: 0xffff_ffff, .. }), "{err}");
        assert!(matches!(patched(16, u32::MAX).unwrap_err(), Error::Truncated { what: "Mach-O string table", .. }));
        // An n_strx past the strings matches nothing.
        let mut b = bytes.clone();
        b[0x1800..0x1804].copy_from_slice(&0xffffu32.to_le_bytes());
        assert_eq!(find_symbol(Data::new(&b, 0, "the file"), b"_a").unwrap(), None);
        // A truncated LC_SYMTAB and a second LC_SYMTAB (made from a segment's bytes).
        let mut second = bytes.clone();
        second[32..36].copy_from_slice(&LC_SYMTAB.to_le_bytes());
        assert!(matches!(find_symbol(Data::new(&second, 0, "the file"), b"_a"), Err(Error::Invalid { .. })));
        let mut short = bytes.clone();
        short[symtab..symtab + 4].copy_from_slice(&LC_UUID.to_le_bytes());
        short[32..36].copy_from_slice(&LC_SYMTAB.to_le_bytes());
        short[36..40].copy_from_slice(&16u32.to_le_bytes());
        let err = find_symbol(Data::new(&short, 0, "the file"), b"_a").unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "Mach-O LC_SYMTAB", offset: 32, size: 24, .. }), "{err}");
        // No LC_SYMTAB at all: no symbol.
        let mut none = bytes.clone();
        none[symtab..symtab + 4].copy_from_slice(&LC_UUID.to_le_bytes());
        assert_eq!(find_symbol(Data::new(&none, 0, "the file"), b"_a").unwrap(), None);
    }
}
