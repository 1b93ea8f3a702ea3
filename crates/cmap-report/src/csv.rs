//! `raw.csv`: one row per repeat, every field, every digit.
//!
//! The columns are fixed for the known operation kinds, so two reports' CSVs line up; a kind
//! unknown to this build gets its columns after them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use cmap_results::{Distribution, KeyType};

use crate::describe;
use crate::input::Dataset;

const LATENCY_FIELDS: [&str; 8] = [
    "samples", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns",
];

/// The CSV text and its number of data rows.
pub(crate) fn render(data: &Dataset) -> (String, usize) {
    let mut ops: BTreeSet<(usize, String)> =
        describe::OPS.iter().map(|o| describe::op_rank(o)).collect();
    for (_, _, p) in data.points() {
        for r in &p.repeats {
            ops.extend(r.latency.keys().map(|k| describe::op_rank(k)));
        }
    }
    let mut head: Vec<String> = [
        "machine",
        "file",
        "workload",
        "read_pct",
        "insert_pct",
        "remove_pct",
        "update_pct",
        "upsert_pct",
        "scan_pct",
        "snapshot_pct",
        "key_space",
        "prefill",
        "distribution",
        "theta",
        "scrambled",
        "hot_keys",
        "hot_ops",
        "key_type",
        "key_len",
        "value_size",
        "capacity_hint",
        "scan_min",
        "scan_max",
        "structure",
        "family",
        "threads",
        "writer_threads",
        "stream_checksum",
        "ops_per_thread",
        "repeat",
        "duration_ns",
        "total_ops",
        "throughput_ops_per_sec",
        "bytes_after_prefill",
        "bytes_at_end",
        "entries_at_end",
        "bytes_per_entry",
        "allocations_per_op",
        "peak_rss_bytes",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (_, op) in &ops {
        head.extend(LATENCY_FIELDS.iter().map(|f| format!("{op}_{f}")));
    }
    let mut out = String::new();
    line(&mut out, &head);
    let mut rows = 0;
    for (_, source, p) in data.points() {
        let w = &p.workload;
        let (dist, theta, scrambled, hot_keys, hot_ops) = match w.distribution {
            Distribution::Uniform => ("uniform", None, None, None, None),
            Distribution::Zipfian { theta, scrambled } => {
                ("zipfian", Some(theta), Some(scrambled), None, None)
            }
            Distribution::Hotspot { hot_keys, hot_ops } => {
                ("hotspot", None, None, Some(hot_keys), Some(hot_ops))
            }
            Distribution::Latest { theta } => ("latest", Some(theta), None, None, None),
            Distribution::Sequential => ("sequential", None, None, None, None),
        };
        let (key_type, key_len) = match w.key_type {
            KeyType::U64 => ("u64", None),
            KeyType::String { len } => ("string", Some(len)),
        };
        let family = serde_json::to_value(p.family)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        for (i, r) in p.repeats.iter().enumerate() {
            let m = &r.memory;
            let mut cells: Vec<String> = vec![
                source.label.clone(),
                source.path.display().to_string(),
                w.name.clone(),
                w.mix.read.to_string(),
                w.mix.insert.to_string(),
                w.mix.remove.to_string(),
                w.mix.update.to_string(),
                w.mix.upsert.to_string(),
                w.mix.scan.to_string(),
                w.mix.snapshot.to_string(),
                w.key_space.to_string(),
                w.prefill.to_string(),
                dist.to_owned(),
                opt(theta),
                opt(scrambled),
                opt(hot_keys),
                opt(hot_ops),
                key_type.to_owned(),
                opt(key_len),
                w.value_size.to_string(),
                w.capacity_hint.to_string(),
                w.scan_length.0.to_string(),
                w.scan_length.1.to_string(),
                p.structure.clone(),
                family.clone(),
                p.threads.to_string(),
                p.writer_threads.to_string(),
                p.stream_checksum.clone(),
                p.ops_per_thread.to_string(),
                (i + 1).to_string(),
                r.duration_ns.to_string(),
                r.total_ops.to_string(),
                r.throughput_ops_per_sec.to_string(),
                m.bytes_after_prefill.to_string(),
                m.bytes_at_end.to_string(),
                m.entries_at_end.to_string(),
                opt(m.bytes_per_entry),
                m.allocations_per_op.to_string(),
                opt(m.peak_rss_bytes),
            ];
            for (_, op) in &ops {
                match r.latency.get(op) {
                    Some(l) => cells.extend([
                        l.samples.to_string(),
                        l.mean_ns.to_string(),
                        l.p50_ns.to_string(),
                        l.p90_ns.to_string(),
                        l.p99_ns.to_string(),
                        l.p999_ns.to_string(),
                        l.p9999_ns.to_string(),
                        l.max_ns.to_string(),
                    ]),
                    None => cells.extend(std::iter::repeat_n(String::new(), LATENCY_FIELDS.len())),
                }
            }
            line(&mut out, &cells);
            rows += 1;
        }
    }
    (out, rows)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One RFC 4180 line (with a plain `\n` ending, which diffs well): fields with a comma, quote or
/// line break are quoted, quotes doubled.
fn line(out: &mut String, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if c.contains([',', '"', '\n', '\r']) {
            let _ = write!(out, "\"{}\"", c.replace('"', "\"\""));
        } else {
            out.push_str(c);
        }
    }
    out.push('\n');
}
