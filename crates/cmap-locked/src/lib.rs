//! The baseline concurrent map: one `hashbrown` table behind one reader-writer lock.
//!
//! Every other structure in cmap is compared with this one, so it is as fast as the map a user
//! would write by hand, `RwLock<hashbrown::HashMap>`, and no faster: it adds nothing on the
//! operation paths but the closure-based contract of [`cmap_core::ConcurrentMap`].
//!
//! # Which lock
//!
//! `parking_lot::RwLock`, for two reasons:
//!
//! - **No poisoning.** A panic in a user closure unwinds through the guard and releases the lock;
//!   the table itself is never half-written (a closure only ever holds one value), so poisoning
//!   would carry no information and would turn one caller's panic into every caller's failure, as
//!   `std::sync::RwLock` does.
//! - **A reader-writer lock, not a mutex.** Read-heavy loads are the common case for a shared map;
//!   readers take the lock in shared mode and proceed in parallel (though they still contend on the
//!   lock word's cache line, which is why the sharded map exists). Uncontended, a read or write
//!   lock costs one atomic compare-and-swap, the same as a mutex. The lock is fair eventually, so
//!   writers are not starved by a stream of readers.
//!
//! # Consistency
//!
//! Every operation, [`len`](ConcurrentMap::len) included, holds the lock for its whole duration, so
//! all operations are linearizable. A [`Batch`] holds the write lock while its closure runs and
//! applies its writes at the end, all at once; a panic in the closure discards them.
//!
//! # Performance
//!
//! One lock acquisition and one hash per operation; no allocation except when the table grows,
//! which rehashes every entry under the write lock (a latency spike proportional to the size: the
//! cost the sharded and incremental structures exist to avoid). `upsert` hashes once (entry API).
//!
//! # Examples
//!
//! ```
//! use cmap_core::{ConcurrentMap, Upsert};
//! use cmap_locked::LockedMap;
//!
//! let hits = LockedMap::<String, u64>::with_capacity(1024);
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             for _ in 0..1000 {
//!                 let _ = hits.upsert("/index.html".to_owned(), || 1, |n| *n += 1);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(hits.get(&"/index.html".to_owned()), Some(4000));
//! ```
#![warn(missing_docs)]

use std::fmt;
use std::hash::{BuildHasher, Hash};

use cmap_core::{Batch, BatchWriter, ConcurrentMap, DefaultHashBuilder, Upsert};
use hashbrown::HashMap;
use hashbrown::hash_map::Entry;
use parking_lot::RwLock;

/// A `hashbrown` table behind a `parking_lot` reader-writer lock. See the [crate docs](crate).
pub struct LockedMap<K, V, S = DefaultHashBuilder> {
    table: RwLock<HashMap<K, V, S>>,
}

impl<K, V, S> LockedMap<K, V, S> {
    /// How many entries the table holds before it must grow.
    pub fn capacity(&self) -> usize {
        self.table.read().capacity()
    }
}

impl<K, V, S> LockedMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    /// Shrinks the table to fit its entries, releasing memory after many removals.
    ///
    /// Rehashes every entry under the write lock.
    pub fn shrink_to_fit(&self) {
        self.table.write().shrink_to_fit();
    }

    /// Removes every entry, keeping the allocated capacity.
    pub fn clear(&self) {
        self.table.write().clear();
    }
}

impl<K, V, S> ConcurrentMap for LockedMap<K, V, S>
where
    K: Eq + Hash + Send + Sync,
    V: Send + Sync,
    S: BuildHasher + Send + Sync,
{
    type Key = K;
    type Value = V;
    type Hasher = S;

    fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Self {
            table: RwLock::new(HashMap::with_capacity_and_hasher(capacity, hasher)),
        }
    }

    #[inline]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.table.read().get(key).map(f)
    }

    #[inline]
    fn insert(&self, key: K, value: V) -> Option<V> {
        self.table.write().insert(key, value)
    }

    #[inline]
    fn remove(&self, key: &K) -> Option<V> {
        self.table.write().remove(key)
    }

    #[inline]
    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        self.table.write().get_mut(key).map(f)
    }

    #[inline]
    fn upsert<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
    ) -> Upsert<R> {
        match self.table.write().entry(key) {
            Entry::Occupied(mut entry) => Upsert::Modified(modify(entry.get_mut())),
            Entry::Vacant(entry) => {
                // If `make` panics the vacant entry is dropped and nothing is inserted.
                entry.insert(make());
                Upsert::Inserted
            }
        }
    }

    #[inline]
    fn contains_key(&self, key: &K) -> bool {
        self.table.read().contains_key(key)
    }

    fn len(&self) -> usize {
        self.table.read().len()
    }
}

impl<K, V, S> Batch for LockedMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Clone + Send + Sync,
{
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<K, V>) -> R) -> R {
        let mut table = self.table.write();
        let mut pending = Pending {
            table: &table,
            writes: HashMap::with_hasher(table.hasher().clone()),
        };
        let result = f(&mut pending);
        let writes = pending.writes;
        for (key, write) in writes {
            match write {
                Some(value) => table.insert(key, value),
                None => table.remove(&key),
            };
        }
        result
    }
}

/// A batch's writes, kept aside until its closure returns so that a panic discards them.
struct Pending<'a, K, V, S> {
    table: &'a HashMap<K, V, S>,
    /// `None` records a removal.
    writes: HashMap<K, Option<V>, S>,
}

impl<K, V, S> BatchWriter<K, V> for Pending<'_, K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    fn get(&self, key: &K) -> Option<V> {
        match self.writes.get(key) {
            Some(write) => write.clone(),
            None => self.table.get(key).cloned(),
        }
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        let old = self.get(&key);
        self.writes.insert(key, Some(value));
        old
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.get(key);
        if old.is_some() {
            self.writes.insert(key.clone(), None);
        }
        old
    }
}

impl<K, V, S: Default> Default for LockedMap<K, V, S> {
    fn default() -> Self {
        Self {
            table: RwLock::new(HashMap::with_hasher(S::default())),
        }
    }
}

impl<K, V, S> fmt::Debug for LockedMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockedMap")
            .field("len", &self.table.read().len())
            .finish_non_exhaustive()
    }
}
