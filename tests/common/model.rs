//! Small, independent builders of structurally valid ELF, Mach-O and PE/COFF
//! images, written from the specifications for the tests (not from the
//! crate's own writers). Each returns the bytes and where each section's data
//! went, so tests can damage a header and know what the answer should be.
#![allow(dead_code)]

/// The 64-byte frame, written field by field from FORMAT.md.
pub fn frame(payload_offset: u64, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(64);
    f.extend_from_slice(b"\x89JLJI\r\n\x1a");
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&payload_offset.to_le_bytes());
    f.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    f.extend_from_slice(&crc32c(payload).to_le_bytes());
    f.resize(64, 0);
    f
}

/// A container's contents: frame, padding to `payload_offset`, payload.
pub fn container(payload_offset: u64, payload: &[u8]) -> Vec<u8> {
    let mut c = frame(payload_offset, payload);
    c.resize(payload_offset as usize, 0);
    c.extend_from_slice(payload);
    c
}

/// Bitwise CRC-32C, the plainest form of the definition (reflected 0x82F63B78).
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

/// Writes integers in one byte order.
#[derive(Clone, Copy)]
pub struct Out {
    pub big: bool,
}

impl Out {
    pub fn u16(self, v: &mut Vec<u8>, x: u16) {
        v.extend_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn u32(self, v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn u64(self, v: &mut Vec<u8>, x: u64) {
        v.extend_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn word(self, v: &mut Vec<u8>, x: u64, wide: bool) {
        if wide {
            self.u64(v, x)
        } else {
            self.u32(v, x as u32)
        }
    }
    pub fn put_u16(self, v: &mut [u8], at: usize, x: u16) {
        v[at..at + 2].copy_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn put_u32(self, v: &mut [u8], at: usize, x: u32) {
        v[at..at + 4].copy_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn put_u64(self, v: &mut [u8], at: usize, x: u64) {
        v[at..at + 8].copy_from_slice(&if self.big { x.to_be_bytes() } else { x.to_le_bytes() });
    }
    pub fn put_word(self, v: &mut [u8], at: usize, x: u64, wide: bool) {
        if wide {
            self.put_u64(v, at, x)
        } else {
            self.put_u32(v, at, x as u32)
        }
    }
}

/// A built image and where its parts are.
pub struct Built {
    pub bytes: Vec<u8>,
    /// File offset of each section's data, in the order given.
    pub data_at: Vec<u64>,
    /// File offset of the section header table (ELF, COFF) or load commands (Mach-O).
    pub headers_at: u64,
    /// File offset of each section's header, in the order given.
    pub header_at: Vec<u64>,
}

pub struct ElfSection<'a> {
    pub name: &'a str,
    pub sh_type: u32,
    pub data: &'a [u8],
}

pub fn progbits<'a>(name: &'a str, data: &'a [u8]) -> ElfSection<'a> {
    ElfSection { name, sh_type: 1, data }
}

/// An ELF relocatable object (System V gABI ch. 4): header, section data,
/// `.shstrtab`, then the section header table. Section 0 is the null section.
pub fn elf(wide: bool, big: bool, machine: u16, sections: &[ElfSection]) -> Built {
    let o = Out { big };
    let (ehsize, shentsize) = if wide { (64usize, 64usize) } else { (52, 40) };
    let mut bytes = vec![0u8; ehsize];
    let mut data_at = Vec::new();
    for s in sections {
        while bytes.len() % 8 != 0 {
            bytes.push(0);
        }
        data_at.push(bytes.len() as u64);
        bytes.extend_from_slice(s.data);
    }
    let mut names = vec![0u8];
    let mut name_at = Vec::new();
    for name in sections.iter().map(|s| s.name).chain([".shstrtab"]) {
        name_at.push(names.len() as u32);
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }
    let strtab_at = bytes.len() as u64;
    bytes.extend_from_slice(&names);
    while bytes.len() % 8 != 0 {
        bytes.push(0);
    }
    let shoff = bytes.len() as u64;
    let count = sections.len() + 2;
    let mut header_at = Vec::new();
    bytes.extend(std::iter::repeat_n(0, shentsize)); // section 0
    let entries = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (name_at[i], s.sh_type, data_at[i], s.data.len() as u64))
        .chain([(name_at[sections.len()], 3, strtab_at, names.len() as u64)]);
    for (name, sh_type, offset, size) in entries {
        header_at.push(bytes.len() as u64);
        let mut h = Vec::new();
        o.u32(&mut h, name);
        o.u32(&mut h, sh_type);
        o.word(&mut h, 0, wide); // flags
        o.word(&mut h, 0, wide); // addr
        o.word(&mut h, offset, wide);
        o.word(&mut h, size, wide);
        o.u32(&mut h, 0); // link
        o.u32(&mut h, 0); // info
        o.word(&mut h, 1, wide); // addralign
        o.word(&mut h, 0, wide); // entsize
        assert_eq!(h.len(), shentsize);
        bytes.extend_from_slice(&h);
    }
    let mut e = vec![0x7f, b'E', b'L', b'F', if wide { 2 } else { 1 }, if big { 2 } else { 1 }, 1, 0];
    e.resize(16, 0);
    o.u16(&mut e, 1); // ET_REL
    o.u16(&mut e, machine);
    o.u32(&mut e, 1);
    o.word(&mut e, 0, wide); // entry
    o.word(&mut e, 0, wide); // phoff
    o.word(&mut e, shoff, wide);
    o.u32(&mut e, 0); // flags
    o.u16(&mut e, ehsize as u16);
    o.u16(&mut e, 0); // phentsize
    o.u16(&mut e, 0); // phnum
    o.u16(&mut e, shentsize as u16);
    o.u16(&mut e, count as u16);
    o.u16(&mut e, (count - 1) as u16);
    assert_eq!(e.len(), ehsize);
    bytes[..ehsize].copy_from_slice(&e);
    Built { bytes, data_at, headers_at: shoff, header_at }
}

/// Offsets of the ELF header fields the tests damage.
pub fn elf_fields(wide: bool) -> (usize, usize, usize, usize) {
    // (e_shoff, e_shentsize, e_shnum, e_shstrndx)
    if wide {
        (40, 58, 60, 62)
    } else {
        (32, 46, 48, 50)
    }
}

pub struct MachSection<'a> {
    pub segment: &'a str,
    pub section: &'a str,
    pub data: &'a [u8],
}

/// A thin Mach-O dylib (`<mach-o/loader.h>`): header, one segment command per
/// distinct segment name (in order of first appearance), then section data.
pub fn macho(wide: bool, big: bool, cputype: u32, sections: &[MachSection]) -> Built {
    let o = Out { big };
    let mut segments: Vec<&str> = Vec::new();
    for s in sections {
        if !segments.contains(&s.segment) {
            segments.push(s.segment);
        }
    }
    let (hsize, segsize, sectsize) = if wide { (32usize, 72usize, 80usize) } else { (28, 56, 68) };
    let cmds_size: usize =
        segments.iter().map(|seg| segsize + sectsize * sections.iter().filter(|s| s.segment == *seg).count()).sum();
    let mut data_off = (hsize + cmds_size).next_multiple_of(64);
    let mut cmds = Vec::new();
    let mut data_at = vec![0u64; sections.len()];
    let mut header_at = vec![0u64; sections.len()];
    for seg in &segments {
        let members: Vec<usize> = (0..sections.len()).filter(|&i| sections[i].segment == *seg).collect();
        let mut c = Vec::new();
        o.u32(&mut c, if wide { 0x19 } else { 0x1 });
        o.u32(&mut c, (segsize + sectsize * members.len()) as u32);
        c.extend_from_slice(&name16(seg));
        o.word(&mut c, 0, wide); // vmaddr
        o.word(&mut c, 0, wide); // vmsize
        o.word(&mut c, 0, wide); // fileoff
        o.word(&mut c, 0, wide); // filesize
        o.u32(&mut c, 1);
        o.u32(&mut c, 1);
        o.u32(&mut c, members.len() as u32);
        o.u32(&mut c, 0);
        for &i in &members {
            header_at[i] = (hsize + cmds.len() + c.len()) as u64;
            data_at[i] = data_off as u64;
            c.extend_from_slice(&name16(sections[i].section));
            c.extend_from_slice(&name16(seg));
            o.word(&mut c, 0, wide); // addr
            o.word(&mut c, sections[i].data.len() as u64, wide);
            o.u32(&mut c, data_off as u32);
            o.u32(&mut c, 6); // align 2^6
            o.u32(&mut c, 0); // reloff
            o.u32(&mut c, 0); // nreloc
            o.u32(&mut c, 0); // flags
            o.u32(&mut c, 0);
            o.u32(&mut c, 0);
            if wide {
                o.u32(&mut c, 0);
            }
            data_off = (data_off + sections[i].data.len().max(1)).next_multiple_of(64);
        }
        cmds.extend_from_slice(&c);
    }
    let mut bytes = Vec::new();
    o.u32(&mut bytes, if wide { 0xfeed_facf } else { 0xfeed_face });
    o.u32(&mut bytes, cputype);
    o.u32(&mut bytes, 0);
    o.u32(&mut bytes, 6); // MH_DYLIB
    o.u32(&mut bytes, segments.len() as u32);
    o.u32(&mut bytes, cmds.len() as u32);
    o.u32(&mut bytes, 0);
    if wide {
        o.u32(&mut bytes, 0);
    }
    bytes.extend_from_slice(&cmds);
    // Data is laid out segment by segment, so write it in file order.
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| data_at[i]);
    for i in order {
        bytes.resize(data_at[i] as usize, 0);
        bytes.extend_from_slice(sections[i].data);
    }
    Built { bytes, data_at, headers_at: hsize as u64, header_at }
}

pub fn name16(name: &str) -> [u8; 16] {
    let mut n = [0u8; 16];
    n[..name.len()].copy_from_slice(name.as_bytes());
    n
}

/// A universal file (`<mach-o/fat.h>`, always big-endian) of the given thin
/// images, each aligned to 2^12. Returns the bytes and each slice's offset.
pub fn fat(wide: bool, slices: &[(u32, &[u8])]) -> (Vec<u8>, Vec<u64>) {
    let o = Out { big: true };
    let mut bytes = Vec::new();
    o.u32(&mut bytes, if wide { 0xcafe_babf } else { 0xcafe_babe });
    o.u32(&mut bytes, slices.len() as u32);
    let mut offset = 4096u64;
    let mut offsets = Vec::new();
    for (cputype, image) in slices {
        o.u32(&mut bytes, *cputype);
        // The subtype real tools write (<mach/machine.h>): CPU_SUBTYPE_I386_ALL
        // and CPU_SUBTYPE_X86_64_ALL are 3, the others' _ALL 0.
        o.u32(&mut bytes, if *cputype & 0x00ff_ffff == 7 { 3 } else { 0 });
        if wide {
            o.u64(&mut bytes, offset);
            o.u64(&mut bytes, image.len() as u64);
            o.u32(&mut bytes, 12);
            o.u32(&mut bytes, 0);
        } else {
            o.u32(&mut bytes, offset as u32);
            o.u32(&mut bytes, image.len() as u32);
            o.u32(&mut bytes, 12);
        }
        offsets.push(offset);
        offset = (offset + image.len() as u64).next_multiple_of(4096);
    }
    for ((_, image), at) in slices.iter().zip(&offsets) {
        bytes.resize(*at as usize, 0);
        bytes.extend_from_slice(image);
    }
    (bytes, offsets)
}

/// A PE image (`pe == Some(pe32plus)`) or a COFF object (`None`), per
/// Microsoft's PE Format: MS-DOS stub with e_lfanew, "PE\0\0", COFF header,
/// optional header (only its magic matters here), section table, data.
pub fn coff(pe: Option<bool>, machine: u16, sections: &[(&str, &[u8])]) -> Built {
    let o = Out { big: false };
    let mut bytes = Vec::new();
    let header_at = if pe.is_some() {
        bytes.extend_from_slice(b"MZ");
        bytes.resize(0x3c, 0);
        o.u32(&mut bytes, 0x80);
        bytes.resize(0x80, 0);
        bytes.extend_from_slice(b"PE\0\0");
        0x84
    } else {
        0
    };
    let optional_size: u16 = match pe {
        Some(true) => 240,
        Some(false) => 224,
        None => 0,
    };
    o.u16(&mut bytes, machine);
    o.u16(&mut bytes, sections.len() as u16);
    o.u32(&mut bytes, 0);
    o.u32(&mut bytes, 0);
    o.u32(&mut bytes, 0);
    o.u16(&mut bytes, optional_size);
    o.u16(&mut bytes, 0);
    let mut optional = vec![0u8; optional_size as usize];
    if let Some(plus) = pe {
        o.put_u16(&mut optional, 0, if plus { 0x20b } else { 0x10b });
    }
    bytes.extend_from_slice(&optional);
    let table_at = bytes.len();
    let mut data_off = (table_at + 40 * sections.len()).next_multiple_of(512);
    let mut data_at = Vec::new();
    let mut headers = Vec::new();
    for (name, data) in sections {
        headers.push((bytes.len()) as u64);
        let mut n = [0u8; 8];
        n[..name.len()].copy_from_slice(name.as_bytes());
        bytes.extend_from_slice(&n);
        o.u32(&mut bytes, data.len() as u32); // VirtualSize
        o.u32(&mut bytes, 0x1000); // VirtualAddress
        o.u32(&mut bytes, data.len() as u32); // SizeOfRawData
        o.u32(&mut bytes, data_off as u32); // PointerToRawData
        bytes.extend_from_slice(&[0; 12]);
        o.u32(&mut bytes, 0x4000_0040); // initialized data, readable
        data_at.push(data_off as u64);
        data_off = (data_off + data.len()).next_multiple_of(512);
    }
    for ((_, data), at) in sections.iter().zip(&data_at) {
        bytes.resize(*at as usize, 0);
        bytes.extend_from_slice(data);
    }
    let _ = header_at;
    Built { bytes, data_at, headers_at: table_at as u64, header_at: headers }
}
