//! The result schema of cmap: what a run measured, and how.
//!
//! `cmap run` writes one [`Results`] document as JSON; `cmap report` turns one or more of them into
//! tables and charts; `cmap gate` compares two builds through them. This crate holds only the
//! serde types and the file handling they share, so none of those tools depends on another.
//!
//! # Versioning
//!
//! [`SCHEMA_VERSION`] is written into every document. Adding an optional field keeps the version;
//! renaming, removing or changing the meaning of a field bumps it. [`Results::read`] refuses a
//! document of another version with an error that names both versions, instead of misreading it.
//!
//! # Method travels with the numbers
//!
//! Every document carries its [`Method`]: command line, seed, git revision, rustc, CPU, cores,
//! hasher, allocator, date. Every [`Point`] carries its fully resolved [`WorkloadSpec`] and the
//! checksum of the operation streams it ran, so anyone can check that two structures received
//! identical loads. Every repeat is kept; [`Summary`] is derived from them.
//!
//! # Files
//!
//! [`write_atomic`] writes to a temporary file beside the target and renames it into place, so a
//! result or report file is never left half-written, whatever happens to the process.
#![warn(missing_docs)]

mod files;
mod stats;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use files::{ReadError, write_atomic};
pub use stats::Stats;

/// The version of the schema this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// One `cmap run`: every measured point, what was skipped and why, and the method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Always [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// How the figures were measured.
    pub method: Method,
    /// What the harness itself costs per operation, measured on a map that does nothing.
    pub harness_overhead: Option<Overhead>,
    /// One entry per (workload, structure, thread count).
    pub points: Vec<Point>,
    /// Structure and workload pairs that were not run, with the reason (a missing capability).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// The frequency-count comparison, when it was run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frequency_count: Vec<FrequencyCount>,
}

impl Results {
    /// Reads and checks a results document.
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        files::read_json(path)
    }

    /// Writes the document as pretty JSON, atomically (see [`write_atomic`]).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(path, &json)
    }

    /// The point with this id, if any.
    pub fn point(&self, id: &str) -> Option<&Point> {
        self.points.iter().find(|p| p.id() == id)
    }
}

/// How a run was measured: enough to reproduce it and to judge whether two runs compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// The command line, program name first.
    pub command_line: Vec<String>,
    /// The seed the operation streams were generated from.
    pub seed: u64,
    /// `git rev-parse HEAD` of the build, if known, with `-dirty` appended for uncommitted changes.
    pub git_revision: Option<String>,
    /// The version of cmap that ran.
    pub cmap_version: String,
    /// `rustc --version` of the compiler that built the harness.
    pub rustc_version: String,
    /// The build profile (`release` for figures anyone should quote).
    pub profile: String,
    /// The CPU model, as the OS names it.
    pub cpu_model: String,
    /// Logical cores available to the process.
    pub cores: usize,
    /// A name for the machine (hostname unless the user gave one), so reports can merge machines.
    pub machine: String,
    /// Operating system and architecture.
    pub os: String,
    /// The hasher every hash map was built with.
    pub hasher: String,
    /// The global allocator.
    pub allocator: String,
    /// When the run started, RFC 3339 in UTC.
    pub date: String,
    /// One operation in this many is timed for the latency histograms.
    pub latency_sample_every: u32,
}

/// What the harness costs per operation, measured by running the same streams on a map that does
/// nothing. Figures for fast maps include it; it is reported so readers can judge how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Nanoseconds per operation for the dispatch loop alone (median over repeats).
    pub ns_per_op: f64,
    /// Nanoseconds added to a timed operation by reading the clock twice and recording.
    pub timing_ns_per_sample: f64,
}

/// A pair that was not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The workload's name.
    pub workload: String,
    /// The structure's name.
    pub structure: String,
    /// Why, e.g. "needs range scans (Ordered); hash maps have no key order".
    pub reason: String,
}

/// One measured configuration: a structure under a workload at a thread count, every repeat kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The workload, fully resolved (no defaults left implicit).
    pub workload: WorkloadSpec,
    /// The structure's name, as `cmap list` prints it.
    pub structure: String,
    /// Ours, a peer from another crate, or the null map.
    pub family: Family,
    /// Threads running operations (readers and writers together).
    pub threads: usize,
    /// Of those, threads that only write (0 when every thread runs the mix).
    pub writer_threads: usize,
    /// FNV-1a 64 of every thread's operation stream, in hex: equal across structures for the
    /// same workload, thread count and seed.
    pub stream_checksum: String,
    /// Operations each thread runs per repeat.
    pub ops_per_thread: u64,
    /// Every repeat, in the order run.
    pub repeats: Vec<Repeat>,
    /// Medians and spread over the repeats.
    pub summary: Summary,
}

impl Point {
    /// `workload/structure/threads`, e.g. `read-heavy-uniform/sharded/t2`: the name reports and the
    /// regression gate use for this point.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/t{}",
            self.workload.name, self.structure, self.threads
        )
    }
}

/// Where a structure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// One of cmap's own structures.
    Cmap,
    /// A map from another crate, measured through an adapter that does what its users would do.
    Peer,
    /// The map that does nothing, which measures the harness.
    Null,
}

/// One timed run of a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    /// Wall time of the timed phase, from the moment all threads are released to the moment the
    /// last one finishes.
    pub duration_ns: u64,
    /// Operations completed by all threads.
    pub total_ops: u64,
    /// `total_ops / duration`.
    pub throughput_ops_per_sec: f64,
    /// Latency per operation kind (`get`, `insert`, `remove`, `update`, `upsert`, `scan`,
    /// `snapshot`), from per-thread histograms merged after the run.
    pub latency: BTreeMap<String, Latency>,
    /// Memory figures of this repeat.
    pub memory: Memory,
}

/// Latency percentiles of one operation kind, in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// How many operations were timed (sampled, see [`Method::latency_sample_every`]).
    pub samples: u64,
    /// Mean.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// 99.99th percentile.
    pub p9999_ns: u64,
    /// The slowest timed operation.
    pub max_ns: u64,
}

/// Memory figures, from a counting global allocator and the OS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Heap bytes held by the map after prefill (the operation streams excluded).
    pub bytes_after_prefill: u64,
    /// Heap bytes held by the map at the end of the timed phase.
    pub bytes_at_end: u64,
    /// Entries in the map at the end.
    pub entries_at_end: u64,
    /// `bytes_at_end / entries_at_end` (0 entries: not a number, written as null).
    pub bytes_per_entry: Option<f64>,
    /// Heap allocations during the timed phase, per operation.
    pub allocations_per_op: f64,
    /// Peak resident set size of the process so far, in bytes, if the OS tells.
    pub peak_rss_bytes: Option<u64>,
}

/// Medians and spread over a point's repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Throughput over repeats, operations per second.
    pub throughput: Stats,
    /// Median over repeats of each latency percentile, per operation kind.
    pub latency: BTreeMap<String, Latency>,
    /// Median bytes per entry at the end.
    pub bytes_per_entry: Option<f64>,
    /// Median allocations per operation.
    pub allocations_per_op: f64,
    /// Median throughput divided by the baseline structure's at the same workload and threads.
    pub ratio_to_baseline: Option<f64>,
    /// Set when the spread over repeats is too wide to conclude anything from small differences.
    pub noisy: bool,
}

/// A workload, fully resolved: what `cmap run` generated the operation streams from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// A short name, unique within a run (e.g. `read-heavy-zipf`).
    pub name: String,
    /// One line for humans.
    #[serde(default)]
    pub description: String,
    /// The operation mix in percent.
    pub mix: Mix,
    /// How many distinct keys the operations draw from.
    pub key_space: u64,
    /// The fraction of the key space inserted before timing, 0.0 to 1.0.
    pub prefill: f64,
    /// How keys are drawn.
    pub distribution: Distribution,
    /// The key type.
    pub key_type: KeyType,
    /// Bytes per value (8 means a plain `u64`).
    pub value_size: usize,
    /// Whether maps are built with a capacity hint of the key space.
    pub capacity_hint: bool,
    /// Range scan length, uniform between these bounds (inclusive).
    #[serde(default = "default_scan_length")]
    pub scan_length: (u32, u32),
}

fn default_scan_length() -> (u32, u32) {
    (1, 100)
}

/// An operation mix in percent; sums to 100.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mix {
    /// `get`.
    pub read: u32,
    /// `insert` (of a key that may or may not be present).
    pub insert: u32,
    /// `remove`.
    pub remove: u32,
    /// `update` of an existing key (a no-op if absent).
    pub update: u32,
    /// `upsert`: read-modify-write that inserts when absent.
    pub upsert: u32,
    /// Range scan from a key (ordered maps only).
    pub scan: u32,
    /// Take a snapshot and iterate it whole (snapshot-capable maps only).
    pub snapshot: u32,
}

impl Mix {
    /// The sum of the percentages.
    pub fn total(&self) -> u32 {
        self.read
            + self.insert
            + self.remove
            + self.update
            + self.upsert
            + self.scan
            + self.snapshot
    }
}

/// How keys are drawn from the key space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Distribution {
    /// Every key equally likely.
    Uniform,
    /// Zipfian with constant `theta`; `scrambled` hashes ranks over the key space as YCSB does,
    /// so hot keys are spread out instead of clustered at the low end.
    Zipfian {
        /// The skew constant (YCSB uses 0.99).
        theta: f64,
        /// Whether ranks are scrambled over the key space.
        scrambled: bool,
    },
    /// `hot_ops` of operations go to the first `hot_keys` fraction of the key space.
    Hotspot {
        /// The fraction of keys that are hot (YCSB: 0.2).
        hot_keys: f64,
        /// The fraction of operations that go to them (YCSB: 0.8).
        hot_ops: f64,
    },
    /// Zipfian over recency: the most recently inserted keys are the hottest (YCSB D).
    Latest {
        /// The skew constant.
        theta: f64,
    },
    /// Keys in order, wrapping around the key space.
    Sequential,
}

/// The key type of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum KeyType {
    /// `u64` keys.
    U64,
    /// `String` keys of a fixed length, derived from the `u64` key.
    String {
        /// Bytes per key.
        len: usize,
    },
}

/// The frequency-count comparison: counting a large skewed slice through each map's `upsert` from
/// a rayon parallel iterator, against rayon fold/reduce over thread-local hashbrown maps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyCount {
    /// The structure, or `rayon-fold-reduce` for the hand-written reference.
    pub structure: String,
    /// Elements counted.
    pub elements: u64,
    /// Distinct elements.
    pub distinct: u64,
    /// The zipfian constant of the data.
    pub theta: f64,
    /// Threads in the rayon pool.
    pub threads: usize,
    /// Elements per second over repeats.
    pub elements_per_sec: Stats,
}
