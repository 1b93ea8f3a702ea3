//! A/B measurement: interleaved rounds, per-round ratios, verdicts, one re-measurement of
//! failures; and A/A calibration, which is the same measurement with one build on both sides.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::harness::{self, Build, Estimator, Sample};
use crate::report::{Attempt, BenchmarkResult, Calibration, Config, Order, Round, Side};
use crate::stats::{self, Estimate, SplitMix64};
use crate::verdict::{Verdict, judge};

/// What the gate runs: the harness's selection flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// `--workloads` for the harness (empty: the harness's default).
    pub workloads: Vec<String>,
    /// `--distribution`.
    pub distribution: Vec<String>,
    /// `--structures`.
    pub structures: Vec<String>,
    /// `--threads`.
    pub threads: Vec<usize>,
}

impl Selection {
    /// The harness flags for this selection.
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.workloads.is_empty() {
            args.extend(["--workloads".to_string(), self.workloads.join(",")]);
        }
        if !self.distribution.is_empty() {
            args.extend(["--distribution".to_string(), self.distribution.join(",")]);
        }
        if !self.structures.is_empty() {
            args.extend(["--structures".to_string(), self.structures.join(",")]);
        }
        if !self.threads.is_empty() {
            let t: Vec<String> = self.threads.iter().map(usize::to_string).collect();
            args.extend(["--threads".to_string(), t.join(",")]);
        }
        args
    }
}

/// The order of the two builds in round `index` of attempt `attempt`.
pub fn round_order(order: Order, seed: u64, attempt: u32, index: usize) -> [Side; 2] {
    let base_first = match order {
        Order::Abba => index.is_multiple_of(2),
        Order::Random => {
            // One generator per round keeps the order of round i independent of how many rounds
            // ran before it, so a shorter reproduction sees the same order.
            let mut rng = SplitMix64::new(seed ^ (u64::from(attempt) << 32) ^ index as u64);
            rng.next_u64() & 1 == 0
        }
    };
    if base_first {
        [Side::Base, Side::Head]
    } else {
        [Side::Head, Side::Base]
    }
}

/// Runs each distinct build once with the whole selection (`selection_args` and `common_args`)
/// and returns the benchmark ids either measured, so each can then be run alone (a benchmark
/// only one build has is then listed as such, not judged). These runs are not measurements.
pub fn discover(
    builds: &[&Build],
    selection_args: &[String],
    common_args: &[String],
    estimator: Estimator,
) -> anyhow::Result<Vec<String>> {
    let scratch = tempfile::tempdir()?;
    let args: Vec<String> = selection_args.iter().chain(common_args).cloned().collect();
    let mut ids = BTreeSet::new();
    for (i, build) in builds.iter().enumerate() {
        if builds[..i].contains(build) {
            continue;
        }
        let sample = harness::run(build, &args, scratch.path(), estimator)?;
        ids.extend(sample.throughput.into_keys());
    }
    Ok(ids.into_iter().collect())
}

/// Runs `config.rounds` rounds over `ids`. In each round, for each benchmark, the two builds run
/// back to back as fresh processes restricted to that one benchmark (`common_args` plus its
/// [`harness::benchmark_args`]), in the round's order, so the two runs that are compared are
/// seconds apart rather than a whole suite apart. Progress goes to stderr.
pub fn measure(
    base: &Build,
    head: &Build,
    config: &Config,
    ids: &[String],
    common_args: &[String],
    attempt: u32,
) -> anyhow::Result<Vec<Round>> {
    let scratch = tempfile::tempdir()?;
    let mut rounds = Vec::with_capacity(config.rounds);
    let started = Instant::now();
    let empty = || Sample {
        throughput: BTreeMap::new(),
        repeats: BTreeMap::new(),
        stream_checksums: BTreeMap::new(),
        git_revision: None,
        wall_seconds: 0.0,
    };
    for index in 0..config.rounds {
        let order = round_order(config.order, config.seed, attempt, index);
        let mut base_sample = empty();
        let mut head_sample = empty();
        for id in ids {
            let mut args = harness::benchmark_args(id)
                .ok_or_else(|| anyhow::anyhow!("`{id}` is not a workload/structure/tN id"))?;
            args.extend(common_args.iter().cloned());
            for side in order {
                let (build, into) = match side {
                    Side::Base => (base, &mut base_sample),
                    Side::Head => (head, &mut head_sample),
                };
                let s = harness::run(build, &args, scratch.path(), config.estimator)?;
                // Only this benchmark's figures: a harness that ran more is not mixed in.
                if let Some(&v) = s.throughput.get(id) {
                    into.throughput.insert(id.clone(), v);
                }
                if let Some(v) = s.repeats.get(id) {
                    into.repeats.insert(id.clone(), v.clone());
                }
                if let Some(v) = s.stream_checksums.get(id) {
                    into.stream_checksums.insert(id.clone(), v.clone());
                }
                into.git_revision = into.git_revision.take().or(s.git_revision);
                into.wall_seconds += s.wall_seconds;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let per_round = elapsed / (index + 1) as f64;
        eprintln!(
            "gate: {}round {}/{} ({} first, {} benchmark(s)): base {:.1} s, head {:.1} s; about \
             {:.0} s left",
            if attempt > 0 { "re-measure " } else { "" },
            index + 1,
            config.rounds,
            if order[0] == Side::Base {
                "base"
            } else {
                "head"
            },
            ids.len(),
            base_sample.wall_seconds,
            head_sample.wall_seconds,
            per_round * (config.rounds - index - 1) as f64,
        );
        rounds.push(Round {
            attempt,
            index,
            order,
            base: base_sample,
            head: head_sample,
        });
    }
    Ok(rounds)
}

/// Per-round `head / base` ratios of every benchmark both builds measured, and the ids only one
/// build measured.
pub fn ratios(rounds: &[Round]) -> (BTreeMap<String, Vec<f64>>, Vec<String>) {
    let mut ratios: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut one_side = BTreeSet::new();
    for round in rounds {
        for (id, &b) in &round.base.throughput {
            match round.head.throughput.get(id) {
                Some(&h) => ratios.entry(id.clone()).or_default().push(h / b),
                None => {
                    one_side.insert(id.clone());
                }
            }
        }
        for id in round.head.throughput.keys() {
            if !round.base.throughput.contains_key(id) {
                one_side.insert(id.clone());
            }
        }
    }
    let missing = one_side
        .into_iter()
        .filter(|id| !ratios.contains_key(id))
        .collect();
    (ratios, missing)
}

/// Benchmarks whose operation streams differ between the builds in some round: their ratio
/// compares different work (the head changed how workloads are generated), not speed.
pub fn different_streams(rounds: &[Round]) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for r in rounds {
        for (id, b) in &r.base.stream_checksums {
            if r.head.stream_checksums.get(id).is_some_and(|h| h != b) {
                ids.insert(id.clone());
            }
        }
    }
    ids.into_iter().collect()
}

/// The bootstrap seed of one benchmark: fixed by the run's seed and the id, so the interval is
/// reproducible from the report alone.
fn bootstrap_seed(seed: u64, id: &str) -> u64 {
    id.bytes().fold(seed ^ 0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// Estimates and judges one benchmark's ratios.
pub fn attempt(config: &Config, id: &str, attempt: u32, ratios: Vec<f64>) -> Option<Attempt> {
    let estimate = stats::bootstrap_median(
        &ratios,
        config.resamples,
        config.confidence,
        bootstrap_seed(config.seed, id),
    )?;
    Some(Attempt {
        attempt,
        verdict: judge(&estimate, config.threshold),
        estimate,
        ratios,
    })
}

/// Assembles the result of one benchmark from its attempts (the last one decides).
pub fn benchmark_result(
    id: &str,
    attempts: Vec<Attempt>,
    rounds: &[Round],
    reproduce: String,
) -> BenchmarkResult {
    let last = attempts.last().expect("at least one attempt");
    let (verdict, note) = match (attempts.len(), last.verdict) {
        (1, v) => (v, None),
        (_, Verdict::Fail) => (Verdict::Fail, None),
        (_, second) => (
            Verdict::Warn,
            Some(format!(
                "failed the first measurement ({:.3}, {:.3}-{:.3}) but the re-measurement said \
                 {second} ({:.3}, {:.3}-{:.3}); reported as a warning, not a regression",
                attempts[0].estimate.median,
                attempts[0].estimate.lo,
                attempts[0].estimate.hi,
                last.estimate.median,
                last.estimate.lo,
                last.estimate.hi,
            )),
        ),
    };
    let last_attempt = last.attempt;
    let of = |side: fn(&Round) -> &crate::harness::Sample| -> Vec<f64> {
        rounds
            .iter()
            .filter(|r| r.attempt == last_attempt)
            .filter_map(|r| side(r).throughput.get(id).copied())
            .collect()
    };
    let base = of(|r| &r.base);
    let head = of(|r| &r.head);
    let lo = head.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = head.iter().copied().fold(0.0, f64::max);
    BenchmarkResult {
        id: id.to_string(),
        verdict,
        ratio: last.estimate,
        base_ops_per_sec: stats::median(&base).unwrap_or(f64::NAN),
        head_ops_per_sec: stats::median(&head).unwrap_or(f64::NAN),
        head_range: (lo, hi),
        attempts,
        note,
        reproduce,
    }
}

/// The calibration figures of an A/A run: the threshold that would have kept every benchmark of
/// this run out of "inconclusive", with a margin, since the next run may be noisier.
pub fn calibrate(estimates: &[(String, Estimate)]) -> Option<Calibration> {
    let reach: Vec<(String, f64)> = estimates
        .iter()
        .map(|(id, e)| (id.clone(), (1.0 - e.lo).max(0.0)))
        .collect();
    let (noisiest, worst) = reach.iter().max_by(|a, b| a.1.total_cmp(&b.1)).cloned()?;
    let widest = estimates
        .iter()
        .map(|(_, e)| e.hi - e.lo)
        .fold(0.0, f64::max);
    // The small epsilon keeps a figure like 9.000000001% (float error) at 9%.
    let suggested = ((worst * 1.5 * 100.0 - 1e-6).ceil() / 100.0).max(0.02);
    Some(Calibration {
        suggested_threshold: suggested,
        noisiest,
        reach_below_one: reach,
        widest_interval: widest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abba_alternates_and_random_is_seeded() {
        let abba: Vec<[Side; 2]> = (0..4).map(|i| round_order(Order::Abba, 1, 0, i)).collect();
        assert_eq!(abba[0], [Side::Base, Side::Head]);
        assert_eq!(abba[1], [Side::Head, Side::Base]);
        assert_eq!(abba[2], abba[0]);
        let random = |seed| -> Vec<[Side; 2]> {
            (0..64)
                .map(|i| round_order(Order::Random, seed, 0, i))
                .collect()
        };
        assert_eq!(random(5), random(5));
        assert_ne!(random(5), random(6));
        let base_first = random(5).iter().filter(|o| o[0] == Side::Base).count();
        assert!((16..=48).contains(&base_first), "{base_first}");
    }

    #[test]
    fn selection_flags() {
        let s = Selection {
            workloads: vec!["read-heavy".into()],
            distribution: vec!["uniform".into()],
            structures: vec!["locked".into()],
            threads: vec![1, 2],
        };
        assert_eq!(
            s.args(),
            [
                "--workloads",
                "read-heavy",
                "--distribution",
                "uniform",
                "--structures",
                "locked",
                "--threads",
                "1,2"
            ]
        );
        assert!(Selection::default().args().is_empty());
    }

    #[test]
    fn calibration_suggests_a_margin_over_the_noisiest_benchmark() {
        let e = |lo, hi| Estimate {
            median: 1.0,
            lo,
            hi,
            n: 15,
        };
        let cal = calibrate(&[("a".into(), e(0.97, 1.02)), ("b".into(), e(0.94, 1.05))]).unwrap();
        assert_eq!(cal.noisiest, "b");
        assert!((cal.suggested_threshold - 0.09).abs() < 1e-9, "{cal:?}");
        assert!((cal.widest_interval - 0.11).abs() < 1e-9);
        let quiet = calibrate(&[("a".into(), e(0.999, 1.001))]).unwrap();
        assert_eq!(quiet.suggested_threshold, 0.02);
    }
}
