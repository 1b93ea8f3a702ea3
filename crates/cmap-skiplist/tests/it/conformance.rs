//! The whole conformance suite, every capability the map has.

use cmap_core::ConcurrentMap;
use cmap_skiplist::SkipListMap;

cmap_core::conformance_suite!(
    skiplist,
    SkipListMap::<u64, u64>::new(),
    [ordered, snapshots, ordered_snapshots, batch, snapshot_batch]
);
