//! Universal ("fat") Mach-O files: a big-endian table of slices, each a whole
//! thin Mach-O image at its own file offset (`<mach-o/fat.h>`).

use crate::read::Data;
use crate::{Arch, Endian, Error};

const FAT_MAGIC: [u8; 4] = [0xca, 0xfe, 0xba, 0xbe];
const FAT_MAGIC_64: [u8; 4] = [0xca, 0xfe, 0xba, 0xbf];

/// The validated `fat_arch` table of a universal file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Table<'a> {
    entries: Data<'a>,
    wide: bool,
    pub count: u32,
}

/// Whether the file starts with a universal header.
pub(crate) fn is_fat(file: &[u8]) -> bool {
    file.starts_with(&FAT_MAGIC) || file.starts_with(&FAT_MAGIC_64)
}

/// The slice table, with its size checked against the file before any entry
/// is read.
#[inline]
pub(crate) fn table(file: Data<'_>) -> Result<Table<'_>, Error> {
    let file = file.with_endian(Endian::Big);
    let wide = file.table("Mach-O universal header", 0, 4, 1)?.bytes == FAT_MAGIC_64;
    let count = file.u32(4)?;
    let entry_size = if wide { 32 } else { 20 };
    let entries = file.table("Mach-O universal slice table", 8, entry_size, u64::from(count))?;
    Ok(Table { entries, wide, count })
}

impl<'a> Table<'a> {
    /// Slice `index`: its architecture and its file range, checked against the
    /// file. `fat_arch` is {cputype, cpusubtype, offset, size, align}, with
    /// 64-bit offset and size in `fat_arch_64`.
    #[inline]
    pub fn slice(&self, file: Data<'a>, index: u32) -> Result<(Arch, Data<'a>), Error> {
        let size = if self.wide { 32 } else { 20 };
        let entry = self.entries.entry("Mach-O universal slice entry", u64::from(index), size)?;
        let (offset, length) = if self.wide {
            (entry.u64(8)?, entry.u64(16)?)
        } else {
            (u64::from(entry.u32(8)?), u64::from(entry.u32(12)?))
        };
        let bytes = file.table("Mach-O universal slice", offset, length, 1)?;
        Ok((Arch::from_macho(entry.u32(0)?), Data { what: "the slice", ..bytes }))
    }
}
