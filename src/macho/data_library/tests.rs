//! The data library's layout, read back by this crate's own readers, and its
//! failures. What other tools say about it: `tests_link`.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use std::io::{self, Cursor};

use super::*;
use crate::macho::dependencies::dependencies;
use crate::macho::layout::{CPU_TYPE_ARM64, CPU_TYPE_X86, FAT_MAGIC};
use crate::macho::symbols::find_symbol;
use crate::macho::test_tools::targets;
use crate::read::Data;
use crate::record::DataRecord;
use crate::{Dependency, DependencyKind, FileRange, Symbol};

/// `len` deterministic pseudo-random bytes.
pub(super) fn payload_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The request for `payload` named `name`, exporting `jl_pkgimg_data`.
pub(super) fn spec<'a>(name: &'a str, payload: &[u8]) -> DataLibrarySpec<'a> {
    DataLibrarySpec {
        name,
        symbol: crate::record::DEFAULT_SYMBOL,
        payload_size: payload.len() as u64,
        payload_crc32c: crate::crc::crc32c(payload),
    }
}

/// A thin data library for `header` carrying `payload`.
pub(super) fn build(header: &MachOHeader, name: &str, payload: &[u8]) -> (Vec<u8>, DataLibraryLayout) {
    let mut out = Vec::new();
    let layout = write(header, &spec(name, payload), &mut &payload[..], &mut out).unwrap();
    assert_eq!(layout.size, out.len() as u64);
    (out, layout)
}

fn page_of(header: &MachOHeader) -> u64 {
    if header.cputype == CPU_TYPE_ARM64 {
        16384
    } else {
        4096
    }
}

const SIZES: [usize; 11] = [0, 1, 63, 64, 4095, 4096, 12_000, 16_383, 16_384, 16_385, 100_003];

#[test]
fn the_payload_the_record_and_the_symbol_are_where_the_layout_says() {
    for (target, header) in targets() {
        let page = page_of(&header);
        for (i, size) in SIZES.into_iter().enumerate() {
            let payload = payload_bytes(size, i as u64);
            let (bytes, layout) = build(&header, "@rpath/libfoo_data.dylib", &payload);
            let n = size as u64;
            assert_eq!(layout.payload, FileRange { offset: 2 * page, size: n }, "{target} {size}");
            assert_eq!(layout.container, FileRange { offset: 2 * page - 64, size: 64 + n });
            assert_eq!(layout.record, FileRange { offset: page - 32, size: 32 });

            // The crate's own reader, through the slice API (the host may be neither arch).
            let slice = crate::slices(&bytes).unwrap().next().unwrap().unwrap();
            let found = slice.find_ji_payload().unwrap();
            assert_eq!((found.offset(), found.data()), (layout.payload.offset, &payload[..]));
            found.verify().unwrap();
            let lookup = slice.find_section("__JULIA,__ji").unwrap();
            assert_eq!(lookup.section, Some(layout.container));
            // A thin file is its own host slice: the public entry point too.
            assert_eq!(crate::find_ji_payload(&bytes).unwrap().offset(), layout.payload.offset);

            let record: &[u8; 32] = bytes[page as usize - 32..page as usize].try_into().unwrap();
            let crc = crate::crc::crc32c(&payload);
            assert_eq!(DataRecord::decode(record, crate::Endian::Little), Some(DataRecord::new(n, crc)));
            let image = Data::new(&bytes, 0, "the file");
            let symbol = find_symbol(image, b"_jl_pkgimg_data").unwrap();
            assert_eq!(symbol, Some(Symbol { address: page - 32, range: Some(layout.record) }));
            assert_eq!(find_symbol(image, b"jl_pkgimg_data").unwrap(), None, "the C name has the underscore");

            let deps: Vec<Dependency<'_>> = dependencies(image).unwrap().map(Result::unwrap).collect();
            let expected = [
                Dependency { kind: DependencyKind::IdDylib, name: b"@rpath/libfoo_data.dylib" },
                Dependency { kind: DependencyKind::LoadDylib, name: b"/usr/lib/libSystem.B.dylib" },
            ];
            assert_eq!(deps, expected);
        }
    }
}

/// The arm64 numbers of the module documentation's diagram.
#[test]
fn the_documented_arm64_layout() {
    let payload = payload_bytes(20_000, 9);
    let (bytes, layout) = build(&targets()[1].1, "@rpath/libfoo_data.dylib", &payload);
    assert_eq!((layout.record.offset, layout.container.offset, layout.payload.offset), (0x3fe0, 0x7fc0, 0x8000));
    let plan = Plan::new(&targets()[1].1, &spec("@rpath/libfoo_data.dylib", &payload)).unwrap();
    assert_eq!((plan.julia.offset, plan.julia.size, plan.linkedit.offset), (0x4000, 0xc000, 0x10000));
    assert_eq!((plan.trie.offset, plan.symtab_at, plan.strings.offset), (0x10000, 0x10018, 0x10028));
    assert_eq!(plan.signature.offset, 0x10040);
    assert_eq!(bytes.len(), 65_888);
}

/// The file minus the payload: the `__TEXT` page, the page holding the
/// frame, the padding of the payload to a page, and `__LINKEDIT`, whose
/// fixed part (trie, symbol, strings, signature header) is under 1 KiB and
/// whose page hashes grow with the payload.
#[test]
fn the_overhead_is_two_pages_the_last_page_padding_and_linkedit() {
    for (target, header) in targets() {
        let page = page_of(&header);
        for size in SIZES.into_iter().chain([1 << 20, (1 << 20) + 5]) {
            let payload = payload_bytes(size, 3);
            let (_, layout) = build(&header, "@rpath/libfoo_data.dylib", &payload);
            let n = size as u64;
            let tail = n.next_multiple_of(page) - n;
            let hashes = 32 * (2 * page + n.next_multiple_of(page) + 1024).div_ceil(page);
            let overhead = layout.size - n;
            let linkedit = overhead - 2 * page - tail;
            assert!(linkedit <= 1024 + hashes, "{target} {size}: __LINKEDIT is {linkedit} bytes");
            // The brief's bound (2 pages + page hashes + 8 KiB) holds whenever
            // the padding after the payload is at most 7 KiB: always on
            // x86_64, not for every arm64 payload size.
            if tail <= 7 * 1024 {
                assert!(overhead <= 2 * page + hashes + 8192, "{target} {size}: {overhead}");
            }
        }
    }
}

#[test]
fn output_is_deterministic_and_the_uuid_names_the_payload() {
    let (target, header) = targets()[1];
    let payload = payload_bytes(5000, 1);
    let (a, _) = build(&header, "@rpath/libfoo_data.dylib", &payload);
    let (b, _) = build(&header, "@rpath/libfoo_data.dylib", &payload);
    assert!(a == b, "{target}: two writes differ");
    let mut other = payload.clone();
    other[17] ^= 1;
    let (c, _) = build(&header, "@rpath/libfoo_data.dylib", &other);
    let uuid = |bytes: &[u8]| {
        let at = bytes.windows(8).position(|w| w == [0x1b, 0, 0, 0, 24, 0, 0, 0]).unwrap();
        bytes[at + 8..at + 24].to_vec()
    };
    assert_ne!(uuid(&a), uuid(&c), "another payload, another LC_UUID");
    assert_eq!(uuid(&a)[6] >> 4, 5, "RFC 4122 version 5");
}

/// A reader that gives one byte per call and is interrupted in between.
struct Trickle<'a> {
    bytes: &'a [u8],
    interrupt: bool,
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let Some((first, rest)) = self.bytes.split_first() else { return Ok(0) };
        buf[0] = *first;
        self.bytes = rest;
        Ok(1)
    }
}

#[test]
fn the_payload_streams_through_any_reader_and_must_be_whole_and_match_its_crc() {
    let (_, header) = targets()[0];
    let payload = payload_bytes(9000, 5);
    let (expected, _) = build(&header, "libx.dylib", &payload);
    let mut out = Vec::new();
    write(&header, &spec("libx.dylib", &payload), &mut Trickle { bytes: &payload, interrupt: false }, &mut out)
        .unwrap();
    assert!(out == expected, "a trickling reader gives the same file");

    let short = write(&header, &spec("libx.dylib", &payload), &mut &payload[..8999], &mut Vec::new());
    assert!(matches!(short, Err(EmitError::ShortPayload { expected: 9000, got: 8999 })), "{short:?}");
    let mut wrong = spec("libx.dylib", &payload);
    wrong.payload_crc32c ^= 1;
    let mismatch = write(&header, &wrong, &mut &payload[..], &mut Vec::new());
    assert!(matches!(mismatch, Err(EmitError::ChecksumMismatch { .. })), "{mismatch:?}");
}

#[test]
fn requests_the_format_cannot_express_are_refused() {
    let (_, header) = targets()[0];
    let payload = b"123456789";
    let refused = |header: &MachOHeader, name: &str, symbol: &str| {
        let spec = DataLibrarySpec { symbol, ..spec(name, payload) };
        write(header, &spec, &mut &payload[..], &mut Vec::new()).unwrap_err()
    };
    let i386 = MachOHeader { cputype: CPU_TYPE_X86, ..header };
    assert!(matches!(refused(&i386, "libx.dylib", "s"), EmitError::Unsupported { .. }));
    let long = "x".repeat(4000);
    let too_long = refused(&header, &long, "s");
    // A name, not the payload, is too large (audit 24 F9): the record's
    // 32 bytes end the 4 KiB page, so 4064 bytes fit before it.
    assert!(matches!(too_long, EmitError::BadRequest { .. }), "{too_long:?}");
    assert!(
        too_long.to_string().contains("install name (4000 bytes)") && too_long.to_string().contains("above the 0xfe0")
    );
    assert!(refused(&header, "lib\0x.dylib", "s").to_string().contains("NUL"));
    assert!(refused(&header, "libx.dylib", "").to_string().contains("empty"));
    // The longest install name that fits a 4 KiB page (x86_64), and one more
    // byte: the header, the other commands (704 bytes with a 56-byte
    // LC_ID_DYLIB) and dylib_command + name + NUL must end by the record.
    let room = 4064 - 32 - (704 - 56) - 24 - 1;
    assert!(write(&header, &spec(&"y".repeat(room), payload), &mut &payload[..], &mut Vec::new()).is_ok());
    assert!(write(&header, &spec(&"y".repeat(room + 1), payload), &mut &payload[..], &mut Vec::new()).is_err());
}

#[test]
fn a_universal_library_is_the_thin_ones_at_16k_multiples() {
    let headers = targets().map(|t| t.1);
    let payload = payload_bytes(20_000, 4);
    let s = spec("@rpath/libfoo_data.dylib", &payload);
    // The payload is read again from where the reader started, once per slice.
    let mut source = Cursor::new([&b"prefix"[..], &payload].concat());
    source.set_position(6);
    let mut fat = Vec::new();
    let layouts = write_universal(&headers, &s, &mut source, &mut fat).unwrap();
    assert_eq!(u32::from_be_bytes(fat[..4].try_into().unwrap()), FAT_MAGIC);
    let slices: Vec<_> = crate::slices(&fat).unwrap().map(Result::unwrap).collect();
    assert_eq!(slices.len(), 2);
    for ((slice, header), layout) in slices.iter().zip(&headers).zip(&layouts) {
        let base = slice.range().offset;
        assert_eq!(base % 16384, 0);
        let (thin, thin_layout) = build(header, "@rpath/libfoo_data.dylib", &payload);
        assert!(slice.bytes() == &thin[..], "each slice is the thin library");
        assert_eq!(layout.payload.offset, base + thin_layout.payload.offset, "absolute offsets");
        assert_eq!(layout.size, fat.len() as u64, "size: the whole file");
        let found = slice.find_ji_payload().unwrap();
        assert_eq!(found.offset(), layout.payload.offset);
        found.verify().unwrap();
        let symbol = find_symbol(slice_data(slice), b"_jl_pkgimg_data").unwrap().unwrap();
        assert_eq!(symbol.range, Some(layout.record), "find_symbol's range is absolute");
    }
    // The public entry point reads the slice of the CPU running the tests.
    let host = crate::find_ji_payload(&fat).unwrap();
    assert!(layouts.iter().any(|l| l.payload.offset == host.offset()));
    host.verify().unwrap();
    let mut none = Cursor::new(&payload);
    assert!(write_universal(&[], &s, &mut none, &mut Vec::new()).is_err());
    let twice = [headers[0], headers[0]];
    assert!(write_universal(&twice, &s, &mut none, &mut Vec::new()).unwrap_err().to_string().contains("twice"));
}

fn slice_data<'a>(slice: &crate::Slice<'a>) -> Data<'a> {
    Data::new(slice.bytes(), slice.range().offset, "the slice")
}
