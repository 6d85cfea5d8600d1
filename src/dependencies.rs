//! What a library depends on, read from its headers alone: ELF `DT_NEEDED`
//! (and `DT_RUNPATH`, `DT_RPATH`, `DT_SONAME`), Mach-O `LC_LOAD_DYLIB` and
//! its kin (and `LC_RPATH`, `LC_ID_DYLIB`), PE imports and delay-load
//! imports. Each format's walk is in `src/<format>/dependencies.rs`, as short
//! as the navigators and allocation-free.

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
