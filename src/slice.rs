//! The images of a file: the file itself, or each slice of a universal
//! Mach-O, and the slice a loader on this CPU would pick.

use crate::lookup::{absolute, format_of, identify, navigate, payload_of, Key};
use crate::read::Data;
use crate::{macho, Arch, Error, FileRange, Lookup, Payload};

/// One image of a file: the whole file, or one slice of a universal Mach-O.
/// Made by [`slices`] and [`host_slice`]; see [`slices`] for an example.
#[derive(Clone, Copy, Debug)]
pub struct Slice<'a> {
    pub(crate) image: Data<'a>,
    index: Option<u32>,
    arch: Option<Arch>,
}

impl<'a> Slice<'a> {
    /// The slice's index in the universal header, or `None` for a thin file.
    pub fn index(&self) -> Option<u32> {
        self.index
    }

    /// The architecture the universal header gives for this slice (`None`
    /// for a thin file, whose architecture is in its own header).
    pub fn fat_arch(&self) -> Option<Arch> {
        self.arch
    }

    /// The slice's bytes: [`Slice::range`] of the file, which the slice's own
    /// headers count their offsets from.
    pub fn bytes(&self) -> &'a [u8] {
        self.image.bytes
    }

    /// The slice's range in the file (absolute, like every offset this crate reports).
    pub fn range(&self) -> FileRange {
        FileRange { offset: self.image.base, size: self.image.len() }
    }

    /// The slice's format, from its first bytes alone.
    pub fn format(&self) -> Result<crate::Format, Error> {
        format_of(self.image.bytes)
    }

    /// What this slice is (format, architecture, width, byte order), from its
    /// fixed header alone: unlike [`Slice::find_section`], it does not fail
    /// because a section table or load command is damaged.
    ///
    /// ```
    /// use pkgimg::{Arch, Endian, Format, Image};
    /// // corpus/expected.json: slice 1 of `macho/universal.dylib` is 64-bit
    /// // little-endian arm64.
    /// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
    /// let arm64 = pkgimg::slices(&file)?.nth(1).unwrap()?;
    /// let image = Image { format: Format::MachO, arch: Arch::Aarch64, bits: 64, endian: Endian::Little };
    /// assert_eq!(arm64.image()?, image);
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn image(&self) -> Result<crate::Image, Error> {
        identify(self.image)
    }

    /// Finds a section by name in this slice. See [`find_section`](crate::find_section).
    ///
    /// ```
    /// use pkgimg::FileRange;
    /// // llvm-objdump: the arm64 slice starts at 32768 and its `__JULIA,__ji`
    /// // is at 49152 in the slice, 0x42a8 bytes. The range is absolute.
    /// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
    /// let arm64 = pkgimg::slices(&file)?.nth(1).unwrap()?;
    /// let lookup = arm64.find_section("__JULIA,__ji")?;
    /// assert_eq!(lookup.section, Some(FileRange { offset: 32768 + 49152, size: 0x42a8 }));
    /// // Mach-O names need the segment: a bare section name is refused, not guessed.
    /// assert!(matches!(arm64.find_section("__ji"), Err(pkgimg::Error::BadName { .. })));
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn find_section(&self, name: &str) -> Result<Lookup, Error> {
        let lookup = navigate(self.image, &Key::new(format_of(self.image.bytes)?, name)?)?;
        Ok(Lookup { section: lookup.section.map(|range| absolute(self.image, range)), ..lookup })
    }

    /// Finds this slice's payload. See [`find_ji_payload`](crate::find_ji_payload). Unlike it, this
    /// works on any slice, whatever the host's CPU.
    ///
    /// ```
    /// // corpus/expected.json: slice 1 of `macho/universal.dylib` is aarch64,
    /// // payload at 81984 (absolute), 17000 bytes, CRC-32C 838116789.
    /// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
    /// let arm64 = pkgimg::slices(&file)?.nth(1).unwrap()?;
    /// let payload = arm64.find_ji_payload()?;
    /// assert_eq!((payload.offset(), payload.size(), payload.slice()), (81984, 17000, Some(1)));
    /// assert_eq!(payload.frame().payload_crc32c, 838116789);
    /// payload.verify()?;
    /// # Ok::<(), pkgimg::Error>(())
    /// ```
    pub fn find_ji_payload(&self) -> Result<Payload<'a>, Error> {
        payload_of(self.image.bytes, self.image.base, self.index)
    }
}

/// The images in a file: one for a thin file, one per slice of a universal
/// Mach-O. Made by [`slices`].
#[derive(Clone, Debug)]
pub struct Slices<'a> {
    file: Data<'a>,
    fat: Option<macho::fat::Table<'a>>,
    next: u32,
}

impl<'a> Iterator for Slices<'a> {
    type Item = Result<Slice<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.next;
        match &self.fat {
            None if index == 0 => {
                self.next = 1;
                Some(Ok(Slice { image: self.file, index: None, arch: None }))
            }
            Some(table) if index < table.count => {
                self.next = index.saturating_add(1);
                Some(table.slice(self.file, index).map(|(arch, image)| Slice {
                    image,
                    index: Some(index),
                    arch: Some(arch),
                }))
            }
            _ => None,
        }
    }
}

/// The images in `file`: the file itself, or each slice of a universal Mach-O
/// (`FAT_MAGIC` or `FAT_MAGIC_64`). Fails only if a universal header is
/// malformed; a slice whose range is outside the file is an `Err` item, so
/// the other slices can still be read.
///
/// ```
/// use pkgimg::{Arch, FileRange};
/// // llvm-objdump --macho --universal-headers: x86_64 at 4096 (20742 bytes),
/// // arm64 at 32768 (82504 bytes).
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// let seen: Vec<_> = pkgimg::slices(&file)?
///     .map(|slice| slice.map(|s| (s.index(), s.fat_arch(), s.range())))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(seen, [
///     (Some(0), Some(Arch::X86_64), FileRange { offset: 4096, size: 20742 }),
///     (Some(1), Some(Arch::Aarch64), FileRange { offset: 32768, size: 82504 }),
/// ]);
///
/// // A thin file is a single slice: the whole file, with no index.
/// let thin = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let only: Vec<_> = pkgimg::slices(&thin)?.collect::<Result<_, _>>()?;
/// assert_eq!(only.len(), 1);
/// assert_eq!((only[0].index(), only[0].bytes().len()), (None, thin.len()));
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[inline]
pub fn slices(file: &[u8]) -> Result<Slices<'_>, Error> {
    let data = Data::new(file, 0, "the file");
    let fat = if macho::fat::is_fat(file) { Some(macho::fat::table(data)?) } else { None };
    Ok(Slices { file: data, fat, next: 0 })
}

/// One item of [`payloads`]: a slice and its payload, or why the universal
/// header's entry for the slice is unusable.
pub type SlicePayload<'a> = Result<(Slice<'a>, Result<Payload<'a>, Error>), Error>;

/// Every image's payload: for a universal file, one result per slice, with the
/// slice; for a thin file, one result. A slice without a payload does not hide
/// the others: each has its own `Result`.
///
/// ```
/// // corpus/expected.json: `macho/universal.dylib` has a payload in each slice,
/// // at absolute offsets 20544 (x86_64) and 81984 (aarch64).
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// let mut offsets = Vec::new();
/// for item in pkgimg::payloads(&file)? {
///     let (slice, payload) = item?;
///     offsets.push((slice.index(), payload?.offset()));
/// }
/// assert_eq!(offsets, [(Some(0), 20544), (Some(1), 81984)]);
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn payloads(file: &[u8]) -> Result<impl Iterator<Item = SlicePayload<'_>>, Error> {
    Ok(slices(file)?.map(|slice| slice.map(|slice| (slice, slice.find_ji_payload()))))
}

/// The slice this code would load: the whole of a thin file, or the host
/// architecture's ([`Arch::HOST`]) slice of a universal file.
///
/// ```
/// use pkgimg::{Arch, Error};
/// // llvm-objdump --macho --universal-headers: x86_64 slice at 4096, arm64 at 32768.
/// let file = std::fs::read("corpus/macho/universal.dylib").unwrap();
/// match pkgimg::host_slice(&file) {
///     Ok(slice) => {
///         assert_eq!(slice.fat_arch(), Some(Arch::HOST));
///         let expected = if Arch::HOST == Arch::X86_64 { 4096 } else { 32768 };
///         assert_eq!(slice.range().offset, expected);
///     }
///     // On any other CPU the error lists what the file offers.
///     Err(Error::NoHostSlice { slices, count, .. }) => {
///         assert_eq!((count, &slices[..2]), (2, &[Arch::X86_64, Arch::Aarch64][..]));
///     }
///     Err(other) => panic!("{other}"),
/// }
/// # Ok::<(), pkgimg::Error>(())
/// ```
#[inline]
pub fn host_slice(file: &[u8]) -> Result<Slice<'_>, Error> {
    let file = Data::new(file, 0, "the file");
    if !macho::fat::is_fat(file.bytes) {
        return Ok(Slice { image: file, index: None, arch: None });
    }
    let table = macho::fat::table(file)?;
    let (index, arch, range) = table.host(file)?;
    let image = file.table("Mach-O universal slice", range.offset, range.size, 1)?;
    Ok(Slice { image: Data { what: "the slice", ..image }, index: Some(index), arch: Some(arch) })
}
