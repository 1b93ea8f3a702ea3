//! The conformance suite, with every capability, against both maps in several configurations.

use cmap_core::ConcurrentMap;
use cmap_cow::{CowMap, FullCopyMap};

use crate::hashers::{Clumped, HighBits};

cmap_core::conformance_suite!(
    cow,
    CowMap::<u64, u64>::new(),
    [snapshots, batch, snapshot_batch]
);
// Every 4 consecutive keys share one hash: collision lists are created, grown, split and lifted.
cmap_core::conformance_suite!(
    cow_collisions,
    CowMap::<u64, u64, _>::with_capacity_and_hasher(0, Clumped { group: 4 }),
    [snapshots, batch, snapshot_batch]
);
// Keys differ only in high bits: long single-child paths, and the last level in use.
cmap_core::conformance_suite!(
    cow_deep,
    CowMap::<u64, u64, _>::with_capacity_and_hasher(0, HighBits),
    [snapshots, batch, snapshot_batch]
);
cmap_core::conformance_suite!(
    full_copy,
    FullCopyMap::<u64, u64>::with_capacity(64),
    [snapshots, batch, snapshot_batch]
);
