//! Runs a [`Plan`]: streams, repeats, the harness overhead, the frequency count, and summaries.

use std::collections::BTreeMap;
use std::time::Duration;

use cmap_results::{
    FrequencyCount, KeyType, Latency, Overhead, Point, Repeat, Results, SCHEMA_VERSION, Skipped,
    Stats, Summary, WorkloadSpec,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::Plan;
use crate::freq::{self, CountCtx, CountOutcome};
use crate::keys::BenchKey;
use crate::registry::{self, StructureInfo};
use crate::runner::{Limit, RepeatCtx};
use crate::stream::{self, Streams};

/// What a run produced besides the results document: warnings for the summary.
#[derive(Debug, Default)]
pub struct Notes {
    /// Human-readable warnings (noisy points, time limits, wrong counts), also printed to stderr.
    pub warnings: Vec<String>,
}

/// A rough duration of the plan, for the estimate printed before starting.
///
/// Per structure and point, a repeat costs its timed phase, its prefill and a fixed 50 ms for
/// building, quiescing and dropping the map. The timed phase is the stream's operations at the
/// structure's rough per-read and per-write cost ([`registry::Cost`]; a snapshot walks the map at
/// 20 ns per entry), stretched when there are more threads than cores, and capped by the time
/// limit: slow structures are counted at the limit, as they run. A structure whose writes are
/// linear in the map's size (`cow-full-copy`) is counted at the full limit for every repeat with
/// writes, and at the frequency count's limit (four times the repeat's) for its one counting
/// attempt. The prefill costs one write per entry (at most 1 us; batched prefills are cheaper).
pub fn estimate(plan: &Plan) -> Duration {
    let cap = match plan.limit {
        Limit::Ops { time_limit } => time_limit.as_secs_f64(),
        Limit::Duration(d) => d.as_secs_f64(),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut secs = 0.0;
    for w in &plan.workloads {
        let m = w.mix;
        let total = f64::from(m.total().max(1));
        let read_share = (f64::from(m.read) + 20.0 * f64::from(m.scan)) / total;
        let write_share = f64::from(m.insert + m.remove + m.update + m.upsert) / total;
        let entries = w.prefill.max(0.5) * w.key_space as f64;
        let snapshot_ns = f64::from(m.snapshot) / total * entries * 20.0;
        for s in &plan.structures {
            if s.missing_capability(m.scan > 0, m.snapshot > 0).is_some() {
                continue;
            }
            let c = s.cost_ns;
            let prefill = w.prefill * w.key_space as f64 * c.write.min(1000.0) * 1e-9;
            let op_ns = read_share * c.read + write_share * c.write + snapshot_ns;
            for &threads in &plan.threads {
                let timed = match plan.limit {
                    Limit::Ops { .. } if s.linear_writes && write_share > 0.0 => cap,
                    Limit::Ops { .. } => {
                        let stretch = (threads as f64 / cores).max(1.0);
                        (plan.ops_per_thread as f64 * op_ns * 1e-9 * stretch).min(cap)
                    }
                    Limit::Duration(d) => d.as_secs_f64(),
                };
                secs += plan.repeats as f64 * (timed + prefill + 0.05);
            }
        }
    }
    if let Some(f) = plan.frequency {
        // One upsert per element; a structure past the limit is dropped after its first attempt,
        // and one without an atomic read-modify-write is skipped at once.
        let limit = 4.0 * cap;
        for s in plan
            .structures
            .iter()
            .filter(|s| s.family != cmap_results::Family::Null && s.caps.atomic_rmw)
        {
            let t = f.elements as f64 * s.cost_ns.write * 1e-9;
            secs += plan.threads.len() as f64
                * if s.linear_writes || t >= limit {
                    limit
                } else {
                    plan.repeats as f64 * t
                };
        }
        // The rayon fold/reduce reference.
        secs += (plan.repeats * plan.threads.len()) as f64 * f.elements as f64 / 50e6;
    }
    Duration::from_secs_f64(secs)
}

fn progress_bar(total: u64) -> ProgressBar {
    // indicatif draws only when stderr is a terminal, so logs and CI output stay clean.
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Runs the plan. `command_line` is recorded in the method.
pub fn run(plan: &Plan, command_line: Vec<String>) -> (Results, Notes) {
    let mut notes = Notes::default();
    let method = crate::meta::method(
        command_line,
        plan.seed,
        plan.machine.clone(),
        plan.sample_every,
    );

    let mut total_steps = 0u64;
    for w in &plan.workloads {
        let runnable = plan
            .structures
            .iter()
            .filter(|s| {
                s.missing_capability(w.mix.scan > 0, w.mix.snapshot > 0)
                    .is_none()
            })
            .count();
        total_steps += (runnable * plan.repeats * plan.threads.len()) as u64;
    }
    if plan.frequency.is_some() {
        total_steps += ((plan.structures.len() + 1) * plan.repeats * plan.threads.len()) as u64;
    }
    let bar = progress_bar(total_steps + 1);

    bar.set_message("harness overhead (null map)");
    let harness_overhead = plan
        .workloads
        .first()
        .filter(|_| plan.measure_overhead)
        .map(|w| measure_overhead(plan, w));
    bar.inc(1);

    let mut points = Vec::new();
    let mut skipped = Vec::new();
    for spec in &plan.workloads {
        let needs_scan = spec.mix.scan > 0;
        let needs_snapshot = spec.mix.snapshot > 0;
        let mut runnable: Vec<&StructureInfo> = Vec::new();
        for s in &plan.structures {
            match s.missing_capability(needs_scan, needs_snapshot) {
                Some(reason) => {
                    bar.suspend(|| {
                        eprintln!("skipping {} on {}: {reason}", s.name, spec.name);
                    });
                    skipped.push(Skipped {
                        workload: spec.name.clone(),
                        structure: s.name.to_owned(),
                        reason,
                    })
                }
                None => runnable.push(s),
            }
        }
        if runnable.is_empty() {
            continue;
        }
        let string_keys = match spec.key_type {
            KeyType::String { .. } => Some(String::table(spec.key_space, spec.key_type)),
            KeyType::U64 => None,
        };
        for &threads in &plan.threads {
            bar.set_message(format!(
                "{}: generating streams for {threads} threads",
                spec.name
            ));
            let streams =
                stream::generate(spec, plan.seed, threads, plan.writers, plan.ops_per_thread);
            let ctx = RepeatCtx {
                spec,
                streams: &streams,
                string_keys: string_keys.as_ref(),
                sample_every: plan.sample_every as usize,
                limit: plan.limit,
                slowdown_get_percent: 0,
            };
            let mut repeats: Vec<Vec<Repeat>> = vec![Vec::new(); runnable.len()];
            let mut limited = vec![false; runnable.len()];
            // Structures take turns within each round of repeats, so a slow drift in the
            // machine's speed spreads over all of them instead of favouring whichever ran first.
            for _ in 0..plan.repeats {
                for (i, s) in runnable.iter().enumerate() {
                    bar.set_message(format!("{}/{}/t{threads}", spec.name, s.name));
                    let ctx = RepeatCtx {
                        slowdown_get_percent: crate::slowdown::get_percent(s.name),
                        ..ctx
                    };
                    let outcome = (s.run_repeat)(&ctx);
                    limited[i] |= outcome.hit_time_limit;
                    repeats[i].push(outcome.repeat);
                    bar.inc(1);
                }
            }
            for ((s, repeats), limited) in runnable.iter().zip(repeats).zip(limited) {
                if limited {
                    let done: Vec<String> = repeats
                        .iter()
                        .map(|r| {
                            format!(
                                "{:.0}%",
                                100.0 * r.total_ops as f64
                                    / (plan.ops_per_thread * threads as u64) as f64
                            )
                        })
                        .collect();
                    if matches!(plan.limit, Limit::Ops { .. }) {
                        let warning = format!(
                            "{}/{}/t{threads}: stopped at the time limit after {} of its streams",
                            spec.name,
                            s.name,
                            done.join(", ")
                        );
                        bar.suspend(|| eprintln!("warning: {warning}"));
                        notes.warnings.push(warning);
                    }
                }
                points.push(point(spec, s, threads, plan, &streams, repeats));
            }
        }
    }

    let frequency_count = match plan.frequency {
        Some(f) => run_frequency_count(plan, f, &bar, &mut notes, &mut skipped),
        None => Vec::new(),
    };
    bar.finish_and_clear();

    summarize(&mut points, plan.noise_threshold, &mut notes);
    let results = Results {
        schema_version: SCHEMA_VERSION,
        method,
        harness_overhead,
        points,
        skipped,
        frequency_count,
    };
    (results, notes)
}

fn point(
    spec: &WorkloadSpec,
    s: &StructureInfo,
    threads: usize,
    plan: &Plan,
    streams: &Streams,
    repeats: Vec<Repeat>,
) -> Point {
    Point {
        workload: spec.clone(),
        structure: s.name.to_owned(),
        family: s.family,
        threads,
        writer_threads: plan.writers,
        stream_checksum: streams.checksum_hex(),
        ops_per_thread: plan.ops_per_thread,
        summary: Summary {
            throughput: Stats::of(&[0.0]).expect("placeholder replaced by summarize"),
            latency: BTreeMap::new(),
            bytes_per_entry: None,
            allocations_per_op: 0.0,
            ratio_to_baseline: None,
            noisy: false,
        },
        repeats,
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

fn median_u64(values: impl Iterator<Item = u64>) -> u64 {
    let mut v: Vec<f64> = values.map(|x| x as f64).collect();
    median(&mut v).unwrap_or(0.0).round() as u64
}

/// Fills every point's summary from its repeats, and the ratios to the baseline.
pub fn summarize(points: &mut [Point], noise_threshold: f64, notes: &mut Notes) {
    for p in points.iter_mut() {
        let throughputs: Vec<f64> = p.repeats.iter().map(|r| r.throughput_ops_per_sec).collect();
        let throughput = Stats::of(&throughputs).unwrap_or(Stats {
            n: 0,
            median: 0.0,
            min: 0.0,
            max: 0.0,
            mean: 0.0,
            stddev: 0.0,
            relative_spread: 0.0,
        });
        let mut kinds: Vec<&String> = p.repeats.iter().flat_map(|r| r.latency.keys()).collect();
        kinds.sort();
        kinds.dedup();
        let latency: BTreeMap<String, Latency> = kinds
            .into_iter()
            .map(|kind| {
                let of: Vec<&Latency> = p
                    .repeats
                    .iter()
                    .filter_map(|r| r.latency.get(kind))
                    .collect();
                let mut means: Vec<f64> = of.iter().map(|l| l.mean_ns).collect();
                (
                    kind.clone(),
                    Latency {
                        samples: median_u64(of.iter().map(|l| l.samples)),
                        mean_ns: median(&mut means).unwrap_or(0.0),
                        p50_ns: median_u64(of.iter().map(|l| l.p50_ns)),
                        p90_ns: median_u64(of.iter().map(|l| l.p90_ns)),
                        p99_ns: median_u64(of.iter().map(|l| l.p99_ns)),
                        p999_ns: median_u64(of.iter().map(|l| l.p999_ns)),
                        p9999_ns: median_u64(of.iter().map(|l| l.p9999_ns)),
                        max_ns: median_u64(of.iter().map(|l| l.max_ns)),
                    },
                )
            })
            .collect();
        let mut per_entry: Vec<f64> = p
            .repeats
            .iter()
            .filter_map(|r| r.memory.bytes_per_entry)
            .collect();
        let mut allocs: Vec<f64> = p
            .repeats
            .iter()
            .map(|r| r.memory.allocations_per_op)
            .collect();
        let noisy = throughput.n > 1 && throughput.relative_spread > noise_threshold;
        if noisy {
            let warning = format!(
                "{}: throughput spread over {} repeats is {:.0}% of the median (threshold {:.0}%); \
                 differences smaller than that are not conclusive",
                p.id(),
                throughput.n,
                throughput.relative_spread * 100.0,
                noise_threshold * 100.0
            );
            eprintln!("warning: {warning}");
            notes.warnings.push(warning);
        }
        p.summary = Summary {
            throughput,
            latency,
            bytes_per_entry: median(&mut per_entry),
            allocations_per_op: median(&mut allocs).unwrap_or(0.0),
            ratio_to_baseline: None,
            noisy,
        };
    }
    let baselines: BTreeMap<(String, usize), f64> = points
        .iter()
        .filter(|p| p.structure == registry::BASELINE)
        .map(|p| {
            (
                (p.workload.name.clone(), p.threads),
                p.summary.throughput.median,
            )
        })
        .collect();
    for p in points.iter_mut() {
        if let Some(&base) = baselines.get(&(p.workload.name.clone(), p.threads))
            && base > 0.0
        {
            p.summary.ratio_to_baseline = Some(p.summary.throughput.median / base);
        }
    }
}

/// Runs the first workload's single-thread stream, with `u64` keys, through the null map: the
/// loop's own cost per operation, and the cost of one timed sample.
fn measure_overhead(plan: &Plan, first: &WorkloadSpec) -> Overhead {
    let spec = WorkloadSpec {
        key_type: KeyType::U64,
        ..first.clone()
    };
    let streams = stream::generate(&spec, plan.seed, 1, 0, plan.ops_per_thread);
    let null = registry::null();
    // Cycling through the stream for a fixed time gives every measurement the same, long enough
    // window, whatever the stream length.
    let window = match plan.limit {
        Limit::Ops { time_limit } => time_limit.min(Duration::from_millis(200)),
        Limit::Duration(d) => d.min(Duration::from_millis(200)),
    };
    let ns_per_op = |sample_every: usize| -> f64 {
        let mut values: Vec<f64> = (0..plan.repeats.max(3))
            .map(|_| {
                let ctx = RepeatCtx {
                    spec: &spec,
                    streams: &streams,
                    string_keys: None,
                    sample_every,
                    limit: Limit::Duration(window),
                    slowdown_get_percent: 0,
                };
                let r = (null.run_repeat)(&ctx).repeat;
                r.duration_ns as f64 / r.total_ops.max(1) as f64
            })
            .collect();
        median(&mut values).unwrap_or(f64::NAN)
    };
    let every = plan.sample_every as usize;
    let at_default = ns_per_op(every);
    let all_timed = ns_per_op(1);
    // At one sample in N, a run costs base + timing / N per operation; with every operation timed,
    // base + timing.
    let timing = if every > 1 {
        ((all_timed - at_default) / (1.0 - 1.0 / every as f64)).max(0.0)
    } else {
        all_timed
    };
    Overhead {
        ns_per_op: at_default,
        timing_ns_per_sample: timing,
    }
}

fn run_frequency_count(
    plan: &Plan,
    f: crate::cli::FrequencyPlan,
    bar: &ProgressBar,
    notes: &mut Notes,
    skipped: &mut Vec<Skipped>,
) -> Vec<FrequencyCount> {
    const NAME: &str = "frequency-count";
    bar.set_message("frequency count: generating data");
    let data = freq::generate(f.elements, f.key_space, f.theta, plan.seed);
    let structures: Vec<&StructureInfo> = plan
        .structures
        .iter()
        .filter(|s| s.family != cmap_results::Family::Null)
        .collect();
    // Counting a whole slice is one long operation per repeat, so it gets a longer leash than a
    // repeat of the mixed workloads; a map that still runs past it is skipped with the reason.
    let count_limit = 4 * match plan.limit {
        Limit::Ops { time_limit } => time_limit,
        Limit::Duration(d) => d,
    };
    let mut out = Vec::new();
    for &threads in &plan.threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool");
        let mut reference_times = Vec::new();
        let mut expected = None;
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); structures.len()];
        let mut excluded = vec![None; structures.len()];
        for _ in 0..plan.repeats {
            bar.set_message(format!("{NAME}/rayon-fold-reduce/t{threads}"));
            let (counts, elapsed) = freq::reference(&data, &pool);
            reference_times.push(f.elements as f64 / elapsed.as_secs_f64());
            let counts = expected.get_or_insert(counts);
            bar.inc(1);
            for (i, s) in structures.iter().enumerate() {
                bar.set_message(format!("{NAME}/{}/t{threads}", s.name));
                if excluded[i].is_none() {
                    let ctx = CountCtx {
                        data: &data,
                        pool: &pool,
                        expected: counts,
                        time_limit: count_limit,
                    };
                    match (s.count)(&ctx) {
                        CountOutcome::Counted(t) => {
                            times[i].push(f.elements as f64 / t.as_secs_f64())
                        }
                        CountOutcome::Skipped(reason) => excluded[i] = Some((reason, false)),
                        CountOutcome::Wrong(why) => excluded[i] = Some((why, true)),
                        CountOutcome::TooSlow(limit) => {
                            excluded[i] = Some((
                                format!(
                                    "did not finish counting within the {:.1} s time limit",
                                    limit.as_secs_f64()
                                ),
                                false,
                            ))
                        }
                    }
                }
                bar.inc(1);
            }
        }
        let distinct = expected.as_ref().map_or(0, |c| c.len() as u64);
        let entry = |structure: &str, rates: &[f64]| FrequencyCount {
            structure: structure.to_owned(),
            elements: f.elements,
            distinct,
            theta: f.theta,
            threads,
            elements_per_sec: Stats::of(rates).expect("at least one repeat"),
        };
        out.push(entry("rayon-fold-reduce", &reference_times));
        for ((s, rates), excluded) in structures.iter().zip(&times).zip(excluded) {
            match excluded {
                None => out.push(entry(s.name, rates)),
                Some((reason, wrong)) => {
                    if wrong {
                        let warning =
                            format!("{NAME}/{}/t{threads}: wrong counts: {reason}", s.name);
                        bar.suspend(|| eprintln!("warning: {warning}"));
                        notes.warnings.push(warning);
                    }
                    if !skipped
                        .iter()
                        .any(|k| k.workload == NAME && k.structure == s.name)
                    {
                        skipped.push(Skipped {
                            workload: NAME.to_owned(),
                            structure: s.name.to_owned(),
                            reason: if wrong {
                                format!("counted wrong: {reason}")
                            } else {
                                reason
                            },
                        });
                    }
                }
            }
        }
    }
    out
}
