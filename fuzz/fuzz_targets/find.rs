//! Arbitrary bytes to every lookup: no panic, and any payload lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let inside = |p: &pkgimg::Payload<'_>| {
        let start = usize::try_from(p.offset()).unwrap();
        let end = start.checked_add(p.data().len()).unwrap();
        assert!(end <= bytes.len());
        assert_eq!(&bytes[start..end], p.data());
    };
    if let Ok(p) = pkgimg::find_ji_payload(bytes) {
        inside(&p);
        let _ = p.verify();
    }
    if let Ok(all) = pkgimg::payloads(bytes) {
        for (_, payload) in all.flatten() {
            if let Ok(p) = payload {
                inside(&p);
            }
        }
    }
    if let Err(e) = pkgimg::find_section(bytes, "__TEXT,__text") {
        let _ = e.to_string();
    }
    // The symbol walks: the data record's export, and a code cache's import of it.
    if let Ok(slice) = pkgimg::host_slice(bytes) {
        if let Ok(Some(symbol)) = slice.find_symbol("jl_pkgimg_data") {
            if let Some(range) = symbol.range {
                assert!(range.offset.checked_add(range.size).is_some_and(|end| end <= bytes.len() as u64));
            }
        }
        let _ = slice.imports_symbol("jl_pkgimg_data");
    }
});
