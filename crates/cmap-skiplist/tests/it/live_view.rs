//! A raw `crossbeam_skiplist::SkipMap` whose "snapshot" is its live iterator fails the suite's
//! prefix check: the check can tell a live view from a snapshot, so `SkipListMap` passing it means
//! something.

use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use cmap_core::{ConcurrentMap, DefaultHashBuilder, Snapshot, Snapshots, Upsert};
use crossbeam_skiplist::SkipMap;
use parking_lot::Mutex;

/// A `SkipMap`, with a mutex around read-modify-writes only so that it honours the rest of the
/// contract.
#[derive(Debug, Default)]
struct RawSkipMap {
    map: Arc<SkipMap<u64, u64>>,
    writes: Mutex<()>,
}

/// The map itself, iterated live.
#[derive(Debug)]
struct LiveView(Arc<SkipMap<u64, u64>>);

impl ConcurrentMap for RawSkipMap {
    type Key = u64;
    type Value = u64;
    type Hasher = DefaultHashBuilder;

    fn with_capacity_and_hasher(_: usize, _: DefaultHashBuilder) -> Self {
        Self::default()
    }
    fn get_with<R>(&self, key: &u64, f: impl FnOnce(&u64) -> R) -> Option<R> {
        self.map.get(key).map(|entry| f(entry.value()))
    }
    fn insert(&self, key: u64, value: u64) -> Option<u64> {
        let _writes = self.writes.lock();
        let old = self.map.get(&key).map(|entry| *entry.value());
        self.map.insert(key, value);
        old
    }
    fn remove(&self, key: &u64) -> Option<u64> {
        let _writes = self.writes.lock();
        self.map.remove(key).map(|entry| *entry.value())
    }
    fn update<R>(&self, key: &u64, f: impl FnOnce(&mut u64) -> R) -> Option<R> {
        let _writes = self.writes.lock();
        let mut value = *self.map.get(key)?.value();
        let result = f(&mut value);
        self.map.insert(*key, value);
        Some(result)
    }
    fn upsert<R>(
        &self,
        key: u64,
        make: impl FnOnce() -> u64,
        modify: impl FnOnce(&mut u64) -> R,
    ) -> Upsert<R> {
        let _writes = self.writes.lock();
        match self.map.get(&key).map(|entry| *entry.value()) {
            Some(mut value) => {
                let result = modify(&mut value);
                self.map.insert(key, value);
                Upsert::Modified(result)
            }
            None => {
                self.map.insert(key, make());
                Upsert::Inserted
            }
        }
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}

impl Snapshots for RawSkipMap {
    type Snapshot = LiveView;
    fn snapshot(&self) -> LiveView {
        LiveView(Arc::clone(&self.map))
    }
}

impl Snapshot for LiveView {
    type Key = u64;
    type Value = u64;
    fn get_with<R>(&self, key: &u64, f: impl FnOnce(&u64) -> R) -> Option<R> {
        self.0.get(key).map(|entry| f(entry.value()))
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn scan(&self, mut f: impl FnMut(&u64, &u64) -> ControlFlow<()>) {
        for entry in self.0.iter() {
            if f(entry.key(), entry.value()).is_break() {
                return;
            }
        }
    }
}

fn failure_message(check: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(check))
        .expect_err("the suite passed a raw SkipMap's live iterator as a snapshot");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_live_skipmap_iterator_fails_the_prefix_check() {
    let message =
        failure_message(|| cmap_core::testing::check_snapshot_prefix(RawSkipMap::default));
    assert!(
        message.contains("check_snapshot_prefix"),
        "failed for another reason: {message}"
    );
}

#[test]
fn a_live_skipmap_iterator_fails_the_snapshot_model() {
    let message = failure_message(|| cmap_core::testing::check_snapshot_model(RawSkipMap::default));
    assert!(
        message.contains("disagrees with the model"),
        "failed for another reason: {message}"
    );
}

/// The adapter is otherwise a correct map, so the failures above are the live view's alone.
#[test]
fn the_adapter_passes_the_point_model() {
    cmap_core::testing::check_model(RawSkipMap::default);
}
