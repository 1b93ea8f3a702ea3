//! A stand-in for the `cmap` binary, for testing the gate: `run` writes a results document whose
//! throughputs are drawn from a known distribution instead of measured.
//!
//! Each benchmark's true throughput is fixed by its id; each process multiplies it by log-normal
//! noise, sometimes by an outlier (a descheduled run), by a drift that grows with every process
//! (a machine warming up), and, for `get`, by an injected slowdown. So a test knows the right
//! answer and can check that the gate finds it.
//!
//! Environment:
//! - `CMAP_FAKE_NOISE`: standard deviation of the log-normal noise (default 0.03).
//! - `CMAP_FAKE_OUTLIERS`: probability that a process runs at 60% speed (default 0).
//! - `CMAP_FAKE_DRIFT`: per-process fractional slowdown, compounding (default 0).
//! - `CMAP_SLOWDOWN_GET=<structure>:<percent>`: makes that structure's `get` slower by that
//!   percent, as the harness's `slowdown-knob` feature does; a benchmark slows by the share of
//!   its operations that are reads.
//! - `CMAP_FAKE_COUNTER=<file>`: a counter of processes, kept in that file, so that the n-th
//!   process draws the same noise in every test run (without it, the noise is seeded by time).
//! - `CMAP_FAKE_INTERFERENCE=<p>`: probability that a single repeat is slowed to between 40%
//!   and 90% of its speed (another job taking the core for part of the run; default 0).
//! - `CMAP_FAKE_LOG=<file>`: append each process's arguments to that file, one line each.
//! - `CMAP_FAKE_OLD=1`: a build from before `run --no-overhead` existed: `run --help` does not
//!   list it, and passing it is an error.
//! - `CMAP_FAKE_EXIT=<code>`: exit with that code without writing anything.
//! - `CMAP_FAKE_DROP=<structure>`: leave that structure out (a build that lacks it).
//! - `CMAP_FAKE_STREAMS=<text>`: mixed into every stream checksum (a build that generates
//!   different operations).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use cmap_gate::SplitMix64;
use cmap_results::{
    Distribution, Family, KeyType, Memory, Method, Mix, Point, Repeat, Results, SCHEMA_VERSION,
    Stats, Summary, WorkloadSpec,
};

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("fake harness: {msg}");
            ExitCode::from(2)
        }
    }
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn real_main() -> Result<(), String> {
    if let Ok(code) = std::env::var("CMAP_FAKE_EXIT") {
        eprintln!("fake harness: exiting with {code} as asked");
        std::process::exit(code.parse().unwrap_or(1));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["run", "--help"] {
        // What the gate asks before it starts: which optional flags this build accepts.
        if std::env::var_os("CMAP_FAKE_OLD").is_none() {
            println!("      --no-overhead  Skip the null-map overhead measurement");
        }
        return Ok(());
    }
    if let Ok(log) = std::env::var("CMAP_FAKE_LOG") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| e.to_string())?;
        writeln!(f, "{}", args.join(" ")).map_err(|e| e.to_string())?;
    }
    if args.first().map(String::as_str) != Some("run") {
        return Err(format!("expected `run`, got {args:?}"));
    }
    let mut workloads = vec![
        "read-heavy-uniform".to_string(),
        "mixed-uniform".to_string(),
        "write-heavy-uniform".to_string(),
    ];
    let mut structures = vec!["locked".to_string(), "sharded".to_string()];
    let mut threads = vec![1usize, 2];
    let mut json = None;
    let mut seed = 0u64;
    let mut repeats = 1usize;
    let mut distributions: Vec<String> = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--workloads" => workloads = value()?.split(',').map(String::from).collect(),
            // As the real harness names points: `--workloads read-heavy --distribution zipfian`
            // runs `read-heavy-zipf`.
            "--distribution" => {
                distributions = value()?
                    .split(',')
                    .map(|d| match d {
                        "zipfian" => "zipf".to_string(),
                        "sequential" => "seq".to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            }
            "--structures" => structures = value()?.split(',').map(String::from).collect(),
            "--threads" => {
                threads = value()?
                    .split(',')
                    .map(|t| t.parse().map_err(|e| format!("--threads: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--json" => json = Some(PathBuf::from(value()?)),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--repeats" => repeats = value()?.parse().map_err(|e| format!("--repeats: {e}"))?,
            "--no-overhead" if std::env::var_os("CMAP_FAKE_OLD").is_some() => {
                return Err("unexpected argument '--no-overhead'".to_string());
            }
            "--no-overhead" => {}
            "--ops" => {
                value()?;
            }
            // Flags of the real harness, ignored here, with their value if they have one.
            other if other.starts_with("--") => {
                if it.clone().next().is_some_and(|v| !v.starts_with("--")) {
                    it.next();
                }
            }
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    let json = json.ok_or("--json FILE is required")?;
    if !distributions.is_empty() {
        workloads = workloads
            .iter()
            .flat_map(|w| distributions.iter().map(move |d| format!("{w}-{d}")))
            .collect();
    }

    let process = next_process_index();
    let mut rng = SplitMix64::new(process.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xF00D);
    let noise = env_f64("CMAP_FAKE_NOISE", 0.03);
    let outliers = env_f64("CMAP_FAKE_OUTLIERS", 0.0);
    let interference = env_f64("CMAP_FAKE_INTERFERENCE", 0.0);
    let drift = (1.0 - env_f64("CMAP_FAKE_DRIFT", 0.0)).powf(process as f64);
    // A descheduled process is slow for all of its benchmarks.
    let process_factor = if rng.next_f64() < outliers { 0.6 } else { 1.0 } * drift;
    let slowdown = std::env::var("CMAP_SLOWDOWN_GET").ok().and_then(|v| {
        let (s, p) = v.split_once(':')?;
        Some((s.to_string(), p.parse::<f64>().ok()? / 100.0))
    });
    let dropped = std::env::var("CMAP_FAKE_DROP").unwrap_or_default();

    let mut points = Vec::new();
    for w in &workloads {
        let read = read_percent(w);
        for s in structures.iter().filter(|s| **s != dropped) {
            for &t in &threads {
                let mut truth = true_throughput(w, s, t);
                if let Some((slow, pct)) = &slowdown
                    && slow == s
                {
                    // Reads take (1 + pct) as long; other operations are unchanged.
                    let r = f64::from(read) / 100.0;
                    truth /= r * (1.0 + pct) + (1.0 - r);
                }
                let values: Vec<f64> = (0..repeats.max(1))
                    .map(|_| {
                        let hit = rng.next_f64() < interference;
                        let slowed = if hit { 0.4 + 0.5 * rng.next_f64() } else { 1.0 };
                        truth * process_factor * slowed * (noise * rng.normal()).exp()
                    })
                    .collect();
                points.push(point(w, read, s, t, &values));
            }
        }
    }
    let results = Results {
        schema_version: SCHEMA_VERSION,
        method: Method {
            command_line: std::env::args().collect(),
            seed,
            git_revision: std::env::var("CMAP_FAKE_REVISION").ok(),
            cmap_version: env!("CARGO_PKG_VERSION").into(),
            rustc_version: "fake".into(),
            profile: "release".into(),
            cpu_model: "fake".into(),
            cores: 2,
            machine: "fake".into(),
            os: std::env::consts::OS.into(),
            hasher: "foldhash".into(),
            allocator: "system".into(),
            date: "1970-01-01T00:00:00Z".into(),
            latency_sample_every: 0,
        },
        harness_overhead: None,
        points,
        skipped: Vec::new(),
        frequency_count: Vec::new(),
    };
    results
        .write(&json)
        .map_err(|e| format!("writing {}: {e}", json.display()))
}

/// The n-th process in this test, from a counter file, or a time-based number.
fn next_process_index() -> u64 {
    let Some(path) = std::env::var_os("CMAP_FAKE_COUNTER") else {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    };
    // The gate runs one process at a time, so read-increment-write needs no lock.
    let n: u64 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let _ = std::fs::write(&path, (n + 1).to_string());
    n
}

fn read_percent(workload: &str) -> u32 {
    if workload.starts_with("read-only") {
        100
    } else if workload.starts_with("read-heavy") {
        90
    } else if workload.starts_with("write-heavy") {
        10
    } else {
        50
    }
}

/// A throughput fixed by the id, between 5 and 50 M ops/s.
fn true_throughput(workload: &str, structure: &str, threads: usize) -> f64 {
    let id = format!("{workload}/{structure}/t{threads}");
    let h = id.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    5e6 + (h % 45_000) as f64 * 1e3
}

fn point(workload: &str, read: u32, structure: &str, threads: usize, values: &[f64]) -> Point {
    let ops_per_thread = 100_000u64;
    let repeats = values
        .iter()
        .map(|&tp| {
            let total_ops = ops_per_thread * threads as u64;
            Repeat {
                duration_ns: (total_ops as f64 / tp * 1e9) as u64,
                total_ops,
                throughput_ops_per_sec: tp,
                latency: BTreeMap::new(),
                memory: Memory {
                    bytes_after_prefill: 0,
                    bytes_at_end: 0,
                    entries_at_end: 0,
                    bytes_per_entry: None,
                    allocations_per_op: 0.0,
                    peak_rss_bytes: None,
                },
            }
        })
        .collect();
    let stats = Stats::of(values).expect("finite throughputs");
    Point {
        workload: WorkloadSpec {
            name: workload.into(),
            description: String::new(),
            mix: Mix {
                read,
                insert: 100 - read,
                ..Mix::default()
            },
            key_space: 1 << 16,
            prefill: 0.5,
            distribution: Distribution::Uniform,
            key_type: KeyType::U64,
            value_size: 8,
            capacity_hint: false,
            scan_length: (1, 100),
        },
        structure: structure.into(),
        family: Family::Cmap,
        threads,
        writer_threads: 0,
        stream_checksum: format!(
            "{workload}-{threads}-{}",
            std::env::var("CMAP_FAKE_STREAMS").unwrap_or_default()
        ),
        ops_per_thread,
        repeats,
        summary: Summary {
            noisy: stats.relative_spread > 0.5,
            throughput: stats,
            latency: BTreeMap::new(),
            bytes_per_entry: None,
            allocations_per_op: 0.0,
            ratio_to_baseline: None,
        },
    }
}
