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
    /// Presets to run, comma-separated (see `cmap list`). Default: read-heavy, exchange,
    /// rapid-grow (each with uniform and zipfian keys) and ycsb-a, plus the frequency count.
    #[arg(long, value_delimiter = ',', value_name = "PRESETS")]
    pub workloads: Vec<String>,
    /// Custom workloads from a TOML file (repeatable): one workload, or several as `[[workload]]`.
    #[arg(long, value_name = "FILE")]
    pub workload_file: Vec<PathBuf>,
    /// Structures to run, comma-separated (see `cmap list`). Default: every structure and peer.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub structures: Vec<String>,
    /// Key distributions for presets, comma-separated: uniform, zipfian, hotspot, latest,
    /// sequential. Default: uniform and zipfian, or the preset's own (YCSB).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub distribution: Vec<String>,
    /// Zipfian (and latest) constant, above 0 and below 1.
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
    /// Distinct keys the operations draw from. Default: 524288 (16384 with --quick).
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
    /// Thread counts to sweep, comma-separated.
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
    /// Output folder for results.json, results.csv and summary.md.
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

        let threads = if self.threads.is_empty() {
            vec![1, 2]
        } else {
            self.threads.clone()
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

        let default_suite =
            self.workloads.is_empty() && self.workload_file.is_empty() && !self.frequency_count;
        let preset_names: Vec<String> = if default_suite {
            ["read-heavy", "exchange", "rapid-grow", "ycsb-a"]
                .map(str::to_owned)
                .to_vec()
        } else {
            self.workloads.clone()
        };
        let mut workloads = Vec::new();
        for name in &preset_names {
            let preset = workload::preset(name).ok_or_else(|| {
                InputError::new(
                    "--workloads",
                    format!(
                        "unknown preset `{name}`; allowed: {}",
                        workload::preset_names()
                    ),
                )
            })?;
            let dists = if !distributions.is_empty() {
                distributions.clone()
            } else if let Some(native) = preset.native_distribution {
                vec![native]
            } else {
                vec![Distribution::Uniform, self.distribution_named("zipfian")?]
            };
            for distribution in dists {
                let spec = WorkloadSpec {
                    name: format!(
                        "{}-{}",
                        preset.name,
                        workload::distribution_suffix(&distribution)
                    ),
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

        let frequency = (default_suite || self.frequency_count).then(|| FrequencyPlan {
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
