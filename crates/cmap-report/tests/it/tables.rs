//! summary.md, README.md and raw.csv against the JSON they came from.

use std::fs;

use cmap_results::{Family, Results};

use crate::fixture::{self, single};

/// The table rows of one workload's section: cells with Markdown markup left in.
fn rows(summary: &str, workload: &str) -> Vec<Vec<String>> {
    let start = summary
        .find(&format!("## Workload {workload}\n"))
        .expect("section");
    let section = &summary[start + 3..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| threads"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn name(cell: &str) -> String {
    cell.trim_start_matches("**")
        .split(['*', ' '])
        .next()
        .unwrap()
        .to_owned()
}

/// `12.35 M` (maybe bold, maybe marked noisy) as a number.
fn si(cell: &str) -> f64 {
    let cell = cell
        .trim_matches('*')
        .trim_end_matches(" ~")
        .trim_matches('*');
    let (num, scale) = match cell.split_once(' ') {
        Some((n, "k")) => (n, 1e3),
        Some((n, "M")) => (n, 1e6),
        Some((n, "G")) => (n, 1e9),
        None => (cell, 1.0),
        Some(other) => panic!("unexpected {other:?}"),
    };
    num.parse::<f64>().unwrap() * scale
}

/// `45 ns`, `1.23 µs`, `4.50 ms` in nanoseconds.
fn duration(text: &str) -> f64 {
    let (num, unit) = text.split_once(' ').unwrap();
    let scale = match unit {
        "ns" => 1.0,
        "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        other => panic!("unit {other}"),
    };
    num.parse::<f64>().unwrap() * scale
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a / b - 1.0).abs() <= tolerance
}

#[test]
fn summary_figures_match_the_json_medians() {
    let (_dir, results, out) = single();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    let mut checked = 0;
    for w in fixture::workloads() {
        for row in rows(&summary, &w.name) {
            let threads = &row[0];
            let structure = name(&row[1]);
            let p = results
                .point(&format!("{}/{structure}/t{threads}", w.name))
                .expect("row of a real point");
            let s = &p.summary;
            // Four significant digits: within half a unit of the fourth.
            assert!(
                close(si(&row[2]), s.throughput.median, 5e-4),
                "{row:?} vs {}",
                s.throughput.median
            );
            let base = results.point(&format!("{}/locked/t{threads}", w.name));
            if let Some(base) = base {
                let ratio: f64 = row[4].trim_end_matches('×').parse().unwrap();
                assert!(
                    close(
                        ratio,
                        s.throughput.median / base.summary.throughput.median,
                        5e-3
                    ),
                    "{row:?}"
                );
            } else {
                assert_eq!(row[4], "–");
            }
            // Latency columns follow, one per operation kind in the fixed order.
            let ops: Vec<&String> = ["get", "insert", "remove", "snapshot"]
                .iter()
                .filter_map(|op| s.latency.get_key_value(*op).map(|(k, _)| k))
                .collect();
            for (i, op) in ops.iter().enumerate() {
                let l = &s.latency[*op];
                let parts: Vec<f64> = row[5 + i].split(" / ").map(duration).collect();
                assert!(close(parts[0], l.p50_ns as f64, 5e-3), "{op} p50 {row:?}");
                assert!(close(parts[1], l.p99_ns as f64, 5e-3), "{op} p99 {row:?}");
                assert!(
                    close(parts[2], l.p9999_ns as f64, 5e-3),
                    "{op} p99.99 {row:?}"
                );
            }
            let bytes: f64 = row[5 + ops.len()].trim_end_matches(" B").parse().unwrap();
            assert!(close(bytes, s.bytes_per_entry.unwrap(), 5e-3), "{row:?}");
            checked += 1;
        }
    }
    let points = results.points.len();
    assert_eq!(checked, points, "every point has exactly one row");
}

#[test]
fn the_fastest_map_at_each_thread_count_is_marked_and_the_null_map_never_is() {
    let (_dir, results, out) = single();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    for w in fixture::workloads() {
        let rows = rows(&summary, &w.name);
        for t in fixture::THREADS {
            let marked: Vec<String> = rows
                .iter()
                .filter(|r| r[0] == t.to_string() && r[1].contains("(best)"))
                .map(|r| name(&r[1]))
                .collect();
            let contenders: Vec<_> = results
                .points
                .iter()
                .filter(|p| p.workload.name == w.name && p.threads == t && p.family != Family::Null)
                .collect();
            if contenders.len() < 2 {
                assert!(marked.is_empty(), "{}: a lone map wins nothing", w.name);
                continue;
            }
            let best = contenders
                .iter()
                .max_by(|a, b| {
                    a.summary
                        .throughput
                        .median
                        .total_cmp(&b.summary.throughput.median)
                })
                .unwrap();
            assert_eq!(
                marked,
                std::slice::from_ref(&best.structure),
                "{} t{t}",
                w.name
            );
        }
    }
}

#[test]
fn skipped_pairs_are_listed_under_their_workload() {
    let (_dir, results, out) = single();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    let section = &summary[summary.find("## Workload snapshot-under-writes").unwrap()..];
    for s in &results.skipped {
        assert!(
            section.contains(&format!("- {}: {}", s.structure, s.reason)),
            "{s:?}"
        );
    }
}

#[test]
fn another_baseline_changes_every_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture::write(dir.path(), "r.json", &fixture::results("alpha", 1.0, 3));
    let out = dir.path().join("report");
    let mut args = fixture::args(std::slice::from_ref(&input), &out);
    args.baseline = "sharded".into();
    cmap_report::generate(&args).unwrap();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("| vs sharded |"));
    let own: Vec<_> = rows(&summary, "balanced-uniform")
        .into_iter()
        .filter(|r| name(&r[1]) == "sharded")
        .collect();
    assert_eq!(own.len(), fixture::THREADS.len());
    assert!(own.iter().all(|r| r[4] == "1.00×"), "{own:?}");
    let readme = fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains(&format!(
        "cmap report {} --out {} --baseline sharded",
        input.display(),
        out.display()
    )));
}

#[test]
fn readme_gives_the_commands_and_the_machine() {
    let (dir, _, out) = single();
    let readme = fs::read_to_string(out.join("README.md")).unwrap();
    let input = dir.path().join("results.json");
    assert!(
        readme.contains("```sh\ncmap run --suite full\n```"),
        "{readme}"
    );
    assert!(readme.contains(&format!(
        "```sh\ncmap report {} --out {}\n```",
        input.display(),
        out.display()
    )));
    for needle in [
        "alpha cpu",
        "0123abcd",
        "rustc 1.95.0",
        "foldhash",
        "counting system",
        "2.50 ns per operation",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
}

#[test]
fn raw_csv_has_one_row_per_repeat_with_every_digit() {
    let (_dir, results, out) = single();
    let csv = fs::read_to_string(out.join("raw.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let repeats: usize = results.points.iter().map(|p| p.repeats.len()).sum();
    assert_eq!(rows.len(), repeats);
    assert!(rows.iter().all(|r| r.len() == head.len()), "ragged rows");
    let col = |name: &str| {
        head.iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (w, s, t, r) = (
        col("workload"),
        col("structure"),
        col("threads"),
        col("repeat"),
    );
    let (tp, p99) = (col("throughput_ops_per_sec"), col("get_p99_ns"));
    for row in &rows {
        let p = results
            .point(&format!("{}/{}/t{}", row[w], row[s], row[t]))
            .unwrap();
        let repeat = &p.repeats[row[r].parse::<usize>().unwrap() - 1];
        assert_eq!(
            row[tp].parse::<f64>().unwrap(),
            repeat.throughput_ops_per_sec
        );
        match repeat.latency.get("get") {
            Some(l) => assert_eq!(row[p99].parse::<u64>().unwrap(), l.p99_ns),
            None => assert_eq!(row[p99], ""),
        }
    }
}

#[test]
fn frequency_count_is_tabled_against_the_rayon_reference() {
    let (_dir, results, out) = single();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    let section = &summary[summary.find("## Frequency count").unwrap()..];
    let reference = results
        .frequency_count
        .iter()
        .find(|f| f.structure == "rayon-fold-reduce")
        .unwrap();
    for f in &results.frequency_count {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", f.structure)))
            .unwrap();
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        assert!(
            close(si(cells[5]), f.elements_per_sec.median, 5e-4),
            "{row}"
        );
        let ratio: f64 = cells[7].trim_end_matches('×').parse().unwrap();
        assert!(
            close(
                ratio,
                f.elements_per_sec.median / reference.elements_per_sec.median,
                5e-3
            ),
            "{row}"
        );
    }
}

/// A smaller document: one workload, so most cross-workload charts have no data.
pub fn one_workload() -> Results {
    let mut r = fixture::results("alpha", 1.0, 9);
    r.points.retain(|p| p.workload.name == "read-heavy-uniform");
    r.skipped.clear();
    r.frequency_count.clear();
    r
}

#[test]
fn charts_without_data_are_named_and_explained_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture::write(dir.path(), "r.json", &one_workload());
    let out = dir.path().join("report");
    let written = fixture::report(&[input], &out).unwrap();
    let names: Vec<String> = fixture::svgs(&out).into_keys().collect();
    assert!(names.iter().all(|n| !n.starts_with("zipf")
        && !n.starts_with("read-ratio")
        && !n.starts_with("snapshot")));
    assert!(!names.contains(&"frequency-count.svg".to_owned()));
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    for title in [
        "Throughput vs read ratio",
        "Throughput vs zipfian constant",
        "Snapshot iteration under writes",
    ] {
        assert!(
            summary.contains(&format!("> **{title}:** not drawn; ")),
            "{title}"
        );
    }
    assert_eq!(written.omitted, 3);
}
