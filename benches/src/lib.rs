//! Shared pieces of the criterion micro-benchmarks: key sets generated before timing, so every
//! structure is measured on the same keys in the same order.
#![warn(missing_docs)]

/// `n` distinct keys in a random-looking order, the same on every run.
///
/// The keys are a bijective scramble of `0..n`, so lookups in the benchmarks hit every part of the
/// table instead of walking it in insertion order.
pub fn keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(scramble).collect()
}

/// Keys guaranteed absent from [`keys`]`(n)`, for miss lookups.
pub fn absent_keys(n: usize) -> Vec<u64> {
    (n as u64..2 * n as u64).map(scramble).collect()
}

/// A bijection on `u64` (the splitmix64 finalizer): distinct inputs give distinct outputs.
pub const fn scramble(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sizes every single-thread benchmark runs at: one that fits in cache, one that does not.
pub const SIZES: [usize; 2] = [1 << 10, 1 << 20];

use std::hint::black_box;
use std::time::{Duration, Instant};

/// The single-key operations a point benchmark drives, as plain functions so a hand-written map
/// can be measured through exactly the calls its users would write.
#[derive(Debug)]
pub struct PointOps<M> {
    /// Looks a key up, returning a copy of its value.
    pub get: fn(&M, &u64) -> Option<u64>,
    /// Inserts, returning the old value.
    pub insert: fn(&M, u64, u64) -> Option<u64>,
    /// Removes, returning the value.
    pub remove: fn(&M, &u64) -> Option<u64>,
    /// Adds one to the key's value, inserting 1 if it is absent (the counting case).
    pub upsert: fn(&M, u64),
}

// Manual impls: a derive would demand `M: Copy`, but only function pointers are copied.
impl<M> Clone for PointOps<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for PointOps<M> {}

/// How many keys one timed chunk of an insert or remove benchmark touches before the untimed
/// step that restores the map to its starting contents.
const CHUNK: usize = 1 << 10;

/// Times `iters` lookups of present keys, cycling through them in a scrambled order.
pub fn time_get<M>(map: &M, ops: PointOps<M>, keys: &[u64], iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters as usize {
        black_box((ops.get)(map, &keys[i % keys.len()]));
    }
    start.elapsed()
}

/// Times `iters` inserts of absent keys into a map holding `keys`; each chunk of inserted keys is
/// removed again, untimed, so the map's size stays put.
pub fn time_insert<M>(map: &M, ops: PointOps<M>, absent: &[u64], iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    let mut offset = 0;
    while left > 0 {
        // Walk through all the absent keys across chunks, so the inserts land all over the table
        // instead of re-filling the same, cache-hot slots.
        let len = left.min(CHUNK).min(absent.len());
        let from = offset % (absent.len() - len + 1);
        let chunk = &absent[from..from + len];
        let start = Instant::now();
        for &k in chunk {
            black_box((ops.insert)(map, k, k));
        }
        total += start.elapsed();
        for k in chunk {
            (ops.remove)(map, k);
        }
        left -= len;
        offset += len;
    }
    total
}

/// Times `iters` upserts of present keys (read-modify-write of an existing value), cycling through
/// them in a scrambled order.
pub fn time_upsert<M>(map: &M, ops: PointOps<M>, keys: &[u64], iters: u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters as usize {
        (ops.upsert)(map, keys[i % keys.len()]);
    }
    start.elapsed()
}

/// Times `iters` removes of present keys; each chunk is inserted again, untimed.
pub fn time_remove<M>(map: &M, ops: PointOps<M>, keys: &[u64], iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters as usize;
    let mut offset = 0;
    while left > 0 {
        let len = left.min(CHUNK).min(keys.len());
        let from = offset % (keys.len() - len + 1);
        let chunk = &keys[from..from + len];
        let start = Instant::now();
        for k in chunk {
            black_box((ops.remove)(map, k));
        }
        total += start.elapsed();
        for &k in chunk {
            (ops.insert)(map, k, k);
        }
        left -= len;
        offset += len;
    }
    total
}
