//! `gate-report.json` (the versioned record of a gate run, every round kept), the Markdown
//! summary, and the exports CI dashboards read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::harness::{Build, Sample};
use crate::stats::Estimate;
use crate::verdict::Verdict;

/// The version of the gate report schema. Adding an optional field keeps it; renaming, removing
/// or changing the meaning of a field bumps it.
pub const GATE_SCHEMA_VERSION: u32 = 1;

/// Which comparison produced a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Two builds measured interleaved on this machine now.
    Ab,
    /// One build measured against itself, to size the noise.
    Calibrate,
    /// A results file against a stored one.
    Baseline,
}

/// How rounds order the two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// base, head, head, base, base, head, ...: a drift that is linear over time (a machine
    /// warming up, a neighbour's job ramping) adds the same to both builds over each pair of
    /// rounds.
    Abba,
    /// A seeded coin decides which build goes first in each round.
    Random,
}

/// Which build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The baseline build.
    Base,
    /// The candidate build.
    Head,
}

/// Everything a gate run did and concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    /// Always [`GATE_SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// What was compared.
    pub mode: Mode,
    /// The baseline build (in baseline mode: the stored results file).
    pub base: Build,
    /// The candidate build (in baseline mode: the new results file).
    pub head: Build,
    /// The settings the verdicts depend on.
    pub config: Config,
    /// The overall verdict: the worst over benchmarks (fail, then inconclusive, then warn).
    pub verdict: Verdict,
    /// One entry per benchmark both builds measured.
    pub benchmarks: Vec<BenchmarkResult>,
    /// Benchmarks only one build measured (a structure or workload that is new or gone).
    #[serde(default)]
    pub missing: Vec<String>,
    /// Every round run, re-measurements included.
    #[serde(default)]
    pub rounds: Vec<Round>,
    /// The A/A noise figures and suggested threshold (calibration only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Notes for the reader (e.g. that a baseline comes from another machine).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The gate's own command line.
    pub command_line: Vec<String>,
    /// Seconds since the Unix epoch when the gate started.
    pub started_unix: u64,
    /// Wall time of the whole gate, seconds.
    pub wall_seconds: f64,
}

/// The settings the verdicts depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The tolerated fractional slowdown: a regression is a ratio below `1 - threshold`.
    pub threshold: f64,
    /// Rounds per measurement.
    pub rounds: usize,
    /// How rounds order the builds.
    pub order: Order,
    /// The seed passed to every harness process and the bootstrap.
    pub seed: u64,
    /// The confidence level of the intervals.
    pub confidence: f64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// Whether a fail is re-measured before it is reported.
    pub confirm: bool,
    /// The arguments every `BIN run` process gets (before `--json FILE`); in A/B and A/A mode
    /// each process also gets the flags that restrict it to its one benchmark.
    pub harness_args: Vec<String>,
    /// How each process's repeats become its throughput.
    #[serde(default)]
    pub estimator: crate::harness::Estimator,
}

/// One round: each build run once per benchmark, in `order` (base and head of one benchmark are
/// two consecutive processes; `base` and `head` gather what those processes measured).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// 0 for the first measurement, 1 for the re-measurement of failures.
    pub attempt: u32,
    /// The round's index within its attempt.
    pub index: usize,
    /// Which build ran first.
    pub order: [Side; 2],
    /// What the baseline process measured.
    pub base: Sample,
    /// What the candidate process measured.
    pub head: Sample,
}

/// The outcome for one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkResult {
    /// `workload/structure/tN`.
    pub id: String,
    /// The final verdict (after re-measurement).
    pub verdict: Verdict,
    /// The estimate the verdict rests on (the re-measurement's, if there was one).
    pub ratio: Estimate,
    /// Median baseline throughput over rounds, operations per second.
    pub base_ops_per_sec: f64,
    /// Median candidate throughput over rounds, operations per second.
    pub head_ops_per_sec: f64,
    /// Smallest and largest candidate throughput over rounds.
    pub head_range: (f64, f64),
    /// Each measurement of this benchmark: the first, and the re-measurement if it failed.
    pub attempts: Vec<Attempt>,
    /// Why the verdict is what it is, when that is not obvious from the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The command that measures this benchmark again.
    pub reproduce: String,
}

/// One measurement of a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 0 first, 1 re-measurement.
    pub attempt: u32,
    /// Per-round `head / base` throughput ratios, in round order.
    pub ratios: Vec<f64>,
    /// Their median and bootstrap interval.
    pub estimate: Estimate,
    /// The verdict of this measurement alone.
    pub verdict: Verdict,
}

/// What an A/A run says about the noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The smallest threshold at which no benchmark of this A/A run would be inconclusive or
    /// worse, with a 1.5x margin, rounded up to a whole percent (at least 2%).
    pub suggested_threshold: f64,
    /// The noisiest benchmark.
    pub noisiest: String,
    /// Per benchmark: how far below 1.0 the A/A interval reaches (`1 - lo`).
    pub reach_below_one: Vec<(String, f64)>,
    /// The widest interval seen, `hi - lo`: a regression must exceed the threshold by about this
    /// much before the whole interval is beyond it.
    pub widest_interval: f64,
}

impl GateReport {
    /// Writes the report as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        cmap_results::write_atomic(path, &json)
    }

    /// Reads a report, refusing another schema version.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let value: Value = serde_json::from_str(&text)?;
        let version = value.get("schema_version").and_then(Value::as_u64);
        if version != Some(u64::from(GATE_SCHEMA_VERSION)) {
            anyhow::bail!(
                "{} has gate schema_version {version:?}, this build reads {GATE_SCHEMA_VERSION}",
                path.display()
            );
        }
        Ok(serde_json::from_value(value)?)
    }

    /// The benchmarks with this verdict.
    pub fn with_verdict(&self, verdict: Verdict) -> impl Iterator<Item = &BenchmarkResult> {
        self.benchmarks.iter().filter(move |b| b.verdict == verdict)
    }

    /// The message for one failed benchmark: the benchmark, both revisions, the ratio with its
    /// interval, the threshold, and the command that reproduces it.
    pub fn failure_message(&self, b: &BenchmarkResult) -> String {
        format!("{}\n  reproduce: {}", self.failure_sentence(b), b.reproduce)
    }

    fn failure_sentence(&self, b: &BenchmarkResult) -> String {
        let confidence = self.config.confidence * 100.0;
        let mut msg = format!(
            "regression in {}: head {} runs at {:.3}x the throughput of base {} ({confidence:.0}% \
             CI {:.3}-{:.3}, {} rounds), beyond the {:.1}% threshold (ratio < {:.3})",
            b.id,
            self.head.label,
            b.ratio.median,
            self.base.label,
            b.ratio.lo,
            b.ratio.hi,
            b.ratio.n,
            self.config.threshold * 100.0,
            1.0 - self.config.threshold,
        );
        if b.attempts.len() > 1 {
            let first = &b.attempts[0].estimate;
            let _ = write!(
                msg,
                "; confirmed by a re-measurement (first: {:.3}, {:.3}-{:.3})",
                first.median, first.lo, first.hi
            );
        }
        msg
    }

    /// The Markdown summary, fit for a CI job summary.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let count = |v| self.with_verdict(v).count();
        let title = match self.mode {
            Mode::Ab => "cmap gate",
            Mode::Calibrate => "cmap gate --calibrate (A/A)",
            Mode::Baseline => "cmap gate --baseline",
        };
        let _ = writeln!(
            md,
            "## {title}: {} ({} fail, {} inconclusive, {} warn, {} pass)\n",
            self.verdict.label(),
            count(Verdict::Fail),
            count(Verdict::Inconclusive),
            count(Verdict::Warn),
            count(Verdict::Pass),
        );
        let c = &self.config;
        let how = match self.mode {
            Mode::Baseline => "ratio of median throughputs over repeats".to_string(),
            _ => format!(
                "{} rounds, {} order, base and head back to back as fresh processes per benchmark and round, seed {}",
                c.rounds,
                match c.order {
                    Order::Abba => "ABBA",
                    Order::Random => "seeded random",
                },
                c.seed
            ),
        };
        let _ = writeln!(
            md,
            "base `{}` vs head `{}`. Threshold {:.1}% (a regression is a head/base throughput \
             ratio below {:.3}); {how}; {:.0}% bootstrap interval of the median ratio. Wall time \
             {:.0} s.\n",
            self.base.label,
            self.head.label,
            c.threshold * 100.0,
            1.0 - c.threshold,
            c.confidence * 100.0,
            self.wall_seconds,
        );
        md.push_str(
            "| benchmark | base ops/s | head ops/s | ratio | interval | verdict |\n\
             |---|---:|---:|---:|---|---|\n",
        );
        for b in &self.benchmarks {
            let verdict = match b.verdict {
                Verdict::Fail => "**FAIL**".to_string(),
                v => v.label().to_string(),
            };
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {:.3} | {:.3}-{:.3} | {verdict} |",
                b.id,
                si(b.base_ops_per_sec),
                si(b.head_ops_per_sec),
                b.ratio.median,
                b.ratio.lo,
                b.ratio.hi,
            );
        }
        let failures: Vec<&BenchmarkResult> = self.with_verdict(Verdict::Fail).collect();
        if !failures.is_empty() {
            md.push_str("\n### Regressions\n\n");
            for b in failures {
                let _ = writeln!(
                    md,
                    "- {}\n\n  ```sh\n  {}\n  ```",
                    self.failure_sentence(b),
                    b.reproduce
                );
            }
        }
        let notes: Vec<String> = self
            .benchmarks
            .iter()
            .filter_map(|b| b.note.as_ref().map(|n| format!("`{}`: {n}", b.id)))
            .chain(self.notes.iter().cloned())
            .chain(
                (!self.missing.is_empty())
                    .then(|| format!("measured by one build only: {}", self.missing.join(", "))),
            )
            .collect();
        if !notes.is_empty() {
            md.push_str("\n### Notes\n\n");
            for n in notes {
                let _ = writeln!(md, "- {n}");
            }
        }
        if let Some(cal) = &self.calibration {
            let _ = writeln!(
                md,
                "\n### Calibration\n\nSuggested threshold: **{:.0}%** (`--threshold {:.0}`). The \
                 noisiest benchmark, `{}`, reached {:.1}% below 1.0 with the same build on both \
                 sides. The widest interval was {:.1}% wide, so a regression must exceed the \
                 threshold by about that much to fail reliably at {} rounds.",
                cal.suggested_threshold * 100.0,
                cal.suggested_threshold * 100.0,
                cal.noisiest,
                cal.reach_below_one
                    .iter()
                    .map(|(_, r)| *r)
                    .fold(0.0, f64::max)
                    * 100.0,
                cal.widest_interval * 100.0,
                self.config.rounds,
            );
        }
        md
    }

    /// Bencher Metric Format: per benchmark, the candidate's throughput (with the smallest and
    /// largest round) and the head/base ratio (with its interval) as a custom measure.
    pub fn bencher_json(&self) -> Value {
        let mut root = Map::new();
        for b in &self.benchmarks {
            root.insert(
                b.id.clone(),
                json!({
                    "throughput": {
                        "value": b.head_ops_per_sec,
                        "lower_value": b.head_range.0,
                        "upper_value": b.head_range.1,
                    },
                    "head-base-ratio": {
                        "value": b.ratio.median,
                        "lower_value": b.ratio.lo,
                        "upper_value": b.ratio.hi,
                    },
                }),
            );
        }
        Value::Object(root)
    }

    /// github-action-benchmark's custom format, `customBiggerIsBetter`: candidate throughput.
    pub fn github_bigger_is_better(&self) -> Value {
        Value::Array(
            self.benchmarks
                .iter()
                .map(|b| {
                    json!({
                        "name": b.id,
                        "unit": "ops/s",
                        "value": b.head_ops_per_sec,
                        "range": format!("± {:.0}", (b.head_range.1 - b.head_range.0) / 2.0),
                        "extra": self.extra(b),
                    })
                })
                .collect(),
        )
    }

    /// github-action-benchmark's custom format, `customSmallerIsBetter`: nanoseconds per
    /// operation of the candidate (all threads together).
    pub fn github_smaller_is_better(&self) -> Value {
        Value::Array(
            self.benchmarks
                .iter()
                .map(|b| {
                    let ns = |ops: f64| 1e9 / ops;
                    json!({
                        "name": b.id,
                        "unit": "ns/op",
                        "value": ns(b.head_ops_per_sec),
                        "range": format!("± {:.3}", (ns(b.head_range.0) - ns(b.head_range.1)) / 2.0),
                        "extra": self.extra(b),
                    })
                })
                .collect(),
        )
    }

    fn extra(&self, b: &BenchmarkResult) -> String {
        format!(
            "head/base {:.3} ({:.3}-{:.3}), {} vs {}, verdict {}",
            b.ratio.median, b.ratio.lo, b.ratio.hi, self.head.label, self.base.label, b.verdict
        )
    }

    /// Writes the report, the summary and the exports into `dir`; returns the paths written.
    pub fn write_all(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        let mut put = |name: &str, bytes: Vec<u8>| {
            let path = dir.join(name);
            cmap_results::write_atomic(&path, &bytes)?;
            written.push(path);
            std::io::Result::Ok(())
        };
        let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
        put(
            "gate-report.json",
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        put("gate-summary.md", self.markdown().into_bytes())?;
        put("gate-bencher.json", pretty(&self.bencher_json()))?;
        put(
            "gate-github-bigger-is-better.json",
            pretty(&self.github_bigger_is_better()),
        )?;
        put(
            "gate-github-smaller-is-better.json",
            pretty(&self.github_smaller_is_better()),
        )?;
        Ok(written)
    }
}

/// `12.3 M` and the like.
fn si(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.2} K", v / 1e3)
    } else {
        format!("{v:.1}")
    }
}
