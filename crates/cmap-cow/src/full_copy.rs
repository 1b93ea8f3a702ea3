//! [`FullCopyMap`]: the naive copy-on-write map, kept to show what structural sharing buys.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::ops::ControlFlow;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use cmap_core::{
    Batch, BatchWriter, ConcurrentMap, DefaultHashBuilder, Snapshot, Snapshots, Upsert,
};
use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::published::Published;

/// A copy-on-write map that clones its whole `hashbrown` table on every write.
///
/// Reads and snapshots behave exactly as in [`CowMap`](crate::CowMap) (one atomic load through
/// the thread's cached version, no lock, an immutable version) and a lookup is a plain
/// `hashbrown` probe, but every write costs O(n): it copies all `n` entries into a fresh table.
/// A thread's cached version is a whole table here, so each thread that has read the map may keep
/// one old table alive until it reads again. Use it only for tiny maps that are almost never
/// written; it is here so measurements can show the difference structural sharing makes.
pub struct FullCopyMap<K: Send + Sync, V: Send + Sync, S: Send + Sync = DefaultHashBuilder> {
    current: Published<HashMap<K, V, S>>,
    writer: Mutex<()>,
}

/// An owned, immutable view of a [`FullCopyMap`] at one instant: the table that was current.
pub struct FullCopySnapshot<K, V, S = DefaultHashBuilder> {
    table: Arc<HashMap<K, V, S>>,
}

impl<K, V, S> FullCopyMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Clone + Send + Sync,
{
    /// Clones the current table under the writer lock, runs `op` on the clone, and publishes it
    /// if `op` says it changed something.
    fn write<R>(&self, op: impl FnOnce(&mut HashMap<K, V, S>) -> (R, bool)) -> R {
        let writer = self.writer.lock();
        let current = self.current.load();
        let mut table = HashMap::clone(&current);
        drop(current);
        let (result, changed) = op(&mut table);
        if changed {
            self.current.publish(Arc::new(table), writer);
        }
        result
    }
}

impl<K, V, S> ConcurrentMap for FullCopyMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Clone + Send + Sync,
{
    type Key = K;
    type Value = V;
    type Hasher = S;

    fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Self {
            current: Published::new(HashMap::with_capacity_and_hasher(capacity, hasher)),
            writer: Mutex::new(()),
        }
    }

    #[inline]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.current.reading().get(key).map(f)
    }

    fn insert(&self, key: K, value: V) -> Option<V> {
        self.write(|table| (table.insert(key, value), true))
    }

    fn remove(&self, key: &K) -> Option<V> {
        if !self.contains_key(key) {
            return None;
        }
        self.write(|table| {
            let old = table.remove(key);
            let changed = old.is_some();
            (old, changed)
        })
    }

    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        if !self.contains_key(key) {
            return None;
        }
        self.write(|table| match table.get_mut(key) {
            Some(value) => (Some(f(value)), true),
            None => (None, false),
        })
    }

    fn upsert<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
    ) -> Upsert<R> {
        self.write(|table| {
            let upsert = match table.get_mut(&key) {
                Some(value) => Upsert::Modified(modify(value)),
                None => {
                    table.insert(key, make());
                    Upsert::Inserted
                }
            };
            (upsert, true)
        })
    }

    fn len(&self) -> usize {
        self.current.load().len()
    }
}

impl<K, V, S> Snapshots for FullCopyMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher + Clone + Send + Sync + 'static,
{
    type Snapshot = FullCopySnapshot<K, V, S>;

    fn snapshot(&self) -> FullCopySnapshot<K, V, S> {
        FullCopySnapshot {
            table: self.current.load_full(),
        }
    }
}

impl<K, V, S> Batch for FullCopyMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Clone + Send + Sync,
{
    /// Copies the table once for the whole batch and publishes the copy when `f` returns.
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<K, V>) -> R) -> R {
        self.write(|table| {
            let mut writer = FullCopyBatch {
                table,
                changed: false,
            };
            let result = f(&mut writer);
            (result, writer.changed)
        })
    }
}

/// The writer a [`FullCopyMap`] batch closure works through: the private copy of the table.
struct FullCopyBatch<'a, K, V, S> {
    table: &'a mut HashMap<K, V, S>,
    changed: bool,
}

impl<K, V, S> BatchWriter<K, V> for FullCopyBatch<'_, K, V, S>
where
    K: Eq + Hash,
    V: Clone,
    S: BuildHasher,
{
    fn get(&self, key: &K) -> Option<V> {
        self.table.get(key).cloned()
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed = true;
        self.table.insert(key, value)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.table.remove(key);
        self.changed |= old.is_some();
        old
    }
}

impl<K, V, S> FullCopySnapshot<K, V, S> {
    /// An iterator over the entries of this view, in the table's order.
    pub fn iter(&self) -> hashbrown::hash_map::Iter<'_, K, V> {
        self.table.iter()
    }
}

impl<K, V, S> Snapshot for FullCopySnapshot<K, V, S>
where
    K: Eq + Hash + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: BuildHasher + Send + Sync + 'static,
{
    type Key = K;
    type Value = V;

    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.table.get(key).map(f)
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn scan(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        for (k, v) in self.table.iter() {
            if f(k, v).is_break() {
                return;
            }
        }
    }
}

impl<K, V, S> Clone for FullCopySnapshot<K, V, S> {
    fn clone(&self) -> Self {
        Self {
            table: Arc::clone(&self.table),
        }
    }
}

// A panic in a user closure drops the private copy it was working on and publishes nothing, and
// the writer lock does not poison: the map a panic unwinds past is exactly as it was before the
// write, so it is safe to keep using it (the lock's `UnsafeCell` would otherwise hide this).
impl<K, V, S> UnwindSafe for FullCopyMap<K, V, S>
where
    K: RefUnwindSafe + Send + Sync,
    V: RefUnwindSafe + Send + Sync,
    S: RefUnwindSafe + Send + Sync,
{
}
impl<K, V, S> RefUnwindSafe for FullCopyMap<K, V, S>
where
    K: RefUnwindSafe + Send + Sync,
    V: RefUnwindSafe + Send + Sync,
    S: RefUnwindSafe + Send + Sync,
{
}

impl<K: Send + Sync, V: Send + Sync, S: Default + Send + Sync> Default for FullCopyMap<K, V, S> {
    fn default() -> Self {
        Self {
            current: Published::new(HashMap::with_hasher(S::default())),
            writer: Mutex::new(()),
        }
    }
}

impl<K: Send + Sync, V: Send + Sync, S: Send + Sync> fmt::Debug for FullCopyMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FullCopyMap")
            .field("len", &self.current.load().len())
            .finish_non_exhaustive()
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for FullCopySnapshot<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.table.iter()).finish()
    }
}
