//! The one shape of every public walk over an image ([`crate::Sections`],
//! [`crate::Dependencies`]): the walk of the image's format, fused after its
//! first error so that a broken entry ends the iteration instead of being
//! retried or skipped.

use crate::Error;

/// One format's walk, and what is left of it.
#[derive(Clone, Debug)]
pub(crate) enum Walk<E, M, C> {
    Elf(E),
    MachO(M),
    Coff(C),
    /// Ended, by the walk itself or by an error.
    Done,
}

impl<T, E, M, C> Iterator for Walk<E, M, C>
where
    E: Iterator<Item = Result<T, Error>>,
    M: Iterator<Item = Result<T, Error>>,
    C: Iterator<Item = Result<T, Error>>,
{
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self {
            Walk::Elf(walk) => walk.next(),
            Walk::MachO(walk) => walk.next(),
            Walk::Coff(walk) => walk.next(),
            Walk::Done => None,
        };
        if matches!(item, Some(Err(_))) {
            *self = Walk::Done;
        }
        item
    }
}
