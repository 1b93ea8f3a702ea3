//! Round trips, version checks and atomic writes.

use std::collections::BTreeMap;

use cmap_results::*;

fn sample() -> Results {
    let latency = Latency {
        samples: 10,
        mean_ns: 50.0,
        p50_ns: 40,
        p90_ns: 60,
        p99_ns: 90,
        p999_ns: 120,
        p9999_ns: 150,
        max_ns: 400,
    };
    let repeat = Repeat {
        duration_ns: 1_000_000,
        total_ops: 1_000,
        throughput_ops_per_sec: 1e6,
        latency: BTreeMap::from([("get".to_owned(), latency.clone())]),
        memory: Memory {
            bytes_after_prefill: 1 << 20,
            bytes_at_end: 1 << 20,
            entries_at_end: 1 << 14,
            bytes_per_entry: Some(64.0),
            allocations_per_op: 0.0,
            peak_rss_bytes: Some(1 << 24),
        },
    };
    Results {
        schema_version: SCHEMA_VERSION,
        method: Method {
            command_line: vec!["cmap".into(), "run".into()],
            seed: 42,
            git_revision: Some("abc".into()),
            cmap_version: "0.1.0".into(),
            rustc_version: "rustc 1.95.0".into(),
            profile: "release".into(),
            cpu_model: "test cpu".into(),
            cores: 2,
            machine: "test".into(),
            os: "linux x86_64".into(),
            hasher: "foldhash".into(),
            allocator: "system".into(),
            date: "2026-01-01T00:00:00Z".into(),
            latency_sample_every: 16,
        },
        harness_overhead: Some(Overhead {
            ns_per_op: 1.5,
            timing_ns_per_sample: 20.0,
        }),
        points: vec![Point {
            workload: WorkloadSpec {
                name: "read-heavy".into(),
                description: String::new(),
                mix: Mix {
                    read: 98,
                    insert: 1,
                    remove: 1,
                    ..Mix::default()
                },
                key_space: 1 << 14,
                prefill: 0.75,
                distribution: Distribution::Zipfian {
                    theta: 0.99,
                    scrambled: true,
                },
                key_type: KeyType::String { len: 16 },
                value_size: 8,
                capacity_hint: true,
                scan_length: (1, 100),
            },
            structure: "locked".into(),
            family: Family::Cmap,
            threads: 2,
            writer_threads: 0,
            stream_checksum: "0123456789abcdef".into(),
            ops_per_thread: 500,
            repeats: vec![repeat],
            summary: Summary {
                throughput: Stats::of(&[1e6]).unwrap(),
                latency: BTreeMap::from([("get".to_owned(), latency)]),
                bytes_per_entry: Some(64.0),
                allocations_per_op: 0.0,
                ratio_to_baseline: Some(1.0),
                noisy: false,
            },
        }],
        skipped: vec![],
        frequency_count: vec![],
    }
}

#[test]
fn round_trip_through_a_file() {
    let dir = std::env::temp_dir().join(format!("cmap-results-{}", std::process::id()));
    let path = dir.join("results.json");
    let results = sample();
    results.write(&path).unwrap();
    assert_eq!(Results::read(&path).unwrap(), results);
    assert_eq!(results.points[0].id(), "read-heavy/locked/t2");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_version_is_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("cmap-results-v-{}", std::process::id()));
    let path = dir.join("old.json");
    let mut json = serde_json::to_value(sample()).unwrap();
    json["schema_version"] = 99.into();
    write_atomic(&path, json.to_string().as_bytes()).unwrap();
    let error = Results::read(&path).unwrap_err().to_string();
    assert!(
        error.contains("schema_version 99") && error.contains("version 1"),
        "{error}"
    );
    write_atomic(&path, b"{\"schema_version\": 1, \"points\": 3}").unwrap();
    let error = Results::read(&path).unwrap_err().to_string();
    assert!(error.contains("not a cmap results document"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_write_leaves_the_old_file() {
    let dir = std::env::temp_dir().join(format!("cmap-results-f-{}", std::process::id()));
    let path = dir.join("keep.json");
    write_atomic(&path, b"old").unwrap();
    // A directory in the way of the rename makes the write fail after the temp file is written.
    let blocked = dir.join("blocked");
    std::fs::create_dir_all(blocked.join("inner")).unwrap();
    assert!(write_atomic(&blocked, b"new").is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "a temporary file was left behind: {names:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stats_are_medians_and_spreads() {
    let s = Stats::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
    assert_eq!((s.n, s.median, s.min, s.max), (4, 2.5, 1.0, 10.0));
    assert!((s.relative_spread - 3.6).abs() < 1e-12);
    assert!(Stats::of(&[]).is_none());
    assert!(Stats::of(&[1.0, f64::NAN]).is_none());
    assert_eq!(Stats::of(&[5.0]).unwrap().stddev, 0.0);
}

#[test]
fn workload_specs_read_from_toml_shaped_json() {
    let spec: WorkloadSpec = serde_json::from_str(
        r#"{"name":"w","mix":{"read":90,"upsert":10},"key_space":1000,"prefill":0.5,
            "distribution":{"kind":"hotspot","hot_keys":0.2,"hot_ops":0.8},
            "key_type":{"kind":"u64"},"value_size":8,"capacity_hint":false}"#,
    )
    .unwrap();
    assert_eq!(spec.mix.total(), 100);
    assert_eq!(spec.scan_length, (1, 100));
    let unknown = serde_json::from_str::<Mix>(r#"{"reads": 100}"#)
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("unknown field `reads`"), "{unknown}");
}
