//! `CowMap` (persistent trie, path copy per write) and `FullCopyMap` (whole table copied per
//! write), against an unsynchronized `hashbrown::HashMap`, `LockedMap` and `ShardedMap`, all
//! hashing with `DefaultHashBuilder`, on 1M `u64` keys unless said otherwise.
//!
//! 1. `cow_point/{1024,1048576}`: single-thread get, insert, remove and upsert through
//!    `PointOps` (`FullCopyMap` at 1K only: at 1M one of its writes copies 32 MB).
//! 2. `cow_get_vs_hashbrown`: single-thread get, `CowMap` and unsynchronized `hashbrown` side by side.
//! 3. `cow_read_2_threads`: read-only throughput, two threads reading the same map.
//! 4. `cow_take_snapshot`: taking (and dropping) a snapshot.
//! 5. `cow_batch_10k/{65536,1048576}`: 10K overwrites in one batch (`insert` by `insert`, and in
//!    one `BatchWriter::insert_all`) against the same 10K writes one by one.
//! 6. `cow_iterate`: a full scan of a snapshot, by its iterator and by `Snapshot::scan`, with a
//!    `hashbrown` scan as reference.
//! 7. `cow_targets`: printed, not a criterion group: every figure the map is held to, with the
//!    maps it is compared against measured side by side, interleaved in each of 11 rounds, so
//!    that a machine whose speed drifts moves both sides of a ratio together. Prints each
//!    round's ratios, then their median and range.
//! 8. `memory_per_entry`: printed, not timed: bytes each map holds per entry, counted by this
//!    binary's allocator (allocation sizes as requested, not including the allocator's own
//!    overhead).
//!
//! ```sh
//! cargo bench -p cmap-benches --bench cow                       # everything, a few minutes
//! cargo bench -p cmap-benches --bench cow -- cow_get_vs_hashbrown
//! cargo bench -p cmap-benches --bench cow -- memory_per_entry   # the memory table only
//! ```

use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use cmap_benches::{
    PointOps, SIZES, absent_keys, keys, time_get, time_insert, time_remove, time_upsert,
};
use cmap_core::{Batch, ConcurrentMap, DefaultHashBuilder, Snapshot, Snapshots};
use cmap_cow::{CowMap, FullCopyMap};
use cmap_locked::LockedMap;
use cmap_sharded::ShardedMap;
use criterion::{BenchmarkId, Criterion, Throughput};

type Cow = CowMap<u64, u64>;
type FullCopy = FullCopyMap<u64, u64>;
type Table = hashbrown::HashMap<u64, u64, DefaultHashBuilder>;

const MILLION: usize = 1 << 20;

const COW: PointOps<Cow> = PointOps {
    get: |m, k| m.get(k),
    insert: |m, k, v| m.insert(k, v),
    remove: |m, k| m.remove(k),
    upsert: |m, k| {
        let _ = m.upsert(k, || 1, |n| *n += 1);
    },
};

const HASHBROWN: PointOps<Table> = PointOps {
    get: |m, k| m.get(k).copied(),
    insert: |_, _, _| unreachable!(),
    remove: |_, _| unreachable!(),
    upsert: |_, _| unreachable!(),
};

const SNAPSHOT: PointOps<cmap_cow::CowSnapshot<u64, u64>> = PointOps {
    get: |s, k| s.get(k),
    insert: |_, _, _| unreachable!(),
    remove: |_, _| unreachable!(),
    upsert: |_, _| unreachable!(),
};

const FULL_COPY: PointOps<FullCopy> = PointOps {
    get: |m, k| m.get(k),
    insert: |m, k, v| m.insert(k, v),
    remove: |m, k| m.remove(k),
    upsert: |m, k| {
        let _ = m.upsert(k, || 1, |n| *n += 1);
    },
};

fn filled<M: ConcurrentMap<Key = u64, Value = u64>>(keys: &[u64]) -> M
where
    M::Hasher: Default,
{
    let map = M::with_capacity(keys.len());
    for &k in keys {
        map.insert(k, k);
    }
    map
}

fn cow_filled(keys: &[u64]) -> Cow {
    keys.iter().map(|&k| (k, k)).collect()
}

fn point(c: &mut Criterion) {
    for n in SIZES {
        let (present, absent) = (keys(n), absent_keys(n));
        let mut group = c.benchmark_group(format!("cow_point/{n}"));
        group.throughput(Throughput::Elements(1));
        let cow = cow_filled(&present);
        let ops = COW;
        group.bench_function(BenchmarkId::new("get", "cow_map"), |b| {
            b.iter_custom(|iters| time_get(&cow, ops, &present, iters))
        });
        group.bench_function(BenchmarkId::new("insert", "cow_map"), |b| {
            b.iter_custom(|iters| time_insert(&cow, ops, &absent, iters))
        });
        group.bench_function(BenchmarkId::new("remove", "cow_map"), |b| {
            b.iter_custom(|iters| time_remove(&cow, ops, &present, iters))
        });
        group.bench_function(BenchmarkId::new("upsert", "cow_map"), |b| {
            b.iter_custom(|iters| time_upsert(&cow, ops, &present, iters))
        });
        drop(cow);
        if n <= 1 << 10 {
            let full = filled::<FullCopy>(&present);
            let ops = FULL_COPY;
            group.bench_function(BenchmarkId::new("get", "full_copy_map"), |b| {
                b.iter_custom(|iters| time_get(&full, ops, &present, iters))
            });
            group.bench_function(BenchmarkId::new("insert", "full_copy_map"), |b| {
                b.iter_custom(|iters| time_insert(&full, ops, &absent, iters))
            });
            group.bench_function(BenchmarkId::new("remove", "full_copy_map"), |b| {
                b.iter_custom(|iters| time_remove(&full, ops, &present, iters))
            });
            group.bench_function(BenchmarkId::new("upsert", "full_copy_map"), |b| {
                b.iter_custom(|iters| time_upsert(&full, ops, &present, iters))
            });
        }
        group.finish();
    }
}

fn get_vs_hashbrown(c: &mut Criterion) {
    let present = keys(MILLION);
    let mut group = c.benchmark_group(format!("cow_get_vs_hashbrown/{MILLION}"));
    group.throughput(Throughput::Elements(1));
    let mut table = Table::with_capacity_and_hasher(MILLION, DefaultHashBuilder::default());
    table.extend(present.iter().map(|&k| (k, k)));
    group.bench_function("hashbrown", |b| {
        b.iter_custom(|iters| time_get(&table, HASHBROWN, &present, iters))
    });
    drop(table);
    let cow = cow_filled(&present);
    group.bench_function("cow_map", |b| {
        b.iter_custom(|iters| time_get(&cow, COW, &present, iters))
    });
    // The trie walk alone, without the atomic load of the current version.
    let snapshot = cow.snapshot();
    group.bench_function("through_snapshot", |b| {
        b.iter_custom(|iters| time_get(&snapshot, SNAPSHOT, &present, iters))
    });
    group.finish();
}

/// Times `iters` gets on each of two threads reading `map` at once, each from its own place in
/// the key list, and returns the longer of the two times.
fn time_two_readers<M: Sync>(
    map: &M,
    get: fn(&M, &u64) -> Option<u64>,
    keys: &[u64],
    iters: u64,
) -> Duration {
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let offset = t * keys.len() / 2;
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters as usize {
                        black_box(get(map, &keys[(offset + i) % keys.len()]));
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .max()
            .unwrap()
    })
}

fn read_2_threads(c: &mut Criterion) {
    let present = keys(MILLION);
    let mut group = c.benchmark_group(format!("cow_read_2_threads/{MILLION}"));
    // One iteration is one get on each of the two threads.
    group.throughput(Throughput::Elements(2));
    let cow = cow_filled(&present);
    group.bench_function("cow_map", |b| {
        b.iter_custom(|iters| time_two_readers(&cow, |m, k| m.get(k), &present, iters))
    });
    drop(cow);
    let locked = filled::<LockedMap<u64, u64>>(&present);
    group.bench_function("locked_map", |b| {
        b.iter_custom(|iters| time_two_readers(&locked, |m, k| m.get(k), &present, iters))
    });
    drop(locked);
    let sharded = filled::<ShardedMap<u64, u64>>(&present);
    group.bench_function("sharded_map", |b| {
        b.iter_custom(|iters| time_two_readers(&sharded, |m, k| m.get(k), &present, iters))
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let cow = cow_filled(&keys(MILLION));
    let mut group = c.benchmark_group(format!("cow_take_snapshot/{MILLION}"));
    group.bench_function("cow_map", |b| b.iter(|| black_box(cow.snapshot())));
    group.finish();
}

fn batch_10k(c: &mut Criterion) {
    const WRITES: usize = 10_000;
    // At 64K entries the 10K writes share most of their nodes; at 1M most land in a bottom node of
    // their own, so a batch saves only the copies of the levels above it and the publications.
    for n in [1 << 16, MILLION] {
        let present = keys(n);
        let cow = cow_filled(&present);
        // Overwrites of present keys spread over the whole map, so the size never changes.
        let written: Vec<u64> = present
            .iter()
            .step_by(present.len() / WRITES)
            .take(WRITES)
            .copied()
            .collect();
        let mut group = c.benchmark_group(format!("cow_batch_10k/{n}"));
        group.throughput(Throughput::Elements(WRITES as u64));
        let mut round = 0u64;
        group.bench_function("one_batch", |b| {
            b.iter(|| {
                round += 1;
                cow.batch(|batch| {
                    for &k in &written {
                        batch.insert(k, round);
                    }
                })
            })
        });
        group.bench_function("one_batch_insert_all", |b| {
            b.iter(|| {
                round += 1;
                cow.batch(|batch| batch.insert_all(&mut written.iter().map(|&k| (k, round))))
            })
        });
        group.bench_function("one_by_one", |b| {
            b.iter(|| {
                round += 1;
                for &k in &written {
                    cow.insert(k, round);
                }
            })
        });
        group.finish();
    }
}

fn iterate(c: &mut Criterion) {
    let present = keys(MILLION);
    let mut group = c.benchmark_group(format!("cow_iterate/{MILLION}"));
    group.throughput(Throughput::Elements(MILLION as u64));
    let cow = cow_filled(&present);
    let snapshot = cow.snapshot();
    group.bench_function("snapshot_iter", |b| {
        b.iter(|| {
            snapshot
                .iter()
                .map(|(_, v)| *v)
                .fold(0u64, u64::wrapping_add)
        })
    });
    group.bench_function("snapshot_scan", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            snapshot.scan(|_, v| {
                sum = sum.wrapping_add(*v);
                ControlFlow::Continue(())
            });
            sum
        })
    });
    drop((snapshot, cow));
    let mut table = Table::with_capacity_and_hasher(MILLION, DefaultHashBuilder::default());
    table.extend(present.iter().map(|&k| (k, k)));
    group.bench_function("hashbrown_iter", |b| {
        b.iter(|| table.values().fold(0u64, |a, v| a.wrapping_add(*v)))
    });
    group.finish();
}

/// Counts the bytes the calling thread holds, so the memory table can weigh each map built on it.
#[global_allocator]
static ALLOCATOR: cmap_alloc::ThreadCountingAlloc = cmap_alloc::ThreadCountingAlloc;

fn net_bytes() -> isize {
    cmap_alloc::thread_net_bytes() as isize
}

/// Bytes per entry held by a map of `n` entries that `build` makes, inserting one key at a time.
fn bytes_per_entry<M>(n: usize, build: impl FnOnce(&[u64]) -> M) -> f64 {
    let present = keys(n);
    let before = net_bytes();
    let map = build(&present);
    let held = net_bytes() - before;
    drop(map);
    held as f64 / n as f64
}

/// Nanoseconds per operation.
fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_secs_f64() * 1e9 / ops as f64
}

/// The median and the range of `values`.
fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

/// The issue's figures at 2^20 keys, every comparison measured side by side in each round.
fn targets() {
    const ROUNDS: usize = 11;
    const GETS: usize = 1 << 20;
    const INSERTS: usize = 2_000;
    const WRITES: usize = 10_000;
    let present = keys(MILLION);
    let absent = absent_keys(MILLION);
    let mut table = Table::with_capacity_and_hasher(MILLION, DefaultHashBuilder::default());
    table.extend(present.iter().map(|&k| (k, k)));
    let cow = cow_filled(&present);
    let sharded = filled::<ShardedMap<u64, u64>>(&present);
    let written: Vec<u64> = present
        .iter()
        .step_by(MILLION / WRITES)
        .take(WRITES)
        .copied()
        .collect();
    println!("cow_targets: {MILLION} u64 keys, {ROUNDS} rounds, every map measured in every round");
    println!(
        "{:>5} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10} {:>7} {:>10} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "round",
        "hb_get",
        "cow_get",
        "snap_get",
        "ratio",
        "cow_2t",
        "shard_2t",
        "ratio",
        "insert_med",
        "one_by_1",
        "batch",
        "ins_all",
        "ratio",
        "ratio"
    );
    let mut columns: [Vec<f64>; 6] = Default::default();
    for round in 0..ROUNDS {
        let hb = per_op(time_get(&table, HASHBROWN, &present, GETS as u64), GETS);
        let snapshot = cow.snapshot();
        let snap_get = per_op(time_get(&snapshot, SNAPSHOT, &present, GETS as u64), GETS);
        drop(snapshot);
        let cow_get = per_op(time_get(&cow, COW, &present, GETS as u64), GETS);
        let cow_2t = per_op(
            time_two_readers(&cow, |m, k| m.get(k), &present, GETS as u64 / 2),
            GETS / 2,
        );
        let sharded_2t = per_op(
            time_two_readers(&sharded, |m, k| m.get(k), &present, GETS as u64 / 2),
            GETS / 2,
        );
        // Single inserts of absent keys, each timed alone; removed again afterwards.
        let from = round * INSERTS % (absent.len() - INSERTS);
        let mut inserts: Vec<f64> = absent[from..from + INSERTS]
            .iter()
            .map(|&k| {
                let start = Instant::now();
                black_box(cow.insert(k, k));
                per_op(start.elapsed(), 1)
            })
            .collect();
        for k in &absent[from..from + INSERTS] {
            cow.remove(k);
        }
        let (insert_median, _, _) = spread(&mut inserts);
        let value = round as u64;
        let start = Instant::now();
        for &k in &written {
            cow.insert(k, value);
        }
        let one_by_one = per_op(start.elapsed(), 1) / 1e6;
        let start = Instant::now();
        cow.batch(|batch| {
            for &k in &written {
                batch.insert(k, value + 1);
            }
        });
        let batch = per_op(start.elapsed(), 1) / 1e6;
        let start = Instant::now();
        cow.batch(|batch| batch.insert_all(&mut written.iter().map(|&k| (k, value + 2))));
        let insert_all = per_op(start.elapsed(), 1) / 1e6;
        let ratios = [
            hb / cow_get,
            sharded_2t / cow_2t,
            one_by_one / batch,
            one_by_one / insert_all,
        ];
        println!(
            "{round:>5} {hb:>7.1}ns {cow_get:>7.1}ns {snap_get:>7.1}ns {:>7.2} {cow_2t:>8.1}ns {sharded_2t:>8.1}ns \
             {:>7.2} {:>8.2}us {one_by_one:>7.2}ms {batch:>7.2}ms {insert_all:>7.2}ms {:>7.2} {:>7.2}",
            ratios[0],
            ratios[1],
            insert_median / 1e3,
            ratios[2],
            ratios[3]
        );
        let extra = [insert_median, hb / snap_get];
        for (column, ratio) in columns.iter_mut().zip(ratios.into_iter().chain(extra)) {
            column.push(ratio);
        }
    }
    let names = [
        "get, cow / hashbrown throughput (target >= 0.5)",
        "reads at 2 threads, cow / sharded throughput (target >= 1.3)",
        "10K overwrites, one batch of inserts / one by one (target >= 5)",
        "10K overwrites, one batch insert_all / one by one (target >= 5)",
        "median single insert, ns (target < 2000)",
        "get through a snapshot (no per-thread cache), cow / hashbrown throughput",
    ];
    for (name, column) in names.iter().zip(&mut columns) {
        let (median, low, high) = spread(column);
        println!("{name}: median {median:.2} (range {low:.2}-{high:.2})");
    }
}

fn memory_per_entry() {
    println!("memory_per_entry: bytes held per u64 -> u64 entry, counted by the allocator");
    println!(
        "{:>10} {:>12} {:>12} {:>14} {:>12}",
        "entries", "cow_map", "locked_map", "full_copy_map", "cow/locked"
    );
    for n in [1 << 10, 1 << 16, MILLION] {
        let grown = |keys: &[u64]| {
            let map = Cow::new();
            for &k in keys {
                map.insert(k, k);
            }
            map
        };
        let cow = bytes_per_entry(n, grown);
        let locked = bytes_per_entry(n, |keys| {
            let map = LockedMap::<u64, u64>::new();
            for &k in keys {
                map.insert(k, k);
            }
            map
        });
        // One batch: inserting one key at a time would copy the table a million times.
        let full = bytes_per_entry(n, |keys| {
            let map = FullCopy::new();
            map.batch(|batch| {
                for &k in keys {
                    batch.insert(k, k);
                }
            });
            map
        });
        println!(
            "{n:>10} {cow:>12.1} {locked:>12.1} {full:>14.1} {:>12.2}",
            cow / locked
        );
    }
}

fn main() {
    // Criterion's own options that take a value: their values are not filters.
    const WITH_VALUE: [&str; 12] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            !a.starts_with('-') && (i == 0 || !WITH_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let asked =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    if asked("memory_per_entry") {
        memory_per_entry();
    }
    if asked("cow_targets") {
        targets();
    }
    let mut criterion = Criterion::default().configure_from_args();
    point(&mut criterion);
    get_vs_hashbrown(&mut criterion);
    read_2_threads(&mut criterion);
    snapshot(&mut criterion);
    batch_10k(&mut criterion);
    iterate(&mut criterion);
    criterion.final_summary();
}
