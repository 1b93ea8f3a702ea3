//! `cmap run` arguments, and their resolution into a checked [`Plan`].
//!
//! Everything a user can get wrong is checked here, before any work starts or any file is
//! touched; each error names the flag or field at fault and what it accepts.

use std::path::PathBuf;
use std::time::Duration;

use cmap_results::{Distribution, KeyType, WorkloadSpec};

use crate::registry::{self, StructureInfo};
use crate::runner::Limit;
use crate::workload::{self, InputError};

/// Arguments of `cmap run`. With none, it runs the default suite.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// The suite: `default` (read-heavy, exchange, rapid-grow with uniform and zipfian keys, and
    /// ycsb-a, at 1 and 2 threads, plus the frequency count; about 4 minutes on 2 cores) or
    /// `full` (data for every chart of `cmap report`: threads 1, 2, 4; read-heavy, read-95,
    /// read-80, read-60 and exchange on uniform keys; read-heavy at zipfian 0.5, 0.7, 0.9, 0.99;
    /// snapshot-churn on 16384 keys; rapid-grow; ycsb-a; the frequency count; about 11 minutes
    /// on 2 cores). Any other flag overrides what the suite sets; --workloads, --workload-file
    /// or --frequency-count replace its workloads. --dry-run shows the plan and the estimate.
    #[arg(long, value_enum, default_value_t = Suite::Default)]
    pub suite: Suite,
    /// Print the resolved plan and its time estimate, then exit without running or writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Presets to run, comma-separated (see `cmap list`). Default: the suite's.
    #[arg(long, value_delimiter = ',', value_name = "PRESETS")]
    pub workloads: Vec<String>,
    /// Custom workloads from a TOML file (repeatable): one workload, or several as `[[workload]]`.
    #[arg(long, value_name = "FILE")]
    pub workload_file: Vec<PathBuf>,
    /// Structures to run, comma-separated (see `cmap list`). Default: every structure and peer.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub structures: Vec<String>,
    /// Key distributions for presets, comma-separated: uniform, zipfian, hotspot, latest,
    /// sequential. Default: uniform and zipfian, or the preset's own (YCSB); in the full suite,
    /// uniform (its zipfian sweep keeps its own constants).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub distribution: Vec<String>,
    /// Zipfian (and latest) constant, above 0 and below 1. The full suite's zipfian sweep sets
    /// its own constants.
    #[arg(long, default_value_t = 0.99)]
    pub theta: f64,
    /// Keep zipfian ranks in key order instead of scrambling them over the key space (YCSB
    /// scrambles).
    #[arg(long)]
    pub unscrambled: bool,
    /// Hotspot: the fraction of keys that are hot.
    #[arg(long, default_value_t = 0.2)]
    pub hot_keys: f64,
    /// Hotspot: the fraction of operations sent to the hot keys.
    #[arg(long, default_value_t = 0.8)]
    pub hot_ops: f64,
    /// Distinct keys the operations draw from. Default: 524288 (16384 with --quick; the full
    /// suite's snapshot-churn uses 16384).
    #[arg(long, value_name = "N")]
    pub keys: Option<u64>,
    /// Fraction of the key space inserted before timing, overriding the presets' own.
    #[arg(long, value_name = "FRACTION")]
    pub prefill: Option<f64>,
    /// Key type: u64 or string.
    #[arg(long, default_value = "u64", value_name = "TYPE")]
    pub key_type: String,
    /// Bytes per string key (with --key-type string).
    #[arg(long, default_value_t = 16, value_name = "BYTES")]
    pub key_len: usize,
    /// Bytes per value: 8, 16, 64 or 256.
    #[arg(long, default_value_t = 8, value_name = "BYTES")]
    pub value_size: usize,
    /// Presize maps to the key space: on, off, or preset (every preset presizes except
    /// rapid-grow, which measures growth).
    #[arg(long, default_value = "preset", value_name = "on|off|preset")]
    pub capacity_hint: String,
    /// Thread counts to sweep, comma-separated. Default: 1,2 (1,2,4 with --suite full).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub threads: Vec<usize>,
    /// Of those threads, this many only write (the write part of the mix) while the others only
    /// read.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub writers: usize,
    /// Operations per thread per repeat. Default: 500000 (20000 with --quick).
    #[arg(long, value_name = "N")]
    pub ops: Option<u64>,
    /// Run each repeat for this many seconds, cycling through the streams, instead of once
    /// through them.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Stop a repeat that runs longer than this (seconds), recording how far it got.
    /// Default: 1 (0.25 with --quick).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    /// Seed of the operation streams.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Timed runs per point. Default: 3 (2 with --quick).
    #[arg(long, value_name = "N")]
    pub repeats: Option<usize>,
    /// Output folder for results.json, results.csv and run-summary.md.
    #[arg(long, default_value = "reports/latest", value_name = "DIR")]
    pub out: PathBuf,
    /// Also write the results JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Time one operation in this many for the latency histograms.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub latency_sample: u32,
    /// A smoke run in well under a minute: small key space, few operations, two repeats.
    #[arg(long)]
    pub quick: bool,
    /// A name for this machine in the results (default: the hostname).
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// Run the frequency-count comparison (alone, unless workloads are also given).
    #[arg(long)]
    pub frequency_count: bool,
    /// Elements counted by the frequency count. Default: 2000000 (200000 with --quick).
    #[arg(long, value_name = "N")]
    pub count_elements: Option<u64>,
    /// Relative spread over repeats ((max - min) / median) above which a point is flagged noisy.
    #[arg(long, default_value_t = 0.25, value_name = "FRACTION")]
    pub noise_threshold: f64,
    /// Skip the null-map measurement of the harness's own cost per operation (about a second).
    /// The regression gate passes it: its processes compare two builds and report no overhead.
    #[arg(long)]
    pub no_overhead: bool,
}

/// The suites `cmap run` runs when no workload is named (see the crate docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// The default suite: the three conc-map-bench presets and ycsb-a at 1 and 2 threads.
    #[default]
    Default,
    /// Data for every chart of `cmap report`.
    Full,
}

/// What a run will do, fully resolved and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The workloads, in order.
    pub workloads: Vec<WorkloadSpec>,
    /// The structures, in order.
    pub structures: Vec<StructureInfo>,
    /// Thread counts.
    pub threads: Vec<usize>,
    /// Dedicated writer threads within each thread count.
    pub writers: usize,
    /// Operations per thread per repeat (the stream length).
    pub ops_per_thread: u64,
    /// How long a repeat runs.
    pub limit: Limit,
    /// The stream seed.
    pub seed: u64,
    /// Repeats per point.
    pub repeats: usize,
    /// One operation in this many is timed.
    pub sample_every: u32,
    /// The output folder.
    pub out: PathBuf,
    /// An extra JSON output.
    pub json: Option<PathBuf>,
    /// The machine name, if given.
    pub machine: Option<String>,
    /// The frequency count, if run.
    pub frequency: Option<FrequencyPlan>,
    /// The noisy-point threshold.
    pub noise_threshold: f64,
    /// Whether to measure the harness's own overhead with the null map.
    pub measure_overhead: bool,
}

/// The frequency count's parameters.
#[derive(Debug, Clone, Copy)]
pub struct FrequencyPlan {
    /// Elements counted.
    pub elements: u64,
    /// The key space the elements are drawn from.
    pub key_space: u64,
    /// The zipfian constant.
    pub theta: f64,
}

/// The default suite's presets, each with uniform and zipfian keys (YCSB with its own).
pub const DEFAULT_SUITE: [&str; 4] = ["read-heavy", "exchange", "rapid-grow", "ycsb-a"];

/// The zipfian constants the full suite sweeps read-heavy over (uniform being 0).
pub const FULL_SUITE_THETAS: [f64; 4] = [0.5, 0.7, 0.9, 0.99];

/// The full suite's key space for snapshot-churn (each snapshot walks the whole map).
pub const FULL_SUITE_SNAPSHOT_KEYS: u64 = 1 << 14;

impl Plan {
    /// The plan in words, one workload per line: what `--dry-run` prints.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "workloads ({}):", self.workloads.len());
        for w in &self.workloads {
            let m = w.mix;
            let mut mix = Vec::new();
            for (label, v) in [
                ("read", m.read),
                ("insert", m.insert),
                ("remove", m.remove),
                ("update", m.update),
                ("upsert", m.upsert),
                ("scan", m.scan),
                ("snapshot", m.snapshot),
            ] {
                if v > 0 {
                    mix.push(format!("{label} {v}"));
                }
            }
            let distribution = match w.distribution {
                Distribution::Uniform => "uniform".to_owned(),
                Distribution::Zipfian { theta, scrambled } => format!(
                    "zipfian theta {theta}{}",
                    if scrambled { " scrambled" } else { "" }
                ),
                Distribution::Hotspot { hot_keys, hot_ops } => {
                    format!("hotspot {hot_ops} of ops on {hot_keys} of keys")
                }
                Distribution::Latest { theta } => format!("latest theta {theta}"),
                Distribution::Sequential => "sequential".to_owned(),
            };
            let _ = writeln!(
                s,
                "  {:<22} mix {}; {} keys, {:.0}% prefilled, {}; {}",
                w.name,
                mix.join("/"),
                w.key_space,
                w.prefill * 100.0,
                if w.capacity_hint {
                    "presized"
                } else {
                    "not presized"
                },
                distribution
            );
        }
        let names: Vec<&str> = self.structures.iter().map(|s| s.name).collect();
        let _ = writeln!(s, "structures ({}): {}", names.len(), names.join(", "));
        let _ = writeln!(s, "threads: {:?}", self.threads);
        let limit = match self.limit {
            Limit::Ops { time_limit } => format!(
                "{} operations per thread, stopped at {} s",
                self.ops_per_thread,
                time_limit.as_secs_f64()
            ),
            Limit::Duration(d) => format!("{} s per repeat", d.as_secs_f64()),
        };
        let _ = writeln!(s, "each repeat: {limit}; {} repeats", self.repeats);
        match self.frequency {
            Some(f) => {
                let _ = writeln!(
                    s,
                    "frequency count: {} elements over {} keys, zipfian theta {}",
                    f.elements, f.key_space, f.theta
                );
            }
            None => s.push_str("frequency count: not run\n"),
        }
        let _ = writeln!(s, "output: {}", self.out.display());
        s
    }
}

const DISTRIBUTIONS: &str = "uniform, zipfian, hotspot, latest, sequential";

fn seconds(field: &str, value: f64) -> Result<Duration, InputError> {
    if !(value.is_finite() && value > 0.0 && value <= 86_400.0) {
        return Err(InputError::new(
            field,
            format!("{value}; a positive number of seconds up to 86400 is allowed"),
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

impl RunArgs {
    /// Resolves the arguments into a plan, or names the first one that is wrong.
    pub fn plan(&self) -> Result<Plan, InputError> {
        let quick = self.quick;
        let full = self.suite == Suite::Full;
        let key_space = self.keys.unwrap_or(if quick { 1 << 14 } else { 1 << 19 });
        if key_space == 0 {
            return Err(InputError::new(
                "--keys",
                "0 keys; the key space must hold at least 1 key",
            ));
        }
        let ops_per_thread = self.ops.unwrap_or(if quick { 20_000 } else { 500_000 });
        if ops_per_thread == 0 {
            return Err(InputError::new(
                "--ops",
                "0; at least 1 operation per thread",
            ));
        }
        let repeats = self.repeats.unwrap_or(if quick { 2 } else { 3 });
        if repeats == 0 {
            return Err(InputError::new("--repeats", "0; at least 1 repeat"));
        }
        if self.latency_sample == 0 {
            return Err(InputError::new(
                "--latency-sample",
                "0; time one operation in N, with N at least 1",
            ));
        }
        if !(self.noise_threshold.is_finite() && self.noise_threshold > 0.0) {
            return Err(InputError::new(
                "--noise-threshold",
                format!("{}; a positive fraction is allowed", self.noise_threshold),
            ));
        }
        let time_limit = seconds(
            "--time-limit",
            self.time_limit.unwrap_or(if quick { 0.25 } else { 1.0 }),
        )?;
        let limit = match self.duration {
            Some(d) => Limit::Duration(seconds("--duration", d)?),
            None => Limit::Ops { time_limit },
        };

        let threads = if !self.threads.is_empty() {
            self.threads.clone()
        } else if full {
            vec![1, 2, 4]
        } else {
            vec![1, 2]
        };
        if let Some(&bad) = threads.iter().find(|&&t| t == 0 || t > 1024) {
            return Err(InputError::new(
                "--threads",
                format!("{bad}; thread counts from 1 to 1024 are allowed"),
            ));
        }

        let key_type = match self.key_type.as_str() {
            "u64" => KeyType::U64,
            "string" => KeyType::String { len: self.key_len },
            other => {
                return Err(InputError::new(
                    "--key-type",
                    format!("unknown key type `{other}`; allowed: u64, string"),
                ));
            }
        };
        let capacity_override = match self.capacity_hint.as_str() {
            "on" => Some(true),
            "off" => Some(false),
            "preset" => None,
            other => {
                return Err(InputError::new(
                    "--capacity-hint",
                    format!("`{other}`; allowed: on, off, preset"),
                ));
            }
        };
        if let Some(p) = self.prefill
            && !(0.0..=1.0).contains(&p)
        {
            return Err(InputError::new(
                "--prefill",
                format!("{p}; a fraction from 0.0 to 1.0 is allowed"),
            ));
        }
        let distributions: Vec<Distribution> = self
            .distribution
            .iter()
            .map(|name| self.distribution_named(name))
            .collect::<Result<_, _>>()?;

        let suite_workloads =
            self.workloads.is_empty() && self.workload_file.is_empty() && !self.frequency_count;
        // Each entry: a preset, its distribution, the workload's name, and its own key space.
        let mut entries: Vec<(&'static workload::Preset, Distribution, String, u64)> = Vec::new();
        let named = |name: &str| {
            workload::preset(name).ok_or_else(|| {
                InputError::new(
                    "--workloads",
                    format!(
                        "unknown preset `{name}`; allowed: {}",
                        workload::preset_names()
                    ),
                )
            })
        };
        // A preset with the given distributions, or its own, or uniform and zipfian.
        let with_distributions = |preset: &'static workload::Preset,
                                  default: &[Distribution],
                                  keys: u64,
                                  entries: &mut Vec<_>|
         -> Result<(), InputError> {
            let dists = if !distributions.is_empty() {
                distributions.clone()
            } else if let Some(native) = preset.native_distribution {
                vec![native]
            } else {
                default.to_vec()
            };
            for d in dists {
                let name = format!("{}-{}", preset.name, workload::distribution_suffix(&d));
                entries.push((preset, d, name, keys));
            }
            Ok(())
        };
        let uniform_and_zipf = [Distribution::Uniform, self.distribution_named("zipfian")?];
        if suite_workloads && full {
            // Throughput vs read ratio: the same load but for the mix.
            for name in ["read-heavy", "read-95", "read-80", "read-60", "exchange"] {
                with_distributions(
                    named(name)?,
                    &[Distribution::Uniform],
                    key_space,
                    &mut entries,
                )?;
            }
            // Throughput vs zipfian constant: read-heavy-uniform above is theta 0.
            let preset = named("read-heavy")?;
            for theta in FULL_SUITE_THETAS {
                let d = Distribution::Zipfian {
                    theta,
                    scrambled: !self.unscrambled,
                };
                entries.push((preset, d, format!("read-heavy-zipf-{theta}"), key_space));
            }
            // Snapshot iteration under writes, on a key space small enough to walk often.
            with_distributions(
                named("snapshot-churn")?,
                &[Distribution::Uniform],
                self.keys.unwrap_or(key_space.min(FULL_SUITE_SNAPSHOT_KEYS)),
                &mut entries,
            )?;
            with_distributions(
                named("rapid-grow")?,
                &[Distribution::Uniform],
                key_space,
                &mut entries,
            )?;
            with_distributions(named("ycsb-a")?, &uniform_and_zipf, key_space, &mut entries)?;
        } else {
            let names: Vec<String> = if suite_workloads {
                DEFAULT_SUITE.map(str::to_owned).to_vec()
            } else {
                self.workloads.clone()
            };
            for name in &names {
                with_distributions(named(name)?, &uniform_and_zipf, key_space, &mut entries)?;
            }
        }
        let mut workloads = Vec::new();
        for (preset, distribution, name, key_space) in entries {
            let spec = WorkloadSpec {
                name,
                description: preset.description.to_owned(),
                mix: preset.mix,
                key_space,
                prefill: self.prefill.unwrap_or(preset.prefill),
                distribution,
                key_type,
                value_size: self.value_size,
                capacity_hint: capacity_override.unwrap_or(preset.capacity_hint),
                scan_length: (1, 100),
            };
            workload::validate(&spec, "")?;
            workloads.push(spec);
        }
        for file in &self.workload_file {
            workloads.extend(workload::load_toml(file)?);
        }
        for (i, w) in workloads.iter().enumerate() {
            if workloads[..i].iter().any(|o| o.name == w.name) {
                return Err(InputError::new(
                    "--workloads",
                    format!("workload `{}` appears twice; names must be unique", w.name),
                ));
            }
        }

        if self.writers > 0 {
            if let Some(&t) = threads.iter().find(|&&t| t <= self.writers) {
                return Err(InputError::new(
                    "--writers",
                    format!(
                        "{} writer threads with --threads {t}: there must be fewer writers than \
                         threads at every thread count, so someone reads",
                        self.writers
                    ),
                ));
            }
            for w in &workloads {
                let m = w.mix;
                if m.insert + m.remove + m.update + m.upsert == 0
                    || m.read + m.scan + m.snapshot == 0
                {
                    return Err(InputError::new(
                        "--writers",
                        format!(
                            "workload `{}` needs both reads and writes in its mix to split \
                             threads into readers and writers",
                            w.name
                        ),
                    ));
                }
            }
        }

        let structures = if self.structures.is_empty() {
            registry::all()
        } else {
            let mut chosen: Vec<StructureInfo> = Vec::new();
            for name in &self.structures {
                let s = registry::find(name).ok_or_else(|| {
                    let mut allowed: Vec<&str> = registry::all().iter().map(|s| s.name).collect();
                    allowed.push("null");
                    InputError::new(
                        "--structures",
                        format!(
                            "unknown structure `{name}`; allowed: {}",
                            allowed.join(", ")
                        ),
                    )
                })?;
                if !chosen.iter().any(|c| c.name == s.name) {
                    chosen.push(s);
                }
            }
            chosen
        };

        let frequency = (suite_workloads || self.frequency_count).then(|| FrequencyPlan {
            elements: self
                .count_elements
                .unwrap_or(if quick { 200_000 } else { 2_000_000 }),
            key_space,
            theta: self.theta,
        });
        if let Some(f) = frequency {
            if f.elements == 0 {
                return Err(InputError::new(
                    "--count-elements",
                    "0; count at least 1 element",
                ));
            }
            if !(f.theta > 0.0 && f.theta < 1.0) {
                return Err(InputError::new(
                    "--theta",
                    format!(
                        "{}; the zipfian constant must be above 0 and below 1",
                        f.theta
                    ),
                ));
            }
        }
        if let Some(json) = &self.json
            && json.is_dir()
        {
            return Err(InputError::new(
                "--json",
                format!("{} is a directory; give a file path", json.display()),
            ));
        }
        if self.out.exists() && !self.out.is_dir() {
            return Err(InputError::new(
                "--out",
                format!("{} exists and is not a directory", self.out.display()),
            ));
        }

        Ok(Plan {
            workloads,
            structures,
            threads,
            writers: self.writers,
            ops_per_thread,
            limit,
            seed: self.seed,
            repeats,
            sample_every: self.latency_sample,
            out: self.out.clone(),
            json: self.json.clone(),
            machine: self.machine.clone(),
            frequency,
            noise_threshold: self.noise_threshold,
            measure_overhead: !self.no_overhead,
        })
    }

    fn distribution_named(&self, name: &str) -> Result<Distribution, InputError> {
        Ok(match name {
            "uniform" => Distribution::Uniform,
            "zipfian" | "zipf" => Distribution::Zipfian {
                theta: self.theta,
                scrambled: !self.unscrambled,
            },
            "hotspot" => Distribution::Hotspot {
                hot_keys: self.hot_keys,
                hot_ops: self.hot_ops,
            },
            "latest" => Distribution::Latest { theta: self.theta },
            "sequential" | "seq" => Distribution::Sequential,
            other => {
                return Err(InputError::new(
                    "--distribution",
                    format!("unknown distribution `{other}`; allowed: {DISTRIBUTIONS}"),
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        run: RunArgs,
    }

    fn plan(args: &[&str]) -> Plan {
        let args = std::iter::once("run").chain(args.iter().copied());
        Cmd::try_parse_from(args).unwrap().run.plan().unwrap()
    }

    fn zipf_theta(w: &WorkloadSpec) -> Option<f64> {
        match w.distribution {
            Distribution::Zipfian { theta, scrambled } => {
                assert!(scrambled, "{}", w.name);
                Some(theta)
            }
            _ => None,
        }
    }

    #[test]
    fn full_suite_resolves_to_every_chart_s_workloads() {
        let p = plan(&["--suite", "full"]);
        let names: Vec<&str> = p.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "read-heavy-uniform",
                "read-95-uniform",
                "read-80-uniform",
                "read-60-uniform",
                "exchange-uniform",
                "read-heavy-zipf-0.5",
                "read-heavy-zipf-0.7",
                "read-heavy-zipf-0.9",
                "read-heavy-zipf-0.99",
                "snapshot-churn-uniform",
                "rapid-grow-uniform",
                "ycsb-a-zipf",
            ]
        );
        assert_eq!(p.threads, [1, 2, 4]);
        assert_eq!(p.structures.len(), registry::all().len());
        assert!(p.frequency.is_some());
        let by = |name: &str| p.workloads.iter().find(|w| w.name == name).unwrap();

        // The read-ratio family: identical but for the mix.
        let base = by("read-heavy-uniform");
        let mut reads = Vec::new();
        for name in [
            "read-heavy-uniform",
            "read-95-uniform",
            "read-80-uniform",
            "read-60-uniform",
            "exchange-uniform",
        ] {
            let w = by(name);
            reads.push(w.mix.read);
            let same = WorkloadSpec {
                name: base.name.clone(),
                description: base.description.clone(),
                mix: base.mix,
                ..w.clone()
            };
            assert_eq!(&same, base, "{name} differs from read-heavy beyond its mix");
        }
        assert_eq!(reads, [98, 95, 80, 60, 10]);

        // The zipf family: read-heavy, identical but for the constant (uniform being 0).
        let mut thetas = Vec::new();
        for w in &p.workloads {
            if w.name.starts_with("read-heavy-zipf-") {
                thetas.push(zipf_theta(w).unwrap());
                let same = WorkloadSpec {
                    name: base.name.clone(),
                    distribution: Distribution::Uniform,
                    ..w.clone()
                };
                assert_eq!(&same, base, "{} differs beyond its constant", w.name);
            }
        }
        assert_eq!(thetas, [0.5, 0.7, 0.9, 0.99]);
        // ...set per workload, not by --theta.
        let other = plan(&["--suite", "full", "--theta", "0.6"]);
        assert_eq!(
            other
                .workloads
                .iter()
                .filter_map(zipf_theta)
                .collect::<Vec<_>>(),
            [0.5, 0.7, 0.9, 0.99, 0.99]
        );

        let snap = by("snapshot-churn-uniform");
        assert_eq!(
            (
                snap.mix.snapshot,
                snap.mix.insert,
                snap.mix.remove,
                snap.mix.read
            ),
            (5, 45, 45, 5)
        );
        assert!((1 << 14..=1 << 16).contains(&snap.key_space));
        let grow = by("rapid-grow-uniform");
        assert!(!grow.capacity_hint && grow.prefill == 0.0);
        assert_eq!(zipf_theta(by("ycsb-a-zipf")), Some(0.99));
    }

    #[test]
    fn flags_override_the_full_suite_and_the_default_suite_is_unchanged() {
        let p = plan(&[
            "--suite",
            "full",
            "--threads",
            "1,2",
            "--keys",
            "1000",
            "--quick",
        ]);
        assert_eq!(p.threads, [1, 2]);
        assert!(p.workloads.iter().all(|w| w.key_space == 1000));
        assert_eq!(p.repeats, 2);
        let p = plan(&["--suite", "full", "--workloads", "read-80"]);
        assert_eq!(
            p.workloads
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>(),
            ["read-80-uniform", "read-80-zipf"]
        );
        assert!(p.frequency.is_none());

        let d = plan(&[]);
        assert_eq!(
            d.workloads
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>(),
            [
                "read-heavy-uniform",
                "read-heavy-zipf",
                "exchange-uniform",
                "exchange-zipf",
                "rapid-grow-uniform",
                "rapid-grow-zipf",
                "ycsb-a-zipf",
            ]
        );
        assert_eq!(d.threads, [1, 2]);
        assert_eq!((d.ops_per_thread, d.repeats), (500_000, 3));
        assert!(d.workloads.iter().all(|w| w.key_space == 1 << 19));
        assert!(d.frequency.is_some());
    }
}
