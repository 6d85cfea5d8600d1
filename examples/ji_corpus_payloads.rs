//! Writes realistic Julia `.ji` files with the test-side writer
//! (tests/common/ji_writer.rs, which follows Julia's writers field by
//! field), for the corpus and for fuzzing seeds.
//!
//! ```sh
//! cargo run --example ji_corpus_payloads -- OUT_DIR          # the two corpus payloads
//! cargo run --example ji_corpus_payloads -- OUT_DIR --all    # every release and variant
//! cargo run --example ji_corpus_payloads -- OUT_DIR --library Foo.so
//!                                    # record Foo.so's CRC-32C in the trailers
//! ```
//!
//! Beside each `NAME.ji` it writes `NAME.expected.json`: the `ji` object
//! `jiscan show --json` must print for it, computed from what the writer put
//! in (tests/common/ji_expected.rs), never from pkgimg's decoder.
//!
//! The two corpus payloads are `v12-julia-1.11.ji` (format 12 as Julia
//! 1.11.5 writes a package image's `.ji`: clone targets, heap in the
//! library, data positions 0) and `v15-master.ji` (format 15 as Julia master
//! writes a split `.ji`: flags word, GC ABI, the heap inside). Both end with
//! the trailer; its library CRC-32C word is 0, as for a payload carried by
//! the library itself.
// Example code may index, unwrap and panic: the crate's no-panic lints are
// for the library and jiscan.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "../tests/common/ji_expected.rs"]
mod ji_expected;
#[path = "../tests/common/ji_samples.rs"]
mod ji_samples;
#[path = "../tests/common/ji_writer.rs"]
mod ji_writer;

use std::path::PathBuf;

use ji_writer::Release;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: ji_corpus_payloads OUT_DIR [--all] [--library FILE]");
        std::process::exit(2);
    };
    let all = args.iter().any(|a| a == "--all");
    // The trailer's first word: the CRC-32C of the library beside the .ji
    // (1.11.5 base/loading.jl:3106), or 0 for a payload the library carries.
    let library_crc = match args.iter().position(|a| a == "--library") {
        Some(i) => ji_writer::crc32c(&std::fs::read(&args[i + 1]).unwrap()),
        None => 0,
    };
    std::fs::create_dir_all(&out).unwrap();
    let mut files = vec![
        ("v12-julia-1.11.ji".to_owned(), ji_samples::realistic(Release::V1_11, true)),
        ("v15-master.ji".to_owned(), ji_samples::realistic(Release::Master15, true)),
    ];
    if all {
        for release in ji_samples::RELEASES {
            for native in [true, false] {
                let name = format!("{release:?}-{}.ji", if native { "native" } else { "ji-only" });
                files.push((name, ji_samples::realistic(release, native)));
            }
        }
    }
    for (name, cache) in files {
        let written = cache.write();
        let crc = if cache.native.is_some() { library_crc } else { 0 };
        let ji = written.ji(crc, cache.big_endian);
        let path = out.join(&name);
        std::fs::write(&path, &ji).unwrap();
        println!(
            "{}  {} bytes, trailer {crc:#010x} {:#010x}",
            path.display(),
            ji.len(),
            ji_writer::crc32c(&ji[..ji.len() - 4])
        );
        let expected = serde_json::to_string_pretty(&ji_expected::expected_json(&cache, crc)).unwrap();
        std::fs::write(out.join(name.replace(".ji", ".expected.json")), expected + "\n").unwrap();
        if let Some(data) = written.library_data {
            let path = out.join(name.replace(".ji", ".system_image_data"));
            std::fs::write(&path, &data).unwrap();
            println!("{}  {} bytes (jl_system_image_data of the library)", path.display(), data.len());
        }
    }
}
