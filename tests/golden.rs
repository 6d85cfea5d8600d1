//! Golden outputs of the writers: the SHA-256 of every byte `emit_object`
//! and `inject` produce for fixed inputs.
//!
//! These are regression pins, not oracles: the values were recorded from the
//! writers as they stood before the internal redesign (issue 13, at f9afdfd),
//! whose rule is that no output byte changes. Correctness is proven elsewhere,
//! against real linkers, loaders and independent readers (tests/emit_link.rs,
//! tests/inject_*.rs, tests/oracles.rs). A deliberate change of output updates
//! the table in the same commit, saying why.
//!
//! `GOLDEN_PRINT=1 cargo test --test golden -- --nocapture` prints the table
//! as the code now computes it.
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use pkgimg::inject::{inject, InjectOptions};
use sha2::{Digest, Sha256};

mod common;

/// Every triple the emit tests cover (tests/emit_link.rs), plus spellings that
/// take other paths through the triple parser.
const TRIPLES: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "x86_64-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "aarch64-linux-gnu",
    "i686-unknown-linux-gnu",
    "x86-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "arm-linux-gnueabihf",
    "arm-unknown-linux-gnueabi",
    "thumbv7em-none-eabihf",
    "armeb-unknown-linux-gnueabi",
    "riscv64gc-unknown-linux-gnu",
    "riscv64-linux-gnu",
    "riscv32imac-unknown-none-elf",
    "riscv32imafc-unknown-none-elf",
    "powerpc64le-unknown-linux-gnu",
    "powerpc64-unknown-linux-gnu",
    "powerpc64-unknown-linux-musl",
    "powerpc-unknown-linux-gnu",
    "s390x-unknown-linux-gnu",
    "mips-unknown-linux-gnu",
    "mipsel-unknown-linux-musl",
    "mips64-unknown-linux-gnuabi64",
    "mips64el-unknown-linux-gnuabi64",
    "mips64-unknown-linux-gnuabin32",
    "mipsisa32r6el-unknown-linux-gnu",
    "sparc64-unknown-linux-gnu",
    "loongarch64-unknown-linux-gnu",
    "x86_64-unknown-linux-gnux32",
    "aarch64-linux-android",
    "x86_64-unknown-freebsd",
    "sparcv9-sun-solaris",
    "x86_64-pc-solaris2.11",
    "x86_64-unknown-netbsd",
    "x86_64-apple-darwin",
    "x86_64-apple-macosx11.0",
    "x86_64-macos",
    "aarch64-apple-darwin",
    "arm64-apple-macos",
    "arm64-apple-ios17.0-simulator",
    "aarch64-apple-macos13.4.1",
    "x86_64-pc-windows-gnu",
    "x86_64-pc-windows-msvc",
    "x86_64-w64-mingw32",
    "i686-pc-windows-msvc",
    "x86-windows-gnu",
    "aarch64-pc-windows-msvc",
];

/// `len` bytes of a fixed pseudo-random sequence (xorshift64*).
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What the writers produce now, one `(case, digest or error message)` per line.
fn outputs() -> Vec<(String, String)> {
    let mut seen = Vec::new();
    // Two payload sizes: one smaller than a page, one not a multiple of 8.
    for (len, seed) in [(1000usize, 1u64), (70_001, 2)] {
        let bytes = payload(len, seed);
        for triple in TRIPLES {
            let result = pkgimg::emit_object_to_vec(triple, &bytes);
            let value = result.map(|out| sha256(&out)).unwrap_or_else(|e| format!("error: {e}"));
            seen.push((format!("emit {triple} {len}"), value));
        }
    }
    let dir = tempfile::Builder::new().prefix("golden-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let payload_path = dir.path().join("payload");
    let corpus = common::corpus();
    let mut inputs: Vec<_> = ["nopayload", "elf", "macho", "pe", "obj", "malformed"]
        .iter()
        .flat_map(|d| fs::read_dir(corpus.join(d)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    inputs.sort();
    for (len, seed) in [(1000usize, 3u64), (70_001, 4)] {
        fs::write(&payload_path, payload(len, seed)).unwrap();
        for input in &inputs {
            let name = input.strip_prefix(&corpus).unwrap().display().to_string();
            for replace in [false, true] {
                let out = dir.path().join("out");
                let _ = fs::remove_file(&out);
                let options = InjectOptions { replace, ..InjectOptions::default() };
                let value = match inject(input, &payload_path, &out, options) {
                    Ok(_) => sha256(&fs::read(&out).unwrap()),
                    // Messages name the temporary directory; keep only what follows it.
                    Err(e) => format!("error: {}", relative(&e.to_string(), dir.path(), &corpus)),
                };
                seen.push((format!("inject {name} {len} replace={replace}"), value));
            }
        }
    }
    seen
}

fn relative(message: &str, dir: &Path, corpus: &Path) -> String {
    message.replace(&dir.display().to_string(), "TMP").replace(&corpus.display().to_string(), "CORPUS")
}

#[test]
fn writers_are_byte_identical_to_the_pinned_outputs() {
    let seen = outputs();
    if std::env::var_os("GOLDEN_PRINT").is_some() {
        for (case, value) in &seen {
            println!("    ({case:?}, {value:?}),");
        }
    }
    let mut differ = Vec::new();
    for (case, value) in &seen {
        match GOLDEN.iter().find(|(c, _)| c == case) {
            Some((_, want)) if want == value => {}
            Some((_, want)) => differ.push(format!("{case}: now {value}, pinned {want}")),
            None => differ.push(format!("{case}: not pinned (now {value})")),
        }
    }
    assert_eq!(seen.len(), GOLDEN.len(), "the pinned table and the cases differ in number");
    assert!(differ.is_empty(), "{} of {} outputs changed:\n{}", differ.len(), seen.len(), differ.join("\n"));
}

/// Recorded at f9afdfd (before the redesign) with `GOLDEN_PRINT=1`; the rows of
/// `elf/x86_64-linux-musl-ji*.so` were re-recorded when the corpus got realistic
/// `.ji` payloads (the input bytes changed, not the writer), and the two
/// COFF-object refusals without `replace` when a COFF object came to be refused
/// for what it is before being told to `replace` (issue 14).
#[rustfmt::skip]
const GOLDEN: &[(&str, &str)] = &[
    ("emit x86_64-unknown-linux-gnu 1000", "5ea896dc98f477e3122b50bfe54133ca717f5c99973a8e894fe2f2266c9d24ac"),
    ("emit x86_64-linux-gnu 1000", "5ea896dc98f477e3122b50bfe54133ca717f5c99973a8e894fe2f2266c9d24ac"),
    ("emit aarch64-unknown-linux-gnu 1000", "a6236939ab4ccf2a612b837604265ce72746902625668319ef1fd94cce76782d"),
    ("emit aarch64-linux-gnu 1000", "a6236939ab4ccf2a612b837604265ce72746902625668319ef1fd94cce76782d"),
    ("emit i686-unknown-linux-gnu 1000", "2ca4e163861bd024466f3565e19b802fd9b50a6923e739945d372682d77e8167"),
    ("emit x86-linux-gnu 1000", "2ca4e163861bd024466f3565e19b802fd9b50a6923e739945d372682d77e8167"),
    ("emit armv7-unknown-linux-gnueabihf 1000", "ec60a001695c5df205c2787ec02ad9bddca52d8e406f8ca276b5fa5956f64b24"),
    ("emit arm-linux-gnueabihf 1000", "ec60a001695c5df205c2787ec02ad9bddca52d8e406f8ca276b5fa5956f64b24"),
    ("emit arm-unknown-linux-gnueabi 1000", "e1175e9d9133e4b3dac7dff328a396f6ed138345d2705e404a7ecce638bf5cab"),
    ("emit thumbv7em-none-eabihf 1000", "ec60a001695c5df205c2787ec02ad9bddca52d8e406f8ca276b5fa5956f64b24"),
    ("emit armeb-unknown-linux-gnueabi 1000", "b5910c31f50a62981d75647290af4f965fbb315ac688cd5dd561cce6d0832ab5"),
    ("emit riscv64gc-unknown-linux-gnu 1000", "4128a00635f8c5ef9e917eb41aa78d9d89babd6f43c9261c73749043d6bd14d1"),
    ("emit riscv64-linux-gnu 1000", "4128a00635f8c5ef9e917eb41aa78d9d89babd6f43c9261c73749043d6bd14d1"),
    ("emit riscv32imac-unknown-none-elf 1000", "7d23339d66b33cb1aa3af6ce14d8e7d12ba03109c01a1a4f8fb5a355e12e2f6c"),
    ("emit riscv32imafc-unknown-none-elf 1000", "c756ec4f2482231a37d5a81458da189136cc3824c10be63c187aa7b58e3a1afc"),
    ("emit powerpc64le-unknown-linux-gnu 1000", "b068976b283fa6f3084b8594c380568cc8f81708658641c19fa763e20d6383a1"),
    ("emit powerpc64-unknown-linux-gnu 1000", "5a356c285f8b6f519bc0dc9bd69d0cdfeb84bdd6f91bae1da9f996b3124600f5"),
    ("emit powerpc64-unknown-linux-musl 1000", "d5fd55be07c2d7c0712706b84b81d298ecf624cccab67889063115115fc8b51a"),
    ("emit powerpc-unknown-linux-gnu 1000", "8eb4076ad9d58120108ed7c6b6dfb1ff0da54a135cf4fd1b43ed5b3f2074fbc1"),
    ("emit s390x-unknown-linux-gnu 1000", "693764bdff0a4a9e66d8ce9b0de88b5a156eac7418bc7e4d55fa56c9d35a72da"),
    ("emit mips-unknown-linux-gnu 1000", "19f8380dd518b80be0ad5e78efea872b040d13a6672efaa942a3aa1b20cf2cd4"),
    ("emit mipsel-unknown-linux-musl 1000", "8da2ac73612d61803d76d0b41f162c1ac470ae24fd764b59469ee50d220d66b3"),
    ("emit mips64-unknown-linux-gnuabi64 1000", "9c1216b8770b36f490745425c0aac007e5677a44c4613dff973cd215bf5a474d"),
    ("emit mips64el-unknown-linux-gnuabi64 1000", "741d392b55c0d8b90ca368424e7fe8dbeb55f4963e1b30ffce99d202f5b2c446"),
    ("emit mips64-unknown-linux-gnuabin32 1000", "035a2872a53b7ce67f8c4dda30109d67b7215b01e59cb42b069910454cf55056"),
    ("emit mipsisa32r6el-unknown-linux-gnu 1000", "37123f8e4241d4ab68abe612bb7ef70970716f26fc028153de909cf4e57d2b08"),
    ("emit sparc64-unknown-linux-gnu 1000", "8a2baf06ed36b4026bb947b7ea77bb0726bd62463ea12aa48286a95cedfa9e0b"),
    ("emit loongarch64-unknown-linux-gnu 1000", "8169a40df9ef866a995687c5bf0b60f08f7370c27a13952d67e5c2aebff691f3"),
    ("emit x86_64-unknown-linux-gnux32 1000", "154b75acee8657c083a16158d611a625adddfdb66106755c90cda83c926cf0ba"),
    ("emit aarch64-linux-android 1000", "a6236939ab4ccf2a612b837604265ce72746902625668319ef1fd94cce76782d"),
    ("emit x86_64-unknown-freebsd 1000", "ab19401ecab7f958cd855f32a37d8de6567adac26418dcca0fa6995f5cae1f11"),
    ("emit sparcv9-sun-solaris 1000", "24a0e5ae34e998e83b51fbfaabcf6bcacc8f7047b84f9e21e8cd7210af021717"),
    ("emit x86_64-pc-solaris2.11 1000", "4b402cec82ff0fef61dd042ae5824263baf2bcd4bc9a537ca299586da77ddb38"),
    ("emit x86_64-unknown-netbsd 1000", "5ea896dc98f477e3122b50bfe54133ca717f5c99973a8e894fe2f2266c9d24ac"),
    ("emit x86_64-apple-darwin 1000", "e1639a509b677929fc24f967b9158407dba48c50b2306978a530f44c906e6795"),
    ("emit x86_64-apple-macosx11.0 1000", "356c8e2646164c43d2b7f6fdcd25c55241e9e418e132f829bb57a3934b6ec47b"),
    ("emit x86_64-macos 1000", "e1639a509b677929fc24f967b9158407dba48c50b2306978a530f44c906e6795"),
    ("emit aarch64-apple-darwin 1000", "ce22467f25c20dd89e520720b3d619f28f089fcdb32d83b6b90f070ccb0c8b0c"),
    ("emit arm64-apple-macos 1000", "ce22467f25c20dd89e520720b3d619f28f089fcdb32d83b6b90f070ccb0c8b0c"),
    ("emit arm64-apple-ios17.0-simulator 1000", "65083936f1535fcd1d55de3b3edeb9a11c8a16c99752d1fab3272ee60a11e646"),
    ("emit aarch64-apple-macos13.4.1 1000", "853f681d138a925fd173d566930a7584dce9d5cbec64f014524ab30aa4a71625"),
    ("emit x86_64-pc-windows-gnu 1000", "6b7a75dcf699b13c77dbdc08013db32410fe4952b935b62e3e660adf2a41296f"),
    ("emit x86_64-pc-windows-msvc 1000", "6b7a75dcf699b13c77dbdc08013db32410fe4952b935b62e3e660adf2a41296f"),
    ("emit x86_64-w64-mingw32 1000", "6b7a75dcf699b13c77dbdc08013db32410fe4952b935b62e3e660adf2a41296f"),
    ("emit i686-pc-windows-msvc 1000", "077db6d7806ce14d1cee3c03f6ef543a1848b9475e0fd3ee8bafb5370f4dcc0c"),
    ("emit x86-windows-gnu 1000", "077db6d7806ce14d1cee3c03f6ef543a1848b9475e0fd3ee8bafb5370f4dcc0c"),
    ("emit aarch64-pc-windows-msvc 1000", "0f1687d08db7947abc253be6fb2bce87f481094d778b39c8d38e0accdd9637c9"),
    ("emit x86_64-unknown-linux-gnu 70001", "9561b9787fdae13abe2bd6ea7c73c2eb193e5320054eee1a7fef7546ee6a953c"),
    ("emit x86_64-linux-gnu 70001", "9561b9787fdae13abe2bd6ea7c73c2eb193e5320054eee1a7fef7546ee6a953c"),
    ("emit aarch64-unknown-linux-gnu 70001", "bd44829d5da1219e7dbd5b8b7fb0e4480b6d6f2a43c46bd335e9abfc08854717"),
    ("emit aarch64-linux-gnu 70001", "bd44829d5da1219e7dbd5b8b7fb0e4480b6d6f2a43c46bd335e9abfc08854717"),
    ("emit i686-unknown-linux-gnu 70001", "ad503866ecf2af5088b5f8cf22fbc36f8bc62e93980313a5d4720509e4b6d21d"),
    ("emit x86-linux-gnu 70001", "ad503866ecf2af5088b5f8cf22fbc36f8bc62e93980313a5d4720509e4b6d21d"),
    ("emit armv7-unknown-linux-gnueabihf 70001", "9de215cdc2e0328b216577f5c481094dcdc159cb35f77ec34bbaf4131929d5cb"),
    ("emit arm-linux-gnueabihf 70001", "9de215cdc2e0328b216577f5c481094dcdc159cb35f77ec34bbaf4131929d5cb"),
    ("emit arm-unknown-linux-gnueabi 70001", "23974fa6a7bbfced1e529373dd4f8dbcd1bda315e20d940a1777e9648a451bd7"),
    ("emit thumbv7em-none-eabihf 70001", "9de215cdc2e0328b216577f5c481094dcdc159cb35f77ec34bbaf4131929d5cb"),
    ("emit armeb-unknown-linux-gnueabi 70001", "2b023bce32499fe11783c0a817b45c7c5a0470ec2d8eb41166e573f1896dc1b1"),
    ("emit riscv64gc-unknown-linux-gnu 70001", "2f682431e08d049116b7e2aabf88150ca563de83f840c98ce780ee6d2399ee80"),
    ("emit riscv64-linux-gnu 70001", "2f682431e08d049116b7e2aabf88150ca563de83f840c98ce780ee6d2399ee80"),
    ("emit riscv32imac-unknown-none-elf 70001", "5d096fd012ad049c41efebff9ccdb5bb82b5d90c369f4340ff13ae81f633e332"),
    ("emit riscv32imafc-unknown-none-elf 70001", "85a4e72dad2426fb85bddf2829c4d7059146d8ce8aa72621a2f066cf38736ff8"),
    ("emit powerpc64le-unknown-linux-gnu 70001", "6d155a28c0c777413554501f9a89e9930bc7d07e2ecdd19003fdb0d683d79f0e"),
    ("emit powerpc64-unknown-linux-gnu 70001", "919c2a52555c83e2a8610d01ab53c621df300d7c4a88b1f496c67188f4e323a4"),
    ("emit powerpc64-unknown-linux-musl 70001", "41ab176a8db1fdd2c493f4c3acde90867cd63dc37b31c36d2c3178a5552b5ed3"),
    ("emit powerpc-unknown-linux-gnu 70001", "c3e16208adc52d09f5be5211fc05109d8838d611276c1841c1260e2521c06755"),
    ("emit s390x-unknown-linux-gnu 70001", "626c90bf2ab913944b87be4c7bc042eb386a31563c107f7e2f172c63946f2af0"),
    ("emit mips-unknown-linux-gnu 70001", "9efc96bb480985f5db763f6b9584b92615fc10e8d1c52c4674f9b499935c78c2"),
    ("emit mipsel-unknown-linux-musl 70001", "d6256522f66b52e58b0772d75e173a4082d1f8eaf80f0675e78c56130946f80b"),
    ("emit mips64-unknown-linux-gnuabi64 70001", "553f330180f81874c32f4e74e00df8c09249230283a7e4647185f31bfefdd899"),
    ("emit mips64el-unknown-linux-gnuabi64 70001", "7c53dc87f900aa6dd71d2362c14b2ea88d1074ac0b872c4e867daa362b66b294"),
    ("emit mips64-unknown-linux-gnuabin32 70001", "f51d32ab85c8b1d2f8a4f38662802656fbab4ce6a354a8bd4332dac8a8cedc27"),
    ("emit mipsisa32r6el-unknown-linux-gnu 70001", "857b269c9cb9a1d10b42d58099219418f5387dd64243d377594d4a826636f227"),
    ("emit sparc64-unknown-linux-gnu 70001", "30d2ccae533cee8f5124ec70f3edb7fa538d308ce31b70b0f2a22c0be30c56d0"),
    ("emit loongarch64-unknown-linux-gnu 70001", "48835408890dd6d7b067006304328c4e950cbc058b266b971685714999b49693"),
    ("emit x86_64-unknown-linux-gnux32 70001", "db86ae53c4ea2f277a9a754466c704753d094a39df76c92e844c3a918c24d488"),
    ("emit aarch64-linux-android 70001", "bd44829d5da1219e7dbd5b8b7fb0e4480b6d6f2a43c46bd335e9abfc08854717"),
    ("emit x86_64-unknown-freebsd 70001", "1c654c2b24cc476e4f843698183fe9b55e838a15375ccfa5bf7c88e29c3ab017"),
    ("emit sparcv9-sun-solaris 70001", "d1b0540de76395f0b9585e30f1c8a305cfaf658470a4ba0295e491436a7f2592"),
    ("emit x86_64-pc-solaris2.11 70001", "f043eeae7ae185d65b306a45a1ef51201be3dd5a4b729d1c3c1d9f00f50a37a7"),
    ("emit x86_64-unknown-netbsd 70001", "9561b9787fdae13abe2bd6ea7c73c2eb193e5320054eee1a7fef7546ee6a953c"),
    ("emit x86_64-apple-darwin 70001", "10a8d4f2161954396e90d199bfeb7b3937c2e4dca8f5cbb3d0e1b235d16a297d"),
    ("emit x86_64-apple-macosx11.0 70001", "21e256e500230a23f883c86bc38dde9f7b25af47043ec11119d4d8f439430c7c"),
    ("emit x86_64-macos 70001", "10a8d4f2161954396e90d199bfeb7b3937c2e4dca8f5cbb3d0e1b235d16a297d"),
    ("emit aarch64-apple-darwin 70001", "08f7b9d980f7ba13ce40a197d4dfa1d9fe91d0a5633a8ff727f456c37cfce77f"),
    ("emit arm64-apple-macos 70001", "08f7b9d980f7ba13ce40a197d4dfa1d9fe91d0a5633a8ff727f456c37cfce77f"),
    ("emit arm64-apple-ios17.0-simulator 70001", "bfd1965c104bbb3ffb5a92c5613a78f45e11ff15637695175c8fbfc5c8417d08"),
    ("emit aarch64-apple-macos13.4.1 70001", "df2ca8dbbfa0f269fa9207b1f95ca56a4808edac2d0ff47dd989965b224bc664"),
    ("emit x86_64-pc-windows-gnu 70001", "c0c53cde13b2f469c46285a659b145042adf9f674ba94ec58fe3fb7db798c3ee"),
    ("emit x86_64-pc-windows-msvc 70001", "c0c53cde13b2f469c46285a659b145042adf9f674ba94ec58fe3fb7db798c3ee"),
    ("emit x86_64-w64-mingw32 70001", "c0c53cde13b2f469c46285a659b145042adf9f674ba94ec58fe3fb7db798c3ee"),
    ("emit i686-pc-windows-msvc 70001", "b5bf03374a895fe2cf2f817c4c23d5334a2c77c299f02d4a691829772d5a4701"),
    ("emit x86-windows-gnu 70001", "b5bf03374a895fe2cf2f817c4c23d5334a2c77c299f02d4a691829772d5a4701"),
    ("emit aarch64-pc-windows-msvc 70001", "1cfeb4aca944ca9042105d5c5a7d43609048ce90c2f5544354610e6cd44cf2e3"),
    ("inject elf/aarch64-linux-musl.so 1000 replace=false", "error: CORPUS/elf/aarch64-linux-musl.so: already carries a payload (container data at 0x380); use replace to overwrite it"),
    ("inject elf/aarch64-linux-musl.so 1000 replace=true", "95782f5f158bd482de5afbde96e0f35df73d3e66f01d181fb84fccd89a0705ec"),
    ("inject elf/arm-linux-musleabihf.so 1000 replace=false", "error: CORPUS/elf/arm-linux-musleabihf.so: already carries a payload (container data at 0x2c0); use replace to overwrite it"),
    ("inject elf/arm-linux-musleabihf.so 1000 replace=true", "7fd67f4e7a4e9cd092d20a18be6e8ccc8f3ded048968656e9efe29cdc35e7092"),
    ("inject elf/loongarch64-linux-musl.so 1000 replace=false", "error: CORPUS/elf/loongarch64-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/loongarch64-linux-musl.so 1000 replace=true", "b50a028e763f602c68e548cfc4dc12b6b93a045a712a47beaf868d890d2d5c34"),
    ("inject elf/mips-linux-musleabi.so 1000 replace=false", "error: CORPUS/elf/mips-linux-musleabi.so: already carries a payload (container data at 0x340); use replace to overwrite it"),
    ("inject elf/mips-linux-musleabi.so 1000 replace=true", "82e2562c70e5a0793d9a69810a0fd39ee843c04dc882c325f2da7c658a1b4a8f"),
    ("inject elf/mips64-linux-muslabi64.so 1000 replace=false", "error: CORPUS/elf/mips64-linux-muslabi64.so: already carries a payload (container data at 0x4c0); use replace to overwrite it"),
    ("inject elf/mips64-linux-muslabi64.so 1000 replace=true", "6030892a2004880433b963d7f6a0a748cbd7775b0296793e827b73a662ec07ae"),
    ("inject elf/mips64el-linux-muslabi64.so 1000 replace=false", "error: CORPUS/elf/mips64el-linux-muslabi64.so: already carries a payload (container data at 0x4c0); use replace to overwrite it"),
    ("inject elf/mips64el-linux-muslabi64.so 1000 replace=true", "b36b559cc4f8e3cef9d1eaf4d32243787c55f1e2b91195f4f8bcefac0d691911"),
    ("inject elf/mipsel-linux-musleabi.so 1000 replace=false", "error: CORPUS/elf/mipsel-linux-musleabi.so: already carries a payload (container data at 0x340); use replace to overwrite it"),
    ("inject elf/mipsel-linux-musleabi.so 1000 replace=true", "66288c9edc5b365065635a292f2eb7bd8b1e4e45fb08daba9029b3a1706d3f9b"),
    ("inject elf/powerpc-linux-musleabihf.so 1000 replace=false", "error: CORPUS/elf/powerpc-linux-musleabihf.so: already carries a payload (container data at 0x280); use replace to overwrite it"),
    ("inject elf/powerpc-linux-musleabihf.so 1000 replace=true", "0c74ad5cbbbddce8882fbf89b0beaf44971051130e77d89f8e70d8675ef27741"),
    ("inject elf/powerpc64-linux-musl.so 1000 replace=false", "error: CORPUS/elf/powerpc64-linux-musl.so: already carries a payload (container data at 0x400); use replace to overwrite it"),
    ("inject elf/powerpc64-linux-musl.so 1000 replace=true", "fcfe7c32745b6726f38cfb35b840b5894414f7c810ad4f4059c0928a8667ce95"),
    ("inject elf/powerpc64le-linux-musl.so 1000 replace=false", "error: CORPUS/elf/powerpc64le-linux-musl.so: already carries a payload (container data at 0x400); use replace to overwrite it"),
    ("inject elf/powerpc64le-linux-musl.so 1000 replace=true", "bd4b14dd6b081c3b8f388522a1631fb96477392af3428bfcd8594dab641e0cbf"),
    ("inject elf/riscv32-linux-musl.so 1000 replace=false", "error: CORPUS/elf/riscv32-linux-musl.so: already carries a payload (container data at 0x300); use replace to overwrite it"),
    ("inject elf/riscv32-linux-musl.so 1000 replace=true", "820fad8bf91a786416f6dc5927349a08673195813dd75f14005aeac4e14e438d"),
    ("inject elf/riscv64-linux-musl.so 1000 replace=false", "error: CORPUS/elf/riscv64-linux-musl.so: already carries a payload (container data at 0x440); use replace to overwrite it"),
    ("inject elf/riscv64-linux-musl.so 1000 replace=true", "2451cf9b17d9973a6edb37fc885bd8dcc5198686d36be17cf20f79b541b9148f"),
    ("inject elf/s390x-linux-musl.so 1000 replace=false", "error: CORPUS/elf/s390x-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/s390x-linux-musl.so 1000 replace=true", "48d2e7b804d6a7247ebea32bf2716594b28a233365f13e79bdcac50766646f88"),
    ("inject elf/sparc64-linux-gnu.so 1000 replace=false", "error: CORPUS/elf/sparc64-linux-gnu.so: already carries a payload (container data at 0xf940); use replace to overwrite it"),
    ("inject elf/sparc64-linux-gnu.so 1000 replace=true", "c9126ac56088448a991f8c0f45894fc23058b6c43811ac07e91be523de36929d"),
    ("inject elf/x86-linux-musl.so 1000 replace=false", "error: CORPUS/elf/x86-linux-musl.so: already carries a payload (container data at 0x280); use replace to overwrite it"),
    ("inject elf/x86-linux-musl.so 1000 replace=true", "f4d126a66babbfc73c9248211d1f4fcc0419d90298d33053e8f0fa7c7f15dcd4"),
    ("inject elf/x86_64-gnu-ld-gc-alloc.so 1000 replace=false", "error: CORPUS/elf/x86_64-gnu-ld-gc-alloc.so: already carries a payload (container data at 0x2000); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld-gc-alloc.so 1000 replace=true", "c585393c0cabccd6d0a82fc8c44af854a386b6f7d2e24fed163e77ba8a073ad3"),
    ("inject elf/x86_64-gnu-ld-gc-nonalloc.so 1000 replace=false", "error: CORPUS/elf/x86_64-gnu-ld-gc-nonalloc.so: already carries a payload (container data at 0x3040); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld-gc-nonalloc.so 1000 replace=true", "2d562f83d9b30367742bd961801f41bd4ce68d63bb805d53c06e51781c378f33"),
    ("inject elf/x86_64-gnu-ld.so 1000 replace=false", "error: CORPUS/elf/x86_64-gnu-ld.so: already carries a payload (container data at 0x3040); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld.so 1000 replace=true", "0767ea98342779358fa89c53a56348b8160eb10db7ce43d33c04beb7e992005c"),
    ("inject elf/x86_64-linux-gnu-libc.so 1000 replace=false", "error: CORPUS/elf/x86_64-linux-gnu-libc.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-gnu-libc.so 1000 replace=true", "f30463f35f8851be230bf5dd4949d4fb7a74369d70956956fe2dc395469ec432"),
    ("inject elf/x86_64-linux-musl-ji.so 1000 replace=false", "error: CORPUS/elf/x86_64-linux-musl-ji.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl-ji.so 1000 replace=true", "9c5531a4f35fd151dd03ed99a6ae064d8f1494d744f68810fe16994a6a51063d"),
    ("inject elf/x86_64-linux-musl-ji15.so 1000 replace=false", "error: CORPUS/elf/x86_64-linux-musl-ji15.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl-ji15.so 1000 replace=true", "1bd4da232a518941c385829e9eee0b969aecc541ba368c998bc24787bc2a97e3"),
    ("inject elf/x86_64-linux-musl.so 1000 replace=false", "error: CORPUS/elf/x86_64-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl.so 1000 replace=true", "bf64777cd48dd54c18feed6b0ac2b818a94f4b6b320ee416fd7732a1d893decc"),
    ("inject macho/aarch64-macos.dylib 1000 replace=false", "error: CORPUS/macho/aarch64-macos.dylib: already carries a payload (container data at 0xc000); use replace to overwrite it"),
    ("inject macho/aarch64-macos.dylib 1000 replace=true", "ade63a1ffc377c18325b602892659fedda8faeb268b2fc089d732c0065f00022"),
    ("inject macho/universal.dylib 1000 replace=false", "error: CORPUS/macho/universal.dylib: already carries a payload (container data at 0x5000); use replace to overwrite it"),
    ("inject macho/universal.dylib 1000 replace=true", "47160581311c2f6c901fb582ea61d290860174e5240756efdcebed152047d8bf"),
    ("inject macho/x86_64-macos.dylib 1000 replace=false", "error: CORPUS/macho/x86_64-macos.dylib: already carries a payload (container data at 0x4000); use replace to overwrite it"),
    ("inject macho/x86_64-macos.dylib 1000 replace=true", "2ad72f0b1cd9ae2f7cb5ca6293b1cd094d839f332f513805bd89ae6c1581fb7f"),
    ("inject malformed/bad-magic.so 1000 replace=false", "error: CORPUS/malformed/bad-magic.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/bad-magic.so 1000 replace=true", "7f5ef0a36eb4527fffaa70a8cea7bf6177cfb9c60d26d30dd965f3969d47d2dc"),
    ("inject malformed/crc-mismatch.dll 1000 replace=false", "error: CORPUS/malformed/crc-mismatch.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject malformed/crc-mismatch.dll 1000 replace=true", "be6ec6eb77b37c1f4f806aa360db9308013ff651827970b3a24487318770442d"),
    ("inject malformed/crc-mismatch.so 1000 replace=false", "error: CORPUS/malformed/crc-mismatch.so: already carries a payload (container data at 0x440); use replace to overwrite it"),
    ("inject malformed/crc-mismatch.so 1000 replace=true", "2451cf9b17d9973a6edb37fc885bd8dcc5198686d36be17cf20f79b541b9148f"),
    ("inject malformed/payload-offset-overflow.so 1000 replace=false", "error: CORPUS/malformed/payload-offset-overflow.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/payload-offset-overflow.so 1000 replace=true", "e692d07243e3330f23ebc445bef26b1f907689fa9d977f2cbd1b4cd88b35b2d4"),
    ("inject malformed/payload-oob.so 1000 replace=false", "error: CORPUS/malformed/payload-oob.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/payload-oob.so 1000 replace=true", "a9a62873a348f014bfcd7ec4445caa30133426343cabc1813dafffe3f07175b7"),
    ("inject malformed/short-section.so 1000 replace=false", "error: CORPUS/malformed/short-section.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/short-section.so 1000 replace=true", "4395e8d34e1606497e29fa6aa397665db253ffc7a9f5716b4b0bc6b759f900a3"),
    ("inject malformed/truncated-payload.dylib 1000 replace=false", "error: CORPUS/malformed/truncated-payload.dylib: container section data at 0xc000 (20064 bytes) runs past the end of the file (0xe750 bytes)"),
    ("inject malformed/truncated-payload.dylib 1000 replace=true", "error: CORPUS/malformed/truncated-payload.dylib: container section data at 0xc000 (20064 bytes) runs past the end of the file (0xe750 bytes)"),
    ("inject malformed/truncated-payload.so 1000 replace=false", "error: CORPUS/malformed/truncated-payload.so: ELF section header 0 at 0x23b8 (64 bytes) runs past the end of the file (0x1370 bytes)"),
    ("inject malformed/truncated-payload.so 1000 replace=true", "error: CORPUS/malformed/truncated-payload.so: ELF section header 0 at 0x23b8 (64 bytes) runs past the end of the file (0x1370 bytes)"),
    ("inject malformed/truncated-shdr.so 1000 replace=false", "error: CORPUS/malformed/truncated-shdr.so: ELF section header table at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)"),
    ("inject malformed/truncated-shdr.so 1000 replace=true", "error: CORPUS/malformed/truncated-shdr.so: ELF section header table at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)"),
    ("inject malformed/two-sections.so 1000 replace=false", "error: CORPUS/malformed/two-sections.so: two container sections, with data at 0x3c0 and 0x920: ambiguous"),
    ("inject malformed/two-sections.so 1000 replace=true", "error: CORPUS/malformed/two-sections.so: two container sections, with data at 0x3c0 and 0x920: ambiguous"),
    ("inject malformed/version2.so 1000 replace=false", "error: CORPUS/malformed/version2.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/version2.so 1000 replace=true", "7f5ef0a36eb4527fffaa70a8cea7bf6177cfb9c60d26d30dd965f3969d47d2dc"),
    ("inject nopayload/aarch64-macos.dylib 1000 replace=false", "ce848ec76cbd33c22340ddee01574bc25ca079b064e5527811008670408b2fae"),
    ("inject nopayload/aarch64-macos.dylib 1000 replace=true", "ce848ec76cbd33c22340ddee01574bc25ca079b064e5527811008670408b2fae"),
    ("inject nopayload/x86_64-linux-musl.so 1000 replace=false", "15867d085fd93efd15e46e1adb919f393252a970c7e2c65b2d114ffa4740771c"),
    ("inject nopayload/x86_64-linux-musl.so 1000 replace=true", "15867d085fd93efd15e46e1adb919f393252a970c7e2c65b2d114ffa4740771c"),
    ("inject nopayload/x86_64-windows-gnu.dll 1000 replace=false", "95ee06e9fd8dabd9ebe56f82d91875dd3a4dc3460bc310d8b6e1cdc566b0780a"),
    ("inject nopayload/x86_64-windows-gnu.dll 1000 replace=true", "95ee06e9fd8dabd9ebe56f82d91875dd3a4dc3460bc310d8b6e1cdc566b0780a"),
    ("inject obj/aarch64-macos.o 1000 replace=false", "error: CORPUS/obj/aarch64-macos.o: already carries a payload (container data at 0x218); use replace to overwrite it"),
    ("inject obj/aarch64-macos.o 1000 replace=true", "error: CORPUS/obj/aarch64-macos.o: Mach-O header at 0xc: file type 1; injection supports dylibs (MH_DYLIB) and bundles (MH_BUNDLE)"),
    ("inject obj/powerpc-linux.o 1000 replace=false", "error: CORPUS/obj/powerpc-linux.o: already carries a payload (container data at 0x80); use replace to overwrite it"),
    ("inject obj/powerpc-linux.o 1000 replace=true", "f658e98824dcbaadd022d996bdfa9b98873d398d6cd5ac9ba778f4a66f68dfff"),
    ("inject obj/s390x-linux.o 1000 replace=false", "error: CORPUS/obj/s390x-linux.o: already carries a payload (container data at 0xc0); use replace to overwrite it"),
    ("inject obj/s390x-linux.o 1000 replace=true", "4d7d7e224a41caa5becfc39f2ceafa5d3c8a8aa4e8eb602926db8187e2ecff4f"),
    ("inject obj/x86_64-gnu-as.o 1000 replace=false", "error: CORPUS/obj/x86_64-gnu-as.o: already carries a payload (container data at 0x80); use replace to overwrite it"),
    ("inject obj/x86_64-gnu-as.o 1000 replace=true", "1641ec454be65a55528568e3152523d6770a0bf259543addaa6d4513898927f7"),
    ("inject obj/x86_64-linux.o 1000 replace=false", "error: CORPUS/obj/x86_64-linux.o: already carries a payload (container data at 0xc0); use replace to overwrite it"),
    ("inject obj/x86_64-linux.o 1000 replace=true", "847ba85abe9f1dd26170a674fc1ef3c270d92ccb7b4dbde63b18cf03b996ae0d"),
    ("inject obj/x86_64-windows.obj 1000 replace=false", "error: CORPUS/obj/x86_64-windows.obj: COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead"),
    ("inject obj/x86_64-windows.obj 1000 replace=true", "error: CORPUS/obj/x86_64-windows.obj: COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead"),
    ("inject pe/aarch64-windows-gnu.dll 1000 replace=false", "error: CORPUS/pe/aarch64-windows-gnu.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject pe/aarch64-windows-gnu.dll 1000 replace=true", "5866030148b56aec459fde03e2274b19a14a66f2510a1550986b0f039df58d83"),
    ("inject pe/x86-windows-gnu.dll 1000 replace=false", "error: CORPUS/pe/x86-windows-gnu.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject pe/x86-windows-gnu.dll 1000 replace=true", "be6ec6eb77b37c1f4f806aa360db9308013ff651827970b3a24487318770442d"),
    ("inject pe/x86_64-overlay.dll 1000 replace=false", "error: CORPUS/pe/x86_64-overlay.dll: already carries a payload (container data at 0xc00); use replace to overwrite it"),
    ("inject pe/x86_64-overlay.dll 1000 replace=true", "5bf005c453109d336e65117b3bbc843ae6395a7c0563072c52d049cfbb71a659"),
    ("inject pe/x86_64-windows-gnu.dll 1000 replace=false", "error: CORPUS/pe/x86_64-windows-gnu.dll: already carries a payload (container data at 0x11000); use replace to overwrite it"),
    ("inject pe/x86_64-windows-gnu.dll 1000 replace=true", "5ba605a7b36a2b40d8d9dd8afa6a4dbb905a70f4313c3f0c5def634393d59b45"),
    ("inject elf/aarch64-linux-musl.so 70001 replace=false", "error: CORPUS/elf/aarch64-linux-musl.so: already carries a payload (container data at 0x380); use replace to overwrite it"),
    ("inject elf/aarch64-linux-musl.so 70001 replace=true", "d4b407d22c8472f9acc1e6d46674780533be484116574148e92f05c06dedda62"),
    ("inject elf/arm-linux-musleabihf.so 70001 replace=false", "error: CORPUS/elf/arm-linux-musleabihf.so: already carries a payload (container data at 0x2c0); use replace to overwrite it"),
    ("inject elf/arm-linux-musleabihf.so 70001 replace=true", "7cfcf3132a18300ffcd147356547d95779e27b85a291a7a00be348c42f3f620e"),
    ("inject elf/loongarch64-linux-musl.so 70001 replace=false", "error: CORPUS/elf/loongarch64-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/loongarch64-linux-musl.so 70001 replace=true", "88651db56fc2fafd233c910e1cc865bc4f15ceb77c99e4720acd089b6484cc8d"),
    ("inject elf/mips-linux-musleabi.so 70001 replace=false", "error: CORPUS/elf/mips-linux-musleabi.so: already carries a payload (container data at 0x340); use replace to overwrite it"),
    ("inject elf/mips-linux-musleabi.so 70001 replace=true", "94db2ee38a9d3d263082348a00c9363e6d648ffa792f36568767a7496f5a3bee"),
    ("inject elf/mips64-linux-muslabi64.so 70001 replace=false", "error: CORPUS/elf/mips64-linux-muslabi64.so: already carries a payload (container data at 0x4c0); use replace to overwrite it"),
    ("inject elf/mips64-linux-muslabi64.so 70001 replace=true", "5d80c52a041c773e18c2608191191a8d2ddbe2907782906c8e6f3d992a2a0f12"),
    ("inject elf/mips64el-linux-muslabi64.so 70001 replace=false", "error: CORPUS/elf/mips64el-linux-muslabi64.so: already carries a payload (container data at 0x4c0); use replace to overwrite it"),
    ("inject elf/mips64el-linux-muslabi64.so 70001 replace=true", "c09a842ea9d39261de7b70065b688b3bbdc2f6d2b3ec36949b4f64a161c4e018"),
    ("inject elf/mipsel-linux-musleabi.so 70001 replace=false", "error: CORPUS/elf/mipsel-linux-musleabi.so: already carries a payload (container data at 0x340); use replace to overwrite it"),
    ("inject elf/mipsel-linux-musleabi.so 70001 replace=true", "f099e74120a851c86c87b9068eb1f6ba5ec46c96c9f4684160f991988d6378fb"),
    ("inject elf/powerpc-linux-musleabihf.so 70001 replace=false", "error: CORPUS/elf/powerpc-linux-musleabihf.so: already carries a payload (container data at 0x280); use replace to overwrite it"),
    ("inject elf/powerpc-linux-musleabihf.so 70001 replace=true", "30ab30b8f9dfa1c2f8abaaf4bc17ee933f04460ef1ee018d8ca4ace7d042bb9f"),
    ("inject elf/powerpc64-linux-musl.so 70001 replace=false", "error: CORPUS/elf/powerpc64-linux-musl.so: already carries a payload (container data at 0x400); use replace to overwrite it"),
    ("inject elf/powerpc64-linux-musl.so 70001 replace=true", "af93d51f6ee37f8b221134a3d283748f868372e870d018c376b9776e361d69b6"),
    ("inject elf/powerpc64le-linux-musl.so 70001 replace=false", "error: CORPUS/elf/powerpc64le-linux-musl.so: already carries a payload (container data at 0x400); use replace to overwrite it"),
    ("inject elf/powerpc64le-linux-musl.so 70001 replace=true", "5309feaf29c9d52e65250d32b7664a364828a169205a2a0c04a72a90b9c4fd1f"),
    ("inject elf/riscv32-linux-musl.so 70001 replace=false", "error: CORPUS/elf/riscv32-linux-musl.so: already carries a payload (container data at 0x300); use replace to overwrite it"),
    ("inject elf/riscv32-linux-musl.so 70001 replace=true", "e1b348ac185ca31662b710d09ca99fc12f0817569cdbadd7ff7aedf2198cd61f"),
    ("inject elf/riscv64-linux-musl.so 70001 replace=false", "error: CORPUS/elf/riscv64-linux-musl.so: already carries a payload (container data at 0x440); use replace to overwrite it"),
    ("inject elf/riscv64-linux-musl.so 70001 replace=true", "ce1f5d2da5157ce5e9811e51f3d2d7e60deb08b2134a147e79739ff7e5a365a4"),
    ("inject elf/s390x-linux-musl.so 70001 replace=false", "error: CORPUS/elf/s390x-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/s390x-linux-musl.so 70001 replace=true", "db6f74eb855fadcea4cad9e95aafa9ac1c82db52fef1287598b89f73ea418ff8"),
    ("inject elf/sparc64-linux-gnu.so 70001 replace=false", "error: CORPUS/elf/sparc64-linux-gnu.so: already carries a payload (container data at 0xf940); use replace to overwrite it"),
    ("inject elf/sparc64-linux-gnu.so 70001 replace=true", "68f648fc803fcd382f5736d798059cdae9e089ba5c3fc13df82cd091ae7484a5"),
    ("inject elf/x86-linux-musl.so 70001 replace=false", "error: CORPUS/elf/x86-linux-musl.so: already carries a payload (container data at 0x280); use replace to overwrite it"),
    ("inject elf/x86-linux-musl.so 70001 replace=true", "fa53567adcf8f98dee5b442a1ba805c66798bbfcb35839e9e9963c535d853764"),
    ("inject elf/x86_64-gnu-ld-gc-alloc.so 70001 replace=false", "error: CORPUS/elf/x86_64-gnu-ld-gc-alloc.so: already carries a payload (container data at 0x2000); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld-gc-alloc.so 70001 replace=true", "d63ba10c1f96e91938dc8d697ed6a1812d46f869c1efe7a0d5154b4b6ede5e7c"),
    ("inject elf/x86_64-gnu-ld-gc-nonalloc.so 70001 replace=false", "error: CORPUS/elf/x86_64-gnu-ld-gc-nonalloc.so: already carries a payload (container data at 0x3040); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld-gc-nonalloc.so 70001 replace=true", "6e642915ef9d990ea517e011721065c13e28648bbe5ef34dc3994f5bc1df924f"),
    ("inject elf/x86_64-gnu-ld.so 70001 replace=false", "error: CORPUS/elf/x86_64-gnu-ld.so: already carries a payload (container data at 0x3040); use replace to overwrite it"),
    ("inject elf/x86_64-gnu-ld.so 70001 replace=true", "be5c2a0fc0d79e8729fbdc990604ff7158f64dea6c0035792b8da2be92d01024"),
    ("inject elf/x86_64-linux-gnu-libc.so 70001 replace=false", "error: CORPUS/elf/x86_64-linux-gnu-libc.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-gnu-libc.so 70001 replace=true", "afe876b109273495b6a456e680d39756f8188dcd4fbf5ea9f481ae4984bc1ccb"),
    ("inject elf/x86_64-linux-musl-ji.so 70001 replace=false", "error: CORPUS/elf/x86_64-linux-musl-ji.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl-ji.so 70001 replace=true", "6a587c40c9ae11eb34458b5f69728e5afc1ddbeda452a2177472d37ba1249bd2"),
    ("inject elf/x86_64-linux-musl-ji15.so 70001 replace=false", "error: CORPUS/elf/x86_64-linux-musl-ji15.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl-ji15.so 70001 replace=true", "4577cbfa79961c7c9c5160c22425b825acc88da1034619ea28b88b6764ab0151"),
    ("inject elf/x86_64-linux-musl.so 70001 replace=false", "error: CORPUS/elf/x86_64-linux-musl.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject elf/x86_64-linux-musl.so 70001 replace=true", "924b6562f529129fdba43047418e356fcf88f7aa25391e00aff9d0ae8daeac30"),
    ("inject macho/aarch64-macos.dylib 70001 replace=false", "error: CORPUS/macho/aarch64-macos.dylib: already carries a payload (container data at 0xc000); use replace to overwrite it"),
    ("inject macho/aarch64-macos.dylib 70001 replace=true", "ee8ee66b928b5bdb4bb0cc2dea1881db57c4640b651c84b27840b61639464407"),
    ("inject macho/universal.dylib 70001 replace=false", "error: CORPUS/macho/universal.dylib: already carries a payload (container data at 0x5000); use replace to overwrite it"),
    ("inject macho/universal.dylib 70001 replace=true", "9d6a5a630ec6d5928c235a6a95c7e14b1f8b156030f8417eaa2ec4c232e14894"),
    ("inject macho/x86_64-macos.dylib 70001 replace=false", "error: CORPUS/macho/x86_64-macos.dylib: already carries a payload (container data at 0x4000); use replace to overwrite it"),
    ("inject macho/x86_64-macos.dylib 70001 replace=true", "190679fdb21e332e5f9f2ab349cd6dd9e92240daead400a9f601a2436b6ab9ac"),
    ("inject malformed/bad-magic.so 70001 replace=false", "error: CORPUS/malformed/bad-magic.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/bad-magic.so 70001 replace=true", "0722b1c6af0d21501f83cba52f182a231ec1a6119779bee2d0106011a3973ff2"),
    ("inject malformed/crc-mismatch.dll 70001 replace=false", "error: CORPUS/malformed/crc-mismatch.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject malformed/crc-mismatch.dll 70001 replace=true", "3a21f90293e39d1f7202d04bbb7abcbb20ed45b96d1d7a1ff0c4185af3c452b7"),
    ("inject malformed/crc-mismatch.so 70001 replace=false", "error: CORPUS/malformed/crc-mismatch.so: already carries a payload (container data at 0x440); use replace to overwrite it"),
    ("inject malformed/crc-mismatch.so 70001 replace=true", "ce1f5d2da5157ce5e9811e51f3d2d7e60deb08b2134a147e79739ff7e5a365a4"),
    ("inject malformed/payload-offset-overflow.so 70001 replace=false", "error: CORPUS/malformed/payload-offset-overflow.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/payload-offset-overflow.so 70001 replace=true", "10d4e55c159d3e682579fcc29d76a18cfbec2a8031b662f95af7798329ea7b39"),
    ("inject malformed/payload-oob.so 70001 replace=false", "error: CORPUS/malformed/payload-oob.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/payload-oob.so 70001 replace=true", "f419bba9bb4ef01ab75b27ae94c7abce7f281800ce6a6f011ff4d9e35258589e"),
    ("inject malformed/short-section.so 70001 replace=false", "error: CORPUS/malformed/short-section.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/short-section.so 70001 replace=true", "93cd1ea234d3cc6924b1e4563b9d3045cdc86d8550aa76c4e68786982698a476"),
    ("inject malformed/truncated-payload.dylib 70001 replace=false", "error: CORPUS/malformed/truncated-payload.dylib: container section data at 0xc000 (20064 bytes) runs past the end of the file (0xe750 bytes)"),
    ("inject malformed/truncated-payload.dylib 70001 replace=true", "error: CORPUS/malformed/truncated-payload.dylib: container section data at 0xc000 (20064 bytes) runs past the end of the file (0xe750 bytes)"),
    ("inject malformed/truncated-payload.so 70001 replace=false", "error: CORPUS/malformed/truncated-payload.so: ELF section header 0 at 0x23b8 (64 bytes) runs past the end of the file (0x1370 bytes)"),
    ("inject malformed/truncated-payload.so 70001 replace=true", "error: CORPUS/malformed/truncated-payload.so: ELF section header 0 at 0x23b8 (64 bytes) runs past the end of the file (0x1370 bytes)"),
    ("inject malformed/truncated-shdr.so 70001 replace=false", "error: CORPUS/malformed/truncated-shdr.so: ELF section header table at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)"),
    ("inject malformed/truncated-shdr.so 70001 replace=true", "error: CORPUS/malformed/truncated-shdr.so: ELF section header table at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)"),
    ("inject malformed/two-sections.so 70001 replace=false", "error: CORPUS/malformed/two-sections.so: two container sections, with data at 0x3c0 and 0x920: ambiguous"),
    ("inject malformed/two-sections.so 70001 replace=true", "error: CORPUS/malformed/two-sections.so: two container sections, with data at 0x3c0 and 0x920: ambiguous"),
    ("inject malformed/version2.so 70001 replace=false", "error: CORPUS/malformed/version2.so: already carries a payload (container data at 0x3c0); use replace to overwrite it"),
    ("inject malformed/version2.so 70001 replace=true", "0722b1c6af0d21501f83cba52f182a231ec1a6119779bee2d0106011a3973ff2"),
    ("inject nopayload/aarch64-macos.dylib 70001 replace=false", "328b8228e45d27dec9fefb7150fa82ce806b5e3ce957d482c800f55b4916e6bb"),
    ("inject nopayload/aarch64-macos.dylib 70001 replace=true", "328b8228e45d27dec9fefb7150fa82ce806b5e3ce957d482c800f55b4916e6bb"),
    ("inject nopayload/x86_64-linux-musl.so 70001 replace=false", "1837636e67e1dc7bfae7868451357762f67b8f182ae48d167d9b3f9bad4efb9d"),
    ("inject nopayload/x86_64-linux-musl.so 70001 replace=true", "1837636e67e1dc7bfae7868451357762f67b8f182ae48d167d9b3f9bad4efb9d"),
    ("inject nopayload/x86_64-windows-gnu.dll 70001 replace=false", "ea00ee5c798a0ede9821ffbfde2cb4f4451ce1c7dd45e9ef318f15d02c23728d"),
    ("inject nopayload/x86_64-windows-gnu.dll 70001 replace=true", "ea00ee5c798a0ede9821ffbfde2cb4f4451ce1c7dd45e9ef318f15d02c23728d"),
    ("inject obj/aarch64-macos.o 70001 replace=false", "error: CORPUS/obj/aarch64-macos.o: already carries a payload (container data at 0x218); use replace to overwrite it"),
    ("inject obj/aarch64-macos.o 70001 replace=true", "error: CORPUS/obj/aarch64-macos.o: Mach-O header at 0xc: file type 1; injection supports dylibs (MH_DYLIB) and bundles (MH_BUNDLE)"),
    ("inject obj/powerpc-linux.o 70001 replace=false", "error: CORPUS/obj/powerpc-linux.o: already carries a payload (container data at 0x80); use replace to overwrite it"),
    ("inject obj/powerpc-linux.o 70001 replace=true", "dc54ae07aa3651646bad3bb7078dfc17d62e283e8f1d1d7dc79ccc1542ff02ed"),
    ("inject obj/s390x-linux.o 70001 replace=false", "error: CORPUS/obj/s390x-linux.o: already carries a payload (container data at 0xc0); use replace to overwrite it"),
    ("inject obj/s390x-linux.o 70001 replace=true", "eebb0643cc52f5f4fbf3b66d2b536c0a31ea3ea511a1d2e5de8011a356f6d35c"),
    ("inject obj/x86_64-gnu-as.o 70001 replace=false", "error: CORPUS/obj/x86_64-gnu-as.o: already carries a payload (container data at 0x80); use replace to overwrite it"),
    ("inject obj/x86_64-gnu-as.o 70001 replace=true", "d7a2b8a2b327d9bf1c8b90ae1fcd0b19d6139082fc8f87ffcf4ac5fce6fa8ad7"),
    ("inject obj/x86_64-linux.o 70001 replace=false", "error: CORPUS/obj/x86_64-linux.o: already carries a payload (container data at 0xc0); use replace to overwrite it"),
    ("inject obj/x86_64-linux.o 70001 replace=true", "0aa0e0087c8040d9dc39295261114d817cf90d0be1151b939878e5b383bbc74c"),
    ("inject obj/x86_64-windows.obj 70001 replace=false", "error: CORPUS/obj/x86_64-windows.obj: COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead"),
    ("inject obj/x86_64-windows.obj 70001 replace=true", "error: CORPUS/obj/x86_64-windows.obj: COFF file header at 0x0: this is a COFF object (.obj), not a PE image; inject into the linked DLL instead"),
    ("inject pe/aarch64-windows-gnu.dll 70001 replace=false", "error: CORPUS/pe/aarch64-windows-gnu.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject pe/aarch64-windows-gnu.dll 70001 replace=true", "642bfdc55b12d5daa4c00d205d7382ee1b93d05908bf4ef0120281bb79f044d2"),
    ("inject pe/x86-windows-gnu.dll 70001 replace=false", "error: CORPUS/pe/x86-windows-gnu.dll: already carries a payload (container data at 0xa00); use replace to overwrite it"),
    ("inject pe/x86-windows-gnu.dll 70001 replace=true", "3a21f90293e39d1f7202d04bbb7abcbb20ed45b96d1d7a1ff0c4185af3c452b7"),
    ("inject pe/x86_64-overlay.dll 70001 replace=false", "error: CORPUS/pe/x86_64-overlay.dll: already carries a payload (container data at 0xc00); use replace to overwrite it"),
    ("inject pe/x86_64-overlay.dll 70001 replace=true", "35ef765aa8c003bde93972ff99cab7fdb9a81cf61fee37c85010c93092ebd3e2"),
    ("inject pe/x86_64-windows-gnu.dll 70001 replace=false", "error: CORPUS/pe/x86_64-windows-gnu.dll: already carries a payload (container data at 0x11000); use replace to overwrite it"),
    ("inject pe/x86_64-windows-gnu.dll 70001 replace=true", "f72fa5b3758b751f288dbe146e4a549afbb3e2109bf72321ce0a205ef0cf2022"),
];
