//! An arbitrary payload into a corpus library (ELF, PE, thin and universal
//! Mach-O) and into an emitted object: the navigator must return exactly that
//! payload, and goblin must still parse the result.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const LIBRARIES: [&str; 4] = [
    "nopayload/x86_64-linux-musl.so",
    "nopayload/x86_64-windows-gnu.dll",
    "nopayload/aarch64-macos.dylib",
    "macho/universal.dylib",
];
const TRIPLES: [&str; 5] =
    ["x86_64-unknown-linux-gnu", "s390x-unknown-linux-gnu", "aarch64-apple-darwin", "i686-pc-windows-msvc", "armv7-unknown-linux-gnueabihf"];

fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pkgimg-fuzz-inject-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fn check(bytes: &[u8], payload: &[u8], what: &str) {
    for (_, found) in pkgimg::payloads(bytes).unwrap().map(Result::unwrap) {
        let found = found.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(found.data(), payload, "{what}");
        found.verify().unwrap();
    }
    assert!(goblin::Object::parse(bytes).is_ok(), "{what}: goblin cannot parse the result");
}

fuzz_target!(|input: (u8, bool, Vec<u8>)| {
    let (which, replace, payload) = input;
    // Emitted objects.
    let triple = TRIPLES[usize::from(which) % TRIPLES.len()];
    let object = pkgimg::emit_object_to_vec(triple, &payload).unwrap();
    check(&object, &payload, triple);
    // Injection into a library.
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let library = corpus.join(LIBRARIES[usize::from(which) % LIBRARIES.len()]);
    let dir = workdir();
    let payload_path = dir.join("payload");
    std::fs::write(&payload_path, &payload).unwrap();
    let out = dir.join("out");
    let options = pkgimg::InjectOptions { replace: true, ..Default::default() };
    pkgimg::inject(&library, &payload_path, &out, options).unwrap_or_else(|e| panic!("{}: {e}", library.display()));
    let bytes = std::fs::read(&out).unwrap();
    check(&bytes, &payload, "injected");
    if replace {
        // Re-injecting the same payload gives the same bytes: nothing is left behind.
        let again = dir.join("again");
        let options = pkgimg::InjectOptions { replace: true, ..Default::default() };
        pkgimg::inject(&out, &payload_path, &again, options).unwrap();
        assert_eq!(std::fs::read(&again).unwrap().len(), bytes.len(), "replace grew the file");
    }
});
