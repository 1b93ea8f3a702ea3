//! `std::sync::RwLock<std::collections::HashMap>`: what many programs start with.

use std::collections::HashMap;
use std::sync::RwLock;

use cmap_core::DefaultHashBuilder;

use crate::adapter::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The std structure.
#[derive(Debug)]
pub struct StdRwLock;

/// A std `HashMap` behind a std `RwLock`, with the workspace hasher. Poisoning is unwrapped as
/// most users do; nothing here panics while holding the lock.
#[derive(Debug)]
pub struct StdRwLockAdapter<K: BenchKey, V: BenchValue>(RwLock<HashMap<K, V, DefaultHashBuilder>>);

impl Structure for StdRwLock {
    type Map<K: BenchKey, V: BenchValue> = StdRwLockAdapter<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for StdRwLockAdapter<K, V> {
    const CAPS: Caps = Caps {
        ordered: false,
        snapshots: false,
        atomic_rmw: true,
    };

    fn build(capacity: usize) -> Self {
        StdRwLockAdapter(RwLock::new(HashMap::with_capacity_and_hasher(
            capacity,
            DefaultHashBuilder::default(),
        )))
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        self.0.read().unwrap().get(key).map(V::probe)
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        std::hint::black_box(self.0.write().unwrap().insert(key, value));
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        self.0.write().unwrap().remove(key).is_some()
    }

    #[inline(always)]
    fn update(&self, key: &K) -> bool {
        self.0.write().unwrap().get_mut(key).map(V::bump).is_some()
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        self.0
            .write()
            .unwrap()
            .entry(key)
            .and_modify(V::bump)
            .or_insert(value);
    }

    fn len(&self) -> usize {
        self.0.read().unwrap().len()
    }
}
