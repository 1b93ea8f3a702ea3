//! The suite's own tests: a correct map passes every check, and deliberately broken maps fail the
//! checks meant to catch them. Without the second half the suite could pass anything.

mod broken;

use cmap_core::testing::ReferenceMap;

cmap_core::conformance_suite!(
    reference,
    ReferenceMap::<u64, u64>::default(),
    [ordered, snapshots, ordered_snapshots, batch, snapshot_batch]
);
