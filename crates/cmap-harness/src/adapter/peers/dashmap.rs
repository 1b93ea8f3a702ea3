//! `dashmap::DashMap`: shards of `RwLock<hashbrown table>`, guard-returning API.

use cmap_core::DefaultHashBuilder;
use dashmap::DashMap;

use crate::adapter::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The dashmap structure.
#[derive(Debug)]
pub struct Dash;

/// `DashMap` with the workspace hasher.
#[derive(Debug)]
pub struct DashAdapter<K: BenchKey, V: BenchValue>(DashMap<K, V, DefaultHashBuilder>);

impl Structure for Dash {
    type Map<K: BenchKey, V: BenchValue> = DashAdapter<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for DashAdapter<K, V> {
    const CAPS: Caps = Caps {
        ordered: false,
        snapshots: false,
        atomic_rmw: true,
    };

    fn build(capacity: usize) -> Self {
        DashAdapter(DashMap::with_capacity_and_hasher(
            capacity,
            DefaultHashBuilder::default(),
        ))
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        // The guard is dropped at the end of the statement, as users are told to do.
        self.0.get(key).map(|v| v.probe())
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        std::hint::black_box(self.0.insert(key, value));
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        self.0.remove(key).is_some()
    }

    #[inline(always)]
    fn update(&self, key: &K) -> bool {
        self.0.get_mut(key).map(|mut v| v.bump()).is_some()
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        self.0.entry(key).and_modify(|v| v.bump()).or_insert(value);
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
