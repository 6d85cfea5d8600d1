//! `reader-comparison check [FILE...]`: every implementation agrees on the
//! corpus, on every name tried, and on mutated and truncated headers.
//! `reader-comparison bench [--rounds N] [FILE...]`: interleaved timing.
//! `reader-comparison count IMPL FILE N`: N lookups of `.jlji` (for callgrind).

use std::hint::black_box;
use std::time::Instant;

use reader_comparison::{Range, IMPLS};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");
/// The inputs the benchmark always runs (more may be given on the command line).
const BENCH_INPUTS: [&str; 4] = [
    "elf/x86_64-linux-musl.so",
    "elf/powerpc64-linux-musl.so",
    "elf/x86-linux-musl.so",
    "elf/x86_64-linux-gnu-libc.so",
];

// One never-inlined entry per implementation: the unit that is timed and
// that callgrind counts (`--toggle-collect=*lookup_NAME`, with no trailing
// `*`, which would make `lookup_scroll` match `lookup_scroll_lean` too). The
// name goes through black_box so that no walk is specialised for a constant name.
macro_rules! entry {
    ($($f:ident => $m:ident $label:literal),*) => {
        $(#[inline(never)]
        fn $f(file: &[u8]) -> Option<Range> {
            reader_comparison::$m::find_section(black_box(file), black_box(".jlji")).ok().flatten()
        })*
        const ENTRIES: [(&str, fn(&[u8]) -> Option<Range>); 5] =
            [$(($label, $f)),*];
    };
}
entry!(lookup_pkgimg => with_pkgimg "pkgimg", lookup_scroll => with_scroll "scroll",
       lookup_scroll_lean => with_scroll_lean "scroll-lean", lookup_bytemuck => with_bytemuck "bytemuck",
       lookup_zerocopy => with_zerocopy "zerocopy");

fn read(path: &str) -> (String, Vec<u8>) {
    let full =
        if path.starts_with('/') || path.starts_with('.') { path.to_string() } else { format!("{CORPUS}/{path}") };
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    let label =
        if path.starts_with('/') { path.rsplit('/').next().unwrap_or(path).to_string() } else { path.to_string() };
    (label, bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("count") => count(&args[1..]),
        _ => {
            eprintln!("usage: reader-comparison check [FILE...] | bench [--rounds N] [FILE...] | count IMPL FILE N");
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------- check

/// Each implementation's answer, errors flattened (they name different checks).
fn answers(file: &[u8], name: &str) -> Vec<Result<Option<Range>, ()>> {
    IMPLS.iter().map(|(_, f)| f(file, name).map_err(|_| ())).collect()
}

fn agree(what: &str, file: &[u8], name: &str, tally: &mut [usize; 3]) {
    let all = answers(file, name);
    if all.iter().any(|a| *a != all[0]) {
        eprintln!("DISAGREE on {what}, name {name:?}:");
        for (i, (impl_name, f)) in IMPLS.iter().enumerate() {
            eprintln!("  {impl_name:12} {:?}  ({:?})", all[i], f(file, name));
        }
        std::process::exit(1);
    }
    tally[match all[0] {
        Ok(Some(_)) => 0,
        Ok(None) => 1,
        Err(()) => 2,
    }] += 1;
}

/// xorshift64*: deterministic mutations, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn check(extra: &[String]) {
    let mut inputs: Vec<String> = Vec::new();
    for dir in ["elf", "nopayload", "malformed", "obj"] {
        let mut names: Vec<String> = std::fs::read_dir(format!("{CORPUS}/{dir}"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| format!("{dir}/{}", e.file_name().to_string_lossy())).collect())
            .unwrap_or_default();
        names.sort();
        inputs.extend(names);
    }
    inputs.extend(extra.iter().cloned());
    let names = [
        ".jlji",
        ".text",
        ".shstrtab",
        ".strtab",
        ".bss",
        ".relro_padding",
        ".dynsym",
        ".data.rel.ro",
        "",
        ".jl",
        ".jljix",
        ".rustc",
    ];
    let (mut tally, mut files) = ([0usize; 3], 0);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bases = Vec::new();
    for path in &inputs {
        let (label, bytes) = read(path);
        if !bytes.starts_with(b"\x7fELF") {
            continue;
        }
        files += 1;
        for name in names {
            agree(&label, &bytes, name, &mut tally);
        }
        // The answer on the real file, printed so that it can be compared with llvm-readobj.
        if let Ok(Some(r)) = IMPLS[0].1(&bytes, ".jlji") {
            println!("{label}: .jlji at {:#x}, {} bytes (all {} agree)", r.offset, r.size, IMPLS.len());
        } else {
            println!("{label}: .jlji {:?} (all {} agree)", answers(&bytes, ".jlji")[0], IMPLS.len());
        }
        if bytes.len() < (1 << 20) {
            bases.push((label, bytes));
        }
    }
    let unmutated = tally;
    // Mutations: 1-4 bytes of the ELF header, the section header table or
    // anywhere, set to random or boundary values; or the file truncated.
    let mutations_per_file = 4000;
    let (mut mutated, mut extended) = ([0usize; 3], 0);
    for (label, base) in &bases {
        let (wide, le) = (base[4] == 2, base[5] == 1);
        let rd = |at: usize, n: usize| -> u64 {
            let b = &base[at..at + n];
            b.iter().enumerate().fold(0u64, |v, (i, &x)| v | (u64::from(x) << (8 * if le { i } else { n - 1 - i })))
        };
        let (shoff, entsize, shnum) =
            if wide { (rd(40, 8), rd(58, 2), rd(60, 2)) } else { (rd(32, 4), rd(46, 2), rd(48, 2)) };
        let table = (shoff as usize, (entsize * shnum) as usize);
        if let Some(ext) = extended_numbering(base) {
            extended += 1;
            for name in [".jlji", ".text", ""] {
                agree(&format!("{label} (extended numbering)"), &ext, name, &mut mutated);
                // (The empty name is section 0's, whose sh_size now holds the count.)
                if !name.is_empty() {
                    assert_eq!(
                        answers(&ext, name),
                        answers(base, name),
                        "{label}: extended numbering changed the answer"
                    );
                }
            }
        }
        for _ in 0..mutations_per_file {
            let mut file = base.clone();
            if rng.below(10) == 0 {
                // Keep the magic, so that pkgimg does not try another format.
                file.truncate(4 + rng.below(base.len() - 4));
            } else {
                for _ in 0..1 + rng.below(4) {
                    let at = match rng.below(3) {
                        0 => 4 + rng.below(if wide { 60 } else { 48 }),
                        1 if table.1 > 0 => table.0 + rng.below(table.1),
                        _ => 4 + rng.below(base.len() - 4),
                    };
                    let value = match rng.below(4) {
                        0 => 0,
                        1 => 0xff,
                        2 => rng.below(4) as u8,
                        _ => rng.next() as u8,
                    };
                    if at < file.len() {
                        file[at] = value;
                    }
                }
            }
            for name in [".jlji", ".text", ""] {
                agree(&format!("{label} (mutated)"), &file, name, &mut mutated);
            }
        }
    }
    println!(
        "agree: {files} files x {} names: {} found, {} absent, {} errors; {extended} files rewritten with extended numbering and {} mutated files, x 3 names: {} found, {} absent, {} errors",
        names.len(),
        unmutated[0],
        unmutated[1],
        unmutated[2],
        bases.len() * mutations_per_file,
        mutated[0],
        mutated[1],
        mutated[2]
    );
}

/// `base` with extended section numbering written out: e_shnum 0 and the
/// count in section 0's sh_size, e_shstrndx 0xffff and the index in its
/// sh_link. `None` if section 0 is not in the file.
fn extended_numbering(base: &[u8]) -> Option<Vec<u8>> {
    let (wide, le) = (base[4] == 2, base[5] == 1);
    let at = |at: usize, n: usize| (at..at + n).map(move |i| if le { i } else { 2 * at + n - 1 - i });
    let rd = |a: usize, n: usize| at(a, n).enumerate().fold(0u64, |v, (k, i)| v | u64::from(base[i]) << (8 * k));
    let (shoff, shnum_at, strndx_at) = if wide { (rd(40, 8) as usize, 60, 62) } else { (rd(32, 4) as usize, 48, 50) };
    let (shnum, strndx) = (rd(shnum_at, 2), rd(strndx_at, 2));
    if shnum == 0 || shoff + 64 > base.len() {
        return None;
    }
    let (size_at, size_n, link_at) = if wide { (shoff + 32, 8, shoff + 40) } else { (shoff + 20, 4, shoff + 24) };
    let mut file = base.to_vec();
    for (a, n, v) in [(shnum_at, 2, 0), (strndx_at, 2, 0xffff), (size_at, size_n, shnum), (link_at, 4, strndx)] {
        for (k, i) in at(a, n).enumerate() {
            file[i] = (v >> (8 * k)) as u8;
        }
    }
    Some(file)
}

// ---------------------------------------------------------------- bench

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// ns per call of `n` calls of `f` on `file`.
fn batch(f: fn(&[u8]) -> Option<Range>, file: &[u8], n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box(f(black_box(file)));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn bench(args: &[String]) {
    let mut rounds = 501;
    let mut paths: Vec<String> = BENCH_INPUTS.iter().map(|s| s.to_string()).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--rounds" {
            rounds = it.next().and_then(|n| n.parse().ok()).expect("--rounds N");
        } else {
            paths.push(a.clone());
        }
    }
    let inputs: Vec<(String, Vec<u8>)> = paths.iter().map(|p| read(p)).collect();
    // Same answer from every implementation before anything is timed.
    for (label, file) in &inputs {
        let first = ENTRIES[0].1(file);
        for (n, f) in ENTRIES {
            assert_eq!(f(file), first, "{n} disagrees with pkgimg on {label}");
        }
        println!("{label}: .jlji = {first:?} (all {} agree)", ENTRIES.len());
    }
    // Calls per batch: about 200 µs each, so a batch is long against the
    // timer and short against the scheduler's slices.
    let per: Vec<Vec<u64>> = inputs
        .iter()
        .map(|(_, file)| {
            ENTRIES
                .iter()
                .map(|(_, f)| {
                    let mut n = 16u64;
                    loop {
                        let ns = batch(*f, file, n) * n as f64;
                        if ns > 50_000.0 {
                            break ((n as f64 * 200_000.0 / ns) as u64).max(1);
                        }
                        n *= 4;
                    }
                })
                .collect()
        })
        .collect();
    // samples[input][impl][round]
    let mut samples = vec![vec![Vec::with_capacity(rounds); ENTRIES.len()]; inputs.len()];
    for round in 0..rounds {
        for (i, (_, file)) in inputs.iter().enumerate() {
            // Rotate the order every round: no implementation always follows another.
            for k in 0..ENTRIES.len() {
                let j = (k + round) % ENTRIES.len();
                samples[i][j].push(batch(ENTRIES[j].1, file, per[i][j]));
            }
        }
    }
    println!("\n{rounds} interleaved rounds; per cell: median ns/lookup [p10-p90], and the median over rounds of (this / pkgimg in the same round) [p10-p90]\n");
    print!("| input |");
    for (n, _) in ENTRIES {
        print!(" {n} |");
    }
    println!();
    println!("|---|{}", "---|".repeat(ENTRIES.len()));
    for (i, (label, _)) in inputs.iter().enumerate() {
        print!("| {label} |");
        for j in 0..ENTRIES.len() {
            let mut ns = samples[i][j].clone();
            ns.sort_by(f64::total_cmp);
            let mut ratio: Vec<f64> = (0..rounds).map(|r| samples[i][j][r] / samples[i][0][r]).collect();
            ratio.sort_by(f64::total_cmp);
            print!(" {:.1} ns [{:.1}-{:.1}]", percentile(&ns, 0.5), percentile(&ns, 0.1), percentile(&ns, 0.9));
            if j > 0 {
                print!(
                    " **{:.2}x** [{:.2}-{:.2}]",
                    percentile(&ratio, 0.5),
                    percentile(&ratio, 0.1),
                    percentile(&ratio, 0.9)
                );
            }
            print!(" |");
        }
        println!();
    }
}

// ---------------------------------------------------------------- count

fn count(args: &[String]) {
    let [which, path, n] = args else {
        eprintln!("usage: reader-comparison count IMPL FILE N");
        std::process::exit(2);
    };
    let f = ENTRIES.iter().find(|(m, _)| m == which).map(|(_, f)| *f);
    let f = f.unwrap_or_else(|| panic!("no implementation {which}"));
    let n: u64 = n.parse().expect("N");
    let (_, file) = read(path);
    let mut last = None;
    for _ in 0..n {
        last = black_box(f(black_box(&file)));
    }
    println!("{which}: {last:?}");
}
