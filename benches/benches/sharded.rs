//! `ShardedMap` against `dashmap`, both hashing with `DefaultHashBuilder`.
//!
//! 1. Criterion micro-benchmarks: single-thread get, insert, remove and upsert at 1K and 1M keys,
//!    and a 2-thread read-heavy mix (98% get, 1% insert, 1% remove) on 1M keys, the operation
//!    streams generated before timing.
//! 2. Printed tables, after criterion:
//!    - `rapid_grow_latency`: 1M inserts of distinct keys into an empty, unpresized map, on 1 and 2
//!      threads, each insert timed on its own; per-thread latency buffers merged after the run.
//!      ShardedMap with incremental resizing (the default), with blocking resizing, with hybrid
//!      resizing (blocking below 8192 entries per shard, 256 entries a step above), and dashmap.
//!    - `mixes`: throughput of the read-heavy (98/1/1/0), exchange (10/40/40/10) and rapid-grow
//!      (5/80/5/10, from empty, no presizing) mixes (read/insert/remove/update), uniform and
//!      zipfian 0.99 keys over 1M, on 1 and 2 threads; maps interleaved in every round, the ratio
//!      taken per round.
//!
//! ```sh
//! cargo bench -p cmap-benches --bench sharded                 # everything, about 5 minutes
//! cargo bench -p cmap-benches --bench sharded -- sharded_vs   # criterion part only
//! cargo bench -p cmap-benches --bench sharded -- rapid_grow_latency
//! cargo bench -p cmap-benches --bench sharded -- mixes
//! ```

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use cmap_benches::{
    PointOps, SIZES, absent_keys, keys, scramble, time_get, time_insert, time_remove, time_upsert,
};
use cmap_core::{ConcurrentMap, DefaultHashBuilder};
use cmap_sharded::{Resize, ShardedMap};
use criterion::{BenchmarkId, Criterion, Throughput};
use dashmap::DashMap;

type Sharded = ShardedMap<u64, u64>;
type Dash = DashMap<u64, u64, DefaultHashBuilder>;

const SHARDED: PointOps<Sharded> = PointOps {
    get: |m, k| ConcurrentMap::get(m, k),
    insert: |m, k, v| ConcurrentMap::insert(m, k, v),
    remove: |m, k| ConcurrentMap::remove(m, k),
    upsert: |m, k| {
        let _ = m.upsert(k, || 1, |n| *n += 1);
    },
};

const DASH: PointOps<Dash> = PointOps {
    get: |m, k| m.get(k).map(|v| *v),
    insert: |m, k, v| m.insert(k, v),
    remove: |m, k| m.remove(k).map(|(_, v)| v),
    upsert: |m, k| {
        m.entry(k).and_modify(|n| *n += 1).or_insert(1);
    },
};

/// The operations every comparison below drives, for both maps.
trait BenchMap: Sync {
    fn empty(capacity: usize) -> Self;
    fn get(&self, key: u64) -> bool;
    fn insert(&self, key: u64);
    fn remove(&self, key: u64);
    fn update(&self, key: u64);
}

impl BenchMap for Sharded {
    fn empty(capacity: usize) -> Self {
        ShardedMap::with_capacity(capacity)
    }
    #[inline]
    fn get(&self, key: u64) -> bool {
        ConcurrentMap::get(self, &key).is_some()
    }
    #[inline]
    fn insert(&self, key: u64) {
        ConcurrentMap::insert(self, key, key);
    }
    #[inline]
    fn remove(&self, key: u64) {
        ConcurrentMap::remove(self, &key);
    }
    #[inline]
    fn update(&self, key: u64) {
        ConcurrentMap::update(self, &key, |v| *v += 1);
    }
}

/// ShardedMap with another resize policy than the default, to show what each buys.
struct ShardedWith<const POLICY: u8>(Sharded);

/// Blocking resizes.
const BLOCKING: u8 = 0;
/// Hybrid resizes: blocking below 8192 entries per shard, 256 entries a step above.
const HYBRID: u8 = 1;

impl<const POLICY: u8> BenchMap for ShardedWith<POLICY> {
    fn empty(capacity: usize) -> Self {
        let resize = match POLICY {
            BLOCKING => Resize::Blocking,
            _ => Resize::Hybrid {
                step: 256,
                threshold: 8192,
            },
        };
        Self(
            ShardedMap::builder()
                .capacity(capacity)
                .resize(resize)
                .build(),
        )
    }
    fn get(&self, key: u64) -> bool {
        BenchMap::get(&self.0, key)
    }
    fn insert(&self, key: u64) {
        BenchMap::insert(&self.0, key)
    }
    fn remove(&self, key: u64) {
        BenchMap::remove(&self.0, key)
    }
    fn update(&self, key: u64) {
        BenchMap::update(&self.0, key)
    }
}

impl BenchMap for Dash {
    fn empty(capacity: usize) -> Self {
        DashMap::with_capacity_and_hasher(capacity, DefaultHashBuilder::default())
    }
    #[inline]
    fn get(&self, key: u64) -> bool {
        DashMap::get(self, &key).map(|v| *v).is_some()
    }
    #[inline]
    fn insert(&self, key: u64) {
        DashMap::insert(self, key, key);
    }
    #[inline]
    fn remove(&self, key: u64) {
        DashMap::remove(self, &key);
    }
    #[inline]
    fn update(&self, key: u64) {
        if let Some(mut v) = DashMap::get_mut(self, &key) {
            *v += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Criterion: single-thread point operations, and the 2-thread read-heavy mix.

fn single_thread<M>(c: &mut Criterion, name: &str, make: impl Fn(&[u64]) -> M, ops: PointOps<M>) {
    for n in SIZES {
        let (present, absent) = (keys(n), absent_keys(n));
        let map = make(&present);
        let mut group = c.benchmark_group(format!("sharded_vs_dashmap/{n}"));
        group
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(30);
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

fn read_heavy_two_threads<M: BenchMap>(c: &mut Criterion, name: &str) {
    const KEYS: usize = 1 << 20;
    let space = keys(KEYS);
    let map = M::empty(KEYS);
    for &k in &space[..KEYS * 3 / 4] {
        map.insert(k);
    }
    let mix = Mix::READ_HEAVY;
    let streams: Vec<Vec<Op>> = (0..2)
        .map(|t| mix.stream(&space, Keys::Uniform, 1 << 20, t))
        .collect();
    let mut group = c.benchmark_group("sharded_vs_dashmap_read_heavy_2_threads/1048576");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            // Each thread does half of the operations; time from the common start to the last
            // thread's end.
            run_threads(&map, &streams, (iters as usize).div_ceil(2))
        })
    });
    group.finish();
}

fn criterion_benches(c: &mut Criterion) {
    single_thread(
        c,
        "cmap_sharded",
        |keys| {
            let map = Sharded::with_capacity(keys.len());
            for &k in keys {
                ConcurrentMap::insert(&map, k, k);
            }
            map
        },
        SHARDED,
    );
    single_thread(
        c,
        "dashmap",
        |keys| {
            let map = Dash::with_capacity_and_hasher(keys.len(), DefaultHashBuilder::default());
            for &k in keys {
                map.insert(k, k);
            }
            map
        },
        DASH,
    );
    read_heavy_two_threads::<Sharded>(c, "cmap_sharded");
    read_heavy_two_threads::<Dash>(c, "dashmap");
}

// ---------------------------------------------------------------------------------------------
// Operation streams.

#[derive(Debug, Clone, Copy)]
enum Op {
    Get(u64),
    Insert(u64),
    Remove(u64),
    Update(u64),
}

/// Percentages of read, insert, remove and update.
#[derive(Debug, Clone, Copy)]
struct Mix {
    name: &'static str,
    read: u32,
    insert: u32,
    remove: u32,
    /// Whether the map starts with 75% of the key space (presized), or empty and unpresized.
    prefill: bool,
}

impl Mix {
    const READ_HEAVY: Mix = Mix {
        name: "read-heavy",
        read: 98,
        insert: 1,
        remove: 1,
        prefill: true,
    };
    const EXCHANGE: Mix = Mix {
        name: "exchange",
        read: 10,
        insert: 40,
        remove: 40,
        prefill: true,
    };
    const RAPID_GROW: Mix = Mix {
        name: "rapid-grow",
        read: 5,
        insert: 80,
        remove: 5,
        prefill: false,
    };

    /// `len` operations for thread `thread`, keys drawn from `space`. No RNG runs while timing.
    fn stream(&self, space: &[u64], keys: Keys, len: usize, thread: u64) -> Vec<Op> {
        let mut rng = Rng(scramble(thread + 1) | 1);
        let zipf = matches!(keys, Keys::Zipfian).then(|| Zipfian::new(space.len() as u64, 0.99));
        (0..len)
            .map(|_| {
                let rank = match &zipf {
                    None => rng.below(space.len() as u64),
                    // Scrambled, as YCSB does: the hot keys are spread over the key space.
                    Some(z) => scramble(z.next(&mut rng)) % space.len() as u64,
                };
                let k = space[rank as usize];
                let roll = rng.below(100) as u32;
                if roll < self.read {
                    Op::Get(k)
                } else if roll < self.read + self.insert {
                    Op::Insert(k)
                } else if roll < self.read + self.insert + self.remove {
                    Op::Remove(k)
                } else {
                    Op::Update(k)
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    Uniform,
    Zipfian,
}

/// xorshift64*: enough for choosing keys, and deterministic per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// YCSB's zipfian generator (Gray et al., "Quickly generating billion-record synthetic
/// databases"): rank 0 is the most popular.
struct Zipfian {
    n: f64,
    theta: f64,
    zeta_n: f64,
    alpha: f64,
    eta: f64,
}

impl Zipfian {
    fn new(n: u64, theta: f64) -> Self {
        let zeta = |n: u64| (1..=n).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let (zeta_2, zeta_n) = (zeta(2), zeta(n));
        Self {
            n: n as f64,
            theta,
            zeta_n,
            alpha: 1.0 / (1.0 - theta),
            eta: (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta_2 / zeta_n),
        }
    }

    fn next(&self, rng: &mut Rng) -> u64 {
        let u = rng.unit();
        let uz = u * self.zeta_n;
        if uz < 1.0 {
            0
        } else if uz < 1.0 + 0.5f64.powf(self.theta) {
            1
        } else {
            ((self.n * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64)
                .min(self.n as u64 - 1)
        }
    }
}

/// Runs `per_thread` operations from each stream (cycling) on its own thread, all released
/// together, and returns the time from the release to the last thread's end.
fn run_threads<M: BenchMap>(map: &M, streams: &[Vec<Op>], per_thread: usize) -> Duration {
    let barrier = Barrier::new(streams.len() + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .iter()
            .map(|ops| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..per_thread {
                        match ops[i % ops.len()] {
                            Op::Get(k) => {
                                black_box(map.get(k));
                            }
                            Op::Insert(k) => map.insert(k),
                            Op::Remove(k) => map.remove(k),
                            Op::Update(k) => map.update(k),
                        }
                    }
                    Instant::now()
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        handles
            .into_iter()
            .map(|h| h.join().expect("benchmark thread panicked"))
            .max()
            .map_or(Duration::ZERO, |end| end - start)
    })
}

// ---------------------------------------------------------------------------------------------
// Printed tables.

const ROUNDS: usize = 5;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Inserts `keys` (split evenly over `threads` threads, disjoint) into an empty map, timing each
/// insert; returns every latency in nanoseconds, unsorted.
fn insert_latencies<M: BenchMap>(keys: &[u64], threads: usize) -> Vec<u64> {
    let map = M::empty(0);
    let barrier = Barrier::new(threads);
    let chunk = keys.len().div_ceil(threads);
    let per_thread: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = keys
            .chunks(chunk)
            .map(|mine| {
                let (map, barrier) = (&map, &barrier);
                s.spawn(move || {
                    // Each thread records into its own buffer, allocated before timing.
                    let mut latencies = Vec::with_capacity(mine.len());
                    barrier.wait();
                    for &k in mine {
                        let start = Instant::now();
                        map.insert(k);
                        latencies.push(start.elapsed().as_nanos() as u64);
                    }
                    latencies
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    per_thread.concat()
}

/// Percentiles of the merged latencies: p50, p99, p99.9, p99.99, max.
fn percentiles(mut latencies: Vec<u64>) -> [f64; 5] {
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    [
        at(0.5) as f64,
        at(0.99) as f64,
        at(0.999) as f64,
        at(0.9999) as f64,
        *latencies.last().unwrap() as f64,
    ]
}

fn rapid_grow_latency() {
    const N: usize = 1 << 20;
    let keys = keys(N);
    println!(
        "\nrapid_grow_latency: {N} inserts of distinct u64 keys into an empty map, no presizing;"
    );
    println!(
        "each insert timed alone; per round the percentiles of all threads' inserts; median of \
         {ROUNDS} rounds, maps interleaved in each round. Nanoseconds."
    );
    println!(
        "{:<8} {:<28} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "threads", "map", "p50", "p99", "p99.9", "p99.99", "max"
    );
    type Run = fn(&[u64], usize) -> Vec<u64>;
    let maps: [(&str, Run); 4] = [
        ("cmap_sharded (incremental)", insert_latencies::<Sharded>),
        (
            "cmap_sharded (blocking)",
            insert_latencies::<ShardedWith<BLOCKING>>,
        ),
        (
            "cmap_sharded (hybrid)",
            insert_latencies::<ShardedWith<HYBRID>>,
        ),
        ("dashmap", insert_latencies::<Dash>),
    ];
    for threads in [1, 2] {
        let mut results = vec![Vec::new(); maps.len()];
        for _ in 0..ROUNDS {
            for (i, (_, run)) in maps.iter().enumerate() {
                results[i].push(percentiles(run(&keys, threads)));
            }
        }
        for ((name, _), rounds) in maps.iter().zip(&results) {
            let column = |j: usize| median(&mut rounds.iter().map(|r| r[j]).collect::<Vec<_>>());
            println!(
                "{:<8} {:<28} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>11.0}",
                threads,
                name,
                column(0),
                column(1),
                column(2),
                column(3),
                column(4)
            );
        }
    }
}

/// One timed run of `mix` on a fresh map: million operations per second.
fn mix_throughput<M: BenchMap>(mix: Mix, space: &[u64], streams: &[Vec<Op>]) -> f64 {
    let map = if mix.prefill {
        let map = M::empty(space.len());
        for &k in &space[..space.len() * 3 / 4] {
            map.insert(k);
        }
        map
    } else {
        M::empty(0)
    };
    let per_thread = streams[0].len();
    let elapsed = run_threads(&map, streams, per_thread);
    (per_thread * streams.len()) as f64 / elapsed.as_secs_f64() / 1e6
}

fn mixes() {
    const KEYS: usize = 1 << 20;
    const OPS_PER_THREAD: usize = 1 << 20;
    let space = keys(KEYS);
    println!(
        "\nmixes: {KEYS} u64 keys, {OPS_PER_THREAD} operations per thread generated before timing; \
         read-heavy and exchange start with 75% of the keys (presized), rapid-grow empty and \
         unpresized."
    );
    println!(
        "Median of {ROUNDS} rounds (maps interleaved in each round, fresh map per run); ratio = \
         cmap_sharded / dashmap per round, median [min, max]."
    );
    println!(
        "{:<11} {:<8} {:<8} {:>14} {:>14} {:>24}",
        "mix", "keys", "threads", "sharded Mop/s", "dashmap Mop/s", "ratio [min, max]"
    );
    for mix in [Mix::READ_HEAVY, Mix::EXCHANGE, Mix::RAPID_GROW] {
        for keys in [Keys::Uniform, Keys::Zipfian] {
            for threads in [1, 2] {
                let streams: Vec<Vec<Op>> = (0..threads as u64)
                    .map(|t| mix.stream(&space, keys, OPS_PER_THREAD, t))
                    .collect();
                let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
                for round in 0..ROUNDS {
                    // Alternate which map goes first, so neither always runs on a warmer machine.
                    let (a, b) = if round % 2 == 0 {
                        let a = mix_throughput::<Sharded>(mix, &space, &streams);
                        (a, mix_throughput::<Dash>(mix, &space, &streams))
                    } else {
                        let b = mix_throughput::<Dash>(mix, &space, &streams);
                        (mix_throughput::<Sharded>(mix, &space, &streams), b)
                    };
                    ours.push(a);
                    theirs.push(b);
                    ratios.push(a / b);
                }
                let (lo, hi) = ratios
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(lo, hi), &r| (lo.min(r), hi.max(r)));
                println!(
                    "{:<11} {:<8} {:<8} {:>14.2} {:>14.2} {:>10.3} [{:.3}, {:.3}]",
                    mix.name,
                    format!("{keys:?}").to_lowercase(),
                    threads,
                    median(&mut ours),
                    median(&mut theirs),
                    median(&mut ratios),
                    lo,
                    hi
                );
            }
        }
    }
}

fn main() {
    // The first argument that is not a flag filters, as criterion's own filter does.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let mut criterion = Criterion::default().configure_from_args();
    if filter.is_none() || !(wants("rapid_grow_latency") || wants("mixes")) {
        criterion_benches(&mut criterion);
        criterion.final_summary();
    }
    if wants("rapid_grow_latency") {
        rapid_grow_latency();
    }
    if wants("mixes") {
        mixes();
    }
}
