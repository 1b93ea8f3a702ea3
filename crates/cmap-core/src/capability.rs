//! Optional capabilities: traits a map implements when it can honour them cheaply.
//!
//! The harness asks for a capability with a trait bound; a workload that needs one a structure
//! lacks skips that structure instead of faking it.

use std::ops::{ControlFlow, RangeBounds};

use crate::ConcurrentMap;

/// Point-in-time views.
///
/// # Consistency
///
/// A snapshot holds exactly the writes that were visible when [`snapshot`](Snapshots::snapshot)
/// returned, and nothing else, forever: writes made later never show through it, however long it
/// lives and however long one of its scans runs. A batch ([`Batch`]) is either wholly in a snapshot
/// or wholly absent. A snapshot is owned: it borrows nothing from the map, holds no lock, may move
/// to other threads and may outlive the map it came from.
pub trait Snapshots: ConcurrentMap {
    /// The view [`snapshot`](Snapshots::snapshot) returns.
    type Snapshot: Snapshot<Key = Self::Key, Value = Self::Value>;

    /// Takes a point-in-time view of the map.
    fn snapshot(&self) -> Self::Snapshot;
}

/// An owned, immutable, point-in-time view of a map. See [`Snapshots`].
pub trait Snapshot: Send + Sync + 'static {
    /// The key type.
    type Key;
    /// The value type.
    type Value;

    /// Lends the value for `key` in this view to `f`.
    fn get_with<R>(&self, key: &Self::Key, f: impl FnOnce(&Self::Value) -> R) -> Option<R>;

    /// A clone of the value for `key` in this view.
    fn get(&self, key: &Self::Key) -> Option<Self::Value>
    where
        Self::Value: Clone,
    {
        self.get_with(key, Self::Value::clone)
    }

    /// Whether `key` is present in this view.
    fn contains_key(&self, key: &Self::Key) -> bool {
        self.get_with(key, |_| ()).is_some()
    }

    /// The number of entries in this view. Never changes.
    fn len(&self) -> usize;

    /// Whether this view has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every entry of this view, in the map's internal order (key order for ordered
    /// maps), until `f` breaks. Each entry is visited exactly once.
    fn scan(&self, f: impl FnMut(&Self::Key, &Self::Value) -> ControlFlow<()>);

    /// Calls `f` on every entry of this view, in the map's internal order.
    fn for_each(&self, mut f: impl FnMut(&Self::Key, &Self::Value)) {
        self.scan(|k, v| {
            f(k, v);
            ControlFlow::Continue(())
        });
    }
}

/// Snapshots of ordered maps also scan ranges in key order.
pub trait OrderedSnapshot: Snapshot<Key: Ord> {
    /// Calls `f` on the entries of this view whose keys fall in `range`, in ascending key order,
    /// until `f` breaks.
    fn range_with(
        &self,
        range: impl RangeBounds<Self::Key>,
        f: impl FnMut(&Self::Key, &Self::Value) -> ControlFlow<()>,
    );
}

/// Range scans in key order over the latest state.
///
/// # Consistency
///
/// A scan visits keys in ascending order, each at most once. A key present and unchanged for the
/// whole scan is seen with its value; a key written during the scan may or may not be seen, so a
/// scan of the latest state is not a snapshot (use [`Snapshots`] for that, where the map has it).
/// The closure runs with no lock held, so it may call the map, though it then sees its own writes
/// only where the scan has not passed yet.
pub trait Ordered: ConcurrentMap<Key: Ord> {
    /// Calls `f` on the entries whose keys fall in `range`, in ascending key order, until `f`
    /// breaks.
    fn range_with(
        &self,
        range: impl RangeBounds<Self::Key>,
        f: impl FnMut(&Self::Key, &Self::Value) -> ControlFlow<()>,
    );
}

/// Atomic multi-key writes.
///
/// # Consistency
///
/// All the writes made through the [`BatchWriter`] become visible at one instant, when
/// [`batch`](Batch::batch) returns: a concurrent reader sees none of them or all of them (for a
/// single-key read, its key's final value in the batch or its value before), and a snapshot holds
/// all of them or none. Reads through the writer see the map's latest state plus the batch's own
/// writes, and batches are serializable with respect to each other and to single-key writes, so
/// a batch that reads two balances and moves an amount between them never loses a concurrent
/// transfer. If `f` panics, none of its writes become visible.
pub trait Batch: ConcurrentMap<Value: Clone> {
    /// Runs `f` with a writer whose writes are applied together, atomically, when `f` returns.
    ///
    /// `f` may run while the map holds a write lock, so it must not call the map itself, only the
    /// writer it is given.
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<Self::Key, Self::Value>) -> R) -> R;
}

/// The view of the map a [`Batch`] closure reads and writes through.
pub trait BatchWriter<K, V> {
    /// The value for `key`: the batch's own write if it made one, the map's latest value otherwise.
    fn get(&self, key: &K) -> Option<V>;
    /// Inserts `value` for `key` in the batch, returning the value it replaces in the batch's view.
    fn insert(&mut self, key: K, value: V) -> Option<V>;
    /// Removes `key` in the batch, returning the value it had in the batch's view.
    fn remove(&mut self, key: &K) -> Option<V>;

    /// Inserts every entry, as [`insert`](Self::insert) would one after another (of two entries
    /// for one key, the later wins), without returning the values they replace.
    ///
    /// Because nothing waits for each write's result, a map may order the work for locality:
    /// a trie, for instance, applies the entries in the order of their hashes and fetches the
    /// nodes of the next ones while it writes the current one. The default is a loop of `insert`.
    fn insert_all(&mut self, entries: &mut dyn Iterator<Item = (K, V)>) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}
