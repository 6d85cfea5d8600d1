//! What an ELF image depends on: its `DT_NEEDED`, `DT_RUNPATH`, `DT_RPATH`
//! and `DT_SONAME` entries, in dynamic table order. Walk: ELF header →
//! program headers → `PT_DYNAMIC` → `DT_STRTAB` through `PT_LOAD`, bounded
//! by `DT_STRSZ` → names. It reads what the loader reads, never section
//! headers, and allocates nothing.

use super::dynamic::{string, Entries};
use super::header::Header;
use super::layout::{DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME};
use crate::read::{Data, Source};
use crate::{Dependency, DependencyKind, Error};

/// The dependency records of `image`, after its dynamic table and string
/// table have been located and checked to lie in the file; none if it has
/// no `PT_DYNAMIC`. A name outside the string table is an `Err` item. The
/// iterator holds only sub-views (the table and the strings), complete even
/// when `image` is read in parts, so it is not generic over `S`.
pub(crate) fn dependencies<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Dependencies<'a>, Error> {
    let header = Header::parse(image)?;
    // An object or a static executable has no dynamic table: no dependencies.
    let Some(dynamic) = header.dynamic()? else {
        return Ok(Dependencies { table: None });
    };
    let strings = dynamic.strings()?;
    Ok(Dependencies { table: Some((dynamic.entries(), strings)) })
}

/// The iterator [`dependencies`] returns.
#[derive(Clone, Debug)]
pub(crate) struct Dependencies<'a> {
    /// The dynamic entries not yet read, and the string table; `None` if
    /// there is no dynamic table.
    table: Option<(Entries<'a>, Data<'a>)>,
}

impl<'a> Iterator for Dependencies<'a> {
    type Item = Result<Dependency<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (entries, strings) = self.table.as_mut()?;
        // Bounded by the table, which was checked against the bytes.
        for entry in entries {
            let (kind, what) = match entry.tag {
                DT_NEEDED => (DependencyKind::Needed, "ELF DT_NEEDED"),
                DT_RUNPATH => (DependencyKind::RunPath, "ELF DT_RUNPATH"),
                DT_RPATH => (DependencyKind::RPath, "ELF DT_RPATH"),
                DT_SONAME => (DependencyKind::SoName, "ELF DT_SONAME"),
                _ => continue,
            };
            return Some(string(*strings, what, entry.at, entry.value).map(|name| Dependency { kind, name }));
        }
        self.table = None;
        None
    }
}

#[cfg(test)]
pub(crate) mod tests;
