//! The timed loop: one repeat of one structure under one workload at one thread count.
//!
//! # What happens in a repeat
//!
//! 1. Untimed: a fresh map is built (presized to the key space when the workload says so) and
//!    prefilled on this thread with the workload's prefill ids. The counting allocator's live bytes
//!    before and after give `bytes_after_prefill`.
//! 2. Untimed: each thread's histograms and owned-key pools (for `String` keys) are allocated.
//! 3. The threads start together from a barrier and walk their own streams. Each thread records
//!    its own start and end instant; the repeat's duration runs from the earliest start to the
//!    latest end. No thread touches anything shared but the map.
//! 4. Untimed: the threads are joined, their histograms merged per operation kind, and the map's
//!    live bytes, entry count and the process's peak RSS read.
//!
//! # Sampled timing
//!
//! Reading the clock costs about as much as a fast map operation, so timing every operation would
//! perturb exactly the maps worth measuring. Before timing, each thread's stream gets a sample
//! schedule ([`sample_schedule`]): one operation in `sample_every` *of each kind*, starting with
//! each kind's first occurrence. Every kind is thus sampled at the same rate (so `all` weighs kinds
//! as the mix does), and a rare kind (a 5% snapshot-and-iterate, a 1% insert) is timed at least
//! once in every repeat that reaches it, instead of depending on where it falls in the stream. The
//! loop runs the operations between two scheduled ones with no timing code at all, and times the
//! scheduled one, recording it in a per-thread, per-kind HdrHistogram. The sampled operation's end
//! instant doubles as the check against the deadline, so a time limit costs nothing extra. Latencies include half the cost of a clock read (reported as
//! `timing_ns_per_sample` in the harness overhead).

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use cmap_results::{Latency, Memory, Repeat, WorkloadSpec};
use hdrhistogram::Histogram;

use crate::adapter::Adapter;
use crate::alloc;
use crate::keys::{BenchKey, BenchValue, KeyPool};
use crate::stream::{Op, OpKind, Streams};

/// How long a repeat runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Each thread runs its stream once, but stops early at the time limit (so a structure that
    /// is orders of magnitude slower cannot stall a suite); `total_ops` then says how far it got.
    Ops {
        /// The time limit per repeat.
        time_limit: Duration,
    },
    /// Each thread cycles through its stream until the duration has passed.
    Duration(Duration),
}

/// Everything a repeat needs, shared by every structure.
#[derive(Debug)]
pub struct RepeatCtx<'a> {
    /// The workload.
    pub spec: &'a WorkloadSpec,
    /// The streams, one per thread.
    pub streams: &'a Streams,
    /// The `String` key table, when the workload has string keys.
    pub string_keys: Option<&'a Vec<String>>,
    /// Time one operation in this many.
    pub sample_every: usize,
    /// How long to run.
    pub limit: Limit,
    /// Extra `get` work in percent (the `slowdown-knob` feature; 0 otherwise).
    pub slowdown_get_percent: u32,
}

/// One repeat's figures, plus the merged histograms for summaries.
#[derive(Debug)]
pub struct RepeatOutcome {
    /// The schema's record of the repeat.
    pub repeat: Repeat,
    /// Whether any thread stopped at the time limit before finishing its stream.
    pub hit_time_limit: bool,
}

/// Per-kind latency histograms of one thread.
#[derive(Debug)]
pub struct Histograms {
    by_kind: Vec<Histogram<u64>>,
}

/// The largest latency a histogram records: one minute. Longer operations are clamped to it.
const MAX_TRACKED_NS: u64 = 60_000_000_000;

impl Histograms {
    /// Empty histograms, two significant digits (1% resolution) from 1 ns to a minute: small
    /// enough (a few KiB per kind) that recording a sample does not evict the map from the cache.
    pub fn new() -> Self {
        Self {
            by_kind: OpKind::ALL
                .iter()
                .map(|_| {
                    Histogram::new_with_bounds(1, MAX_TRACKED_NS, 2)
                        .expect("valid histogram bounds")
                })
                .collect(),
        }
    }

    #[inline(always)]
    fn record(&mut self, kind: OpKind, elapsed: Duration) {
        let ns = (elapsed.as_nanos() as u64).clamp(1, MAX_TRACKED_NS);
        self.by_kind[kind as usize].saturating_record(ns);
    }

    /// Adds another thread's samples.
    pub fn merge(&mut self, other: &Histograms) {
        for (mine, theirs) in self.by_kind.iter_mut().zip(&other.by_kind) {
            mine.add(theirs)
                .expect("histograms with equal bounds merge");
        }
    }

    /// Latency per kind that has samples, plus `all`: every timed operation together.
    pub fn latencies(&self) -> std::collections::BTreeMap<String, Latency> {
        let mut out = std::collections::BTreeMap::new();
        let mut all = Histogram::<u64>::new_with_bounds(1, MAX_TRACKED_NS, 2).expect("bounds");
        for (kind, h) in OpKind::ALL.iter().zip(&self.by_kind) {
            if h.is_empty() {
                continue;
            }
            all.add(h).expect("equal bounds");
            out.insert(kind.name().to_owned(), latency(h));
        }
        if !all.is_empty() {
            out.insert("all".to_owned(), latency(&all));
        }
        out
    }
}

impl Default for Histograms {
    fn default() -> Self {
        Self::new()
    }
}

fn latency(h: &Histogram<u64>) -> Latency {
    Latency {
        samples: h.len(),
        mean_ns: h.mean(),
        p50_ns: h.value_at_quantile(0.5),
        p90_ns: h.value_at_quantile(0.9),
        p99_ns: h.value_at_quantile(0.99),
        p999_ns: h.value_at_quantile(0.999),
        p9999_ns: h.value_at_quantile(0.9999),
        max_ns: h.max(),
    }
}

/// What one benchmark thread reports after the timed phase.
#[derive(Debug, Clone, Copy)]
struct ThreadOutcome {
    start: Instant,
    end: Instant,
    ops: u64,
    allocations: u64,
    hit_time_limit: bool,
}

/// Runs one repeat of adapter `A` with keys `K` (looked up in `table`) and values `V`.
pub fn run_repeat<A, K, V>(ctx: &RepeatCtx<'_>, table: &K::Table) -> RepeatOutcome
where
    A: Adapter<K, V>,
    K: BenchKey,
    V: BenchValue,
{
    let spec = ctx.spec;
    let threads = ctx.streams.threads.len();
    quiesce();
    alloc::reset_peak_rss();

    // Everything allocated from here to the end of the repeat is the map's, except what is
    // measured and subtracted below (histograms, the outcome vector); key pools are consumed into
    // the map or freed by the threads before the final reading.
    let live_before_map = alloc::live_bytes();
    let capacity = if spec.capacity_hint {
        spec.key_space as usize
    } else {
        0
    };
    let map = A::build(capacity);
    map.prefill(
        ctx.streams
            .prefill
            .iter()
            .map(|&id| (K::owned(table, id), V::new(id))),
    );
    let bytes_after_prefill = (alloc::live_bytes() - live_before_map).max(0) as u64;

    let live_before_bookkeeping = alloc::live_bytes();
    let mut histograms: Vec<Histograms> = (0..threads).map(|_| Histograms::new()).collect();
    let mut outcomes: Vec<ThreadOutcome> = Vec::with_capacity(threads);
    let bookkeeping_bytes = alloc::live_bytes() - live_before_bookkeeping;

    let pools: Vec<(KeyPool<K>, KeyPool<K>)> = ctx
        .streams
        .threads
        .iter()
        .map(|ops| {
            let inserts = KeyPool::new(
                table,
                ops.iter().filter_map(|op| match *op {
                    Op::Insert(id) | Op::Upsert(id) => Some(id),
                    _ => None,
                }),
            );
            let updates = KeyPool::new(
                table,
                ops.iter().filter_map(|op| match *op {
                    Op::Update(id) if A::UPDATE_TAKES_OWNED_KEY => Some(id),
                    _ => None,
                }),
            );
            (inserts, updates)
        })
        .collect();

    let every = ctx.sample_every.max(1);
    let live_before_schedules = alloc::live_bytes();
    let schedules: Vec<Vec<u32>> = ctx
        .streams
        .threads
        .iter()
        .map(|ops| sample_schedule(ops, every))
        .collect();
    let bookkeeping_bytes = bookkeeping_bytes + (alloc::live_bytes() - live_before_schedules);

    let barrier = Barrier::new(threads);
    let (limit, cycle) = match ctx.limit {
        Limit::Ops { time_limit } => (time_limit, false),
        Limit::Duration(d) => (d, true),
    };
    let map_ref = &map;
    let barrier_ref = &barrier;
    std::thread::scope(|s| {
        let handles: Vec<_> = ctx
            .streams
            .threads
            .iter()
            .zip(histograms.iter_mut())
            .zip(pools)
            .zip(&schedules)
            .map(|(((ops, hists), (mut inserts, mut updates)), schedule)| {
                s.spawn(move || {
                    let template = V::new(0);
                    let mut slow = Slowdown::new(ctx.slowdown_get_percent);
                    barrier_ref.wait();
                    let allocations_before = alloc::thread_allocations();
                    let start = Instant::now();
                    let (ops_done, hit_time_limit) = timed_loop::<A, K, V>(
                        map_ref,
                        ops,
                        table,
                        (&mut inserts, &mut updates),
                        template,
                        schedule,
                        start + limit,
                        cycle,
                        hists,
                        &mut slow,
                    );
                    let end = Instant::now();
                    let allocations = alloc::thread_allocations() - allocations_before;
                    // Unused pooled keys are freed here, before memory is read.
                    drop((inserts, updates));
                    ThreadOutcome {
                        start,
                        end,
                        ops: ops_done,
                        allocations,
                        hit_time_limit,
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(outcome) => outcomes.push(outcome),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });

    let bytes_at_end = (alloc::live_bytes() - live_before_map - bookkeeping_bytes).max(0) as u64;
    let entries_at_end = map.len() as u64;
    let peak_rss_bytes = alloc::peak_rss_bytes();

    let start = outcomes.iter().map(|o| o.start).min().expect("one thread");
    let end = outcomes.iter().map(|o| o.end).max().expect("one thread");
    let duration_ns = (end - start).as_nanos().max(1) as u64;
    let total_ops: u64 = outcomes.iter().map(|o| o.ops).sum();
    let allocations: u64 = outcomes.iter().map(|o| o.allocations).sum();
    let mut merged = Histograms::new();
    for h in &histograms {
        merged.merge(h);
    }
    drop(map);

    RepeatOutcome {
        repeat: Repeat {
            duration_ns,
            total_ops,
            throughput_ops_per_sec: total_ops as f64 / (duration_ns as f64 / 1e9),
            latency: merged.latencies(),
            memory: Memory {
                bytes_after_prefill,
                bytes_at_end,
                entries_at_end,
                bytes_per_entry: (entries_at_end > 0)
                    .then(|| bytes_at_end as f64 / entries_at_end as f64),
                allocations_per_op: allocations as f64 / total_ops.max(1) as f64,
                peak_rss_bytes,
            },
        },
        hit_time_limit: outcomes.iter().any(|o| o.hit_time_limit),
    }
}

/// Lets deferred reclamation finish, so memory freed late by an earlier repeat is not subtracted
/// from this one.
///
/// Epoch-based maps (crossbeam's skip list, and ours built on it; scc through `sdd`) free removed
/// entries later, from whichever thread next advances the epoch; without this, garbage left by one
/// map would be freed while the next is measured and make its figures too small, even negative.
/// Pinning and flushing from this thread, once the benchmark threads have exited, advances the
/// epochs and runs what is due; it repeats until the live byte count stops falling.
pub fn quiesce() {
    let mut last = alloc::live_bytes();
    for _ in 0..64 {
        for _ in 0..128 {
            crossbeam_epoch::pin().flush();
            #[cfg(feature = "peers")]
            {
                let guard = scc::Guard::new();
                guard.set_has_garbage();
            }
        }
        let now = alloc::live_bytes();
        if now >= last {
            break;
        }
        last = now;
    }
}

/// The positions in `ops` whose operation is timed: for each kind, its first occurrence and then
/// every `every`-th occurrence after it, in stream order. Built before timing.
pub fn sample_schedule(ops: &[Op], every: usize) -> Vec<u32> {
    let every = every.max(1);
    let mut seen = [0usize; OpKind::ALL.len()];
    let mut out = Vec::with_capacity(ops.len() / every + OpKind::ALL.len());
    for (i, op) in ops.iter().enumerate() {
        let n = &mut seen[op.kind() as usize];
        if *n % every == 0 {
            out.push(u32::try_from(i).expect("streams hold fewer than 2^32 operations"));
        }
        *n += 1;
    }
    out
}

/// The loop that is timed. Generic over the adapter so each structure gets its own copy with the
/// map's calls inlined; `inline(never)` keeps it one function a profiler can name.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn timed_loop<A, K, V>(
    map: &A,
    ops: &[Op],
    table: &K::Table,
    (inserts, updates): (&mut KeyPool<K>, &mut KeyPool<K>),
    value: V,
    schedule: &[u32],
    deadline: Instant,
    cycle: bool,
    hists: &mut Histograms,
    slow: &mut Slowdown,
) -> (u64, bool)
where
    A: Adapter<K, V>,
    K: BenchKey,
    V: BenchValue,
{
    let mut done = 0u64;
    loop {
        let mut pos = 0;
        for &at in schedule {
            let at = at as usize;
            for op in &ops[pos..at] {
                exec(map, *op, table, inserts, updates, value, slow);
            }
            let op = ops[at];
            let t0 = Instant::now();
            exec(map, op, table, inserts, updates, value, slow);
            let t1 = Instant::now();
            hists.record(op.kind(), t1 - t0);
            done += (at + 1 - pos) as u64;
            pos = at + 1;
            if t1 >= deadline {
                // Cycling runs end here by design; a single pass was cut short only if operations
                // remain.
                return (done, !cycle && pos < ops.len());
            }
        }
        for op in &ops[pos..] {
            exec(map, *op, table, inserts, updates, value, slow);
        }
        done += (ops.len() - pos) as u64;
        if !cycle || ops.is_empty() {
            return (done, false);
        }
    }
}

#[inline(always)]
fn exec<A, K, V>(
    map: &A,
    op: Op,
    table: &K::Table,
    inserts: &mut KeyPool<K>,
    updates: &mut KeyPool<K>,
    value: V,
    slow: &mut Slowdown,
) where
    A: Adapter<K, V>,
    K: BenchKey,
    V: BenchValue,
{
    match op {
        Op::Get(id) => {
            K::with(table, id, |k| black_box(map.get(k)));
            slow.extra_gets(|| {
                K::with(table, id, |k| black_box(map.get(k)));
            });
        }
        Op::Insert(id) => map.insert(inserts.take(table, id), value),
        Op::Remove(id) => {
            black_box(K::with(table, id, |k| map.remove(k)));
        }
        Op::Update(id) => {
            if A::UPDATE_TAKES_OWNED_KEY {
                black_box(map.update_owned(updates.take(table, id)));
            } else {
                black_box(K::with(table, id, |k| map.update(k)));
            }
        }
        Op::Upsert(id) => map.upsert(inserts.take(table, id), value),
        Op::Scan { from, len } => {
            black_box(K::with(table, from, |k| map.scan(k, len)));
        }
        Op::Snapshot => {
            black_box(map.snapshot_scan());
        }
    }
}

/// The `slowdown-knob` test hook: extra lookups for a given share of `get`s, counted per thread.
#[derive(Debug)]
struct Slowdown {
    #[cfg_attr(not(feature = "slowdown-knob"), allow(dead_code))]
    percent: u32,
    #[cfg_attr(not(feature = "slowdown-knob"), allow(dead_code))]
    credit: u32,
}

impl Slowdown {
    fn new(percent: u32) -> Self {
        Self { percent, credit: 0 }
    }

    /// Runs `extra` once per 100 points of credit, gaining `percent` points per call: at 20%,
    /// every fifth `get` looks its key up twice. Compiled out without the feature.
    #[inline(always)]
    fn extra_gets(&mut self, mut extra: impl FnMut()) {
        #[cfg(feature = "slowdown-knob")]
        {
            self.credit += self.percent;
            while self.credit >= 100 {
                self.credit -= 100;
                extra();
            }
        }
        #[cfg(not(feature = "slowdown-knob"))]
        {
            let _ = &mut extra;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_sampled_from_its_first_occurrence_at_the_same_rate() {
        // 95 gets then a snapshot, twice over: one op in 32 would miss both snapshots.
        let mut ops = vec![Op::Get(1); 95];
        ops.push(Op::Snapshot);
        ops.extend(vec![Op::Get(2); 95]);
        ops.push(Op::Snapshot);
        let schedule = sample_schedule(&ops, 32);
        let kinds: Vec<OpKind> = schedule.iter().map(|&i| ops[i as usize].kind()).collect();
        assert_eq!(
            kinds.iter().filter(|&&k| k == OpKind::Snapshot).count(),
            1,
            "the first snapshot is timed, the next one 32 snapshots later"
        );
        assert_eq!(schedule[0], 0);
        assert!(schedule.contains(&95));
        // 190 gets: occurrences 0, 32, ..., 160.
        assert_eq!(kinds.iter().filter(|&&k| k == OpKind::Get).count(), 6);
        assert!(schedule.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_schedule(&ops, 1).len(), ops.len());
    }
}
