//! The adapter for every map that implements `cmap_core::ConcurrentMap`.
//!
//! One generic adapter covers them all; the wrappers differ only in which capabilities they expose
//! to the runner, because Rust cannot ask "does this type implement `Ordered`?" at run time.

use std::hint::black_box;
use std::ops::ControlFlow;

use cmap_core::{Batch, ConcurrentMap, Ordered, Snapshot, Snapshots};

use super::{Adapter, Caps};
use crate::keys::{BenchKey, BenchValue};

/// A `ConcurrentMap` with no optional capability in use.
#[derive(Debug)]
pub struct Plain<M>(pub M);

/// A `ConcurrentMap` with `Snapshots`.
#[derive(Debug)]
pub struct WithSnapshots<M>(pub M);

/// A `ConcurrentMap` with `Snapshots` that is prefilled in one `Batch`: a map that copies itself
/// whole on every write would take quadratic time to fill one insert at a time, and its users fill
/// it in one batch.
#[derive(Debug)]
pub struct BatchFilled<M>(pub M);

/// A `ConcurrentMap` with `Ordered` and `Snapshots`.
#[derive(Debug)]
pub struct OrderedWithSnapshots<M>(pub M);

/// The operations every `ConcurrentMap` has, identical in every wrapper.
macro_rules! contract_ops {
    () => {
        #[inline(always)]
        fn get(&self, key: &K) -> Option<u64> {
            self.0.get_with(key, V::probe)
        }

        #[inline(always)]
        fn insert(&self, key: K, value: V) {
            black_box(self.0.insert(key, value));
        }

        #[inline(always)]
        fn remove(&self, key: &K) -> bool {
            self.0.remove(key).is_some()
        }

        #[inline(always)]
        fn update(&self, key: &K) -> bool {
            self.0.update(key, V::bump).is_some()
        }

        #[inline(always)]
        fn upsert(&self, key: K, value: V) {
            let _ = self.0.upsert(key, || value, V::bump);
        }

        fn len(&self) -> usize {
            self.0.len()
        }
    };
}

fn build<M: ConcurrentMap<Hasher: Default>>(capacity: usize) -> M {
    M::with_capacity_and_hasher(capacity, M::Hasher::default())
}

fn iterate_snapshot<S: Snapshot<Value: BenchValue>>(snapshot: &S) -> u64 {
    let mut digest = 0u64;
    snapshot.for_each(|_, v| digest = digest.wrapping_add(v.probe()));
    digest
}

const ATOMIC: Caps = Caps {
    ordered: false,
    snapshots: false,
    atomic_rmw: true,
};

impl<K, V, M> Adapter<K, V> for Plain<M>
where
    K: BenchKey,
    V: BenchValue,
    M: ConcurrentMap<Key = K, Value = V, Hasher: Default>,
{
    const CAPS: Caps = ATOMIC;

    fn build(capacity: usize) -> Self {
        Plain(build(capacity))
    }

    contract_ops!();
}

impl<K, V, M> Adapter<K, V> for WithSnapshots<M>
where
    K: BenchKey,
    V: BenchValue,
    M: Snapshots<Key = K, Value = V, Hasher: Default>,
{
    const CAPS: Caps = Caps {
        snapshots: true,
        ..ATOMIC
    };

    fn build(capacity: usize) -> Self {
        WithSnapshots(build(capacity))
    }

    contract_ops!();

    fn snapshot_scan(&self) -> u64 {
        iterate_snapshot(&self.0.snapshot())
    }
}

impl<K, V, M> Adapter<K, V> for BatchFilled<M>
where
    K: BenchKey,
    V: BenchValue,
    M: Snapshots<Key = K, Value = V, Hasher: Default> + Batch,
{
    const CAPS: Caps = Caps {
        snapshots: true,
        ..ATOMIC
    };

    fn build(capacity: usize) -> Self {
        BatchFilled(build(capacity))
    }

    fn prefill(&self, entries: impl Iterator<Item = (K, V)>) {
        self.0.batch(|writer| {
            for (k, v) in entries {
                writer.insert(k, v);
            }
        });
    }

    contract_ops!();

    fn snapshot_scan(&self) -> u64 {
        iterate_snapshot(&self.0.snapshot())
    }
}

impl<K, V, M> Adapter<K, V> for OrderedWithSnapshots<M>
where
    K: BenchKey,
    V: BenchValue,
    M: Ordered<Key = K, Value = V, Hasher: Default> + Snapshots,
{
    const CAPS: Caps = Caps {
        ordered: true,
        snapshots: true,
        atomic_rmw: true,
    };

    fn build(capacity: usize) -> Self {
        OrderedWithSnapshots(build(capacity))
    }

    contract_ops!();

    fn scan(&self, from: &K, len: u32) -> u64 {
        let mut digest = 0u64;
        let mut left = len;
        self.0.range_with(from.., |_, v| {
            digest = digest.wrapping_add(v.probe());
            left -= 1;
            if left == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        digest
    }

    fn snapshot_scan(&self) -> u64 {
        iterate_snapshot(&self.0.snapshot())
    }
}

/// Declares a [`Structure`](super::Structure) for one of our map types, with a wrapper.
macro_rules! our_structure {
    ($(#[$doc:meta])* $name:ident, $wrapper:ident, $map:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl super::Structure for $name {
            type Map<K: BenchKey, V: BenchValue> = $wrapper<$map<K, V>>;
        }
    };
}

use cmap_cow::{CowMap, FullCopyMap};
use cmap_locked::LockedMap;
use cmap_sharded::ShardedMap;
use cmap_skiplist::SkipListMap;

our_structure!(
    /// `cmap_locked::LockedMap`, the baseline.
    Locked,
    Plain,
    LockedMap
);
our_structure!(
    /// `cmap_sharded::ShardedMap`.
    Sharded,
    Plain,
    ShardedMap
);
our_structure!(
    /// `cmap_cow::CowMap`, the persistent trie.
    Cow,
    WithSnapshots,
    CowMap
);
our_structure!(
    /// `cmap_cow::FullCopyMap`, which copies its whole table on every write.
    CowFullCopy,
    BatchFilled,
    FullCopyMap
);
our_structure!(
    /// `cmap_skiplist::SkipListMap`, the versioned skip list.
    SkipList,
    OrderedWithSnapshots,
    SkipListMap
);
