//! What kind of image a slice is, even when it has no usable payload, or
//! when its section table is damaged: the library reads the magic
//! ([`Slice::format`]) and the fixed header ([`Slice::image`]) apart from the
//! tables, so each is known as far as the bytes allow.

use pkgimg::{Format, Image, Slice};

/// The slice's format, and its identity (width, byte order, architecture)
/// when its fixed header could be read.
pub fn identify(slice: &Slice<'_>) -> (Option<Format>, Option<Image>) {
    (slice.format().ok(), slice.image().ok())
}
