//! The DLLs a PE image loads, from its headers alone: the import directory
//! (data directory 1), then the delay-load import directory (13). Walk:
//! [`header::parse`] → data directory → the section holding its RVA → each
//! descriptor until the all-zero one → its name's RVA → the name.
//!
//! Each descriptor and name is read from its section's file bytes (the
//! navigator's rule for a section's bytes), from the directory or the name
//! to the end of the section, so the loop can never read past them: a table that
//! reaches the end before its all-zero descriptor is an error, as is a name
//! without a NUL before the end of its section. The
//! names must lie in one section, as `object` reads them
//! ([`header::Header::import_sections`]: the first descriptor's name's for
//! the import directory, the directory's own for the delay-load one): a
//! name then costs one comparison, not a walk of the section table, so the
//! walk costs time linear in the file's size. The
//! directory's `Size` is not used: the loader reads descriptors until the
//! all-zero one, and linkers disagree on what the size counts. A COFF
//! object, or an image without those directories, has no dependencies.

use super::header::{self, Directory, Header};
use super::layout::{
    delay_load_descriptor, import_descriptor, IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT, IMAGE_DIRECTORY_ENTRY_IMPORT,
};
use crate::read::{Data, Either, Source};
use crate::{Dependency, DependencyKind, Error, FileRange};

/// The DLL names of one image, imports first, in table order. It keeps the
/// image and reads each descriptor and name as the walk comes to it: of a
/// large file read in parts (`path::dependencies_of`), only the bytes from
/// the tables on are read, not their section from its start (a 50 MB
/// `.rdata`, which lld-link ends with the imports, took 43 ms to read per
/// check).
#[derive(Clone, Debug)]
pub(crate) struct Dependencies<'a> {
    /// Each directory's next descriptor and the sections it reads: the
    /// imports', then the delay-load imports'. Both `None` after an error.
    tables: [Option<Table<'a>>; 2],
}

/// One directory's walk: where its next descriptor is, and the sections
/// that hold the descriptors and the names.
#[derive(Clone, Copy, Debug)]
struct Table<'a> {
    kind: DependencyKind,
    /// Where the next descriptor is in the descriptors' section's file
    /// bytes (an offset, not an RVA, which could pass `u32::MAX` there).
    next: u64,
    descriptors: Section<'a>,
    names: Section<'a>,
}

/// A section's file bytes, read a little at a time.
#[derive(Clone, Copy, Debug)]
struct Section<'a> {
    image: Data<'a, Either<'a>>,
    range: FileRange,
    /// Its `VirtualAddress`.
    start: u32,
    /// What an RVA outside it is expected to be, for the error.
    expected: &'static str,
}

/// How much the walk asks for at a time: from the directory, or from a
/// name, to the end of its section. Linkers put the import tables and the
/// names together (lld-link at the end of `.rdata`, GNU ld in `.idata`):
/// one read from the directory holds them all, however large the section
/// before it. A cap on the reads' size would make each name beyond it one
/// more read, and a file read in parts takes at most six (review 26: names
/// spread over a 4 MiB section failed, where the whole section read did
/// not). Only a name before the directory costs a read more.
const REST: u64 = u64::MAX;

impl<'a> Section<'a> {
    /// The section of `header` whose file bytes hold `rva`, checked to lie
    /// in the file as a whole (a section cut short is an error, as when it
    /// was read whole), or `None`.
    fn holding<S: Source<'a>>(header: &Header, image: Data<'a, S>, rva: u32) -> Result<Option<Section<'a>>, Error> {
        let Some((range, start)) = header.section_range_at(image, rva)? else { return Ok(None) };
        image.within("PE section data", range.offset, range.size)?;
        let image = image.either().with_endian(crate::Endian::Little);
        Ok(Some(Section { image, range, start, expected: "an RVA inside the section of its directory" }))
    }

    /// Up to `want` of the bytes from `rva` to the end of the section; an
    /// error naming `what` and `field` (where the RVA was read) if the
    /// section's file bytes do not hold `rva`.
    fn at(&self, what: &'static str, rva: u32, field: u64, want: u64) -> Result<Data<'a>, Error> {
        match rva.checked_sub(self.start).map(u64::from) {
            Some(delta) if delta < self.range.size => self.from(delta, want),
            _ => Err(Error::invalid(what, field, rva, self.expected)),
        }
    }

    /// Up to `want` of the bytes from `delta` (at most the section's size)
    /// to the end of the section.
    fn from(&self, delta: u64, want: u64) -> Result<Data<'a>, Error> {
        let len = self.range.size.saturating_sub(delta).min(want);
        let bytes = self.image.table("PE section data", self.range.offset.saturating_add(delta), len, 1)?;
        Ok(Data { what: "its section", ..bytes })
    }
}

/// The dependencies of `image`; an error if a directory's RVA is in no section.
pub(crate) fn dependencies<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Dependencies<'a>, Error> {
    let header = header::parse(image)?;
    let table = |index, kind, what| -> Result<_, Error> {
        let Some(directory) = header.directory(image, index)? else { return Ok(None) };
        let Some(descriptors) = Section::holding(&header, image, directory.rva)? else {
            return Err(Error::invalid(what, directory.at, directory.rva, "an RVA inside a section's file bytes"));
        };
        // The first read: the directory and what lies after it.
        descriptors.at(what, directory.rva, directory.at, REST)?;
        // A delay-load directory's names are in its own section.
        let names = match kind {
            DependencyKind::Import => import_names(&header, image, &directory, descriptors, what),
            _ => descriptors,
        };
        let next = u64::from(directory.rva.saturating_sub(descriptors.start));
        Ok(Some(Table { kind, next, descriptors, names }))
    };
    let imports = table(IMAGE_DIRECTORY_ENTRY_IMPORT, DependencyKind::Import, "PE import directory")?;
    let delayed = table(IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT, DependencyKind::DelayImport, "PE delay-load directory")?;
    Ok(Dependencies { tables: [imports, delayed] })
}

/// The section an import directory's names are read from, as the `object`
/// crate reads them (`ImportTable::from_sections`, since old linkers put
/// names apart; [`header::Header::import_sections`]): the one holding the
/// first descriptor's name, or the directory's own if that name is in
/// none. Errors here are the walk's to report, when it reads the descriptor.
fn import_names<'a, S: Source<'a>>(
    header: &Header,
    image: Data<'a, S>,
    directory: &Directory,
    descriptors: Section<'a>,
    what: &'static str,
) -> Section<'a> {
    let first = descriptors.at(what, directory.rva, directory.at, import_descriptor::SIZE);
    let name = first.and_then(|d| d.u32(import_descriptor::NAME_RVA));
    match name.map(|rva| Section::holding(header, image, rva)) {
        Ok(Ok(Some(names))) if names.start != descriptors.start => {
            Section { expected: "an RVA inside the section of the directory's first name", ..names }
        }
        _ => descriptors,
    }
}

impl<'a> Iterator for Dependencies<'a> {
    type Item = Result<Dependency<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.step().transpose();
        if let Some(Err(_)) = item {
            self.tables = [None, None];
        }
        item
    }
}

impl<'a> Dependencies<'a> {
    /// The next name: `Ok(None)` when both tables are done.
    fn step(&mut self) -> Result<Option<Dependency<'a>>, Error> {
        for slot in &mut self.tables {
            let Some(table) = *slot else { continue };
            let (size, name_field, what) = match table.kind {
                DependencyKind::Import => {
                    (import_descriptor::SIZE, import_descriptor::NAME_RVA, "PE import descriptor")
                }
                _ => (delay_load_descriptor::SIZE, delay_load_descriptor::NAME, "PE delay-load descriptor"),
            };
            // Inside the section (the directory's RVA was, and each step
            // moves on by a whole descriptor); at its end, a table cut short.
            let view = table.descriptors.from(table.next, size)?;
            let descriptor = view.table(what, 0, size, 1)?;
            if descriptor.bytes.iter().all(|&b| b == 0) {
                *slot = None;
                continue;
            }
            *slot = Some(Table { next: table.next.saturating_add(size), ..table });
            let field = descriptor.base.saturating_add(name_field);
            let rva = descriptor.u32(name_field)?;
            let names = table.names;
            let bytes = names.at("PE imported DLL name", rva, field, REST)?;
            return Ok(Some(Dependency { kind: table.kind, name: cstr(bytes, "PE imported DLL name")? }));
        }
        Ok(None)
    }
}

/// The NUL-terminated string that starts `bytes`, without its NUL; an error
/// naming `what` if `bytes` (the rest of its section) holds no NUL.
fn cstr<'a>(bytes: Data<'a>, what: &'static str) -> Result<&'a [u8], Error> {
    match bytes.bytes.iter().position(|&b| b == 0).and_then(|end| bytes.bytes.get(..end)) {
        Some(name) => Ok(name),
        None => Err(Error::Truncated {
            what,
            offset: bytes.base,
            size: bytes.len().saturating_add(1),
            count: 1,
            scope: bytes.what,
            available: bytes.len(),
        }),
    }
}

#[cfg(test)]
#[path = "dependencies/tests.rs"]
pub(crate) mod tests;
