//! `cmap gate`: says whether a change made a map slower, without crying wolf on a noisy machine.
//!
//! # A/B, not stored numbers
//!
//! Shared CI machines vary by 10-30% from one run to the next: another job on the host, another
//! CPU model, another frequency. A gate that compares today's throughput with numbers stored
//! yesterday sees that variation as regressions and improvements, and people learn to ignore it.
//! So the gate measures both builds itself, on the same machine, at the same time:
//!
//! - **Rounds, paired per benchmark.** The gate first runs each build once over the whole
//!   selection to learn the benchmark ids (not a measurement). Then, in each round and for each
//!   benchmark, it runs the base build and the head build back to back, each as a fresh
//!   `BIN run` process restricted to that one benchmark (a point `read-heavy-uniform/locked/t2`
//!   is `--workloads read-heavy --distribution uniform --structures locked --threads 2`) with
//!   the same seed, so the same operation streams. On a shared machine the load changes from
//!   one second to the next (throughput of back-to-back whole-suite processes was seen to swing
//!   by 0.4x to 4.3x), so the two runs compared must be as close in time as possible: seconds,
//!   not a whole suite, apart. Rounds alternate ABBA (base-head, head-base, ...) or follow a
//!   seeded coin, so drift over the job lands on both builds alike.
//! - **Best of the repeats.** Each process times `--repeats` repeats (3 by default) and the
//!   gate takes the best, the highest throughput (`--estimator best`). Interference from other
//!   jobs only ever slows a run, never speeds it up, so the fastest repeat is the least disturbed
//!   and the most repeatable estimate of the build's speed (why benchmarking tools such as
//!   hyperfine and criterion users quote minimum times). `--estimator median` takes the median
//!   instead. Every repeat is kept in the report (`rounds[].base.repeats`).
//! - **Ratios.** Per benchmark (`workload/structure/tN`) and round, the ratio `head / base` of
//!   throughputs. Whatever slowed the machine during that pair of runs slowed both, and mostly
//!   cancels in the ratio.
//! - **Median and bootstrap interval.** The median of the per-round ratios, with a 95% percentile
//!   bootstrap interval (resample the rounds with replacement 10 000 times, take the median of
//!   each resample, read off the 2.5% and 97.5% quantiles). The median, because one descheduled
//!   round moves a mean arbitrarily and a median hardly at all; the bootstrap, because it needs
//!   no assumption about the shape of the noise, which on shared machines is skewed and heavy
//!   tailed. The resampling is seeded, so a report's intervals can be recomputed exactly.
//!
//! # Verdicts
//!
//! With a threshold `t` (10% by default), a regression is a ratio below `1 - t`:
//!
//! | verdict | when | exit code |
//! |---|---|---|
//! | fail | the whole interval is below `1 - t` (and so is a re-measurement) | 3 |
//! | inconclusive | the interval reaches both below `1 - t` and above 1.0, or fewer than 5 rounds | 4 |
//! | warn | the median is below `1 - t`, the interval is not wholly | 0 |
//! | pass | otherwise | 0 |
//!
//! A harness that cannot be run or writes no results exits 1; a usage error exits 2. Only a fail
//! blocks, and it needs the whole interval beyond the threshold, so noise, which widens the
//! interval, makes the gate say "inconclusive" rather than "regression". A failure is measured
//! again with fresh rounds before it is reported; if the re-measurement does not fail too, the
//! benchmark is reported as a warning, with both intervals. The failure message names the
//! benchmark, both revisions, the ratio with its interval, the threshold, and the command that
//! reproduces it.
//!
//! ```
//! use cmap_gate::{Estimate, Verdict, bootstrap_median, judge};
//!
//! // Per-round head/base throughput ratios of one benchmark: head is about 15% slower.
//! let ratios = [0.84, 0.86, 0.85, 0.83, 0.87, 0.85, 0.84, 0.86, 0.85, 0.88, 0.84, 0.85];
//! let estimate = bootstrap_median(&ratios, 10_000, 0.95, 1).unwrap();
//! assert!(estimate.lo <= estimate.median && estimate.median <= estimate.hi);
//! assert_eq!(judge(&estimate, 0.10), Verdict::Fail); // the whole interval is below 0.90
//! assert_eq!(judge(&estimate, 0.20), Verdict::Pass); // within a 20% threshold
//!
//! // A noisy benchmark: the interval reaches from "much slower" to "faster".
//! let wide = Estimate { median: 0.95, lo: 0.80, hi: 1.08, n: 15 };
//! assert_eq!(judge(&wide, 0.10), Verdict::Inconclusive);
//! assert_eq!(Verdict::Inconclusive.exit_code(), 4);
//! ```
//!
//! `cmap gate --calibrate --base BIN` runs the same build on both sides (A/A) and suggests the
//! threshold at which that run would not even have been inconclusive, with a margin: for each
//! benchmark it takes how far the interval's lower end reaches below 1.0, takes the largest of
//! these, multiplies it by 1.5 (the next run may be noisier) and rounds up to a whole percent,
//! 2% at least.
//!
//! The defaults are 15 rounds and a 10% threshold. What the noise allows depends on the machine,
//! so calibrate on your own CI runners and pass what `--calibrate` suggests if it is larger. For
//! scale, on a shared 2-core cloud VM, five A/A gates of 40 rounds over 12 benchmarks
//! (`scripts/gate-selftest.sh --full`) gave 60 verdicts: 39 pass, 21 inconclusive, no warning
//! and no failure. Their medians stayed within 0.95-1.04, and the lower ends of their intervals
//! reached 0.86-0.97. At a 5% threshold such a machine therefore answers "cannot tell" (exit 4)
//! for about a third of unchanged benchmarks rather than ever "regression"; a pipeline that must
//! not stop on that treats exit 4 as neutral, or runs more rounds.
//!
//! # Baseline mode
//!
//! `cmap gate --baseline OLD.json --results NEW.json` compares two results files. Its interval
//! covers only the spread of repeats within each run, not the difference between runs, so it
//! warns at most (unless `--baseline-can-fail`): useful on a quiet workstation, not as a CI gate.
//!
//! # Output
//!
//! Into `--out-dir`: `gate-report.json` (schema version [`GATE_SCHEMA_VERSION`], every round
//! kept), `gate-summary.md` (also appended to `$GITHUB_STEP_SUMMARY` when that is set),
//! `gate-bencher.json` (Bencher Metric Format), and `gate-github-bigger-is-better.json` /
//! `gate-github-smaller-is-better.json` (github-action-benchmark's `customBiggerIsBetter` and
//! `customSmallerIsBetter` tools). The summary table goes to stdout, progress to stderr.
//!
//! # Instruction counts
//!
//! `scripts/instructions.sh` (the `opcount` example of this crate) counts the instructions of
//! single-thread `get`, `insert`, `remove` and `upsert` per structure under valgrind's callgrind,
//! and compares them with `instructions.limits` (soft limits: 5% over fails, `--update` records
//! new ones). The counts are the same on every machine for a given compiler, so they catch a
//! slower code path with no noise at all. They cannot see contention: valgrind runs one thread at
//! a time, so lock waits, cache-line transfers between cores and retries of lock-free loops never
//! happen under it. Multi-threaded regressions are what the A/B gate is for.
//!
//! # Self-test
//!
//! `scripts/gate-selftest.sh --full` checks the gate against the real harness: 5 A/A gates over
//! 12 benchmarks must not fail, 9 of 10 gates against a build whose locked `get` is made 20%
//! slower on purpose (feature `slowdown-knob` of the harness) must fail exactly the read-heavy
//! locked benchmarks, and each gate must fit its 15-minute budget. It uses 40 rounds, best of 3
//! repeats of 0.1 s per process and a 5% threshold (the script says how the measured noise led
//! there); each process costs about 0.4 s (start-up and prefill included; the gate passes
//! `--no-overhead` to every build that accepts it, so no process spends a second measuring the
//! harness's own cost), so a gate takes about 6 minutes and the whole self-test about 90.
//! `--ci` is one A/A gate of 6 rounds, about 1 minute.
#![warn(missing_docs)]

mod ab;
mod baseline;
mod harness;
mod report;
mod stats;
mod verdict;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::Context;

pub use ab::{Selection, round_order};
pub use harness::{Build, Estimator, Sample, benchmark_args};
pub use report::{
    Attempt, BenchmarkResult, Calibration, Config, GATE_SCHEMA_VERSION, GateReport, Mode, Order,
    Round, Side,
};
pub use stats::{Estimate, SplitMix64, bootstrap_median, bootstrap_ratio_of_medians, median};
pub use verdict::{MIN_ROUNDS, Verdict, judge};

/// Arguments of `cmap gate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// The baseline harness binary (`cmap` built from the base revision).
    #[arg(long, value_name = "BIN")]
    pub base: Option<PathBuf>,
    /// The candidate harness binary (`cmap` built from the head revision).
    #[arg(long, value_name = "BIN")]
    pub head: Option<PathBuf>,
    /// The git revision the base binary was built from, for reports and the reproduce command.
    #[arg(long, value_name = "REV")]
    pub base_rev: Option<String>,
    /// The git revision the head binary was built from.
    #[arg(long, value_name = "REV")]
    pub head_rev: Option<String>,

    /// Workloads to run (comma separated; default: the harness's default set).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub workloads: Vec<String>,
    /// Key distributions of the workload presets (comma separated; the harness's
    /// `--distribution`; default: each preset's own).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub distribution: Vec<String>,
    /// Structures to run (comma separated; default: the harness's default set).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub structures: Vec<String>,
    /// Thread counts (comma separated; default: the harness's default set).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub threads: Vec<usize>,
    /// Operations per thread in each benchmark of each round: short runs, many rounds.
    #[arg(long, value_name = "N")]
    pub ops: Option<u64>,
    /// Timed repeats of each benchmark inside each harness process (see `--estimator`).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub repeats: usize,
    /// How a process's repeats become its throughput: `best` (the highest; interference only
    /// slows a run, so the fastest repeat is the least disturbed) or `median`. Every repeat is
    /// kept in the report either way.
    #[arg(long, value_enum, default_value_t = Estimator::Best)]
    pub estimator: Estimator,
    /// Any other argument for `BIN run`, given as is (repeat the flag for several).
    #[arg(long = "harness-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub harness_args: Vec<String>,

    /// Rounds per measurement (each round runs both builds once).
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub rounds: usize,
    /// How each round orders the two builds.
    #[arg(long, value_enum, default_value_t = Order::Abba)]
    pub order: Order,
    /// The seed of every harness process (the same for both builds) and of the bootstrap.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The tolerated slowdown in percent: a regression is a ratio head/base below 1 - P/100.
    #[arg(long, default_value_t = 10.0, value_name = "P")]
    pub threshold: f64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub resamples: usize,
    /// Report a failure without measuring it again first.
    #[arg(long)]
    pub no_confirm: bool,

    /// Run the base build against itself (A/A) and suggest a threshold from the noise.
    #[arg(long, conflicts_with_all = ["head", "baseline"])]
    pub calibrate: bool,

    /// Baseline mode: the stored results file to compare with (warns at most; see the docs).
    #[arg(long, value_name = "FILE", requires = "results")]
    pub baseline: Option<PathBuf>,
    /// Baseline mode: the new results file.
    #[arg(long, value_name = "FILE", requires = "baseline")]
    pub results: Option<PathBuf>,
    /// Baseline mode: let a regression fail instead of warning.
    #[arg(long, requires = "baseline")]
    pub baseline_can_fail: bool,

    /// Where to write gate-report.json, gate-summary.md and the dashboard exports.
    #[arg(long, default_value = "target/gate", value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// Why the gate could not reach a verdict.
#[derive(Debug)]
pub enum GateError {
    /// The arguments do not make sense (exit code 2).
    Usage(String),
    /// A harness process failed or wrote no usable results (exit code 1).
    Harness(anyhow::Error),
}

impl GateError {
    /// 2 for a usage error, 1 for a harness failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            GateError::Usage(_) => 2,
            GateError::Harness(_) => 1,
        }
    }
}

impl std::fmt::Display for GateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateError::Usage(msg) => write!(f, "usage: {msg}"),
            GateError::Harness(err) => write!(f, "harness failure: {err:#}"),
        }
    }
}

impl std::error::Error for GateError {}

impl From<anyhow::Error> for GateError {
    fn from(err: anyhow::Error) -> Self {
        GateError::Harness(err)
    }
}

/// Runs `cmap gate`: measures, writes the report files, prints the summary, and returns the exit
/// code (0 pass or warn, 3 regression, 4 inconclusive, 2 usage error, 1 harness failure).
pub fn run(args: &GateArgs) -> ExitCode {
    match gate(args) {
        Ok(report) => {
            for b in report.with_verdict(Verdict::Fail) {
                eprintln!("cmap gate: {}", report.failure_message(b));
            }
            // Calibration is a measurement, not a gate: it succeeds whenever it measured.
            if report.mode == Mode::Calibrate {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(report.verdict.exit_code())
            }
        }
        Err(err) => {
            eprintln!("cmap gate: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Does what [`run`] does and returns the report instead of an exit code.
pub fn gate(args: &GateArgs) -> Result<GateReport, GateError> {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let config = config(args)?;
    let mut report = if args.baseline.is_some() {
        baseline_mode(args, config)?
    } else {
        ab_mode(args, config)?
    };
    report.started_unix = started_unix;
    report.wall_seconds = started.elapsed().as_secs_f64();
    report
        .write_all(&args.out_dir)
        .with_context(|| format!("writing the report into {}", args.out_dir.display()))?;
    let markdown = report.markdown();
    print!("{markdown}");
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        // A summary that cannot be written is worth a warning, not a lost verdict.
        if let Err(err) = append_to(std::path::Path::new(&summary), &markdown) {
            eprintln!("cmap gate: cannot append to $GITHUB_STEP_SUMMARY: {err}");
        }
    }
    eprintln!(
        "cmap gate: {} in {:.0} s; report in {}",
        report.verdict,
        report.wall_seconds,
        args.out_dir.join("gate-report.json").display()
    );
    Ok(report)
}

/// Appends `text` to the file at `path`, creating it if needed: GitHub Actions collects every
/// step's additions to `$GITHUB_STEP_SUMMARY` into the job summary.
pub fn append_to(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

fn config(args: &GateArgs) -> Result<Config, GateError> {
    let usage = |msg: &str| Err(GateError::Usage(msg.to_string()));
    if !(args.threshold > 0.0 && args.threshold < 100.0) {
        return usage("--threshold is a percentage between 0 and 100");
    }
    if !(args.confidence > 0.5 && args.confidence < 1.0) {
        return usage("--confidence is a level between 0.5 and 1, e.g. 0.95");
    }
    if args.rounds < MIN_ROUNDS && args.baseline.is_none() {
        return Err(GateError::Usage(format!(
            "--rounds must be at least {MIN_ROUNDS}: fewer rounds give no meaningful interval"
        )));
    }
    if args.resamples < 100 {
        return usage("--resamples must be at least 100");
    }
    if args.threads.contains(&0) {
        return usage("--threads takes positive thread counts");
    }
    if args.repeats == 0 {
        return usage("--repeats must be positive");
    }
    if args.ops == Some(0) {
        return usage("--ops must be positive");
    }
    Ok(Config {
        threshold: args.threshold / 100.0,
        rounds: args.rounds,
        order: args.order,
        seed: args.seed,
        confidence: args.confidence,
        resamples: args.resamples,
        confirm: !args.no_confirm,
        harness_args: Vec::new(),
        estimator: args.estimator,
    })
}

/// The harness arguments every process gets: the seed, the repeats, the op count, the rest.
fn common_args(args: &GateArgs) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(["--seed".to_string(), args.seed.to_string()]);
    out.extend(["--repeats".to_string(), args.repeats.to_string()]);
    if let Some(ops) = args.ops {
        out.extend(["--ops".to_string(), ops.to_string()]);
    }
    out.extend(args.harness_args.iter().cloned());
    out
}

fn build(binary: &std::path::Path, rev: Option<&String>) -> Build {
    Build::probe(
        rev.cloned().unwrap_or_else(|| binary.display().to_string()),
        binary.to_path_buf(),
    )
}

fn ab_mode(args: &GateArgs, mut config: Config) -> Result<GateReport, GateError> {
    let (base, head, mode) = match (&args.base, &args.head, args.calibrate) {
        (Some(b), _, true) | (None, Some(b), true) => (
            build(b, args.base_rev.as_ref()),
            build(b, args.base_rev.as_ref()),
            Mode::Calibrate,
        ),
        (Some(b), Some(h), false) => (
            build(b, args.base_rev.as_ref()),
            build(h, args.head_rev.as_ref()),
            Mode::Ab,
        ),
        _ => {
            return Err(GateError::Usage(
                "give --base BIN --head BIN (A/B), --calibrate --base BIN (A/A), or --baseline \
                 FILE --results FILE"
                    .into(),
            ));
        }
    };
    for b in [&base, &head] {
        if !b.binary.is_file() {
            return Err(GateError::Usage(format!(
                "{} is not a file",
                b.binary.display()
            )));
        }
    }
    let selection = Selection {
        workloads: args.workloads.clone(),
        distribution: args.distribution.clone(),
        structures: args.structures.clone(),
        threads: args.threads.clone(),
    };
    config.harness_args = common_args(args);
    if mode == Mode::Calibrate {
        config.confirm = false;
    }

    let ids = ab::discover(
        &[&base, &head],
        &selection.args(),
        &config.harness_args,
        config.estimator,
    )?;
    if ids.is_empty() {
        return Err(GateError::Harness(anyhow::anyhow!(
            "{} measured no benchmark with {:?}",
            base.binary.display(),
            selection.args()
        )));
    }
    eprintln!(
        "gate: {} benchmark(s), {} round(s), base and head back to back per benchmark",
        ids.len(),
        config.rounds
    );
    let mut rounds = ab::measure(&base, &head, &config, &ids, &config.harness_args, 0)?;
    let (ratios, missing) = ab::ratios(&rounds);
    if ratios.is_empty() {
        return Err(GateError::Harness(anyhow::anyhow!(
            "the two builds measured no benchmark in common (base: {:?}, head: {:?})",
            rounds[0].base.throughput.keys().collect::<Vec<_>>(),
            rounds[0].head.throughput.keys().collect::<Vec<_>>(),
        )));
    }
    let mut attempts: Vec<(String, Vec<Attempt>)> = ratios
        .into_iter()
        .filter_map(|(id, r)| Some((id.clone(), vec![ab::attempt(&config, &id, 0, r)?])))
        .collect();

    let failed: Vec<&str> = attempts
        .iter()
        .filter(|(_, a)| a[0].verdict == Verdict::Fail)
        .map(|(id, _)| id.as_str())
        .collect();
    if config.confirm && !failed.is_empty() {
        eprintln!(
            "gate: {} benchmark(s) failed; measuring them again with fresh rounds: {}",
            failed.len(),
            failed.join(", ")
        );
        let again: Vec<String> = failed.iter().map(|id| id.to_string()).collect();
        let retry = ab::measure(&base, &head, &config, &again, &config.harness_args, 1)?;
        let (retry_ratios, _) = ab::ratios(&retry);
        for (id, list) in &mut attempts {
            if list[0].verdict == Verdict::Fail
                && let Some(a) = retry_ratios
                    .get(id)
                    .and_then(|r| ab::attempt(&config, id, 1, r.clone()))
            {
                list.push(a);
            }
        }
        rounds.extend(retry);
    }

    let benchmarks: Vec<BenchmarkResult> = attempts
        .into_iter()
        .map(|(id, list)| {
            let reproduce = reproduce_command(args, &id);
            ab::benchmark_result(&id, list, &rounds, reproduce)
        })
        .collect();
    let notes: Vec<String> = ab::different_streams(&rounds)
        .into_iter()
        .map(|id| {
            format!(
                "`{id}`: the builds ran different operation streams (the stream checksums \
                 differ), so its ratio compares different work"
            )
        })
        .collect();
    let calibration = if mode == Mode::Calibrate {
        let estimates: Vec<(String, Estimate)> =
            benchmarks.iter().map(|b| (b.id.clone(), b.ratio)).collect();
        ab::calibrate(&estimates)
    } else {
        None
    };
    Ok(GateReport {
        schema_version: GATE_SCHEMA_VERSION,
        mode,
        base,
        head,
        verdict: Verdict::combine(benchmarks.iter().map(|b| b.verdict)),
        config,
        benchmarks,
        missing,
        rounds,
        calibration,
        notes,
        command_line: std::env::args().collect(),
        started_unix: 0,
        wall_seconds: 0.0,
    })
}

fn baseline_mode(args: &GateArgs, config: Config) -> Result<GateReport, GateError> {
    let (Some(baseline), Some(results)) = (&args.baseline, &args.results) else {
        return Err(GateError::Usage(
            "baseline mode needs --baseline FILE and --results FILE".into(),
        ));
    };
    let read =
        |p: &PathBuf| cmap_results::Results::read(p).map_err(|e| GateError::Usage(e.to_string()));
    let (old, new) = (read(baseline)?, read(results)?);
    let reproduce = format!(
        "cmap gate --baseline {} --results {} --threshold {}",
        baseline.display(),
        results.display(),
        args.threshold
    );
    let cmp = baseline::compare(&old, &new, &config, args.baseline_can_fail, &reproduce);
    let label = |p: &PathBuf, rev: &Option<String>| Build {
        label: rev.clone().unwrap_or_else(|| p.display().to_string()),
        binary: p.clone(),
        skip_overhead: false,
    };
    Ok(GateReport {
        schema_version: GATE_SCHEMA_VERSION,
        mode: Mode::Baseline,
        base: label(baseline, &old.method.git_revision),
        head: label(results, &new.method.git_revision),
        verdict: Verdict::combine(cmp.benchmarks.iter().map(|b| b.verdict)),
        config,
        benchmarks: cmp.benchmarks,
        missing: cmp.missing,
        rounds: Vec::new(),
        calibration: None,
        notes: cmp.notes,
        command_line: std::env::args().collect(),
        started_unix: 0,
        wall_seconds: 0.0,
    })
}

/// The command that measures one benchmark again with the same settings: through
/// `scripts/gate.sh` when both revisions are known, else with the two binaries.
fn reproduce_command(args: &GateArgs, id: &str) -> String {
    // `scripts/gate.sh` labels a build of an uncommitted working tree `<rev>-dirty`; to build
    // that again it takes `.`.
    let rev = |r: &String| match r.strip_suffix("-dirty") {
        Some(_) => ".".to_string(),
        None => r.clone(),
    };
    let mut words: Vec<String> = match (&args.base_rev, &args.head_rev, &args.base, &args.head) {
        (Some(b), Some(h), _, _) => vec!["scripts/gate.sh".into(), rev(b), rev(h)],
        (_, _, Some(b), Some(h)) => vec![
            "cmap".into(),
            "gate".into(),
            "--base".into(),
            b.display().to_string(),
            "--head".into(),
            h.display().to_string(),
        ],
        (_, _, Some(b), None) => vec![
            "cmap".into(),
            "gate".into(),
            "--calibrate".into(),
            "--base".into(),
            b.display().to_string(),
        ],
        _ => vec!["cmap".into(), "gate".into()],
    };
    words.extend(harness::benchmark_args(id).unwrap_or_default());
    words.extend([
        "--rounds".into(),
        args.rounds.to_string(),
        "--order".into(),
        match args.order {
            Order::Abba => "abba".into(),
            Order::Random => "random".into(),
        },
        "--seed".into(),
        args.seed.to_string(),
        "--threshold".into(),
        args.threshold.to_string(),
    ]);
    if let Some(ops) = args.ops {
        words.extend(["--ops".into(), ops.to_string()]);
    }
    if args.repeats != 3 {
        words.extend(["--repeats".into(), args.repeats.to_string()]);
    }
    if args.estimator != Estimator::Best {
        words.extend(["--estimator".into(), "median".into()]);
    }
    for a in &args.harness_args {
        words.push(format!("--harness-arg={a}"));
    }
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:@%+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
