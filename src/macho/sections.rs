//! Every segment and section of a thin Mach-O image, for tools that list
//! them: each `LC_SEGMENT`/`LC_SEGMENT_64` in load-command order, followed by
//! its `section`/`section_64` headers (`<mach-o/loader.h>`). The header and
//! the load-command area are checked, as the navigator checks them, before
//! the first item; nothing is allocated.

use super::header::{self, section_range, LoadCommand, LoadCommands};
use super::layout::{Width, CMDSIZE_READ, NAME_LEN, SECTION_TYPE};
use crate::read::Data;
use crate::{Error, FileRange, Section, SectionKind};

/// The segments and sections of an image, made by [`sections`]. An error
/// ends the iteration.
#[derive(Clone, Debug)]
pub(crate) struct Sections<'a> {
    /// The image's absolute offset: ranges are reported from the file's start.
    base: u64,
    width: Width,
    commands: LoadCommands<'a>,
    /// The section headers of the current segment not yet listed.
    headers: Data<'a>,
    /// The next entry's [`Section::index`].
    index: u32,
}

/// The segments and sections of the thin image `image`.
pub(crate) fn sections(image: Data<'_>) -> Result<Sections<'_>, Error> {
    let header = header::parse(image)?;
    let headers = Data { bytes: &[], ..header.commands };
    let commands = header.commands(CMDSIZE_READ);
    Ok(Sections { base: image.base, width: header.width, commands, headers, index: 0 })
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Section<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = match self.next_header() {
            Some(header) => self.section(header),
            None => loop {
                match self.commands.next()? {
                    Ok(command) if command.cmd == self.width.segment.cmd => break self.segment(command),
                    Ok(_) => continue,
                    Err(error) => break Err(error),
                }
            },
        };
        match entry {
            Ok(_) => self.index = self.index.saturating_add(1),
            Err(_) => {
                self.commands.stop();
                self.headers.bytes = &[];
            }
        }
        Some(entry)
    }
}

impl<'a> Sections<'a> {
    /// The next section header of the current segment.
    fn next_header(&mut self) -> Option<Data<'a>> {
        let len = usize::try_from(self.width.section.len).ok()?;
        let (bytes, rest) = self.headers.bytes.split_at_checked(len)?;
        let header = Data { bytes, what: "Mach-O section header", ..self.headers };
        self.headers =
            Data { bytes: rest, base: self.headers.base.saturating_add(self.width.section.len), ..self.headers };
        Some(header)
    }

    /// The segment entry for `command`, whose section headers come next.
    fn segment(&mut self, command: LoadCommand<'a>) -> Result<Section<'a>, Error> {
        let (segment, data, wide) = (self.width.segment, command.data, self.width.wide);
        let name = data.table("Mach-O segname", segment.segname, NAME_LEN as u64, 1)?.bytes;
        let (fileoff, filesize) = (data.word(segment.fileoff, wide)?, data.word(segment.filesize, wide)?);
        let initprot = data.u32(segment.initprot)?;
        self.headers = command.section_headers(self.width)?;
        let range = FileRange { offset: self.base.saturating_add(fileoff), size: filesize };
        let kind = SectionKind::MachOSegment;
        Ok(Section {
            index: self.index,
            name: Some(unpadded(name)),
            segment: None,
            kind,
            flags: initprot.into(),
            range,
        })
    }

    /// The entry for the section header `header`.
    fn section(&self, header: Data<'a>) -> Result<Section<'a>, Error> {
        let section = self.width.section;
        let name = header.table("Mach-O sectname", section.sectname, NAME_LEN as u64, 1)?.bytes;
        let segment = header.table("Mach-O segname", section.segname, NAME_LEN as u64, 1)?.bytes;
        let flags = header.u32(section.flags)?;
        let range = section_range(header, self.width)?;
        let range = FileRange { offset: self.base.saturating_add(range.offset), ..range };
        // The type is the low byte of flags: the cast keeps exactly that byte.
        let kind = SectionKind::MachO((flags & SECTION_TYPE) as u8);
        let (name, segment) = (Some(unpadded(name)), Some(unpadded(segment)));
        Ok(Section { index: self.index, name, segment, kind, flags: flags.into(), range })
    }
}

/// A fixed-size name without its NUL padding: up to the first NUL, or all
/// of it if it fills the field.
fn unpadded(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use object::macho::{MachHeader32, MachHeader64};
    use object::read::macho::{MachHeader, Section as _, Segment as _};
    use object::Endianness;

    use super::*;
    use crate::write::Bytes;
    use crate::{Endian, Format};

    /// An entry as compared: name, segment name, kind, flags, absolute range.
    type Entry = (Vec<u8>, Option<Vec<u8>>, SectionKind, u64, (u64, u64));

    /// The segments and sections as the `object` crate reads them from the
    /// image `bytes` at file offset `base`: each segment, then its sections.
    fn by_object<Mach: MachHeader<Endian = Endianness>>(bytes: &[u8], base: u64) -> Vec<Entry> {
        let header = Mach::parse(bytes, 0).unwrap();
        let endian = header.endian().unwrap();
        let mut commands = header.load_commands(endian, bytes, 0).unwrap();
        let mut out = Vec::new();
        while let Some(command) = commands.next().unwrap() {
            let Some((segment, section_data)) = Mach::Segment::from_command(command).unwrap() else { continue };
            let (fileoff, filesize) = segment.file_range(endian);
            let prot = u64::from(segment.initprot(endian).0);
            out.push((segment.name().to_vec(), None, SectionKind::MachOSegment, prot, (base + fileoff, filesize)));
            for section in segment.sections(endian, section_data).unwrap() {
                let flags = section.flags(endian).0;
                // object gives no range for zero-fill sections; the walk gives the header's offset and size 0.
                let offset = u64::from(section.offset(endian));
                let (offset, size) = section.file_range(endian, offset).unwrap_or((offset, 0));
                let segname = Some(section.segment_name().to_vec());
                let kind = SectionKind::MachO(section.section_type(endian).0);
                out.push((section.name().to_vec(), segname, kind, flags.into(), (base + offset, size)));
            }
        }
        out
    }

    fn by_walk(image: Data<'_>) -> Vec<Entry> {
        let entries = sections(image).unwrap().map(|entry| entry.unwrap());
        entries
            .enumerate()
            .map(|(i, s)| {
                assert_eq!(s.index as usize, i, "indices count segments and sections together");
                let name = s.name.unwrap().to_vec();
                (name, s.segment.map(<[u8]>::to_vec), s.kind, s.flags, (s.range.offset, s.range.size))
            })
            .collect()
    }

    fn corpus(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(path)).unwrap()
    }

    #[test]
    fn every_corpus_image_lists_as_object_reads_it() {
        let files = [
            "macho/aarch64-macos.dylib",
            "macho/x86_64-macos.dylib",
            "macho/universal.dylib",
            "nopayload/aarch64-macos.dylib",
            "obj/aarch64-macos.o",
        ];
        let mut images = 0;
        for path in files {
            let file = corpus(path);
            for slice in crate::slices(&file).unwrap() {
                let slice = slice.unwrap();
                let base = slice.range().offset;
                let walked = by_walk(Data::new(slice.bytes(), base, "the slice"));
                let expected = by_object::<MachHeader64<Endianness>>(slice.bytes(), base);
                assert!(expected.iter().any(|e| e.1.is_some()), "{path}: no sections at all");
                assert_eq!(walked, expected, "{path} at {base:#x}");
                images += 1;
            }
        }
        assert_eq!(images, 6, "four thin files and two slices");
    }

    /// A 32-bit big-endian image written field by field from loader.h: one
    /// `LC_SEGMENT` with a regular section and a zero-fill one, and a
    /// non-segment command before it.
    fn thin_32_bit_big_endian() -> Vec<u8> {
        let mut b = Bytes::new(Format::MachO, Endian::Big);
        b.u32(0xfeed_face).u32(18).u32(0).u32(6).u32(2).u32(24 + 56 + 2 * 68).u32(0); // PowerPC dylib, 2 commands
        b.u32(0x1b).u32(24).raw(&[0xab; 16]); // LC_UUID
        b.u32(0x1).u32(56 + 2 * 68).name::<16>(b"__DATA").u32(0x1000).u32(0x2000).u32(0x200).u32(0x100);
        b.u32(7).u32(3).u32(2).u32(0); // maxprot, initprot, nsects, flags
        for (name, addr, size, offset, flags) in [(b"__data", 0x1000, 0x10, 0x200, 0), (b"__bss\0", 0x1010, 0x40, 0, 1)]
        {
            b.name::<16>(name).name::<16>(b"__DATA").u32(addr).u32(size).u32(offset).u32(2);
            b.u32(0).u32(0).u32(flags).u32(0).u32(0);
        }
        b.bytes.resize(0x300, 0);
        b.bytes
    }

    #[test]
    fn a_32_bit_big_endian_image_lists_as_object_reads_it() {
        let bytes = thin_32_bit_big_endian();
        let walked = by_walk(Data::new(&bytes, 0x4000, "the slice"));
        assert_eq!(walked, by_object::<MachHeader32<Endianness>>(&bytes, 0x4000));
        let names: Vec<&[u8]> = walked.iter().map(|e| &e.0[..]).collect();
        assert_eq!(names, [&b"__DATA"[..], b"__data", b"__bss"]);
        assert_eq!(walked[2].4, (0x4000, 0), "zero-fill: no file bytes");
    }

    #[test]
    fn damage_is_reported_before_or_in_place_of_an_entry() {
        let bytes = thin_32_bit_big_endian();
        // sizeofcmds beyond the image: refused before the first item.
        let mut cut = bytes.clone();
        cut[20..24].copy_from_slice(&0x1000u32.to_be_bytes());
        let err = sections(Data::new(&cut, 0, "the file")).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "Mach-O load commands", .. }), "{err}");
        // nsects beyond the segment command: the error takes the segment's
        // place, and nothing follows it.
        let mut bad = bytes.clone();
        bad[28 + 24 + 48..28 + 24 + 52].copy_from_slice(&3u32.to_be_bytes());
        let walk: Vec<_> = sections(Data::new(&bad, 0, "the file")).unwrap().collect();
        assert_eq!(walk.len(), 1);
        assert!(matches!(walk[0], Err(Error::Truncated { what: "Mach-O section headers", count: 3, .. })));
        // The image cut inside the load commands: the header's check catches it.
        let short = &bytes[..100];
        assert!(matches!(sections(Data::new(short, 0, "the file")), Err(Error::Truncated { .. })));
    }
}
