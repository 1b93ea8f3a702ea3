//! The conformance suite against the sharded map in several configurations, and the map's own
//! promises: shard spread, statistics, scans, capacity hints.

mod scan;
mod shards;

use cmap_core::ConcurrentMap;
use cmap_sharded::{Resize, ShardedMap};

cmap_core::conformance_suite!(
    one_shard,
    ShardedMap::<u64, u64>::builder().shards(1).build()
);
cmap_core::conformance_suite!(default_shards, ShardedMap::<u64, u64>::new());
cmap_core::conformance_suite!(
    default_shards_presized,
    ShardedMap::<u64, u64>::with_capacity(1 << 16)
);
cmap_core::conformance_suite!(
    many_shards,
    ShardedMap::<u64, u64>::builder().shards(256).build()
);
cmap_core::conformance_suite!(
    blocking_resize,
    ShardedMap::<u64, u64>::builder()
        .resize(Resize::Blocking)
        .build()
);
// The smallest step on few shards: resizes run for many writes, so the concurrent checks keep
// meeting shards with a migration in progress (`resizes_are_in_progress_under_the_suite` below
// shows that they do).
cmap_core::conformance_suite!(
    slow_incremental_resize,
    ShardedMap::<u64, u64>::builder()
        .shards(2)
        .resize(Resize::Incremental { step: 2 })
        .build()
);
cmap_core::conformance_suite!(
    hybrid_resize,
    ShardedMap::<u64, u64>::builder()
        .shards(2)
        .resize(Resize::Hybrid {
            step: 2,
            threshold: 1000
        })
        .build()
);

/// The `slow_incremental_resize` configuration keeps a resize in progress for a large share of
/// the time while a map grows, so the suite's concurrent checks, which grow their maps to tens
/// of thousands of keys, run on maps whose two-table paths are live. Checked at fixed points of
/// a single writer's inserts, so the outcome does not depend on thread scheduling.
#[test]
fn resizes_are_in_progress_under_the_suite() {
    let map = ShardedMap::<u64, u64>::builder()
        .shards(2)
        .resize(Resize::Incremental { step: 2 })
        .build();
    let (mut checkpoints, mut resizing) = (0, 0);
    for k in 0..40_000 {
        map.insert(k, k);
        if k % 100 == 99 {
            checkpoints += 1;
            resizing += usize::from(map.shard_stats().resizing > 0);
        }
    }
    assert_eq!(map.len(), 40_000);
    // A migration moves at most 2 entries per write, so moving c entries spans at least c / 2
    // writes of the c inserts between two doublings of a shard: about half the time per shard.
    // (Measured: about 64% of checkpoints; the bound leaves room for uneven shards.)
    assert!(
        resizing * 3 > checkpoints,
        "a resize was in progress at only {resizing} of {checkpoints} checkpoints"
    );
}

#[test]
fn shrink_to_fit_keeps_contents() {
    let map = ShardedMap::<u64, u64>::builder()
        .shards(4)
        .capacity(1 << 16)
        .build();
    for k in 0..100 {
        map.insert(k, k);
    }
    let before = map.capacity();
    map.shrink_to_fit();
    assert!(
        map.capacity() < before,
        "shrink_to_fit released nothing: {before} -> {}",
        map.capacity()
    );
    assert!(map.capacity() >= 100);
    assert!((0..100).all(|k| map.get(&k) == Some(k)));
}

#[test]
fn capacity_hint_is_spread_over_shards() {
    let n = 100_000;
    let map = ShardedMap::<u64, u64>::builder()
        .shards(16)
        .capacity(n)
        .build();
    let stats = map.shard_stats();
    assert!(stats.capacities.iter().all(|&c| c >= n / 16), "{stats:?}");
    let before = stats.capacities.clone();
    for k in 0..n as u64 {
        map.insert(k, k);
    }
    // Presized for n, filling to n resizes no shard.
    assert_eq!(map.shard_stats().capacities, before);
}

#[test]
fn shard_count_is_a_power_of_two() {
    for (asked, got) in [(0, 1), (1, 1), (3, 4), (16, 16), (17, 32)] {
        assert_eq!(
            ShardedMap::<u64, u64>::with_shards(asked).shard_count(),
            got
        );
    }
    assert!(
        ShardedMap::<u64, u64>::new()
            .shard_count()
            .is_power_of_two()
    );
    assert_eq!(
        ShardedMap::<u64, u64>::new().shard_count(),
        cmap_sharded::default_shard_count()
    );
}

#[test]
fn string_keys_and_clear() {
    let map = ShardedMap::<String, u64>::new();
    for word in "a b a c b a".split(' ') {
        let _ = map.upsert(word.to_owned(), || 1, |n| *n += 1);
    }
    assert_eq!(map.get(&"a".to_owned()), Some(3));
    assert_eq!(map.len(), 3);
    map.clear();
    assert!(map.is_empty());
}

#[test]
fn map_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ShardedMap<String, Vec<u8>>>();
}
