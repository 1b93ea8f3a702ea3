//! Baseline mode: a results file against a stored one.
//!
//! The interval here only covers the spread between repeats inside each run. It cannot cover what
//! differs between the two runs (another machine, another neighbour on the same machine, another
//! kernel or CPU frequency), which on shared CI is often 10-30% and larger than any regression
//! worth catching. So by default this mode reports at most a warning; the A/B mode, which
//! measures both builds interleaved on the same machine at the same time, is the one to gate on.

use cmap_results::{Method, Point, Results};

use crate::report::{Attempt, BenchmarkResult, Config};
use crate::stats;
use crate::verdict::{Verdict, judge_with_min};

/// With fewer repeats per run than this, a baseline comparison says nothing.
const MIN_REPEATS: usize = 3;

/// What a baseline comparison found.
#[derive(Debug)]
pub struct Comparison {
    /// One per point present in both files.
    pub benchmarks: Vec<BenchmarkResult>,
    /// Points in only one of the files.
    pub missing: Vec<String>,
    /// Differences of method that make the comparison less trustworthy.
    pub notes: Vec<String>,
}

/// Compares `results` (head) with `baseline` (base). Unless `can_fail`, verdicts are capped at
/// warn.
pub fn compare(
    baseline: &Results,
    results: &Results,
    config: &Config,
    can_fail: bool,
    reproduce: &str,
) -> Comparison {
    let mut benchmarks = Vec::new();
    let mut missing = Vec::new();
    for head in &results.points {
        let id = head.id();
        let Some(base) = baseline.point(&id) else {
            missing.push(id);
            continue;
        };
        if let Some(b) = compare_point(base, head, config, can_fail, reproduce) {
            benchmarks.push(b);
        }
    }
    missing.extend(
        baseline
            .points
            .iter()
            .map(Point::id)
            .filter(|id| results.point(id).is_none()),
    );
    Comparison {
        benchmarks,
        missing,
        notes: method_differences(&baseline.method, &results.method),
    }
}

fn compare_point(
    base: &Point,
    head: &Point,
    config: &Config,
    can_fail: bool,
    reproduce: &str,
) -> Option<BenchmarkResult> {
    let tp =
        |p: &Point| -> Vec<f64> { p.repeats.iter().map(|r| r.throughput_ops_per_sec).collect() };
    let (b, h) = (tp(base), tp(head));
    let id = head.id();
    let seed = config.seed ^ id.len() as u64;
    let estimate =
        stats::bootstrap_ratio_of_medians(&h, &b, config.resamples, config.confidence, seed)?;
    let mut verdict = judge_with_min(&estimate, config.threshold, MIN_REPEATS);
    let mut note = None;
    if base.summary.noisy || head.summary.noisy {
        note = Some("the harness flagged the repeats of one run as noisy".to_string());
        if verdict == Verdict::Fail {
            verdict = Verdict::Inconclusive;
        }
    }
    let judged = verdict;
    if !can_fail && verdict > Verdict::Warn {
        verdict = Verdict::Warn;
        note = Some(format!(
            "would be {judged} against the stored baseline; baseline mode warns at most, since \
             it cannot tell a regression from a difference between runs (use A/B mode to gate)"
        ));
    }
    let lo = h.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = h.iter().copied().fold(0.0, f64::max);
    Some(BenchmarkResult {
        id,
        verdict,
        ratio: estimate,
        base_ops_per_sec: stats::median(&b)?,
        head_ops_per_sec: stats::median(&h)?,
        head_range: (lo, hi),
        attempts: vec![Attempt {
            attempt: 0,
            ratios: Vec::new(),
            estimate,
            verdict: judged,
        }],
        note,
        reproduce: reproduce.to_string(),
    })
}

/// What differs between how the two files were measured.
fn method_differences(base: &Method, head: &Method) -> Vec<String> {
    let mut notes = Vec::new();
    let mut check = |what: &str, a: &str, b: &str| {
        if a != b {
            notes.push(format!("{what} differs: baseline `{a}`, results `{b}`"));
        }
    };
    check("machine", &base.machine, &head.machine);
    check("CPU", &base.cpu_model, &head.cpu_model);
    check("cores", &base.cores.to_string(), &head.cores.to_string());
    check("profile", &base.profile, &head.profile);
    check("rustc", &base.rustc_version, &head.rustc_version);
    check("seed", &base.seed.to_string(), &head.seed.to_string());
    notes
}
