//! `SkipListMap` against the structure it is built on, a raw `crossbeam_skiplist::SkipMap` with
//! the same keys: what versioning costs a point operation, and what snapshots cost and deliver.
//!
//! 1. Criterion micro-benchmarks:
//!    - `skiplist_vs_skipmap/{1024,1048576}`: single-thread get, insert, remove and upsert. The raw
//!      map's insert does not look up the value it replaces, which `SkipListMap::insert` must
//!      return: the comparison favours the raw map.
//!    - `skiplist_snapshots/1048576`: taking and dropping a snapshot; a full scan of a snapshot on
//!      one thread while another thread overwrites random keys as fast as it can, next to the
//!      same scan with no writer and to a raw `SkipMap` iteration (live, not a snapshot) while
//!      writing. Throughput is in entries scanned per second. Twice: for a map filled in key
//!      order (ids, timestamps: nodes lie in memory roughly in key order) and for one filled in
//!      random order (a cache miss per node, for both maps).
//! 2. `ratios`, printed after criterion: get and insert at 1M keys (random fill order), the two
//!    maps interleaved in every round (a fresh chunk of operations each), and a full scan of each
//!    while a writer thread overwrites random keys; the ratio skiplist/raw throughput taken per
//!    round; median and spread over the rounds.
//! 3. `scan_rates`, run only when asked for: full scans of 1M keys, a `SkipListMap` snapshot
//!    against a raw `SkipMap`'s live iteration, interleaved round by round, with no writer, a
//!    writer paced at 100K and at 1M overwrites per second, and a writer flat out; for a map
//!    filled in key order, one filled in random order, and one filled in key order and then
//!    overwritten 2M times at random keys (the layout a writer leaves in the long run). Each line
//!    also gives the share of wall time the scanning thread spent on a CPU (from
//!    `/proc/thread-self/schedstat`: below 1 when another process took its core; a little over 1
//!    on the shortest scans, from the clock's granularity), the versions per key the snapshot
//!    walked, and the writes that landed during each scan.
//!
//! ```sh
//! cargo bench -p cmap-benches --bench skiplist            # criterion and ratios, about 3 minutes
//! cargo bench -p cmap-benches --bench skiplist -- ratios  # the interleaved ratios only
//! cargo bench -p cmap-benches --bench skiplist -- scan_rates  # scans by writer pace, 2 minutes
//! cargo bench -p cmap-benches --bench skiplist_memory     # memory after 10M churn operations
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use cmap_benches::{
    PointOps, SIZES, absent_keys, keys, time_get, time_insert, time_remove, time_upsert,
};
use cmap_core::{ConcurrentMap, Snapshot, Snapshots};
use cmap_skiplist::SkipListMap;
use criterion::{BenchmarkId, Criterion, Throughput};
use crossbeam_skiplist::SkipMap;

type Versioned = SkipListMap<u64, u64>;
type Raw = SkipMap<u64, u64>;

const VERSIONED: PointOps<Versioned> = PointOps {
    get: |m, k| ConcurrentMap::get(m, k),
    insert: |m, k, v| ConcurrentMap::insert(m, k, v),
    remove: |m, k| ConcurrentMap::remove(m, k),
    upsert: |m, k| {
        let _ = m.upsert(k, || 1, |n| *n += 1);
    },
};

const RAW: PointOps<Raw> = PointOps {
    get: |m, k| m.get(k).map(|e| *e.value()),
    insert: |m, k, v| {
        m.insert(k, v);
        None
    },
    remove: |m, k| m.remove(k).map(|e| *e.value()),
    // Not atomic, which a single thread does not need: the cheapest way to count with a SkipMap.
    upsert: |m, k| {
        let next = m.get(&k).map_or(1, |e| *e.value() + 1);
        m.insert(k, next);
    },
};

fn versioned(keys: &[u64]) -> Versioned {
    let map = SkipListMap::new();
    for &k in keys {
        map.insert(k, k);
    }
    map
}

fn raw(keys: &[u64]) -> Raw {
    let map = SkipMap::new();
    for &k in keys {
        map.insert(k, k);
    }
    map
}

fn point_ops<M>(c: &mut Criterion, name: &str, make: fn(&[u64]) -> M, ops: PointOps<M>) {
    for n in SIZES {
        let (present, absent) = (keys(n), absent_keys(n));
        let map = make(&present);
        let mut group = c.benchmark_group(format!("skiplist_vs_skipmap/{n}"));
        group.bench_function(BenchmarkId::new("get", name), |b| {
            b.iter_custom(|iters| time_get(&map, ops, &present, iters))
        });
        group.bench_function(BenchmarkId::new("insert", name), |b| {
            b.iter_custom(|iters| time_insert(&map, ops, &absent, iters))
        });
        group.bench_function(BenchmarkId::new("remove", name), |b| {
            b.iter_custom(|iters| time_remove(&map, ops, &present, iters))
        });
        group.bench_function(BenchmarkId::new("upsert", name), |b| {
            b.iter_custom(|iters| time_upsert(&map, ops, &present, iters))
        });
        group.finish();
    }
}

/// Runs `scan` while another thread overwrites the map's keys in a loop, flat out, from the
/// first key; returns what `scan` returns and how many writes landed meanwhile.
fn while_writing<M: Sync, R>(
    map: &M,
    keys: &[u64],
    write: fn(&M, u64, u64),
    scan: impl FnOnce() -> R,
) -> (R, u64) {
    while_writing_paced(map, keys, &mut 0, Pace::FlatOut, write, scan)
}

fn snapshots(c: &mut Criterion) {
    let n = 1 << 20;
    let map = versioned(&keys(n));
    let mut group = c.benchmark_group(format!("skiplist_snapshots/{n}"));
    group.bench_function("take_and_drop", |b| b.iter(|| black_box(map.snapshot())));
    group.finish();
    drop(map);

    // The same 1M keys filled two ways. A skip list's nodes lie in memory in the order they were
    // allocated, so a scan of a map filled in key order (ids, timestamps) walks memory almost
    // sequentially, and a scan of a map filled in random order takes a cache miss per node.
    let in_order: Vec<u64> = (0..n as u64).collect();
    let random = keys(n);
    // The writer overwrites random keys of the map in both cases.
    let overwrite_in_order: Vec<u64> = random.iter().map(|k| k % n as u64).collect();
    scans(c, "filled_in_key_order", &in_order, &overwrite_in_order);
    scans(c, "filled_in_random_order", &random, &random);
}

/// Full scans of 1M keys: a snapshot with and without a writer thread overwriting `overwrite`
/// meanwhile, and a raw `SkipMap`'s live iteration with the same writer.
fn scans(c: &mut Criterion, layout: &str, fill: &[u64], overwrite: &[u64]) {
    let n = fill.len();
    let map = versioned(fill);
    let raw_map = raw(fill);
    let mut group = c.benchmark_group(format!("skiplist_snapshots/{n}/{layout}"));
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    let count_snapshot = |map: &Versioned| {
        let snapshot = map.snapshot();
        let start = Instant::now();
        let mut seen = 0usize;
        snapshot.for_each(|_, v| {
            black_box(v);
            seen += 1;
        });
        let elapsed = start.elapsed();
        assert_eq!(seen, n, "a snapshot of {n} keys saw {seen}");
        elapsed
    };
    group.bench_function("scan_snapshot", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| count_snapshot(&map)).sum::<Duration>())
    });
    let (mut writes, mut scanned) = (0, 0);
    group.bench_function("scan_snapshot_while_writing", |b| {
        b.iter_custom(|iters| {
            let (elapsed, w) = while_writing(
                &map,
                overwrite,
                |m, k, v| {
                    m.insert(k, v);
                },
                || (0..iters).map(|_| count_snapshot(&map)).sum::<Duration>(),
            );
            writes += w;
            scanned += iters;
            elapsed
        })
    });
    group.bench_function("iterate_raw_skipmap_while_writing", |b| {
        b.iter_custom(|iters| {
            let (elapsed, _) = while_writing(
                &raw_map,
                overwrite,
                |m, k, v| {
                    m.insert(k, v);
                },
                || {
                    (0..iters)
                        .map(|_| {
                            let start = Instant::now();
                            for entry in raw_map.iter() {
                                black_box(entry.value());
                            }
                            start.elapsed()
                        })
                        .sum::<Duration>()
                },
            );
            elapsed
        })
    });
    group.finish();
    eprintln!(
        "{layout}: the writer thread made {} overwrites per snapshot scan",
        writes / scanned.max(1)
    );
}

/// Throughput of `ops` on a chunk of keys, in operations per second.
fn rate(ops: usize, elapsed: Duration) -> f64 {
    ops as f64 / elapsed.as_secs_f64()
}

/// Get and insert at 1M keys, the two maps interleaved round by round: on a shared, noisy
/// machine the per-round ratio is steadier than two separate medians.
fn ratios() {
    const ROUNDS: usize = 15;
    const OPS: usize = 200_000;
    const SCAN_ROUNDS: usize = 5;
    let n = 1 << 20;
    let (present, absent) = (keys(n), absent_keys(n));
    let (map, raw_map) = (versioned(&present), raw(&present));
    let mut get = Vec::with_capacity(ROUNDS);
    let mut insert = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // A different slice of the keys each round, the same for both maps.
        let offset = round * OPS % (n - OPS);
        let chunk = &present[offset..offset + OPS];
        let ours = rate(OPS, time_get(&map, VERSIONED, chunk, OPS as u64));
        let theirs = rate(OPS, time_get(&raw_map, RAW, chunk, OPS as u64));
        get.push(ours / theirs);
        let chunk = &absent[offset..offset + OPS];
        let ours = rate(OPS, time_insert(&map, VERSIONED, chunk, OPS as u64));
        let theirs = rate(OPS, time_insert(&raw_map, RAW, chunk, OPS as u64));
        insert.push(ours / theirs);
    }
    println!(
        "ratios: SkipListMap / SkipMap throughput at 1M u64 keys, {ROUNDS} interleaved rounds of {OPS} ops"
    );
    // Full scans while a writer thread overwrites random keys: a snapshot of `map` against the
    // raw map's live iteration, a fresh snapshot and a fresh writer each round.
    let (mut scan, mut ours_rates, mut raw_rates) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SCAN_ROUNDS {
        let write_versioned: fn(&Versioned, u64, u64) = |m, k, v| {
            m.insert(k, v);
        };
        let (ours, _) = while_writing(&map, &present, write_versioned, || {
            let snapshot = map.snapshot();
            let start = Instant::now();
            let mut seen = 0usize;
            snapshot.for_each(|_, v| {
                black_box(v);
                seen += 1;
            });
            rate(seen, start.elapsed())
        });
        let write_raw: fn(&Raw, u64, u64) = |m, k, v| {
            m.insert(k, v);
        };
        let (theirs, _) = while_writing(&raw_map, &present, write_raw, || {
            let start = Instant::now();
            let mut seen = 0usize;
            for entry in raw_map.iter() {
                black_box(entry.value());
                seen += 1;
            }
            rate(seen, start.elapsed())
        });
        scan.push(ours / theirs);
        ours_rates.push(ours);
        raw_rates.push(theirs);
    }
    for rates in [&mut ours_rates, &mut raw_rates] {
        rates.sort_by(f64::total_cmp);
    }
    println!(
        "  full scan while a writer overwrites: snapshot {:.2} M entries/s, raw live iteration \
         {:.2} M entries/s (medians of {SCAN_ROUNDS})",
        ours_rates[SCAN_ROUNDS / 2] / 1e6,
        raw_rates[SCAN_ROUNDS / 2] / 1e6
    );
    for (name, mut ratios) in [("get", get), ("insert", insert), ("scan", scan)] {
        ratios.sort_by(f64::total_cmp);
        println!(
            "  {name:<6} median {:.2}x  (min {:.2}x, max {:.2}x)",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}

/// How a writer thread paces its overwrites: as fast as it can, or at a target rate.
#[derive(Clone, Copy)]
enum Pace {
    None,
    PerSecond(u64),
    FlatOut,
}

impl Pace {
    fn label(self) -> String {
        match self {
            Pace::None => "no writer".into(),
            Pace::PerSecond(r) => format!("writer paced at {}K writes/s", r / 1000),
            Pace::FlatOut => "writer flat out".into(),
        }
    }
}

/// Runs `scan` while a writer thread overwrites `keys` in order, cycling, at `pace`; returns what
/// `scan` returns and how many writes landed meanwhile.
fn while_writing_paced<M: Sync, R>(
    map: &M,
    keys: &[u64],
    cursor: &mut usize,
    pace: Pace,
    write: fn(&M, u64, u64),
    scan: impl FnOnce() -> R,
) -> (R, u64) {
    if let Pace::None = pace {
        return (scan(), 0);
    }
    let stop = AtomicBool::new(false);
    let writes = AtomicU64::new(0);
    let from = *cursor;
    let result = thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                write(map, keys[(from + i as usize) % keys.len()], i);
                i += 1;
                if let Pace::PerSecond(rate) = pace
                    && i.is_multiple_of(32)
                {
                    let due = Duration::from_secs_f64(i as f64 / rate as f64);
                    let now = start.elapsed();
                    if due > now {
                        thread::sleep(due - now);
                    }
                }
            }
            writes.store(i, Ordering::Relaxed);
        });
        let result = scan();
        stop.store(true, Ordering::Relaxed);
        result
    });
    let writes = writes.into_inner();
    *cursor = (from + writes as usize) % keys.len();
    (result, writes)
}

/// Nanoseconds the calling thread has spent on a CPU, from `/proc/thread-self/schedstat` (Linux);
/// `None` elsewhere.
fn on_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// One timed full scan: entries per second of wall time, and the share of that time the scanning
/// thread was on a CPU (below 1 when other processes or the writer took its core). A raw live
/// iteration may see a key twice, before and after an overwrite moved it to a new node, so the
/// count is not checked here (a panic here would leave the writer thread running).
fn timed_scan(scan: impl FnOnce() -> usize) -> (f64, f64) {
    let cpu = on_cpu_ns();
    let start = Instant::now();
    let seen = scan();
    let elapsed = start.elapsed();
    let on_cpu = match (cpu, on_cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / elapsed.as_nanos() as f64,
        _ => f64::NAN,
    };
    (rate(seen, elapsed), on_cpu)
}

/// The median, minimum and maximum of `v`.
fn spread(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Full scans of 1M keys: a snapshot of `SkipListMap` against a raw `SkipMap`'s live iteration,
/// interleaved round by round (a fresh snapshot and a fresh writer each round, the same writer
/// setting for both), with how many versions per key the snapshot walked and how many writes
/// landed during each scan. Each map is scanned once, untimed, before the rounds: the first full
/// scan of a `SkipListMap` records the fence keys later scans split their walk at.
fn scan_rates() {
    const ROUNDS: usize = 7;
    let n = 1 << 20;
    let in_order: Vec<u64> = (0..n as u64).collect();
    let random = keys(n);
    let paces = [
        Pace::None,
        Pace::PerSecond(100_000),
        Pace::PerSecond(1_000_000),
        Pace::FlatOut,
    ];
    println!(
        "scan_rates: full scans of {n} u64 keys, {ROUNDS} interleaved rounds per setting; the \
         writer overwrites random keys; medians (min-max) in M entries/s of wall time"
    );
    // The writer overwrites random keys of the map, whichever the fill order.
    let overwrite_in_order: Vec<u64> = random.iter().map(|k| k % n as u64).collect();
    let settings = [
        ("key order", &in_order, &overwrite_in_order, 0),
        ("random order", &random, &random, 0),
        (
            "key order, then 2M random overwrites",
            &in_order,
            &overwrite_in_order,
            2 * n,
        ),
    ];
    for (layout, fill, overwrite, churn) in settings {
        println!("  filled in {layout}:");
        let mut maps = None;
        for pace in paces {
            // Fresh maps for every writer setting, except after churn: a churned map is in its
            // steady state, which a few more writes do not change.
            if churn == 0 || maps.is_none() {
                let (map, raw_map) = (versioned(fill), raw(fill));
                for i in 0..churn {
                    let k = overwrite[i % n];
                    map.insert(k, k);
                    raw_map.insert(k, k);
                }
                maps = Some((map, raw_map));
            }
            let (map, raw_map) = maps.as_ref().expect("filled above");
            let scan_ours = || {
                let snapshot = map.snapshot();
                let mut seen = 0usize;
                snapshot.for_each(|_, v| {
                    black_box(v);
                    seen += 1;
                });
                seen
            };
            let scan_raw = || {
                let mut seen = 0usize;
                for entry in raw_map.iter() {
                    black_box(entry.value());
                    seen += 1;
                }
                seen
            };
            assert_eq!(scan_ours(), n, "a snapshot of {n} keys");
            scan_raw();
            let (mut ours_cursor, mut raw_cursor) = (0, 0);
            let (mut ours, mut theirs, mut ours_cpu, mut raw_cpu) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let (mut walked, mut writes_ours, mut writes_raw) =
                (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                let write_versioned: fn(&Versioned, u64, u64) = |m, k, v| {
                    m.insert(k, v);
                };
                let ((r, cpu, versions), w) = while_writing_paced(
                    map,
                    overwrite,
                    &mut ours_cursor,
                    pace,
                    write_versioned,
                    || {
                        let before = map.version_count();
                        let (r, cpu) = timed_scan(scan_ours);
                        (r, cpu, (before + map.version_count()) as f64 / 2.0)
                    },
                );
                ours.push(r / 1e6);
                ours_cpu.push(cpu);
                walked.push(versions / n as f64);
                writes_ours.push(w as f64);
                let write_raw: fn(&Raw, u64, u64) = |m, k, v| {
                    m.insert(k, v);
                };
                let ((r, cpu), w) = while_writing_paced(
                    raw_map,
                    overwrite,
                    &mut raw_cursor,
                    pace,
                    write_raw,
                    || timed_scan(scan_raw),
                );
                theirs.push(r / 1e6);
                raw_cpu.push(cpu);
                writes_raw.push(w as f64);
            }
            let (o, omin, omax) = spread(&mut ours);
            let (t, tmin, tmax) = spread(&mut theirs);
            let (oc, _, _) = spread(&mut ours_cpu);
            let (tc, _, _) = spread(&mut raw_cpu);
            let (wk, _, _) = spread(&mut walked);
            let (wo, _, _) = spread(&mut writes_ours);
            let (wr, _, _) = spread(&mut writes_raw);
            println!(
                "    {:<30} snapshot {o:6.2} ({omin:.2}-{omax:.2}) on-CPU {oc:.2}, {wk:.2} versions/key, \
                 {wo:.0} writes/scan | raw live {t:6.2} ({tmin:.2}-{tmax:.2}) on-CPU {tc:.2}, {wr:.0} writes/scan",
                pace.label(),
            );
        }
    }
}

fn main() {
    // The first argument that is not a flag filters, as criterion's own filter does.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wants("scan_rates") && filter.is_some() {
        scan_rates();
        return;
    }
    if filter.is_none() || !wants("ratios") {
        let mut criterion = Criterion::default().configure_from_args();
        point_ops(&mut criterion, "raw_skipmap", raw, RAW);
        point_ops(&mut criterion, "skiplist", versioned, VERSIONED);
        snapshots(&mut criterion);
        criterion.final_summary();
    }
    if wants("ratios") {
        ratios();
    }
}
