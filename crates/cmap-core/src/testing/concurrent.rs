//! Checks with many threads on one map: lost updates, disjoint writers, panics in closures.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};
use std::thread;

use super::{InjectedPanic, XorShift, injected_panic, scaled, with_deadline};
use crate::{ConcurrentMap, Upsert};

/// More threads than the machine has cores, so threads are preempted in the middle of operations
/// and interleavings vary even on a small machine.
const THREADS: usize = 4;
/// A small shared key set, so threads keep colliding on the same keys.
const SHARED_KEYS: u64 = 8;

/// Runs `work(thread_index)` on [`THREADS`] threads released together by a barrier.
fn on_threads(work: impl Fn(usize) + Send + Sync) {
    let barrier = Barrier::new(THREADS);
    thread::scope(|scope| {
        for t in 0..THREADS {
            let (barrier, work) = (&barrier, &work);
            scope.spawn(move || {
                barrier.wait();
                work(t);
            });
        }
    });
}

fn sum_of<M: ConcurrentMap<Key = u64, Value = u64>>(map: &M, keys: std::ops::Range<u64>) -> u64 {
    keys.map(|k| map.get(&k).unwrap_or(0)).sum()
}

/// [`THREADS`] threads each do N `upsert` increments over [`SHARED_KEYS`] keys, starting from an
/// empty map (so they also race to insert each key first). The sum must be exactly T x N.
pub fn check_no_lost_upserts<M, F>(factory: F)
where
    M: ConcurrentMap<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_no_lost_upserts", move || {
        let per_thread = scaled(20_000);
        let map = factory();
        on_threads(|t| {
            let mut rng = XorShift::new(t as u64 + 1);
            for _ in 0..per_thread {
                let _ = map.upsert(rng.below(SHARED_KEYS), || 1, |n| *n += 1);
            }
        });
        let expected = (THREADS * per_thread) as u64;
        let total = sum_of(&map, 0..SHARED_KEYS);
        assert_eq!(
            total,
            expected,
            "check_no_lost_upserts: {THREADS} threads x {per_thread} upserts summed to {total}, \
             not {expected}: {} updates were lost",
            expected as i64 - total as i64
        );
        assert_eq!(
            map.len(),
            SHARED_KEYS as usize,
            "check_no_lost_upserts: len"
        );
    });
}

/// [`THREADS`] threads each do N `update` increments over [`SHARED_KEYS`] prefilled keys, while
/// the keys stay present. The sum must be exactly T x N.
pub fn check_no_lost_updates<M, F>(factory: F)
where
    M: ConcurrentMap<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_no_lost_updates", move || {
        let per_thread = scaled(20_000);
        let map = factory();
        for k in 0..SHARED_KEYS {
            map.insert(k, 0);
        }
        on_threads(|t| {
            let mut rng = XorShift::new(t as u64 + 100);
            for _ in 0..per_thread {
                let k = rng.below(SHARED_KEYS);
                assert_eq!(
                    map.update(&k, |n| *n += 1),
                    Some(()),
                    "update of present key {k}"
                );
            }
        });
        let expected = (THREADS * per_thread) as u64;
        let total = sum_of(&map, 0..SHARED_KEYS);
        assert_eq!(
            total, expected,
            "check_no_lost_updates: {THREADS} threads x {per_thread} updates summed to {total}, \
             not {expected}"
        );
    });
}

/// Each thread inserts its own range of keys, removes the odd ones, overwrites some even ones,
/// and reads its own keys back, all while the other threads do the same next to it. At
/// quiescence the map holds exactly the even keys with their last values, and `len` agrees.
pub fn check_disjoint_inserts_removes<M, F>(factory: F)
where
    M: ConcurrentMap<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_disjoint_inserts_removes", move || {
        let per_thread = scaled(10_000) as u64;
        let map = factory();
        let value = |k: u64| k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        on_threads(|t| {
            let base = t as u64 * per_thread;
            for k in base..base + per_thread {
                assert_eq!(map.insert(k, k), None, "fresh insert of {k} found a value");
            }
            for k in (base..base + per_thread).filter(|k| k % 2 == 1) {
                assert_eq!(map.remove(&k), Some(k), "remove of {k}");
                assert_eq!(map.remove(&k), None, "second remove of {k}");
            }
            for k in (base..base + per_thread).filter(|k| k % 2 == 0) {
                assert_eq!(map.insert(k, value(k)), Some(k), "overwrite of {k}");
                assert_eq!(map.get(&k), Some(value(k)), "read back of {k}");
            }
        });
        let total = THREADS as u64 * per_thread;
        for k in 0..total {
            let expected = (k % 2 == 0).then(|| value(k));
            assert_eq!(
                map.get(&k),
                expected,
                "check_disjoint_inserts_removes: key {k}"
            );
        }
        assert_eq!(
            map.len(),
            (total / 2) as usize,
            "check_disjoint_inserts_removes: len at quiescence"
        );
        assert!(!map.is_empty());
    });
}

fn assert_injected(result: std::thread::Result<impl Sized>, what: &str) {
    match result {
        Ok(_) => panic!("check_panic_safety: {what} returned normally; the panic was swallowed"),
        Err(payload) if payload.is::<InjectedPanic>() => {}
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// One thread makes user closures panic in `get_with`, `update` and `upsert` (both `make` and
/// `modify`) over and over, while the other threads increment their own counters. Each panic must
/// reach its caller; afterwards the same thread keeps using the map; nothing deadlocks; values
/// whose closure panicked before touching them are unchanged; no counter increment is lost.
pub fn check_panic_safety<M, F>(factory: F)
where
    M: ConcurrentMap<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_panic_safety", move || {
        let rounds = scaled(2_000);
        let map = Arc::new(factory());
        const PANIC_KEYS: u64 = 64;
        let counters = PANIC_KEYS..PANIC_KEYS + SHARED_KEYS;
        for k in 0..PANIC_KEYS {
            map.insert(k, k);
        }
        let absent = 1_000_000u64;
        on_threads(|t| {
            if t == 0 {
                for round in 0..rounds {
                    let k = round as u64 % PANIC_KEYS;
                    assert_injected(
                        catch_unwind(AssertUnwindSafe(|| map.get_with(&k, |_| injected_panic()))),
                        "get_with",
                    );
                    assert_injected(
                        catch_unwind(AssertUnwindSafe(|| map.update(&k, |_| injected_panic()))),
                        "update",
                    );
                    assert_injected(
                        catch_unwind(AssertUnwindSafe(|| {
                            map.upsert(k, || 0, |_| -> () { injected_panic() })
                        })),
                        "upsert (modify)",
                    );
                    assert_injected(
                        catch_unwind(AssertUnwindSafe(|| {
                            map.upsert(absent, || injected_panic(), |_| ())
                        })),
                        "upsert (make)",
                    );
                    // The panicking thread itself carries on: no poisoned lock, no stuck state.
                    assert_eq!(map.get(&k), Some(k), "value {k} after panicking closures");
                    assert!(
                        !map.contains_key(&absent),
                        "upsert whose make panicked inserted"
                    );
                }
            } else {
                let mut rng = XorShift::new(t as u64);
                for _ in 0..rounds * 4 {
                    let c = PANIC_KEYS + rng.below(SHARED_KEYS);
                    let _ = map.upsert(c, || 1, |n| *n += 1);
                    let k = rng.below(PANIC_KEYS);
                    assert_eq!(map.get(&k), Some(k), "another thread read key {k}");
                }
            }
        });
        let expected = ((THREADS - 1) * rounds * 4) as u64;
        let total = sum_of(&*map, counters);
        assert_eq!(
            total, expected,
            "check_panic_safety: counter increments lost around panics"
        );
        assert_eq!(
            map.len(),
            (PANIC_KEYS + SHARED_KEYS) as usize,
            "check_panic_safety: len"
        );
        // Every kind of write still works after the panics.
        assert_eq!(map.insert(absent, 1), None);
        assert_eq!(map.update(&absent, |v| *v + 1), Some(2));
        assert_eq!(map.upsert(absent, || 0, |v| *v), Upsert::Modified(1));
        assert_eq!(map.remove(&absent), Some(1));
    });
}
