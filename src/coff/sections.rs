//! Every section of a PE image or COFF object, for tools that list them: the
//! section table the navigator reads, checked whole before the first entry,
//! walked without allocating. Each entry's range follows the navigator's rule
//! ([`super::data_range`]), so a listing and a lookup agree.

use super::layout::{file_header, section_header, symbol, LONG_NAME_PREFIX, STRING_TABLE_SIZE_FIELD};
use super::{data_range, header};
use crate::read::{Data, Fixed};
use crate::{Endian, Error, FileRange, Format, Section, SectionKind};

/// The sections of one image, in table order. Every header was checked to
/// lie in the image before the first, so no item is an error.
#[derive(Clone, Debug)]
pub(crate) struct Sections<'a> {
    /// The section headers not yet listed.
    headers: &'a [u8],
    /// The index (section number - 1) of the first of them.
    index: u32,
    format: Format,
    /// The absolute offset of the image, to which header offsets are relative.
    base: u64,
    /// The string table that holds long names, if the file has one.
    strings: Option<Data<'a>>,
}

/// The section table of `image`, ready to be listed.
pub(crate) fn sections(image: Data<'_>) -> Result<Sections<'_>, Error> {
    let header = header::parse(image)?;
    let table = header.section_table(image)?;
    let strings = image.fixed("COFF file header", header.file_header_at).ok().and_then(|fh| string_table(image, &fh));
    Ok(Sections { headers: table.bytes, index: 0, format: header.format, base: image.base, strings })
}

/// A PE image's overlay: the bytes after the end of every section's raw
/// data (`PointerToRawData + SizeOfRawData`, FileAlignment padding
/// included), which the loader never maps ("PE Format", "Section Table":
/// only raw data is loaded). `None` for an object, or when nothing follows.
pub(crate) fn overlay(image: Data<'_>) -> Result<Option<FileRange>, Error> {
    let header = header::parse(image)?;
    if header.format != Format::Pe {
        return Ok(None);
    }
    let table = header.section_table(image)?;
    let (mut end, mut headers) = (0u64, table.bytes);
    while let Some((bytes, rest)) = headers.split_first_chunk::<{ section_header::LEN }>() {
        headers = rest;
        let sh = Fixed { bytes, endian: Endian::Little };
        let raw = u64::from(sh.u32(section_header::SIZE_OF_RAW_DATA));
        if raw != 0 {
            end = end.max(u64::from(sh.u32(section_header::POINTER_TO_RAW_DATA)).saturating_add(raw));
        }
    }
    let overlay = FileRange { offset: image.base.saturating_add(end), size: image.len().saturating_sub(end) };
    Ok((end < image.len()).then_some(overlay))
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Section<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let (bytes, rest) = self.headers.split_first_chunk::<{ section_header::LEN }>()?;
        let index = self.index;
        // Cannot saturate: NumberOfSections is a u16.
        (self.headers, self.index) = (rest, index.saturating_add(1));
        let sh = Fixed { bytes, endian: Endian::Little };
        let range = data_range(&sh, self.format);
        Some(Ok(Section {
            index,
            name: self.name(bytes),
            segment: None,
            kind: SectionKind::Coff,
            flags: u64::from(sh.u32(section_header::CHARACTERISTICS)),
            range: FileRange { offset: self.base.saturating_add(range.offset), size: range.size },
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.headers.len() / section_header::LEN;
        (left, Some(left))
    }
}

impl<'a> Sections<'a> {
    /// The name in the section header `sh`: its 8-byte field up to the first
    /// NUL, or the long name it refers to; `None` if that cannot be read.
    fn name(&self, sh: &'a [u8; section_header::LEN]) -> Option<&'a [u8]> {
        let field = sh.first_chunk::<{ section_header::NAME_LEN }>()?;
        match field.split_first() {
            Some((&LONG_NAME_PREFIX, reference)) => {
                let at = long_name_offset(reference)?;
                let strings = self.strings?.bytes.get(usize::try_from(at).ok()?..)?;
                strings.get(..strings.iter().position(|&b| b == 0)?)
            }
            _ => field.split(|&b| b == 0).next(),
        }
    }
}

/// The string table after the symbol table, bounded by the size it starts
/// with; `None` if the file has no symbol table or the string table does not
/// lie in the image.
fn string_table<'a>(image: Data<'a>, coff: &Fixed<'_, { file_header::LEN }>) -> Option<Data<'a>> {
    let symbols_at = coff.u32(file_header::POINTER_TO_SYMBOL_TABLE);
    if symbols_at == 0 {
        return None;
    }
    let symbols_len = u64::from(coff.u32(file_header::NUMBER_OF_SYMBOLS)).checked_mul(symbol::SIZE)?;
    let at = u64::from(symbols_at).checked_add(symbols_len)?;
    let size = image.table("COFF string table", at, STRING_TABLE_SIZE_FIELD, 1).ok()?.u32(0).ok()?;
    image.table("COFF string table", at, u64::from(size), 1).ok()
}

/// The string table offset that a long name gives after its `/`: decimal
/// digits up to the first NUL (the spec's form) or, after a second `/`, six
/// base-64 digits (LLVM's form for offsets above 9,999,999).
fn long_name_offset(reference: &[u8]) -> Option<u32> {
    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (radix, digits) = match reference.split_first() {
        Some((&LONG_NAME_PREFIX, digits)) => (64, digits),
        _ => (10, reference.split(|&b| b == 0).next()?),
    };
    digits.iter().try_fold(0u32, |offset, &b| {
        let digit =
            if radix == 64 { BASE64.iter().position(|&c| c == b)? as u32 } else { char::from(b).to_digit(10)? };
        offset.checked_mul(radix)?.checked_add(digit)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use object::read::coff::CoffFile;
    use object::read::pe::{ImageNtHeaders, PeFile, PeFile32, PeFile64};
    use object::{LittleEndian as LE, ObjectSection};

    use super::*;
    use crate::coff::identify;

    /// One section as compared: index, name, and file range (`None` for no bytes).
    type Row = (u32, Option<Vec<u8>>, Option<(u64, u64)>);

    fn corpus(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/corpus/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// Every PE/COFF file of the corpus.
    fn corpus_files() -> Vec<String> {
        let mut files = Vec::new();
        for (dir, ext) in [("pe", "dll"), ("nopayload", "dll"), ("obj", "obj"), ("malformed", "dll")] {
            let path = format!("{}/corpus/{dir}", env!("CARGO_MANIFEST_DIR"));
            for entry in std::fs::read_dir(path).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.ends_with(ext) {
                    files.push(format!("{dir}/{name}"));
                }
            }
        }
        files.sort();
        files
    }

    fn no_bytes_as_none(offset: u64, size: u64) -> Option<(u64, u64)> {
        (size > 0).then_some((offset, size))
    }

    fn pe_rows<Pe: ImageNtHeaders>(file: &PeFile<'_, Pe>) -> Vec<Row> {
        use object::Object;
        let rows = file.sections().map(|s| {
            let raw = s.pe_section();
            // FUZZING.md allow-list 3: with VirtualSize 0 the loader, and
            // pkgimg, use SizeOfRawData; object takes the minimum, 0.
            let range = if raw.virtual_size.get(LE) == 0 {
                no_bytes_as_none(raw.pointer_to_raw_data.get(LE).into(), raw.size_of_raw_data.get(LE).into())
            } else {
                s.file_range().and_then(|(offset, size)| no_bytes_as_none(offset, size))
            };
            (s.index().0 as u32 - 1, s.name_bytes().ok().map(<[u8]>::to_vec), range)
        });
        rows.collect()
    }

    /// The `object` crate's sections of `bytes`, if it parses them.
    fn oracle(bytes: &[u8]) -> Option<Vec<Row>> {
        use object::Object;
        if bytes.starts_with(b"MZ") {
            return PeFile64::parse(bytes)
                .map(|f| pe_rows(&f))
                .or_else(|_| PeFile32::parse(bytes).map(|f| pe_rows(&f)))
                .ok();
        }
        let file = CoffFile::<&[u8]>::parse(bytes).ok()?;
        // FUZZING.md allow-list 1: no file range and size 0 both mean "no bytes".
        let rows = file.sections().map(|s| {
            let range = s.file_range().and_then(|(offset, size)| no_bytes_as_none(offset, size));
            (s.index().0 as u32 - 1, s.name_bytes().ok().map(<[u8]>::to_vec), range)
        });
        Some(rows.collect())
    }

    /// This walk's sections of `bytes`, read as a view based at `base`, with ranges made relative again.
    fn walk(bytes: &[u8], base: u64) -> Vec<Row> {
        let sections = sections(Data::new(bytes, base, "the file")).unwrap();
        assert_eq!(sections.size_hint().0, sections.clone().count());
        let rows = sections.map(|s| {
            let s = s.unwrap();
            assert_eq!((s.kind, s.segment), (SectionKind::Coff, None));
            (s.index, s.name.map(<[u8]>::to_vec), no_bytes_as_none(s.range.offset - base, s.range.size))
        });
        rows.collect()
    }

    #[test]
    fn sections_match_object_on_the_corpus() {
        let mut compared = 0;
        for file in corpus_files() {
            let bytes = corpus(&file);
            let Some(want) = oracle(&bytes) else { continue };
            assert_eq!(walk(&bytes, 0), want, "{file}");
            // Ranges are absolute: a view that starts further into a file moves them.
            assert_eq!(walk(&bytes, 0x1000), want, "{file} at 0x1000");
            compared += 1;
        }
        // pe/ has 4 DLLs, nopayload/ and malformed/ one each, obj/ one COFF object.
        assert_eq!(compared, 7);
    }

    #[test]
    fn flags_are_the_characteristics() {
        // llvm-readobj --sections corpus/obj/x86_64-windows.obj: .bss is section 3,
        // Characteristics 0xC0300080 (uninitialized data, align 4, read, write).
        let bytes = corpus("obj/x86_64-windows.obj");
        let bss = sections(Data::new(&bytes, 0, "the file")).unwrap().nth(2).unwrap().unwrap();
        assert_eq!((bss.name, bss.flags, bss.range.size), (Some(&b".bss"[..]), 0xc030_0080, 0));
    }

    #[test]
    fn a_truncated_table_is_an_error_before_any_item() {
        let bytes = corpus("pe/x86_64-windows-gnu.dll");
        let header = header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        let table_end = header.section_table_at + 40 * u64::from(header.number_of_sections);
        let cut = &bytes[..table_end as usize - 1];
        let error = sections(Data::new(cut, 0, "the file")).unwrap_err();
        assert!(matches!(error, Error::Truncated { what: "COFF section table", .. }), "{error}");
        // What the file is does not depend on the section table.
        let whole = crate::find_section(&bytes, ".jlji").unwrap().image;
        assert_eq!(identify(Data::new(cut, 0, "the file")).unwrap(), whole);
    }

    /// `bytes` with section `index`'s Name set to `name`.
    fn renamed(mut bytes: Vec<u8>, index: usize, name: &[u8; 8]) -> Vec<u8> {
        let header = header::parse(Data::new(&bytes, 0, "the file")).unwrap();
        let at = header.section_table_at as usize + 40 * index;
        bytes[at..at + 8].copy_from_slice(name);
        bytes
    }

    #[test]
    fn long_names_resolve_as_object_resolves_them() {
        // The object's string table (after its 9 symbols at 0x60e) holds
        // "pkgimg_answer" at offset 4.
        let obj = corpus("obj/x86_64-windows.obj");
        for (name, want) in [
            (b"/4\0\0\0\0\0\0", Some(&b"pkgimg_answer"[..])),
            (b"//AAAAAE", Some(b"pkgimg_answer")),
            (b"/5\0\0\0\0\0\0", Some(b"kgimg_answer")),
            (b"/99\0\0\0\0\0", None),
            (b"/4x\0\0\0\0\0", None),
            (b"//AAAA\0\0", None),
        ] {
            let bytes = renamed(obj.clone(), 0, name);
            let got = walk(&bytes, 0);
            assert_eq!(got[0].1.as_deref(), want, "{name:?}");
            assert_eq!(Some(got), oracle(&bytes), "{name:?}");
        }
        // An image keeps a string table only if a linker left a symbol table
        // (MinGW's does, for its long debug section names).
        let dll = corpus("nopayload/x86_64-windows-gnu.dll");
        let bare = renamed(dll.clone(), 0, b"/4\0\0\0\0\0\0");
        assert_eq!(walk(&bare, 0)[0].1, None);
        let mut with_strings = bare.clone();
        let header = header::parse(Data::new(&bare, 0, "the file")).unwrap();
        let symbols_at = header.file_header_at as usize + 8;
        with_strings[symbols_at..symbols_at + 4].copy_from_slice(&(bare.len() as u32).to_le_bytes());
        with_strings.extend_from_slice(&16u32.to_le_bytes());
        with_strings.extend_from_slice(b".debug_info\0");
        let got = walk(&with_strings, 0);
        assert_eq!(got[0].1.as_deref(), Some(&b".debug_info"[..]));
        assert_eq!(Some(got), oracle(&with_strings));
    }

    #[test]
    fn long_name_offsets() {
        // As object's `name_offset` test: decimal up to a NUL, or six base-64 digits.
        assert_eq!(long_name_offset(b"0\0\0\0\0\0\0"), Some(0));
        assert_eq!(long_name_offset(b"9999999"), Some(9_999_999));
        assert_eq!(long_name_offset(b"/AAAAAA"), Some(0));
        assert_eq!(long_name_offset(b"/D/////"), Some(u32::MAX));
        assert_eq!(long_name_offset(b"/EAAAAA"), None);
        assert_eq!(long_name_offset(b"///////"), None);
        assert_eq!(long_name_offset(b"1 \0\0\0\0\0"), None);
    }
}
