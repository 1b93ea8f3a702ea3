//! `LockedMap` against the map a user would write by hand, `RwLock<hashbrown::HashMap>` with the
//! same hasher: single-thread get, insert, remove and upsert at 1K and 1M keys. The baseline of every
//! comparison in cmap must cost nothing over the hand-written map.

use cmap_benches::{
    PointOps, SIZES, absent_keys, keys, time_get, time_insert, time_remove, time_upsert,
};
use cmap_core::{ConcurrentMap, DefaultHashBuilder};
use cmap_locked::LockedMap;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use parking_lot::RwLock;

type HandWritten = RwLock<hashbrown::HashMap<u64, u64, DefaultHashBuilder>>;

const HAND_WRITTEN: PointOps<HandWritten> = PointOps {
    get: |m, k| m.read().get(k).copied(),
    insert: |m, k, v| m.write().insert(k, v),
    remove: |m, k| m.write().remove(k),
    upsert: |m, k| *m.write().entry(k).or_insert(0) += 1,
};

const LOCKED: PointOps<LockedMap<u64, u64>> = PointOps {
    get: |m, k| m.get(k),
    insert: |m, k, v| m.insert(k, v),
    remove: |m, k| m.remove(k),
    upsert: |m, k| {
        let _ = m.upsert(k, || 1, |n| *n += 1);
    },
};

fn hand_written(keys: &[u64]) -> HandWritten {
    let mut map =
        hashbrown::HashMap::with_capacity_and_hasher(keys.len(), DefaultHashBuilder::default());
    map.extend(keys.iter().map(|&k| (k, k)));
    RwLock::new(map)
}

fn locked_map(keys: &[u64]) -> LockedMap<u64, u64> {
    let map = LockedMap::with_capacity(keys.len());
    for &k in keys {
        map.insert(k, k);
    }
    map
}

/// Each operation is measured on both maps back to back, so drift on a shared machine affects
/// both sides of a comparison alike.
fn benches(c: &mut Criterion) {
    for n in SIZES {
        let (present, absent) = (keys(n), absent_keys(n));
        let (hand, ours) = (hand_written(&present), locked_map(&present));
        let mut group = c.benchmark_group(format!("locked_vs_hand_written/{n}"));
        macro_rules! both {
            ($op:literal, $time:ident, $keys:expr) => {
                group.bench_function(BenchmarkId::new($op, "hand_written"), |b| {
                    b.iter_custom(|iters| $time(&hand, HAND_WRITTEN, $keys, iters))
                });
                group.bench_function(BenchmarkId::new($op, "cmap_locked"), |b| {
                    b.iter_custom(|iters| $time(&ours, LOCKED, $keys, iters))
                });
            };
        }
        both!("get", time_get, &present);
        both!("insert", time_insert, &absent);
        both!("remove", time_remove, &present);
        both!("upsert", time_upsert, &present);
        group.finish();
    }
}

criterion_group!(locked, benches);
criterion_main!(locked);
