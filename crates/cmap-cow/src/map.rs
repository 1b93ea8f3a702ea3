//! [`CowMap`], its snapshots and its batch writer.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::ops::ControlFlow;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use cmap_core::{
    Batch, BatchWriter, ConcurrentMap, DefaultHashBuilder, Snapshot, Snapshots, Upsert,
};
use parking_lot::Mutex;

use crate::iter::Iter;
use crate::published::Published;
use crate::trie::{Version, Working};

/// A copy-on-write map over a persistent hash trie. See the [crate docs](crate).
///
/// Keys and values must be `Send + Sync` even to build one: every thread that reads the map keeps
/// a reference to a version of it, and the map drops those references wherever it is dropped.
pub struct CowMap<K: Send + Sync, V: Send + Sync, S = DefaultHashBuilder> {
    /// The published version. Readers load it through their thread's cache; only a writer
    /// holding `writer` stores a new one.
    current: Published<Version<K, V>>,
    /// Serializes writers, so each builds on the version the previous one published.
    writer: Mutex<()>,
    /// Shared with every snapshot, which must hash keys exactly as the map did.
    hasher: Arc<S>,
}

/// An owned, immutable view of a [`CowMap`] at one instant. See [`Snapshots`].
///
/// Taking one costs an atomic load and two reference-count increments; it shares every node with
/// the map, and keeps alive only the nodes that later writes replace.
pub struct CowSnapshot<K, V, S = DefaultHashBuilder> {
    trie: Arc<Version<K, V>>,
    hasher: Arc<S>,
}

impl<K: Send + Sync, V: Send + Sync, S> CowMap<K, V, S> {
    /// The hasher keys are hashed with.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// The bytes the nodes of the current version take, entries included (but not what entries
    /// own on the heap, such as a `String`'s buffer). Older versions that snapshots or readers
    /// still hold add the nodes later writes replaced. Walks the whole trie: O(n).
    pub fn node_bytes(&self) -> usize {
        self.current.load().heap_bytes()
    }

    /// The bytes of freed nodes the map keeps to make its next nodes in: at most one leaf per 64
    /// entries and one inner node per 2,048 (and 4 MiB of each kind). A large batch of scattered
    /// writes frees thousands of nodes when the version it replaced dies, and the next one makes
    /// as many. Not part of [`node_bytes`](Self::node_bytes).
    pub fn spare_bytes(&self) -> usize {
        self.current.load().spare_bytes()
    }
}

impl<K, V, S> CowMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher,
{
    /// Runs `op` on a private copy of the current version under the writer lock, and publishes
    /// the copy if `op` says it changed something. If `op` panics, the copy is dropped unpublished.
    fn write<R>(&self, op: impl FnOnce(&mut Working<K, V>, &S) -> (R, bool)) -> R {
        let writer = self.writer.lock();
        // Holding the writer lock, nobody else can store: this is the version we replace. It
        // stays live while the working tree shares its nodes.
        let base = self.current.load_full();
        let mut working = Working::after(&base);
        let (result, changed) = op(&mut working, &self.hasher);
        if changed {
            let version = working.finish(&base);
            drop(base);
            self.current.publish(Arc::new(version), writer);
        }
        result
    }
}

impl<K, V, S> ConcurrentMap for CowMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Send + Sync,
{
    type Key = K;
    type Value = V;
    type Hasher = S;

    /// An empty map. A trie has no capacity to reserve, so `capacity` is ignored.
    fn with_capacity_and_hasher(_capacity: usize, hasher: S) -> Self {
        Self {
            current: Published::new(Version::empty()),
            writer: Mutex::new(()),
            hasher: Arc::new(hasher),
        }
    }

    #[inline]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        let hash = self.hasher.hash_one(key);
        self.current.reading().get(hash, key).map(f)
    }

    fn insert(&self, key: K, value: V) -> Option<V> {
        self.write(|trie, hasher| (trie.insert(hasher, key, value), true))
    }

    fn remove(&self, key: &K) -> Option<V> {
        let hash = self.hasher.hash_one(key);
        self.write(|trie, _| {
            let old = trie.remove(hash, key);
            let changed = old.is_some();
            (old, changed)
        })
    }

    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let hash = self.hasher.hash_one(key);
        self.write(|trie, _| match trie.get_mut(hash, key) {
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
        let hash = self.hasher.hash_one(&key);
        self.write(|trie, hasher| {
            if let Some(value) = trie.get_mut(hash, &key) {
                return (Upsert::Modified(modify(value)), true);
            }
            trie.insert(hasher, key, make());
            (Upsert::Inserted, true)
        })
    }

    fn len(&self) -> usize {
        self.current.load().len()
    }
}

impl<K, V, S> Snapshots for CowMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: BuildHasher + Send + Sync + 'static,
{
    type Snapshot = CowSnapshot<K, V, S>;

    fn snapshot(&self) -> CowSnapshot<K, V, S> {
        CowSnapshot {
            trie: self.current.load_full(),
            hasher: Arc::clone(&self.hasher),
        }
    }
}

impl<K, V, S> Batch for CowMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Send + Sync,
{
    /// Runs `f` on a private copy of the current version and publishes it with one store when
    /// `f` returns. Each node on the batch's paths is copied once, at its first write; later
    /// writes edit the copy in place.
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<K, V>) -> R) -> R {
        self.write(|trie, hasher| {
            let mut writer = CowBatch {
                trie,
                hasher,
                changed: false,
            };
            let result = f(&mut writer);
            (result, writer.changed)
        })
    }
}

/// The writer a [`CowMap`] batch closure works through: the map's private working copy.
struct CowBatch<'a, K, V, S> {
    trie: &'a mut Working<K, V>,
    hasher: &'a S,
    /// Whether any write happened, so an empty batch publishes nothing.
    changed: bool,
}

impl<K, V, S> BatchWriter<K, V> for CowBatch<'_, K, V, S>
where
    K: Eq + Hash + Clone,
    V: Clone,
    S: BuildHasher,
{
    fn get(&self, key: &K) -> Option<V> {
        self.trie.get(self.hasher.hash_one(key), key).cloned()
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed = true;
        self.trie.insert(self.hasher, key, value)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.trie.remove(self.hasher.hash_one(key), key);
        self.changed |= old.is_some();
        old
    }

    /// Applies the entries in the order of their hashes, fetching leaves ahead of the writes.
    fn insert_all(&mut self, entries: &mut dyn Iterator<Item = (K, V)>) {
        let mut entries = entries.peekable();
        self.changed |= entries.peek().is_some();
        self.trie.insert_all(self.hasher, entries);
    }
}

impl<K, V, S> CowSnapshot<K, V, S> {
    /// An iterator over the entries of this view, in the trie's order (the order of the keys'
    /// hashes, read from the low bits up).
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self.trie.root(), self.trie.len())
    }
}

impl<K, V, S> Snapshot for CowSnapshot<K, V, S>
where
    K: Eq + Hash + Send + Sync + 'static,
    V: Send + Sync + 'static,
    S: BuildHasher + Send + Sync + 'static,
{
    type Key = K;
    type Value = V;

    #[inline]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.trie.get(self.hasher.hash_one(key), key).map(f)
    }

    fn len(&self) -> usize {
        self.trie.len()
    }

    fn scan(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        for (k, v) in self.iter() {
            if f(k, v).is_break() {
                return;
            }
        }
    }
}

impl<'a, K, V, S> IntoIterator for &'a CowSnapshot<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

// A snapshot is two `Arc`s: cloning it shares the same version.
impl<K, V, S> Clone for CowSnapshot<K, V, S> {
    fn clone(&self) -> Self {
        Self {
            trie: Arc::clone(&self.trie),
            hasher: Arc::clone(&self.hasher),
        }
    }
}

// A panic in a user closure drops the private copy it was working on and publishes nothing, and
// the writer lock does not poison: the map a panic unwinds past is exactly as it was before the
// write, so it is safe to keep using it (the lock's `UnsafeCell` would otherwise hide this).
impl<K, V, S> UnwindSafe for CowMap<K, V, S>
where
    K: RefUnwindSafe + Send + Sync,
    V: RefUnwindSafe + Send + Sync,
    S: RefUnwindSafe,
{
}
impl<K, V, S> RefUnwindSafe for CowMap<K, V, S>
where
    K: RefUnwindSafe + Send + Sync,
    V: RefUnwindSafe + Send + Sync,
    S: RefUnwindSafe,
{
}

impl<K: Send + Sync, V: Send + Sync, S> Drop for CowMap<K, V, S> {
    /// Hands the current version's nodes to the registry: they are freed with the last version
    /// that reaches them, which may be a snapshot that outlives the map.
    fn drop(&mut self) {
        self.current.load().retire_all();
    }
}

impl<K: Send + Sync, V: Send + Sync, S: Default> Default for CowMap<K, V, S> {
    fn default() -> Self {
        Self {
            current: Published::new(Version::empty()),
            writer: Mutex::new(()),
            hasher: Arc::new(S::default()),
        }
    }
}

impl<K, V, S> FromIterator<(K, V)> for CowMap<K, V, S>
where
    K: Eq + Hash + Clone + Send + Sync,
    V: Clone + Send + Sync,
    S: BuildHasher + Default,
{
    /// Builds the whole trie privately, editing its own nodes in place, and publishes it once.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let hasher = S::default();
        let empty = Version::empty();
        let mut trie = Working::after(&empty);
        for (key, value) in entries {
            trie.insert(&hasher, key, value);
        }
        let version = trie.finish(&empty);
        drop(empty);
        Self {
            current: Published::new(version),
            writer: Mutex::new(()),
            hasher: Arc::new(hasher),
        }
    }
}

impl<K: Send + Sync, V: Send + Sync, S> fmt::Debug for CowMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CowMap")
            .field("len", &self.current.load().len())
            .finish_non_exhaustive()
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for CowSnapshot<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
