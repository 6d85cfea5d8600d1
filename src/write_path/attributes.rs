//! The owner, group and mode an output gets, from its source: the library
//! for `inject` and `extract`, the payload for `emit`.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;

/// The owner, group and permission bits to give an output.
///
/// The temporary file is created private (`0600`) and given these only when
/// it is complete ([`TempFile::finish`](super::TempFile::finish)). The owner
/// and group are kept where the process may set them (root may; a user may
/// give a file to a group they are in). Where the owner cannot be kept, the
/// setuid bit is dropped, and where the group cannot, the setgid bit, as
/// `cp -p` and `install` do: a file never becomes setuid for a user who did
/// not make it so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Permission bits, with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    /// The owner to keep.
    pub uid: u32,
    /// The group to keep.
    pub gid: u32,
}

impl Attributes {
    /// An output that stands for `source` (`inject` writes the library
    /// again): its permission bits exactly, setuid and setgid included, its
    /// owner and group.
    pub fn of(source: &Metadata) -> Attributes {
        Attributes { mode: source.mode() & 0o7777, uid: source.uid(), gid: source.gid() }
    }

    /// Data taken from `source` (`extract`'s payload from its library,
    /// `emit`'s object from its payload): `source`'s read and write bits,
    /// never execute, setuid, setgid or sticky, and no more than the umask
    /// lets a new file have; `source`'s owner and group. A `0600` source
    /// gives a `0600` output; a `0755` library under umask `022` gives a
    /// `0644` payload.
    pub fn data_from(source: &Metadata) -> Attributes {
        let mode = source.mode() & 0o666 & !super::sys::umask();
        Attributes { mode, uid: source.uid(), gid: source.gid() }
    }
}
