//! Maps with one deliberate defect each, and tests that the suite fails them.

use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cmap_core::testing::{self, ReferenceMap};
use cmap_core::{ConcurrentMap, DefaultHashBuilder, Snapshot, Snapshots, Upsert};

/// Asserts that `check` fails, with a message that says what it found.
fn assert_caught(check: impl FnOnce(), expected_words: &str) {
    let payload = catch_unwind(AssertUnwindSafe(check)).expect_err("the suite passed a broken map");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains(expected_words),
        "the suite failed the broken map, but not for the expected reason: {message}"
    );
}

/// Forgets one `update` or `upsert` modification in 64: the kind of bug a racy read-modify-write
/// produces, made deterministic.
#[derive(Debug, Default)]
struct LossyMap {
    inner: ReferenceMap<u64, u64>,
    writes: AtomicU64,
}

impl LossyMap {
    fn drops_this_one(&self) -> bool {
        self.writes.fetch_add(1, Ordering::Relaxed) % 64 == 63
    }
}

impl ConcurrentMap for LossyMap {
    type Key = u64;
    type Value = u64;
    type Hasher = DefaultHashBuilder;

    fn with_capacity_and_hasher(_: usize, _: DefaultHashBuilder) -> Self {
        Self::default()
    }
    fn get_with<R>(&self, key: &u64, f: impl FnOnce(&u64) -> R) -> Option<R> {
        self.inner.get_with(key, f)
    }
    fn insert(&self, key: u64, value: u64) -> Option<u64> {
        self.inner.insert(key, value)
    }
    fn remove(&self, key: &u64) -> Option<u64> {
        self.inner.remove(key)
    }
    fn update<R>(&self, key: &u64, f: impl FnOnce(&mut u64) -> R) -> Option<R> {
        if self.drops_this_one() {
            return self.inner.get_with(key, |v| f(&mut v.clone()));
        }
        self.inner.update(key, f)
    }
    fn upsert<R>(
        &self,
        key: u64,
        make: impl FnOnce() -> u64,
        modify: impl FnOnce(&mut u64) -> R,
    ) -> Upsert<R> {
        if self.drops_this_one() && self.inner.contains_key(&key) {
            // Runs `modify` on a copy and throws the copy away.
            return match self.inner.get_with(&key, |v| modify(&mut v.clone())) {
                Some(r) => Upsert::Modified(r),
                None => Upsert::Inserted,
            };
        }
        self.inner.upsert(key, make, modify)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
}

#[test]
fn lossy_map_fails_no_lost_upserts() {
    assert_caught(
        || testing::check_no_lost_upserts(LossyMap::default),
        "updates were lost",
    );
}

#[test]
fn lossy_map_fails_no_lost_updates() {
    assert_caught(
        || testing::check_no_lost_updates(LossyMap::default),
        "check_no_lost_updates",
    );
}

#[test]
fn lossy_map_fails_the_model() {
    assert_caught(
        || testing::check_model(LossyMap::default),
        "disagrees with the model",
    );
}

/// Its "snapshot" is a live view of the map: it sees writes made after it was taken.
#[derive(Debug, Default)]
struct LeakySnapshotMap {
    inner: Arc<ReferenceMap<u64, u64>>,
}

#[derive(Debug)]
struct LiveView(Arc<ReferenceMap<u64, u64>>);

impl ConcurrentMap for LeakySnapshotMap {
    type Key = u64;
    type Value = u64;
    type Hasher = DefaultHashBuilder;

    fn with_capacity_and_hasher(_: usize, _: DefaultHashBuilder) -> Self {
        Self::default()
    }
    fn get_with<R>(&self, key: &u64, f: impl FnOnce(&u64) -> R) -> Option<R> {
        self.inner.get_with(key, f)
    }
    fn insert(&self, key: u64, value: u64) -> Option<u64> {
        self.inner.insert(key, value)
    }
    fn remove(&self, key: &u64) -> Option<u64> {
        self.inner.remove(key)
    }
    fn update<R>(&self, key: &u64, f: impl FnOnce(&mut u64) -> R) -> Option<R> {
        self.inner.update(key, f)
    }
    fn upsert<R>(
        &self,
        key: u64,
        make: impl FnOnce() -> u64,
        modify: impl FnOnce(&mut u64) -> R,
    ) -> Upsert<R> {
        self.inner.upsert(key, make, modify)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
}

impl Snapshots for LeakySnapshotMap {
    type Snapshot = LiveView;
    fn snapshot(&self) -> LiveView {
        LiveView(Arc::clone(&self.inner))
    }
}

impl Snapshot for LiveView {
    type Key = u64;
    type Value = u64;
    fn get_with<R>(&self, key: &u64, f: impl FnOnce(&u64) -> R) -> Option<R> {
        self.0.get_with(key, f)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn scan(&self, f: impl FnMut(&u64, &u64) -> ControlFlow<()>) {
        use cmap_core::Ordered;
        self.0.range_with(.., f);
    }
}

#[test]
fn leaky_snapshot_fails_the_prefix_check() {
    assert_caught(
        || testing::check_snapshot_prefix(LeakySnapshotMap::default),
        "check_snapshot_prefix",
    );
}

#[test]
fn leaky_snapshot_fails_the_snapshot_model() {
    assert_caught(
        || testing::check_snapshot_model(LeakySnapshotMap::default),
        "disagrees with the model",
    );
}

#[test]
fn leaky_snapshot_fails_outlives_map() {
    assert_caught(
        || testing::check_snapshot_outlives_map(LeakySnapshotMap::default),
        "check_snapshot_outlives_map",
    );
}
