//! The DLLs a PE image loads, from its headers alone: the import directory
//! (data directory 1), then the delay-load import directory (13). Walk:
//! [`header::parse`] → data directory → the section holding its RVA → each
//! descriptor until the all-zero one → its name's RVA → the name.
//!
//! Each table is a view from its RVA to the end of its section's file bytes
//! (the navigator's rule for a section's bytes), so the loop can never read
//! past it: a table that reaches the end before its all-zero descriptor is
//! an error, as is a name without a NUL before the end of its section. The
//! names must lie in one section, as `object` reads them
//! ([`header::Header::import_sections`]: the first descriptor's name's for
//! the import directory, the directory's own for the delay-load one): a
//! name then costs one comparison, not a walk of the section table, so the
//! walk costs time linear in the file's size. The
//! directory's `Size` is not used: the loader reads descriptors until the
//! all-zero one, and linkers disagree on what the size counts. A COFF
//! object, or an image without those directories, has no dependencies.

use super::header::{self, DirectorySection};
use super::layout::{
    delay_load_descriptor, import_descriptor, IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT, IMAGE_DIRECTORY_ENTRY_IMPORT,
};
use crate::read::{Data, Source};
use crate::{Dependency, DependencyKind, Error};

/// The DLL names of one image, imports first, in table order. Generic
/// over the image's [`Source`]: each name is found through the section
/// table, from the image, as the walk goes.
#[derive(Clone, Debug)]
pub(crate) struct Dependencies<'a> {
    /// The descriptors not yet read, as views to the end of their section,
    /// and the section that holds the names: the imports', then the
    /// delay-load imports'. Both `None` after an error.
    tables: [Option<(DependencyKind, Data<'a>, DirectorySection<'a>)>; 2],
}

/// The dependencies of `image`; an error if a directory's RVA is in no section.
pub(crate) fn dependencies<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Dependencies<'a>, Error> {
    let header = header::parse(image)?;
    let table = |index, kind, what| -> Result<_, Error> {
        let Some(directory) = header.directory(image, index)? else { return Ok(None) };
        // A delay-load directory's names are in its own section.
        let name_field = (kind == DependencyKind::Import).then_some(import_descriptor::NAME_RVA);
        let [section, names] = header.import_sections(image, what, &directory, name_field)?;
        Ok(Some((kind, section.at(what, directory.rva, directory.at)?, names)))
    };
    let imports = table(IMAGE_DIRECTORY_ENTRY_IMPORT, DependencyKind::Import, "PE import directory")?;
    let delayed = table(IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT, DependencyKind::DelayImport, "PE delay-load directory")?;
    Ok(Dependencies { tables: [imports, delayed] })
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
            let Some((kind, table, names)) = *slot else { continue };
            let (size, name_field, what) = match kind {
                DependencyKind::Import => {
                    (import_descriptor::SIZE, import_descriptor::NAME_RVA, "PE import descriptor")
                }
                _ => (delay_load_descriptor::SIZE, delay_load_descriptor::NAME, "PE delay-load descriptor"),
            };
            let descriptor = table.table(what, 0, size, 1)?;
            if descriptor.bytes.iter().all(|&b| b == 0) {
                *slot = None;
                continue;
            }
            // The rest of the view: the descriptor was inside it.
            *slot = Some((kind, table.table(table.what, size, 1, table.len().saturating_sub(size))?, names));
            let field = descriptor.base.saturating_add(name_field);
            // In the names' section: one comparison, not a walk of the section table.
            let bytes = names.at("PE imported DLL name", descriptor.u32(name_field)?, field)?;
            return Ok(Some(Dependency { kind, name: cstr(bytes, "PE imported DLL name")? }));
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
