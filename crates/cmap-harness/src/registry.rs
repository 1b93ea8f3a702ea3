//! Every structure `cmap` can measure: name, family, capabilities, and its monomorphized entry
//! points.

use cmap_results::{Family, KeyType};

use crate::adapter::{Adapter, Caps, Structure, null::Null, ours};
use crate::freq::{self, CountCtx, CountOutcome};
use crate::keys::{BenchKey, BenchValue, Payload};
use crate::runner::{self, RepeatCtx, RepeatOutcome};

/// A structure the harness can run.
#[derive(Debug, Clone, Copy)]
pub struct StructureInfo {
    /// The name used on the command line and in results.
    pub name: &'static str,
    /// Ours, a peer, or the null map.
    pub family: Family,
    /// One line for `cmap list`.
    pub description: &'static str,
    /// What it supports beyond the contract.
    pub caps: Caps,
    /// Runs one repeat, choosing the loop compiled for the workload's key and value types.
    pub run_repeat: fn(&RepeatCtx<'_>) -> RepeatOutcome,
    /// Runs the frequency count through the structure's `upsert`.
    pub count: fn(&CountCtx<'_>) -> CountOutcome,
    /// Every write costs time linear in the map's size, so any repeat with writes runs into the
    /// time limit (used by the time estimate).
    pub linear_writes: bool,
    /// Rough cost of one operation on one thread, for the time estimate only: nanoseconds per
    /// read and per write on a 512Ki-key map, from a default-suite run on a shared 2-core machine.
    pub cost_ns: Cost,
}

/// Rough per-operation costs, for the time estimate (never for results).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// A `get` (a range scan counts as twenty).
    pub read: f64,
    /// An insert, remove, update or upsert.
    pub write: f64,
}

impl Cost {
    const FAST: Cost = Cost {
        read: 100.0,
        write: 150.0,
    };
}

impl StructureInfo {
    fn of<S: Structure>(name: &'static str, family: Family, description: &'static str) -> Self {
        Self {
            name,
            family,
            description,
            caps: <S::Map<u64, Payload<1>> as Adapter<u64, Payload<1>>>::CAPS,
            run_repeat: run_repeat::<S>,
            count: freq::count::<S::Map<u64, Payload<1>>>,
            linear_writes: false,
            cost_ns: Cost::FAST,
        }
    }

    fn costing(self, read: f64, write: f64) -> Self {
        Self {
            cost_ns: Cost { read, write },
            ..self
        }
    }

    /// Why this structure cannot run a workload with these operations, if it cannot.
    pub fn missing_capability(&self, needs_scan: bool, needs_snapshot: bool) -> Option<String> {
        if needs_scan && !self.caps.ordered {
            return Some(
                "needs range scans (Ordered); this structure keeps no key order".to_owned(),
            );
        }
        if needs_snapshot && !self.caps.snapshots {
            return Some(
                "needs point-in-time snapshots (Snapshots); this structure has none".to_owned(),
            );
        }
        None
    }
}

/// Calls `runner::run_repeat` with the adapter for the workload's key type and value size.
fn run_repeat<S: Structure>(ctx: &RepeatCtx<'_>) -> RepeatOutcome {
    fn with_value<S: Structure, K: BenchKey>(
        ctx: &RepeatCtx<'_>,
        table: &K::Table,
    ) -> RepeatOutcome {
        fn go<S: Structure, K: BenchKey, V: BenchValue>(
            ctx: &RepeatCtx<'_>,
            table: &K::Table,
        ) -> RepeatOutcome {
            runner::run_repeat::<S::Map<K, V>, K, V>(ctx, table)
        }
        match ctx.spec.value_size {
            8 => go::<S, K, Payload<1>>(ctx, table),
            16 => go::<S, K, Payload<2>>(ctx, table),
            64 => go::<S, K, Payload<8>>(ctx, table),
            256 => go::<S, K, Payload<32>>(ctx, table),
            other => unreachable!("value size {other} passed validation"),
        }
    }
    match ctx.spec.key_type {
        KeyType::U64 => with_value::<S, u64>(ctx, &()),
        KeyType::String { .. } => with_value::<S, String>(
            ctx,
            ctx.string_keys
                .expect("string workloads carry their key table"),
        ),
    }
}

/// The null map, which measures the harness.
pub fn null() -> StructureInfo {
    StructureInfo::of::<Null>(
        "null",
        Family::Null,
        "does nothing; measures the harness's own cost per operation",
    )
}

/// Every structure, ours first (the baseline, `locked`, leading), then the peers.
pub fn all() -> Vec<StructureInfo> {
    let mut list = vec![StructureInfo::of::<ours::Locked>(
        "locked",
        Family::Cmap,
        "one hashbrown table behind one parking_lot RwLock (the baseline)",
    )];
    list.extend([
        StructureInfo::of::<ours::Sharded>(
            "sharded",
            Family::Cmap,
            "power-of-two shards, each an RwLock over a hashbrown table, incremental resize",
        ),
        StructureInfo::of::<ours::Cow>(
            "cow",
            Family::Cmap,
            "copy-on-write wide hash trie: lock-free reads, O(log n) copied per write",
        )
        .costing(200.0, 2000.0),
        StructureInfo {
            linear_writes: true,
            ..StructureInfo::of::<ours::CowFullCopy>(
                "cow-full-copy",
                Family::Cmap,
                "copy-on-write hashbrown table copied whole on every write (O(n) writes)",
            )
        },
        StructureInfo::of::<ours::SkipList>(
            "skiplist",
            Family::Cmap,
            "versioned skip list: ordered scans, point-in-time snapshots, atomic batches",
        )
        .costing(1000.0, 2000.0),
    ]);
    #[cfg(feature = "peers")]
    {
        use crate::adapter::peers;
        list.extend([
            StructureInfo::of::<peers::dashmap::Dash>(
                "dashmap",
                Family::Peer,
                "dashmap 6: shards of RwLock<hashbrown table>",
            ),
            StructureInfo::of::<peers::papaya::Papaya>(
                "papaya",
                Family::Peer,
                "papaya 0.2: lock-free table, incremental resize",
            )
            .costing(120.0, 500.0),
            StructureInfo::of::<peers::scc::Scc>(
                "scc",
                Family::Peer,
                "scc 3 HashMap: locked buckets, lock-free resize",
            ),
            StructureInfo::of::<peers::crossbeam::CrossbeamSkipMap>(
                "crossbeam-skipmap",
                Family::Peer,
                "crossbeam-skiplist 0.1 SkipMap: lock-free skip list, live iterators",
            )
            .costing(900.0, 1400.0),
            StructureInfo::of::<peers::std_rwlock::StdRwLock>(
                "std-rwlock",
                Family::Peer,
                "std RwLock<std HashMap>",
            ),
        ]);
    }
    list
}

/// The structure every ratio is relative to.
pub const BASELINE: &str = "locked";

/// The structure called `name` (including `null`).
pub fn find(name: &str) -> Option<StructureInfo> {
    all().into_iter().chain([null()]).find(|s| s.name == name)
}
