use std::collections::BTreeMap;
use std::ops::{ControlFlow, RangeBounds};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{
    Batch, BatchWriter, ConcurrentMap, DefaultHashBuilder, Ordered, OrderedSnapshot, Snapshot,
    Snapshots, Upsert,
};

/// The simplest correct map: a `BTreeMap` behind one mutex, with every capability.
///
/// It is slow on purpose and exists for tests: the suite's own tests check that it passes, and
/// build deliberately broken maps on top of it to check that the suite catches them. Snapshots
/// copy the whole map.
#[derive(Debug, Default)]
pub struct ReferenceMap<K, V> {
    inner: Mutex<BTreeMap<K, V>>,
}

impl<K, V> ReferenceMap<K, V> {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<K, V>> {
        // A panic in a user closure poisons the mutex; the map itself is never left half-written,
        // because the closure only ever sees one value, so the poison carries no information.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<K, V> ConcurrentMap for ReferenceMap<K, V>
where
    K: Ord + Send,
    V: Send,
{
    type Key = K;
    type Value = V;
    type Hasher = DefaultHashBuilder;

    fn with_capacity_and_hasher(_capacity: usize, _hasher: Self::Hasher) -> Self {
        Self {
            inner: Mutex::new(BTreeMap::new()),
        }
    }

    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.lock().get(key).map(f)
    }

    fn insert(&self, key: K, value: V) -> Option<V> {
        self.lock().insert(key, value)
    }

    fn remove(&self, key: &K) -> Option<V> {
        self.lock().remove(key)
    }

    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        self.lock().get_mut(key).map(f)
    }

    fn upsert<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
    ) -> Upsert<R> {
        let mut map = self.lock();
        match map.get_mut(&key) {
            Some(value) => Upsert::Modified(modify(value)),
            None => {
                map.insert(key, make());
                Upsert::Inserted
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl<K, V> Ordered for ReferenceMap<K, V>
where
    K: Ord + Send + Clone,
    V: Send + Clone,
{
    fn range_with(&self, range: impl RangeBounds<K>, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        // Copy the range out so `f` runs with no lock held, as the trait promises.
        let entries: Vec<(K, V)> = {
            let map = self.lock();
            if !valid_range(&range) {
                return;
            }
            map.range(range)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        for (k, v) in &entries {
            if f(k, v).is_break() {
                break;
            }
        }
    }
}

/// A point-in-time copy of a [`ReferenceMap`].
#[derive(Debug)]
pub struct ReferenceSnapshot<K, V>(Arc<BTreeMap<K, V>>);

impl<K, V> Snapshots for ReferenceMap<K, V>
where
    K: Ord + Send + Sync + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    type Snapshot = ReferenceSnapshot<K, V>;

    fn snapshot(&self) -> Self::Snapshot {
        ReferenceSnapshot(Arc::new(self.lock().clone()))
    }
}

impl<K, V> Snapshot for ReferenceSnapshot<K, V>
where
    K: Ord + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    type Key = K;
    type Value = V;

    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.0.get(key).map(f)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn scan(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        for (k, v) in self.0.iter() {
            if f(k, v).is_break() {
                break;
            }
        }
    }
}

impl<K, V> OrderedSnapshot for ReferenceSnapshot<K, V>
where
    K: Ord + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    fn range_with(&self, range: impl RangeBounds<K>, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        if !valid_range(&range) {
            return;
        }
        for (k, v) in self.0.range(range) {
            if f(k, v).is_break() {
                break;
            }
        }
    }
}

impl<K, V> Batch for ReferenceMap<K, V>
where
    K: Ord + Send + Clone,
    V: Send + Clone,
{
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<K, V>) -> R) -> R {
        let mut map = self.lock();
        // Writes go to a copy that replaces the map only when `f` returns, so a panic in `f`
        // leaves the map as it was.
        let mut pending = BatchCopy(map.clone());
        let result = f(&mut pending);
        *map = pending.0;
        result
    }
}

struct BatchCopy<K, V>(BTreeMap<K, V>);

impl<K: Ord + Clone, V: Clone> BatchWriter<K, V> for BatchCopy<K, V> {
    fn get(&self, key: &K) -> Option<V> {
        self.0.get(key).cloned()
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.0.remove(key)
    }
}

/// Whether `BTreeMap::range` accepts `range` (it panics on inverted or empty-exclusive ranges,
/// which the contract says yield nothing).
pub(crate) fn valid_range<K: Ord>(range: &impl RangeBounds<K>) -> bool {
    use std::ops::Bound::{Excluded, Included};
    match (range.start_bound(), range.end_bound()) {
        (Included(s), Included(e)) => s <= e,
        (Included(s), Excluded(e)) | (Excluded(s), Included(e)) => s <= e,
        (Excluded(s), Excluded(e)) => s < e,
        _ => true,
    }
}
