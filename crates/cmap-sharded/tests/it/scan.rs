//! Scans: exact at quiescence, per-shard consistent under writers, never running the closure
//! under a lock.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use cmap_core::ConcurrentMap;
use cmap_sharded::ShardedMap;

#[test]
fn scan_at_quiescence_sees_everything_once() {
    let map = ShardedMap::<u64, u64>::with_shards(8);
    for k in 0..10_000 {
        map.insert(k, k * 2);
    }
    let mut seen = HashMap::new();
    map.for_each(|&k, &v| assert!(seen.insert(k, v).is_none(), "key {k} seen twice"));
    assert_eq!(seen.len(), 10_000);
    assert!(seen.iter().all(|(&k, &v)| v == k * 2));
}

#[test]
fn scan_stops_when_asked() {
    let map = ShardedMap::<u64, u64>::with_shards(8);
    for k in 0..1000 {
        map.insert(k, k);
    }
    let mut visited = 0;
    map.scan(|_, _| {
        visited += 1;
        if visited == 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(visited, 10);
}

/// The closure runs with no lock held: it may write to the very shard being scanned, which would
/// deadlock if the scan held that shard's read lock.
#[test]
fn scan_closure_may_write_to_the_map() {
    let map = ShardedMap::<u64, u64>::with_shards(1);
    for k in 0..100 {
        map.insert(k, k);
    }
    map.for_each(|&k, &v| {
        map.insert(k, v + 1);
        map.remove(&(k + 1000));
    });
    assert!((0..100).all(|k| map.get(&k) == Some(k + 1)));
}

/// A writer moves a token along the keys of one shard, inserting the next key before removing
/// the current one, so at every instant the shard holds one token or two adjacent ones. A scan
/// copies the shard at one instant, so it sees exactly that; a live walk of the table could miss
/// both (the new key behind its cursor, the old one removed ahead of it).
///
/// Meanwhile keys that no writer touches are always seen, exactly once.
#[test]
fn scan_is_consistent_within_a_shard_under_writes() {
    let map = ShardedMap::<u64, u64>::with_shards(1);
    const STABLE: u64 = 1000;
    const TOKEN_BASE: u64 = 1 << 40;
    for k in 0..STABLE {
        map.insert(k, k);
    }
    map.insert(TOKEN_BASE, 0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut at = TOKEN_BASE;
            while !stop.load(Ordering::Relaxed) {
                map.insert(at + 1, 0);
                map.remove(&at);
                at += 1;
            }
        });
        for _ in 0..300 {
            let (mut tokens, mut stable) = (Vec::new(), 0);
            map.for_each(|&k, _| {
                if k >= TOKEN_BASE {
                    tokens.push(k);
                } else {
                    stable += 1;
                }
            });
            tokens.sort_unstable();
            let consistent = match tokens[..] {
                [_] => true,
                [a, b] => b == a + 1,
                _ => false,
            };
            assert!(consistent, "the scan saw tokens {tokens:?}");
            assert_eq!(stable, STABLE);
        }
        stop.store(true, Ordering::Relaxed);
    });
}

/// Keys inserted in order by a writer while a scan runs: in a one-shard map the scan sees a
/// prefix of the inserts (one instant), never a key without all the keys inserted before it.
#[test]
fn one_shard_scan_sees_a_prefix() {
    let map = ShardedMap::<u64, u64>::with_shards(1);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) && k < 200_000 {
                map.insert(k, k);
                k += 1;
            }
        });
        for _ in 0..100 {
            let mut keys = Vec::new();
            map.for_each(|&k, _| keys.push(k));
            keys.sort_unstable();
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(*k, i as u64, "the scan saw key {k} but not key {i}");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
}
