//! The navigators on images built from the specifications (tests/common/model.rs),
//! and every error case the locate issue names, with the offsets each must report.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;

use common::model::{self, container, elf, elf_fields, macho, progbits, ElfSection, MachSection, Out};
use pkgimg::{find_ji_payload, find_section, Arch, Endian, Error, FileRange, Format};

const PAYLOAD: &[u8] = b"the payload: any bytes at all \x00\x01\x02\xff";

fn elf_with_payload(wide: bool, big: bool) -> (model::Built, Vec<u8>) {
    let c = container(64, PAYLOAD);
    let built = elf(wide, big, 62, &[progbits(".text", b"\x90\x90"), progbits(".jlji", &c)]);
    (built, c)
}

#[test]
fn elf_all_widths_and_byte_orders() {
    for (wide, big) in [(false, false), (false, true), (true, false), (true, true)] {
        let (built, c) = elf_with_payload(wide, big);
        let p = find_ji_payload(&built.bytes).unwrap();
        assert_eq!(p.data(), PAYLOAD);
        assert_eq!(p.offset(), built.data_at[1] + 64);
        assert_eq!(p.container(), FileRange { offset: built.data_at[1], size: c.len() as u64 });
        assert_eq!(
            (p.format(), p.bits(), p.endian()),
            (Format::Elf, if wide { 64 } else { 32 }, if big { Endian::Big } else { Endian::Little })
        );
        assert_eq!(p.arch(), Arch::X86_64);
        p.verify().unwrap();
    }
}

#[test]
fn elf_section_table_past_end_names_table_and_sizes() {
    let (mut built, _) = elf_with_payload(true, false);
    let len = built.bytes.len();
    built.bytes.truncate(len - 1);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "ELF section header table at {:#x} (64 × 4 bytes) runs past the end of the file ({:#x} bytes)",
            built.headers_at,
            len - 1
        )
    );
}

#[test]
fn elf_section_count_extension() {
    for wide in [false, true] {
        let (mut built, _) = elf_with_payload(wide, true);
        let o = Out { big: true };
        let (_, _, shnum_at, shstrndx_at) = elf_fields(wide);
        let sec0 = built.headers_at as usize;
        let (size_at, link_at) = if wide { (32, 40) } else { (20, 24) };
        // Real count (4) moves to section 0's sh_size, the name table index (3) to its sh_link.
        o.put_u16(&mut built.bytes, shnum_at, 0);
        o.put_u16(&mut built.bytes, shstrndx_at, 0xffff);
        o.put_word(&mut built.bytes, sec0 + size_at, 4, wide);
        o.put_u32(&mut built.bytes, sec0 + link_at, 3);
        let p = find_ji_payload(&built.bytes).unwrap();
        assert_eq!(p.data(), PAYLOAD);
        // Without section 0's help, the name table index points nowhere.
        o.put_u32(&mut built.bytes, sec0 + link_at, 0x7fff_0000);
        let err = find_ji_payload(&built.bytes).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF section name table header", .. }), "{err}");
        // A count in section 0 far beyond the file is caught before any loop.
        o.put_u32(&mut built.bytes, sec0 + link_at, 3);
        o.put_word(&mut built.bytes, sec0 + size_at, u64::from(u32::MAX), wide);
        let err = find_ji_payload(&built.bytes).unwrap_err();
        assert!(matches!(err, Error::Truncated { what: "ELF section header table", count: 0xffff_ffff, .. }), "{err}");
    }
}

#[test]
fn elf_wrapped_offsets_are_errors() {
    let (mut built, _) = elf_with_payload(true, false);
    let o = Out { big: false };
    // sh_offset of .jlji near u64::MAX: its data range wraps.
    let jlji = built.header_at[1] as usize;
    o.put_u64(&mut built.bytes, jlji + 24, u64::MAX - 8);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert!(matches!(err, Error::Overflow { what: "container section data", .. }), "{err}");
    // e_shoff near u64::MAX.
    let (mut built, _) = elf_with_payload(true, false);
    o.put_u64(&mut built.bytes, 40, u64::MAX - 10);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert!(matches!(err, Error::Overflow { .. }), "{err}");
}

#[test]
fn elf_two_containers_are_ambiguous() {
    let c = container(64, PAYLOAD);
    let built = elf(true, false, 62, &[progbits(".jlji", &c), progbits(".jlji", &c)]);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert_eq!(err, Error::Ambiguous { first: built.data_at[0], second: built.data_at[1] });
}

#[test]
fn elf_names_must_match_exactly() {
    let c = container(64, PAYLOAD);
    let built = elf(true, false, 62, &[progbits(".jlji2", &c), progbits(".jlj", &c), progbits("jlji", &c)]);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert_eq!(err, Error::NoContainer { format: Format::Elf, arch: Arch::X86_64 });
    assert!(err.to_string().contains("no .jlji container"), "{err}");
}

#[test]
fn elf_nobits_container_holds_no_frame() {
    let c = container(64, PAYLOAD);
    let built = elf(true, false, 62, &[ElfSection { name: ".jlji", sh_type: 8, data: &c }]);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert_eq!(err, Error::NoFrame { offset: built.data_at[0], size: 0 });
}

#[test]
fn elf_find_section_any_name() {
    let (built, _) = elf_with_payload(false, true);
    let lookup = find_section(&built.bytes, ".text").unwrap();
    assert_eq!(lookup.section, Some(FileRange { offset: built.data_at[0], size: 2 }));
    assert_eq!(lookup.image.bits, 32);
    assert_eq!(find_section(&built.bytes, ".nothing").unwrap().section, None);
}

#[test]
fn elf_bad_entry_size_and_class() {
    let (mut built, _) = elf_with_payload(true, false);
    let (_, shentsize_at, _, _) = elf_fields(true);
    Out { big: false }.put_u16(&mut built.bytes, shentsize_at, 40);
    let err = find_ji_payload(&built.bytes).unwrap_err();
    assert_eq!(
        err,
        Error::Invalid {
            what: "ELF e_shentsize",
            offset: 58,
            value: 40,
            expected: "at least 40 (32-bit) or 64 (64-bit)"
        }
    );
    built.bytes[4] = 3;
    assert!(matches!(
        find_ji_payload(&built.bytes).unwrap_err(),
        Error::Invalid { what: "ELF EI_CLASS", offset: 4, value: 3, .. }
    ));
}

fn frame_error(mutate: impl Fn(&mut Vec<u8>)) -> (Error, u64) {
    let mut c = container(64, PAYLOAD);
    mutate(&mut c);
    let built = elf(true, false, 62, &[progbits(".jlji", &c)]);
    (find_ji_payload(&built.bytes).unwrap_err(), built.data_at[0])
}

#[test]
fn frame_errors() {
    let (err, at) = frame_error(|c| c[8] = 2);
    assert_eq!(err, Error::FrameVersion { offset: at, version: 2 });
    assert!(err.to_string().contains("version 2"));
    let (err, at) = frame_error(|c| c[10] = 32);
    assert_eq!(err, Error::FrameHeaderSize { offset: at, header_size: 32 });
    let (err, at) = frame_error(|c| c[1] = b'X');
    assert_eq!(err, Error::NoFrame { offset: at, size: 64 + PAYLOAD.len() as u64 });
    assert!(err.to_string().contains("section found"), "{err}");
    let (err, at) = frame_error(|c| c.truncate(63));
    assert_eq!(err, Error::NoFrame { offset: at, size: 63 });
    // payload_size past the end of the file.
    let (err, _) = frame_error(|c| c[24..32].copy_from_slice(&0x10_0000u64.to_le_bytes()));
    assert!(matches!(err, Error::Truncated { what: "payload", size: 0x10_0000, .. }), "{err}");
    // payload_offset that wraps.
    let (err, _) = frame_error(|c| c[16..24].copy_from_slice(&(u64::MAX - 4).to_le_bytes()));
    assert!(matches!(err, Error::Overflow { what: "payload", .. }), "{err}");
    // payload_offset inside the frame.
    let (err, at) = frame_error(|c| c[16..24].copy_from_slice(&8u64.to_le_bytes()));
    assert_eq!(
        err,
        Error::Invalid {
            what: "payload frame payload_offset",
            offset: at + 16,
            value: 8,
            expected: "at least header_size"
        }
    );
}

#[test]
fn frame_checksum() {
    let (mut built, _) = elf_with_payload(true, false);
    let at = (built.data_at[1] + 64) as usize;
    built.bytes[at] ^= 1;
    let p = find_ji_payload(&built.bytes).unwrap();
    let err = p.verify().unwrap_err();
    assert!(
        matches!(err, Error::ChecksumMismatch { offset, expected, .. } if offset == at as u64 && expected == model::crc32c(PAYLOAD))
    );
    // Flags bit 0 clear: nothing to verify against.
    let (mut built, _) = elf_with_payload(true, false);
    built.bytes[built.data_at[1] as usize + 12] = 0;
    assert_eq!(find_ji_payload(&built.bytes).unwrap().verify(), Err(Error::NoChecksum { offset: built.data_at[1] }));
}

fn macho_with_payload(wide: bool, big: bool, cputype: u32) -> model::Built {
    let c = container(64, PAYLOAD);
    macho(
        wide,
        big,
        cputype,
        &[
            MachSection { segment: "__TEXT", section: "__text", data: b"\xc3" },
            MachSection { segment: "__TEXT", section: "__ji", data: b"not me" },
            MachSection { segment: "__JULIA", section: "__ji", data: &c },
        ],
    )
}

#[test]
fn macho_thin_all_widths_and_byte_orders() {
    for (wide, big, cpu, arch) in [
        (true, false, 0x0100_000c, Arch::Aarch64),
        (false, false, 7, Arch::X86),
        (false, true, 18, Arch::Powerpc),
        (true, true, 0x0100_0012, Arch::Powerpc64),
    ] {
        let built = macho_with_payload(wide, big, cpu);
        let p = find_ji_payload(&built.bytes).unwrap();
        assert_eq!(p.data(), PAYLOAD);
        assert_eq!(p.offset(), built.data_at[2] + 64);
        assert_eq!((p.format(), p.arch(), p.bits()), (Format::MachO, arch, if wide { 64 } else { 32 }));
        let text = find_section(&built.bytes, "__TEXT,__text").unwrap().section.unwrap();
        assert_eq!(text, FileRange { offset: built.data_at[0], size: 1 });
    }
}

#[test]
fn macho_cmdsize_and_ncmds() {
    let built = macho_with_payload(true, false, 0x0100_0007);
    let o = Out { big: false };
    for bad in [0u32, 4, 7, 73] {
        let mut b = built.bytes.clone();
        o.put_u32(&mut b, 32 + 4, bad);
        let err = find_ji_payload(&b).unwrap_err();
        assert_eq!(
            err,
            Error::Invalid {
                what: "Mach-O cmdsize",
                offset: 36,
                value: bad.into(),
                expected: "a multiple of 4, at least 8"
            }
        );
    }
    // More commands than sizeofcmds can hold: refused before the loop.
    let mut b = built.bytes.clone();
    o.put_u32(&mut b, 16, u32::MAX);
    assert!(matches!(find_ji_payload(&b).unwrap_err(), Error::Invalid { what: "Mach-O ncmds", offset: 16, .. }));
    // nsects beyond the command.
    let mut b = built.bytes.clone();
    o.put_u32(&mut b, 32 + 64, 1000);
    assert!(matches!(
        find_ji_payload(&b).unwrap_err(),
        Error::Truncated { what: "Mach-O section headers", count: 1000, .. }
    ));
    // sizeofcmds beyond the file.
    let mut b = built.bytes.clone();
    o.put_u32(&mut b, 20, u32::MAX);
    assert!(matches!(find_ji_payload(&b).unwrap_err(), Error::Truncated { what: "Mach-O load commands", .. }));
}

#[test]
fn macho_segment_name_must_match() {
    let c = container(64, PAYLOAD);
    let built = macho(true, false, 0x0100_0007, &[MachSection { segment: "__DATA", section: "__ji", data: &c }]);
    assert_eq!(
        find_ji_payload(&built.bytes).unwrap_err(),
        Error::NoContainer { format: Format::MachO, arch: Arch::X86_64 }
    );
    assert!(matches!(find_section(&built.bytes, "no comma"), Err(Error::BadName { format: Format::MachO, .. })));
}

#[test]
fn macho_universal_slices_and_host_selection() {
    let x86 = macho_with_payload(true, false, 0x0100_0007);
    let arm = macho_with_payload(true, false, 0x0100_000c);
    for wide in [false, true] {
        let (file, offsets) = model::fat(wide, &[(0x0100_0007, &x86.bytes), (0x0100_000c, &arm.bytes)]);
        let all: Vec<_> = pkgimg::payloads(&file).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(all.len(), 2);
        for ((slice, payload), (at, built)) in all.iter().zip(offsets.iter().zip([&x86, &arm])) {
            let p = payload.as_ref().unwrap();
            assert_eq!(p.offset(), at + built.data_at[2] + 64, "absolute offset in the whole file");
            assert_eq!(p.data(), PAYLOAD);
            assert_eq!(slice.range().offset, *at);
        }
        let host = find_ji_payload(&file).unwrap();
        let expected_slice = if Arch::HOST == Arch::X86_64 { 0 } else { 1 };
        assert_eq!(host.slice(), Some(expected_slice));
    }
}

#[test]
fn macho_universal_errors() {
    let ppc = macho_with_payload(false, true, 18);
    let (mut file, _) = model::fat(false, &[(18, &ppc.bytes), (12, &ppc.bytes)]);
    let err = find_ji_payload(&file).unwrap_err();
    assert!(matches!(err, Error::NoHostSlice { count: 2, .. }), "{err}");
    assert_eq!(err.to_string(), format!("universal file has no {} slice; it has 2: powerpc, arm", Arch::HOST));
    // A huge slice count is checked against the file before any slice is read.
    file[4..8].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    assert!(matches!(
        pkgimg::slices(&file).unwrap_err(),
        Error::Truncated { what: "Mach-O universal slice table", .. }
    ));
    // A slice that runs past the end of the file.
    let (mut file, _) = model::fat(true, &[(18, &ppc.bytes)]);
    file[16..24].copy_from_slice(&(u64::MAX - 1).to_be_bytes());
    let first = pkgimg::slices(&file).unwrap().next().unwrap();
    assert!(matches!(first.unwrap_err(), Error::Overflow { what: "Mach-O universal slice", .. }));
}

#[test]
fn pe_and_coff() {
    let c = container(64, PAYLOAD);
    for (pe, machine, arch, bits) in [
        (Some(true), 0x8664, Arch::X86_64, 64),
        (Some(false), 0x14c, Arch::X86, 32),
        (None, 0xaa64, Arch::Aarch64, 64),
        (None, 0x1c4, Arch::Arm, 32),
    ] {
        let built = model::coff(pe, machine, &[(".text", b"\xc3"), (".jlji", &c)]);
        let p = find_ji_payload(&built.bytes).unwrap();
        assert_eq!(p.data(), PAYLOAD);
        assert_eq!(p.offset(), built.data_at[1] + 64);
        assert_eq!(
            (p.format(), p.arch(), p.bits()),
            (if pe.is_some() { Format::Pe } else { Format::Coff }, arch, bits)
        );
    }
    // A frame in the section, the payload in the overlay after every section.
    let mut built = model::coff(Some(true), 0x8664, &[(".jlji", &model::frame(4096, PAYLOAD))]);
    let frame_at = built.data_at[0];
    built.bytes.resize((frame_at + 4096) as usize, 0);
    built.bytes.extend_from_slice(PAYLOAD);
    let p = find_ji_payload(&built.bytes).unwrap();
    assert_eq!((p.offset(), p.data()), (frame_at + 4096, PAYLOAD));
    p.verify().unwrap();
}

#[test]
fn pe_errors() {
    let c = container(64, PAYLOAD);
    let built = model::coff(Some(true), 0x8664, &[(".jlji", &c)]);
    // e_lfanew past the end of the file.
    let mut b = built.bytes.clone();
    b[0x3c..0x40].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    assert!(matches!(
        find_ji_payload(&b).unwrap_err(),
        Error::Truncated { what: "PE signature", offset: 0x7fff_ffff, .. }
    ));
    // Wrong signature.
    let mut b = built.bytes.clone();
    b[0x80] = b'X';
    assert!(matches!(find_ji_payload(&b).unwrap_err(), Error::Invalid { what: "PE signature", offset: 0x80, .. }));
    // SizeOfOptionalHeader lying: the section table moves past the end of the file.
    let mut b = built.bytes.clone();
    b[0x84 + 16..0x84 + 18].copy_from_slice(&0xffffu16.to_le_bytes());
    assert!(matches!(find_ji_payload(&b).unwrap_err(), Error::Truncated { what: "COFF section table", .. }));
    // Unknown optional header magic.
    let mut b = built.bytes.clone();
    b[0x98] = 0x07;
    assert!(matches!(find_ji_payload(&b).unwrap_err(), Error::Invalid { what: "PE optional header magic", .. }));
    // A name that COFF cannot express without a string table.
    assert!(matches!(find_section(&built.bytes, ".longer_than_8"), Err(Error::BadName { format: Format::Coff, .. })));
    // Two containers.
    let built = model::coff(None, 0x8664, &[(".jlji", &c), (".jlji", &c)]);
    assert_eq!(
        find_ji_payload(&built.bytes).unwrap_err(),
        Error::Ambiguous { first: built.data_at[0], second: built.data_at[1] }
    );
}

#[test]
fn unknown_and_tiny_inputs() {
    assert_eq!(find_ji_payload(b"").unwrap_err(), Error::UnknownFormat { magic: [0; 4] });
    assert_eq!(find_ji_payload(b"#!/bin/sh\n").unwrap_err(), Error::UnknownFormat { magic: *b"#!/b" });
    assert!(find_ji_payload(b"\x7fELF").unwrap_err().to_string().contains("ELF identification"));
    assert!(matches!(
        find_ji_payload(b"MZ").unwrap_err(),
        Error::Truncated { what: "the file", .. } | Error::Truncated { .. }
    ));
    assert!(matches!(find_ji_payload(&[0xca, 0xfe, 0xba, 0xbe]).unwrap_err(), Error::Truncated { .. }));
}
