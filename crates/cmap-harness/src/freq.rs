//! The frequency-count workload: count the elements of a large, skewed slice, as log and metrics
//! pipelines do.
//!
//! Each map counts the slice through its `upsert` (insert 1, or add 1) from a rayon parallel
//! iterator, all threads hammering the same hot keys. The reference is what a user would write by
//! hand without a concurrent map: rayon `fold` into one local `hashbrown` map per task, then
//! `reduce` merging them. Every map's counts are checked against the reference after timing, so a
//! map that loses an increment fails loudly instead of looking fast.

use std::time::{Duration, Instant};

use cmap_core::DefaultHashBuilder;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::adapter::Adapter;
use crate::distribution::Zipf;
use crate::keys::{BenchValue, Payload};
use crate::rng::{Fnv1a, Rng};

/// The data and pool a count runs with.
#[derive(Debug)]
pub struct CountCtx<'a> {
    /// The elements to count.
    pub data: &'a [u64],
    /// The rayon pool (its size is the thread count).
    pub pool: &'a rayon::ThreadPool,
    /// The exact counts, from the reference.
    pub expected: &'a HashMap<u64, u64, DefaultHashBuilder>,
    /// A structure still counting after this long is abandoned (a map that copies itself on
    /// every write would take quadratic time).
    pub time_limit: Duration,
}

/// The result of counting through one structure.
#[derive(Debug)]
pub enum CountOutcome {
    /// Counted in this time, and the counts matched the reference.
    Counted(Duration),
    /// Not run, for this reason.
    Skipped(String),
    /// Ran, but the counts were wrong.
    Wrong(String),
    /// Abandoned at the time limit.
    TooSlow(Duration),
}

/// Elements counted between two looks at the clock: small enough that a slow map overshoots the
/// time limit by little, large enough that the clock costs nothing measurable.
const CHUNK: usize = 256;

/// Generates `elements` keys from a scrambled zipfian over `distinct` keys, in parallel chunks
/// each seeded from `seed` and its index, so the data is the same for any thread count.
pub fn generate(elements: u64, distinct: u64, theta: f64, seed: u64) -> Vec<u64> {
    const GEN_CHUNK: usize = 1 << 16;
    let zipf = Zipf::new(distinct, theta);
    let mut data = vec![0u64; elements as usize];
    data.par_chunks_mut(GEN_CHUNK)
        .enumerate()
        .for_each(|(i, chunk)| {
            let mut rng = Rng::new(seed ^ Fnv1a::hash_u64(i as u64));
            for slot in chunk {
                *slot = Fnv1a::hash_u64(zipf.sample(&mut rng)) % distinct;
            }
        });
    data
}

/// The hand-written reference: rayon fold into local hashbrown maps, reduce by merging the smaller
/// into the larger. Returns the counts and the time taken.
pub fn reference(
    data: &[u64],
    pool: &rayon::ThreadPool,
) -> (HashMap<u64, u64, DefaultHashBuilder>, Duration) {
    let start = Instant::now();
    let counts = pool.install(|| {
        data.par_iter()
            .fold(
                || HashMap::with_hasher(DefaultHashBuilder::default()),
                |mut local, &k| {
                    *local.entry(k).or_insert(0u64) += 1;
                    local
                },
            )
            .reduce(
                || HashMap::with_hasher(DefaultHashBuilder::default()),
                |a, b| {
                    let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                    for (k, c) in small {
                        *big.entry(k).or_insert(0) += c;
                    }
                    big
                },
            )
    });
    (counts, start.elapsed())
}

/// Counts `ctx.data` through adapter `A`'s `upsert`, then checks every count.
pub fn count<A: Adapter<u64, Payload<1>>>(ctx: &CountCtx<'_>) -> CountOutcome {
    if !A::CAPS.atomic_rmw {
        return CountOutcome::Skipped(
            "needs an atomic read-modify-write; this map's values cannot be updated in place"
                .to_owned(),
        );
    }
    let map = A::build(0);
    let start = Instant::now();
    let deadline = start + ctx.time_limit;
    let finished = ctx.pool.install(|| {
        ctx.data.par_chunks(CHUNK).try_for_each(|chunk| {
            if Instant::now() > deadline {
                return Err(());
            }
            for &k in chunk {
                map.upsert(k, Payload::<1>::new(1));
            }
            Ok(())
        })
    });
    let elapsed = start.elapsed();
    if finished.is_err() {
        return CountOutcome::TooSlow(ctx.time_limit);
    }
    if map.len() != ctx.expected.len() {
        return CountOutcome::Wrong(format!(
            "{} distinct keys counted, {} expected",
            map.len(),
            ctx.expected.len()
        ));
    }
    for (&k, &expected) in ctx.expected {
        let got = map.get(&k);
        if got != Some(expected) {
            return CountOutcome::Wrong(format!("key {k}: counted {got:?}, expected {expected}"));
        }
    }
    CountOutcome::Counted(elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_counts_every_element_and_data_is_skewed() {
        let data = generate(100_000, 1000, 0.99, 1);
        assert_eq!(data, generate(100_000, 1000, 0.99, 1));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (counts, _) = reference(&data, &pool);
        assert_eq!(counts.values().sum::<u64>(), 100_000);
        let max = *counts.values().max().unwrap();
        // The hottest key of a 0.99 zipfian over 1000 keys takes about 13% of the elements.
        assert!(max > 10_000, "hottest key counted {max} times");
    }

    #[test]
    fn a_lossy_map_is_caught() {
        let data = generate(50_000, 100, 0.99, 2);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (expected, _) = reference(&data, &pool);
        let ctx = CountCtx {
            data: &data,
            pool: &pool,
            expected: &expected,
            time_limit: Duration::from_secs(60),
        };
        let locked =
            count::<crate::adapter::ours::Plain<cmap_locked::LockedMap<u64, Payload<1>>>>(&ctx);
        assert!(matches!(locked, CountOutcome::Counted(_)), "{locked:?}");
        let null = count::<crate::adapter::null::NullMap<u64, Payload<1>>>(&ctx);
        assert!(matches!(null, CountOutcome::Wrong(_)), "{null:?}");
    }
}
