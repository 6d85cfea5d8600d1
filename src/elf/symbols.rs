//! One exported symbol of an ELF image's dynamic symbol table, and the file
//! bytes at its address. Walk: ELF header → the dynamic symbol table and its
//! string table → a linear scan for the name → the `PT_LOAD` segment that
//! maps the symbol's address. Allocation-free; every table's bounds are
//! checked before it is scanned.
//!
//! The table is found as linkers find it, through the section headers
//! (`SHT_DYNSYM`, and its `sh_link` string table), or, in an image without
//! them (or without `SHT_DYNSYM`), as the loader does, through the dynamic
//! table: `DT_SYMTAB`, `DT_STRTAB` and `DT_STRSZ`. The dynamic table does not
//! store the symbol count; it is read from a hash table:
//!
//! - `DT_HASH`'s `nchain`, which the gABI defines as the number of symbols:
//!   exact, one read. Preferred when present.
//! - otherwise `DT_GNU_HASH` (most GNU/Linux libraries have only it): hashed
//!   symbols come after `symoffset`, sorted by bucket, and the last chain
//!   entry of a bucket has its low bit set; so the count is one past the end
//!   of the chain that starts at the highest bucket. The walk is bounded by
//!   the segment's file bytes.
//! - on 64-bit s390, `DT_GNU_HASH` first: the Linux s390x ABI gives `.hash`
//!   8-byte entries (glibc's and musl's `Elf_Symndx`; GNU ld writes them),
//!   but lld writes 4-byte ones, so `DT_HASH`'s width depends on the linker.
//!   With only `DT_HASH`, it is read with 8-byte entries, as the loader does.
//!
//! A symbol is exported if it is defined (`st_shndx` not `SHN_UNDEF`) and
//! its binding is `STB_GLOBAL`, `STB_WEAK` or `STB_GNU_UNIQUE`, the bindings
//! the loader resolves. The first such symbol in table order is returned:
//! versioned duplicates (`memcpy@GLIBC_2.2.5`, `memcpy@@GLIBC_2.14`) are not
//! told apart.
//!
//! A symbol is imported if it is undefined and global or weak: the
//! reference the loader binds to a definition in a `DT_NEEDED` library.
//! Which library is not recorded (ELF's dynamic linking is flat), so an
//! import names no dependency.

use super::dynamic::Dynamic;
use super::header::Header;
use super::layout::{
    abi::EM_S390, st_bind, st_type, Class, DT_GNU_HASH, DT_HASH, DT_SYMTAB, GNU_HASH_BLOOM_SIZE, GNU_HASH_ENTRY,
    GNU_HASH_HEADER, GNU_HASH_NBUCKETS, GNU_HASH_SYMOFFSET, HASH_ENTRY, HASH_ENTRY_S390X, SHN_ABS, SHN_UNDEF,
    SHT_DYNSYM, STB_GLOBAL, STB_GNU_UNIQUE, STB_WEAK, STT_TLS,
};
use super::segments::Segments;
use crate::read::{first_u32, Data};
use crate::{Error, FileRange, Symbol};

/// The exported symbol `name` of `image`'s dynamic symbol table, or `None`
/// if there is none (or no dynamic symbol table).
pub(crate) fn find_symbol(image: Data<'_>, name: &[u8]) -> Result<Option<Symbol>, Error> {
    let header = Header::parse(image)?;
    let Some(table) = dynamic_symbols(&header)? else { return Ok(None) };
    let Some(symbol) = table.find(name)? else { return Ok(None) };
    let range = match header.segments()? {
        Some(segments) => file_range(&header, &segments, &symbol)?,
        None => None,
    };
    Ok(Some(Symbol { address: symbol.value, range }))
}

/// Whether `image`'s dynamic symbol table imports `name` (see the module
/// docs). An image without one (a relocatable object) imports nothing.
pub(crate) fn imports_symbol(image: Data<'_>, name: &[u8]) -> Result<bool, Error> {
    let header = Header::parse(image)?;
    let Some(table) = dynamic_symbols(&header)? else { return Ok(false) };
    table.imports(name)
}

/// A dynamic symbol table and its string table, checked to lie in the file.
struct Table<'a> {
    symbols: Data<'a>,
    names: Data<'a>,
    class: &'static Class,
}

/// What the lookup takes from one symbol.
struct Found {
    value: u64,
    size: u64,
    kind: u8,
    shndx: u64,
}

/// The dynamic symbol table: through `SHT_DYNSYM` if the file has one,
/// otherwise through the dynamic table.
fn dynamic_symbols<'a>(header: &Header<'a>) -> Result<Option<Table<'a>>, Error> {
    let class = header.class();
    if let Some(sections) = header.section_table()? {
        let (endian, at) = (sections.headers.endian, usize::try_from(class.section.sh_type).unwrap_or(usize::MAX));
        let is_dynsym = move |sh: &[u8]| sh.get(at..).and_then(|field| first_u32(field, endian)) == Some(SHT_DYNSYM);
        if let Some(sh) = sections.headers.matching("ELF section header", sections.entsize, is_dynsym).next() {
            let range = sections.fields(sh)?.range;
            let link = u64::from(sh.u32(class.section.sh_link)?);
            let strings = sections.fields(sections.header("ELF .dynsym string table header", link)?)?.range;
            let names = header.file.table("ELF dynamic string table", strings.offset, strings.size, 1)?;
            let count = range.size.checked_div(class.symbol.size).unwrap_or(0);
            let symbols = header.file.table("ELF dynamic symbol table", range.offset, class.symbol.size, count)?;
            return Ok(Some(Table { symbols, names, class }));
        }
    }
    let Some(dynamic) = header.dynamic()? else { return Ok(None) };
    let Some(symtab) = dynamic.find(DT_SYMTAB) else { return Ok(None) };
    let count = symbol_count(header, &dynamic)?;
    let size = count.checked_mul(class.symbol.size);
    let size =
        size.ok_or(Error::Overflow { what: "ELF DT_SYMTAB", offset: symtab.at, size: class.symbol.size, count })?;
    let symbols = dynamic.bytes_at("ELF DT_SYMTAB", "ELF dynamic symbol table", symtab, size)?;
    Ok(Some(Table { symbols, names: dynamic.strings()?, class }))
}

/// The number of dynamic symbols, from the hash tables (see the module docs).
fn symbol_count(header: &Header<'_>, dynamic: &Dynamic<'_>) -> Result<u64, Error> {
    let s390x = header.wide && header.fields.u16(header.class().file.e_machine)? == EM_S390;
    let gnu = dynamic.find(DT_GNU_HASH);
    // On 64-bit s390 DT_HASH's entry width depends on the linker: DT_GNU_HASH first.
    let sysv = if s390x && gnu.is_some() { None } else { dynamic.find(DT_HASH) };
    if let Some(hash) = sysv {
        let width = if s390x { HASH_ENTRY_S390X } else { HASH_ENTRY };
        let head = dynamic.bytes_at("ELF DT_HASH", "ELF hash table header", hash, width.saturating_mul(2))?;
        // nchain, the second entry.
        return if s390x { head.u64(width) } else { head.u32(width).map(u64::from) };
    }
    if let Some(gnu) = gnu {
        return gnu_symbol_count(header, dynamic, gnu);
    }
    let (at, symtab) = dynamic.find(DT_SYMTAB).map_or((0, 0), |e| (e.at, e.value));
    Err(Error::invalid("ELF DT_SYMTAB", at, symtab, "a DT_HASH or DT_GNU_HASH entry to count its symbols"))
}

/// The number of dynamic symbols a GNU hash table covers.
fn gnu_symbol_count(header: &Header<'_>, dynamic: &Dynamic<'_>, gnu: super::dynamic::Entry) -> Result<u64, Error> {
    let rest = dynamic.segments.map_rest("ELF DT_GNU_HASH", gnu.at, gnu.value)?;
    let table = header.file.table("ELF GNU hash table", rest.offset, rest.size, 1)?;
    let head = table.fixed::<{ GNU_HASH_HEADER as usize }>("ELF GNU hash table header", 0)?;
    let (nbuckets, symoffset) = (u64::from(head.u32(GNU_HASH_NBUCKETS)), u64::from(head.u32(GNU_HASH_SYMOFFSET)));
    let bloom = u64::from(head.u32(GNU_HASH_BLOOM_SIZE)).saturating_mul(header.class().word);
    let buckets_at = GNU_HASH_HEADER.saturating_add(bloom);
    let buckets = table.table("ELF GNU hash buckets", buckets_at, GNU_HASH_ENTRY, nbuckets)?;
    let endian = table.endian;
    let entries = |d: Data<'_>| -> Option<u32> { d.bytes.chunks_exact(4).filter_map(|e| first_u32(e, endian)).max() };
    let last = u64::from(entries(buckets).unwrap_or(0));
    // Every bucket empty: only the unhashed symbols before symoffset.
    if last == 0 {
        return Ok(symoffset);
    }
    let chains_at = buckets_at.saturating_add(buckets.len());
    let Some(first) = last.checked_sub(symoffset) else {
        return Err(Error::invalid("ELF GNU hash bucket", buckets.base, last, "a symbol index at least symoffset"));
    };
    let start = first.checked_mul(GNU_HASH_ENTRY).and_then(|at| at.checked_add(chains_at));
    let rest = start.and_then(|start| table.len().checked_sub(start));
    let Some((start, rest)) = start.zip(rest) else {
        return Err(Error::invalid("ELF GNU hash bucket", buckets.base, last, "a chain inside the table's segment"));
    };
    let chain = table.table("ELF GNU hash chain", start, GNU_HASH_ENTRY, rest / GNU_HASH_ENTRY)?;
    // Bounded by the segment's bytes: the chain ends at the entry whose low bit is set.
    let end = chain.bytes.chunks_exact(4).position(|e| first_u32(e, endian).is_some_and(|v| v & 1 == 1));
    match end {
        Some(i) => Ok(last.saturating_add(i as u64).saturating_add(1)),
        None => Err(Error::invalid("ELF GNU hash chain", chain.base, last, "a chain that ends inside its segment")),
    }
}

impl<'a> Table<'a> {
    /// The entries named `name`, in table order.
    fn named<'n>(&self, name: &'n [u8]) -> impl Iterator<Item = Data<'n>> + 'n
    where
        'a: 'n,
    {
        // Views of the table, for as long as `name` lives.
        let (symbols, names): (Data<'n>, Data<'n>) = (self.symbols, self.names);
        let endian = symbols.endian;
        // The test sees only the raw entry, whose first field is st_name.
        let named = move |sym: &[u8]| first_u32(sym, endian).is_some_and(|at| names.cstr_is(u64::from(at), name));
        symbols.matching("ELF dynamic symbol", self.class.symbol.size, named)
    }

    /// The first exported symbol named `name`.
    fn find(&self, name: &[u8]) -> Result<Option<Found>, Error> {
        let (at, wide) = (&self.class.symbol, self.class.wide);
        for sym in self.named(name) {
            let info = sym.u8(at.st_info)?;
            let shndx = u64::from(sym.u16(at.st_shndx)?);
            if is_global(info) && shndx != SHN_UNDEF {
                let (value, size) = (sym.word(at.st_value, wide)?, sym.word(at.st_size, wide)?);
                return Ok(Some(Found { value, size, kind: st_type(info), shndx }));
            }
        }
        Ok(None)
    }

    /// Whether an undefined global or weak symbol is named `name`.
    fn imports(&self, name: &[u8]) -> Result<bool, Error> {
        let at = &self.class.symbol;
        for sym in self.named(name) {
            // STB_GNU_UNIQUE marks definitions only.
            let bind = st_bind(sym.u8(at.st_info)?);
            if matches!(bind, STB_GLOBAL | STB_WEAK) && u64::from(sym.u16(at.st_shndx)?) == SHN_UNDEF {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Whether a symbol's binding is one the loader resolves across objects.
fn is_global(info: u8) -> bool {
    matches!(st_bind(info), STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE)
}

/// The file bytes at `symbol`'s address: `st_size` bytes, clipped to the
/// file bytes of the `PT_LOAD` segment that maps it; `None` if no segment's
/// file bytes hold it (`.bss`), or if `st_value` is not an address (a TLS
/// offset, an absolute value).
fn file_range(header: &Header<'_>, segments: &Segments<'_>, symbol: &Found) -> Result<Option<FileRange>, Error> {
    if symbol.kind == STT_TLS || symbol.shndx == SHN_ABS {
        return Ok(None);
    }
    let Some(load) = segments.load_holding(symbol.value)? else { return Ok(None) };
    let delta = symbol.value.saturating_sub(load.p_vaddr);
    let Some(available) = load.p_filesz.checked_sub(delta).filter(|&n| n > 0) else { return Ok(None) };
    let offset = load.p_offset.checked_add(delta);
    let offset =
        offset.ok_or(Error::Overflow { what: "ELF symbol's bytes", offset: load.at, size: delta, count: 1 })?;
    let bytes = header.file.table("ELF symbol's bytes", offset, symbol.size.min(available), 1)?;
    Ok(Some(FileRange { offset: bytes.base, size: bytes.len() }))
}

#[cfg(test)]
mod tests;
