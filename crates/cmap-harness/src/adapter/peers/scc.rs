//! `scc::HashMap`: buckets of slots with a lock each, lock-free incremental resize.

use cmap_core::DefaultHashBuilder;

use crate::adapter::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The scc structure.
#[derive(Debug)]
pub struct Scc;

/// `scc::HashMap` with the workspace hasher, through its synchronous API.
#[derive(Debug)]
pub struct SccAdapter<K: BenchKey, V: BenchValue>(scc::HashMap<K, V, DefaultHashBuilder>);

impl Structure for Scc {
    type Map<K: BenchKey, V: BenchValue> = SccAdapter<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for SccAdapter<K, V> {
    const CAPS: Caps = Caps {
        ordered: false,
        snapshots: false,
        atomic_rmw: true,
    };

    fn build(capacity: usize) -> Self {
        SccAdapter(scc::HashMap::with_capacity_and_hasher(
            capacity,
            DefaultHashBuilder::default(),
        ))
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        self.0.read_sync(key, |_, v| v.probe())
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        // `insert_sync` refuses an existing key; `upsert_sync` is scc's insert-or-replace.
        std::hint::black_box(self.0.upsert_sync(key, value));
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        self.0.remove_sync(key).is_some()
    }

    #[inline(always)]
    fn update(&self, key: &K) -> bool {
        self.0.update_sync(key, |_, v| v.bump()).is_some()
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        self.0
            .entry_sync(key)
            .and_modify(|v| v.bump())
            .or_insert(value);
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
