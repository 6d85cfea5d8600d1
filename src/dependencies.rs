//! What a library depends on, read from its headers alone: ELF `DT_NEEDED`
//! (and `DT_RUNPATH`, `DT_RPATH`, `DT_SONAME`), Mach-O `LC_LOAD_DYLIB` and
//! its kin (and `LC_RPATH`, `LC_ID_DYLIB`), PE imports and delay-load
//! imports. Each format's walk is in `src/<format>/dependencies.rs`, as short
//! as the navigators and allocation-free.

use crate::lookup::format_of;
use crate::read::{Data, Source};
use crate::walk::Walk;
use crate::{Error, Format, Slice};

/// One entry of a library's dependency records, in the order the headers
/// give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dependency<'a> {
    /// What the record says about the name.
    pub kind: DependencyKind,
    /// The name as stored, without its NUL: a file name (`libz.so.1`,
    /// `KERNEL32.dll`), an install name (`@rpath/libFoo.dylib`), or a search
    /// path (`$ORIGIN/../lib`, `@loader_path`).
    pub name: &'a [u8],
}

/// What a [`Dependency`] record is, in its format's own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DependencyKind {
    /// ELF `DT_NEEDED`: a library the loader loads with this one.
    Needed,
    /// ELF `DT_RUNPATH`: a search path list (`:`-separated) for `DT_NEEDED`.
    RunPath,
    /// ELF `DT_RPATH`: the older search path list, searched before the
    /// environment's.
    RPath,
    /// ELF `DT_SONAME`: this library's own name.
    SoName,
    /// Mach-O `LC_LOAD_DYLIB`.
    LoadDylib,
    /// Mach-O `LC_LOAD_WEAK_DYLIB`: loaded if present.
    LoadWeakDylib,
    /// Mach-O `LC_REEXPORT_DYLIB`.
    ReexportDylib,
    /// Mach-O `LC_LOAD_UPWARD_DYLIB`.
    LoadUpwardDylib,
    /// Mach-O `LC_RPATH`: one run-path search directory.
    Rpath,
    /// Mach-O `LC_ID_DYLIB`: this library's own install name.
    IdDylib,
    /// PE import directory entry: a DLL loaded with this one.
    Import,
    /// PE delay-load import directory entry: a DLL loaded on first use.
    DelayImport,
}

impl DependencyKind {
    /// Whether the record names a library to load (rather than a search
    /// path or the library's own name).
    pub fn is_library(self) -> bool {
        matches!(
            self,
            DependencyKind::Needed
                | DependencyKind::LoadDylib
                | DependencyKind::LoadWeakDylib
                | DependencyKind::ReexportDylib
                | DependencyKind::LoadUpwardDylib
                | DependencyKind::Import
                | DependencyKind::DelayImport
        )
    }
}

/// The dependency records of one image, in header order. Made by
/// [`Slice::dependencies`] and [`dependencies`].
///
/// Counts and tables are checked against the bytes before the first item;
/// an item is an `Err` when a record cannot be read, and the iterator ends
/// after it.
#[derive(Clone, Debug)]
pub struct Dependencies<'a> {
    walk: Records<'a>,
}

/// The walk under [`Dependencies`], for an image read whole or in parts
/// (`path::dependencies_of`).
pub(crate) type Records<'a> = Walk<
    crate::elf::dependencies::Dependencies<'a>,
    crate::macho::dependencies::Dependencies<'a>,
    crate::coff::dependencies::Dependencies<'a>,
>;

/// The dependency records of the thin image `image`: its format's walk.
#[inline]
pub(crate) fn records<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Records<'a>, Error> {
    Ok(match format_of(image.bytes)? {
        Format::Elf => Walk::Elf(crate::elf::dependencies::dependencies(image)?),
        Format::MachO => Walk::MachO(crate::macho::dependencies::dependencies(image)?),
        Format::Pe | Format::Coff => Walk::Coff(crate::coff::dependencies::dependencies(image)?),
    })
}

impl<'a> Iterator for Dependencies<'a> {
    type Item = Result<Dependency<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.walk.next()
    }
}

impl<'a> Slice<'a> {
    /// This slice's dependency records (see [`Dependency`]), in header order.
    pub fn dependencies(&self) -> Result<Dependencies<'a>, Error> {
        Ok(Dependencies { walk: records(self.image)? })
    }
}

/// The dependency records of `file` (for a universal file, of the host's
/// slice; [`Slice::dependencies`] reads any slice).
///
/// ```
/// use pkgimg::DependencyKind;
/// // llvm-readobj --coff-imports: the mingw-w64 DLL of the corpus imports
/// // from four DLLs, in this order in its import directory.
/// let file = std::fs::read("corpus/pe/x86_64-windows-gnu.dll").unwrap();
/// let imports: Vec<_> = pkgimg::dependencies(&file)?
///     .filter_map(|d| d.ok())
///     .filter(|d| d.kind == DependencyKind::Import)
///     .map(|d| String::from_utf8_lossy(d.name).into_owned())
///     .collect();
/// assert_eq!(imports, [
///     "api-ms-win-crt-runtime-l1-1-0.dll",
///     "KERNEL32.dll",
///     "api-ms-win-crt-stdio-l1-1-0.dll",
///     "api-ms-win-crt-heap-l1-1-0.dll",
/// ]);
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn dependencies(file: &[u8]) -> Result<Dependencies<'_>, Error> {
    crate::host_slice(file)?.dependencies()
}
