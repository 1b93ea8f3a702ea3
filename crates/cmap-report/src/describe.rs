//! Workloads in words, for headings, subtitles and tables.

use cmap_results::{Distribution, KeyType, Mix, WorkloadSpec};

/// The operation kinds in the order tables and the CSV list them.
pub(crate) const OPS: [&str; 7] = [
    "get", "insert", "remove", "update", "upsert", "scan", "snapshot",
];

/// Orders operation kinds: the known ones as in [`OPS`], any other after them by name.
pub(crate) fn op_rank(op: &str) -> (usize, String) {
    (
        OPS.iter().position(|o| *o == op).unwrap_or(OPS.len()),
        op.to_owned(),
    )
}

/// How an operation kind reads in titles: the harness's `all` is every operation together.
pub(crate) fn op_label(op: &str) -> &str {
    if op == "all" { "all operations" } else { op }
}

/// `90% read, 5% insert, 5% remove`.
pub(crate) fn mix(m: &Mix) -> String {
    let parts = [
        (m.read, "read"),
        (m.insert, "insert"),
        (m.remove, "remove"),
        (m.update, "update"),
        (m.upsert, "upsert"),
        (m.scan, "scan"),
        (m.snapshot, "snapshot"),
    ];
    let list: Vec<String> = parts
        .iter()
        .filter(|(p, _)| *p > 0)
        .map(|(p, n)| format!("{p}% {n}"))
        .collect();
    if list.is_empty() {
        "no operations".to_owned()
    } else {
        list.join(", ")
    }
}

/// `zipfian θ=0.99 (scrambled)`.
pub(crate) fn distribution(d: &Distribution) -> String {
    match d {
        Distribution::Uniform => "uniform".to_owned(),
        Distribution::Zipfian { theta, scrambled } => {
            format!(
                "zipfian θ={theta}{}",
                if *scrambled { " (scrambled)" } else { "" }
            )
        }
        Distribution::Hotspot { hot_keys, hot_ops } => {
            format!(
                "hotspot: {}% of operations on {}% of keys",
                hot_ops * 100.0,
                hot_keys * 100.0
            )
        }
        Distribution::Latest { theta } => format!("latest (zipfian over recency, θ={theta})"),
        Distribution::Sequential => "sequential".to_owned(),
    }
}

/// `u64` or `16-byte strings`.
pub(crate) fn key_type(k: &KeyType) -> String {
    match k {
        KeyType::U64 => "u64 keys".to_owned(),
        KeyType::String { len } => format!("{len}-byte string keys"),
    }
}

/// Everything about a workload in one line.
pub(crate) fn workload(w: &WorkloadSpec) -> String {
    let mut s = format!(
        "{}; {} keys, {}% prefilled; {}; {}, {}-byte values",
        mix(&w.mix),
        crate::fmt::thousands(w.key_space),
        crate::fmt::sig(w.prefill * 100.0, 3),
        distribution(&w.distribution),
        key_type(&w.key_type),
        w.value_size,
    );
    if w.capacity_hint {
        s.push_str("; capacity hint");
    }
    if w.mix.scan > 0 {
        s.push_str(&format!(
            "; scans of {} to {} keys",
            w.scan_length.0, w.scan_length.1
        ));
    }
    s
}
