//! The Mach-O dependency walk against `object` and `goblin` on every Mach-O
//! at hand, and on load commands built or damaged to break it.

#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use object::macho::{MachHeader32, MachHeader64};
use object::read::macho::{LoadCommandVariant, MachHeader};
use object::Endianness;

use super::*;
use crate::macho::layout::{mach_header, CMDSIZE_READ, LC_UUID};
use crate::macho::test_tools::{fixtures, images, machos};
use crate::DependencyKind::{IdDylib, LoadDylib, LoadUpwardDylib, LoadWeakDylib, ReexportDylib, Rpath};

/// `(kind, name)` of every record, or the first error.
fn walk(image: &[u8], base: u64) -> Result<Vec<(DependencyKind, Vec<u8>)>, Error> {
    dependencies(Data::new(image, base, "the slice"))?.map(|d| d.map(|d| (d.kind, d.name.to_vec()))).collect()
}

/// The same records as `object` reads them, in load-command order.
fn by_object<H: MachHeader<Endian = Endianness>>(image: &[u8]) -> Vec<(DependencyKind, Vec<u8>)> {
    let header = H::parse(image, 0).unwrap();
    let endian = header.endian().unwrap();
    let mut commands = header.load_commands(endian, image, 0).unwrap();
    let mut out = Vec::new();
    while let Some(command) = commands.next().unwrap() {
        let (kind, name) = match command.variant().unwrap() {
            LoadCommandVariant::Dylib(d) => (kind(command.cmd().0), d.dylib.name),
            LoadCommandVariant::IdDylib(d) => (Some(IdDylib), d.dylib.name),
            LoadCommandVariant::Rpath(r) => (Some(Rpath), r.path),
            _ => continue,
        };
        // object's Dylib also covers LC_LAZY_LOAD_DYLIB, which is no record here.
        if let Some(kind) = kind {
            out.push((kind, command.string(endian, name).unwrap().to_vec()));
        }
    }
    out
}

/// Names as goblin groups them: libraries, run paths, own name.
type Grouped = (Vec<Vec<u8>>, Vec<Vec<u8>>, Option<Vec<u8>>);

fn by_goblin(image: &[u8]) -> Grouped {
    let macho = goblin::mach::MachO::parse(image, 0).unwrap();
    let bytes = |s: &&str| s.as_bytes().to_vec();
    // goblin's first library is the image itself ("self").
    (
        macho.libs[1..].iter().map(bytes).collect(),
        macho.rpaths.iter().map(bytes).collect(),
        macho.name.map(|n| n.as_bytes().to_vec()),
    )
}

/// Our walk agrees with `object` record by record and with goblin's lists.
fn assert_agrees(label: &str, image: &[u8], base: u64) {
    let ours = walk(image, base).unwrap_or_else(|e| panic!("{label}: {e}"));
    let wide = image[..4] == [0xcf, 0xfa, 0xed, 0xfe] || image[..4] == [0xfe, 0xed, 0xfa, 0xcf];
    let object =
        if wide { by_object::<MachHeader64<Endianness>>(image) } else { by_object::<MachHeader32<Endianness>>(image) };
    assert_eq!(ours, object, "{label}: object reads other records");
    let (libs, rpaths, name) = by_goblin(image);
    let names = |keep: &dyn Fn(DependencyKind) -> bool| -> Vec<Vec<u8>> {
        ours.iter().filter(|(k, _)| keep(*k)).map(|(_, n)| n.clone()).collect()
    };
    assert_eq!(names(&|k: DependencyKind| k.is_library()), libs, "{label}: goblin's libs");
    assert_eq!(names(&|k| k == Rpath), rpaths, "{label}: goblin's rpaths");
    assert_eq!(names(&|k| k == IdDylib).first().cloned(), name, "{label}: goblin's name");
}

#[test]
fn agrees_with_object_and_goblin_on_every_macho_at_hand() {
    let mut seen = 0;
    for (path, file) in machos() {
        for (base, image) in images(&file) {
            assert_agrees(&format!("{} @{base:#x}", path.display()), image, base);
            seen += 1;
        }
    }
    assert!(seen >= 6, "the corpus alone has 6 images");
    let Some(fixtures) = fixtures() else { return };
    for path in fixtures.data.iter().map(|d| &d.1).chain(fixtures.code.iter().map(|c| &c.path)) {
        let file = std::fs::read(path).unwrap();
        assert_agrees(&path.display().to_string(), &file, 0);
    }
}

/// corpus/malformed/truncated-payload.dylib is macho/aarch64-macos.dylib
/// cut inside the payload, its load commands whole: the same records.
#[test]
fn a_file_cut_after_its_load_commands_has_all_its_records() {
    let corpus = crate::macho::test_tools::corpus();
    let cut = std::fs::read(corpus.join("malformed/truncated-payload.dylib")).unwrap();
    let whole = std::fs::read(corpus.join("macho/aarch64-macos.dylib")).unwrap();
    assert_eq!(walk(&cut, 0).unwrap(), walk(&whole, 0).unwrap());
    assert_eq!(walk(&cut, 0).unwrap().len(), 2, "LC_ID_DYLIB and libSystem");
}

#[test]
fn the_code_libraries_depend_on_the_data_library_and_say_where_to_look() {
    let Some(fixtures) = fixtures() else { return };
    for code in &fixtures.code {
        let file = std::fs::read(&code.path).unwrap();
        let records = walk(&file, 0).unwrap();
        let data = (code.kind, crate::macho::test_tools::DATA_NAME.as_bytes().to_vec());
        assert!(records.contains(&data), "{}: no {:?} in {records:?}", code.how, data);
        assert!(records.contains(&(Rpath, b"@loader_path".to_vec())), "{}: {records:?}", code.how);
    }
}

/// An image with the given commands (`(cmd, payload after cmd/cmdsize)`),
/// 64-bit little-endian, and the offset of each command.
fn image(commands: &[(u32, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
    let sizeofcmds: usize = commands.iter().map(|(_, p)| 8 + p.len()).sum();
    let mut b = Vec::new();
    for word in [0xfeed_facf, 0x0100_0007, 3, 6, commands.len() as u32, sizeofcmds as u32, 0, 0] {
        b.extend(u32::to_le_bytes(word));
    }
    let mut at = Vec::new();
    for (cmd, payload) in commands {
        at.push(b.len());
        b.extend(cmd.to_le_bytes());
        b.extend((8 + payload.len() as u32).to_le_bytes());
        b.extend(payload);
    }
    (b, at)
}

/// A `dylib_command`'s bytes after cmd/cmdsize: name offset 24, then the name.
fn dylib(name: &[u8], room: usize) -> Vec<u8> {
    let mut p = [24u32, 2, 0x1_0000, 0x1_0000].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
    p.extend(name);
    p.resize(16 + room, 0);
    p
}

#[test]
fn every_kind_in_order_and_unknown_commands_skipped() {
    let rpath = [12u32.to_le_bytes().to_vec(), b"@loader_path/../lib\0".to_vec()].concat();
    let (bytes, _) = image(&[
        (LC_ID_DYLIB, dylib(b"libme.dylib", 16)),
        (LC_UUID, vec![7; 16]),
        (LC_LOAD_DYLIB, dylib(b"/usr/lib/libSystem.B.dylib", 32)),
        (LC_LOAD_WEAK_DYLIB, dylib(b"libweak.dylib", 16)),
        (LC_REEXPORT_DYLIB, dylib(b"libre.dylib", 16)),
        (LC_LOAD_UPWARD_DYLIB, dylib(b"libup.dylib", 16)),
        (LC_RPATH, rpath),
    ]);
    let expected: Vec<(DependencyKind, Vec<u8>)> = [
        (IdDylib, &b"libme.dylib"[..]),
        (LoadDylib, b"/usr/lib/libSystem.B.dylib"),
        (LoadWeakDylib, b"libweak.dylib"),
        (ReexportDylib, b"libre.dylib"),
        (LoadUpwardDylib, b"libup.dylib"),
        (Rpath, b"@loader_path/../lib"),
    ]
    .map(|(k, n)| (k, n.to_vec()))
    .to_vec();
    assert_eq!(walk(&bytes, 0).unwrap(), expected);
    assert_agrees("hand-made image", &bytes, 0);
    // Big-endian 32-bit (PowerPC): the same walk, in that byte order.
    let mut ppc =
        vec![0xfe, 0xed, 0xfa, 0xce, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 36, 0, 0, 0, 0];
    ppc.extend([0, 0, 0, 0x0c, 0, 0, 0, 36, 0, 0, 0, 24, 0, 0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0]);
    ppc.extend(b"libppc.A\0\0\0\0");
    assert_eq!(walk(&ppc, 0).unwrap(), [(LoadDylib, b"libppc.A".to_vec())]);
    assert_agrees("big-endian image", &ppc, 0);
}

#[test]
fn a_name_outside_its_command_or_a_truncated_command_is_an_error() {
    let (good, at) = image(&[(LC_LOAD_DYLIB, dylib(b"liba.dylib", 16)), (LC_ID_DYLIB, dylib(b"libb.dylib", 16))]);
    let patched = |at: usize, value: u32| {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
        b
    };
    // The name offset at cmdsize (40) and far beyond: outside the command.
    for offset in [40, u32::MAX] {
        let err = walk(&patched(at[1] + 8, offset), 0x1000).unwrap_err();
        let what = "Mach-O lc_str offset";
        let expected = "below the load command's cmdsize";
        let field = 0x1000 + at[1] as u64 + 8;
        assert_eq!(err, Error::Invalid { what, offset: field, value: offset.into(), expected });
    }
    // A name with no NUL before the end of its command.
    let mut unterminated = good.clone();
    unterminated[at[1] + 24..at[1] + 40].fill(b'x');
    let err = walk(&unterminated, 0).unwrap_err();
    assert!(matches!(err, Error::Invalid { what: "Mach-O lc_str name", value: 24, .. }), "{err}");
    // A dylib command of 8 bytes: no room for its name's offset.
    let (short, _) = image(&[(LC_LOAD_DYLIB, Vec::new())]);
    assert!(matches!(walk(&short, 0).unwrap_err(), Error::Truncated { what: "Mach-O load command", .. }));
    // An error ends the records: the good first one, then the error, then nothing.
    let bad = patched(at[1] + 8, 40);
    let mut records = dependencies(Data::new(&bad, 0, "the file")).unwrap();
    assert!(records.next().unwrap().is_ok());
    assert!(records.next().unwrap().is_err());
    assert!(records.next().is_none());
    // A cmdsize past sizeofcmds is the header walk's error.
    let past = patched(at[1] + 4, 48);
    assert!(walk(&past, 0).is_err());
}

/// No input makes the walk panic: bytes of the load commands of real
/// libraries changed at random (a deterministic generator).
#[test]
fn corrupted_load_commands_give_errors_not_panics() {
    let mut inputs: Vec<Vec<u8>> =
        machos().into_iter().map(|(_, f)| f).filter(|f| !crate::macho::fat::is_fat(f)).collect();
    if let Some(fixtures) = fixtures() {
        inputs.extend(fixtures.code.iter().map(|c| std::fs::read(&c.path).unwrap()));
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for input in &inputs {
        let end = (mach_header::LEN_64 as usize + u32::from_le_bytes(input[20..24].try_into().unwrap()) as usize)
            .min(input.len());
        for _ in 0..400 {
            let mut bytes = input.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % end as u64) as usize;
                bytes[at] = next() as u8;
            }
            if let Ok(records) = dependencies(Data::new(&bytes, 0, "the file")) {
                assert!(records.count() <= 1 + end / 8);
            }
            let _ = crate::macho::symbols::find_symbol(Data::new(&bytes, 0, "the file"), b"_jl_pkgimg_data");
        }
    }
    // The walk's own guard: ncmds is checked against sizeofcmds first.
    let header = crate::macho::header::parse(Data::new(&inputs[0], 0, "the file")).unwrap();
    assert!(header.commands(CMDSIZE_READ).count() as u64 <= header.commands.len() / 8);
}
