//! `crossbeam_skiplist::SkipMap`: a lock-free skip list with live (not snapshot) iterators.
//!
//! Its values are immutable once inserted, so there is no in-place update: `update` and `upsert`
//! read the value and insert a modified copy, as its users do for plain values. That pair of
//! operations is not atomic (two concurrent bumps can lose one), which [`Caps::atomic_rmw`]
//! records; the frequency count, which needs exact counts, skips this map.

use std::ops::Bound;

use crossbeam_skiplist::SkipMap;

use crate::adapter::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The crossbeam skip list structure.
#[derive(Debug)]
pub struct CrossbeamSkipMap;

/// `SkipMap`, used directly.
#[derive(Debug)]
pub struct SkipMapAdapter<K: BenchKey, V: BenchValue>(SkipMap<K, V>);

impl Structure for CrossbeamSkipMap {
    type Map<K: BenchKey, V: BenchValue> = SkipMapAdapter<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for SkipMapAdapter<K, V> {
    const CAPS: Caps = Caps {
        ordered: true,
        snapshots: false,
        atomic_rmw: false,
    };
    // A read-then-write update re-inserts the key, which needs it owned.
    const UPDATE_TAKES_OWNED_KEY: bool = true;

    fn build(_capacity: usize) -> Self {
        // A skip list has no capacity to reserve.
        SkipMapAdapter(SkipMap::new())
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        self.0.get(key).map(|e| e.value().probe())
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        self.0.insert(key, value);
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        self.0.remove(key).is_some()
    }

    fn update(&self, _: &K) -> bool {
        unreachable!("the skip map's update re-inserts, so it takes an owned key")
    }

    #[inline(always)]
    fn update_owned(&self, key: K) -> bool {
        let Some(mut value) = self.0.get(&key).map(|e| *e.value()) else {
            return false;
        };
        value.bump();
        self.0.insert(key, value);
        true
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        let value = match self.0.get(&key) {
            Some(entry) => {
                let mut next = *entry.value();
                next.bump();
                next
            }
            None => value,
        };
        self.0.insert(key, value);
    }

    fn scan(&self, from: &K, len: u32) -> u64 {
        self.0
            .range((Bound::Included(from), Bound::Unbounded))
            .take(len as usize)
            .fold(0u64, |digest, e| digest.wrapping_add(e.value().probe()))
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
