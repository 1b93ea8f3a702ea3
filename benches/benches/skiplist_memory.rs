//! Memory held by a `SkipListMap` after heavy churn with no live snapshot, against a fresh map
//! holding the same contents, measured with a counting global allocator (so this is a
//! `harness = false` binary of its own: the allocator sees every thread of the process).
//!
//! 1M `u64` keys, then 10M operations over 2M keys (a quarter removes, a quarter upserts, half
//! inserts), one thread. Prints both sizes, bytes per live entry and the ratio, for
//! `SkipListMap` and, for scale, a raw `crossbeam_skiplist::SkipMap` filled with the same contents.
//!
//! ```sh
//! cargo bench -p cmap-benches --bench skiplist_memory             # about 30 seconds
//! cargo bench -p cmap-benches --bench skiplist_memory -- 1000000  # number of churn operations
//! ```

use std::ops::ControlFlow;
use std::time::Instant;

use cmap_core::{ConcurrentMap, Ordered};
use cmap_skiplist::SkipListMap;
use crossbeam_skiplist::SkipMap;

#[global_allocator]
static GLOBAL: cmap_alloc::CountingAlloc = cmap_alloc::CountingAlloc;

fn allocated() -> isize {
    cmap_alloc::live_bytes() as isize
}

/// Runs crossbeam's deferred work until it stops releasing memory. Each flush seals a bag of its
/// own, so the count never settles to the byte: stop when 256 flushes release less than a few
/// bags' worth.
fn settle() {
    loop {
        let start = allocated();
        for _ in 0..256 {
            crossbeam_epoch::pin().flush();
        }
        if start - allocated() < 16 * 1024 {
            return;
        }
    }
}

/// A xorshift generator: the churn is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() {
    let keys: u64 = 1 << 20;
    let ops: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000_000);

    settle();
    let before = allocated();
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..keys {
        map.insert(k, k);
    }
    let start = Instant::now();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for i in 0..ops {
        let k = rng.below(2 * keys);
        match i % 4 {
            0 => {
                map.remove(&k);
            }
            1 => {
                let _ = map.upsert(k, || 0, |v| *v += 1);
            }
            _ => {
                map.insert(k, i);
            }
        }
    }
    let churn_time = start.elapsed();
    settle();
    let churned = allocated() - before;

    let mut contents = Vec::with_capacity(map.len());
    map.range_with(.., |k, v| {
        contents.push((*k, *v));
        ControlFlow::Continue(())
    });
    let (live, versions) = (map.len(), map.version_count());
    assert_eq!(contents.len(), live);

    let before = allocated();
    let fresh = SkipListMap::<u64, u64>::new();
    for &(k, v) in &contents {
        fresh.insert(k, v);
    }
    settle();
    let fresh_bytes = allocated() - before;

    let before = allocated();
    let raw = SkipMap::<u64, u64>::new();
    for &(k, v) in &contents {
        raw.insert(k, v);
    }
    settle();
    let raw_bytes = allocated() - before;

    let per_entry = |bytes: isize| bytes as f64 / live as f64;
    println!(
        "skiplist_memory: {keys} keys, then {ops} churn ops in {:.1}s, no live snapshot",
        churn_time.as_secs_f64()
    );
    println!("  live keys {live}, versions held {versions}");
    println!(
        "  churned SkipListMap  {churned:>11} bytes  {:6.1} bytes/entry",
        per_entry(churned)
    );
    println!(
        "  fresh SkipListMap    {fresh_bytes:>11} bytes  {:6.1} bytes/entry",
        per_entry(fresh_bytes)
    );
    println!(
        "  fresh raw SkipMap    {raw_bytes:>11} bytes  {:6.1} bytes/entry",
        per_entry(raw_bytes)
    );
    println!(
        "  churned / fresh: {:.3}x (target at most 1.25x)",
        churned as f64 / fresh_bytes as f64
    );
}
