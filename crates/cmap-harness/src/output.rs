//! What a run leaves behind: `results.json`, `results.csv` and `run-summary.md` in the output folder
//! (each written to a temporary file and renamed), and the table on stdout.

use std::fmt::Write as _;
use std::path::Path;

use cmap_results::{Point, Results, write_atomic};

use crate::suite::Notes;

/// Writes the three files into `out`, and the JSON also to `json` if given.
pub fn write_all(
    results: &Results,
    notes: &Notes,
    out: &Path,
    json: Option<&Path>,
) -> std::io::Result<()> {
    results.write(&out.join("results.json"))?;
    write_atomic(&out.join("results.csv"), csv(results).as_bytes())?;
    write_atomic(
        &out.join("run-summary.md"),
        summary_md(results, notes).as_bytes(),
    )?;
    if let Some(json) = json {
        results.write(json)?;
    }
    Ok(())
}

/// One row per repeat, every figure a plotting tool needs.
pub fn csv(results: &Results) -> String {
    let mut s = String::from(
        "workload,structure,family,threads,writer_threads,repeat,stream_checksum,duration_ns,\
         total_ops,throughput_ops_per_sec,p50_ns,p99_ns,p9999_ns,max_ns,bytes_after_prefill,\
         bytes_at_end,entries_at_end,bytes_per_entry,allocations_per_op,peak_rss_bytes\n",
    );
    for p in &results.points {
        for (i, r) in p.repeats.iter().enumerate() {
            let all = r.latency.get("all");
            let lat = |f: fn(&cmap_results::Latency) -> u64| {
                all.map(f).map_or(String::new(), |v| v.to_string())
            };
            let m = &r.memory;
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{:.1},{},{},{},{},{},{},{},{},{:.4},{}",
                p.workload.name,
                p.structure,
                serde_json::to_value(p.family)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                p.threads,
                p.writer_threads,
                i + 1,
                p.stream_checksum,
                r.duration_ns,
                r.total_ops,
                r.throughput_ops_per_sec,
                lat(|l| l.p50_ns),
                lat(|l| l.p99_ns),
                lat(|l| l.p9999_ns),
                lat(|l| l.max_ns),
                m.bytes_after_prefill,
                m.bytes_at_end,
                m.entries_at_end,
                m.bytes_per_entry
                    .map_or(String::new(), |b| format!("{b:.1}")),
                m.allocations_per_op,
                m.peak_rss_bytes.map_or(String::new(), |b| b.to_string()),
            );
        }
    }
    s
}

fn ns(v: u64) -> String {
    if v >= 1_000_000 {
        format!("{:.1} ms", v as f64 / 1e6)
    } else if v >= 10_000 {
        format!("{:.0} us", v as f64 / 1e3)
    } else if v >= 1_000 {
        format!("{:.1} us", v as f64 / 1e3)
    } else {
        format!("{v} ns")
    }
}

fn row(p: &Point) -> [String; 8] {
    let all = p.summary.latency.get("all");
    let t = &p.summary.throughput;
    [
        p.workload.name.clone(),
        p.threads.to_string(),
        p.structure.clone(),
        format!(
            "{:.2} ±{:.0}%{}",
            t.median / 1e6,
            t.relative_spread * 100.0,
            if p.summary.noisy { " (noisy)" } else { "" }
        ),
        all.map_or("-".into(), |l| ns(l.p99_ns)),
        all.map_or("-".into(), |l| ns(l.p9999_ns)),
        p.summary
            .bytes_per_entry
            .map_or("-".into(), |b| format!("{b:.0}")),
        p.summary
            .ratio_to_baseline
            .map_or("-".into(), |r| format!("{r:.2}x")),
    ]
}

const HEADER: [&str; 8] = [
    "workload",
    "threads",
    "structure",
    "Mops/s (spread)",
    "p99",
    "p99.99",
    "bytes/entry",
    "vs locked",
];

/// The stdout table: one line per point, aligned.
pub fn table(results: &Results) -> String {
    let rows: Vec<[String; 8]> = results.points.iter().map(row).collect();
    let mut widths = HEADER.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: &[&str]| {
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Text columns left-aligned, figures right-aligned.
            if i < 3 {
                let _ = write!(s, "{cell:<w$}  ");
            } else {
                let _ = write!(s, "{cell:>w$}  ");
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    };
    line(&mut s, &HEADER);
    let mut previous: Option<(String, usize)> = None;
    for (r, p) in rows.iter().zip(&results.points) {
        let group = (p.workload.name.clone(), p.threads);
        if previous.as_ref().is_some_and(|g| *g != group) {
            s.push('\n');
        }
        previous = Some(group);
        line(&mut s, &r.each_ref().map(String::as_str));
    }
    if let Some(o) = &results.harness_overhead {
        let _ = writeln!(
            s,
            "\nharness overhead (null map): {:.2} ns/op in the loop, {:.1} ns per timed sample \
             (1 op in {} timed)",
            o.ns_per_op, o.timing_ns_per_sample, results.method.latency_sample_every
        );
    }
    if !results.frequency_count.is_empty() {
        let _ = writeln!(s, "\nfrequency count (elements per second, median):");
        for f in &results.frequency_count {
            let _ = writeln!(
                s,
                "  t{} {:<20} {:>8.2} M/s ±{:.0}%  ({} elements, {} distinct, theta {})",
                f.threads,
                f.structure,
                f.elements_per_sec.median / 1e6,
                f.elements_per_sec.relative_spread * 100.0,
                f.elements,
                f.distinct,
                f.theta
            );
        }
    }
    for k in &results.skipped {
        let _ = writeln!(s, "skipped {} on {}: {}", k.structure, k.workload, k.reason);
    }
    s
}

/// The Markdown summary: the command, the method, the table, warnings and skips.
pub fn summary_md(results: &Results, notes: &Notes) -> String {
    let m = &results.method;
    let mut s = String::from("# cmap run\n\n");
    let _ = writeln!(s, "```sh\n{}\n```\n", m.command_line.join(" "));
    let _ = writeln!(s, "| | |\n|---|---|");
    for (k, v) in [
        ("date", m.date.clone()),
        ("machine", m.machine.clone()),
        ("cpu", format!("{} ({} cores)", m.cpu_model, m.cores)),
        ("os", m.os.clone()),
        ("rustc", format!("{} ({})", m.rustc_version, m.profile)),
        (
            "git",
            m.git_revision.clone().unwrap_or_else(|| "unknown".into()),
        ),
        ("seed", m.seed.to_string()),
        ("hasher", m.hasher.clone()),
        ("allocator", m.allocator.clone()),
        (
            "latency sampling",
            format!("1 operation in {}", m.latency_sample_every),
        ),
    ] {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    s.push_str(
        "\nThroughput is the median over repeats (spread = (max - min) / median); latencies \
                are medians over repeats of each percentile, over every sampled operation; \
                bytes/entry counts the map's heap (operation streams excluded).\n\n",
    );
    let _ = writeln!(s, "| {} |", HEADER.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(HEADER.len()));
    for p in &results.points {
        let _ = writeln!(s, "| {} |", row(p).join(" | "));
    }
    if let Some(o) = &results.harness_overhead {
        let _ = writeln!(
            s,
            "\nHarness overhead (null map): {:.2} ns per operation, {:.1} ns per timed sample.",
            o.ns_per_op, o.timing_ns_per_sample
        );
    }
    if !results.frequency_count.is_empty() {
        s.push_str("\n## Frequency count\n\n| threads | structure | M elements/s | spread |\n|---|---|---|---|\n");
        for f in &results.frequency_count {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {:.0}% |",
                f.threads,
                f.structure,
                f.elements_per_sec.median / 1e6,
                f.elements_per_sec.relative_spread * 100.0
            );
        }
    }
    if !results.skipped.is_empty() {
        s.push_str("\n## Skipped\n\n");
        for k in &results.skipped {
            let _ = writeln!(s, "- {} on {}: {}", k.structure, k.workload, k.reason);
        }
    }
    if !notes.warnings.is_empty() {
        s.push_str("\n## Warnings\n\n");
        for w in &notes.warnings {
            let _ = writeln!(s, "- {w}");
        }
    }
    s
}
