//! Adapters: one interface the timed loop drives, implemented once for every structure.
//!
//! The loop is generic over [`Adapter`], so each structure gets its own monomorphized copy of it:
//! no dynamic dispatch per operation, and each map's calls inline into the loop exactly as they
//! would into a user's code.
//!
//! - [`ours`]: one generic adapter for every map implementing `cmap_core::ConcurrentMap`, plus
//!   wrappers that also expose their capabilities (`Ordered`, `Snapshots`).
//! - [`null`]: the map that does nothing, which measures the harness itself.
//! - One file per peer (feature `peers`), each doing what that map's users would write: no
//!   lookup before an insert, no refresh after a write, the map's own in-place update where it has
//!   one. Every hash map is built with `cmap_core::DefaultHashBuilder`.

pub mod null;
pub mod ours;
#[cfg(feature = "peers")]
pub mod peers;

use crate::keys::{BenchKey, BenchValue};

/// The optional operations a structure supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    /// Range scans in key order (`Ordered`).
    pub ordered: bool,
    /// Point-in-time snapshots that can be iterated (`Snapshots`).
    pub snapshots: bool,
    /// `update` and `upsert` are atomic read-modify-writes (false for maps whose values cannot be
    /// modified in place, where the adapter reads and writes back, as their users would).
    pub atomic_rmw: bool,
}

/// One structure, as the timed loop sees it. Values are modified with [`BenchValue::bump`].
pub trait Adapter<K: BenchKey, V: BenchValue>: Send + Sync + Sized {
    /// What the structure supports. The runner never calls [`Adapter::scan`] or
    /// [`Adapter::snapshot_scan`] on a structure that lacks the capability.
    const CAPS: Caps;
    /// Whether the map's `update` takes an owned key (papaya, and read-then-write adapters), so the
    /// runner must supply one from the key pool.
    const UPDATE_TAKES_OWNED_KEY: bool = false;

    /// An empty map with room for about `capacity` entries (0: no presizing).
    fn build(capacity: usize) -> Self;

    /// Fills the map before timing. Inserts one by one unless the structure has a better way that
    /// its users would take (a whole-copy map takes one batch).
    fn prefill(&self, entries: impl Iterator<Item = (K, V)>) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }

    /// Reads the value for `key`, returning its first word.
    fn get(&self, key: &K) -> Option<u64>;
    /// Inserts or replaces.
    fn insert(&self, key: K, value: V);
    /// Removes, returning whether the key was present.
    fn remove(&self, key: &K) -> bool;
    /// Bumps the value if present, returning whether it was.
    fn update(&self, key: &K) -> bool;
    /// [`Adapter::update`] for maps whose API takes an owned key.
    fn update_owned(&self, key: K) -> bool {
        self.update(&key)
    }
    /// Inserts `value` if absent, bumps the present value otherwise, in one step.
    fn upsert(&self, key: K, value: V);
    /// Visits up to `len` entries in key order from `from`, returning a digest of what it saw.
    fn scan(&self, _from: &K, _len: u32) -> u64 {
        unreachable!("the runner checks Caps::ordered before scanning")
    }
    /// Takes a snapshot and iterates over it whole, returning a digest of what it saw.
    fn snapshot_scan(&self) -> u64 {
        unreachable!("the runner checks Caps::snapshots before taking snapshots")
    }
    /// Entries in the map (read only outside the timed phase).
    fn len(&self) -> usize;
    /// Whether the map is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A structure: a family of adapters, one per key and value type.
pub trait Structure: 'static {
    /// The adapter for keys `K` and values `V`.
    type Map<K: BenchKey, V: BenchValue>: Adapter<K, V>;
}
