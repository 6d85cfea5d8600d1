//! A Mach-O image's dependency records, in load-command order: the dylibs it
//! loads (`LC_LOAD_DYLIB`, `LC_LOAD_WEAK_DYLIB`, `LC_REEXPORT_DYLIB`,
//! `LC_LOAD_UPWARD_DYLIB`), its run-path directories (`LC_RPATH`) and its own
//! install name (`LC_ID_DYLIB`). Each name is an `lc_str`: a `u32` offset from
//! the start of the command to a NUL-terminated string inside its `cmdsize`
//! (`<mach-o/loader.h>`); dyld refuses an image whose name offset lies outside
//! the command or whose name runs past it, and so does this walk.
//!
//! Shaped like the navigator: the header is read by [`header::parse`], the
//! commands by its one [`LoadCommands`] iterator; nothing is allocated.

use super::header::{self, LoadCommands};
use super::layout::{CMDSIZE_READ, LC_STR_OFFSET};
use super::layout::{
    LC_ID_DYLIB, LC_LOAD_DYLIB, LC_LOAD_UPWARD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_RPATH,
};
use crate::read::{Data, Source};
use crate::{Dependency, DependencyKind, Error};

/// The dependency records of the thin image `image` (a whole file or one
/// slice; error offsets are absolute, from `image.base`). The commands are
/// a sub-view, complete even when `image` is read in parts.
pub(crate) fn dependencies<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Dependencies<'a>, Error> {
    Ok(Dependencies { commands: header::parse(image)?.commands(CMDSIZE_READ) })
}

/// The records, in load-command order. A malformed command is an `Err` item
/// that ends the iteration.
#[derive(Clone, Debug)]
pub(crate) struct Dependencies<'a> {
    commands: LoadCommands<'a>,
}

impl<'a> Iterator for Dependencies<'a> {
    type Item = Result<Dependency<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let command = match self.commands.next()? {
                Ok(command) => command,
                Err(e) => return Some(Err(e)),
            };
            let Some(kind) = kind(command.cmd) else { continue };
            let name = lc_str(command.data);
            if name.is_err() {
                self.commands.stop();
            }
            return Some(name.map(|name| Dependency { kind, name }));
        }
    }
}

/// What a command with this `cmd` records, if it is a dependency record.
fn kind(cmd: u32) -> Option<DependencyKind> {
    Some(match cmd {
        LC_LOAD_DYLIB => DependencyKind::LoadDylib,
        LC_LOAD_WEAK_DYLIB => DependencyKind::LoadWeakDylib,
        LC_REEXPORT_DYLIB => DependencyKind::ReexportDylib,
        LC_LOAD_UPWARD_DYLIB => DependencyKind::LoadUpwardDylib,
        LC_RPATH => DependencyKind::Rpath,
        LC_ID_DYLIB => DependencyKind::IdDylib,
        _ => return None,
    })
}

/// The name an `lc_str` at [`LC_STR_OFFSET`] of `command` (its `cmdsize`
/// bytes) points at, without its NUL. As dyld (`validEmbeddedPaths`), the
/// offset may be anywhere below `cmdsize` and the NUL must come before it.
fn lc_str(command: Data<'_>) -> Result<&[u8], Error> {
    // A command too short for the offset field is a truncated command.
    let offset = command.u32(LC_STR_OFFSET)?;
    let field = command.base.saturating_add(LC_STR_OFFSET);
    let Some(tail) = usize::try_from(offset).ok().and_then(|at| command.bytes.get(at..)).filter(|t| !t.is_empty())
    else {
        return Err(Error::invalid("Mach-O lc_str offset", field, offset, "below the load command's cmdsize"));
    };
    match tail.iter().position(|&b| b == 0) {
        Some(len) => Ok(tail.get(..len).unwrap_or_default()),
        None => Err(Error::invalid("Mach-O lc_str name", field, offset, "a NUL before the end of its load command")),
    }
}

#[cfg(test)]
#[path = "dependencies/tests.rs"]
mod tests;
