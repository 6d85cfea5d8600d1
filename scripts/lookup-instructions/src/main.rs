//! `lookup-instructions FILE N`: reads FILE once, then calls
//! `pkgimg::find_ji_payload` on it N times. Under callgrind, the difference
//! between the instruction counts of N = 2000 and N = 1000, divided by 1000,
//! is the cost of one lookup: reading the file, startup and exit cancel out.
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok())) else {
        eprintln!("usage: lookup-instructions FILE N");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let mut found = 0u64;
    for _ in 0..n {
        // The input is opaque to the optimiser, and the whole result is
        // written to memory (black_box takes its address), without the
        // copies a black_box by value would add.
        let result = pkgimg::find_ji_payload(black_box(&bytes));
        black_box(&result);
        found = found.wrapping_add(u64::from(result.is_ok()));
    }
    println!("{found}");
}
