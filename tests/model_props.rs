//! Property tests: structurally valid ELF, Mach-O (thin and universal) and
//! PE/COFF images generated from a model (tests/common/model.rs), then
//! targeted damage. The navigators must never panic, must agree with the model
//! on every undamaged image, and must never return a payload outside the input.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "common/mod.rs"]
mod common;

use common::model::{self, container, ElfSection, MachSection, Out};
use pkgimg::Error;
use proptest::prelude::*;

/// Section names, the container's among near misses.
const NAMES: [&str; 6] = [".jlji", ".text", ".jlj", ".jlji\u{1}", "jlji", ".data"];

#[derive(Debug, Clone)]
struct Model {
    sections: Vec<(usize, Vec<u8>)>,
    payload: Vec<u8>,
}

/// Sections drawn from NAMES; each `.jlji` gets a real frame and the model payload.
fn model() -> impl Strategy<Value = Model> {
    (
        prop::collection::vec((0..NAMES.len(), prop::collection::vec(any::<u8>(), 0..40)), 0..6),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(sections, payload)| Model { sections, payload })
}

impl Model {
    fn data(&self, name: usize, filler: &[u8]) -> Vec<u8> {
        if NAMES[name] == ".jlji" {
            container(64, &self.payload)
        } else {
            filler.to_vec()
        }
    }

    fn containers(&self) -> usize {
        self.sections.iter().filter(|(n, _)| NAMES[*n] == ".jlji").count()
    }

    /// What find_ji_payload must say about an undamaged image.
    fn check(&self, bytes: &[u8], data_at: &[u64], container_index: impl Fn(usize) -> usize) {
        let result = pkgimg::find_ji_payload(bytes);
        let at: Vec<u64> = self
            .sections
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| NAMES[*n] == ".jlji")
            .map(|(i, _)| data_at[container_index(i)])
            .collect();
        match (self.containers(), result) {
            (0, Err(Error::NoContainer { .. })) => {}
            (1, Ok(p)) => {
                assert_eq!(p.data(), &self.payload[..]);
                assert_eq!(p.offset(), at[0] + 64);
                p.verify().unwrap();
            }
            (n, Err(Error::Ambiguous { first, second })) if n >= 2 => assert_eq!((first, second), (at[0], at[1])),
            (n, r) => panic!("{n} containers, got {r:?}"),
        }
    }
}

/// The invariants on any input, damaged or not.
fn never_outside(bytes: &[u8]) {
    if let Ok(p) = pkgimg::find_ji_payload(bytes) {
        let end = p.offset().checked_add(p.size()).unwrap();
        assert!(end <= bytes.len() as u64);
        assert_eq!(&bytes[p.offset() as usize..end as usize], p.data());
    }
    if let Ok(all) = pkgimg::payloads(bytes) {
        for (_, p) in all.flatten() {
            if let Ok(p) = p {
                assert!(p.offset() + p.size() <= bytes.len() as u64);
            }
        }
    }
    // The section, dependency and symbol walks too (tests/common/mod.rs).
    common::invariants(bytes);
}

/// Values that break counts, offsets and sizes.
fn nasty() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(0x7f),
        Just(0xff00),
        Just(0xffff),
        Just(u32::MAX as u64),
        Just(u64::MAX),
        Just(u64::MAX - 63),
        any::<u64>()
    ]
}

/// Writes `value` at `at` (truncated to `width` bytes) in the given byte order.
fn poke(bytes: &mut [u8], at: usize, width: usize, value: u64, big: bool) {
    if at + width > bytes.len() {
        return;
    }
    let o = Out { big };
    match width {
        2 => o.put_u16(bytes, at, value as u16),
        4 => o.put_u32(bytes, at, value as u32),
        _ => o.put_u64(bytes, at, value),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn elf(m in model(), wide: bool, big: bool, field in 0usize..9, value in nasty(), extended: bool) {
        let data: Vec<Vec<u8>> = m.sections.iter().map(|(n, f)| m.data(*n, f)).collect();
        let sections: Vec<ElfSection> = m.sections.iter().zip(&data).map(|((n, _), d)| model::progbits(NAMES[*n], d)).collect();
        let mut built = model::elf(wide, big, 62, &sections);
        let (shoff, shentsize, shnum, shstrndx) = model::elf_fields(wide);
        let sec0 = built.headers_at as usize;
        let (size_at, link_at) = if wide { (32, 40) } else { (20, 24) };
        if extended {
            // The section-count extension, which leaves the image valid.
            let count = m.sections.len() as u64 + 2;
            poke(&mut built.bytes, shnum, 2, 0, big);
            poke(&mut built.bytes, shstrndx, 2, 0xffff, big);
            poke(&mut built.bytes, sec0 + size_at, if wide { 8 } else { 4 }, count, big);
            poke(&mut built.bytes, sec0 + link_at, 4, count - 1, big);
        }
        m.check(&built.bytes, &built.data_at, |i| i);
        // Now damage one field: counts, offsets, sizes, section 0, names.
        let first = built.header_at.first().copied().unwrap_or(built.headers_at) as usize;
        let (at, width) = match field {
            0 => (shoff, if wide { 8 } else { 4 }),
            1 => (shentsize, 2),
            2 => (shnum, 2),
            3 => (shstrndx, 2),
            4 => (sec0 + size_at, if wide { 8 } else { 4 }),
            5 => (sec0 + link_at, 4),
            6 => (first + if wide { 24 } else { 16 }, if wide { 8 } else { 4 }), // sh_offset
            7 => (first + if wide { 32 } else { 20 }, if wide { 8 } else { 4 }), // sh_size
            _ => (first, 4), // sh_name
        };
        poke(&mut built.bytes, at, width, value, big);
        never_outside(&built.bytes);
    }

    #[test]
    fn macho(m in model(), wide: bool, big: bool, fat: bool, field in 0usize..7, value in nasty()) {
        let data: Vec<Vec<u8>> = m.sections.iter().map(|(n, f)| m.data(*n, f)).collect();
        // `.jlji` maps to __JULIA,__ji; near misses to other segment/section pairs.
        let names: Vec<(&str, &str)> = m.sections.iter().map(|(n, _)| match NAMES[*n] {
            ".jlji" => ("__JULIA", "__ji"),
            ".jlj" => ("__JULIA", "__jj"),
            "jlji" => ("__TEXT", "__ji"),
            _ => ("__TEXT", "__text"),
        }).collect();
        let sections: Vec<MachSection> = names.iter().zip(&data).map(|((seg, sect), d)| MachSection { segment: seg, section: sect, data: d }).collect();
        let built = model::macho(wide, big, if wide { 0x0100_0007 } else { 7 }, &sections);
        // Sections are grouped by segment in the built file: find each one's header.
        let order: Vec<usize> = (0..sections.len()).collect();
        let (mut bytes, base) = if fat {
            let (bytes, offsets) = model::fat(false, &[(0x0100_0007, &built.bytes)]);
            (bytes, offsets[0])
        } else {
            (built.bytes.clone(), 0)
        };
        let data_at: Vec<u64> = built.data_at.iter().map(|a| a + base).collect();
        if let Ok(all) = pkgimg::payloads(&bytes) {
            let results: Vec<_> = all.collect();
            prop_assert_eq!(results.len(), 1);
        }
        let check_host = !fat || pkgimg::Arch::HOST == pkgimg::Arch::X86_64;
        if check_host {
            // Ambiguity is reported in load-command order, which groups by segment.
            let mut sorted = m.clone();
            let mut idx: Vec<usize> = order.clone();
            idx.sort_by_key(|&i| data_at[i]);
            sorted.sections = idx.iter().map(|&i| m.sections[i].clone()).collect();
            let sorted_at: Vec<u64> = idx.iter().map(|&i| data_at[i]).collect();
            sorted.check(&bytes, &sorted_at, |i| i);
        }
        let b = base as usize;
        let (at, width) = match field {
            0 => (b + 16, 4),                       // ncmds
            1 => (b + 20, 4),                       // sizeofcmds
            2 => (b + if wide { 32 } else { 28 } + 4, 4), // first cmdsize
            3 => (b + if wide { 32 + 64 } else { 28 + 48 }, 4), // first nsects
            4 => (built.header_at.first().map_or(b, |h| b + *h as usize + if wide { 48 } else { 40 }), 4), // offset
            5 => (4, 4),                            // fat nfat_arch or cputype
            _ => (8, 4),                            // fat slice offset or filetype
        };
        poke(&mut bytes, at, width, value, if at < b || (fat && at < 32) { true } else { big });
        never_outside(&bytes);
    }

    #[test]
    fn pe_coff(m in model(), kind in 0usize..3, field in 0usize..6, value in nasty()) {
        let data: Vec<Vec<u8>> = m.sections.iter().map(|(n, f)| m.data(*n, f)).collect();
        // COFF names are 8 bytes: skip the one near miss that does not fit.
        let sections: Vec<(&str, &[u8])> = m.sections.iter().zip(&data).map(|((n, _), d)| (NAMES[*n], &d[..])).collect();
        let pe = [Some(true), Some(false), None][kind];
        let mut built = model::coff(pe, 0x8664, &sections);
        m.check(&built.bytes, &built.data_at, |i| i);
        let header = if pe.is_some() { 0x84 } else { 0 };
        let first = built.header_at.first().copied().unwrap_or(built.headers_at) as usize;
        let (at, width) = match field {
            0 => (0x3c, 4),         // e_lfanew
            1 => (header + 2, 2),   // NumberOfSections
            2 => (header + 16, 2),  // SizeOfOptionalHeader
            3 => (first + 16, 4),   // SizeOfRawData
            4 => (first + 20, 4),   // PointerToRawData
            _ => (first + 8, 4),    // VirtualSize
        };
        poke(&mut built.bytes, at, width, value, false);
        never_outside(&built.bytes);
    }
}
