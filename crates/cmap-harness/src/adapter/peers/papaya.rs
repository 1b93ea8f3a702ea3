//! `papaya::HashMap`: one lock-free table, reads never block, entries boxed, incremental resize.

use cmap_core::DefaultHashBuilder;

use crate::adapter::{Adapter, Caps, Structure};
use crate::keys::{BenchKey, BenchValue};

/// The papaya structure.
#[derive(Debug)]
pub struct Papaya;

/// `papaya::HashMap` with the workspace hasher. Each operation pins the map for its own duration
/// (`map.pin()`), the pattern papaya's documentation shows for independent operations.
#[derive(Debug)]
pub struct PapayaAdapter<K: BenchKey, V: BenchValue>(papaya::HashMap<K, V, DefaultHashBuilder>);

impl Structure for Papaya {
    type Map<K: BenchKey, V: BenchValue> = PapayaAdapter<K, V>;
}

impl<K: BenchKey, V: BenchValue> Adapter<K, V> for PapayaAdapter<K, V> {
    const CAPS: Caps = Caps {
        ordered: false,
        snapshots: false,
        atomic_rmw: true,
    };
    // papaya's `update` takes the key by value.
    const UPDATE_TAKES_OWNED_KEY: bool = true;

    fn build(capacity: usize) -> Self {
        PapayaAdapter(
            papaya::HashMap::builder()
                .capacity(capacity)
                .hasher(DefaultHashBuilder::default())
                .build(),
        )
    }

    #[inline(always)]
    fn get(&self, key: &K) -> Option<u64> {
        self.0.pin().get(key).map(V::probe)
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) {
        std::hint::black_box(self.0.pin().insert(key, value).is_some());
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> bool {
        self.0.pin().remove(key).is_some()
    }

    fn update(&self, _: &K) -> bool {
        unreachable!("papaya's update takes an owned key")
    }

    #[inline(always)]
    fn update_owned(&self, key: K) -> bool {
        self.0
            .pin()
            .update(key, |v| {
                let mut next = *v;
                next.bump();
                next
            })
            .is_some()
    }

    #[inline(always)]
    fn upsert(&self, key: K, value: V) {
        self.0.pin().update_or_insert(
            key,
            |v| {
                let mut next = *v;
                next.bump();
                next
            },
            value,
        );
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
