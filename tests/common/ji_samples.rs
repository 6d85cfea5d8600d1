//! Realistic contents for the test-side `.ji` writer: what a package with a
//! few modules, includes, requires, preferences, clone targets and source
//! text looks like when each Julia release caches it.
//!
//! Include with `#[path = "common/ji_samples.rs"] mod ji_samples;` next to
//! `#[path = "common/ji_writer.rs"] mod ji_writer;` (it uses `crate::ji_writer`).
#![allow(dead_code)]

use crate::ji_writer::{Cache, Dep, Prefs, Release, ReqMod, Target, WorkMod};

/// Example.jl's UUID.
pub const EXAMPLE_UUID: (u64, u64) = (0x7876_af07_990d_54b4, 0xab0a_7235_2aee_6b3a);
/// LinearAlgebra's UUID.
pub const LINEAR_ALGEBRA_UUID: (u64, u64) = (0x37e2_e46d_f89d_539d, 0xb4ee_838f_cccc_9c8e);
/// Random's UUID.
pub const RANDOM_UUID: (u64, u64) = (0x9a3f_8284_a2c9_5f02, 0x9a11_8459_80a1_fd5c);
/// Printf's UUID.
pub const PRINTF_UUID: (u64, u64) = (0xde08_58da_6303_5e67, 0x8744_51ed_deee_b8d7);

/// Deterministic filler bytes (xorshift), for the heap and source text.
pub fn filler(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn strings(release: Release) -> (&'static str, &'static str, &'static str) {
    // (Julia version, branch, commit): the commits' first 8 digits are the
    // reference sources' (their README); the rest is illustrative.
    match release {
        Release::V1_9 => ("1.9.4", "release-1.9", "8e5136fa297ed9d5ab2e7b62e6d8a1b1a8c0b1de"),
        Release::V1_10 => ("1.10.9", "release-1.10", "5595d20a2877560583ec9ba3d2ac2f1a9b5c1a0e"),
        Release::V1_11 => ("1.11.5", "release-1.11", "760b2e5b7396f9cc0da5efce0cadd5d1974c4069"),
        Release::V1_12 => ("1.12.5", "release-1.12", "5fe89b8ddc3dbfd2ba8fb3e9a5f8b1c2d3e4f506"),
        Release::V1_13 => ("1.13.0-rc1", "release-1.13", "aa05952e1b2c3d4e5f60718293a4b5c6d7e8f901"),
        Release::Master13 => ("1.14.0-DEV.120", "master", "3484331c0ffee0ddba11fa11c0ffee0ddba11fa1"),
        Release::Master14 => ("1.14.0-DEV.1530", "master", "ad84450e1b2c3d4e5f60718293a4b5c6d7e8f901"),
        Release::Master15 => ("1.14.0-DEV.1712", "master", "fcab46241b2c3d4e5f60718293a4b5c6d7e8f901"),
    }
}

fn depot(release: Release, file: &str) -> String {
    // From 1.11 paths inside a depot are written as @depot/...
    // (replace_depot_path, 1.11.5 src/staticdata_utils.c:793-806).
    if release.fsize_and_hash() {
        format!("@depot/packages/Example/kQpQ3/{file}")
    } else {
        format!("/home/jl/.julia/packages/Example/kQpQ3/{file}")
    }
}

/// An include as `release` records it: from 1.11 `include` tracks content
/// (size and CRC-32C, mtime -1.0: 1.11.5 base/loading.jl:2174-2177); before,
/// the mtime.
fn include(release: Release, file: &str, text: &[u8], module: u32, sub: &[&str]) -> Dep {
    let (fsize, hash, mtime) = if release.fsize_and_hash() {
        (text.len() as u64, crate::ji_writer::crc32c(text), -1.0)
    } else {
        (0, 0, 1_715_000_000.25)
    };
    Dep::Include {
        path: depot(release, file),
        fsize,
        hash,
        mtime,
        module,
        sub_path: sub.iter().map(|s| s.to_string()).collect(),
    }
}

fn require(by: u32, sub: &[&str], name: &str, uuid: (u64, u64)) -> Dep {
    Dep::Require { by, by_sub_path: sub.iter().map(|s| s.to_string()).collect(), name: name.to_owned(), uuid }
}

/// The source files of the sample package.
pub fn sources() -> Vec<(&'static str, Vec<u8>)> {
    let main =
        b"module Example\nusing LinearAlgebra\ninclude(\"sub.jl\")\nhello(who) = \"Hello, $who\"\nend\n".to_vec();
    let sub = b"module Sub\nusing Random\nroll() = rand(1:6)\nend\n".to_vec();
    let lite = [b"module ExampleLite\n".as_slice(), &filler(7, 300), b"\nend\n"].concat();
    vec![("src/Example.jl", main), ("src/sub.jl", sub), ("src/lite.jl", lite)]
}

/// The dependency list: includes (the package's files, a submodule's, a
/// data file from `Main`) and requires, as `release` records them.
fn dependencies(release: Release, src: &[(&'static str, Vec<u8>)]) -> Vec<Dep> {
    // include_dependency(path; track_content=false) from Main: index 0, and
    // from 1.11 size 0 and hash 0 with the mtime (1.11.5 base/loading.jl:2179).
    let table = Dep::Include {
        path: depot(release, "data/table.csv"),
        fsize: 0,
        hash: 0,
        mtime: 1_715_000_123.5,
        module: 0,
        sub_path: vec![],
    };
    vec![
        include(release, src[0].0, &src[0].1, 1, &[]),
        require(1, &[], "LinearAlgebra", LINEAR_ALGEBRA_UUID),
        include(release, src[1].0, &src[1].1, 1, &["Sub"]),
        require(1, &["Sub"], "Random", RANDOM_UUID),
        table,
        include(release, src[2].0, &src[2].1, 2, &[]),
        require(3, &[], "Printf", PRINTF_UUID),
    ]
}

/// The module list: Core, Base and the required packages, with build ids
/// whose high half is the checksum of the image they came from.
fn required_modules(release: Release) -> Vec<ReqMod> {
    let image = if release.format_version() >= 14 { 0x0000_0000_5a5a_1234 } else { 0xfafb_fcfd_5a5a_1234 };
    vec![
        ReqMod { name: "Core".into(), uuid: (0, 0), build_id: (image, 0x0000_0190_0000_0001) },
        ReqMod { name: "Base".into(), uuid: (0, 0), build_id: (image, 0x0000_0190_0000_0002) },
        ReqMod { name: "LinearAlgebra".into(), uuid: LINEAR_ALGEBRA_UUID, build_id: (image, 0x0000_0190_0000_0003) },
        ReqMod { name: "Random".into(), uuid: RANDOM_UUID, build_id: (image, 0x0000_0190_0000_0004) },
        ReqMod { name: "Printf".into(), uuid: PRINTF_UUID, build_id: (0xfafb_fcfd_0bad_cafe, 0x0000_0190_0000_0005) },
    ]
}

/// The sample package as `release` caches it; `native` adds clone targets
/// (a package image with a library beside the `.ji`).
pub fn realistic(release: Release, native: bool) -> Cache {
    let (julia, branch, commit) = strings(release);
    let src = sources();
    let worklist = vec![
        WorkMod { name: "Example".into(), uuid: EXAMPLE_UUID, build_lo: 0x0000_1a2b_3c4d_5e6f },
        WorkMod { name: "ExampleLite".into(), uuid: (0x1111_2222_3333_4444, 0x8555_6666_7777_8888), build_lo: 42 },
        WorkMod { name: "Aux".into(), uuid: (0, 0), build_lo: 0x0102_0304_0506_0708 },
    ];
    let deps = dependencies(release, &src);
    let prefs = if release.preferences_blob() {
        Prefs::Blob(
            "[7876af07-990d-54b4-ab0a-72352aee6b3a]\nbackend = \"threads\"\n\n[unset]\n\
             7876af07-990d-54b4-ab0a-72352aee6b3a = [\"precision\"]\n"
                .into(),
        )
    } else {
        Prefs::Names { names: vec!["backend".into(), "precision".into()], hash: 0x9e37_79b9_7f4a_7c15 }
    };
    let required = required_modules(release);
    let native = native.then(|| {
        vec![
            Target { flags: 0, base: -1, name: "generic".into(), features: vec![0, 0, 0], ext_features: String::new() },
            Target {
                flags: 1,
                base: 0,
                name: "sandybridge".into(),
                features: vec![0x0000_0fff, 0x10, 0],
                ext_features: "-xsaveopt".into(),
            },
            Target {
                flags: 2,
                base: 1,
                name: "haswell".into(),
                features: vec![0x00ff_ffff, 0x1f, 0x3],
                ext_features: "-rdrnd".into(),
            },
        ]
    });
    let sources = src.iter().map(|(file, text)| (depot(release, file), text.clone())).collect();
    Cache {
        release,
        big_endian: false,
        pointer_size: 8,
        uname: "Linux".into(),
        arch: "x86_64".into(),
        julia_version: julia.into(),
        gc_abi: "stock".into(),
        branch: branch.into(),
        commit: commit.into(),
        // -O2, inline, check-bounds 0, -g1, pkgimages (jl_cache_flags, 1.11.5
        // src/staticdata_utils.c:625-635; base/loading.jl DefaultCacheFlags)
        cache_flags: 0b1010_0011,
        syntax_version: 1,
        worklist,
        deps,
        prefs,
        required,
        native,
        heap: filler(0x5eed, 2000),
        sources,
    }
}

/// Every release, for tests that cover them all.
pub const RELEASES: [Release; 8] = [
    Release::V1_9,
    Release::V1_10,
    Release::V1_11,
    Release::V1_12,
    Release::V1_13,
    Release::Master13,
    Release::Master14,
    Release::Master15,
];
