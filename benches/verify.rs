//! `Payload::verify` (CRC-32C of every payload byte) on a 1 GiB payload,
//! against copying the same bytes with memcpy, in the same run: the CRC should
//! run at least at half of memcpy's bandwidth, so checking a payload costs no
//! more than reading it would.
//!
//! Run: `cargo bench --bench verify` (needs about 3 GiB of memory while it
//! builds the input, 2 GiB after).
// Test, bench and example code may index, unwrap and panic: the crate's
// no-panic lints (Cargo.toml [lints.clippy]) are for the library and jiscan.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};

const SIZE: usize = 1 << 30;

fn verify(c: &mut Criterion) {
    // A byte pattern (not zeros: zero pages would be shared and never read from memory).
    let payload: Vec<u8> = (0..SIZE).map(|i| (i.wrapping_mul(0x9e37_79b9) >> 11) as u8).collect();
    let object = pkgimg::emit_object_to_vec("x86_64-unknown-linux-gnu", &payload).unwrap();
    drop(payload);
    let found = pkgimg::find_ji_payload(&object).unwrap();
    assert_eq!(found.data().len(), SIZE);
    found.verify().unwrap();
    // Written once first, so memcpy's time holds no page faults.
    let mut copy = vec![1u8; SIZE];

    let mut group = c.benchmark_group("verify 1 GiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(10));
    group.bench_function("pkgimg Payload::verify", |b| b.iter(|| black_box(&found).verify()));
    group.bench_function("memcpy", |b| b.iter(|| black_box(&mut copy[..]).copy_from_slice(black_box(found.data()))));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().warm_up_time(Duration::from_secs(2)).configure_from_args();
    verify(&mut c);
    c.final_summary();
}
