//! `cmap run --quick`: the smoke suite end to end, and the JSON it writes.

use std::collections::BTreeMap;
use std::fs;

use cmap_results::{Family, Results, SCHEMA_VERSION};

use crate::cmap;

fn finite_positive(what: &str, v: f64) {
    assert!(v.is_finite() && v > 0.0, "{what} = {v}");
}

#[test]
fn quick_suite_writes_complete_consistent_results() {
    let dir = tempfile::tempdir().unwrap();
    let output = cmap(
        dir.path(),
        &["run", "--quick", "--out", "out", "--json", "copy.json"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("estimated"), "no time estimate: {stderr}");

    let out = dir.path().join("out");
    let results = Results::read(&out.join("results.json")).expect("a valid results document");
    assert_eq!(results.schema_version, SCHEMA_VERSION);
    assert_eq!(
        Results::read(&dir.path().join("copy.json")).unwrap(),
        results,
        "--json writes the same document"
    );

    // Method.
    let m = &results.method;
    assert!(m.command_line.iter().any(|a| a == "--quick"));
    assert!(m.rustc_version.starts_with("rustc "), "{}", m.rustc_version);
    assert!(!m.cpu_model.is_empty() && m.cores >= 1);
    assert_eq!(m.date.len(), 20, "{}", m.date);
    assert!(m.date.ends_with('Z'));
    assert!(m.hasher.contains("foldhash"));
    assert_eq!(m.latency_sample_every, 32);

    // The overhead is measured, finite and positive.
    let overhead = results.harness_overhead.as_ref().expect("harness overhead");
    finite_positive("overhead ns/op", overhead.ns_per_op);
    assert!(overhead.timing_ns_per_sample.is_finite() && overhead.timing_ns_per_sample >= 0.0);

    // The default suite: every structure and peer, the three conc-map-bench presets in uniform
    // and zipfian, and ycsb-a, at 1 and 2 threads.
    let workloads: std::collections::BTreeSet<&str> = results
        .points
        .iter()
        .map(|p| p.workload.name.as_str())
        .collect();
    assert_eq!(
        workloads.into_iter().collect::<Vec<_>>(),
        [
            "exchange-uniform",
            "exchange-zipf",
            "rapid-grow-uniform",
            "rapid-grow-zipf",
            "read-heavy-uniform",
            "read-heavy-zipf",
            "ycsb-a-zipf"
        ]
    );
    let structures: std::collections::BTreeSet<&str> = results
        .points
        .iter()
        .map(|p| p.structure.as_str())
        .collect();
    for s in [
        "locked",
        "sharded",
        "cow",
        "skiplist",
        "dashmap",
        "papaya",
        "scc",
        "std-rwlock",
    ] {
        assert!(structures.contains(s), "{s} did not run");
    }
    assert!(results.points.iter().all(|p| p.family != Family::Null));
    assert!(
        results
            .points
            .iter()
            .any(|p| p.family == Family::Peer && p.structure == "crossbeam-skipmap")
    );

    // Identical loads: one checksum per workload and thread count, whatever the structure; and
    // different thread counts get different streams.
    let mut checksums: BTreeMap<(String, usize), &str> = BTreeMap::new();
    for p in &results.points {
        let key = (p.workload.name.clone(), p.threads);
        let first = *checksums.entry(key).or_insert(&p.stream_checksum);
        assert_eq!(first, p.stream_checksum, "{} got a different load", p.id());
        assert_eq!(p.stream_checksum.len(), 16);
    }
    assert_ne!(
        checksums[&("read-heavy-uniform".into(), 1)],
        checksums[&("read-heavy-uniform".into(), 2)]
    );

    // No zero or NaN figures.
    for p in &results.points {
        let id = p.id();
        assert_eq!(p.repeats.len(), 2, "{id}");
        for r in &p.repeats {
            assert!(r.duration_ns > 0 && r.total_ops > 0, "{id}");
            finite_positive(&format!("{id} throughput"), r.throughput_ops_per_sec);
            let all = r
                .latency
                .get("all")
                .unwrap_or_else(|| panic!("{id}: no latency"));
            assert!(
                all.samples > 0 && all.p50_ns > 0 && all.p99_ns >= all.p50_ns,
                "{id}"
            );
            assert!(
                all.p9999_ns >= all.p99_ns && all.max_ns >= all.p9999_ns,
                "{id}"
            );
            finite_positive(&format!("{id} mean latency"), all.mean_ns);
            assert!(r.memory.allocations_per_op.is_finite(), "{id}");
            if r.memory.entries_at_end > 0 {
                finite_positive(
                    &format!("{id} bytes/entry"),
                    r.memory
                        .bytes_per_entry
                        .expect("entries, so bytes per entry"),
                );
            }
            assert!(r.memory.peak_rss_bytes.is_some_and(|b| b > 0), "{id}");
        }
        finite_positive(&format!("{id} median"), p.summary.throughput.median);
        finite_positive(
            &format!("{id} ratio"),
            p.summary.ratio_to_baseline.expect("locked ran everywhere"),
        );
        if p.structure == "locked" {
            assert_eq!(p.summary.ratio_to_baseline, Some(1.0));
        }
    }
    // Prefilled hash maps hold real memory: at least a key and a value per entry.
    let prefilled = results
        .points
        .iter()
        .find(|p| p.id() == "read-heavy-uniform/locked/t1")
        .unwrap();
    assert!(prefilled.repeats[0].memory.bytes_after_prefill > 16 * 12_000);
    assert!(prefilled.summary.bytes_per_entry.unwrap() >= 16.0);

    // The frequency count ran against the reference, and the map without an atomic
    // read-modify-write is skipped with its reason rather than counted wrong.
    assert!(
        results
            .frequency_count
            .iter()
            .any(|f| f.structure == "rayon-fold-reduce")
    );
    assert!(
        results
            .frequency_count
            .iter()
            .any(|f| f.structure == "locked")
    );
    for f in &results.frequency_count {
        finite_positive(
            &format!("{} count rate", f.structure),
            f.elements_per_sec.median,
        );
        assert!(f.distinct > 0 && f.distinct <= f.elements);
    }
    assert!(
        results
            .skipped
            .iter()
            .any(|s| s.workload == "frequency-count"
                && s.structure == "crossbeam-skipmap"
                && s.reason.contains("atomic"))
    );

    // The other files and the table.
    let csv = fs::read_to_string(out.join("results.csv")).unwrap();
    let repeats: usize = results.points.iter().map(|p| p.repeats.len()).sum();
    assert_eq!(csv.lines().count(), repeats + 1);
    let summary = fs::read_to_string(out.join("run-summary.md")).unwrap();
    assert!(
        !out.join("summary.md").exists(),
        "summary.md is `cmap report`'s file name; the run's summary is run-summary.md"
    );
    assert!(summary.contains("--quick") && summary.contains("| read-heavy-uniform | 1 | locked |"));
    for header in ["Mops/s", "p99", "p99.99", "bytes/entry", "vs locked"] {
        assert!(stdout.contains(header), "{header} missing from the table");
    }
    assert!(stdout.contains("harness overhead"));
    // No temporary files left behind.
    for entry in fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left {name}");
    }
}

#[test]
fn a_workload_needing_scans_skips_unordered_structures_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let output = cmap(
        dir.path(),
        &[
            "run",
            "--quick",
            "--workloads",
            "ycsb-e",
            "--structures",
            "locked,skiplist,crossbeam-skipmap,null",
            "--threads",
            "2",
            "--key-type",
            "string",
            "--repeats",
            "1",
            "--out",
            "out",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipping locked on ycsb-e-zipf"),
        "{stderr}"
    );
    let results = Results::read(&dir.path().join("out/results.json")).unwrap();
    let ran: Vec<&str> = results
        .points
        .iter()
        .map(|p| p.structure.as_str())
        .collect();
    assert_eq!(ran, ["skiplist", "crossbeam-skipmap", "null"]);
    assert_eq!(results.skipped.len(), 1);
    assert_eq!(results.skipped[0].structure, "locked");
    assert!(results.skipped[0].reason.contains("Ordered"));
    let scans = &results.points[0].summary.latency["scan"];
    assert!(scans.samples > 0);
    assert!(
        results
            .points
            .iter()
            .all(|p| p.stream_checksum == results.points[0].stream_checksum)
    );
    assert!(
        results
            .points
            .iter()
            .all(|p| p.workload.key_type == cmap_results::KeyType::String { len: 16 })
    );
    // Without the baseline, no ratio is invented.
    assert!(
        results
            .points
            .iter()
            .all(|p| p.summary.ratio_to_baseline.is_none())
    );
}

#[test]
fn custom_toml_workload_with_snapshots_and_writers() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("snap.toml"),
        r#"
name = "snap-mix"
description = "reads beside a writer, with whole-map snapshots"
key_space = 2000
prefill = 1.0
value_size = 64
capacity_hint = true
mix = { read = 60, snapshot = 1, update = 29, insert = 5, remove = 5 }
distribution = { kind = "hotspot", hot_keys = 0.2, hot_ops = 0.8 }
key_type = { kind = "u64" }
"#,
    )
    .unwrap();
    let output = cmap(
        dir.path(),
        &[
            "run",
            "--quick",
            "--workload-file",
            "snap.toml",
            "--structures",
            "cow,skiplist,sharded",
            "--threads",
            "2",
            "--writers",
            "1",
            "--repeats",
            "1",
            "--out",
            "out",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let results = Results::read(&dir.path().join("out/results.json")).unwrap();
    let ran: Vec<&str> = results
        .points
        .iter()
        .map(|p| p.structure.as_str())
        .collect();
    assert_eq!(ran, ["cow", "skiplist"]);
    assert_eq!(results.skipped[0].structure, "sharded");
    for p in &results.points {
        assert_eq!(p.writer_threads, 1);
        assert_eq!(p.workload.value_size, 64);
        let lat = &p.summary.latency;
        assert!(
            lat.contains_key("snapshot") && lat.contains_key("get") && lat.contains_key("update")
        );
    }
}
