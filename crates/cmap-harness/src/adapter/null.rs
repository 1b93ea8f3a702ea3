//! The map that does nothing: running the same streams through it measures what the harness loop
//! itself costs per operation (walking the stream, dispatching, building keys and values, sampled
//! timing), which every other figure includes.

use std::hint::black_box;
use std::marker::PhantomData;

use super::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The null structure.
#[derive(Debug)]
pub struct Null;

/// The null map: every operation hands its arguments to `black_box` and returns.
#[derive(Debug)]
pub struct NullMap<K, V>(PhantomData<fn(K, V)>);

impl Structure for Null {
    type Map<K: BenchKey, V: BenchValue> = NullMap<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for NullMap<K, V> {
    const CAPS: Caps = Caps {
        ordered: true,
        snapshots: true,
        atomic_rmw: true,
    };

    fn build(_: usize) -> Self {
        NullMap(PhantomData)
    }

    fn prefill(&self, entries: impl Iterator<Item = (K, V)>) {
        entries.for_each(drop);
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        black_box(key);
        None
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        black_box((key, value));
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        black_box(key);
        false
    }

    #[inline(always)]
    fn update(&self, key: &K) -> bool {
        black_box(key);
        false
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        black_box((key, value));
    }

    #[inline(always)]
    fn scan(&self, from: &K, len: u32) -> u64 {
        black_box((from, len));
        0
    }

    #[inline(always)]
    fn snapshot_scan(&self) -> u64 {
        0
    }

    fn len(&self) -> usize {
        0
    }
}
