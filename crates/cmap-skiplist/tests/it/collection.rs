//! Garbage collection: which versions stay, which go, and when.

use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
use cmap_skiplist::SkipListMap;

/// Lets deferred removals run: they wait for every thread pinned when they were decided, and
/// flushing from this thread advances the epoch once the others have moved on.
///
/// The other tests of this binary pin the epoch too, some for a whole scan, and a loaded machine
/// can keep them on the CPU for seconds: so the wait is bounded by time, generously, not by a
/// number of tries (10,000 tries once ran out here with 16 versions still pending).
fn settle(map: &SkipListMap<u64, u64>, expected_versions: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if map.version_count() == expected_versions {
            return;
        }
        for _ in 0..64 {
            crossbeam_epoch::pin().flush();
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(
        map.version_count(),
        expected_versions,
        "garbage was not collected"
    );
}

#[test]
fn writers_keep_one_version_per_key_when_no_snapshot_is_live() {
    let map = SkipListMap::<u64, u64>::new();
    for round in 0..20 {
        for k in 0..500 {
            map.insert(k, k + round);
        }
        for k in (0..500).step_by(3) {
            let _ = map.upsert(k, || 0, |v| *v += 1);
        }
        for k in (0..500).filter(|k| k % 5 == round % 5) {
            map.remove(&k);
        }
    }
    let live = map.len();
    assert_eq!(live, (0..500).filter(|k| k % 5 != 19 % 5).count());
    settle(&map, live);
}

#[test]
fn a_snapshot_keeps_exactly_the_versions_it_sees() {
    let map = SkipListMap::<u64, u64>::new();
    map.insert(1, 10);
    map.insert(2, 20);
    let snapshot = map.snapshot();
    for v in 11..15 {
        map.insert(1, v);
    }
    map.remove(&2);
    // Key 1: version 10 (the snapshot's) and 14 (the latest); 11..13 were seen by no one.
    // Key 2: version 20 (the snapshot's) and the tombstone that hides it from the latest state.
    settle(&map, 4);
    assert_eq!((snapshot.get(&1), snapshot.get(&2)), (Some(10), Some(20)));
    assert_eq!((map.get(&1), map.get(&2)), (Some(14), None));
    drop(snapshot);
    // The dropped snapshot's versions wait for a write to their key, or for `compact`.
    assert_eq!(map.version_count(), 4);
    map.compact();
    settle(&map, 1);
    assert_eq!((map.get(&1), map.get(&2), map.len()), (Some(14), None, 1));
}

#[test]
fn two_snapshots_keep_the_versions_between_them() {
    let map = SkipListMap::<u64, u64>::new();
    map.insert(7, 0);
    let first = map.snapshot();
    map.insert(7, 1);
    map.insert(7, 2);
    let second = map.snapshot();
    map.insert(7, 3);
    map.insert(7, 4);
    settle(&map, 3);
    assert_eq!(
        (first.get(&7), second.get(&7), map.get(&7)),
        (Some(0), Some(2), Some(4))
    );
    drop(first);
    map.insert(7, 5);
    // Version 0 went with the first snapshot; version 2 stays for the second.
    settle(&map, 2);
    assert_eq!(second.get(&7), Some(2));
}

#[test]
fn a_tombstone_goes_once_nothing_is_left_to_hide() {
    let map = SkipListMap::<u64, u64>::new();
    map.insert(1, 1);
    map.insert(1, 2);
    map.remove(&1);
    settle(&map, 0);
    assert!(map.is_empty());
    // A removed key written again starts from a single version.
    map.insert(1, 3);
    settle(&map, 1);
}

#[test]
fn batches_collect_what_they_replace() {
    let map = SkipListMap::<u64, u64>::new();
    for round in 0..50 {
        map.batch(|batch| {
            for k in 0..20 {
                batch.insert(k, round);
            }
            batch.remove(&(round % 20));
        });
    }
    assert_eq!(map.len(), 19);
    // The key the last batch removed leaves nothing behind: its tombstone hides only garbage.
    settle(&map, 19);
    assert_eq!(map.get(&9), None);
    assert!((0..20).filter(|&k| k != 9).all(|k| map.get(&k) == Some(49)));
}

#[test]
fn compact_keeps_what_live_snapshots_see() {
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..3000 {
        map.insert(k, 0);
    }
    let snapshot = map.snapshot();
    for k in 0..3000 {
        map.insert(k, 1);
    }
    map.compact();
    settle(&map, 6000);
    assert_eq!(snapshot.len(), 3000);
    let mut sum = 0;
    snapshot.for_each(|_, v| sum += v);
    assert_eq!(sum, 0, "the snapshot lost versions to compaction");
    drop(snapshot);
    map.compact();
    settle(&map, 3000);
}
