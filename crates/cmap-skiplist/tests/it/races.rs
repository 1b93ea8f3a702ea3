//! Readers racing writers and garbage collection.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use cmap_core::{ConcurrentMap, Ordered, OrderedSnapshot, Snapshot, Snapshots};
use cmap_skiplist::{SkipListMap, SkipListSnapshot};

/// One writer overwrites a key that is always present with ever larger values, so every write
/// makes the previous version garbage. A reader must never find the key missing (a collected
/// version it still needed) nor see its value go back. Removing replaced versions at once, instead
/// of deferring the removal past the readers pinned at the time, fails this within a second.
/// Scaled up by `--ignored`.
fn latest_reads_survive_collection(writes: u64) {
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..64 {
        map.insert(k, 0);
    }
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (map, done) = (&map, &done);
                scope.spawn(move || {
                    let mut last = [0u64; 64];
                    let mut reads = 0u64;
                    while !done.load(Ordering::Acquire) || reads == 0 {
                        let k = (reads * 7 + r) % 64;
                        let value = map
                            .get(&k)
                            .unwrap_or_else(|| panic!("reader {r}: key {k} went missing"));
                        assert!(
                            value >= last[k as usize],
                            "reader {r}: key {k} went back from {} to {value}",
                            last[k as usize]
                        );
                        last[k as usize] = value;
                        reads += 1;
                    }
                })
            })
            .collect();
        for i in 1..=writes {
            map.insert(i % 64, i);
        }
        done.store(true, Ordering::Release);
        for reader in readers {
            reader
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
    });
    assert_eq!(map.len(), 64);
}

#[test]
fn latest_reads_never_miss_a_key_being_overwritten() {
    latest_reads_survive_collection(100_000);
}

#[test]
#[ignore = "stress: 5M overwrites, under a minute; run with --ignored"]
fn latest_reads_never_miss_a_key_being_overwritten_stress() {
    latest_reads_survive_collection(5_000_000);
}

fn contents(snapshot: &SkipListSnapshot<u64, u64>) -> Vec<(u64, u64)> {
    let mut entries = Vec::new();
    snapshot.for_each(|k, v| entries.push((*k, *v)));
    entries
}

/// While a writer inserts, overwrites and removes (collecting garbage as it goes), snapshots
/// taken at random moments answer the same when read again at the end, after a compaction, by
/// scan, range and `get`, and `len` agrees with the scan. Values are the writer's op counter, so
/// a later snapshot's newest value is never older than an earlier one's.
#[test]
fn snapshots_read_the_same_forever_under_churn() {
    let map = SkipListMap::<u64, u64>::new();
    let done = AtomicBool::new(false);
    let taken = AtomicUsize::new(0);
    let kept = thread::scope(|scope| {
        let reader = {
            let (map, done, taken) = (&map, &done, &taken);
            scope.spawn(move || {
                let mut kept = Vec::new();
                while !done.load(Ordering::Acquire) {
                    let snapshot = map.snapshot();
                    let first = contents(&snapshot);
                    assert_eq!(snapshot.len(), first.len(), "len disagrees with the scan");
                    kept.push((snapshot, first));
                    taken.fetch_add(1, Ordering::Relaxed);
                    thread::yield_now();
                }
                kept
            })
        };
        // At least 60,000 writes, and on until the reader has taken a few snapshots while they
        // went on: on a loaded machine it may not get a core at first.
        let mut i = 0u64;
        while i < 60_000 || taken.load(Ordering::Relaxed) < 4 {
            i += 1;
            let k = (i * 2_654_435_761) % 2_000;
            if i.is_multiple_of(3) {
                map.remove(&k);
            } else {
                map.insert(k, i);
            }
        }
        done.store(true, Ordering::Release);
        reader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    assert!(!kept.is_empty());
    map.compact();
    for (i, (snapshot, first)) in kept.iter().enumerate() {
        assert_eq!(&contents(snapshot), first, "snapshot {i} changed");
        for &(k, v) in first.iter().step_by(17) {
            assert_eq!(snapshot.get(&k), Some(v), "snapshot {i}: get({k})");
        }
        let mut ranged = Vec::new();
        snapshot.range_with(500..1500, |k, v| {
            ranged.push((*k, *v));
            ControlFlow::Continue(())
        });
        let expected: Vec<_> = first
            .iter()
            .copied()
            .filter(|(k, _)| (500..1500).contains(k))
            .collect();
        assert_eq!(ranged, expected, "snapshot {i}: range");
    }
    // Snapshots taken later never hold fewer writes: each one's newest value is at least the
    // previous one's.
    let newest: Vec<u64> = kept
        .iter()
        .map(|(_, first)| first.iter().map(|&(_, v)| v).max().unwrap_or(0))
        .collect();
    assert!(
        newest.windows(2).all(|w| w[0] <= w[1]),
        "snapshots went back in time"
    );
}

/// A latest-state scan sees every key that stays unchanged during it, in order, each once.
#[test]
fn latest_scans_see_every_stable_key_once() {
    let map = SkipListMap::<u64, u64>::new();
    // Even keys are stable; odd keys churn.
    for k in (0..4_000).step_by(2) {
        map.insert(k, k);
    }
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let writer = {
            let (map, done) = (&map, &done);
            scope.spawn(move || {
                let mut i = 0u64;
                while !done.load(Ordering::Acquire) {
                    let k = ((i * 7919) % 4_000) | 1;
                    if i.is_multiple_of(2) {
                        map.insert(k, k);
                    } else {
                        map.remove(&k);
                    }
                    i += 1;
                }
            })
        };
        for _ in 0..20 {
            let mut last = None;
            let mut stable = 0;
            map.range_with(.., |k, v| {
                assert!(last.is_none_or(|last| last < *k), "keys out of order");
                assert_eq!(k, v);
                last = Some(*k);
                stable += usize::from(k % 2 == 0);
                ControlFlow::Continue(())
            });
            assert_eq!(stable, 2_000, "a stable key was missed");
        }
        done.store(true, Ordering::Release);
        writer.join().unwrap();
    });
}

#[test]
fn string_keys_and_values() {
    let map = SkipListMap::<String, String>::new();
    for word in ["pear", "apple", "fig"] {
        map.insert(word.to_owned(), word.to_uppercase());
    }
    let snapshot = map.snapshot();
    map.remove(&"fig".to_owned());
    let mut keys = Vec::new();
    snapshot.for_each(|k, _| keys.push(k.clone()));
    assert_eq!(keys, ["apple", "fig", "pear"]);
    assert_eq!(map.get(&"apple".to_owned()).as_deref(), Some("APPLE"));
    assert_eq!(map.len(), 2);
}

#[test]
fn snapshots_are_send_sync_and_static() {
    fn owned<T: Send + Sync + 'static>(_: &T) {}
    let map = SkipListMap::<u64, u64>::new();
    owned(&map.snapshot());
    owned(&map);
}
