//! Memory after churn, measured with a counting global allocator.
//!
//! These tests have their own binary because a global allocator counts every thread of its
//! process: next to the concurrent conformance tests the figures would be noise. The tests in
//! here take a lock so that they never run at the same time either.

use std::sync::Mutex;

use cmap_core::ConcurrentMap;
use cmap_skiplist::SkipListMap;

#[global_allocator]
static GLOBAL: cmap_alloc::CountingAlloc = cmap_alloc::CountingAlloc;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn allocated() -> isize {
    cmap_alloc::live_bytes() as isize
}

/// Runs crossbeam's deferred work (removals decided by writers, then the freeing of removed
/// nodes) until it stops releasing memory. Each flush seals a bag of its own, so the count never
/// settles to the byte: stop when 256 flushes release less than a few bags' worth.
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

/// A xorshift generator: the churn must be the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Fills a map with `keys` keys, then does `ops` random inserts, overwrites and removes over
/// twice as many keys, with no snapshot live. Returns the bytes the churned map holds and the
/// bytes a fresh map holding the same contents holds.
fn churn(keys: u64, ops: u64) -> (isize, isize) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    settle();
    let before = allocated();
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..keys {
        map.insert(k, k);
    }
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
    settle();
    let churned = allocated() - before;

    let mut contents = Vec::with_capacity(map.len());
    cmap_core::Ordered::range_with(&map, .., |k, v| {
        contents.push((*k, *v));
        std::ops::ControlFlow::Continue(())
    });
    assert_eq!(contents.len(), map.len());
    assert_eq!(map.version_count(), map.len(), "garbage left behind");

    let before_fresh = allocated();
    let fresh = SkipListMap::<u64, u64>::new();
    for &(k, v) in &contents {
        fresh.insert(k, v);
    }
    settle();
    let fresh_bytes = allocated() - before_fresh;
    drop((map, fresh));
    (churned, fresh_bytes)
}

fn assert_bounded(keys: u64, ops: u64) {
    let (churned, fresh) = churn(keys, ops);
    let ratio = churned as f64 / fresh as f64;
    eprintln!(
        "{keys} keys, {ops} churn ops: churned map {churned} bytes, fresh map {fresh} bytes, \
         ratio {ratio:.3}"
    );
    assert!(
        ratio <= 1.25,
        "after {ops} churn operations the map holds {churned} bytes, {ratio:.2}x the {fresh} \
         bytes of a fresh map with the same contents"
    );
}

#[test]
fn memory_stays_bounded_under_churn() {
    assert_bounded(10_000, 400_000);
}

#[test]
#[ignore = "10M operations on 1M keys, a few minutes; run with --ignored"]
fn memory_stays_bounded_under_ten_million_churn_ops() {
    assert_bounded(1_000_000, 10_000_000);
}
