//! Result documents for the tests: several structures, workloads, thread counts and repeats,
//! with figures that differ from point to point so a misplaced figure shows.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cmap_report::{ReportArgs, ReportError, Written};
use cmap_results::*;

/// A tiny deterministic generator, so the figures vary but every run builds the same document.
pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn spec(name: &str, mix: Mix, distribution: Distribution) -> WorkloadSpec {
    WorkloadSpec {
        name: name.into(),
        description: format!("{name}, for the tests"),
        mix,
        key_space: 100_000,
        prefill: 0.5,
        distribution,
        key_type: KeyType::U64,
        value_size: 8,
        capacity_hint: false,
        scan_length: (1, 100),
    }
}

pub fn mix(read: u32, insert: u32, remove: u32, snapshot: u32) -> Mix {
    Mix {
        read,
        insert,
        remove,
        snapshot,
        ..Mix::default()
    }
}

fn latency(rng: &mut Rng, base: f64) -> Latency {
    let p50 = (base * (1.0 + 0.2 * rng.next())) as u64;
    Latency {
        samples: 1000,
        mean_ns: p50 as f64 * 1.3,
        p50_ns: p50,
        p90_ns: p50 * 2,
        p99_ns: p50 * 5,
        p999_ns: p50 * 20,
        p9999_ns: p50 * 90,
        max_ns: p50 * 400,
    }
}

/// The workloads every machine runs: a read-ratio family (uniform, three read shares), a zipf
/// family (uniform and two constants at the read-heavy mix), and a snapshot workload.
pub fn workloads() -> Vec<WorkloadSpec> {
    vec![
        spec(
            "read-heavy-uniform",
            mix(90, 5, 5, 0),
            Distribution::Uniform,
        ),
        spec(
            "balanced-uniform",
            mix(50, 25, 25, 0),
            Distribution::Uniform,
        ),
        spec(
            "read-only-uniform",
            mix(100, 0, 0, 0),
            Distribution::Uniform,
        ),
        spec(
            "read-heavy-zipf-0.8",
            mix(90, 5, 5, 0),
            Distribution::Zipfian {
                theta: 0.8,
                scrambled: true,
            },
        ),
        spec(
            "read-heavy-zipf-0.99",
            mix(90, 5, 5, 0),
            Distribution::Zipfian {
                theta: 0.99,
                scrambled: true,
            },
        ),
        spec(
            "snapshot-under-writes",
            mix(0, 45, 45, 10),
            Distribution::Uniform,
        ),
    ]
}

/// Structures and families; `cow` is the only one with snapshots.
pub const STRUCTURES: [(&str, Family); 5] = [
    ("locked", Family::Cmap),
    ("sharded", Family::Cmap),
    ("cow", Family::Cmap),
    ("dashmap", Family::Peer),
    ("null", Family::Null),
];

pub const THREADS: [usize; 3] = [1, 2, 4];

/// A full document for `machine`; `speed` scales every throughput.
pub fn results(machine: &str, speed: f64, seed: u64) -> Results {
    let mut rng = Rng(seed | 1);
    let mut points = Vec::new();
    let mut skipped = Vec::new();
    for w in workloads() {
        for (si, (structure, family)) in STRUCTURES.iter().enumerate() {
            if w.mix.snapshot > 0 && *structure != "cow" {
                skipped.push(Skipped {
                    workload: w.name.clone(),
                    structure: (*structure).into(),
                    reason: "needs snapshots (Snapshots)".into(),
                });
                continue;
            }
            for threads in THREADS {
                let base = speed
                    * 1e6
                    * (1.0 + si as f64)
                    * threads as f64
                    * (1.0 + f64::from(w.mix.read) / 100.0);
                let repeats: Vec<Repeat> = (0..3)
                    .map(|_| {
                        let throughput = base * (0.9 + 0.2 * rng.next());
                        let mut lat = BTreeMap::new();
                        for (op, pct) in [
                            ("get", w.mix.read),
                            ("insert", w.mix.insert),
                            ("remove", w.mix.remove),
                        ] {
                            if pct > 0 {
                                lat.insert(
                                    op.to_owned(),
                                    latency(&mut rng, 50.0 + 30.0 * si as f64),
                                );
                            }
                        }
                        if w.mix.snapshot > 0 {
                            lat.insert("snapshot".to_owned(), latency(&mut rng, 2e6));
                        }
                        let entries = 50_000 + (rng.next() * 1000.0) as u64;
                        let bytes = entries * (40 + 8 * si as u64);
                        Repeat {
                            duration_ns: 1_000_000_000,
                            total_ops: throughput as u64,
                            throughput_ops_per_sec: throughput,
                            latency: lat,
                            memory: Memory {
                                bytes_after_prefill: bytes,
                                bytes_at_end: bytes,
                                entries_at_end: entries,
                                bytes_per_entry: Some(bytes as f64 / entries as f64),
                                allocations_per_op: 0.01 * si as f64,
                                peak_rss_bytes: Some(1 << 26),
                            },
                        }
                    })
                    .collect();
                points.push(point(&w, structure, *family, threads, repeats));
            }
        }
    }
    let fc = |structure: &str, rate: f64| FrequencyCount {
        structure: structure.into(),
        elements: 10_000_000,
        distinct: 100_000,
        theta: 0.99,
        threads: 2,
        elements_per_sec: Stats::of(&[rate * 0.95, rate, rate * 1.1]).unwrap(),
    };
    Results {
        schema_version: SCHEMA_VERSION,
        method: Method {
            command_line: vec![
                "/build/target/release/cmap".into(),
                "run".into(),
                "--suite".into(),
                "full".into(),
            ],
            seed: 7,
            git_revision: Some("0123abcd".into()),
            cmap_version: "0.1.0".into(),
            rustc_version: "rustc 1.95.0".into(),
            profile: "release".into(),
            cpu_model: format!("{machine} cpu"),
            cores: 2,
            machine: machine.into(),
            os: "linux x86_64".into(),
            hasher: "foldhash".into(),
            allocator: "counting system".into(),
            date: "2026-01-01T00:00:00Z".into(),
            latency_sample_every: 16,
        },
        harness_overhead: Some(Overhead {
            ns_per_op: 2.5,
            timing_ns_per_sample: 21.0,
        }),
        points,
        skipped,
        frequency_count: vec![
            fc("sharded", 40e6 * speed),
            fc("dashmap", 35e6 * speed),
            fc("rayon-fold-reduce", 90e6 * speed),
        ],
    }
}

/// A point whose summary is derived from its repeats as the harness derives it.
pub fn point(
    w: &WorkloadSpec,
    structure: &str,
    family: Family,
    threads: usize,
    repeats: Vec<Repeat>,
) -> Point {
    let throughput = Stats::of(
        &repeats
            .iter()
            .map(|r| r.throughput_ops_per_sec)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut latency = BTreeMap::new();
    for op in repeats[0].latency.keys() {
        let med = |f: fn(&Latency) -> u64| {
            let v: Vec<f64> = repeats.iter().map(|r| f(&r.latency[op]) as f64).collect();
            Stats::of(&v).unwrap().median as u64
        };
        latency.insert(
            op.clone(),
            Latency {
                samples: repeats.iter().map(|r| r.latency[op].samples).sum(),
                mean_ns: Stats::of(
                    &repeats
                        .iter()
                        .map(|r| r.latency[op].mean_ns)
                        .collect::<Vec<_>>(),
                )
                .unwrap()
                .median,
                p50_ns: med(|l| l.p50_ns),
                p90_ns: med(|l| l.p90_ns),
                p99_ns: med(|l| l.p99_ns),
                p999_ns: med(|l| l.p999_ns),
                p9999_ns: med(|l| l.p9999_ns),
                max_ns: med(|l| l.max_ns),
            },
        );
    }
    let bpe: Vec<f64> = repeats
        .iter()
        .filter_map(|r| r.memory.bytes_per_entry)
        .collect();
    let allocs: Vec<f64> = repeats
        .iter()
        .map(|r| r.memory.allocations_per_op)
        .collect();
    Point {
        workload: w.clone(),
        structure: structure.into(),
        family,
        threads,
        writer_threads: 0,
        stream_checksum: format!("{:016x}", w.name.len() * 1000 + threads),
        ops_per_thread: 1_000_000,
        summary: Summary {
            noisy: throughput.relative_spread > 0.15,
            throughput,
            latency,
            bytes_per_entry: Stats::of(&bpe).map(|s| s.median),
            allocations_per_op: Stats::of(&allocs).unwrap().median,
            ratio_to_baseline: None,
        },
        repeats,
    }
}

/// Writes `results` as `name` in `dir`.
pub fn write(dir: &Path, name: &str, results: &Results) -> PathBuf {
    let path = dir.join(name);
    results.write(&path).unwrap();
    path
}

pub fn args(inputs: &[PathBuf], out: &Path) -> ReportArgs {
    ReportArgs {
        results: inputs.to_vec(),
        out: out.to_owned(),
        baseline: "locked".into(),
    }
}

pub fn report(inputs: &[PathBuf], out: &Path) -> Result<Written, ReportError> {
    cmap_report::generate(&args(inputs, out))
}

/// A report of one machine's full document, in a fresh temporary folder.
pub fn single() -> (tempfile::TempDir, Results, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let results = results("alpha", 1.0, 42);
    let input = write(dir.path(), "results.json", &results);
    let out = dir.path().join("report");
    report(std::slice::from_ref(&input), &out).unwrap();
    // Compare against the document as read back: JSON need not round-trip the last bit of a float.
    (dir, Results::read(&input).unwrap(), out)
}

/// Every file under `dir` with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_owned(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// The SVG files of a report, by file name.
pub fn svgs(out: &Path) -> BTreeMap<String, String> {
    fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}
