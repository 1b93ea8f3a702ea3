//! Snapshot and batch invariants under concurrent writers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::{InjectedPanic, XorShift, injected_panic, scaled, with_deadline};
use crate::{Batch, Snapshot, Snapshots};

/// Reads a snapshot taken while keys 0, 1, 2, ... were inserted in order and returns how many keys
/// it holds, failing unless they are exactly `0..n` with the values the writer wrote.
fn prefix_length<S: Snapshot<Key = u64, Value = u64>>(snapshot: &S, context: &str) -> u64 {
    let mut keys = Vec::new();
    snapshot.for_each(|k, v| {
        assert_eq!(*v, k * 2, "{context}: key {k} has value {v}, not {}", k * 2);
        keys.push(*k);
    });
    keys.sort_unstable();
    let n = keys.len() as u64;
    if let Some(hole) = (0..n).zip(&keys).find(|(i, k)| i != *k) {
        panic!(
            "{context}: the snapshot holds {n} keys but not 0..{n}: key {} is missing while later \
             keys are present; a state that never existed",
            hole.0
        );
    }
    assert_eq!(
        snapshot.len() as u64,
        n,
        "{context}: len disagrees with the scan"
    );
    if n > 0 {
        assert_eq!(
            snapshot.get(&(n - 1)),
            Some((n - 1) * 2),
            "{context}: get of the last key"
        );
    }
    assert_eq!(
        snapshot.get(&n),
        None,
        "{context}: get({n}) sees a key the scan did not"
    );
    n
}

/// While one writer inserts keys 0, 1, 2, ... in order, readers take snapshots and scan them:
/// every snapshot must hold a prefix `0..n` with no holes, each reader's `n` must never go back,
/// and every snapshot, read again after the writer has finished, must give the same answer.
///
/// One snapshot is taken before the writer starts, so a map whose snapshots see later writes is
/// caught on every run, not only when the timing is unlucky.
pub fn check_snapshot_prefix<M, F>(factory: F)
where
    M: Snapshots<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_snapshot_prefix", move || {
        let keys = scaled(40_000) as u64;
        let map = factory();
        let before = map.snapshot();
        let done = AtomicBool::new(false);
        let kept: Vec<Vec<(M::Snapshot, u64)>> = thread::scope(|scope| {
            let readers: Vec<_> = (0..2)
                .map(|r| {
                    let (map, done) = (&map, &done);
                    scope.spawn(move || {
                        let mut kept = Vec::new();
                        let mut last = 0;
                        let mut taken = 0u64;
                        loop {
                            let finished = done.load(Ordering::Acquire);
                            let snapshot = map.snapshot();
                            let n =
                                prefix_length(&snapshot, &format!("reader {r}, snapshot {taken}"));
                            assert!(
                                n >= last,
                                "reader {r}: snapshot went back from {last} keys to {n}"
                            );
                            last = n;
                            if taken.is_multiple_of(8) && kept.len() < 64 {
                                kept.push((snapshot, n));
                            }
                            taken += 1;
                            if finished {
                                assert_eq!(
                                    n, keys,
                                    "reader {r}: a snapshot after the writer finished"
                                );
                                return kept;
                            }
                        }
                    })
                })
                .collect();
            for k in 0..keys {
                map.insert(k, k * 2);
            }
            done.store(true, Ordering::Release);
            readers
                .into_iter()
                .map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        assert_eq!(
            prefix_length(
                &before,
                "the snapshot taken before any write, read at the end"
            ),
            0,
            "check_snapshot_prefix: a snapshot of the empty map saw later writes"
        );
        for (r, snapshots) in kept.iter().enumerate() {
            for (i, (snapshot, n)) in snapshots.iter().enumerate() {
                let again =
                    prefix_length(snapshot, &format!("reader {r}, kept snapshot {i}, re-read"));
                assert_eq!(
                    again, *n,
                    "check_snapshot_prefix: a snapshot changed after it was taken"
                );
            }
        }
    });
}

/// A snapshot stays readable after the map it came from is dropped, on another thread.
pub fn check_snapshot_outlives_map<M, F>(factory: F)
where
    M: Snapshots<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_snapshot_outlives_map", move || {
        let map = factory();
        for k in 0..1000 {
            map.insert(k, k * 2);
        }
        let snapshot = map.snapshot();
        for k in 1000..2000 {
            map.insert(k, k * 2);
        }
        drop(map);
        let n =
            thread::spawn(move || prefix_length(&snapshot, "snapshot after its map was dropped"))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
        assert_eq!(n, 1000, "check_snapshot_outlives_map");
    });
}

const ACCOUNTS: u64 = 16;
const OPENING_BALANCE: u64 = 1_000;

/// Moves a random amount between two random accounts in one batch.
fn transfer<M: Batch<Key = u64, Value = u64>>(map: &M, rng: &mut XorShift) {
    let from = rng.below(ACCOUNTS);
    let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
    let wanted = rng.below(100);
    map.batch(|batch| {
        let a = batch
            .get(&from)
            .expect("an account vanished inside a batch");
        let b = batch.get(&to).expect("an account vanished inside a batch");
        let amount = wanted.min(a);
        batch.insert(from, a - amount);
        batch.insert(to, b + amount);
    });
}

fn open_accounts<M: Batch<Key = u64, Value = u64>>(map: &M) {
    map.batch(|batch| {
        for k in 0..ACCOUNTS {
            batch.insert(k, OPENING_BALANCE);
        }
    });
}

fn assert_total_at_rest<M: Batch<Key = u64, Value = u64>>(map: &M, context: &str) {
    let total: u64 = (0..ACCOUNTS)
        .map(|k| map.get(&k).expect("an account vanished"))
        .sum();
    assert_eq!(
        total,
        ACCOUNTS * OPENING_BALANCE,
        "{context}: money was created or destroyed"
    );
    assert_eq!(map.len(), ACCOUNTS as usize, "{context}: len");
}

/// Writers move amounts between accounts in atomic batches that read both balances first; with
/// batches serializable, no transfer is lost and the total stays constant.
pub fn check_bank<M, F>(factory: F)
where
    M: Batch<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_bank", move || {
        let map = factory();
        open_accounts(&map);
        let transfers = scaled(5_000);
        thread::scope(|scope| {
            for w in 0..3 {
                let map = &map;
                scope.spawn(move || {
                    let mut rng = XorShift::new(w + 11);
                    for _ in 0..transfers {
                        transfer(map, &mut rng);
                    }
                });
            }
        });
        assert_total_at_rest(&map, "check_bank");
    });
}

/// The bank invariant seen through snapshots: while writers transfer in batches, every snapshot,
/// taken at any moment and scanned at leisure, holds every account and the constant total.
pub fn check_bank_snapshots<M, F>(factory: F)
where
    M: Batch<Key = u64, Value = u64> + Snapshots<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_bank_snapshots", move || {
        let map = factory();
        open_accounts(&map);
        let transfers = scaled(5_000);
        let done = AtomicBool::new(false);
        let expected = ACCOUNTS * OPENING_BALANCE;
        thread::scope(|scope| {
            let readers: Vec<_> = (0..2)
                .map(|r| {
                    let (map, done) = (&map, &done);
                    scope.spawn(move || {
                        let mut checked = 0u64;
                        while !done.load(Ordering::Acquire) || checked == 0 {
                            let snapshot = map.snapshot();
                            let (mut total, mut accounts) = (0, 0);
                            snapshot.for_each(|_, v| {
                                total += v;
                                accounts += 1;
                            });
                            assert_eq!(
                                (accounts, total),
                                (ACCOUNTS, expected),
                                "reader {r}: snapshot {checked} does not balance: a batch was \
                                 seen half-applied"
                            );
                            assert_eq!(snapshot.len() as u64, ACCOUNTS, "reader {r}: snapshot len");
                            checked += 1;
                        }
                    })
                })
                .collect();
            let writers: Vec<_> = (0..2)
                .map(|w| {
                    let map = &map;
                    scope.spawn(move || {
                        let mut rng = XorShift::new(w + 21);
                        for _ in 0..transfers {
                            transfer(map, &mut rng);
                        }
                    })
                })
                .collect();
            for w in writers {
                w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            }
            done.store(true, Ordering::Release);
            for r in readers {
                r.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            }
        });
        assert_total_at_rest(&map, "check_bank_snapshots");
    });
}

/// A batch whose closure panics half-way applies none of its writes, the panic reaches the
/// caller, and the map takes further batches.
pub fn check_batch_panic_is_atomic<M, F>(factory: F)
where
    M: Batch<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_batch_panic_is_atomic", move || {
        let map = factory();
        for k in 0..10 {
            map.insert(k, k);
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            map.batch(|batch| {
                batch.insert(100, 100);
                batch.remove(&3);
                batch.insert(4, 44);
                injected_panic()
            })
        }));
        match result {
            Ok(()) => panic!("check_batch_panic_is_atomic: the panic was swallowed"),
            Err(p) if p.is::<InjectedPanic>() => {}
            Err(p) => std::panic::resume_unwind(p),
        }
        assert_eq!(
            map.get(&100),
            None,
            "an insert from the panicked batch is visible"
        );
        assert_eq!(
            map.get(&3),
            Some(3),
            "a remove from the panicked batch is visible"
        );
        assert_eq!(
            map.get(&4),
            Some(4),
            "an overwrite from the panicked batch is visible"
        );
        assert_eq!(map.len(), 10, "len after the panicked batch");
        let old = map.batch(|batch| {
            assert_eq!(batch.insert(5, 55), Some(5));
            assert_eq!(
                batch.get(&5),
                Some(55),
                "a batch does not see its own write"
            );
            assert_eq!(batch.remove(&6), Some(6));
            assert_eq!(batch.get(&6), None, "a batch still sees a key it removed");
            batch.get(&7)
        });
        assert_eq!(old, Some(7));
        assert_eq!((map.get(&5), map.get(&6), map.len()), (Some(55), None, 9));
    });
}
