//! Running one harness process and reading what it measured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use cmap_results::Results;
use serde::{Deserialize, Serialize};

/// One build under comparison: a harness binary and a name for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// The name reports use: a git revision when known, else the binary's path.
    pub label: String,
    /// The harness binary (`cmap`).
    pub binary: PathBuf,
    /// Whether the binary's `run` accepts `--no-overhead`, which the gate then passes: a gate
    /// process reports no harness overhead, so measuring it would only cost time. Older builds
    /// lack the flag and run without it.
    #[serde(default)]
    pub skip_overhead: bool,
}

impl Build {
    /// A build of `binary`, asking the binary whether it can skip the overhead measurement.
    pub fn probe(label: String, binary: PathBuf) -> Self {
        let skip_overhead = Command::new(&binary)
            .args(["run", "--help"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).contains("--no-overhead")
            });
        Self {
            label,
            binary,
            skip_overhead,
        }
    }
}

/// What one harness process measured: throughput per benchmark id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The process's throughput per `workload/structure/tN`, operations per second: the best
    /// (highest) of its repeats, or their median, as the configured [`Estimator`] says.
    pub throughput: BTreeMap<String, f64>,
    /// Every repeat's throughput per benchmark, as the harness measured it.
    #[serde(default)]
    pub repeats: BTreeMap<String, Vec<f64>>,
    /// The checksum of each benchmark's operation streams: equal in both builds when they ran
    /// the same operations.
    #[serde(default)]
    pub stream_checksums: BTreeMap<String, String>,
    /// The git revision the harness says it was built from.
    pub git_revision: Option<String>,
    /// Wall time of the whole process, seconds (prefill and start-up included).
    pub wall_seconds: f64,
}

/// Runs `binary run <args> --out <scratch> --json <scratch>/results.json` and reads the results
/// document it wrote.
///
/// The harness's stdout and stderr are captured, not shown (results come from the file, so a
/// harness that prints tables cannot confuse the gate); the end of stderr is quoted if it fails.
/// Its other output files go to `scratch`, so the gate never touches the user's report folder.
pub fn run(
    build: &Build,
    args: &[String],
    scratch: &Path,
    estimator: Estimator,
) -> anyhow::Result<Sample> {
    let json = scratch.join("results.json");
    let _ = std::fs::remove_file(&json);
    let started = Instant::now();
    let output = Command::new(&build.binary)
        .arg("run")
        .args(args)
        .args(build.skip_overhead.then_some("--no-overhead"))
        .arg("--out")
        .arg(scratch)
        .arg("--json")
        .arg(&json)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot start {}", build.binary.display()))?;
    let wall_seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{} ({}) exited with {}:\n{}",
            build.binary.display(),
            build.label,
            output.status,
            tail.join("\n")
        );
    }
    let results = Results::read(&json)
        .with_context(|| format!("reading what {} wrote", build.binary.display()))?;
    Ok(Sample {
        throughput: throughputs(&results, estimator),
        repeats: results
            .points
            .iter()
            .map(|p| {
                let v = p.repeats.iter().map(|r| r.throughput_ops_per_sec).collect();
                (p.id(), v)
            })
            .collect(),
        stream_checksums: results
            .points
            .iter()
            .map(|p| (p.id(), p.stream_checksum.clone()))
            .collect(),
        git_revision: results.method.git_revision.clone(),
        wall_seconds,
    })
}

/// How one process's repeats of a benchmark become its throughput.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// The highest throughput of the repeats. Interference from other jobs on a shared machine
    /// only ever slows a run down, so the fastest repeat is the one least disturbed, and the
    /// most repeatable estimate of what the build can do (the reason benchmarking tools quote
    /// minimum times).
    #[default]
    Best,
    /// The median of the repeats.
    Median,
}

/// Throughput per point id, from its repeats as `estimator` says.
pub fn throughputs(results: &Results, estimator: Estimator) -> BTreeMap<String, f64> {
    results
        .points
        .iter()
        .filter_map(|p| {
            let values: Vec<f64> = p
                .repeats
                .iter()
                .map(|r| r.throughput_ops_per_sec)
                .filter(|v| v.is_finite())
                .collect();
            let value = match estimator {
                Estimator::Best => values.iter().copied().reduce(f64::max),
                Estimator::Median => crate::stats::median(&values),
            }
            .unwrap_or(p.summary.throughput.median);
            (value.is_finite() && value > 0.0).then(|| (p.id(), value))
        })
        .collect()
}

/// The harness flags that run exactly the benchmark `id` (`workload/structure/tN`): a point
/// named after a preset and a distribution (`read-heavy-uniform`) is `--workloads read-heavy
/// --distribution uniform`; any other workload name is passed to `--workloads` as it is.
pub fn benchmark_args(id: &str) -> Option<Vec<String>> {
    let (workload, structure, threads) = split_id(id)?;
    let mut args = Vec::new();
    let split = [
        ("uniform", "uniform"),
        ("zipf", "zipfian"),
        ("hotspot", "hotspot"),
        ("latest", "latest"),
        ("seq", "sequential"),
    ]
    .iter()
    .find_map(|(suffix, flag)| {
        let preset = workload.strip_suffix(suffix)?.strip_suffix('-')?;
        (!preset.is_empty()).then_some((preset, *flag))
    });
    match split {
        Some((preset, distribution)) => args.extend([
            "--workloads".to_string(),
            preset.to_string(),
            "--distribution".to_string(),
            distribution.to_string(),
        ]),
        None => args.extend(["--workloads".to_string(), workload.to_string()]),
    }
    args.extend([
        "--structures".to_string(),
        structure.to_string(),
        "--threads".to_string(),
        threads.to_string(),
    ]);
    Some(args)
}

/// Splits `workload/structure/tN` into its parts, or `None` if it is not such an id.
pub fn split_id(id: &str) -> Option<(&str, &str, usize)> {
    let mut parts = id.rsplitn(3, '/');
    let threads = parts.next()?.strip_prefix('t')?.parse().ok()?;
    let structure = parts.next()?;
    let workload = parts.next()?;
    Some((workload, structure, threads))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_split_into_workload_structure_threads() {
        assert_eq!(
            split_id("read-heavy-uniform/sharded/t2"),
            Some(("read-heavy-uniform", "sharded", 2))
        );
        assert_eq!(split_id("read-heavy/sharded/2"), None);
        assert_eq!(split_id("sharded/t2"), None);
    }

    #[test]
    fn a_benchmark_id_becomes_the_flags_that_run_only_it() {
        assert_eq!(
            benchmark_args("read-heavy-zipf/sharded/t2").unwrap(),
            [
                "--workloads",
                "read-heavy",
                "--distribution",
                "zipfian",
                "--structures",
                "sharded",
                "--threads",
                "2"
            ]
        );
        assert_eq!(
            benchmark_args("exchange-uniform/locked/t1").unwrap()[..4],
            ["--workloads", "exchange", "--distribution", "uniform"]
        );
        assert_eq!(
            benchmark_args("custom/locked/t1").unwrap()[..2],
            ["--workloads", "custom"]
        );
        assert_eq!(benchmark_args("bad"), None);
    }
}
