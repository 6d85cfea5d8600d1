//! pkgimg itself: the public `find_section` (host slice → magic → ELF walk →
//! range check), as a caller uses it.

use crate::{Error, Found, Range};

#[inline(always)]
pub fn find_section(file: &[u8], name: &str) -> Found {
    match pkgimg::find_section(file, name) {
        Ok(lookup) => Ok(lookup.section.map(|r| Range { offset: r.offset, size: r.size })),
        Err(_) => Err(Error("pkgimg")),
    }
}
