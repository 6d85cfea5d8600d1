//! A thin image's `mach_header` and the load commands after it, read once
//! and the same way for the navigator, `identify`, the section walk and the
//! injector (`<mach-o/loader.h>`).

use super::layout::{load_command, mach_header, CmdsizeRule, Width, MH_CIGAM, MH_CIGAM_64, MH_MAGIC, MH_MAGIC_64};
use super::layout::{CMDSIZE_READ, WIDTH_32, WIDTH_64};
use crate::read::{Data, Source};
use crate::{Arch, Endian, Error, FileRange, Format, Image};

/// The byte order and width the magic announces. The magic read as a
/// little-endian `u32` is `MH_MAGIC*` in a little-endian image and its byte
/// swap `MH_CIGAM*` in a big-endian one.
#[inline(always)]
pub(crate) fn magic<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<(Endian, Width), Error> {
    let magic = image.fixed::<4>("Mach-O header", mach_header::MAGIC)?;
    match Endian::Little.u32(*magic.bytes) {
        MH_MAGIC => Ok((Endian::Little, WIDTH_32)),
        MH_MAGIC_64 => Ok((Endian::Little, WIDTH_64)),
        MH_CIGAM => Ok((Endian::Big, WIDTH_32)),
        MH_CIGAM_64 => Ok((Endian::Big, WIDTH_64)),
        _ => Err(Error::unknown_format(image.bytes)),
    }
}

/// The identity of an image whose magic and `cputype` are `endian`, `width`
/// and `cputype`.
#[inline(always)]
pub(crate) fn identity(endian: Endian, width: Width, cputype: u32) -> Image {
    Image { format: Format::MachO, arch: Arch::from_macho(cputype), bits: if width.wide { 64 } else { 32 }, endian }
}

/// A `mach_header(_64)` whose load-command area has been checked to lie in
/// the image and to have room for `ncmds` commands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a> {
    pub image: Image,
    pub width: Width,
    /// `filetype`: `MH_OBJECT`, `MH_DYLIB`, ...
    pub filetype: u32,
    pub ncmds: u32,
    /// The `sizeofcmds` bytes after the header, in the image's byte order.
    pub commands: Data<'a>,
}

/// Reads the header of the thin image `image` (absolute offsets from
/// `image.base`, as every error reports them).
#[inline(always)]
pub(crate) fn parse<'a, S: Source<'a>>(image: Data<'a, S>) -> Result<Header<'a>, Error> {
    let (endian, width) = magic(image)?;
    let file = image.with_endian(endian);
    let fields = file.table("Mach-O header", 0, width.header_len, 1)?;
    let fields = fields.fixed::<{ mach_header::LEN as usize }>("Mach-O header", 0)?;
    let (ncmds, sizeofcmds) = (fields.u32(mach_header::NCMDS), fields.u32(mach_header::SIZEOFCMDS));
    let commands = file.table("Mach-O load commands", width.header_len, u64::from(sizeofcmds), 1)?;
    // Every command is at least a load_command: the count is checked before any loop.
    if u64::from(ncmds) > commands.len() / load_command::LEN {
        let at = image.base.saturating_add(mach_header::NCMDS);
        return Err(Error::invalid("Mach-O ncmds", at, ncmds, "at most sizeofcmds / 8"));
    }
    let image = identity(endian, width, fields.u32(mach_header::CPUTYPE));
    Ok(Header { image, width, filetype: fields.u32(mach_header::FILETYPE), ncmds, commands })
}

impl<'a> Header<'a> {
    /// The load commands, each `cmdsize` checked by `rule`.
    #[inline(always)]
    pub(crate) fn commands(&self, rule: CmdsizeRule) -> LoadCommands<'a> {
        LoadCommands { area: self.commands, at: 0, left: self.ncmds, rule }
    }
}

/// One load command: its `cmd` and its `cmdsize` bytes. Where it is, is
/// `data.base` (absolute); the lookup, which has no use for the offset in
/// the image, runs measurably faster without a field for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoadCommand<'a> {
    pub cmd: u32,
    /// The whole command.
    pub data: Data<'a>,
}

/// The load commands of an image, in order. An error ends the iteration.
#[derive(Clone, Debug)]
pub(crate) struct LoadCommands<'a> {
    area: Data<'a>,
    /// Offset of the next command in `area`: the sum of the `cmdsize`s read,
    /// so at most `sizeofcmds`.
    at: u64,
    left: u32,
    rule: CmdsizeRule,
}

impl<'a> Iterator for LoadCommands<'a> {
    type Item = Result<LoadCommand<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let command = self.read();
        if command.is_err() {
            self.left = 0;
        }
        Some(command)
    }
}

impl<'a> LoadCommands<'a> {
    /// Ends the iteration (after an error the caller found in a command).
    pub(crate) fn stop(&mut self) {
        self.left = 0;
    }

    #[inline(always)]
    fn read(&mut self) -> Result<LoadCommand<'a>, Error> {
        let [cmd, cmdsize] = self.area.u32_pair("Mach-O load command", self.at)?;
        // `multiple` is a power of two: these are the bits cmdsize must not have.
        let misaligned = cmdsize & self.rule.multiple.wrapping_sub(1);
        if u64::from(cmdsize) < load_command::LEN || misaligned != 0 {
            let offset = self.area.base.saturating_add(self.at).saturating_add(load_command::CMDSIZE);
            return Err(Error::invalid("Mach-O cmdsize", offset, cmdsize, self.rule.expected));
        }
        let data = self.area.table("Mach-O load command", self.at, u64::from(cmdsize), 1)?;
        self.at = self.at.saturating_add(u64::from(cmdsize)); // cannot saturate: bounded by sizeofcmds
        Ok(LoadCommand { cmd, data })
    }
}

/// The error [`LoadCommands`] (and for a segment command,
/// [`LoadCommand::section_headers`]) report for the command that starts
/// `rest` bytes before the end of the load commands of the image `bytes`
/// (at absolute offset `base`, called `what`, read from `source`): for the
/// navigator, which checks the same rules on raw bytes and builds an error
/// only when one fails, so that both report exactly the same. Out of line,
/// and from plain values the navigator holds anyway, so that its loop keeps
/// and stores nothing for it.
#[cold]
#[inline(never)]
pub(crate) fn command_error<'a, S: Source<'a>>(
    bytes: &'a [u8],
    base: u64,
    what: &'static str,
    source: S,
    rest: usize,
) -> Error {
    let header = match parse(Data { bytes, base, what, endian: Endian::Little, source }) {
        Ok(header) => header,
        Err(error) => return error,
    };
    let at = header.commands.len().saturating_sub(rest as u64);
    let mut commands = LoadCommands { area: header.commands, at, left: 1, rule: CMDSIZE_READ };
    let error = match commands.read() {
        Err(error) => Some(error),
        Ok(command) if command.cmd == header.width.segment.cmd => command.section_headers(header.width).err(),
        Ok(_) => None,
    };
    // Unreachable: the caller found one of these rules broken.
    let offset = header.commands.base.saturating_add(at);
    error.unwrap_or(Error::Invalid { what: "Mach-O load command", offset, value: 0, expected: "readable" })
}

impl<'a> LoadCommand<'a> {
    /// The `nsects` section headers after a segment command, checked to lie
    /// inside the command.
    #[inline(always)]
    pub(crate) fn section_headers(&self, width: Width) -> Result<Data<'a>, Error> {
        let nsects = self.data.u32(width.segment.nsects)?;
        self.data.table("Mach-O section headers", width.segment.len, width.section.len, u64::from(nsects))
    }
}

/// The file range of the section whose header is `header`, relative to the
/// image: empty for zero-fill sections, whose `offset` is meaningless.
#[inline(always)]
pub(crate) fn section_range(header: Data<'_>, width: Width) -> Result<FileRange, Error> {
    let section = width.section;
    let size = match super::layout::is_zerofill(header.u32(section.flags)?) {
        true => 0,
        false => header.word(section.size, width.wide)?,
    };
    Ok(FileRange { offset: u64::from(header.u32(section.offset)?), size })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::super::layout::{CMDSIZE_READ, CMDSIZE_WRITE_64};
    use super::*;

    /// A little-endian 64-bit x86_64 dylib header written from loader.h, with
    /// an `LC_UUID` of `uuid_size` bytes (24 by the spec) and an empty
    /// `LC_SEGMENT_64`.
    fn image(uuid_size: u32) -> Vec<u8> {
        let mut b = Vec::new();
        let words = [0xfeed_facf, 0x0100_0007, 3, 6, 2, uuid_size + 72, 0, 0];
        b.extend(words.iter().flat_map(|w: &u32| w.to_le_bytes()));
        b.extend(0x1bu32.to_le_bytes().iter().chain(&uuid_size.to_le_bytes()));
        b.resize(b.len() + uuid_size as usize - 8, 0xab);
        b.extend(0x19u32.to_le_bytes().iter().chain(&72u32.to_le_bytes()));
        b.resize(b.len() + 64, 0);
        b
    }

    fn cmds(bytes: &[u8], base: u64, rule: CmdsizeRule) -> Result<Vec<(u64, u32, u64)>, Error> {
        let image = Data::new(bytes, base, "the slice");
        let header = parse(image)?;
        header.commands(rule).map(|c| c.map(|c| (c.data.base - image.base, c.cmd, c.data.len()))).collect()
    }

    #[test]
    fn commands_in_order_with_their_offsets() {
        let bytes = image(24);
        assert_eq!(cmds(&bytes, 0x8000, CMDSIZE_READ).unwrap(), [(32, 0x1b, 24), (56, 0x19, 72)]);
        let header = parse(Data::new(&bytes, 0, "the file")).unwrap();
        assert_eq!((header.ncmds, header.width.wide, header.commands.base), (2, true, 32));
    }

    #[test]
    fn the_reader_allows_a_multiple_of_4_and_the_writer_needs_8() {
        // A 28-byte LC_UUID: a multiple of 4 but not of 8, as dyld accepts.
        let bytes = image(28);
        assert_eq!(cmds(&bytes, 0, CMDSIZE_READ).unwrap().len(), 2);
        let err = cmds(&bytes, 0x8000, CMDSIZE_WRITE_64).unwrap_err();
        let expected = "a multiple of 8, at least 8";
        assert_eq!(err, Error::Invalid { what: "Mach-O cmdsize", offset: 0x8000 + 36, value: 28, expected });
        let err = cmds(&image(26), 0, CMDSIZE_READ).unwrap_err();
        assert!(matches!(err, Error::Invalid { value: 26, expected: "a multiple of 4, at least 8", .. }));
    }

    #[test]
    fn an_error_ends_the_commands() {
        let mut bytes = image(24);
        bytes[36] = 4; // LC_UUID's cmdsize below a load_command
        let header = parse(Data::new(&bytes, 0, "the file")).unwrap();
        let mut commands = header.commands(CMDSIZE_READ);
        assert!(commands.next().unwrap().is_err());
        assert!(commands.next().is_none());
    }

    #[test]
    fn ncmds_is_checked_before_any_command_and_reported_where_it_is() {
        let mut bytes = image(24);
        bytes[16..20].copy_from_slice(&13u32.to_le_bytes()); // 96 bytes of commands hold at most 12
        let err = parse(Data::new(&bytes, 0x4000, "the slice")).unwrap_err();
        let expected = "at most sizeofcmds / 8";
        assert_eq!(err, Error::Invalid { what: "Mach-O ncmds", offset: 0x4010, value: 13, expected });
    }

    #[test]
    fn identity_needs_only_the_magic_and_cputype() {
        let mut bytes = image(24);
        bytes[20..24].copy_from_slice(&u32::MAX.to_le_bytes()); // sizeofcmds past the end
        assert!(parse(Data::new(&bytes, 0, "the file")).is_err());
        let x86_64 = Image { format: Format::MachO, arch: Arch::X86_64, bits: 64, endian: Endian::Little };
        assert_eq!(super::super::identify(Data::new(&bytes[..8], 0, "the file")), Ok(x86_64));
        // PowerPC, 32-bit, big-endian: MH_MAGIC stored big-endian.
        let ppc = [0xfe, 0xed, 0xfa, 0xce, 0, 0, 0, 18];
        let powerpc = Image { format: Format::MachO, arch: Arch::Powerpc, bits: 32, endian: Endian::Big };
        assert_eq!(super::super::identify(Data::new(&ppc, 0, "the file")), Ok(powerpc));
        assert!(matches!(super::super::identify(Data::new(&ppc[..6], 0, "the file")), Err(Error::Truncated { .. })));
        let elf = b"\x7fELF\x02\x01\x01\0";
        assert!(matches!(super::super::identify(Data::new(elf, 0, "the file")), Err(Error::UnknownFormat { .. })));
    }
}
