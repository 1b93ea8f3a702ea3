//! The resize machinery, checked from inside: a model test whose lookups land in the middle of
//! migrations, and the invariants the incremental resize promises.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cmap_core::DefaultHashBuilder;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{Growth, Shard};

const STEP: usize = 2;
const INCREMENTAL: Growth = Growth::Incremental {
    step: STEP,
    from: 0,
};

#[derive(Debug, Clone)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    Update(u64, u64),
    Upsert(u64, u64, u64),
    Get(u64),
    /// Inserts a run of fresh keys, to push the shard into its next resize.
    Grow(u64, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..512u64;
    prop_oneof![
        4 => (key.clone(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => key.clone().prop_map(Op::Remove),
        1 => (key.clone(), any::<u64>()).prop_map(|(k, d)| Op::Update(k, d)),
        2 => (key.clone(), any::<u64>(), any::<u64>()).prop_map(|(k, v, d)| Op::Upsert(k, v, d)),
        4 => key.prop_map(Op::Get),
        1 => (512..1u64 << 20, any::<u8>()).prop_map(|(k, n)| Op::Grow(k, n)),
    ]
}

/// Checks the structural invariants and returns whether a migration is in progress.
fn check_invariants(shard: &Shard<u64, u64>, hasher: &impl Fn(&u64) -> u64) -> bool {
    let Some(m) = &shard.migration else {
        return false;
    };
    assert!(!m.old.is_empty(), "a finished migration was kept");
    for (k, _) in &m.old {
        assert!(
            shard.table.find(hasher(k), |e| e.0 == *k).is_none(),
            "key {k} is in both tables"
        );
    }
    for index in 0..m.next_bucket {
        assert!(
            m.old.get_bucket(index).is_none(),
            "old bucket {index} behind the cursor is occupied"
        );
    }
    true
}

/// Every operation, run against a shard that starts empty and resizes with the smallest step, so
/// that most operations meet a migration in progress, compared with a `HashMap` after each step.
/// After every operation the whole contents are read back through lookups.
#[test]
fn model_with_lookups_mid_migration() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mid_migration_ops = Cell::new(0u64);
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..300), |ops| {
            let mut shard = Shard::<u64, u64>::with_capacity(0);
            let mut model = HashMap::<u64, u64>::new();
            for op in ops {
                if shard.is_migrating() {
                    mid_migration_ops.set(mid_migration_ops.get() + 1);
                }
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(
                        shard.insert(hasher(&k), k, v, hasher, INCREMENTAL),
                        model.insert(k, v)
                    ),
                    Op::Remove(k) => prop_assert_eq!(
                        shard.remove(hasher(&k), &k, hasher, INCREMENTAL),
                        model.remove(&k)
                    ),
                    Op::Update(k, d) => {
                        let f = |v: &mut u64| {
                            *v = v.wrapping_add(d);
                            *v
                        };
                        prop_assert_eq!(
                            shard.update(hasher(&k), &k, f, hasher, INCREMENTAL),
                            model.get_mut(&k).map(f)
                        );
                    }
                    Op::Upsert(k, v, d) => {
                        let expected = match model.get_mut(&k) {
                            Some(old) => {
                                *old ^= d;
                                Some(*old)
                            }
                            None => {
                                model.insert(k, v);
                                None
                            }
                        };
                        let modify = |old: &mut u64| {
                            *old ^= d;
                            *old
                        };
                        let got = shard.upsert(hasher(&k), k, || v, modify, hasher, INCREMENTAL);
                        prop_assert_eq!(got, expected);
                    }
                    Op::Get(k) => {
                        prop_assert_eq!(shard.get(hasher(&k), &k), model.get(&k));
                    }
                    Op::Grow(from, n) => {
                        for k in from..from + u64::from(n) {
                            prop_assert_eq!(
                                shard.insert(hasher(&k), k, !k, hasher, INCREMENTAL),
                                model.insert(k, !k)
                            );
                        }
                    }
                }
                check_invariants(&shard, &hasher);
                prop_assert_eq!(shard.len(), model.len());
                for (k, v) in &model {
                    prop_assert_eq!(shard.get(hasher(k), k), Some(v), "key {}", k);
                }
            }
            Ok(())
        })
        .unwrap();
    // The test is about lookups that land mid-migration: make sure it made some.
    assert!(
        mid_migration_ops.get() > 1000,
        "only {} operations met a migration in progress",
        mid_migration_ops.get()
    );
}

/// Growing from empty: each write moves at most `step` entries, the new table never grows while
/// a migration runs, every key stays readable throughout, and every migration ends.
#[test]
fn migration_is_bounded_and_completes() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let mut migrations = 0;
    let mut capacity_at_start = None;
    for k in 0..20_000u64 {
        let old_before = shard.migration.as_ref().map(|m| m.old.len());
        let was_migrating = old_before.is_some();
        shard.insert(hasher(&k), k, k, hasher, INCREMENTAL);
        match (&shard.migration, old_before) {
            (Some(m), Some(before)) => {
                assert!(before - m.old.len() <= STEP, "moved more than a step");
                assert_eq!(
                    Some(shard.table.capacity()),
                    capacity_at_start,
                    "the new table grew during a migration"
                );
            }
            (Some(_), None) => {
                migrations += 1;
                capacity_at_start = Some(shard.table.capacity());
                // Growing from full, the new table doubles.
                assert!(shard.table.capacity() >= 2 * (shard.len() - 1));
            }
            (None, _) => capacity_at_start = None,
        }
        if was_migrating || shard.is_migrating() {
            // Lookups of keys still in the old table and of keys already moved both succeed.
            for probe in [0, k / 2, k] {
                assert_eq!(shard.get(hasher(&probe), &probe), Some(&probe));
            }
        }
        check_invariants(&shard, &hasher);
    }
    assert!(migrations >= 10, "only {migrations} migrations started");
    assert_eq!(shard.len(), 20_000);
    // Writes that are not inserts also finish a migration.
    let mut guard = 0;
    while shard.is_migrating() {
        shard.update(hasher(&0), &0, |_| (), hasher, INCREMENTAL);
        guard += 1;
        assert!(guard < 100_000, "a migration never finished");
    }
    assert!((0..20_000).all(|k| shard.get(hasher(&k), &k) == Some(&k)));
}

/// Under churn (removals leave tombstones, so the table fills with fewer entries than its buckets
/// hold) the new table is still sized so that it never grows while its migration runs, and a
/// shard that stays the same size keeps the same number of buckets.
#[test]
fn churn_never_grows_the_new_table_mid_migration() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let mut model = std::collections::HashSet::new();
    let (mut migrations, mut buckets_at_start) = (0, None);
    // A fixed key range, at most about 3500 live keys: the shard settles at one size, and every
    // migration after that is a same-size rehash that clears tombstones.
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..400_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let k = rng % 7000;
        let was_migrating = shard.is_migrating();
        if rng >> 63 == 0 {
            shard.insert(hasher(&k), k, k, hasher, INCREMENTAL);
            model.insert(k);
        } else {
            shard.remove(hasher(&k), &k, hasher, INCREMENTAL);
            model.remove(&k);
        }
        match (was_migrating, shard.is_migrating()) {
            (true, true) => assert_eq!(
                Some(shard.table.num_buckets()),
                buckets_at_start,
                "the new table grew during a migration"
            ),
            (false, true) => {
                migrations += 1;
                buckets_at_start = Some(shard.table.num_buckets());
            }
            _ => {}
        }
    }
    assert!(migrations > 10, "only {migrations} migrations started");
    assert_eq!(shard.len(), model.len());
    assert!(model.iter().all(|k| shard.get(hasher(k), k) == Some(k)));
    assert!(
        shard.table.num_buckets() <= 8192,
        "the table kept doubling under churn"
    );
}

/// Removing every entry left in the old table ends the migration early.
#[test]
fn removing_the_old_entries_ends_the_migration() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let mut k = 0;
    while !shard.is_migrating() {
        shard.insert(hasher(&k), k, k, hasher, INCREMENTAL);
        k += 1;
    }
    let remaining = shard.migration.as_ref().unwrap().old.len();
    assert!(remaining > 0);
    for key in 0..k {
        assert_eq!(
            shard.remove(hasher(&key), &key, hasher, INCREMENTAL),
            Some(key)
        );
    }
    assert!(!shard.is_migrating());
    assert_eq!(shard.len(), 0);
}

/// Blocking growth never leaves a migration behind.
#[test]
fn blocking_growth_never_migrates() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    for k in 0..10_000u64 {
        shard.insert(hasher(&k), k, k, hasher, Growth::Blocking);
        assert!(!shard.is_migrating());
    }
    assert_eq!(shard.len(), 10_000);
}

/// Hybrid growth: a table that fills below the threshold grows at once, a bigger one migrates.
#[test]
fn hybrid_growth_blocks_while_small() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let hybrid = Growth::Incremental {
        step: STEP,
        from: 1000,
    };
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let (mut blocking, mut incremental) = (0, 0);
    for k in 0..20_000u64 {
        let (was_migrating, capacity) = (shard.is_migrating(), shard.capacity());
        shard.insert(hasher(&k), k, k, hasher, hybrid);
        if !was_migrating && shard.is_migrating() {
            assert!(shard.len() > 1000, "migrated a table of {}", shard.len());
            incremental += 1;
        } else if !shard.is_migrating() && shard.capacity() > capacity && !was_migrating {
            assert!(
                shard.len() <= 1000,
                "grew a table of {} at once",
                shard.len()
            );
            blocking += 1;
        }
        check_invariants(&shard, &hasher);
    }
    assert!(
        blocking >= 5 && incremental >= 4,
        "{blocking} blocking, {incremental} incremental"
    );
    assert!((0..20_000).all(|k| shard.get(hasher(&k), &k) == Some(&k)));
}

/// `shrink_to_fit` finishes a migration and keeps every entry.
#[test]
fn shrink_finishes_migration() {
    let state = DefaultHashBuilder::default();
    let hasher = |k: &u64| state.hash_one(k);
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let mut k = 0;
    while !(shard.is_migrating() && shard.len() > 1000) {
        shard.insert(hasher(&k), k, k, hasher, INCREMENTAL);
        k += 1;
    }
    shard.shrink_to_fit(hasher);
    assert!(!shard.is_migrating());
    assert_eq!(shard.len(), k as usize);
    assert!((0..k).all(|k| shard.get(hasher(&k), &k) == Some(&k)));
}

/// A hasher that panics while entries are being moved loses nothing: an entry is hashed before it
/// leaves the old table.
#[test]
fn panicking_hasher_mid_migration_loses_nothing() {
    let state = DefaultHashBuilder::default();
    let calls = Cell::new(0u32);
    let fail_at = Cell::new(u32::MAX);
    let hasher = |k: &u64| {
        calls.set(calls.get() + 1);
        if calls.get() == fail_at.get() {
            panic!("hash failure");
        }
        state.hash_one(k)
    };
    let mut shard = Shard::<u64, u64>::with_capacity(0);
    let mut k = 0;
    while !(shard.is_migrating() && shard.len() > 100) {
        shard.insert(state.hash_one(k), k, k, hasher, INCREMENTAL);
        k += 1;
    }
    let panic_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // The next write's migration step hashes a moved entry second; make that call panic.
    fail_at.set(calls.get() + 2);
    let result = catch_unwind(AssertUnwindSafe(|| {
        shard.update(state.hash_one(0), &0, |v| *v += 1, hasher, INCREMENTAL)
    }));
    std::panic::set_hook(panic_hook);
    assert!(result.is_err(), "the hasher did not panic");
    assert_eq!(shard.len(), k as usize);
    assert!((0..k).all(|k| shard.get(state.hash_one(k), &k) == Some(&k)));
}
