//! Robustness of the CLI's views (the section listing, the image
//! identification, the .ji view) on damaged copies of the corpus files.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use crate::listing::list;

/// Every file of the corpus, or none (loudly; a failure under CI=true).
fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(std::fs::read(&path).unwrap());
            }
        }
    }
    if files.is_empty() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "corpus missing under CI=true");
        eprintln!("SKIPPED: no corpus at {}", dir.display());
    }
    files
}

/// Every corpus file cut short at many lengths and with header bytes
/// changed: listing, identifying and .ji decoding return, never panic.
#[test]
fn damaged_images_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut listed = 0usize;
    for file in corpus() {
        let mut variants: Vec<Vec<u8>> = (0..file.len().min(4096)).step_by(37).map(|n| file[..n].to_vec()).collect();
        for _ in 0..100 {
            let mut v = file.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % v.len().clamp(1, 4096);
                if let Some(b) = v.get_mut(at) {
                    *b = next() as u8;
                }
            }
            variants.push(v);
        }
        for v in &variants {
            if let Ok(slices) = pkgimg::slices(v) {
                for slice in slices.flatten() {
                    let _ = crate::identify::identify(&slice);
                    listed += list(&slice).rows.len();
                }
            }
            let _ = crate::show_ji::view(v, 0);
        }
    }
    eprintln!("{listed} rows listed from damaged images");
}

/// Every .ji payload in the corpus, cut and changed in its header: the
/// decoder returns, says where it stopped, and never panics.
#[test]
fn damaged_ji_headers_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut found = 0;
    for file in corpus() {
        let Some(at) = file.windows(8).position(|w| w == pkgimg::ji::MAGIC) else { continue };
        found += 1;
        let ji = &file[at..];
        for n in 0..ji.len().min(400) {
            let h = pkgimg::ji::Header::decode(&ji[..n]);
            assert!(h.complete == h.stop.is_none() && h.end <= n as u64, "cut at {n}");
            let _ = crate::show_ji::view(&ji[..n], 0);
        }
        for _ in 0..2000 {
            let mut v = ji.to_vec();
            for _ in 0..1 + next() % 3 {
                let i = 8 + (next() as usize) % 200;
                if let Some(b) = v.get_mut(i) {
                    *b = next() as u8;
                }
            }
            let _ = crate::show_ji::view(&v, 0);
        }
    }
    if found == 0 {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "no .ji payload in the corpus under CI=true");
    }
}
