//! The two lists of modules in a cache header: the worklist (the modules the
//! file provides) and the module list (the modules that must be loaded first,
//! with their full build ids).

use core::fmt;

use super::cursor::{Cursor, Stop};

/// A package UUID, stored as two `u64` halves (high first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uuid {
    /// The high half: the first 16 hex digits.
    pub hi: u64,
    /// The low half: the last 16 hex digits.
    pub lo: u64,
}

impl Uuid {
    /// Whether it is all zero: Julia's `PkgId` then has no UUID (a module
    /// outside any package).
    pub fn is_nil(&self) -> bool {
        self.hi == 0 && self.lo == 0
    }
}

impl fmt::Display for Uuid {
    /// The usual 8-4-4-4-12 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hi, lo) = (self.hi, self.lo);
        let (a, b, c) = (hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff);
        let (d, e) = (lo >> 48, lo & 0xffff_ffff_ffff);
        write!(f, "{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
    }
}

/// A module's 128-bit build id (`jl_module_t.build_id`), in hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuildId {
    /// The high half: the checksum of the image the module was loaded from.
    pub hi: u64,
    /// The low half: set when the module was created (mostly a timestamp).
    pub lo: u64,
}

impl BuildId {
    /// As Julia's `UInt128` (`(hi << 64) | lo`).
    pub fn as_u128(&self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }
}

impl fmt::Display for BuildId {
    /// `0x` and 32 hex digits, as Julia prints a `UInt128`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:016x}{:016x}", self.hi, self.lo)
    }
}

/// One entry of the worklist or of the module list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module<'a> {
    /// The module's name, as stored (normally UTF-8).
    pub name: &'a [u8],
    /// The package's UUID (all zero for a module outside a package).
    pub uuid: Uuid,
    /// The build id. A worklist entry stores only the low half; its high
    /// half is the header's checksum, as Julia's loader makes it
    /// (base/loading.jl:4621 on master, `id_build = (UInt128(checksum) << 64)
    /// | id_build`).
    pub build_id: BuildId,
    /// Offset of the entry's name length field.
    pub offset: u64,
}

/// Which list, and so which entry layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum List {
    /// `write_worklist_for_header` (Julia 1.11.5 src/staticdata_utils.c:718):
    /// name, UUID, the low half of the build id.
    Worklist { checksum: u64 },
    /// `write_mod_list` (Julia 1.11.5 src/staticdata_utils.c:601): name,
    /// UUID, both halves of the build id.
    Required,
}

/// Reads one entry, or `None` at the terminating zero length.
pub(crate) fn next<'a>(c: &mut Cursor<'a>, list: List) -> Result<Option<Module<'a>>, Stop> {
    let offset = c.at;
    let (len, name, hi, lo) = match list {
        List::Worklist { .. } => {
            ("worklist name length", "worklist module name", "worklist UUID high half", "worklist UUID low half")
        }
        List::Required => {
            ("module list name length", "module list name", "module list UUID high half", "module list UUID low half")
        }
    };
    let Some(name) = c.name(len, name)? else { return Ok(None) };
    let uuid = Uuid { hi: c.u64(hi)?, lo: c.u64(lo)? };
    let build_id = match list {
        List::Worklist { checksum } => BuildId { hi: checksum, lo: c.u64("worklist build id")? },
        List::Required => {
            BuildId { hi: c.u64("module list build id high half")?, lo: c.u64("module list build id low half")? }
        }
    };
    Ok(Some(Module { name, uuid, build_id, offset }))
}

/// Reads a whole list, counting its entries in `n` as they decode (so that
/// the entries before a damaged one can still be listed).
pub(crate) fn count(c: &mut Cursor<'_>, list: List, n: &mut u32) -> Result<(), Stop> {
    while next(c, list)?.is_some() {
        *n = n.saturating_add(1);
    }
    Ok(())
}

/// The entries of the worklist or of the module list: see
/// [`Header::worklist`](super::Header::worklist) and
/// [`Header::required_modules`](super::Header::required_modules).
#[derive(Clone, Debug)]
pub struct Modules<'a> {
    pub(crate) cursor: Cursor<'a>,
    pub(crate) list: List,
    pub(crate) left: u32,
}

impl<'a> Iterator for Modules<'a> {
    type Item = Module<'a>;

    fn next(&mut self) -> Option<Module<'a>> {
        self.left = self.left.checked_sub(1)?;
        next(&mut self.cursor, self.list).ok().flatten()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX);
        (0, Some(n))
    }
}
