//! Memory reclamation: a version's unshared nodes are freed when the last snapshot or reader
//! holding it goes, and nothing leaks across long runs of writes with snapshots coming and going.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use cmap_core::testing::injected_panic;
use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
use cmap_cow::{CowMap, FullCopyMap};

use crate::counted::Counted;
use crate::counting::net_bytes;
use crate::hashers::Clumped;

/// A small deterministic generator, so the churn is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Random single writes, batches, panicking closures and snapshots kept for a while, all on the
/// calling thread. Returns nothing: everything it made but the map's contents is dropped.
fn churn<M>(map: &M, rounds: usize, keys: u64)
where
    M: Snapshots<Key = u64, Value = u64> + Batch<Key = u64, Value = u64>,
{
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut kept = VecDeque::new();
    for round in 0..rounds {
        let k = rng.below(keys);
        match rng.below(10) {
            0..=3 => drop(map.insert(k, round as u64)),
            4..=6 => drop(map.remove(&k)),
            7 => drop(map.update(&k, |v| *v += 1)),
            8 => map.batch(|batch| {
                for _ in 0..rng.below(40) {
                    let k = rng.below(keys);
                    if rng.below(3) == 0 {
                        batch.remove(&k);
                    } else {
                        batch.insert(k, round as u64);
                    }
                }
            }),
            _ => {
                let _ = catch_unwind(AssertUnwindSafe(|| {
                    map.batch(|batch| {
                        batch.insert(keys + 1, 0);
                        batch.remove(&k);
                        injected_panic()
                    })
                }));
                let _ = catch_unwind(AssertUnwindSafe(|| map.update(&k, |_| injected_panic())));
            }
        }
        if round % 7 == 0 {
            kept.push_back(map.snapshot());
            if kept.len() > 16 {
                kept.pop_front();
            }
        }
    }
}

/// The bytes a map built by `build` holds, measured on this thread.
fn bytes_held<M>(build: impl FnOnce() -> M) -> (M, isize) {
    let before = net_bytes();
    let map = build();
    (map, net_bytes() - before)
}

/// Everything that allocates once per thread and keeps it (the atomic-swap's per-thread debt
/// list entry, the panic machinery) is set up before any measurement.
fn warm_up() {
    let map = CowMap::<u64, u64>::new();
    map.insert(0, 0);
    let _ = map.snapshot();
    let _ = catch_unwind(|| map.update(&0, |_| injected_panic()));
}

fn contents<S: Snapshot<Key = u64, Value = u64>>(snapshot: &S) -> Vec<(u64, u64)> {
    let mut entries = Vec::new();
    snapshot.for_each(|k, v| entries.push((*k, *v)));
    entries.sort_unstable();
    entries
}

/// What a map holds beyond its current version's nodes and its spare nodes: its fixed parts
/// and bookkeeping.
fn overhead<S>(map: &CowMap<u64, u64, S>, held: isize) -> isize {
    held - map.node_bytes() as isize - map.spare_bytes() as isize
}

/// A leaf of `u64` entries and an inner node, in bytes.
const LEAF: usize = 560;
const INNER: usize = 2056;

/// Checks the documented bound on the freed nodes a map of `len` entries keeps for later
/// writes: one leaf per 64 entries and one inner node per 2,048, plus one of each, and lists of
/// them of at most twice as many words.
fn assert_spares_bounded<S: std::hash::BuildHasher + Send + Sync>(map: &CowMap<u64, u64, S>) {
    let len = map.len();
    let (leaves, inners) = (len / 64 + 1, len / 2048 + 1);
    let bound = leaves * LEAF + inners * INNER + 2 * (leaves + inners) * size_of::<usize>();
    assert!(
        map.spare_bytes() <= bound,
        "a map of {len} entries keeps {} bytes of spare nodes, more than {bound}",
        map.spare_bytes()
    );
}

/// Any node is bigger than this: a leaf of `u64` entries takes 560 bytes, an inner node 2,056.
/// The bookkeeping beside the nodes (the list of live versions) may keep some capacity after a
/// burst of snapshots, always less than this.
const LESS_THAN_A_NODE: isize = 512;

/// After a long churn with snapshots taken and dropped, panicking batches and updates, the map
/// holds its current version's nodes and nothing more (within less than one node of what a map
/// built directly holds beside its nodes): every node a write replaced was freed once its last
/// snapshot went. Dropping the map frees everything.
fn churn_keeps_only_the_current_version<S>(hasher: S)
where
    S: std::hash::BuildHasher + Clone + Send + Sync + 'static,
{
    warm_up();
    let (churned, churned_bytes) = bytes_held(|| {
        let map = CowMap::<u64, u64, S>::with_capacity_and_hasher(0, hasher.clone());
        churn(&map, 20_000, 3_000);
        map
    });
    let entries = contents(&churned.snapshot());
    assert!(
        entries.len() > 500,
        "the churn left too few entries to mean anything"
    );
    assert_spares_bounded(&churned);
    let (fresh, fresh_bytes) = bytes_held(|| {
        let map = CowMap::<u64, u64, S>::with_capacity_and_hasher(0, hasher);
        for &(k, v) in &entries {
            map.insert(k, v);
        }
        map
    });
    assert_eq!(contents(&fresh.snapshot()), entries);
    let (churned_extra, fresh_extra) = (
        overhead(&churned, churned_bytes),
        overhead(&fresh, fresh_bytes),
    );
    assert!(
        (churned_extra - fresh_extra).abs() < LESS_THAN_A_NODE,
        "beside its nodes, a churned map holds {churned_extra} bytes, a fresh one with the same \
         {} entries {fresh_extra}",
        entries.len()
    );
    let before_drop = net_bytes();
    drop(churned);
    assert_eq!(
        net_bytes(),
        before_drop - churned_bytes,
        "dropping the map frees all it held"
    );
}

#[test]
fn churn_keeps_only_the_current_version_s_nodes() {
    churn_keeps_only_the_current_version(cmap_core::DefaultHashBuilder::default());
}

#[test]
fn churn_with_collisions_keeps_only_the_current_version_s_nodes() {
    // Groups of 30 keys share a hash: more than a leaf holds, so collision nodes come and go.
    churn_keeps_only_the_current_version(Clumped { group: 30 });
}

#[test]
fn a_snapshot_holds_only_what_later_writes_replaced() {
    warm_up();
    let map: CowMap<u64, u64> = (0..10_000).map(|k| (k, k)).collect();
    let before = net_bytes();
    let spares_before = map.spare_bytes() as isize;
    let snapshot = map.snapshot();
    assert!(net_bytes() - before <= 0, "taking a snapshot allocated");
    map.insert(0, 1);
    // What the write allocated, and what it took from the map's spare nodes.
    let one_path = net_bytes() - before + spares_before - map.spare_bytes() as isize;
    // At 10,000 entries one write replaces one path: the root, one inner node (2,056 bytes
    // each), and a leaf (560 bytes), plus a few bytes of bookkeeping.
    assert!(
        (2 * 2056 + 560..2 * 2056 + 560 + 256).contains(&one_path),
        "one write kept {one_path} bytes"
    );
    drop(snapshot);
    map.insert(0, 0);
    assert_eq!(
        net_bytes() - map.spare_bytes() as isize,
        before - spares_before,
        "the old path was not freed (or kept as spare nodes) with its last snapshot"
    );
    assert_spares_bounded(&map);
}

#[test]
fn full_copy_churn_frees_every_old_table() {
    warm_up();
    let before = net_bytes();
    let map = FullCopyMap::<u64, u64>::new();
    churn(&map, 2_000, 300);
    drop(map);
    assert_eq!(net_bytes(), before);
}

/// Live values of the test below.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// One writer churns while readers on other threads take snapshots, keep some for a while, scan
/// them and drop them on their own threads. Once everyone is done, exactly one copy of each value
/// in the map is alive; once the map goes, none.
#[test]
fn snapshots_dropped_on_other_threads_free_their_versions() {
    const KEYS: u64 = 2_000;
    let map = CowMap::<u64, Counted>::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    let scans = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for r in 0..2 {
            let (map, done, scans) = (&map, &done, &scans);
            scope.spawn(move || {
                let mut kept = VecDeque::new();
                while !done.load(Ordering::Acquire) {
                    let snapshot = map.snapshot();
                    let sum: u64 = snapshot.iter().map(|(_, v)| v.n).sum();
                    std::hint::black_box(sum);
                    scans.fetch_add(1, Ordering::Relaxed);
                    kept.push_back(snapshot);
                    if kept.len() > 4 + r {
                        kept.pop_front();
                    }
                }
            });
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // At least 20,000 writes, and on until the readers have scanned a few times while
        // writes went on: on a loaded machine they may not get a core at first.
        let mut round = 0u64;
        while round < 20_000 || scans.load(Ordering::Relaxed) < 4 {
            round += 1;
            let k = rng.below(KEYS);
            match rng.below(4) {
                0 | 1 => drop(map.insert(k, Counted::new(round, &LIVE))),
                2 => drop(map.remove(&k)),
                _ => map.batch(|batch| {
                    for i in 0..8 {
                        batch.insert((k + i) % KEYS, Counted::new(round, &LIVE));
                    }
                    batch.remove(&((k + 8) % KEYS));
                }),
            }
        }
        done.store(true, Ordering::Release);
    });
    assert_eq!(LIVE.load(Ordering::Relaxed), map.len() as isize);
    drop(map);
    assert_eq!(LIVE.load(Ordering::Relaxed), 0);
}

/// A map that grew and then shrank gives its nodes back: merged leaves and folded inner nodes
/// leave it holding about what a map built with the remaining entries holds, not the shape of
/// its largest size.
#[test]
fn a_map_that_shrinks_gives_its_memory_back() {
    warm_up();
    let (map, grown_bytes) = bytes_held(|| {
        let map = CowMap::<u64, u64>::new();
        map.batch(|batch| batch.insert_all(&mut (0..50_000).map(|k| (k, k))));
        map
    });
    let keep = 200;
    map.batch(|batch| {
        for k in keep..50_000 {
            batch.remove(&k);
        }
    });
    for k in keep / 2..keep {
        map.remove(&k);
    }
    let entries = contents(&map.snapshot());
    assert_eq!(entries, (0..keep / 2).map(|k| (k, k)).collect::<Vec<_>>());
    let (fresh, _) = bytes_held(|| {
        let fresh = CowMap::<u64, u64>::new();
        for &(k, v) in &entries {
            fresh.insert(k, v);
        }
        fresh
    });
    assert_spares_bounded(&map);
    let (shrunk, built) = (map.node_bytes(), fresh.node_bytes());
    assert!(
        shrunk <= 2 * built,
        "{} entries: the shrunk map's nodes take {shrunk} bytes, a fresh map's {built} (it grew \
         to {grown_bytes})",
        entries.len()
    );
}
